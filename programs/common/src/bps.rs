//! Basis points: 10,000 bps = 100 % = 1x.
//!
//! Every share (a revenue split, a slash, a challenger's reward), every fee bound and every
//! multiplier (a lockup bonus, a confidence multiple) of the protocol is a [`Bps`], and every
//! `amount × bps / 10,000` the programs compute is one of its methods, so the rounding is decided
//! once: [`Bps::apply`] rounds down (against whoever receives the result), [`Bps::apply_ceil_wide`]
//! rounds up (for a deduction that must not fall short).
//!
//! The products are exact: `amount = q × 10,000 + r`, so `amount × bps / 10,000 = q × bps +
//! r × bps / 10,000`, where `q × bps` is a u64 × u32 product in a u128 (below 2^83) and `r × bps`
//! fits a u64 (below 2^46). No u128 division is needed: on SBF that is a slow libcall.

/// Basis points in one whole: 10,000 bps = 100 % (a share) = 1x (a multiplier).
pub const ONE: u32 = 10_000;

/// A non-negative ratio in basis points: a share of a whole (at most [`ONE`]) or a multiplier
/// (above it). Build a share with [`Bps::share`], which checks the bound; any ratio with
/// [`Bps::new`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bps(u32);

impl Bps {
    /// 0 %.
    pub const ZERO: Self = Self(0);
    /// 100 %, or 1x.
    pub const ONE: Self = Self(ONE);

    /// Any ratio, `bps / 10,000`: a share or a multiplier.
    pub const fn new(bps: u32) -> Self {
        Self(bps)
    }

    /// A share of a whole: `None` above 10,000 (more than 100 %).
    pub fn share(bps: u16) -> Option<Self> {
        let bps = u32::from(bps);
        (bps <= ONE).then_some(Self(bps))
    }

    /// The raw value in basis points.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Whether this is a share (at most 100 %).
    pub const fn is_share(self) -> bool {
        self.0 <= ONE
    }

    /// `1 − self`: what a share leaves of the whole (zero for 1x and above).
    pub const fn complement(self) -> Self {
        Self(ONE.saturating_sub(self.0))
    }

    /// `floor(amount × self / 10,000)`, exactly, in a u128. Cannot overflow: the result is below
    /// 2^83.
    #[inline]
    pub fn apply_wide(self, amount: u64) -> u128 {
        let (high, low) = self.split(amount);
        high + u128::from(low / u64::from(ONE))
    }

    /// `floor(amount × self / 10,000)`: rounds down, so whoever receives the result never gets
    /// more than its exact value. `None` when the result does not fit a u64, which only a
    /// multiplier above 1x can cause: a share's result is at most `amount`.
    #[inline]
    pub fn apply(self, amount: u64) -> Option<u64> {
        u64::try_from(self.apply_wide(amount)).ok()
    }

    /// `ceil(amount × self / 10,000)`, exactly, in a u128: rounds up, for a deduction that must
    /// never fall short of its exact value. Cannot overflow.
    #[inline]
    pub fn apply_ceil_wide(self, amount: u64) -> u128 {
        let (high, low) = self.split(amount);
        high + u128::from(low.div_ceil(u64::from(ONE)))
    }

    /// Whether `part / whole` is at most this ratio, compared exactly (cross-multiplied, no
    /// rounding). A `whole` of zero admits only a `part` of zero.
    #[inline]
    pub fn admits(self, part: u64, whole: u64) -> bool {
        u128::from(part) * u128::from(ONE) <= u128::from(self.0) * u128::from(whole)
    }

