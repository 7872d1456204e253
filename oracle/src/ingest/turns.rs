//! Turns at batch verification, trusted addresses first.
//!
//! At most `verify_threads` batches are verified at once. A client address whose last request
//! was stored (within the trust memory, the rate-limit window) is **trusted**: its batches take
//! the next free turn in arrival order. Any other address (new, or whose last request failed)
//! waits while a trusted batch is waiting, one such batch at a time at the head of the queue
//! and in verification (the other turns stay free for the trusted), and gives up turns for at
//! most [`UNTRUSTED_MAX_WAIT`] before it takes the next one anyway,
//! so a new device is delayed, never starved. A flood of forged batches from fresh addresses
//! therefore verifies only when the honest load leaves a turn free, or one batch per
//! [`UNTRUSTED_MAX_WAIT`].
//!
//! An attacker becomes trusted only with a genuine report that is stored (not a replay), and
//! loses it with its next forged batch; the per-address budget of failed requests
//! (`peer_failed_requests`) bounds how often it can do that.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Longest an untrusted batch at the head of the queue yields to trusted ones.
pub const UNTRUSTED_MAX_WAIT: Duration = Duration::from_millis(100);

/// How often an untrusted batch at the head of the queue looks again.
const YIELD: Duration = Duration::from_millis(1);

/// Addresses remembered before the stale ones are pruned.
const PRUNE_ABOVE: usize = 1 << 20;

/// The verification turns (see the module docs).
#[derive(Debug)]
pub struct Turns {
    permits: Arc<Semaphore>,
    /// Trusted batches waiting for a permit.
    trusted_waiting: Arc<AtomicUsize>,
    /// The untrusted batches: one at a time at the head of the permit queue and in
    /// verification.
    untrusted: Arc<tokio::sync::Mutex<()>>,
    /// Each trusted address and when it last verified.
    trusted: Mutex<HashMap<IpAddr, Instant>>,
    memory: Duration,
}

