//! Pure rewards math: no accounts, no Anchor. Each module has unit and property tests.
//!
//! - [`emission`]: the epoch schedule (halving) and its exact closed-form totals.
//! - [`window`]: the sliding-window circuit breaker that every mint path passes.

pub mod emission;
pub mod window;
