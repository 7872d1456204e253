//! The governance timelock of the rewards and treasury programs.
//!
//! Governance queues a parameter change (`propose_change`); anyone applies it once its delay has
//! passed and before its grace period ends (`apply_change`); governance may cancel it until then
//! (`cancel_change`). This module holds the rules those instructions share: the bounds of the
//! delay (`timelock_secs`), the ETA of a queued change, and when it is due or expired. Each
//! program keeps its own instructions, its own pending-change account (whose `proposed_at` and
//! `eta` fields are a [`Schedule`]) and its own error codes, mapped from [`TimelockError`].

/// The shortest timelock: one hour. Zero would defeat it.
pub const MIN_DELAY_SECS: u64 = 3_600;
/// The longest timelock: thirty days.
pub const MAX_DELAY_SECS: u64 = 30 * 86_400;
/// A queued change must be applied within this long after its ETA, or it expires: a forgotten,
/// superseded change can never be replayed later.
pub const GRACE_SECS: i64 = 14 * 86_400;

/// Why a timelock rule refused. Each program maps every variant to one of its own error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimelockError {
    /// The delay is outside [`MIN_DELAY_SECS`]`..=`[`MAX_DELAY_SECS`].
    InvalidDelay,
    /// The change is not due yet: `now < eta`.
    NotDue,
    /// The grace period has ended: `now > eta + GRACE_SECS`.
    Expired,
    /// A time does not fit an `i64`.
    Overflow,
}

/// Checks a timelock's delay: one hour to thirty days.
pub fn check_delay(delay_secs: u64) -> Result<(), TimelockError> {
    if (MIN_DELAY_SECS..=MAX_DELAY_SECS).contains(&delay_secs) {
        Ok(())
    } else {
        Err(TimelockError::InvalidDelay)
    }
}

/// When a queued change was proposed and when it becomes due (unix seconds): the two times each
/// program's pending-change account stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// When the change was queued.
    pub proposed_at: i64,
    /// The earliest time it may be applied: `proposed_at + delay`.
    pub eta: i64,
}

impl Schedule {
    /// The schedule of a change queued at `now` under a `delay_secs` timelock.
    pub fn start(now: i64, delay_secs: u64) -> Result<Self, TimelockError> {
        let delay = i64::try_from(delay_secs).map_err(|_| TimelockError::Overflow)?;
        let eta = now.checked_add(delay).ok_or(TimelockError::Overflow)?;
        Ok(Self {
            proposed_at: now,
            eta,
        })
    }

    /// The last second the change may be applied: `eta + GRACE_SECS`.
    pub fn expires_at(&self) -> Result<i64, TimelockError> {
        self.eta
            .checked_add(GRACE_SECS)
            .ok_or(TimelockError::Overflow)
    }

    /// Whether the delay has passed at `now`.
    pub fn is_due(&self, now: i64) -> bool {
        now >= self.eta
    }

    /// Whether the grace period has ended at `now` (an ETA too late to compute an expiry never
    /// expires: it cannot be applied anyway before the end of time).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at().is_ok_and(|end| now > end)
    }

    /// Checks that the change may be applied at `now`: due, and not expired.
    pub fn check_apply(&self, now: i64) -> Result<(), TimelockError> {
        if !self.is_due(now) {
            return Err(TimelockError::NotDue);
        }
        if now > self.expires_at()? {
            return Err(TimelockError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: u64 = 3_600;

    #[test]
    fn delay_bounds() {
        assert_eq!(check_delay(HOUR - 1), Err(TimelockError::InvalidDelay));
        assert_eq!(check_delay(HOUR), Ok(()));
        assert_eq!(check_delay(30 * 86_400), Ok(()));
        assert_eq!(
            check_delay(30 * 86_400 + 1),
            Err(TimelockError::InvalidDelay)
        );
    }

    #[test]
    fn start_computes_the_eta() {
        let s = Schedule::start(1_000, HOUR).unwrap();
        assert_eq!(
            s,
            Schedule {
                proposed_at: 1_000,
                eta: 4_600
            }
        );
        assert_eq!(s.expires_at(), Ok(4_600 + 14 * 86_400));
        assert_eq!(Schedule::start(i64::MAX, 1), Err(TimelockError::Overflow));
        assert_eq!(Schedule::start(0, u64::MAX), Err(TimelockError::Overflow));
    }

    #[test]
    fn apply_window_edges() {
        let s = Schedule::start(0, HOUR).unwrap();
        let end = s.expires_at().unwrap();
        assert_eq!(s.check_apply(3_599), Err(TimelockError::NotDue));
        assert_eq!(s.check_apply(3_600), Ok(()));
        assert_eq!(s.check_apply(end), Ok(()));
        assert_eq!(s.check_apply(end + 1), Err(TimelockError::Expired));
        assert!(!s.is_expired(end) && s.is_expired(end + 1));
        let late = Schedule {
            proposed_at: 0,
            eta: i64::MAX,
        };
        assert_eq!(late.check_apply(i64::MAX), Err(TimelockError::Overflow));
        assert!(!late.is_expired(i64::MAX));
    }

    proptest! {
        #[test]
        fn check_apply_agrees_with_is_due_and_is_expired(
            now in -1i64 << 40..1i64 << 40,
            proposed in -1i64 << 40..1i64 << 40,
            delay in MIN_DELAY_SECS..=MAX_DELAY_SECS,
        ) {
            let s = Schedule::start(proposed, delay).unwrap();
            let ok = s.is_due(now) && !s.is_expired(now);
            prop_assert_eq!(s.check_apply(now).is_ok(), ok);
            prop_assert_eq!(ok, s.eta <= now && now <= s.eta + GRACE_SECS);
        }
    }
}
