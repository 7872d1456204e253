//! Lockup multiplier, revenue weight and voting weight.
//!
//! `multiplier_bps = 10,000 + (max_multiplier_bps − 10,000) × min(remaining, max_lockup) /
//! max_lockup` (floor), so 1x with nothing left to lock and `max_multiplier_bps` at the longest
//! lockup, linear in between.
//!
//! **Revenue weight** (one per position, summed per owner and in total): `amount ×
//! multiplier_bps`, kept unscaled so that it is exactly additive: splitting a stake into
//! positions with the same lock changes no sum. It is linear in both voting modes.
//!
//! **Voting weight** (one per owner, over all of the owner's positions, [`Tally`]):
//! - linear: `Σ amount × multiplier_bps / 10,000` (one floor, at the end);
//! - quadratic: `isqrt(Σ amount × multiplier_bps²) / 10,000`: each locked token with multiplier
//!   `m` is worth `m²` voice credits and the owner's weight is the root of its credits. For one
//!   position this is `m × sqrt(amount)`: the lockup keeps its full effect (twice the
//!   multiplier, twice the weight, as in linear mode) while the tokens are damped. Both sums
//!   are over the owner's total, so any split of the same tokens and locks gives the same
//!   weight to the unit, and adding a position never lowers it (leaving one out cannot help).
//!
//! Every step rounds down: a staker never gets more weight than the formula gives.

use depin_common::bps;

use super::MathError;

/// How the locked amount enters the weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Linear,
    Quadratic,
}

/// The lockup multiplier for `remaining_secs` of lock left, in basis points.
/// `max_lockup_secs = 0` or `max_multiplier_bps < 1x` are refused (`Overflow`): the config
/// invariant excludes both.
pub fn multiplier_bps(
    remaining_secs: u64,
    max_lockup_secs: u64,
    max_multiplier_bps: u32,
) -> Result<u32, MathError> {
    if max_lockup_secs == 0 {
        return Err(MathError::Overflow);
    }
    let bonus = max_multiplier_bps
        .checked_sub(bps::ONE)
        .ok_or(MathError::Overflow)?;
    let remaining = remaining_secs.min(max_lockup_secs);
    // u64 is enough (bonus < 2^20, remaining < 2^34 for any lockup the config allows) and far
    // cheaper on SBF than u128 division; `checked_mul` still refuses anything larger.
    let extra = u64::from(bonus)
        .checked_mul(remaining)
        .ok_or(MathError::Overflow)?
        / max_lockup_secs;
    let extra = u32::try_from(extra).map_err(|_| MathError::Overflow)?;
    bps::ONE.checked_add(extra).ok_or(MathError::Overflow)
}

/// The integer square root of a u128: the largest `r` with `r × r ≤ n`.
pub fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = n;
    let mut y = n / 2 + n % 2;
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

/// A position's revenue weight: `amount × multiplier_bps`, exact (it cannot overflow a u128).
pub fn revenue_weight(amount: u64, multiplier_bps: u32) -> u128 {
    u128::from(amount) * u128::from(multiplier_bps)
}

/// The running sums an owner's voting weight is computed from: add every position once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// `Σ amount × multiplier_bps`.
    pub linear: u128,
    /// `Σ amount × multiplier_bps²`.
    pub quadratic: u128,
}

impl Tally {
    /// Adds a position of `amount` locked with `multiplier_bps`.
    pub fn add(self, amount: u64, multiplier_bps: u32) -> Result<Self, MathError> {
        let linear = revenue_weight(amount, multiplier_bps);
        let quadratic = linear
            .checked_mul(u128::from(multiplier_bps))
            .ok_or(MathError::Overflow)?;
        Ok(Self {
            linear: self.linear.checked_add(linear).ok_or(MathError::Overflow)?,
            quadratic: self
                .quadratic
                .checked_add(quadratic)
                .ok_or(MathError::Overflow)?,
        })
    }

