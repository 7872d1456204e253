//! What the rewards API reads: the chain (the network's final root, cached for [`CHAIN_TTL`]
//! and read by one request at a time, and what each wallet has claimed, from the claim index
//! of [`super::claims`], or per wallet while it has none), the final root's reward tree (built
//! once per final root from this oracle's own wallets.csv, and checked against the chain before
//! it is served), and the owner index in the store (filled from every published devices.csv).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use depin_client::Sender;
use depin_formats::keys::Pubkey;
use depin_formats::transparency::{
    DEVICES_CSV, WALLETS_CSV, WalletRow, parse_devices_csv, parse_wallets_csv,
};
use rewards::state::{FinalRoot, Network};

use super::chain::{ApiChain, RpcChain};
use super::claims::{ClaimIndex, Claims};

use crate::ingest::Rejection;
use crate::ingest::epochs::EpochFiles;
use crate::store::Store;

/// How long a chain read is reused.
pub const CHAIN_TTL: Duration = Duration::from_secs(2);
/// While one request reads the network account again, the others are answered with the one
/// read before if it is younger than this (else they wait for the read).
pub const NETWORK_STALE: Duration = Duration::from_secs(10);
/// After a failed read of the network account, requests that find no usable account fail at
/// once for this long (instead of each waiting for its own read to fail).
pub const NETWORK_RETRY: Duration = Duration::from_secs(1);
/// How often `oracle serve` looks for newly published epochs to index.
pub const INDEX_EVERY: Duration = Duration::from_secs(5);
/// Claim records kept in the cache before it is emptied.
const CLAIMED_CACHE: usize = 1 << 16;

/// The final root's tree, from this oracle's wallets.csv of that epoch.
pub struct Snapshot {
    pub final_root: FinalRoot,
    pub rows: Vec<WalletRow>,
    index: HashMap<Pubkey, usize>,
    /// None for an empty root.
    tree: Option<merkle_sum::Tree>,
}

impl Snapshot {
    /// The wallet's row and its proof, if it has a leaf.
    #[must_use]
    pub fn leaf(&self, wallet: &Pubkey) -> Option<(usize, &WalletRow, merkle_sum::Proof)> {
        let i = *self.index.get(wallet)?;
        Some((i, self.rows.get(i)?, self.tree.as_ref()?.proof(i)?))
    }
}

/// The API's shared state.
pub struct ApiState {
    pub(crate) files: EpochFiles,
    data_dir: PathBuf,
    pub(crate) store: Store,
    chain: Option<Arc<dyn ApiChain>>,
    network: Mutex<Option<(Instant, Arc<Network>)>>,
    /// One read of the network account at a time.
    network_read: tokio::sync::Mutex<()>,
    /// When the last read of the network account failed.
    network_failed: Mutex<Option<Instant>>,
    /// What each wallet has claimed, from one bulk read ([`super::claims`]).
    claims: ClaimIndex,
    /// Per-wallet reads while the claim index is not fresh.
    claimed: Mutex<HashMap<Pubkey, (Instant, u64)>>,
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    /// The last root whose tree could not be built, and when (not retried for [`CHAIN_TTL`]).
    failed: Mutex<Option<(FinalRoot, Instant)>>,
    loading: tokio::sync::Mutex<()>,
    indexing: tokio::sync::Mutex<()>,
}

