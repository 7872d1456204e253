//! The watcher (`oracle watch`, and the watch task of `oracle serve`): a permissionless process
//! that keeps colluding oracles from robbing unclaimed balances, and keeps griefers from voiding
//! honest roots (docs/fraud-proofs.md). Every poll, for each posted proposal in its window:
//!
//! ```text
//! posted tree: this oracle's published epoch, or a peer's (GET /v1/epochs/<n>/wallets.csv),
//!              whichever rebuilds the proposal's (root, total, leaves)          (sources)
//!   held ─► answer every open demand on it: walk the probe to its leaf           (chain)
//!        ─► base tree (epoch n-1, checked against the proposal's base), then
//!           find_frauds(base, posted): Decrease(i), Duplicate(i, j)             (evidence)
//!             found ─► probes walked in packet-sized steps, prove_fraud: the root is voided
//!                      and every voter slashed                                  (steps, chain)
//!             none  ─► this oracle's own tuple differs? a misallocation: logged, counted,
//!                      contested (watch.contest_misallocations)
//!        ─► rows that rebuild the root's hash and count but not its total: the root's sum
//!           is inconsistent ─► InconsistentSum at the root (no claim could land under it)
//!   not held ─► warn (unverifiable); leaves answered demands showed, against the base;
//!               in the window's first third, demand the leaves of the watched wallets, the
//!               given indices and a secret random sample of the base's leaves   (demands);
//!               still unverifiable after watch.contest_after_passes passes and signing as a
//!               seat that did not vote for it ─► contest_root (a hold for governance)
//! any demand past its deadline, still short of its leaf ─► prove_fraud(Unanswered)
//! ```
//!
//! Nothing is remembered across restarts: every step reads the chain first (a probe someone
//! else opened is extended from where it stands; a voided proposal is no longer posted), so a
//! restarted watcher carries on. Within a process, the trees it holds and the proposals it has
//! settled are kept until the proposals leave the posted set.
//!
//! Operators must run it (or `watch.enabled` in `serve`) beside their oracle, and keep it running
//! until their last window has passed (`OracleSet::retired_until` after a rotation): an honest
//! root whose demands nobody answers within a third of its window is voided and its voters
//! slashed.

pub mod chain;
pub mod demands;
pub mod evidence;
pub mod metrics;
pub mod sources;
pub mod steps;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use depin_client::accounts::{FetchError, cluster_time};
use depin_client::builders::rewards_ix::{Evidence, ProbeSide};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use futures_util::StreamExt;
use rewards::state::{Probe, RootProposal};
use sha2::{Digest, Sha256};

use crate::ingest::epochs::EpochFiles;
use crate::settings::Settings;
use crate::supervisor::{Shutdown, TaskError};
use chain::{Chain, ChainError};
use demands::DemandPlan;
use evidence::{Fraud, KnownTree, Row, Tuple, find_frauds, find_in_leaves};
use metrics::WatchMetrics;
use sources::Sources;

/// Demands answered at once (each a walk of one or two transactions).
pub const ANSWERS_IN_FLIGHT: usize = 8;

/// Why a proposal could not be watched in this pass (it is retried at the next poll).
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("no rows of the posted tree are held to open its root")]
    NoPreimage,
}

/// Why the watcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchSetupError {
    #[error("reading the watcher's keypair {path}: {reason}")]
    Keypair { path: PathBuf, reason: String },
    #[error("no JSON-RPC URL: set watch.rpc_urls or submit.rpc_urls")]
    NoRpcUrl,
    #[error("watch.demand_wallets: {0:?} is not a base58 public key")]
    Wallet(String),
    #[error("the HTTP client for the peers: {0}")]
    Http(#[from] reqwest::Error),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// What one pass looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Posted proposals seen.
    pub proposals: usize,
    /// Of them, those whose handling failed (retried at the next poll).
    pub failures: usize,
}

