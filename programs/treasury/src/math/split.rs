//! The exact revenue split, in basis points (`depin_common::bps`).

use depin_common::bps::{self, Bps};

/// The amounts one payment is split into. They always add up to the payment exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitAmounts {
    pub buyback: u64,
    pub stakers: u64,
    pub operations: u64,
}

/// How revenue is divided. The three shares add up to exactly 10,000 basis points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevenueSplit {
    buyback: Bps,
    stakers: Bps,
    operations: Bps,
}

impl RevenueSplit {
    /// `None` unless each share is at most 10,000 and together they are exactly 10,000.
    pub fn new(buyback_bps: u16, stakers_bps: u16, operations_bps: u16) -> Option<Self> {
        let split = Self {
            buyback: Bps::share(buyback_bps)?,
            stakers: Bps::share(stakers_bps)?,
            operations: Bps::share(operations_bps)?,
        };
        let total = u32::from(buyback_bps) + u32::from(stakers_bps) + u32::from(operations_bps);
        (total == bps::ONE).then_some(split)
    }

    pub fn buyback(&self) -> Bps {
        self.buyback
    }

    pub fn stakers(&self) -> Bps {
        self.stakers
    }

    pub fn operations(&self) -> Bps {
        self.operations
    }

    /// Splits `amount`. Stakers and operations get their floored share; the rounding dust (at
    /// most 2 base units) goes to buyback, so no unit is ever lost or created. `None` never
    /// happens for a split built by [`RevenueSplit::new`] (each share is at most the amount, and
    /// together at most the amount); it is refused rather than assumed.
    pub fn split(&self, amount: u64) -> Option<SplitAmounts> {
        let stakers = self.stakers.apply(amount)?;
        let operations = self.operations.apply(amount)?;
        // stakers + operations <= amount * (stakers_bps + operations_bps) / 10,000 <= amount.
        let buyback = amount.checked_sub(stakers)?.checked_sub(operations)?;
        Some(SplitAmounts {
            buyback,
            stakers,
            operations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn split_must_sum_to_10000() {
        assert!(RevenueSplit::new(6_000, 3_000, 1_000).is_some());
        assert!(RevenueSplit::new(6_000, 3_000, 999).is_none());
        assert!(RevenueSplit::new(6_000, 3_000, 1_001).is_none());
        assert!(RevenueSplit::new(10_000, 0, 0).is_some());
        assert!(RevenueSplit::new(10_001, 0, 0).is_none());
        // Each share is checked on its own, so wrapping sums cannot sneak through.
        assert!(RevenueSplit::new(u16::MAX, 0, 0).is_none());
    }

    #[test]
    fn split_gives_dust_to_buyback() {
        let split = RevenueSplit::new(3_334, 3_333, 3_333).unwrap();
        // 100 * 0.3333 = 33.33 -> 33 each for stakers and operations; buyback takes 34.
        assert_eq!(
            split.split(100),
            Some(SplitAmounts {
                buyback: 34,
                stakers: 33,
                operations: 33
            })
        );
        assert_eq!(
            split.split(1),
            Some(SplitAmounts {
                buyback: 1,
                stakers: 0,
                operations: 0
            })
        );
        assert_eq!(
            RevenueSplit::new(6_000, 3_000, 1_000)
                .unwrap()
                .split(1_000_000_007),
            Some(SplitAmounts {
                buyback: 600_000_005,
                stakers: 300_000_002,
                operations: 100_000_000
            })
        );
    }

    fn any_split() -> impl Strategy<Value = RevenueSplit> {
        (0u16..=10_000)
            .prop_flat_map(|b| (Just(b), 0u16..=(10_000 - b)))
            .prop_map(|(b, s)| RevenueSplit::new(b, s, 10_000 - b - s).unwrap())
    }

    proptest! {
        #[test]
        fn split_conserves_every_unit(split in any_split(), amount in any::<u64>()) {
            let out = split.split(amount).unwrap();
            let total = u128::from(out.buyback) + u128::from(out.stakers) + u128::from(out.operations);
            prop_assert_eq!(total, u128::from(amount));
        }

        #[test]
        fn only_buyback_rounds_up(split in any_split(), amount in any::<u64>()) {
            let out = split.split(amount).unwrap();
            let exact = |bps: Bps| u128::from(amount) * u128::from(bps.get());
            // stakers and operations never get more than their exact share...
            prop_assert!(u128::from(out.stakers) * 10_000 <= exact(split.stakers()));
            prop_assert!(u128::from(out.operations) * 10_000 <= exact(split.operations()));
            // ...and each loses less than one unit, so buyback's dust is at most 2 units.
            prop_assert!(exact(split.stakers()) - u128::from(out.stakers) * 10_000 < 10_000);
            prop_assert!(exact(split.operations()) - u128::from(out.operations) * 10_000 < 10_000);
            prop_assert!(u128::from(out.buyback) * 10_000 >= exact(split.buyback()));
            prop_assert!(u128::from(out.buyback) * 10_000 - exact(split.buyback()) < 20_000);
        }
    }
}