/// A 503 whose public detail is fixed: the real one (an RPC URL with its key, a path, a
/// database error) is only logged.
fn unavailable(reason: &'static str, detail: impl Into<String>) -> Rejection {
    let detail = detail.into();
    tracing::warn!(reason, %detail, "rewards api");
    let public = match reason {
        "chain_unavailable" => "this oracle could not read the chain; retry later",
        "final_epoch_unavailable" => {
            "this oracle has not published the final root's epoch, or its root for it is not \
             the final one; retry later or ask another oracle"
        }
        _ => "this oracle could not read its published files or its index; retry later",
    };
    Rejection::new(StatusCode::SERVICE_UNAVAILABLE, reason, public)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl ApiState {
    /// Over the published epochs in `data_dir`, the store, and the chain over JSON-RPC when
    /// there is one.
    #[must_use]
    pub fn new(data_dir: &std::path::Path, store: Store, chain: Option<Sender>) -> Self {
        Self::over(
            data_dir,
            store,
            chain.map(|c| Arc::new(RpcChain::new(c)) as Arc<dyn ApiChain>),
        )
    }

    /// Like [`Self::new`], reading the chain through `chain` (a benchmark's or a test's).
    #[must_use]
    pub fn with_chain(data_dir: &std::path::Path, store: Store, chain: Arc<dyn ApiChain>) -> Self {
        Self::over(data_dir, store, Some(chain))
    }

    fn over(data_dir: &std::path::Path, store: Store, chain: Option<Arc<dyn ApiChain>>) -> Self {
        Self {
            files: EpochFiles::new(data_dir),
            data_dir: data_dir.to_path_buf(),
            store,
            chain,
            network: Mutex::new(None),
            network_read: tokio::sync::Mutex::new(()),
            network_failed: Mutex::new(None),
            claims: ClaimIndex::new(),
            claimed: Mutex::new(HashMap::new()),
            snapshot: RwLock::new(None),
            failed: Mutex::new(None),
            loading: tokio::sync::Mutex::new(()),
            indexing: tokio::sync::Mutex::new(()),
        }
    }

    fn chain(&self) -> Result<&dyn ApiChain, Rejection> {
        self.chain.as_deref().ok_or_else(|| {
            unavailable(
                "chain_unavailable",
                "this oracle has no JSON-RPC URL (submit.rpc_urls)",
            )
        })
    }

    fn cached_network(&self) -> Option<(Instant, Arc<Network>)> {
        self.network.lock().ok()?.clone()
    }

    /// The rewards network account, read at most every [`CHAIN_TTL`] and by one request at a
    /// time: the others get the account read before while it is younger than
    /// [`NETWORK_STALE`], and wait for the read otherwise; within [`NETWORK_RETRY`] of a
    /// failed read they fail at once.
    ///
    /// # Errors
    ///
    /// 503 `chain_unavailable`: no RPC, a failed read, or no network.
    pub async fn network(&self) -> Result<Arc<Network>, Rejection> {
        let cached = self.cached_network();
        let usable = |c: &Option<(Instant, Arc<Network>)>, age: Duration| {
            c.as_ref()
                .filter(|(at, _)| at.elapsed() < age)
                .map(|(_, n)| Arc::clone(n))
        };
        if let Some(network) = usable(&cached, CHAIN_TTL) {
            return Ok(network);
        }
        let chain = self.chain()?;
        let asked = Instant::now();
        let failed_since = |since: Instant| {
            self.network_failed
                .lock()
                .ok()
                .and_then(|f| *f)
                .is_some_and(|at| at >= since)
        };
        let _one = match self.network_read.try_lock() {
            Ok(one) => one,
            Err(_) => {
                if let Some(network) = usable(&cached, NETWORK_STALE) {
                    return Ok(network);
                }
                let one = self.network_read.lock().await;
                // The read this request waited for.
                if let Some(network) = usable(&self.cached_network(), CHAIN_TTL) {
                    return Ok(network);
                }
                if failed_since(asked) {
                    return Err(unavailable(
                        "chain_unavailable",
                        "the network account read just failed",
                    ));
                }
                one
            }
        };
        if failed_since(asked.checked_sub(NETWORK_RETRY).unwrap_or(asked)) {
            return usable(&cached, NETWORK_STALE).ok_or_else(|| {
                unavailable(
                    "chain_unavailable",
                    "the network account read failed less than a second ago",
                )
            });
        }
        let address = depin_client::builders::rewards_ix::network_pda().0;
        let read = chain
            .network()
            .await
            .and_then(|n| n.ok_or_else(|| format!("no rewards network at {address}")));
        let network = match read {
            Ok(network) => Arc::new(network),
            Err(detail) => {
                if let Ok(mut failed) = self.network_failed.lock() {
                    *failed = Some(Instant::now());
                }
                return Err(unavailable("chain_unavailable", detail));
            }
        };
        if let Ok(mut cached) = self.network.lock() {
            *cached = Some((Instant::now(), Arc::clone(&network)));
        }
        Ok(network)
    }

    /// What `wallet` has claimed: from the claim index while it is fresh (no chain read), else
    /// its claim record read at most every [`CHAIN_TTL`] (0 without one), never below what
    /// the index last held.
    ///
    /// # Errors
    ///
    /// 503 `chain_unavailable` (only without a fresh index).
    pub async fn claimed(&self, wallet: &Pubkey) -> Result<u64, Rejection> {
        self.claims.note_use();
        if let Some(index) = self.claims.fresh() {
            return Ok(index.claimed(wallet));
        }
        let read = self.read_claimed(wallet).await?;
        Ok(self
            .claims
            .last()
            .map_or(read, |index| read.max(index.claimed(wallet))))
    }

    /// `wallet`'s claim record, read at most every [`CHAIN_TTL`].
    async fn read_claimed(&self, wallet: &Pubkey) -> Result<u64, Rejection> {
        if let Ok(cached) = self.claimed.lock()
            && let Some((at, claimed)) = cached.get(wallet)
            && at.elapsed() < CHAIN_TTL
        {
            return Ok(*claimed);
        }
        let claimed = self
            .chain()?
            .claim_record(*wallet)
            .await
            .map_err(|e| unavailable("chain_unavailable", e))?
            .unwrap_or(0);
        if let Ok(mut cached) = self.claimed.lock() {
            if cached.len() >= CLAIMED_CACHE {
                cached.clear();
            }
            cached.insert(*wallet, (Instant::now(), claimed));
        }
        Ok(claimed)
    }

    /// Reads every claim record into the claim index now (`oracle serve` does it on a pacing:
    /// [`Self::run`]).
    ///
    /// # Errors
    ///
    /// 503 `chain_unavailable`: no chain, or the read failed (the index is left as it was).
    pub async fn refresh_claims(&self) -> Result<Arc<Claims>, Rejection> {
        self.claims
            .refresh(self.chain()?)
            .await
            .map_err(|e| unavailable("chain_unavailable", e))
    }

    /// The claim index.
    #[must_use]
    pub fn claims(&self) -> &ClaimIndex {
        &self.claims
    }

    /// The tree of the final root `fin` (epochs > 0): built from this oracle's wallets.csv
    /// of epoch `fin.epochs - 1` the first time, and only if its root and sum are the chain's.
    ///
    /// # Errors
    ///
    /// 503 `final_epoch_unavailable`: this oracle has not published that epoch, or its root
    /// differs from the final one (it is then behind or disagrees; another oracle can answer).
    pub async fn snapshot(&self, fin: &FinalRoot) -> Result<Arc<Snapshot>, Rejection> {
        let current = |s: &Snapshot| s.final_root == *fin;
        if let Some(s) = self.current_snapshot().filter(|s| current(s)) {
            return Ok(s);
        }
        let _one = self.loading.lock().await;
        if let Some(s) = self.current_snapshot().filter(|s| current(s)) {
            return Ok(s);
        }
        if let Ok(failed) = self.failed.lock()
            && let Some((root, at)) = failed.as_ref()
            && root == fin
            && at.elapsed() < CHAIN_TTL
        {
            return Err(unavailable("final_epoch_unavailable", "failed just before"));
        }
        let epoch = fin.epochs.saturating_sub(1);
        let path = self.files.epoch_dir(epoch).join(WALLETS_CSV);
        let fin_copy = *fin;
        let built = tokio::task::spawn_blocking(move || build(&path, fin_copy))
            .await
            .map_err(|e| e.to_string())
            .and_then(|b| b);
        let built = match built {
            Ok(built) => Arc::new(built),
            Err(detail) => {
                if let Ok(mut failed) = self.failed.lock() {
                    *failed = Some((*fin, Instant::now()));
                }
                return Err(unavailable("final_epoch_unavailable", detail));
            }
        };
        // The devices of the summary; a failure leaves them out, never the proof.
        if let Err(e) = self.index_epoch(epoch).await {
            tracing::warn!(epoch, detail = %e.detail, "rewards api: indexing the final epoch");
        }
        if let Ok(mut s) = self.snapshot.write() {
            // A request holding an older root never replaces a newer tree.
            if s.as_ref()
                .is_none_or(|cur| cur.final_root.epochs <= fin.epochs)
            {
                *s = Some(Arc::clone(&built));
                // A new final root: the claim index reads again as soon as its pacing allows.
                self.claims.wake();
            }
        }
        Ok(built)
    }

    fn current_snapshot(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.read().ok()?.clone()
    }

    /// Indexes epoch `epoch`'s devices.csv by owner if it is not yet (idempotent).
    ///
    /// # Errors
    ///
    /// 503 `index_unavailable`: the file cannot be read or parsed, or the store failed.
    pub async fn index_epoch(&self, epoch: u64) -> Result<(), Rejection> {
        let _one = self.indexing.lock().await;
        let indexed = self
            .store
            .indexed_epochs()
            .await
            .map_err(|e| unavailable("index_unavailable", e.to_string()))?;
        if indexed.binary_search(&epoch).is_ok() {
            return Ok(());
        }
        let path = self.files.epoch_dir(epoch).join(DEVICES_CSV);
        let rows = tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            parse_devices_csv(&bytes).map_err(|e| format!("{}: {e}", path.display()))
        })
        .await
        .map_err(|e| unavailable("index_unavailable", e.to_string()))?
        .map_err(|detail| unavailable("index_unavailable", detail))?;
        self.store
            .index_epoch(epoch, &rows, now_ms())
            .await
            .map_err(|e| unavailable("index_unavailable", e.to_string()))?;
        tracing::info!(epoch, devices = rows.len(), "rewards api: epoch indexed");
        Ok(())
    }

    /// Indexes every published epoch not indexed yet, oldest first; returns how many.
    ///
    /// # Errors
    ///
    /// The first epoch that failed (the others were still indexed).
    pub async fn index_published(&self) -> Result<usize, Rejection> {
        let files = self.files.clone();
        let published = tokio::task::spawn_blocking(move || files.published())
            .await
            .map_err(|e| unavailable("index_unavailable", e.to_string()))?
            .map_err(|e| unavailable("index_unavailable", e.to_string()))?;
        let indexed = self
            .store
            .indexed_epochs()
            .await
            .map_err(|e| unavailable("index_unavailable", e.to_string()))?;
        let mut done = 0;
        let mut first_error = None;
        for epoch in published {
            if indexed.binary_search(&epoch).is_err() {
                // An epoch that fails is retried next time; the later ones go on.
                match self.index_epoch(epoch).await {
                    Ok(()) => done += 1,
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
        first_error.map_or(Ok(done), Err)
    }

    /// Until `shutdown` (`oracle serve`'s `rewards-index` task): indexes each newly published
    /// epoch every [`INDEX_EVERY`], so a wallet's history is ready before anyone asks (a
    /// request indexes what is missing itself too), and, with a chain, keeps the claim index
    /// read ([`ClaimIndex::run`]).
    ///
    /// # Errors
    ///
    /// Never: a failure is logged and retried.
    pub async fn run(
        self: Arc<Self>,
        shutdown: crate::supervisor::Shutdown,
    ) -> Result<(), crate::supervisor::TaskError> {
        let claims = {
            let mut shutdown = shutdown.clone();
            let api = Arc::clone(&self);
            async move {
                match api.chain.as_deref() {
                    Some(chain) => api.claims.run(chain, shutdown).await,
                    None => shutdown.requested().await,
                }
            }
        };
        let owners = {
            let mut shutdown = shutdown;
            async move {
                loop {
                    if let Err(e) = self.index_published().await {
                        tracing::warn!(reason = e.reason, detail = %e.detail, "indexing failed; retrying");
                    }
                    tokio::select! {
                        () = shutdown.requested() => return,
                        () = tokio::time::sleep(INDEX_EVERY) => {}
                    }
                }
            }
        };
        tokio::join!(claims, owners);
        Ok(())
    }

    /// The data directory the epochs are read from.
    #[must_use]
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }
}

/// The tree of `path` (a wallets.csv), if its root is `fin`'s.
fn build(path: &std::path::Path, fin: FinalRoot) -> Result<Snapshot, String> {
    let epoch = fin.epochs.saturating_sub(1);
    if fin.leaves == 0 && fin.total == 0 {
        // An empty root (no wallet has earned yet): nobody has a leaf.
        return Ok(Snapshot {
            final_root: fin,
            rows: Vec::new(),
            index: HashMap::new(),
            tree: None,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "epoch {epoch} is not published here ({}: {e})",
            path.display()
        )
    })?;
    let rows = parse_wallets_csv(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let tree = depin_formats::tree::tree(&rows)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .ok_or_else(|| {
            format!(
                "{}: no wallets, but the final root has some",
                path.display()
            )
        })?;
    let root = tree.root();
    if (root.hash, root.sum) != (fin.root, fin.total) {
        return Err(format!(
            "this oracle's epoch {epoch} root {} (sum {}) is not the final root {} (sum {})",
            hex::encode(root.hash),
            root.sum,
            hex::encode(fin.root),
            fin.total
        ));
    }
    let index = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.wallet, i))
        .collect();
    Ok(Snapshot {
        final_root: fin,
        rows,
        index,
        tree: Some(tree),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use anchor_lang::AccountDeserialize;

    use super::super::chain::ChainRead;
    use super::super::claims::ClaimEntry;
    use super::super::claims::tests::entry;
    use super::*;

    /// A chain the test sets: per-wallet records, the bulk read, and the network read (slow,
    /// failing or not), each read counted.
    #[derive(Default)]
    struct Fake {
        per_wallet: Mutex<HashMap<Pubkey, u64>>,
        records: Mutex<Vec<ClaimEntry>>,
        network_fails: std::sync::atomic::AtomicBool,
        wallet_reads: AtomicUsize,
        network_reads: AtomicUsize,
    }

    fn network(epochs: u64) -> Network {
        let mut n = Network::try_deserialize_unchecked(&mut &vec![0u8; Network::SIZE][..]).unwrap();
        n.final_root.epochs = epochs;
        n
    }

    impl ApiChain for Fake {
        fn network(&self) -> ChainRead<'_, Option<Network>> {
            Box::pin(async move {
                self.network_reads.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                if self.network_fails.load(Ordering::SeqCst) {
                    return Err("the RPC is down".to_owned());
                }
                Ok(Some(network(3)))
            })
        }
        fn claim_record(&self, wallet: Pubkey) -> ChainRead<'_, Option<u64>> {
            self.wallet_reads.fetch_add(1, Ordering::SeqCst);
            let claimed = self.per_wallet.lock().unwrap().get(&wallet).copied();
            Box::pin(async move { Ok(claimed) })
        }
        fn claim_records(&self) -> ChainRead<'_, Vec<ClaimEntry>> {
            let records = self.records.lock().unwrap().clone();
            Box::pin(async move { Ok(records) })
        }
    }

    async fn api(dir: &std::path::Path, chain: Arc<Fake>) -> ApiState {
        let storage = crate::settings::StorageSettings {
            data_dir: dir.to_path_buf(),
            ..Default::default()
        };
        let store = Store::connect(&storage).await.unwrap();
        ApiState::with_chain(dir, store, chain)
    }

    #[tokio::test]
    async fn claimed_comes_from_a_fresh_index_else_from_the_wallet_and_never_below_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let chain = Arc::new(Fake::default());
        let api = api(dir.path(), Arc::clone(&chain)).await;
        let (a, b, c) = (Pubkey([1; 32]), Pubkey([2; 32]), Pubkey([3; 32]));
        chain.per_wallet.lock().unwrap().insert(a, 7);
        // No index yet: each wallet's record is read (and reused for CHAIN_TTL).
        assert_eq!(api.claimed(&a).await.unwrap(), 7);
        assert_eq!(api.claimed(&a).await.unwrap(), 7);
        assert_eq!(api.claimed(&b).await.unwrap(), 0);
        assert_eq!(chain.wallet_reads.load(Ordering::SeqCst), 2);
        // A complete read: a claimed 9 since, b never, c 40.
        *chain.records.lock().unwrap() = vec![entry(&a, 9), entry(&c, 40)];
        let index = api.refresh_claims().await.unwrap();
        assert_eq!(index.len(), 2);
        assert_eq!(api.claimed(&a).await.unwrap(), 9);
        assert_eq!(api.claimed(&b).await.unwrap(), 0);
        assert_eq!(api.claimed(&c).await.unwrap(), 40);
        assert_eq!(
            chain.wallet_reads.load(Ordering::SeqCst),
            2,
            "no chain read"
        );
        // A stale index (its reads fail): per-wallet reads again, never below the index.
        api.claims().set_good_for(Duration::ZERO);
        chain.per_wallet.lock().unwrap().insert(c, 55);
        assert_eq!(api.claimed(&c).await.unwrap(), 55);
        // a's record read before the index (7, still reused) is below the index's 9.
        assert_eq!(api.claimed(&a).await.unwrap(), 9);
        assert_eq!(api.claimed(&b).await.unwrap(), 0);
        assert_eq!(chain.wallet_reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_network_is_read_by_one_request_at_a_time_and_a_failure_is_not_retried_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let chain = Arc::new(Fake::default());
        let api = Arc::new(api(dir.path(), Arc::clone(&chain)).await);
        let many = (0..16).map(|_| {
            let api = Arc::clone(&api);
            tokio::spawn(async move { api.network().await.map(|n| n.final_root.epochs) })
        });
        for r in futures_util::future::join_all(many).await {
            assert_eq!(r.unwrap().unwrap(), 3);
        }
        assert_eq!(chain.network_reads.load(Ordering::SeqCst), 1);
        // Expired: one request reads again, the others get the account read before.
        if let Ok(mut cached) = api.network.lock()
            && let Some((at, _)) = cached.as_mut()
        {
            *at = Instant::now().checked_sub(CHAIN_TTL).unwrap();
        }
        let reader = {
            let api = Arc::clone(&api);
            tokio::spawn(async move { api.network().await.map(|n| n.final_root.epochs) })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let started = Instant::now();
        assert_eq!(api.network().await.unwrap().final_root.epochs, 3);
        assert!(
            started.elapsed() < Duration::from_millis(40),
            "not waiting for the read"
        );
        assert_eq!(reader.await.unwrap().unwrap(), 3);
        assert_eq!(chain.network_reads.load(Ordering::SeqCst), 2);
        // Down, with nothing read before: one read fails, and the next requests within
        // NETWORK_RETRY fail without a read of their own.
        *api.network.lock().unwrap() = None;
        chain.network_fails.store(true, Ordering::SeqCst);
        let e = api.network().await.unwrap_err();
        assert_eq!((e.status.as_u16(), e.reason), (503, "chain_unavailable"));
        assert_eq!(chain.network_reads.load(Ordering::SeqCst), 3);
        let e = api.network().await.unwrap_err();
        assert_eq!(e.reason, "chain_unavailable");
        assert_eq!(chain.network_reads.load(Ordering::SeqCst), 3);
        tokio::time::sleep(NETWORK_RETRY).await;
        chain.network_fails.store(false, Ordering::SeqCst);
        assert_eq!(api.network().await.unwrap().final_root.epochs, 3);
        assert_eq!(chain.network_reads.load(Ordering::SeqCst), 4);
    }
}