/// What the watcher keeps between polls, by proposal.
#[derive(Default)]
struct Memory {
    /// Posted trees held (rebuilt from some source's files).
    posted: HashMap<Pubkey, Arc<KnownTree>>,
    /// Base trees held, by the tuple they rebuild.
    bases: HashMap<Tuple, Arc<KnownTree>>,
    /// Checked completely, or proven: only demands remain to answer.
    settled: HashSet<Pubkey>,
    /// Reported unverifiable (no posted tree) already.
    unverifiable: HashSet<Pubkey>,
    /// Reported unchecked (no base tree) already.
    unchecked: HashSet<Pubkey>,
    /// Frauds reported already.
    reported: HashSet<(Pubkey, Fraud)>,
    /// Demanded already.
    demanded: HashSet<Pubkey>,
    /// Contested by this watcher (or found not contestable by its key).
    contested: HashSet<Pubkey>,
    /// Passes in a row in which no source rebuilt the posted tree.
    unverifiable_passes: HashMap<Pubkey, u32>,
}

impl Memory {
    /// Forgets every proposal that is no longer posted.
    fn keep_only(&mut self, proposals: &[(Pubkey, RootProposal)]) {
        let keys: HashSet<Pubkey> = proposals.iter().map(|(k, _)| *k).collect();
        let bases: HashSet<Tuple> = proposals.iter().map(|(_, p)| base_of(p)).collect();
        self.posted.retain(|k, _| keys.contains(k));
        self.bases.retain(|t, _| bases.contains(t));
        self.settled.retain(|k| keys.contains(k));
        self.unverifiable.retain(|k| keys.contains(k));
        self.unchecked.retain(|k| keys.contains(k));
        self.reported.retain(|(k, _)| keys.contains(k));
        self.demanded.retain(|k| keys.contains(k));
        self.contested.retain(|k| keys.contains(k));
        self.unverifiable_passes.retain(|k, _| keys.contains(k));
    }
}

fn posted_of(p: &RootProposal) -> Tuple {
    Tuple {
        root: p.root,
        total: p.total,
        leaves: p.leaves,
    }
}

fn base_of(p: &RootProposal) -> Tuple {
    Tuple {
        root: p.base.root,
        total: p.base.total,
        leaves: p.base.leaves,
    }
}

/// The watcher.
pub struct Watcher {
    sender: Sender,
    payer: Keypair,
    sources: Sources,
    demands: DemandPlan,
    contests: ContestPolicy,
    poll_interval: Duration,
    metrics: WatchMetrics,
    memory: Memory,
}

