//! Lockup multiplier and voting weight.
//!
//! `multiplier_bps = 10,000 + (max_multiplier_bps − 10,000) × min(remaining, max_lockup) /
//! max_lockup` (floor), so 1x with nothing left to lock and `max_multiplier_bps` at the longest
//! lockup, linear in between. Then
//! - linear: `weight = amount × multiplier_bps / 10,000` (floor);
//! - quadratic: `weight = isqrt(amount) × multiplier_bps / 10,000` (floor).
//!
//! Every step rounds down: a staker never gets more weight than the formula gives. The
//! multiplier is a [`Bps`] above 1x; applying it is `depin_common::bps`'s exact floor.

use depin_common::bps::{self, Bps};

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

/// The integer square root: the largest `r` with `r × r ≤ n`.
pub fn isqrt(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    // Newton's method from above (n / 2 + n % 2 >= sqrt(n) for n >= 2); it decreases strictly
    // until it reaches the floor root.
    let n = u128::from(n);
    let mut x = n;
    let mut y = n / 2 + n % 2;
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    u64::try_from(x).unwrap_or(u64::MAX) // x <= n, which fits
}

/// The voting weight of `amount` locked with `multiplier_bps`: `floor(base × multiplier)`,
/// exact in a u128 (it cannot overflow; the `Result` keeps the math module's one error shape).
pub fn weight(amount: u64, multiplier_bps: u32, mode: Mode) -> Result<u128, MathError> {
    let base = match mode {
        Mode::Linear => amount,
        Mode::Quadratic => isqrt(amount),
    };
    Ok(Bps::new(multiplier_bps).apply_wide(base))
}

/// The largest weight `amount` can ever have: at the maximum multiplier.
pub fn max_weight(amount: u64, max_multiplier_bps: u32, mode: Mode) -> Result<u128, MathError> {
    weight(amount, max_multiplier_bps, mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FOUR_YEARS: u64 = 4 * 365 * 86_400;

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
        // Half: 1x + 99x / 2 = 50.5x.
        assert_eq!(
            multiplier_bps(FOUR_YEARS / 2, FOUR_YEARS, 1_000_000),
            Ok(505_000)
        );
        // A quarter of 4x: 1x + 3x / 4 = 1.75x.
        assert_eq!(
            multiplier_bps(FOUR_YEARS / 4, FOUR_YEARS, 40_000),
            Ok(17_500)
        );
        // One second of 4 years at 100x: 990,000 / 126,144,000 floors to 0.
        assert_eq!(multiplier_bps(1, FOUR_YEARS, 1_000_000), Ok(10_000));
        // 1x maximum: always 1x.
        assert_eq!(multiplier_bps(FOUR_YEARS, FOUR_YEARS, 10_000), Ok(10_000));
        assert_eq!(multiplier_bps(5, 0, 20_000), Err(MathError::Overflow));
        assert_eq!(multiplier_bps(5, 10, 9_999), Err(MathError::Overflow));
    }

    #[test]
    fn weights() {
        assert_eq!(weight(1_000, 505_000, Mode::Linear), Ok(50_500));
        assert_eq!(weight(1_000_000, 17_500, Mode::Quadratic), Ok(1_750));
        assert_eq!(weight(999_999, 10_000, Mode::Quadratic), Ok(999));
        assert_eq!(weight(3, 15_000, Mode::Linear), Ok(4)); // 4.5 floors
        assert_eq!(
            weight(u64::MAX, 1_000_000, Mode::Linear),
            Ok(u128::from(u64::MAX) * 100)
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
        assert_eq!(isqrt(u64::MAX), 4_294_967_295);
        assert_eq!(isqrt(1_000_000_000_000), 1_000_000);
    }

    proptest! {
        #[test]
        fn isqrt_is_the_floor_root(n: u64) {
            let r = u128::from(isqrt(n));
            prop_assert!(r * r <= u128::from(n));
            prop_assert!((r + 1) * (r + 1) > u128::from(n));
        }

        /// Weight never exceeds amount × the maximum multiplier, and grows with the lock.
        #[test]
        fn bounded_and_monotone(
            amount: u64,
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
            let w_lo = weight(amount, m_lo, mode).unwrap();
            let w_hi = weight(amount, m_hi, mode).unwrap();
            prop_assert!(w_lo <= w_hi);
            prop_assert!(w_hi <= u128::from(amount) * u128::from(max_mult) / 10_000);
            prop_assert!(w_hi <= max_weight(amount, max_mult, mode).unwrap());
            // At least the 1x weight.
            prop_assert!(w_lo >= weight(amount, bps::ONE, mode).unwrap());
        }

        /// The split computation equals the plain u128 formula.
        #[test]
        fn weight_is_the_plain_floor(amount: u64, m in 0u32..=u32::MAX) {
            let plain = u128::from(amount) * u128::from(m) / 10_000;
            prop_assert_eq!(weight(amount, m, Mode::Linear).unwrap(), plain);
        }

        /// Exact at the ends and at every midpoint `k / 8` of the maximum lockup.
        #[test]
        fn exact_at_ends_and_eighths(max_lockup in 1u64..=1_000_000u64, max_mult in 10_000u32..=1_000_000, k in 0u64..=8) {
            let lockup = max_lockup * 8; // divisible by 8
            let m = multiplier_bps(lockup * k / 8, lockup, max_mult).unwrap();
            let expect = 10_000 + u64::from(max_mult - 10_000) * k / 8;
            prop_assert_eq!(u64::from(m), expect);
        }
    }
}
