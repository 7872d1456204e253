//! Agreement on an epoch's input (docs/oracle-agreement.md): the epoch task asks
//! [`Agreement::settle`] which report sets epoch `n` is computed from, and computes it from
//! their union (`epoch::union`) once every included set is on disk.
//!
//! ```text
//! settle(n, own set)                                  each call reads the chain first
//!   inputs open:
//!     a seat that has not committed ─► commit_reports(n, own hash, reports, bytes)
//!     every committed set it lacks ─► GET <peer>/v1/report-sets/<n>/<hash> (each peer in turn;
//!                                      sha256 and length checked while streaming to disk)
//!     holds sets the chain does not know it holds ─► ack_reports(n, held)
//!     ─► Waiting (until the close)
//!   inputs closed:
//!     every included set on disk ─► Ready(paths, in seat order)
//!     one missing ─► fetched from every peer; still missing ─► Waiting (WARN, metric)
//! ```
//!
//! Idempotent across crashes: the chain says what landed (a commitment, a holder bit), the own
//! set is recorded on disk before it is committed (`sets::SetStore::own`), and every fetched set
//! is filed under its hash only once complete and checked.

pub mod sets;

use std::path::PathBuf;
use std::time::Duration;

use depin_client::accounts::{FetchError, cluster_time, fetch};
use depin_client::builders::rewards_ix::{self, CommitReportsArgs};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_signer::Signer;
use depin_client::{SendError, Sender};
use prometheus::{IntCounter, IntCounterVec, Opts};
use rewards::state::{EpochInputs, Network, OracleSet};
use sha2::{Digest, Sha256};

pub use sets::{SetInfo, SetStore};

use crate::chain::submit::{SubmitSetupError, sender_for};
use crate::settings::Settings;

/// Why a step of the agreement failed (it is retried).
#[derive(Debug, thiserror::Error)]
pub enum AgreeError {
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("report sets: {0}")]
    Io(#[from] std::io::Error),
    #[error("the rewards network or its oracle set does not exist on this cluster")]
    NoNetwork,
    #[error(
        "epoch {0} is final on-chain and its input commitments are closed: this oracle cannot \
         learn its input (catching up a final epoch from a peer's published inputs is not built)"
    )]
    Gone(u64),
}

/// Where an epoch's input stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The inputs are closed and every included set is on disk: these, in seat order.
    Ready(Vec<PathBuf>),
    /// Not yet; says what it waits for.
    Waiting(String),
}

/// The agreement's Prometheus metrics.
#[derive(Debug, Clone)]
pub struct AgreeMetrics {
    /// Transactions that landed, by kind (`commit`, `ack`).
    pub transactions: IntCounterVec,
    /// Peers' sets fetched and checked.
    pub sets_fetched: IntCounter,
    /// Failed attempts to fetch a set from a peer (refused, unreachable, wrong hash, too long).
    pub fetch_failures: IntCounter,
}

impl AgreeMetrics {
    /// # Errors
    ///
    /// Only on a programming error (an invalid metric name).
    pub fn new() -> Result<Self, prometheus::Error> {
        Ok(Self {
            transactions: IntCounterVec::new(
                Opts::new(
                    "oracle_inputs_transactions_total",
                    "Input-commitment transactions that landed, by kind (commit, ack).",
                ),
                &["kind"],
            )?,
            sets_fetched: IntCounter::new(
                "oracle_inputs_sets_fetched_total",
                "Peers' report sets fetched and checked against their committed hash.",
            )?,
            fetch_failures: IntCounter::new(
                "oracle_inputs_fetch_failures_total",
                "Failed attempts to fetch a committed report set from a peer.",
            )?,
        })
    }

    /// Registers every metric in `registry`.
    ///
    /// # Errors
    ///
    /// A metric of the same name is already registered.
    pub fn register(&self, registry: &prometheus::Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.transactions.clone()))?;
        registry.register(Box::new(self.sets_fetched.clone()))?;
        registry.register(Box::new(self.fetch_failures.clone()))?;
        Ok(())
    }
}