    /// `amount × self = high × 10,000 + low`, with `high = q × self` (q = amount / 10,000, so
    /// high < 2^83) and `low = r × self` (r = amount % 10,000, so low < 2^46).
    #[inline]
    fn split(self, amount: u64) -> (u128, u64) {
        let one = u64::from(ONE);
        let m = u64::from(self.0);
        (u128::from(amount / one) * u128::from(m), (amount % one) * m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact(amount: u64, bps: u32) -> u128 {
        u128::from(amount) * u128::from(bps)
    }

    #[test]
    fn shares_are_bounded() {
        assert_eq!(Bps::share(10_000), Some(Bps::ONE));
        assert_eq!(Bps::share(10_001), None);
        assert_eq!(Bps::share(u16::MAX), None);
        assert!(Bps::share(0).is_some_and(Bps::is_share));
        assert!(!Bps::new(10_001).is_share());
    }

    #[test]
    fn exact_values() {
        assert_eq!(Bps::new(2_500).apply(1_000), Some(250));
        assert_eq!(Bps::new(3_333).apply(10), Some(3));
        assert_eq!(Bps::new(3_333).apply(100), Some(33));
        assert_eq!(Bps::new(1).apply(9_999), Some(0));
        assert_eq!(Bps::new(1).apply(10_000), Some(1));
        assert_eq!(Bps::ONE.apply(u64::MAX), Some(u64::MAX));
        assert_eq!(Bps::ZERO.apply(u64::MAX), Some(0));
        // 1.5x of the largest amount does not fit a u64, but does fit the wide result.
        assert_eq!(Bps::new(15_000).apply(u64::MAX), None);
        assert_eq!(
            Bps::new(15_000).apply_wide(u64::MAX),
            exact(u64::MAX, 15_000) / 10_000
        );
        // Rounding up: 1 × 1.5 = 1.5 -> 2; exact results are not rounded.
        assert_eq!(Bps::new(15_000).apply_ceil_wide(1), 2);
        assert_eq!(Bps::new(20_000).apply_ceil_wide(7), 14);
        assert_eq!(Bps::new(u32::MAX).apply_ceil_wide(u64::MAX), {
            exact(u64::MAX, u32::MAX).div_ceil(10_000)
        });
    }

    #[test]
    fn complement_and_admits() {
        assert_eq!(Bps::new(2_000).complement(), Bps::new(8_000));
        assert_eq!(Bps::ONE.complement(), Bps::ZERO);
        assert_eq!(Bps::new(30_000).complement(), Bps::ZERO);
        // 1 % of 50,000,000 against a 0.99 % bound: refused; against exactly 1 %: admitted.
        assert!(!Bps::new(99).admits(500_000, 50_000_000));
        assert!(Bps::new(100).admits(500_000, 50_000_000));
        assert!(Bps::ZERO.admits(0, 0));
        assert!(!Bps::ONE.admits(1, 0));
    }

    proptest! {
        #[test]
        fn apply_is_the_exact_floor(amount: u64, bps: u32) {
            let wide = Bps::new(bps).apply_wide(amount);
            prop_assert_eq!(wide, exact(amount, bps) / 10_000);
            prop_assert_eq!(Bps::new(bps).apply(amount), u64::try_from(wide).ok());
        }

        #[test]
        fn apply_ceil_is_the_exact_ceiling(amount: u64, bps: u32) {
            prop_assert_eq!(
                Bps::new(bps).apply_ceil_wide(amount),
                exact(amount, bps).div_ceil(10_000)
            );
        }

        #[test]
        fn a_share_never_exceeds_the_amount(amount: u64, bps in 0u16..=10_000) {
            let share = Bps::share(bps).unwrap();
            let v = share.apply(amount).unwrap();
            prop_assert!(v <= amount);
            // Floor: v × 10,000 <= amount × bps < (v + 1) × 10,000.
            prop_assert!(u128::from(v) * 10_000 <= exact(amount, u32::from(bps)));
            prop_assert!(exact(amount, u32::from(bps)) < (u128::from(v) + 1) * 10_000);
        }

        #[test]
        fn admits_is_the_exact_comparison(part: u64, whole: u64, bps: u32) {
            let admitted = Bps::new(bps).admits(part, whole);
            prop_assert_eq!(admitted, exact(part, 10_000) <= exact(whole, bps));
        }
    }
}
