//! The emission schedule: how much the network mints for rewards in each epoch.
//!
//! ```text
//! epoch e covers [start_ts + e*epoch_secs, start_ts + (e+1)*epoch_secs)
//! emission(e)   = initial_epoch_emission >> (e / halving_interval_epochs)
//! cumulative(n) = emission(0) + ... + emission(n-1)          (closed form below)
//! lifetime      = cumulative(infinity) = halving_interval_epochs * sum_k (initial >> k)
//! ```
//!
//! Everything is integer: each epoch's amount is an exact shift, so the closed form and the
//! epoch-by-epoch sum are the same number (no rounding drift), and after 64 halvings emission is
//! zero. A schedule is only valid if its `lifetime` fits within the token's max supply, so no
//! epoch sequence can ever exceed it.
//!
//! Time: this chain cannot divide signed 64-bit integers (ARCHITECTURE.md, "The SBF build"), so
//! elapsed time is made unsigned before it is divided.

/// Why a schedule or a computation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmissionError {
    /// `epoch_secs` or `halving_interval_epochs` is zero.
    ZeroDuration,
    /// `initial_epoch_emission` is zero: the network would never emit.
    ZeroEmission,
    /// The lifetime emission exceeds the max supply (or u64).
    ExceedsMaxSupply,
}

/// The emission parameters, fixed when the network is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmissionSchedule {
    /// Unix time at which epoch 0 starts.
    pub start_ts: i64,
    /// Length of an epoch, in seconds (> 0).
    pub epoch_secs: u64,
    /// Emission of each epoch before the first halving, in base units (> 0).
    pub initial_epoch_emission: u64,
    /// Emission halves every this many epochs (> 0).
    pub halving_interval_epochs: u64,
}

/// After this many halvings any u64 emission is zero.
const MAX_HALVINGS: u64 = 64;

impl EmissionSchedule {
    /// Checks the parameters against the token's `max_supply`.
    pub fn validate(&self, max_supply: u64) -> Result<(), EmissionError> {
        if self.epoch_secs == 0 || self.halving_interval_epochs == 0 {
            return Err(EmissionError::ZeroDuration);
        }
        if self.initial_epoch_emission == 0 {
            return Err(EmissionError::ZeroEmission);
        }
        if self.lifetime_emission()? > max_supply {
            return Err(EmissionError::ExceedsMaxSupply);
        }
        Ok(())
    }

    /// The epoch that contains `now`, or `None` before `start_ts`.
    pub fn epoch_at(&self, now: i64) -> Option<u64> {
        let elapsed = u64::try_from(now.checked_sub(self.start_ts)?).ok()?;
        elapsed.checked_div(self.epoch_secs)
    }

    /// Unix time at which `epoch` starts (`None` if it does not fit in i64).
    pub fn epoch_start(&self, epoch: u64) -> Option<i64> {
        let offset = i64::try_from(u128::from(epoch) * u128::from(self.epoch_secs)).ok()?;
        self.start_ts.checked_add(offset)
    }

    /// Emission of one epoch.
    pub fn epoch_emission(&self, epoch: u64) -> u64 {
        match epoch.checked_div(self.halving_interval_epochs) {
            Some(halvings) if halvings < MAX_HALVINGS => self.initial_epoch_emission >> halvings,
            _ => 0,
        }
    }

    /// Total emission of epochs `0..epochs`, in closed form. Never exceeds
    /// [`lifetime_emission`](Self::lifetime_emission).
    pub fn cumulative_emission(&self, epochs: u64) -> Result<u64, EmissionError> {
        let interval = self.halving_interval_epochs;
        let full_periods = epochs
            .checked_div(interval)
            .ok_or(EmissionError::ZeroDuration)?;
        let partial = epochs % interval;
        let periods = full_periods.min(MAX_HALVINGS);
        // Each product of two u64 fits in u128; the sum is checked.
        let mut total: u128 = 0;
        for k in 0..periods {
            let period = u128::from(interval) * u128::from(self.initial_epoch_emission >> k);
            total = total
                .checked_add(period)
                .ok_or(EmissionError::ExceedsMaxSupply)?;
        }
        if full_periods < MAX_HALVINGS {
            let rest =
                u128::from(partial) * u128::from(self.initial_epoch_emission >> full_periods);
            total = total
                .checked_add(rest)
                .ok_or(EmissionError::ExceedsMaxSupply)?;
        }
        u64::try_from(total).map_err(|_| EmissionError::ExceedsMaxSupply)
    }

