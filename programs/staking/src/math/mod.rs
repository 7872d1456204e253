//! Pure staking math: no accounts, no Anchor. Each module has unit and property tests. Basis
//! points are `depin_common::bps`.
//!
//! - [`weight`]: the lockup multiplier and the voting weight (linear or quadratic).
//! - [`revenue`]: the reward-per-weight accumulator of the revenue share.
//! - [`slash`]: the slash message the oracle quorum signs.

pub mod revenue;
pub mod slash;
pub mod weight;

/// Why a math step failed. Every variant becomes `StakingError::MathOverflow` on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathError {
    /// An intermediate or the result does not fit its type.
    Overflow,
}
