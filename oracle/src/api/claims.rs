//! The claim index: what every wallet has claimed, for the rewards API's summaries, from one
//! bulk read of the chain instead of one read per wallet.
//!
//! A claim record is the PDA `["claim", wallet]` of the rewards program and holds only its
//! bump and the claimed amount (not the wallet), and the program has one network, so the index
//! reads every claim record at once ([`ApiChain::claim_records`]: `getProgramAccounts` with
//! the record's size and discriminator) and keeps `address -> claimed`. A wallet's address is
//! `sha256("claim" ‖ wallet ‖ bump ‖ program id ‖ "ProgramDerivedAddress")` for its canonical
//! bump, which its record stores: a lookup hashes the wallet with each bump the records hold
//! (most frequent first, two hashes on average for a wallet that claimed) and finds its record,
//! or finds none: a wallet missing from a complete read has claimed 0.
//!
//! **Staleness.** The index answers for [`ClaimIndex::good_for`] after its last complete read
//! began (at least [`CLAIMS_MAX_AGE`]); a summary's `claimed` is then never lower than what
//! the chain held in that read (at the slot the RPC node answered at) nor in any read before
//! it: a read only raises an amount (claim records are never closed and `claimed` only grows,
//! so a read from a lagging RPC node, missing a record or holding an older amount, is merged
//! with the one before, never lowers it). A claim shows
//! once the next read has seen it: reads start every [`CLAIMS_EVERY`], at once when a new final
//! root is served, and no sooner than [`READ_SHARE`] times their last duration after the
//! previous one started (a large network's reads take at most a fifth of the time). A read that
//! changes nothing (the usual one) keeps the index as it is and only moves its time. When no
//! summary has asked for [`CLAIMS_QUIET_AFTER`], the index is quiet: read every
//! [`CLAIMS_QUIET_EVERY`] only, and answering only within [`CLAIMS_QUIET_FRESH`] of its read;
//! the summary that finds it older reads its wallet's record itself and wakes a read. When there
//! is no fresh index (before the first read, or while reads fail, `getProgramAccounts` being
//! disabled on some RPC services), the summary reads the wallet's record itself, as before
//! (`ApiState::claimed`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use depin_formats::keys::Pubkey;
use rewards::constants::CLAIM_SEED;
use sha2::{Digest, Sha256};

use super::chain::ApiChain;
use crate::supervisor::Shutdown;

/// Reads of the claim index start at most this often (start to start).
pub const CLAIMS_EVERY: Duration = Duration::from_secs(1);
/// A read that took `t` is followed by the next no sooner than `READ_SHARE * t` after it
/// started, so reading takes at most 1/`READ_SHARE` of the time on a large network.
pub const READ_SHARE: u32 = 5;
/// The index answers at least this long after its last complete read began (longer when its
/// reads are further apart: three periods): then, while reads keep failing, per-wallet reads.
pub const CLAIMS_MAX_AGE: Duration = Duration::from_secs(60);
/// The longest pause between failed reads (doubling from [`CLAIMS_EVERY`]).
pub const CLAIMS_BACKOFF_MAX: Duration = Duration::from_secs(60);
/// No summary asked for this long: the index is quiet, read only every
/// [`CLAIMS_QUIET_EVERY`] (an oracle nobody asks does not spend its RPC on it).
pub const CLAIMS_QUIET_AFTER: Duration = Duration::from_secs(30);
/// How often a quiet index is read.
pub const CLAIMS_QUIET_EVERY: Duration = Duration::from_secs(30);
/// A quiet index answers only within this of its read (the per-wallet reads' reuse); the
/// summary that finds it older reads the wallet's record itself and wakes a read at once.
pub const CLAIMS_QUIET_FRESH: Duration = Duration::from_secs(2);

/// `create_program_address`'s domain separator.
const PDA_MARKER: &[u8] = b"ProgramDerivedAddress";

/// One claim record as the chain holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimEntry {
    /// The record's address, the PDA `["claim", wallet]`.
    pub address: [u8; 32],
    /// Its canonical bump (the record's `bump`).
    pub bump: u8,
    /// What the wallet has claimed so far.
    pub claimed: u64,
}

/// The address `wallet`'s claim record has if `bump` is its canonical bump (the hash of
/// `create_program_address`, without its off-curve check: an address a record holds is one).
#[must_use]
pub fn record_address(wallet: &Pubkey, bump: u8) -> [u8; 32] {
    Sha256::new()
        .chain_update(CLAIM_SEED)
        .chain_update(wallet.0)
        .chain_update([bump])
        .chain_update(rewards::ID.to_bytes())
        .chain_update(PDA_MARKER)
        .finalize()
        .into()
}

