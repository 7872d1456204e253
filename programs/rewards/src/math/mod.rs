//! Pure rewards math: no accounts, no Anchor. Each module has unit and property tests.
//!
//! - [`emission`]: the epoch schedule (halving) and its exact closed-form totals.
//! - [`fraud`]: the evidence checks of the three fraud proofs.
//! - [`window`]: the sliding-window circuit breaker that every mint path passes.

pub mod emission;
pub mod fraud;
pub mod window;
