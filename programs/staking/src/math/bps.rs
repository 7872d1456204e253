//! Basis points: 10,000 = 100%.

use super::MathError;

/// Basis points in a whole.
pub const MAX_BPS: u16 = 10_000;

/// A fraction in basis points (at most 10,000).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bps(u16);

impl Bps {
    /// `None` above 10,000.
    pub fn new(bps: u16) -> Option<Self> {
        (bps <= MAX_BPS).then_some(Self(bps))
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// `amount × bps / 10,000`, rounded down (never more than `amount`).
    pub fn apply(self, amount: u64) -> Result<u64, MathError> {
        let v = u128::from(amount) * u128::from(self.0) / u128::from(MAX_BPS);
        u64::try_from(v).map_err(|_| MathError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exact_values() {
        assert_eq!(Bps::new(10_001), None);
        assert_eq!(Bps::new(2_500).unwrap().apply(1_000), Ok(250));
        assert_eq!(Bps::new(3_333).unwrap().apply(10), Ok(3));
        assert_eq!(Bps::new(10_000).unwrap().apply(u64::MAX), Ok(u64::MAX));
        assert_eq!(Bps::new(0).unwrap().apply(u64::MAX), Ok(0));
    }

    proptest! {
        #[test]
        fn never_more_than_the_amount(amount: u64, bps in 0u16..=10_000) {
            let v = Bps::new(bps).unwrap().apply(amount).unwrap();
            prop_assert!(v <= amount);
            // Floor: v × 10,000 ≤ amount × bps < (v + 1) × 10,000.
            let exact = u128::from(amount) * u128::from(bps);
            prop_assert!(u128::from(v) * 10_000 <= exact);
            prop_assert!(exact < (u128::from(v) + 1) * 10_000);
        }
    }
}
