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

/// How much of `streaming` (revenue waiting to be folded, last updated at `updated`, to be fully
/// released at `end`) is released at `now`: linearly in time, rounded down; everything once
/// `now ≥ end`. So revenue that arrives at once is shared by the weight present while it streams,
/// not by whoever was staked at the instant it arrived.
pub fn released(streaming: u64, updated: i64, end: i64, now: i64) -> u64 {
    if now >= end {
        return streaming;
    }
    let (elapsed, left) = (
        now.saturating_sub(updated).max(0),
        end.saturating_sub(updated).max(1),
    );
    let part = u128::from(streaming) * u128::from(elapsed.unsigned_abs())
        / u128::from(left.unsigned_abs());
    u64::try_from(part).unwrap_or(streaming).min(streaming)
}

/// The end of a stream after `arrived` joins a remainder `streaming` that ends at `end` (≥ `now`),
/// the new revenue alone ending at `full`: the amount-weighted mean of the two ends, rounded up,
/// so the amount × time still to stream is what the two streams owed apart. A dust arrival
/// barely moves the end: nobody can hold the remainder back by sending a unit again and again.
pub fn joined_end(streaming: u64, end: i64, arrived: u64, full: i64, now: i64) -> i64 {
    let total = u128::from(streaming) + u128::from(arrived);
    if total == 0 {
        return full;
    }
    let left = |at: i64| u128::from(at.saturating_sub(now).max(0).unsigned_abs());
    let weighted = u128::from(streaming) * left(end) + u128::from(arrived) * left(full);
    let mean = weighted.div_ceil(total);
    now.saturating_add(i64::try_from(mean).unwrap_or(i64::MAX))
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
        // Streaming: a day's 2,400, an hour in: 100; at the end or after: all; nothing at once.
        assert_eq!(released(2_400, 0, 86_400, 3_600), 100);
        assert_eq!(released(2_400, 0, 86_400, 86_400), 2_400);
        assert_eq!(released(2_400, 0, 86_400, 90_000), 2_400);
        assert_eq!(released(2_400, 0, 86_400, 0), 0);
        assert_eq!(released(u64::MAX, 0, 3, 1), u64::MAX / 3);
        // Joining streams: 2,300 with 23 h left and 2,400 arriving for a day: ends in 23.51 h.
        assert_eq!(joined_end(2_300, 82_800, 2_400, 86_400, 0), 84_639);
        // A unit of dust against 1,000,000 with an hour left moves the end by under a second.
        assert_eq!(joined_end(1_000_000, 3_600, 1, 86_400, 0), 3_601);
        assert_eq!(joined_end(0, 0, 500, 86_400, 0), 86_400);
        assert_eq!(joined_end(0, 0, 0, 10, 5), 10);
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

        /// Released in any number of steps, never more than what streams, and all of it by the
        /// end; each step releases no more than its share of the time left.
        #[test]
        fn a_stream_releases_everything_by_its_end_and_never_more(
            amount: u64,
            length in 1i64..10_000_000,
            steps in proptest::collection::vec(0i64..2_000_000, 0..20),
        ) {
            let (mut left, mut updated) = (amount, 0i64);
            for step in steps {
                let now = updated + step;
                let r = released(left, updated, length, now);
                prop_assert!(r <= left);
                if now < length {
                    let share = u128::from(left) * u128::try_from(now - updated).unwrap()
                        / u128::try_from(length - updated).unwrap();
                    prop_assert_eq!(u128::from(r), share);
                }
                left -= r;
                updated = now;
            }
            prop_assert_eq!(released(left, updated, length, length.max(updated)), left);
        }
    }
}