impl Watcher {
    /// The watcher of `settings`: `[watch]`, with `[submit]`'s RPC URLs, keypair and priority
    /// fee where `[watch]` leaves them empty, and `storage.data_dir`'s published epochs.
    ///
    /// # Errors
    ///
    /// No RPC URL, an unreadable keypair, no HTTP client.
    pub fn new(settings: &Settings) -> Result<Self, WatchSetupError> {
        let w = &settings.watch;
        let (first, rest) = settings
            .watch_rpc_urls()
            .split_first()
            .ok_or(WatchSetupError::NoRpcUrl)?;
        let config = SendConfig {
            cu_price_micro_lamports: settings.submit.priority_fee,
            cu_limit: Some(w.compute_unit_limit).filter(|l| *l > 0),
            ..SendConfig::default()
        };
        let sender = Sender::new(first.clone(), config).with_fallbacks(rest.iter().cloned());
        let path = settings.watch_keypair();
        let payer = read_keypair_file(&path).map_err(|e| WatchSetupError::Keypair {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let peers = w.peers.iter().map(|p| p.url.clone()).collect();
        let own = EpochFiles::new(&settings.storage.data_dir);
        let wallets = w
            .demand_wallets
            .iter()
            .map(|k| {
                k.parse::<Pubkey>()
                    .map(|k| k.to_bytes())
                    .map_err(|_| WatchSetupError::Wallet(k.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let salt = DemandPlan::secret_salt();
        let demands = DemandPlan::new(wallets, w.demand_indices.clone(), w.demand_sample, salt)
            .with_max_deposit(w.max_demand_deposit);
        let sources = Sources::new(own, peers, w.fetch_timeout, w.max_file_bytes)?;
        let contests = ContestPolicy {
            after_passes: w.contest_after_passes,
            misallocations: w.contest_misallocations,
        };
        Ok(Self {
            sender,
            payer,
            sources,
            demands,
            contests,
            poll_interval: w.poll_interval,
            metrics: WatchMetrics::new()?,
            memory: Memory::default(),
        })
    }

    pub const fn metrics(&self) -> &WatchMetrics {
        &self.metrics
    }

    /// The key that pays and signs.
    pub fn payer(&self) -> Pubkey {
        self.payer.pubkey()
    }

    /// One pass over every posted proposal. A proposal that fails is logged, counted and
    /// retried at the next pass; the others go on.
    ///
    /// # Errors
    ///
    /// The clock or the posted proposals cannot be read.
    pub async fn pass(&mut self) -> Result<PassReport, WatchError> {
        let chain = Chain::new(&self.sender, &self.payer, &self.metrics);
        let now = cluster_time(&self.sender).await?;
        let proposals = chain.posted_proposals().await?;
        self.memory.keep_only(&proposals);
        let pass = Pass {
            chain,
            sources: &self.sources,
            metrics: &self.metrics,
            demands: &self.demands,
            contests: self.contests,
            now,
        };
        let mut report = PassReport {
            proposals: proposals.len(),
            failures: 0,
        };
        for (key, proposal) in &proposals {
            if let Err(e) = pass.watch(&mut self.memory, *key, proposal).await {
                self.metrics.failures.inc();
                report.failures += 1;
                tracing::warn!(proposal = %key, epoch = proposal.epoch, error = %e,
                    "watching the proposal failed; retrying at the next poll");
            }
        }
        Ok(report)
    }

    /// Passes until shutdown, one every `watch.poll_interval`. Shutdown also interrupts a pass
    /// (safe: every step reads the chain first, so the next start carries on).
    ///
    /// # Errors
    ///
    /// None: failures are logged, counted and retried.
    pub async fn run(mut self, mut shutdown: Shutdown) -> Result<(), TaskError> {
        tracing::info!(payer = %self.payer(), rpc = ?self.sender.urls(), "watch task ready");
        loop {
            let passed = tokio::select! {
                () = shutdown.requested() => return Ok(()),
                passed = self.pass() => passed,
            };
            match passed {
                Ok(report) => tracing::debug!(?report, "watch pass"),
                Err(e) => {
                    self.metrics.failures.inc();
                    tracing::error!(error = %e, "watch pass failed; retrying at the next poll");
                }
            }
            tokio::select! {
                () = shutdown.requested() => return Ok(()),
                () = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }
}

/// A posted root against this oracle's own root of the epoch.
enum Own {
    Same,
    Differs,
    /// This oracle has not published the epoch (yet), or its files cannot be read.
    Unknown,
}

/// When the watcher contests a root (`watch.contest_after_passes`, `watch.contest_misallocations`).
#[derive(Clone, Copy, Debug)]
struct ContestPolicy {
    after_passes: u32,
    misallocations: bool,
}

/// One pass's view: the chain, the sources and the cluster's clock at its start.
struct Pass<'a> {
    chain: Chain<'a>,
    sources: &'a Sources,
    metrics: &'a WatchMetrics,
    demands: &'a DemandPlan,
    contests: ContestPolicy,
    now: i64,
}

impl Pass<'_> {
    async fn watch(
        &self,
        memory: &mut Memory,
        key: Pubkey,
        p: &RootProposal,
    ) -> Result<(), WatchError> {
        let probes = self.chain.probes_of(&key).await?;
        let disputable = p.is_disputable(self.now);
        let posted = if disputable {
            self.posted_tree(memory, key, p).await
        } else {
            None
        };
        if let Some(tree) = posted.as_ref().filter(|t| t.tuple() == posted_of(p)) {
            self.answer_demands(key, tree, &probes).await?;
        }
        if self.prove_unanswered(memory, key, p, &probes).await? {
            return Ok(());
        }
        if !disputable || memory.settled.contains(&key) {
            return Ok(());
        }
        match posted {
            Some(tree) => self.check(memory, key, p, &tree).await,
            None => self.unavailable(memory, key, p, &probes).await,
        }
    }

    /// The posted tree, held or fetched; warned about and counted once when no source has it.
    async fn posted_tree(
        &self,
        memory: &mut Memory,
        key: Pubkey,
        p: &RootProposal,
    ) -> Option<Arc<KnownTree>> {
        if let Some(tree) = memory.posted.get(&key) {
            return Some(Arc::clone(tree));
        }
        match self.sources.tree(p.epoch, posted_of(p)).await {
            Ok(tree) => {
                let tree = Arc::new(tree);
                memory.posted.insert(key, Arc::clone(&tree));
                Some(tree)
            }
            Err(e) => {
                if memory.unverifiable.insert(key) {
                    self.metrics.unverifiable.inc();
                    tracing::warn!(proposal = %key, epoch = p.epoch, error = %e,
                        "no published files rebuild the posted root: unverifiable");
                }
                None
            }
        }
    }

    /// The base tree (the final root the proposal extends: epoch n-1's), held or fetched.
    async fn base_tree(
        &self,
        memory: &mut Memory,
        key: Pubkey,
        p: &RootProposal,
    ) -> Option<Arc<KnownTree>> {
        let base = base_of(p);
        if let Some(tree) = memory.bases.get(&base) {
            return Some(Arc::clone(tree));
        }
        let epoch = p.epoch.saturating_sub(1);
        match self.sources.tree(epoch, base).await {
            Ok(tree) => {
                let tree = Arc::new(tree);
                memory.bases.insert(base, Arc::clone(&tree));
                Some(tree)
            }
            Err(e) => {
                if memory.unchecked.insert(key) {
                    tracing::warn!(proposal = %key, epoch = p.epoch, error = %e,
                        "no published files rebuild the base root: decreases unchecked");
                }
                None
            }
        }
    }

    /// Walks every open demanded probe of the posted tree to its leaf (which answers the demand
    /// and earns its deposit), [`ANSWERS_IN_FLIGHT`] at a time in a random order (watchers
    /// answering together spread over the demands), going on past a failure. A demand past its
    /// deadline can no longer be answered.
    async fn answer_demands(
        &self,
        key: Pubkey,
        tree: &KnownTree,
        probes: &[(Pubkey, Probe)],
    ) -> Result<(), WatchError> {
        let mut demanded: Vec<(Pubkey, u64)> = probes
            .iter()
            .filter(|(_, probe)| {
                probe.side == ProbeSide::Posted
                    && probe.leaf.is_none()
                    && probe.demand.is_some_and(|d| self.now < d.deadline)
            })
            .map(|(k, probe)| (*k, probe.index))
            .collect();
        let salt = DemandPlan::secret_salt();
        demanded.sort_by_key(|(k, _)| Sha256::new().chain_update(salt).chain_update(k).finalize());
        let answers = futures_util::stream::iter(demanded)
            .map(|(probe, index)| async move {
                let walked = self
                    .chain
                    .walk(key, ProbeSide::Posted, index, Some(tree))
                    .await;
                (probe, index, walked)
            })
            .buffer_unordered(ANSWERS_IN_FLIGHT)
            .collect::<Vec<_>>()
            .await;
        let mut failed = None;
        for (probe, index, walked) in answers {
            match walked {
                Ok(_) => {
                    self.metrics.demands_answered.inc();
                    tracing::info!(proposal = %key, %probe, index, "availability demand answered");
                }
                Err(e) => {
                    tracing::warn!(proposal = %key, %probe, index, error = %e,
                        "answering the demand failed; retrying at the next poll");
                    failed = Some(e);
                }
            }
        }
        failed.map_or(Ok(()), |e| Err(e.into()))
    }

    /// Proves an expired, unanswered demand (re-read first: it may have been answered since).
    /// Returns true once the proposal is voided.
    async fn prove_unanswered(
        &self,
        memory: &mut Memory,
        key: Pubkey,
        p: &RootProposal,
        probes: &[(Pubkey, Probe)],
    ) -> Result<bool, WatchError> {
        let expired = |probe: &Probe| {
            probe.leaf.is_none() && probe.demand.is_some_and(|d| self.now >= d.deadline)
        };
        for (probe_key, _) in probes.iter().filter(|(_, probe)| expired(probe)) {
            let Some(probe) = self.chain.probe(probe_key).await? else {
                continue;
            };
            if !expired(&probe) {
                continue;
            }
            tracing::warn!(proposal = %key, epoch = p.epoch, index = probe.index,
                "an availability demand went unanswered past its deadline: proving it");
            let evidence = Evidence::Unanswered;
            self.chain
                .prove(key, p, (*probe_key, None), evidence, "unanswered")
                .await?;
            self.metrics.frauds.with_label_values(&["unanswered"]).inc();
            memory.settled.insert(key);
            return Ok(true);
        }
        Ok(false)
    }

    /// With the posted tree held: every fraud against the base, proven; else the misallocation
    /// check against this oracle's own tree.
    async fn check(
        &self,
        memory: &mut Memory,
        key: Pubkey,
        p: &RootProposal,
        posted: &KnownTree,
    ) -> Result<(), WatchError> {
        if posted.tuple() != posted_of(p) {
            return self.prove_inconsistent_root(memory, key, p, posted).await;
        }
        let base = self.base_tree(memory, key, p).await;
        let base_rows = base.as_deref().map_or(&[][..], KnownTree::rows);
        let frauds = find_frauds(base_rows, posted.rows());
        self.report(memory, key, p, &frauds);
        if frauds.iter().any(Fraud::provable) {
            self.prove_first(key, p, &frauds, base.as_deref(), posted)
                .await?;
        } else if base.is_none() {
            return Ok(()); // decreases unchecked: the base is looked for again next poll
        } else {
            match self.compare_own(key, p).await {
                // Colluders may post before this oracle has computed the epoch: a root is
                // settled only once it has been compared with this oracle's own.
                Own::Unknown => return Ok(()),
                Own::Differs
                    if self.contests.misallocations
                        && !self
                            .contest(memory, key, p, "it differs from this oracle's root")
                            .await =>
                {
                    return Ok(()); // the contest is tried again at the next poll
                }
                Own::Same | Own::Differs => {}
            }
            tracing::info!(proposal = %key, epoch = p.epoch, "posted root checked: no fraud");
        }
        memory.settled.insert(key);
        self.metrics.proposals_checked.inc();
        Ok(())
    }

    /// Proves the first of `frauds` that lands, trying the next one after a failure (one that
    /// cannot be proven must not hide one that can). The last failure if none lands.
    async fn prove_first(
        &self,
        key: Pubkey,
        p: &RootProposal,
        frauds: &[Fraud],
        base: Option<&KnownTree>,
        posted: &KnownTree,
    ) -> Result<(), WatchError> {
        let mut failed = None;
        for fraud in frauds.iter().filter(|f| f.provable()) {
            match self.prove(key, p, fraud, base, Some(posted)).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!(proposal = %key, %fraud, error = %e,
                        "proving the fraud failed; trying the next");
                    failed = Some(e);
                }
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Rows that rebuild the posted root's hash and leaf count but another total: the root's
    /// published sum is not its children's, and no claim can fold to it. Proven at the root.
    async fn prove_inconsistent_root(
        &self,
        memory: &mut Memory,
        key: Pubkey,
        p: &RootProposal,
        posted: &KnownTree,
    ) -> Result<(), WatchError> {
        let fraud = Fraud::InconsistentRoot {
            total: posted.tuple().total,
        };
        self.report(memory, key, p, &[fraud]);
        self.prove(key, p, &fraud, None, Some(posted)).await?;
        memory.settled.insert(key);
        self.metrics.proposals_checked.inc();
        Ok(())
    }

    /// Without the posted tree: the leaves that answered demands showed, against the base;
    /// then the demands ([`DemandPlan`]), and after `watch.contest_after_passes` such passes
    /// the contest.
    async fn unavailable(
        &self,
        memory: &mut Memory,
        key: Pubkey,
        p: &RootProposal,
        probes: &[(Pubkey, Probe)],
    ) -> Result<(), WatchError> {
        let shown: Vec<(u64, Row)> = probes
            .iter()
            .filter(|(_, probe)| probe.side == ProbeSide::Posted)
            .filter_map(|(_, probe)| {
                let leaf = probe.leaf?;
                Some((probe.index, (leaf.wallet.to_bytes(), leaf.amount)))
            })
            .collect();
        if !shown.is_empty()
            && let Some(base) = self.base_tree(memory, key, p).await
        {
            let frauds = find_in_leaves(base.rows(), &shown);
            self.report(memory, key, p, &frauds);
            if let Some(fraud) = frauds.first() {
                match self.prove(key, p, fraud, Some(&base), None).await {
                    Ok(()) => {
                        memory.settled.insert(key);
                        return Ok(());
                    }
                    // Demands and the contest still go ahead.
                    Err(e) => tracing::warn!(proposal = %key, %fraud, error = %e,
                        "proving what the answered demands showed failed; retrying"),
                }
            }
        }
        let demanded = self.demand_leaves(memory, key, p).await;
        let passes = memory.unverifiable_passes.entry(key).or_insert(0);
        *passes = passes.saturating_add(1);
        if *passes >= self.contests.after_passes {
            self.contest(memory, key, p, "no files rebuild it").await;
        }
        demanded
    }

    /// The demands of a tree nobody publishes ([`DemandPlan`]), once per proposal, in the
    /// window's first third, while its epoch is not final.
    async fn demand_leaves(
        &self,
        memory: &mut Memory,
        key: Pubkey,
        p: &RootProposal,
    ) -> Result<(), WatchError> {
        if memory.demanded.contains(&key) {
            return Ok(());
        }
        if p.demand_deadline(self.now).is_none() {
            tracing::debug!(proposal = %key, "past the window's first third: no demand");
            return Ok(());
        }
        let final_epochs = self
            .chain
            .network()
            .await?
            .map_or(0, |n| n.final_root.epochs);
        if p.epoch < final_epochs {
            tracing::debug!(proposal = %key, "its epoch is final already: no demand");
            memory.demanded.insert(key);
            return Ok(());
        }
        let base = if self.demands.watches_wallets() {
            self.base_tree(memory, key, p).await
        } else {
            None
        };
        let rows = base.as_deref().map(KnownTree::rows);
        let max = self.demands.max_deposit();
        if p.demand_deposit().is_none_or(|d| d > max) {
            tracing::warn!(proposal = %key, open = p.open_demands, max,
                "demands on this root cost more than watch.max_demand_deposit: none opened \
                 (the contest remains)");
            memory.demanded.insert(key);
            return Ok(());
        }
        for index in self.demands.leaves(&key, p.base.leaves, rows) {
            if self.chain.demand(key, p, index, max).await? {
                self.metrics.demands_opened.inc();
            }
        }
        memory.demanded.insert(key);
        Ok(())
    }

    /// Contests the root (`contest_root`) when this watcher signs with a seat of the root's set
    /// that did not vote for it and is not slashed; `why` is logged. Returns false if sending
    /// failed (logged and counted; tried again at the next poll). The root then waits twice the
    /// governance timelock past its window, time to rotate the set.
    async fn contest(
        &self,
        memory: &mut Memory,
        key: Pubkey,
        p: &RootProposal,
        why: &'static str,
    ) -> bool {
        if memory.contested.contains(&key) {
            return true;
        }
        match self.contest_once(key, p, why).await {
            Ok(()) => {
                memory.contested.insert(key);
                true
            }
            Err(e) => {
                self.metrics.failures.inc();
                tracing::warn!(proposal = %key, error = %e,
                    "contesting the root failed; retrying at the next poll");
                false
            }
        }
    }

    async fn contest_once(
        &self,
        key: Pubkey,
        p: &RootProposal,
        why: &'static str,
    ) -> Result<(), WatchError> {
        let Some(set) = self.chain.oracle_set().await? else {
            return Ok(());
        };
        let Some(seat) = set.seat_of(&self.chain.payer()) else {
            return Ok(()); // not a seat: never
        };
        let bit = 1u16 << seat;
        let may = set.set_version == p.set_version
            && !set.is_slashed(seat)
            && p.votes & bit == 0
            && p.contested & bit == 0;
        if may {
            self.chain.contest(key).await?;
            self.metrics.contests.inc();
            tracing::warn!(proposal = %key, epoch = p.epoch, why,
                "contested: it may become final only twice the governance timelock after its \
                 window (alert governance: rotate the set)");
        }
        Ok(())
    }

    /// Logs and counts each fraud once per proposal.
    fn report(&self, memory: &mut Memory, key: Pubkey, p: &RootProposal, frauds: &[Fraud]) {
        for fraud in frauds {
            if memory.reported.insert((key, *fraud)) {
                self.metrics.frauds.with_label_values(&[fraud.kind()]).inc();
                tracing::warn!(proposal = %key, epoch = p.epoch, %fraud, "fraud found");
            }
        }
    }

    /// Walks the probes `fraud` needs (with whichever trees are held) and proves it.
    async fn prove(
        &self,
        key: Pubkey,
        p: &RootProposal,
        fraud: &Fraud,
        base: Option<&KnownTree>,
        posted: Option<&KnownTree>,
    ) -> Result<(), WatchError> {
        let posted_side = ProbeSide::Posted;
        let (first, second, evidence) = match *fraud {
            Fraud::InconsistentRoot { .. } => {
                let preimage = posted
                    .and_then(KnownTree::root_preimage)
                    .ok_or(WatchError::NoPreimage)?;
                let probe = self.chain.open_at_root(key, p).await?;
                let evidence = Evidence::InconsistentSum { preimage };
                self.chain
                    .prove(key, p, (probe, None), evidence, fraud.kind())
                    .await?;
                return Ok(());
            }
            Fraud::Decrease { index, .. } => (
                self.chain.walk(key, ProbeSide::Base, index, base).await?,
                self.chain.walk(key, posted_side, index, posted).await?,
                Evidence::Decrease,
            ),
            Fraud::Duplicate { first, second, .. } => (
                self.chain.walk(key, posted_side, first, posted).await?,
                self.chain.walk(key, posted_side, second, posted).await?,
                Evidence::Duplicate,
            ),
        };
        self.chain
            .prove(key, p, (first, Some(second)), evidence, fraud.kind())
            .await?;
        Ok(())
    }

    /// A posted root that differs from this oracle's own published root of the epoch, with no
    /// provable fraud: a misallocation of the epoch's emission (docs/fraud-proofs.md, "What
    /// remains possible"). Logged and counted; the caller contests it
    /// (`watch.contest_misallocations`) so that governance can rotate the set.
    async fn compare_own(&self, key: Pubkey, p: &RootProposal) -> Own {
        let Some(own) = self.sources.own_tree(p.epoch).await else {
            tracing::debug!(proposal = %key, epoch = p.epoch,
                "this oracle has not published the epoch (yet): compared again at the next poll");
            return Own::Unknown;
        };
        let (own, posted) = (own.tuple(), posted_of(p));
        if own != posted {
            self.metrics.misallocations.inc();
            tracing::error!(proposal = %key, epoch = p.epoch, %own, %posted,
                "the posted root differs from this oracle's with no provable fraud: a \
                 misallocation of the epoch's emission (not provable on-chain; alert governance)");
            return Own::Differs;
        }
        Own::Same
    }
}