/// One state of the index: every claim record read so far, by address.
#[derive(Debug)]
pub struct Claims {
    by_address: HashMap<[u8; 32], u64>,
    /// Every bump a record holds, most frequent first.
    bumps: Vec<u8>,
}

impl Claims {
    /// The index of `entries`, one complete read, over `previous`: an amount is the larger of
    /// the two, and a record only `previous` holds is kept.
    #[must_use]
    pub fn new(entries: &[ClaimEntry], previous: Option<&Self>) -> Self {
        let mut by_address = HashMap::with_capacity(
            previous
                .map_or(0, |p| p.by_address.len())
                .max(entries.len()),
        );
        let mut counts = [0usize; 256];
        for e in entries {
            let claimed = by_address.entry(e.address).or_insert(0);
            *claimed = e.claimed.max(*claimed);
            counts[usize::from(e.bump)] += 1;
        }
        let mut bumps: Vec<u8> = (0..=u8::MAX)
            .filter(|&b| counts[usize::from(b)] > 0)
            .collect();
        bumps.sort_by_key(|&b| std::cmp::Reverse(counts[usize::from(b)]));
        if let Some(previous) = previous {
            for (address, &old) in &previous.by_address {
                let claimed = by_address.entry(*address).or_insert(0);
                *claimed = old.max(*claimed);
            }
            for &b in &previous.bumps {
                if !bumps.contains(&b) {
                    bumps.push(b);
                }
            }
        }
        Self { by_address, bumps }
    }

    /// Whether `entries` would change nothing: each record is held, at its amount or higher,
    /// and its bump is known (the usual read: no claim since the last one).
    #[must_use]
    pub fn holds(&self, entries: &[ClaimEntry]) -> bool {
        entries.iter().all(|e| {
            self.by_address
                .get(&e.address)
                .is_some_and(|&held| held >= e.claimed)
                && self.bumps.contains(&e.bump)
        })
    }

    /// What `wallet` has claimed: its record's amount, 0 without one.
    #[must_use]
    pub fn claimed(&self, wallet: &Pubkey) -> u64 {
        self.bumps
            .iter()
            .find_map(|&b| self.by_address.get(&record_address(wallet, b)))
            .copied()
            .unwrap_or(0)
    }

    /// Claim records held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_address.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_address.is_empty()
    }
}

/// When the read after one begun at `started` may start: `(earliest, due)`. After a read that
/// took `took`, `earliest` is `READ_SHARE * took` after `started` (a new final root, or a
/// summary asked of a quiet index, starts it then) and `due` is that or [`CLAIMS_EVERY`] after
/// `started` ([`CLAIMS_QUIET_EVERY`] when `quiet`), whichever is later. After a failure (`took`
/// None), both are `backoff` after `started`.
#[must_use]
pub fn next_read(
    started: Instant,
    took: Option<Duration>,
    backoff: Duration,
    quiet: bool,
) -> (Instant, Instant) {
    match took {
        Some(took) => {
            let earliest = started + took.saturating_mul(READ_SHARE);
            let every = if quiet {
                CLAIMS_QUIET_EVERY
            } else {
                CLAIMS_EVERY
            };
            (earliest, earliest.max(started + every))
        }
        None => (started + backoff, started + backoff),
    }
}

/// How long the index answers after a read when reads are `period` apart: three periods, at
/// least [`CLAIMS_MAX_AGE`].
#[must_use]
pub fn good_for(period: Duration) -> Duration {
    CLAIMS_MAX_AGE.max(period.saturating_mul(3))
}

/// The index and when the last complete read behind it began.
#[derive(Debug, Clone)]
struct Current {
    claims: Arc<Claims>,
    taken: Instant,
}

/// The claim index of one oracle's API.
#[derive(Debug)]
pub struct ClaimIndex {
    current: RwLock<Option<Current>>,
    /// How long an index answers after its read began, in milliseconds ([`good_for`] of the
    /// pacing of the last read).
    good_for_ms: AtomicU64,
    /// One read at a time.
    reading: tokio::sync::Mutex<()>,
    /// A new final root, or a summary asked of a quiet index: read again as soon as the
    /// pacing allows.
    wake: tokio::sync::Notify,
    born: Instant,
    /// When a summary last asked, in milliseconds after `born`.
    used_ms: AtomicU64,
    /// No summary asked for [`CLAIMS_QUIET_AFTER`] at the last read.
    quiet: AtomicBool,
}