/// A verification turn, held until the batch is verified.
#[derive(Debug)]
pub struct Turn {
    _permit: OwnedSemaphorePermit,
    /// For an untrusted batch, the one untrusted place.
    _untrusted: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Counts a trusted batch as waiting until it is dropped (granted or cancelled).
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Turns {
    /// `threads` turns at once; an address stays trusted for `memory` after it verified.
    #[must_use]
    pub fn new(threads: usize, memory: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(threads)),
            trusted_waiting: Arc::new(AtomicUsize::new(0)),
            untrusted: Arc::new(tokio::sync::Mutex::new(())),
            trusted: Mutex::new(HashMap::new()),
            memory,
        }
    }

    /// The permits themselves (tests hold them to make batches wait).
    #[must_use]
    pub fn permits(&self) -> Arc<Semaphore> {
        Arc::clone(&self.permits)
    }

    /// Whether `ip`'s last request was stored within the trust memory (and none failed since).
    #[must_use]
    pub fn is_trusted(&self, ip: IpAddr, now: Instant) -> bool {
        self.trusted
            .lock()
            .map(|t| {
                t.get(&ip)
                    .is_some_and(|at| now.duration_since(*at) < self.memory)
            })
            .unwrap_or(false)
    }

    /// Records that `ip`'s request was stored (`ok`) or failed verification.
    pub fn verified(&self, ip: IpAddr, ok: bool, now: Instant) {
        let Ok(mut trusted) = self.trusted.lock() else {
            return;
        };
        if ok {
            trusted.insert(ip, now);
            if trusted.len() > PRUNE_ABOVE {
                let memory = self.memory;
                trusted.retain(|_, at| now.duration_since(*at) < memory);
            }
        } else {
            trusted.remove(&ip);
        }
    }

    /// Waits for a turn for a batch from `peer` (None: trusted): a trusted batch in arrival
    /// order, an untrusted one after them (see the module docs). Trust is looked at again once
    /// the turn is given: a batch queued as trusted whose address failed meanwhile (a request
    /// sent beside it) queues again as untrusted.
    pub async fn turn(&self, peer: Option<IpAddr>) -> Option<Turn> {
        let trusted = || peer.is_none_or(|ip| self.is_trusted(ip, Instant::now()));
        if trusted() {
            let permit = {
                self.trusted_waiting.fetch_add(1, Ordering::SeqCst);
                let _waiting = Waiting(Arc::clone(&self.trusted_waiting));
                Arc::clone(&self.permits).acquire_owned().await.ok()?
            };
            if trusted() {
                return Some(Turn {
                    _permit: permit,
                    _untrusted: None,
                });
            }
        }
        self.untrusted_turn().await
    }

    /// The one untrusted place, held through the verification: at most one untrusted batch is
    /// verified at a time, so the others' turns stay free for the trusted.
    async fn untrusted_turn(&self) -> Option<Turn> {
        let head = Arc::clone(&self.untrusted).lock_owned().await;
        // The bound counts from the first turn given up, not from the arrival: a batch that
        // waited for busy permits has not yet yielded to anyone.
        let mut yielding_since: Option<Instant> = None;
        loop {
            let permit = Arc::clone(&self.permits).acquire_owned().await.ok()?;
            let since = *yielding_since.get_or_insert_with(Instant::now);
            if self.trusted_waiting.load(Ordering::SeqCst) == 0
                || since.elapsed() >= UNTRUSTED_MAX_WAIT
            {
                return Some(Turn {
                    _permit: permit,
                    _untrusted: Some(head),
                });
            }
            // The semaphore is fair: the freed permit goes to the trusted batch queued for it.
            drop(permit);
            tokio::time::sleep(YIELD).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// None (trusted) or an address never verified.
    fn peer(trusted: bool) -> Option<IpAddr> {
        (!trusted).then(|| IpAddr::from([127, 0, 0, 9]))
    }

    #[tokio::test]
    async fn a_trusted_batch_takes_the_turn_an_untrusted_one_waits_for() {
        let turns = Arc::new(Turns::new(1, Duration::from_secs(60)));
        let held = turns.permits().acquire_owned().await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let wait = |trusted: bool, name: &'static str| {
            let (turns, order) = (Arc::clone(&turns), Arc::clone(&order));
            tokio::spawn(async move {
                let _turn = turns.turn(peer(trusted)).await;
                order.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_millis(5)).await;
            })
        };
        let untrusted = wait(false, "untrusted");
        tokio::time::sleep(Duration::from_millis(20)).await;
        let trusted = wait(true, "trusted");
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        trusted.await.unwrap();
        untrusted.await.unwrap();
        assert_eq!(*order.lock().unwrap(), vec!["trusted", "untrusted"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_a_steady_trusted_load_an_untrusted_batch_waits_its_bound_and_no_more() {
        let turns = Arc::new(Turns::new(1, Duration::from_secs(60)));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Three trusted clients, each always wanting the next turn.
        let load: Vec<_> = (0..3)
            .map(|_| {
                let (turns, stop) = (Arc::clone(&turns), Arc::clone(&stop));
                tokio::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        let _turn = turns.turn(None).await;
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let t = Instant::now();
        let permit = turns.turn(Some(IpAddr::from([127, 0, 0, 9]))).await;
        let waited = t.elapsed();
        assert!(permit.is_some());
        drop(permit);
        stop.store(true, Ordering::SeqCst);
        for l in load {
            l.await.unwrap();
        }
        assert!(
            waited >= UNTRUSTED_MAX_WAIT && waited < UNTRUSTED_MAX_WAIT * 3,
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn a_batch_queued_as_trusted_whose_address_failed_meanwhile_waits_as_untrusted() {
        let turns = Arc::new(Turns::new(1, Duration::from_secs(60)));
        let (x, y) = (IpAddr::from([127, 0, 0, 1]), IpAddr::from([127, 0, 0, 2]));
        turns.verified(x, true, Instant::now());
        turns.verified(y, true, Instant::now());
        let held = turns.permits().acquire_owned().await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let wait = |ip: IpAddr, name: &'static str| {
            let (turns, order) = (Arc::clone(&turns), Arc::clone(&order));
            tokio::spawn(async move {
                let _turn = turns.turn(Some(ip)).await;
                order.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_millis(5)).await;
            })
        };
        let first = wait(x, "x, queued first");
        tokio::time::sleep(Duration::from_millis(20)).await;
        // A request sent beside it failed: x is no longer trusted.
        turns.verified(x, false, Instant::now());
        let second = wait(y, "y");
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        first.await.unwrap();
        second.await.unwrap();
        assert_eq!(*order.lock().unwrap(), vec!["y", "x, queued first"]);
    }

    #[test]
    fn trust_is_earned_by_a_verified_request_and_lost_by_a_failed_one() {
        let turns = Turns::new(1, Duration::from_secs(60));
        let ip = IpAddr::from([127, 0, 0, 9]);
        let t0 = Instant::now();
        assert!(!turns.is_trusted(ip, t0));
        turns.verified(ip, true, t0);
        assert!(turns.is_trusted(ip, t0 + Duration::from_secs(59)));
        assert!(!turns.is_trusted(ip, t0 + Duration::from_secs(60)));
        turns.verified(ip, false, t0);
        assert!(!turns.is_trusted(ip, t0));
    }
}