    /// Everything the schedule will ever emit.
    pub fn lifetime_emission(&self) -> Result<u64, EmissionError> {
        let interval = self
            .halving_interval_epochs
            .checked_mul(MAX_HALVINGS)
            .ok_or(EmissionError::ExceedsMaxSupply)?;
        self.cumulative_emission(interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: u64 = 86_400;

    fn schedule() -> EmissionSchedule {
        EmissionSchedule {
            start_ts: 1_700_000_000,
            epoch_secs: DAY,
            initial_epoch_emission: 1_000_000,
            halving_interval_epochs: 365,
        }
    }

    #[test]
    fn epochs_of_time() {
        let s = schedule();
        assert_eq!(s.epoch_at(1_699_999_999), None);
        assert_eq!(s.epoch_at(1_700_000_000), Some(0));
        assert_eq!(s.epoch_at(1_700_086_399), Some(0));
        assert_eq!(s.epoch_at(1_700_086_400), Some(1));
        assert_eq!(s.epoch_at(i64::MIN), None);
        assert_eq!(s.epoch_start(2), Some(1_700_172_800));
        assert_eq!(s.epoch_start(u64::MAX), None);
    }

    #[test]
    fn halves_on_schedule() {
        let s = schedule();
        assert_eq!(s.epoch_emission(0), 1_000_000);
        assert_eq!(s.epoch_emission(364), 1_000_000);
        assert_eq!(s.epoch_emission(365), 500_000);
        assert_eq!(s.epoch_emission(730), 250_000);
        assert_eq!(s.epoch_emission(365 * 20), 0); // 1_000_000 >> 20
        assert_eq!(s.epoch_emission(u64::MAX), 0);
    }

    #[test]
    fn exact_totals() {
        let s = schedule();
        assert_eq!(s.cumulative_emission(0), Ok(0));
        assert_eq!(s.cumulative_emission(1), Ok(1_000_000));
        assert_eq!(s.cumulative_emission(366), Ok(365_000_000 + 500_000));
        // 365 * (1e6 + 5e5 + 2.5e5 + ... floored): sum of 1_000_000 >> k over k = 0..20.
        let floors: u64 = (0..20).map(|k| 1_000_000u64 >> k).sum();
        assert_eq!(floors, 1_999_993);
        assert_eq!(s.lifetime_emission(), Ok(365 * 1_999_993));
        assert_eq!(s.cumulative_emission(u64::MAX), Ok(365 * 1_999_993));
    }

    #[test]
    fn validation() {
        let s = schedule();
        assert_eq!(s.validate(365 * 1_999_993), Ok(()));
        assert_eq!(
            s.validate(365 * 1_999_993 - 1),
            Err(EmissionError::ExceedsMaxSupply)
        );
        assert_eq!(
            EmissionSchedule { epoch_secs: 0, ..s }.validate(u64::MAX),
            Err(EmissionError::ZeroDuration)
        );
        assert_eq!(
            EmissionSchedule {
                halving_interval_epochs: 0,
                ..s
            }
            .validate(u64::MAX),
            Err(EmissionError::ZeroDuration)
        );
        assert_eq!(
            EmissionSchedule {
                initial_epoch_emission: 0,
                ..s
            }
            .validate(u64::MAX),
            Err(EmissionError::ZeroEmission)
        );
        // A lifetime beyond u64 is refused, not wrapped.
        let huge = EmissionSchedule {
            initial_epoch_emission: u64::MAX,
            halving_interval_epochs: 2,
            ..s
        };
        assert_eq!(
            huge.validate(u64::MAX),
            Err(EmissionError::ExceedsMaxSupply)
        );
        assert_eq!(
            EmissionSchedule {
                halving_interval_epochs: u64::MAX,
                ..s
            }
            .validate(u64::MAX),
            Err(EmissionError::ExceedsMaxSupply)
        );
    }

    fn any_valid_schedule() -> impl Strategy<Value = (EmissionSchedule, u64)> {
        (1u64..=1_000_000, 1u64..=u64::MAX >> 20, 1u64..=10_000).prop_filter_map(
            "lifetime fits",
            |(epoch_secs, initial, interval)| {
                let s = EmissionSchedule {
                    start_ts: 0,
                    epoch_secs,
                    initial_epoch_emission: initial,
                    halving_interval_epochs: interval,
                };
                let lifetime = s.lifetime_emission().ok()?;
                Some((s, lifetime))
            },
        )
    }

    proptest! {
        #[test]
        fn never_exceeds_max_supply((s, lifetime) in any_valid_schedule(), n in any::<u64>()) {
            prop_assert_eq!(s.validate(lifetime), Ok(()));
            let total = s.cumulative_emission(n).unwrap();
            prop_assert!(total <= lifetime);
        }

        #[test]
        fn closed_form_equals_epoch_by_epoch((s, _) in any_valid_schedule(), n in 0u64..3_000) {
            let mut running: u64 = 0;
            for e in 0..n {
                running = running.checked_add(s.epoch_emission(e)).unwrap();
            }
            prop_assert_eq!(s.cumulative_emission(n).unwrap(), running);
        }

        #[test]
        fn each_epoch_is_the_difference((s, _) in any_valid_schedule(), e in 0u64..1_000_000) {
            let before = s.cumulative_emission(e).unwrap();
            let after = s.cumulative_emission(e + 1).unwrap();
            prop_assert_eq!(after - before, s.epoch_emission(e));
        }

        #[test]
        fn epoch_at_inverts_epoch_start((s, _) in any_valid_schedule(), e in 0u64..1_000_000, into in 0u64..1_000_000) {
            let start = s.epoch_start(e).unwrap();
            let at = start + i64::try_from(into % s.epoch_secs).unwrap();
            prop_assert_eq!(s.epoch_at(at), Some(e));
        }
    }
}