impl Default for ClaimIndex {
    fn default() -> Self {
        Self {
            current: RwLock::new(None),
            good_for_ms: AtomicU64::new(millis(CLAIMS_MAX_AGE)),
            reading: tokio::sync::Mutex::new(()),
            wake: tokio::sync::Notify::new(),
            born: Instant::now(),
            used_ms: AtomicU64::new(0),
            quiet: AtomicBool::new(false),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl ClaimIndex {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The index, if it may answer now.
    #[must_use]
    pub fn fresh(&self) -> Option<Arc<Claims>> {
        self.fresh_at(Instant::now())
    }

    /// The index, if it may answer at `now`: its read began less than [`Self::good_for`]
    /// before ([`CLAIMS_QUIET_FRESH`] while it is quiet).
    #[must_use]
    pub fn fresh_at(&self, now: Instant) -> Option<Arc<Claims>> {
        let good_for = if self.is_quiet() {
            self.good_for().min(CLAIMS_QUIET_FRESH)
        } else {
            self.good_for()
        };
        self.current()
            .filter(|c| now.saturating_duration_since(c.taken) < good_for)
            .map(|c| c.claims)
    }

    fn current(&self) -> Option<Current> {
        self.current.read().ok()?.clone()
    }

    /// When the last complete read began.
    #[must_use]
    pub fn taken(&self) -> Option<Instant> {
        Some(self.current()?.taken)
    }

    /// How long an index answers after its read began.
    #[must_use]
    pub fn good_for(&self) -> Duration {
        Duration::from_millis(self.good_for_ms.load(Ordering::Relaxed))
    }

    /// Whether no summary had asked for [`CLAIMS_QUIET_AFTER`] at the last read.
    #[must_use]
    pub fn is_quiet(&self) -> bool {
        self.quiet.load(Ordering::Relaxed)
    }

    /// A summary asks: a quiet index is read at once.
    pub fn note_use(&self) {
        self.used_ms
            .store(millis(self.born.elapsed()), Ordering::Relaxed);
        if self.is_quiet() {
            self.wake.notify_one();
        }
    }

    /// How long since a summary last asked.
    fn since_use(&self) -> Duration {
        self.born
            .elapsed()
            .saturating_sub(Duration::from_millis(self.used_ms.load(Ordering::Relaxed)))
    }

    /// Sets how long an index answers (tests: a stale index).
    #[cfg(test)]
    pub(crate) fn set_good_for(&self, d: Duration) {
        self.good_for_ms.store(millis(d), Ordering::Relaxed);
    }

    /// The index as last read, fresh or not.
    #[must_use]
    pub fn last(&self) -> Option<Arc<Claims>> {
        Some(self.current()?.claims)
    }

    /// Reads every claim record from `chain` and merges them into the index (one read at a
    /// time; the map is built on a blocking thread, and kept as it is when the read changes
    /// nothing).
    ///
    /// # Errors
    ///
    /// The chain read failed; the index is left as it was.
    pub async fn refresh(&self, chain: &dyn ApiChain) -> Result<Arc<Claims>, String> {
        let _one = self.reading.lock().await;
        let taken = Instant::now();
        let entries = chain.claim_records().await?;
        let previous = self.last();
        let claims = tokio::task::spawn_blocking(move || match previous {
            Some(previous) if previous.holds(&entries) => previous,
            previous => Arc::new(Claims::new(&entries, previous.as_deref())),
        })
        .await
        .map_err(|e| format!("building the claim index: {e}"))?;
        if let Ok(mut current) = self.current.write() {
            *current = Some(Current {
                claims: Arc::clone(&claims),
                taken,
            });
        }
        Ok(claims)
    }

    /// Asks [`Self::run`] to read again as soon as its pacing allows (a new final root).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Reads the claim records from `chain` on the pacing of [`next_read`] until `shutdown`
    /// (`oracle serve`'s `rewards-index` task runs it beside the owner index).
    pub async fn run(&self, chain: &dyn ApiChain, mut shutdown: Shutdown) {
        let mut backoff = CLAIMS_EVERY;
        loop {
            let started = Instant::now();
            // A read may take long (a slow or absent node): shutdown does not wait for it.
            let refreshed = tokio::select! {
                () = shutdown.requested() => return,
                r = self.refresh(chain) => r,
            };
            let (earliest, due) = match refreshed {
                Ok(claims) => {
                    backoff = CLAIMS_EVERY;
                    let quiet = self.since_use() >= CLAIMS_QUIET_AFTER;
                    self.quiet.store(quiet, Ordering::Relaxed);
                    let took = Some(started.elapsed());
                    let (earliest, due) = next_read(started, took, backoff, quiet);
                    // How long it answers: three periods of the pacing while asked.
                    let period = next_read(started, took, backoff, false).1 - started;
                    let good = good_for(period);
                    if self.good_for_ms.swap(millis(good), Ordering::Relaxed) != millis(good) {
                        tracing::info!(records = claims.len(), ?good, "claim index: pacing");
                    }
                    (earliest, due)
                }
                Err(detail) => {
                    tracing::warn!(
                        %detail,
                        ?backoff,
                        "claim index: reading the claim records failed; summaries read each \
                         wallet's record once the index is stale"
                    );
                    let next = next_read(started, None, backoff, false);
                    backoff = backoff.saturating_mul(2).min(CLAIMS_BACKOFF_MAX);
                    next
                }
            };
            tokio::select! {
                () = shutdown.requested() => return,
                () = tokio::time::sleep_until(due.into()) => {}
                () = async {
                    self.wake.notified().await;
                    tokio::time::sleep_until(earliest.into()).await;
                } => {}
            }
        }
    }
}

#[cfg(test)]
pub(in crate::api) mod tests {
    use super::super::chain::ChainRead;
    use super::*;

    fn wallet(i: u8) -> Pubkey {
        Pubkey([i; 32])
    }

    /// The record `wallet` has at its canonical bump, with `claimed` (the API state's tests
    /// use it too).
    pub(in crate::api) fn entry(w: &Pubkey, claimed: u64) -> ClaimEntry {
        let (address, bump) = depin_client::builders::rewards_ix::claim_record_pda(&w.0.into());
        ClaimEntry {
            address: address.to_bytes(),
            bump,
            claimed,
        }
    }

    #[test]
    fn a_record_address_is_the_claim_pda_at_its_bump() {
        let mut bumps = std::collections::BTreeSet::new();
        for i in 0..64u8 {
            let w = wallet(i);
            let (pda, bump) = depin_client::builders::rewards_ix::claim_record_pda(&w.0.into());
            assert_eq!(record_address(&w, bump), pda.to_bytes(), "wallet {i}");
            assert_ne!(record_address(&w, bump ^ 1), pda.to_bytes());
            bumps.insert(bump);
        }
        // Not every canonical bump is 255: the lookup really tries several.
        assert!(bumps.len() > 1, "{bumps:?}");
    }

    #[test]
    fn a_complete_read_gives_each_wallet_its_amount_and_a_missing_wallet_zero() {
        let entries: Vec<ClaimEntry> = (1..=40u8)
            .map(|i| entry(&wallet(i), u64::from(i) * 1_000))
            .collect();
        let claims = Claims::new(&entries, None);
        assert_eq!(claims.len(), 40);
        for i in 1..=40u8 {
            assert_eq!(
                claims.claimed(&wallet(i)),
                u64::from(i) * 1_000,
                "wallet {i}"
            );
        }
        for i in [0u8, 41, 200] {
            assert_eq!(claims.claimed(&wallet(i)), 0, "wallet {i}");
        }
        // The most frequent bump first.
        assert_eq!(claims.bumps.first(), Some(&255));
        let empty = Claims::new(&[], None);
        assert!(empty.is_empty());
        assert_eq!(empty.claimed(&wallet(1)), 0);
    }

    #[test]
    fn a_later_read_raises_amounts_and_never_lowers_them() {
        let (a, b, c) = (wallet(1), wallet(2), wallet(3));
        let first = Claims::new(&[entry(&a, 500), entry(&b, 700)], None);
        assert!(first.holds(&[entry(&a, 500), entry(&b, 700)]));
        assert!(first.holds(&[entry(&a, 300)]));
        assert!(!first.holds(&[entry(&a, 501)]));
        assert!(!first.holds(&[entry(&c, 1)]));
        // A lagging node: a's older amount, no record for b; c claimed since.
        let second = Claims::new(&[entry(&a, 300), entry(&c, 90)], Some(&first));
        assert_eq!(
            (second.claimed(&a), second.claimed(&b), second.claimed(&c)),
            (500, 700, 90)
        );
        assert_eq!(second.len(), 3);
        // a claims again: the amount rises.
        let third = Claims::new(
            &[entry(&a, 1_250), entry(&b, 700), entry(&c, 90)],
            Some(&second),
        );
        assert_eq!(
            (third.claimed(&a), third.claimed(&b), third.claimed(&c)),
            (1_250, 700, 90)
        );
        assert_eq!(third.claimed(&wallet(4)), 0);
    }

    #[test]
    fn reads_are_paced_by_the_period_their_duration_and_failures() {
        let s = Instant::now();
        let ms = Duration::from_millis;
        // A fast read: every second, and at once for a new final root.
        assert_eq!(
            next_read(s, Some(ms(20)), CLAIMS_EVERY, false),
            (s + ms(100), s + ms(1_000))
        );
        // Nobody asking: every 30 s, or at once (after the same pacing) when someone asks.
        assert_eq!(
            next_read(s, Some(ms(20)), CLAIMS_EVERY, true),
            (s + ms(100), s + ms(30_000))
        );
        // A slow one (a large network): five times its duration, woken no sooner.
        assert_eq!(
            next_read(s, Some(ms(3_000)), CLAIMS_EVERY, false),
            (s + ms(15_000), s + ms(15_000))
        );
        // A failure: the backoff.
        assert_eq!(
            next_read(s, None, ms(8_000), false),
            (s + ms(8_000), s + ms(8_000))
        );
        // The index answers three periods, at least a minute.
        assert_eq!(good_for(ms(1_000)), CLAIMS_MAX_AGE);
        assert_eq!(good_for(ms(30_000)), ms(90_000));
    }

    /// A chain whose claim records the test sets; `None` fails the read.
    struct Records(std::sync::Mutex<Option<Vec<ClaimEntry>>>);

    impl Records {
        fn set(&self, records: Option<Vec<ClaimEntry>>) {
            *self.0.lock().unwrap() = records;
        }
    }

    impl ApiChain for Records {
        fn network(&self) -> ChainRead<'_, Option<rewards::state::Network>> {
            Box::pin(async { Ok(None) })
        }
        fn claim_record(&self, _wallet: Pubkey) -> ChainRead<'_, Option<u64>> {
            Box::pin(async { Err("no per-wallet reads here".to_owned()) })
        }
        fn claim_records(&self) -> ChainRead<'_, Vec<ClaimEntry>> {
            let records = self.0.lock().unwrap().clone();
            Box::pin(
                async move { records.ok_or_else(|| "getProgramAccounts is disabled".to_owned()) },
            )
        }
    }

