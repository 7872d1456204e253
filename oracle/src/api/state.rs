//! What the rewards API reads: the chain (the network's final root and each wallet's claim
//! record, each cached for [`CHAIN_TTL`]), the final root's reward tree (built once per final
//! root from this oracle's own wallets.csv, and checked against the chain before it is
//! served), and the owner index in the store (filled from every published devices.csv).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use depin_client::Sender;
use depin_client::accounts::fetch;
use depin_client::builders::rewards_ix;
use depin_formats::keys::Pubkey;
use depin_formats::transparency::{
    DEVICES_CSV, WALLETS_CSV, WalletRow, parse_devices_csv, parse_wallets_csv,
};
use rewards::state::{ClaimRecord, FinalRoot, Network};

use crate::ingest::Rejection;
use crate::ingest::epochs::EpochFiles;
use crate::store::Store;

/// How long a chain read is reused.
pub const CHAIN_TTL: Duration = Duration::from_secs(2);
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
    chain: Option<Sender>,
    network: Mutex<Option<(Instant, Arc<Network>)>>,
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
    /// Over the published epochs in `data_dir`, the store, and the chain when there is one.
    #[must_use]
    pub fn new(data_dir: &std::path::Path, store: Store, chain: Option<Sender>) -> Self {
        Self {
            files: EpochFiles::new(data_dir),
            data_dir: data_dir.to_path_buf(),
            store,
            chain,
            network: Mutex::new(None),
            claimed: Mutex::new(HashMap::new()),
            snapshot: RwLock::new(None),
            failed: Mutex::new(None),
            loading: tokio::sync::Mutex::new(()),
            indexing: tokio::sync::Mutex::new(()),
        }
    }

    fn sender(&self) -> Result<&Sender, Rejection> {
        self.chain.as_ref().ok_or_else(|| {
            unavailable(
                "chain_unavailable",
                "this oracle has no JSON-RPC URL (submit.rpc_urls)",
            )
        })
    }

    /// The rewards network account, read at most every [`CHAIN_TTL`].
    ///
    /// # Errors
    ///
    /// 503 `chain_unavailable`: no RPC, a failed read, or no network.
    pub async fn network(&self) -> Result<Arc<Network>, Rejection> {
        if let Ok(cached) = self.network.lock()
            && let Some((at, network)) = cached.as_ref()
            && at.elapsed() < CHAIN_TTL
        {
            return Ok(Arc::clone(network));
        }
        let sender = self.sender()?;
        let address = rewards_ix::network_pda().0;
        let network = fetch::<Network>(sender, "network", &address)
            .await
            .map_err(|e| unavailable("chain_unavailable", e.to_string()))?
            .ok_or_else(|| {
                unavailable(
                    "chain_unavailable",
                    format!("no rewards network at {address}"),
                )
            })?;
        let network = Arc::new(network);
        if let Ok(mut cached) = self.network.lock() {
            *cached = Some((Instant::now(), Arc::clone(&network)));
        }
        Ok(network)
    }

    /// What `wallet` has claimed (its claim record; 0 without one), read at most every
    /// [`CHAIN_TTL`].
    ///
    /// # Errors
    ///
    /// 503 `chain_unavailable`.
    pub async fn claimed(&self, wallet: &Pubkey) -> Result<u64, Rejection> {
        if let Ok(cached) = self.claimed.lock()
            && let Some((at, claimed)) = cached.get(wallet)
            && at.elapsed() < CHAIN_TTL
        {
            return Ok(*claimed);
        }
        let sender = self.sender()?;
        let address = rewards_ix::claim_record_pda(&wallet.0.into()).0;
        let claimed = fetch::<ClaimRecord>(sender, "claim record", &address)
            .await
            .map_err(|e| unavailable("chain_unavailable", e.to_string()))?
            .map_or(0, |r| r.claimed);
        if let Ok(mut cached) = self.claimed.lock() {
            if cached.len() >= CLAIMED_CACHE {
                cached.clear();
            }
            cached.insert(*wallet, (Instant::now(), claimed));
        }
        Ok(claimed)
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

    /// Indexes each newly published epoch every [`INDEX_EVERY`] until `shutdown` (`oracle
    /// serve`'s `rewards-index` task), so a wallet's history is ready before anyone asks; a
    /// request indexes what is missing itself too.
    ///
    /// # Errors
    ///
    /// Never: a failure is logged and retried.
    pub async fn run(
        self: Arc<Self>,
        mut shutdown: crate::supervisor::Shutdown,
    ) -> Result<(), crate::supervisor::TaskError> {
        loop {
            if let Err(e) = self.index_published().await {
                tracing::warn!(reason = e.reason, detail = %e.detail, "indexing failed; retrying");
            }
            tokio::select! {
                () = shutdown.requested() => return Ok(()),
                () = tokio::time::sleep(INDEX_EVERY) => {}
            }
        }
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