    /// The voting weight of everything added, in `mode`.
    pub fn weight(&self, mode: Mode) -> Result<u64, MathError> {
        let scaled = match mode {
            Mode::Linear => self.linear,
            Mode::Quadratic => isqrt(self.quadratic),
        };
        u64::try_from(scaled / u128::from(bps::ONE)).map_err(|_| MathError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FOUR_YEARS: u64 = 4 * 365 * 86_400;

    fn vote(positions: &[(u64, u32)], mode: Mode) -> u64 {
        positions
            .iter()
            .try_fold(Tally::default(), |t, (a, m)| t.add(*a, *m))
            .unwrap()
            .weight(mode)
            .unwrap()
    }

    #[test]
    fn multiplier_at_zero_max_and_midpoints() {
        assert_eq!(multiplier_bps(0, FOUR_YEARS, 1_000_000), Ok(10_000));
        assert_eq!(
            multiplier_bps(FOUR_YEARS, FOUR_YEARS, 1_000_000),
            Ok(1_000_000)
        );
        assert_eq!(
            multiplier_bps(FOUR_YEARS * 2, FOUR_YEARS, 1_000_000),
            Ok(1_000_000)
        );
        assert_eq!(
            multiplier_bps(FOUR_YEARS / 2, FOUR_YEARS, 1_000_000),
            Ok(505_000)
        );
        assert_eq!(
            multiplier_bps(FOUR_YEARS / 4, FOUR_YEARS, 40_000),
            Ok(17_500)
        );
        assert_eq!(multiplier_bps(1, FOUR_YEARS, 1_000_000), Ok(10_000));
        assert_eq!(multiplier_bps(FOUR_YEARS, FOUR_YEARS, 10_000), Ok(10_000));
        assert_eq!(multiplier_bps(5, 0, 20_000), Err(MathError::Overflow));
        assert_eq!(multiplier_bps(5, 10, 9_999), Err(MathError::Overflow));
    }

    #[test]
    fn weights() {
        assert_eq!(revenue_weight(1_000, 505_000), 505_000_000);
        assert_eq!(vote(&[(1_000, 505_000)], Mode::Linear), 50_500);
        // One position: m x sqrt(amount), 1.75 x 1,000.
        assert_eq!(vote(&[(1_000_000, 17_500)], Mode::Quadratic), 1_750);
        assert_eq!(vote(&[(999_999, 10_000)], Mode::Quadratic), 999);
        assert_eq!(vote(&[(3, 15_000)], Mode::Linear), 4); // 4.5 floors
        // Splitting 1,000,000 into 100 positions of 10,000 at 1x: still 1,000 (it was 10,000
        // when each position took its own root).
        assert_eq!(vote(&[(10_000, 10_000); 100], Mode::Quadratic), 1_000);
        assert_eq!(vote(&[(1_000_000, 10_000)], Mode::Quadratic), 1_000);
        // Two locks: sqrt(100 x 1² + 300 x 3²) = sqrt(2,800) = 52.9.
        assert_eq!(vote(&[(100, 10_000), (300, 30_000)], Mode::Quadratic), 52);
        assert_eq!(vote(&[(u64::MAX, 10_000)], Mode::Linear), u64::MAX);
        // A weight above u64 (the voter-weight record's type) is refused, not wrapped.
        let huge = Tally::default().add(u64::MAX, 1_000_000).unwrap();
        assert_eq!(huge.weight(Mode::Linear), Err(MathError::Overflow));
        assert_eq!(huge.weight(Mode::Quadratic), Ok(429_496_729_599));
        assert_eq!(
            Tally::default()
                .add(u64::MAX, u32::MAX)
                .and_then(|t| t.add(u64::MAX, u32::MAX)),
            Err(MathError::Overflow)
        );
    }

    #[test]
    fn isqrt_exact() {
        for (n, r) in [
            (0, 0),
            (1, 1),
            (2, 1),
            (3, 1),
            (4, 2),
            (15, 3),
            (16, 4),
            (99, 9),
        ] {
            assert_eq!(isqrt(n), r);
        }
        assert_eq!(isqrt(u128::from(u64::MAX)), 4_294_967_295);
        assert_eq!(isqrt(u128::MAX), u128::from(u64::MAX));
        assert_eq!(isqrt(1_000_000_000_000), 1_000_000);
    }

    proptest! {
        #[test]
        fn isqrt_is_the_floor_root(n: u128) {
            let r = isqrt(n);
            prop_assert!(r.checked_mul(r).is_some_and(|sq| sq <= n));
            prop_assert!((r + 1).checked_mul(r + 1).is_none_or(|sq| sq > n));
        }

        /// Any split of the same tokens under the same lock gives the same voting weight and
        /// the same revenue weight, in both modes, to the unit.
        #[test]
        fn splitting_changes_nothing(
            amounts in proptest::collection::vec(0u64..=1_000_000_000_000_000, 1..40),
            cuts in proptest::collection::vec(any::<u64>(), 0..40),
            m in 10_000u32..=1_000_000,
        ) {
            let whole: Vec<(u64, u32)> = amounts.iter().map(|a| (*a, m)).collect();
            let mut split = Vec::new();
            for (i, a) in amounts.iter().enumerate() {
                let cut = cuts.get(i).map_or(0, |c| c % (a + 1));
                split.push((cut, m));
                split.push((a - cut, m));
            }
            for mode in [Mode::Linear, Mode::Quadratic] {
                prop_assert_eq!(vote(&whole, mode), vote(&split, mode));
            }
            let revenue = |ps: &[(u64, u32)]| ps.iter().map(|(a, m)| revenue_weight(*a, *m)).sum::<u128>();
            prop_assert_eq!(revenue(&whole), revenue(&split));
        }

        /// Adding a position never lowers the voting weight: leaving one out cannot help.
        #[test]
        fn more_positions_never_weigh_less(
            positions in proptest::collection::vec((0u64..=1_000_000_000_000_000, 10_000u32..=1_000_000), 1..20),
            extra in (0u64..=1_000_000_000_000_000, 10_000u32..=1_000_000),
        ) {
            let mut more = positions.clone();
            more.push(extra);
            for mode in [Mode::Linear, Mode::Quadratic] {
                prop_assert!(vote(&more, mode) >= vote(&positions, mode));
            }
        }

        #[test]
        fn bounded_and_monotone(
            amount in 0u64..=u64::MAX / 100,
            a in 0u64..=2 * FOUR_YEARS,
            b in 0u64..=2 * FOUR_YEARS,
            max_lockup in 1u64..=10 * 365 * 86_400,
            max_mult in 10_000u32..=1_000_000,
            quadratic: bool,
        ) {
            let mode = if quadratic { Mode::Quadratic } else { Mode::Linear };
            let (lo, hi) = (a.min(b), a.max(b));
            let m_lo = multiplier_bps(lo, max_lockup, max_mult).unwrap();
            let m_hi = multiplier_bps(hi, max_lockup, max_mult).unwrap();
            prop_assert!((bps::ONE..=max_mult).contains(&m_lo));
            prop_assert!(m_lo <= m_hi && m_hi <= max_mult);
            let w_lo = vote(&[(amount, m_lo)], mode);
            let w_hi = vote(&[(amount, m_hi)], mode);
            prop_assert!(w_lo <= w_hi);
            prop_assert!(u128::from(w_hi) <= u128::from(amount) * u128::from(max_mult) / 10_000);
            prop_assert!(w_lo >= vote(&[(amount, bps::ONE)], mode));
            prop_assert!(revenue_weight(amount, m_lo) <= revenue_weight(amount, m_hi));
        }

        #[test]
        fn linear_weight_is_the_plain_floor(amount in 0u64..=u64::MAX / 100, m in 0u32..=1_000_000) {
            let plain = u128::from(amount) * u128::from(m) / 10_000;
            prop_assert_eq!(u128::from(vote(&[(amount, m)], Mode::Linear)), plain);
        }

        #[test]
        fn exact_at_ends_and_eighths(max_lockup in 1u64..=1_000_000u64, max_mult in 10_000u32..=1_000_000, k in 0u64..=8) {
            let lockup = max_lockup * 8; // divisible by 8
            let m = multiplier_bps(lockup * k / 8, lockup, max_mult).unwrap();
            let expect = 10_000 + u64::from(max_mult - 10_000) * k / 8;
            prop_assert_eq!(u64::from(m), expect);
        }
    }
}