    #[tokio::test]
    async fn a_refresh_replaces_the_index_a_failed_one_keeps_it_and_it_answers_a_while() {
        let (a, b) = (wallet(1), wallet(2));
        let chain = Records(std::sync::Mutex::new(Some(vec![entry(&a, 10)])));
        let index = ClaimIndex::new();
        assert!(index.fresh().is_none() && index.last().is_none());
        let first = index.refresh(&chain).await.unwrap();
        assert_eq!((first.claimed(&a), first.claimed(&b)), (10, 0));
        let taken = index.taken().unwrap();
        // Nothing claimed since: the same index, read again later.
        let again = index.refresh(&chain).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert!(index.taken().unwrap() > taken);
        chain.set(Some(vec![entry(&a, 25), entry(&b, 4)]));
        let second = index.refresh(&chain).await.unwrap();
        assert_eq!((second.claimed(&a), second.claimed(&b)), (25, 4));
        assert!(!Arc::ptr_eq(&first, &second));
        chain.set(None);
        assert_eq!(
            index.refresh(&chain).await.unwrap_err(),
            "getProgramAccounts is disabled"
        );
        let kept = index.fresh().unwrap();
        assert!(Arc::ptr_eq(&kept, &second));
        assert_eq!((kept.claimed(&a), kept.claimed(&b)), (25, 4));
        // It answers for good_for after its read began, then only `last` holds it.
        let taken = index.taken().unwrap();
        assert_eq!(index.good_for(), CLAIMS_MAX_AGE);
        assert!(
            index
                .fresh_at(taken + CLAIMS_MAX_AGE - Duration::from_millis(1))
                .is_some()
        );
        assert!(index.fresh_at(taken + CLAIMS_MAX_AGE).is_none());
        assert!(index.last().is_some());
        // Quiet (nobody asked for a while): it answers only within 2 s of its read, and a
        // summary wakes a read.
        index.quiet.store(true, Ordering::Relaxed);
        assert!(
            index
                .fresh_at(taken + Duration::from_millis(1_999))
                .is_some()
        );
        assert!(index.fresh_at(taken + CLAIMS_QUIET_FRESH).is_none());
        index.note_use();
        tokio::time::timeout(Duration::from_secs(1), index.wake.notified())
            .await
            .expect("a summary wakes a quiet index's read");
        assert!(index.since_use() < Duration::from_secs(1));
        index.quiet.store(false, Ordering::Relaxed);
        // A clock reading before the read began is not past it.
        assert!(
            index
                .fresh_at(taken.checked_sub(Duration::from_secs(1)).unwrap_or(taken))
                .is_some()
        );
    }
}
