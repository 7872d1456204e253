//! The sliding-window circuit breaker that every mint path passes.
//!
//! The window holds the amount minted "recently": each mint adds to it, and it drains linearly
//! to zero over `window_secs` from the last mint. A mint that would lift it above `threshold`
//! is refused. So the outstanding amount never exceeds `threshold`, the window frees at most
//! `threshold / window_secs` per second, and any span of `window_secs` sees at most
//! `2 * threshold` minted. The drained amount rounds down (what remains rounds up), always
//! against the minter.
//!
//! Time: elapsed seconds are made unsigned before any division (this chain cannot divide signed
//! 64-bit integers), and a clock that steps back never drains the window.

/// Why a mint was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowError {
    /// The mint would exceed the window's threshold.
    Tripped,
    /// `window_secs` is zero.
    ZeroWindow,
}

/// The breaker's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowConfig {
    /// Length of the window, in seconds (> 0).
    pub window_secs: u64,
    /// Most that may be outstanding in the window, in base units.
    pub threshold: u64,
}

/// The breaker's state, as stored on-chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowState {
    /// Unix time of the last recorded mint.
    pub last_ts: i64,
    /// Amount outstanding as of `last_ts`.
    pub amount: u64,
}

impl WindowConfig {
    /// The amount still outstanding at `now`: `ceil(amount * (window - elapsed) / window)`.
    pub fn outstanding(&self, state: &WindowState, now: i64) -> Result<u64, WindowError> {
        if self.window_secs == 0 {
            return Err(WindowError::ZeroWindow);
        }
        let elapsed = now
            .checked_sub(state.last_ts)
            .and_then(|d| u64::try_from(d).ok())
            .unwrap_or(0); // a clock that steps back drains nothing
        if elapsed >= self.window_secs {
            return Ok(0);
        }
        let window = u128::from(self.window_secs);
        let remaining = u128::from(self.window_secs - elapsed);
        // amount * remaining < 2^128; adding window - 1 cannot overflow either.
        let scaled = u128::from(state.amount) * remaining + (window - 1);
        // The result is at most `amount`, so it fits in u64.
        Ok(u64::try_from(scaled / window).unwrap_or(state.amount))
    }

    /// Records a mint of `amount` at `now`, or refuses it with `Tripped`.
    pub fn record(
        &self,
        state: &WindowState,
        now: i64,
        amount: u64,
    ) -> Result<WindowState, WindowError> {
        let outstanding = self
            .outstanding(state, now)?
            .checked_add(amount)
            .ok_or(WindowError::Tripped)?;
        if outstanding > self.threshold {
            return Err(WindowError::Tripped);
        }
        Ok(WindowState {
            last_ts: now.max(state.last_ts),
            amount: outstanding,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CFG: WindowConfig = WindowConfig {
        window_secs: 3_600,
        threshold: 1_000,
    };

    #[test]
    fn drains_linearly_rounding_up() {
        let s = WindowState {
            last_ts: 100,
            amount: 1_000,
        };
        assert_eq!(CFG.outstanding(&s, 100), Ok(1_000));
        assert_eq!(CFG.outstanding(&s, 100 + 1_800), Ok(500));
        assert_eq!(CFG.outstanding(&s, 100 + 1), Ok(1_000)); // 999.72 rounds up
        assert_eq!(CFG.outstanding(&s, 100 + 3_599), Ok(1)); // 0.28 rounds up
        assert_eq!(CFG.outstanding(&s, 100 + 3_600), Ok(0));
        assert_eq!(CFG.outstanding(&s, 50), Ok(1_000)); // the clock stepped back
        assert_eq!(CFG.outstanding(&s, i64::MIN), Ok(1_000));
    }

    #[test]
    fn trips_at_the_threshold() {
        let s = WindowState::default();
        let s = CFG.record(&s, 0, 600).unwrap();
        assert_eq!(
            s,
            WindowState {
                last_ts: 0,
                amount: 600
            }
        );
        assert_eq!(CFG.record(&s, 0, 401), Err(WindowError::Tripped));
        let s = CFG.record(&s, 0, 400).unwrap();
        assert_eq!(s.amount, 1_000);
        // Half a window later half is free again.
        assert_eq!(CFG.record(&s, 1_800, 501), Err(WindowError::Tripped));
        assert_eq!(
            CFG.record(&s, 1_800, 500),
            Ok(WindowState {
                last_ts: 1_800,
                amount: 1_000
            })
        );
        assert_eq!(CFG.record(&s, 0, u64::MAX), Err(WindowError::Tripped));
        // A clock that steps back keeps the later timestamp.
        assert_eq!(
            CFG.record(&s, -5, 0),
            Ok(WindowState {
                last_ts: 0,
                amount: 1_000
            })
        );
    }

    #[test]
    fn zero_window_is_refused() {
        let cfg = WindowConfig {
            window_secs: 0,
            threshold: 1,
        };
        assert_eq!(
            cfg.record(&WindowState::default(), 0, 0),
            Err(WindowError::ZeroWindow)
        );
    }

    proptest! {
        #[test]
        fn any_span_of_one_window_mints_at_most_twice_the_threshold(
            window_secs in 1u64..10_000,
            threshold in 0u64..1_000_000_000,
            steps in proptest::collection::vec((0u64..5_000, 0u64..1_000_000_000), 1..200),
        ) {
            let cfg = WindowConfig { window_secs, threshold };
            let mut state = WindowState::default();
            let mut now = 0i64;
            let mut accepted: Vec<(i64, u64)> = Vec::new();
            for (dt, amount) in steps {
                now += i64::try_from(dt).unwrap();
                let before = cfg.outstanding(&state, now).unwrap();
                prop_assert!(before <= state.amount, "draining never adds");
                if let Ok(next) = cfg.record(&state, now, amount) {
                    prop_assert!(next.amount <= threshold);
                    prop_assert_eq!(next.amount, before + amount);
                    accepted.push((now, amount));
                    state = next;
                } else {
                    prop_assert!(before + amount > threshold, "refused only above the threshold");
                }
            }
            let span = i64::try_from(window_secs).unwrap();
            for &(start, _) in &accepted {
                let total: u128 = accepted
                    .iter()
                    .filter(|(t, _)| *t >= start && *t < start + span)
                    .map(|(_, a)| u128::from(*a))
                    .sum();
                prop_assert!(total <= 2 * u128::from(threshold));
            }
        }

        #[test]
        fn outstanding_never_grows_with_time(amount in any::<u64>(), window_secs in 1u64..1_000_000, a in 0u64..2_000_000, b in 0u64..2_000_000) {
            let cfg = WindowConfig { window_secs, threshold: u64::MAX };
            let s = WindowState { last_ts: 0, amount };
            let (early, late) = (a.min(b), a.max(b));
            let o1 = cfg.outstanding(&s, i64::try_from(early).unwrap()).unwrap();
            let o2 = cfg.outstanding(&s, i64::try_from(late).unwrap()).unwrap();
            prop_assert!(o2 <= o1 && o1 <= amount);
        }
    }
}