/// One oracle's side of the agreement.
pub struct Agreement {
    sender: Sender,
    oracle: Keypair,
    sets: SetStore,
    peers: Vec<String>,
    client: reqwest::Client,
    max_set_bytes: u64,
    metrics: AgreeMetrics,
}

impl std::fmt::Debug for Agreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agreement")
            .field("oracle", &self.oracle.pubkey())
            .field("peers", &self.peers)
            .field("max_set_bytes", &self.max_set_bytes)
            .finish_non_exhaustive()
    }
}

/// What the chain says about epoch `n`'s inputs, read at one time.
struct View {
    network: Network,
    set: OracleSet,
    inputs: Option<EpochInputs>,
    now: i64,
}

impl View {
    fn closed(&self) -> bool {
        self.inputs.as_ref().is_some_and(|x| x.is_closed(self.now))
    }

    /// The seat this oracle may commit and acknowledge from: in the set, not slashed, and the
    /// inputs (if any) of the same set version (a commitment restarts older open ones).
    fn seat(&self, me: &depin_client::solana_pubkey::Pubkey) -> Option<usize> {
        self.set.seat_of(me).filter(|&s| !self.set.is_slashed(s))
    }
}

impl Agreement {
    /// # Errors
    ///
    /// No RPC URL, an unreadable keypair, or an HTTP client that cannot be built.
    pub fn new(settings: &Settings) -> Result<Self, SubmitSetupError> {
        let a = &settings.agreement;
        let path = settings.oracle_keypair();
        let oracle = read_keypair_file(&path).map_err(|e| SubmitSetupError::Keypair {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        // A peer must connect at once and keep the bytes coming: one that stalls costs
        // seconds, not the whole fetch_timeout.
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .read_timeout(Duration::from_secs(5))
            .timeout(a.fetch_timeout)
            .build()
            .map_err(|e| SubmitSetupError::Keypair {
                path: PathBuf::from("<http client>"),
                reason: e.to_string(),
            })?;
        let peers = if a.peers.is_empty() {
            settings.watch.peers.iter().map(|p| p.url.clone()).collect()
        } else {
            a.peers.clone()
        };
        Ok(Self {
            sender: sender_for(&settings.submit)?,
            oracle,
            sets: SetStore::new(&settings.storage.data_dir),
            peers: peers
                .into_iter()
                .map(|p| p.trim_end_matches('/').to_owned())
                .collect(),
            client,
            max_set_bytes: a.max_set_bytes,
            metrics: AgreeMetrics::new()?,
        })
    }

    #[must_use]
    pub const fn metrics(&self) -> &AgreeMetrics {
        &self.metrics
    }

    #[must_use]
    pub const fn sets(&self) -> &SetStore {
        &self.sets
    }

    /// The chain's clock, then the accounts. In that order: accounts read after the clock (at
    /// the same commitment) are at least as new as it, so inputs that look closed by this clock
    /// hold every acknowledgement that closed them (the program refuses later ones).
    async fn view(&self, epoch: u64) -> Result<View, AgreeError> {
        let now = cluster_time(&self.sender).await?;
        let network = fetch::<Network>(
            &self.sender,
            "rewards network",
            &rewards_ix::network_pda().0,
        )
        .await?
        .ok_or(AgreeError::NoNetwork)?;
        let set = fetch::<OracleSet>(&self.sender, "oracle set", &rewards_ix::oracle_set_pda().0)
            .await?
            .ok_or(AgreeError::NoNetwork)?;
        let inputs = fetch::<EpochInputs>(
            &self.sender,
            "epoch inputs",
            &rewards_ix::inputs_pda(epoch).0,
        )
        .await?;
        Ok(View {
            network,
            set,
            inputs,
            now,
        })
    }

    /// Does the next thing epoch `epoch`'s inputs need, and says whether they are settled.
    /// `own` is this oracle's own set of the epoch, recorded on disk.
    ///
    /// # Errors
    ///
    /// An RPC, transaction or disk failure (retry: every step is idempotent), or
    /// [`AgreeError::Gone`].
    pub async fn settle(&self, epoch: u64, own: &SetInfo) -> Result<Settled, AgreeError> {
        let mut view = self.view(epoch).await?;
        if view.inputs.is_none() && view.network.final_root.epochs > epoch {
            return Err(AgreeError::Gone(epoch));
        }
        if view.closed() {
            return self.collect(epoch, &view).await;
        }
        // The program takes a commitment only once the epoch is over by the cluster's clock,
        // which may run behind this machine's.
        let ends = crate::chain::submit::epoch_end(&view.network, epoch);
        if view.now < ends {
            return Ok(Settled::Waiting(format!(
                "the epoch ends in {} s by the cluster's clock",
                ends - view.now
            )));
        }
        let me = self.oracle.pubkey();
        if let Some(seat) = view.seat(&me) {
            let bit = 1u16 << seat;
            let committed = view
                .inputs
                .as_ref()
                .is_some_and(|x| x.set_version == view.set.set_version && x.committed & bit != 0);
            if !committed {
                let sent = self.commit(epoch, own).await;
                view = self.view(epoch).await?;
                if let Err(e) = sent {
                    // Refused because the inputs closed meanwhile (this oracle was late):
                    // they stand without its set. Anything else is an error to retry.
                    if !view.closed() {
                        return Err(e);
                    }
                    tracing::warn!(
                        epoch,
                        "the inputs closed before this oracle's set was committed"
                    );
                    return self.collect(epoch, &view).await;
                }
            }
        }
        let Some(inputs) = view.inputs.as_ref() else {
            return Ok(Settled::Waiting("no report set committed yet".into()));
        };
        let seat = view
            .seat(&me)
            .filter(|_| inputs.set_version == view.set.set_version);
        self.fetch_and_ack(epoch, inputs, seat).await;
        Ok(Settled::Waiting(if inputs.closes_at == 0 {
            format!(
                "{} of {} seats have spoken; the inputs close {} s after the {}th",
                inputs.spoke.count_ones(),
                inputs.threshold,
                view.network.input_secs,
                inputs.threshold
            )
        } else {
            format!(
                "the inputs close in {} s",
                inputs.closes_at.saturating_sub(view.now)
            )
        }))
    }

    /// The closed inputs: every included set, fetched if missing.
    async fn collect(&self, epoch: u64, view: &View) -> Result<Settled, AgreeError> {
        let Some(inputs) = view.inputs.as_ref() else {
            return Ok(Settled::Waiting("no inputs".into()));
        };
        let included = inputs.included();
        let mut paths = Vec::new();
        let mut missing = Vec::new();
        for (seat, set) in inputs.sets.iter().enumerate() {
            if included & (1 << seat) == 0 {
                continue;
            }
            if self.sets.holds(epoch, &set.hash) || self.fetch(epoch, set).await {
                paths.push(self.sets.path(epoch, &set.hash));
            } else {
                missing.push(seat);
            }
        }
        if missing.is_empty() {
            return Ok(Settled::Ready(paths));
        }
        tracing::warn!(epoch, ?missing, peers = ?self.peers,
            "the epoch's inputs are closed but these seats' included sets cannot be fetched \
             from any peer yet: not computing the epoch until they can");
        Ok(Settled::Waiting(format!(
            "the included sets of seats {missing:?} are not fetched yet"
        )))
    }

    /// Fetches every committed set not on disk and, signing for `seat`, acknowledges each as
    /// soon as it is on disk (a peer that stalls one fetch must not hold back the others'
    /// acknowledgements until the close). A refused acknowledgement (the inputs closed
    /// meanwhile) is logged; the next pass reads the chain again.
    async fn fetch_and_ack(&self, epoch: u64, inputs: &EpochInputs, seat: Option<usize>) {
        let mine = seat.map_or(0u16, |s| 1u16 << s);
        let mut held = 0u16;
        let mut known = 0u16;
        for (i, set) in inputs.sets.iter().enumerate() {
            let bit = 1u16 << i;
            if inputs.committed & bit == 0 {
                continue;
            }
            if set.held_by & mine != 0 {
                known |= bit;
            }
            if !(self.sets.holds(epoch, &set.hash) || self.fetch(epoch, set).await) {
                continue;
            }
            held |= bit;
            if seat.is_some() && held & !known != 0 {
                match self.ack(epoch, held).await {
                    Ok(()) => known |= held,
                    Err(e) => tracing::warn!(epoch, error = %e,
                        "acknowledging the report sets was refused; reading the chain again"),
                }
            }
        }
    }

    /// Fetches one committed set from the first peer that serves its exact bytes.
    async fn fetch(&self, epoch: u64, set: &rewards::state::ReportSet) -> bool {
        if set.bytes > self.max_set_bytes {
            tracing::warn!(epoch, hash = %hex::encode(set.hash), bytes = set.bytes,
                max = self.max_set_bytes, "a committed set is longer than agreement.max_set_bytes: not fetched");
            return false;
        }
        for peer in &self.peers {
            match self.fetch_from(peer, epoch, set).await {
                Ok(()) => {
                    self.metrics.sets_fetched.inc();
                    tracing::info!(epoch, %peer, hash = %hex::encode(set.hash), "report set fetched");
                    return true;
                }
                Err(e) => {
                    self.metrics.fetch_failures.inc();
                    tracing::debug!(epoch, %peer, hash = %hex::encode(set.hash), error = %e,
                        "report set not fetched from this peer");
                }
            }
        }
        false
    }

    /// Streams the set from `peer` to a temporary file, hashing it and counting its bytes, and
    /// files it under its hash if both match the commitment.
    async fn fetch_from(
        &self,
        peer: &str,
        epoch: u64,
        set: &rewards::state::ReportSet,
    ) -> Result<(), String> {
        let hash_hex = hex::encode(set.hash);
        let url = format!("{peer}/v1/report-sets/{epoch}/{hash_hex}");
        let mut response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        if response.content_length().is_some_and(|n| n != set.bytes) {
            return Err(format!(
                "{} bytes, committed {}",
                response.content_length().unwrap_or(0),
                set.bytes
            ));
        }
        let tmp = self
            .sets
            .temp_path(epoch, &format!("{hash_hex}.{}", std::process::id()))
            .map_err(|e| e.to_string())?;
        let result = async {
            // Plain writes into a large buffer: a set arrives at network speed, and the disk
            // takes each megabyte in a moment.
            let file = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            let mut hasher = Sha256::new();
            let mut len = 0u64;
            while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
                len += chunk.len() as u64;
                if len > set.bytes {
                    return Err(format!("longer than the committed {} bytes", set.bytes));
                }
                hasher.update(&chunk);
                std::io::Write::write_all(&mut out, &chunk).map_err(|e| e.to_string())?;
            }
            std::io::Write::flush(&mut out).map_err(|e| e.to_string())?;
            let got: [u8; 32] = hasher.finalize().into();
            if got != set.hash || len != set.bytes {
                return Err(format!(
                    "sha256 {} ({len} bytes) is not the committed hash",
                    hex::encode(got)
                ));
            }
            drop(out);
            self.sets
                .adopt(epoch, &tmp, &set.hash)
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        .await;
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    async fn commit(&self, epoch: u64, own: &SetInfo) -> Result<(), AgreeError> {
        let ix = rewards_ix::commit_reports_ix(
            self.oracle.pubkey(),
            CommitReportsArgs {
                epoch,
                hash: own.hash,
                reports: own.reports,
                bytes: own.bytes,
            },
        );
        self.sender
            .send("commit_reports", &[ix], &self.oracle, &[])
            .await?;
        self.metrics
            .transactions
            .with_label_values(&["commit"])
            .inc();
        tracing::info!(epoch, hash = %hex::encode(own.hash), reports = own.reports,
            bytes = own.bytes, "report set committed");
        Ok(())
    }

    async fn ack(&self, epoch: u64, held: u16) -> Result<(), AgreeError> {
        let ix = rewards_ix::ack_reports_ix(self.oracle.pubkey(), epoch, held);
        self.sender
            .send("ack_reports", &[ix], &self.oracle, &[])
            .await?;
        self.metrics.transactions.with_label_values(&["ack"]).inc();
        tracing::info!(
            epoch,
            held = format!("{held:#b}"),
            "report sets acknowledged"
        );
        Ok(())
    }
}
