//! Budgets: a GCRA token bucket (integer nanoseconds, no floats) per key. A key may spend
//! `reports` units per `window`, all at once or spread out. The oracle's ingest keeps one per
//! device (only registered devices reach it, so it holds at most one entry per registered
//! device) and one per client address (pruned of idle entries when it grows large); the maker
//! service one per owner and one for all.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::keys::Pubkey;

/// The key a client address is budgeted under: an IPv4 address as it is (an IPv4-mapped IPv6
/// address as its IPv4), an IPv6 address by its /64, the block one host or site usually holds,
/// so that a host cannot take a fresh budget with each of its 2^64 addresses.
#[must_use]
pub fn client_key(ip: std::net::IpAddr) -> std::net::IpAddr {
    use std::net::{IpAddr, Ipv6Addr};
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Entries a limiter holds before it drops those whose budget is whole again.
const PRUNE_ABOVE: usize = 1 << 20;

/// Per-key buckets.
#[derive(Debug)]
pub struct RateLimiter<K = Pubkey> {
    /// Time one report "costs"; zero disables the limit.
    interval: Duration,
    window: Duration,
    /// Theoretical arrival time of each key's next report.
    tat: Mutex<HashMap<K, Instant>>,
}

impl<K: Copy + Eq + Hash> RateLimiter<K> {
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
    pub fn take(&self, demands: &[(K, u32)], now: Instant) -> Result<(), (usize, Duration)> {
        if self.interval.is_zero() {
            return Ok(());
        }
        let Ok(mut tat) = self.tat.lock() else {
            // A poisoned lock only means another request panicked mid-update; the map is
            // still a valid map.
            return Ok(());
        };
        let next = self.plan(&tat, demands, now)?;
        tat.extend(next);
        if tat.len() > PRUNE_ABOVE {
            tat.retain(|_, t| *t > now);
        }
        Ok(())
    }

    /// Each key's theoretical arrival time once `demands` are taken, or the first key over its
    /// budget and how long until its demand would fit.
    fn plan(
        &self,
        tat: &HashMap<K, Instant>,
        demands: &[(K, u32)],
        now: Instant,
    ) -> Result<Vec<(K, Instant)>, (usize, Duration)> {
        let allowed_until = now + self.window;
        let mut next = Vec::with_capacity(demands.len());
        for (i, (key, count)) in demands.iter().enumerate() {
            let start = tat.get(key).copied().unwrap_or(now).max(now);
            let new_tat = start + self.interval.saturating_mul(*count);
            if new_tat > allowed_until {
                return Err((i, new_tat - allowed_until));
            }
            next.push((*key, new_tat));
        }
        Ok(next)
    }

    /// Whether [`RateLimiter::take`] would take `demands` now, taking nothing.
    ///
    /// # Errors
    ///
    /// As [`RateLimiter::take`].
    pub fn fits(&self, demands: &[(K, u32)], now: Instant) -> Result<(), (usize, Duration)> {
        if self.interval.is_zero() {
            return Ok(());
        }
        let Ok(tat) = self.tat.lock() else {
            return Ok(());
        };
        self.plan(&tat, demands, now).map(|_| ())
    }

    /// Gives back what [`RateLimiter::take`] took for `demands` (work refused after the budget
    /// was charged through no fault of the key: a forged report naming a device, a full writer
    /// queue).
    pub fn give_back(&self, demands: &[(K, u32)]) {
        if self.interval.is_zero() {
            return;
        }
        let Ok(mut tat) = self.tat.lock() else {
            return;
        };
        for (key, count) in demands {
            if let Some(t) = tat.get_mut(key) {
                let cost = self.interval.saturating_mul(*count);
                *t = t.checked_sub(cost).unwrap_or(*t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client_key;

    #[test]
    fn an_ipv6_client_is_budgeted_by_its_64() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert_eq!(client_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(client_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            client_key(ip("2001:db8:1:2::1")),
            client_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            client_key(ip("2001:db8:1:2::1")),
            client_key(ip("2001:db8:1:3::1"))
        );
    }

    use super::*;

    #[test]
    fn gcra_allows_the_burst_then_one_per_interval() {
        let limiter: RateLimiter = RateLimiter::new(3, Duration::from_secs(60));
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
    fn what_is_given_back_can_be_taken_again() {
        let limiter: RateLimiter = RateLimiter::new(3, Duration::from_secs(60));
        let a = Pubkey([1; 32]);
        let t0 = Instant::now();
        assert_eq!(limiter.take(&[(a, 3)], t0), Ok(()));
        limiter.give_back(&[(a, 2)]);
        assert_eq!(limiter.take(&[(a, 2)], t0), Ok(()));
        assert_eq!(
            limiter.take(&[(a, 1)], t0),
            Err((0, Duration::from_secs(20)))
        );
    }

    #[test]
    fn zero_disables_the_limit() {
        let limiter: RateLimiter = RateLimiter::new(0, Duration::from_secs(60));
        assert_eq!(
            limiter.take(&[(Pubkey([1; 32]), u32::MAX)], Instant::now()),
            Ok(())
        );
    }
}
