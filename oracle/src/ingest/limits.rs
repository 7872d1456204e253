//! The per-device rate limit: a GCRA token bucket (integer nanoseconds, no floats). A device may
//! send `reports` reports per `window`, all at once or spread out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use depin_formats::keys::Pubkey;

/// Per-device buckets. Only registered devices reach the limiter, so it holds at most one
/// entry per registered device.
#[derive(Debug)]
pub struct RateLimiter {
    /// Time one report "costs"; zero disables the limit.
    interval: Duration,
    window: Duration,
    /// Theoretical arrival time of each device's next report.
    tat: Mutex<HashMap<Pubkey, Instant>>,
}

impl RateLimiter {
    /// `reports` per `window`; `reports == 0` or a zero window disables the limit.
    #[must_use]
    pub fn new(reports: u32, window: Duration) -> Self {
        let interval = if reports == 0 {
            Duration::ZERO
        } else {
            window / reports
        };
        Self {
            interval,
            window,
            tat: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `count` reports from each device's budget, all or none. On refusal returns the
    /// index into `demands` of the first device over its limit and how long until its demand
    /// would fit.
    ///
    /// # Errors
    ///
    /// `(index, retry_after)` when a device is over its limit; nothing is taken.
    pub fn take(&self, demands: &[(Pubkey, u32)], now: Instant) -> Result<(), (usize, Duration)> {
        if self.interval.is_zero() {
            return Ok(());
        }
        let Ok(mut tat) = self.tat.lock() else {
            // A poisoned lock only means another request panicked mid-update; the map is
            // still a valid map.
            return Ok(());
        };
        let mut next = Vec::with_capacity(demands.len());
        for (i, (device, count)) in demands.iter().enumerate() {
            let start = tat.get(device).copied().unwrap_or(now).max(now);
            let new_tat = start + self.interval.saturating_mul(*count);
            let allowed_until = now + self.window;
            if new_tat > allowed_until {
                return Err((i, new_tat - allowed_until));
            }
            next.push((*device, new_tat));
        }
        tat.extend(next);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_allows_the_burst_then_one_per_interval() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let (a, b) = (Pubkey([1; 32]), Pubkey([2; 32]));
        let t0 = Instant::now();
        assert_eq!(limiter.take(&[(a, 3)], t0), Ok(()));
        assert_eq!(
            limiter.take(&[(a, 1)], t0),
            Err((0, Duration::from_secs(20)))
        );
        // All or nothing: b's share is not taken when a is refused.
        assert_eq!(
            limiter.take(&[(b, 2), (a, 1)], t0),
            Err((1, Duration::from_secs(20)))
        );
        assert_eq!(limiter.take(&[(b, 3)], t0), Ok(()));
        let t1 = t0 + Duration::from_secs(20);
        assert_eq!(limiter.take(&[(a, 1)], t1), Ok(()));
        assert_eq!(
            limiter.take(&[(a, 1)], t1),
            Err((0, Duration::from_secs(20)))
        );
        // A long pause refills only up to the burst.
        let t2 = t1 + Duration::from_secs(3600);
        assert_eq!(
            limiter.take(&[(a, 4)], t2),
            Err((0, Duration::from_secs(20)))
        );
        assert_eq!(limiter.take(&[(a, 3)], t2), Ok(()));
    }

    #[test]
    fn zero_disables_the_limit() {
        let limiter = RateLimiter::new(0, Duration::from_secs(60));
        assert_eq!(
            limiter.take(&[(Pubkey([1; 32]), u32::MAX)], Instant::now()),
            Ok(())
        );
    }
}
