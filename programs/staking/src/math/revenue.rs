//! The revenue share's reward-per-weight accumulator.
//!
//! Revenue `delta` arriving while the stored weights sum to `total_weight` raises
//! `reward_per_weight` by `(delta × SCALE + carry) / total_weight`; the remainder of that
//! division is carried into the next accrual, so no revenue is lost to the accumulator's own
//! rounding. A position whose stored weight was `w` while the accumulator went from
//! `checkpoint` to `rpw` has earned `w × (rpw − checkpoint) / SCALE`, rounded down.
//!
//! Conservation: each accrual satisfies `inc × total_weight ≤ delta × SCALE + carry_in` and
//! `carry_out = delta × SCALE + carry_in − inc × total_weight`, so summed over all accruals
//! `Σ inc × total_weight = Σ delta × SCALE − carry_final ≤ Σ delta × SCALE`; each position's
//! share floors. Hence the sum of everything earned never exceeds the sum accrued.
//!
//! Storing the checkpoint rather than `weight × rpw` keeps every product bounded by the revenue
//! that arrived while that weight was in place (at most `u64::MAX × SCALE`), however large the
//! accumulator itself grows.

use super::MathError;

/// Fixed-point scale of `reward_per_weight`: 10^16. Revenue weights are `amount ×
/// multiplier_bps` (10^4 per token at 1x), so this keeps the carry waiting in the accumulator
/// below one base unit per 10^12 units of weight, as a 10^12 scale did for weights in tokens.
/// Products stay in a u128: `weight × Δrpw ≤ delta × SCALE ≤ u64::MAX × 10^16 < 2^128`.
pub const SCALE: u128 = 10_000_000_000_000_000;

/// The accumulator after revenue `delta`: `Some((reward_per_weight, carry))`, or `None` when
/// `total_weight` is zero (the revenue stays undistributed until some weight exists).
pub fn accrue(
    reward_per_weight: u128,
    carry: u128,
    delta: u64,
    total_weight: u128,
) -> Result<Option<(u128, u128)>, MathError> {
    if total_weight == 0 {
        return Ok(None);
    }
    let numerator = u128::from(delta)
        .checked_mul(SCALE)
        .and_then(|n| n.checked_add(carry))
        .ok_or(MathError::Overflow)?;
    let inc = numerator / total_weight;
    let carry = numerator % total_weight;
    let rpw = reward_per_weight
        .checked_add(inc)
        .ok_or(MathError::Overflow)?;
    Ok(Some((rpw, carry)))
}

/// What a stored `weight` earned while the accumulator moved from `checkpoint` to
/// `reward_per_weight`, rounded down.
pub fn earned(weight: u128, reward_per_weight: u128, checkpoint: u128) -> Result<u64, MathError> {
    let delta = reward_per_weight
        .checked_sub(checkpoint)
        .ok_or(MathError::Overflow)?;
    let scaled = weight.checked_mul(delta).ok_or(MathError::Overflow)?;
    u64::try_from(scaled / SCALE).map_err(|_| MathError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exact_split() {
        // 1,000 among weights 1 and 3.
        let (rpw, carry) = accrue(0, 0, 1_000, 4).unwrap().unwrap();
        assert_eq!((rpw, carry), (250 * SCALE, 0));
        assert_eq!(earned(1, rpw, 0), Ok(250));
        assert_eq!(earned(3, rpw, 0), Ok(750));
        // 10 among weight 3: 3.333…, the remainder carried.
        let (rpw, carry) = accrue(0, 0, 10, 3).unwrap().unwrap();
        assert_eq!(rpw, 33_333_333_333_333_333);
        assert_eq!(carry, 1);
        assert_eq!(earned(3, rpw, 0), Ok(9));
        // No weight: undistributed.
        assert_eq!(accrue(7, 0, 100, 0), Ok(None));
        // A checkpoint above the accumulator is a bug, not a payout.
        assert_eq!(earned(1, 1, 2), Err(MathError::Overflow));
    }

    proptest! {
        /// Several accruals over changing weights: everything earned ≤ everything accrued, and
        /// the shortfall is below one base unit per position per accrual (flooring) plus the
        /// carry still waiting in the accumulator (`carry / SCALE`, rounded up).
        #[test]
        fn earned_never_exceeds_accrued(
            steps in proptest::collection::vec(
                (0u64..1_000_000_000_000, proptest::collection::vec(0u128..1_000_000_000_000_000, 1..6)),
                1..12)
        ) {
            let mut rpw = 0u128;
            let mut carry = 0u128;
            let mut accrued = 0u128;
            let mut earned_total = 0u128;
            let mut positions = 0u128;
            for (delta, weights) in steps {
                let total: u128 = weights.iter().sum();
                let before = rpw;
                match accrue(rpw, carry, delta, total).unwrap() {
                    None => continue,
                    Some((r, c)) => { rpw = r; carry = c; }
                }
                accrued += u128::from(delta);
                for w in &weights {
                    earned_total += u128::from(earned(*w, rpw, before).unwrap());
                }
                positions += weights.len() as u128;
                prop_assert!(earned_total <= accrued);
            }
            prop_assert!(accrued - earned_total <= positions + carry.div_ceil(SCALE));
        }
    }
}
