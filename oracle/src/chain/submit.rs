//! The submitter: puts each published epoch's root on-chain, through the rewards program, over
//! JSON-RPC (`depin-client`'s sender: rebroadcast, re-sign only after expiry, priority fees,
//! failover across several RPC URLs with backoff).
//!
//! ```text
//! advance(epoch n)      every step reads the chain first; nothing is sent twice
//!   network.final_root.epochs > n ───────────────────────────────► Final
//!   network.final_root.epochs < n ───────────────────────────────► Waiting (n-1 not final)
//!   epochs_minted <= n ─► crank_epoch (permissionless; mints the epochs due)
//!   no bond / short ───► post_bond (the set's bond, from this oracle's lamports)
//!   the epoch has not ended by the cluster clock ───────────────► Waiting
//!   proposal for (n, set version, round, root, total, leaves, manifest) lacks this oracle's
//!   vote (an epoch without a root votes root 0, total 0, leaves 0):
//!       vote_intents row committed (refused if a different vote is recorded) ─► vote_root
//!   proposal Voting ─────────────────────────────────────────────► Waiting (k of n votes)
//!   proposal Posted, dispute window open ───────────────────────► Waiting (until dispute_ends)
//!   proposal Posted, window over ─► finalize_root (permissionless) ─► Final
//! ```
//!
//! Idempotent across crashes: the chain is the source of truth for what landed (a vote is a bit
//! in the proposal, a crank is `epochs_minted`), and the write-ahead `vote_intents` row makes
//! sure a restarted oracle can only ever sign the vote it meant to sign before the crash. The
//! program refuses a second vote by the same oracle for an epoch (`AlreadyVoted`,
//! `ConflictingVote`), so even a lost intent cannot double-vote; the intent keeps the oracle from
//! trying.
//!
//! `DEPIN_ORACLE_FAILPOINT=<step>` makes the process exit abruptly (as SIGKILL would) right after
//! the named step: `crank`, `bond`, `intent`, `vote`, `finalize`. The crash tests use it.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use depin_client::accounts::{FetchError, cluster_time, fetch};
use depin_client::builders::rewards_ix::{self, VoteRootArgs};
use depin_client::builders::{Instruction, TokenProgram};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer;
use depin_client::{Landed, SendConfig, SendError, Sender};
use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts};
use rewards::state::{Network, OracleBond, OracleSet, ProposalStatus, RootProposal};

use crate::settings::{Settings, SubmitSettings};
use crate::store::{Intent, PublishedEpoch, Store, StoreError, VoteIntent};
use crate::supervisor::{Shutdown, TaskError};

/// Why the submitter stopped.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the rewards network {0} does not exist on this cluster (run the migrations)")]
    NoNetwork(Pubkey),
    #[error("the rewards program has no oracle set at {0}")]
    NoOracleSet(Pubkey),
    #[error("{0} is not in the on-chain oracle set (version {1})")]
    NotAnOracle(Pubkey, u32),
    #[error("{0} was slashed in oracle set version {1}: it may not vote until the set rotates")]
    Slashed(Pubkey, u32),
    #[error(
        "epoch {epoch}: the published total {total} exceeds the on-chain budget {budget} for \
         epochs 0..={epoch}: the oracle's emission settings (epoch.initial_epoch_emission, \
         epoch.halving_interval_epochs) disagree with the on-chain emission schedule; not voting"
    )]
    OverBudget { epoch: u64, total: u64, budget: u64 },
    #[error(
        "epoch {epoch}: the final root on-chain (root {final_root}, total {final_total}, leaves \
         {final_leaves}) is not the tree this oracle's epoch extends ({own}); not voting: its \
         wallets would sit at other indices, a provable decrease"
    )]
    ForeignBase {
        epoch: u64,
        final_root: String,
        final_total: u64,
        final_leaves: u64,
        own: String,
    },
    #[error(
        "epoch {epoch}: the published record has {leaves} leaves and {root}: a root needs a \
         nonzero leaf count and no root a zero one (a record from before the leaf count was \
         stored reads 0); not voting"
    )]
    LeafCount {
        epoch: u64,
        leaves: u64,
        root: &'static str,
    },
    #[error(
        "epoch {epoch}: this oracle already recorded a vote for another root in set version \
         {set_version}, round {round} (root {recorded}, total {recorded_total}, leaves \
         {recorded_leaves}); refusing to sign a second one (it would equivocate)"
    )]
    Equivocation {
        epoch: u64,
        set_version: u32,
        round: u64,
        recorded: String,
        recorded_total: u64,
        recorded_leaves: u64,
    },
}

/// Where an epoch stands after [`Submitter::advance`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The epoch's root is final on-chain (by this oracle's hand or another's).
    Final,
    /// Nothing to do until the chain moves; says what it waits for.
    Waiting(String),
}

/// Transactions the submitter sent, by kind (each one landed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    pub cranks: u32,
    pub bonds: u32,
    pub votes: u32,
    pub finalizes: u32,
    /// Blockhash expiries across them (each one a re-sign).
    pub expiries: u32,
}

/// One oracle's submitter.
pub struct Submitter<'a> {
    sender: &'a Sender,
    oracle: &'a Keypair,
    store: &'a Store,
    sent: Sent,
}

impl<'a> Submitter<'a> {
    pub fn new(sender: &'a Sender, oracle: &'a Keypair, store: &'a Store) -> Self {
        Self {
            sender,
            oracle,
            store,
            sent: Sent::default(),
        }
    }

    /// What this submitter has sent so far.
    pub fn sent(&self) -> Sent {
        self.sent
    }

    /// Does the next thing epoch `e` needs on-chain, reading the chain before every step.
    /// `base` is this oracle's own record of epoch `e - 1` (`None` for epoch 0).
    ///
    /// # Errors
    ///
    /// An RPC or transaction failure (retry later: every step is idempotent), a store failure,
    /// or a refusal to vote (over budget, equivocation, not an oracle, or a final root of
    /// `e - 1` that is not the one this oracle's tree extends).
    pub async fn advance(
        &mut self,
        e: &PublishedEpoch,
        base: Option<&PublishedEpoch>,
    ) -> Result<Progress, SubmitError> {
        let e_epoch = e.epoch;
        let network_key = rewards_ix::network_pda().0;
        let mut network = self.network().await?;
        if network.final_root.epochs > e.epoch {
            return Ok(Progress::Final);
        }
        if network.final_root.epochs < e.epoch {
            return Ok(Progress::Waiting(format!(
                "epoch {} is not final yet",
                network.final_root.epochs
            )));
        }
        check_base(&network.final_root, e.epoch, base)?;
        while network.epochs_minted <= e.epoch {
            let token_program = TokenProgram::from_owner(&network.token_program)
                .ok_or(SubmitError::NoNetwork(network_key))?;
            let ix = rewards_ix::crank_epoch(rewards_ix::crank_epoch_accounts(token_program));
            let minted = network.epochs_minted;
            match self.send("crank_epoch", &[ix]).await {
                Ok(landed) => {
                    self.sent.cranks += 1;
                    self.count(&landed);
                    failpoint("crank");
                    network = self.network().await?;
                }
                Err(e) => {
                    // Every oracle cranks: when another one's crank landed first, ours is
                    // refused (the epoch is no longer due), and the chain already has what we
                    // wanted.
                    let moved =
                        seen_soon(|| async { Ok(self.network().await?.epochs_minted > minted) })
                            .await?;
                    network = self.network().await?;
                    if !moved {
                        return Err(e);
                    }
                    tracing::debug!(epoch = minted, "another oracle cranked the epoch first");
                }
            }
        }
        let budget = network.root_budget(e.epoch).unwrap_or(0);
        if e.root_sum > budget {
            return Err(SubmitError::OverBudget {
                epoch: e.epoch,
                total: e.root_sum,
                budget,
            });
        }
        let args = vote_args(e)?;
        let set_key = rewards_ix::oracle_set_pda().0;
        let set = fetch::<OracleSet>(self.sender, "oracle set", &set_key)
            .await?
            .ok_or(SubmitError::NoOracleSet(set_key))?;
        let me = self.oracle.pubkey();
        let seat = set
            .seat_of(&me)
            .ok_or(SubmitError::NotAnOracle(me, set.set_version))?;
        if set.is_slashed(seat) {
            return Err(SubmitError::Slashed(me, set.set_version));
        }
        self.ensure_bond(set.bond).await?;
        // The program takes votes only once the epoch is over (by the cluster's clock).
        let ends = epoch_end(&network, e.epoch);
        let now = cluster_time(self.sender).await?;
        if now < ends {
            return Ok(Progress::Waiting(format!(
                "epoch {} ends in {} s",
                e.epoch,
                ends - now
            )));
        }

        let round = network.voided_roots;
        let proposal_key = rewards_ix::proposal_pda(set.set_version, round, &args).0;
        let mut proposal = self.proposal(&proposal_key).await?;
        let bit = 1u16 << seat;
        // A proposal that already posted (its threshold reached without this seat) takes no
        // more votes: wait for its window and finalize it instead of retrying a refused vote.
        let votable = |p: &RootProposal| p.votes & bit == 0 && p.status == ProposalStatus::Voting;
        if proposal.as_ref().is_none_or(votable) {
            self.record_intent(&args, set.set_version, round).await?;
            failpoint("intent");
            let ix = rewards_ix::vote_root(
                rewards_ix::vote_root_accounts_in(me, set.set_version, round, &args),
                args,
            );
            match self.send("vote_root", &[ix]).await {
                Ok(landed) => {
                    self.sent.votes += 1;
                    self.count(&landed);
                    failpoint("vote");
                }
                // The other seats' votes posted the proposal while this one was on its way: a
                // posted proposal takes no more votes, and nothing is lost.
                Err(e) => {
                    let posted = seen_soon(|| async {
                        Ok(self
                            .proposal(&proposal_key)
                            .await?
                            .is_some_and(|p| p.status != ProposalStatus::Voting))
                    })
                    .await?;
                    if !posted {
                        return Err(e);
                    }
                    tracing::debug!(epoch = e_epoch, "the proposal posted without this vote");
                }
            }
            proposal = self.proposal(&proposal_key).await?;
        }
        let Some(proposal) = proposal else {
            return Ok(Progress::Waiting("the vote has not landed".into()));
        };
        match proposal.status {
            ProposalStatus::Voting => Ok(Progress::Waiting(format!(
                "{} of {} votes",
                proposal.votes.count_ones(),
                set.threshold
            ))),
            ProposalStatus::Voided => Ok(Progress::Waiting(
                "the proposal was voided; voting again in the next round".into(),
            )),
            ProposalStatus::Final => Ok(Progress::Final),
            ProposalStatus::Posted => {
                let now = cluster_time(self.sender).await?;
                if now < proposal.dispute_ends {
                    return Ok(Progress::Waiting(format!(
                        "the dispute window ends in {} s",
                        proposal.dispute_ends - now
                    )));
                }
                let final_from = proposal
                    .final_from(network.timelock_secs)
                    .unwrap_or(i64::MAX);
                if now < final_from {
                    return Ok(Progress::Waiting(format!(
                        "the root is contested: it may become final in {} s, unless governance \
                         rotates the set",
                        final_from - now
                    )));
                }
                let ix =
                    rewards_ix::finalize_root(rewards_ix::finalize_root_accounts(proposal_key));
                match self.send("finalize_root", &[ix]).await {
                    Ok(landed) => {
                        self.sent.finalizes += 1;
                        self.count(&landed);
                        failpoint("finalize");
                        Ok(Progress::Final)
                    }
                    // Another oracle (or anyone) finalized it first.
                    Err(e) => {
                        if !self.finalized_by_another(e_epoch, &proposal_key).await? {
                            return Err(e);
                        }
                        tracing::debug!(epoch = e_epoch, "the root was finalized by another");
                        Ok(Progress::Final)
                    }
                }
            }
        }
    }

    async fn network(&self) -> Result<Network, SubmitError> {
        let key = rewards_ix::network_pda().0;
        fetch::<Network>(self.sender, "rewards network", &key)
            .await?
            .ok_or(SubmitError::NoNetwork(key))
    }

    /// After a refused `finalize_root`: whether epoch `epoch` is final all the same (another
    /// oracle's finalize landed first).
    async fn finalized_by_another(&self, epoch: u64, key: &Pubkey) -> Result<bool, SubmitError> {
        seen_soon(|| async {
            Ok(self.network().await?.final_root.epochs > epoch
                || self
                    .proposal(key)
                    .await?
                    .is_some_and(|p| p.status == ProposalStatus::Final))
        })
        .await
    }

    async fn proposal(&self, key: &Pubkey) -> Result<Option<RootProposal>, SubmitError> {
        Ok(fetch::<RootProposal>(self.sender, "root proposal", key).await?)
    }

    /// Posts (or tops up) this oracle's bond to the set's amount.
    async fn ensure_bond(&mut self, bond: u64) -> Result<(), SubmitError> {
        let me = self.oracle.pubkey();
        let key = rewards_ix::bond_pda(&me).0;
        let held = fetch::<OracleBond>(self.sender, "oracle bond", &key)
            .await?
            .map_or(0, |b| b.amount);
        if held >= bond {
            return Ok(());
        }
        let ix = rewards_ix::post_bond(rewards_ix::post_bond_accounts(me), bond - held);
        let landed = self.send("post_bond", &[ix]).await?;
        self.sent.bonds += 1;
        self.count(&landed);
        failpoint("bond");
        Ok(())
    }

    async fn record_intent(
        &self,
        args: &VoteRootArgs,
        set_version: u32,
        round: u64,
    ) -> Result<(), SubmitError> {
        let intent = VoteIntent {
            epoch: args.epoch,
            set_version,
            round,
            root_hash: args.root,
            root_sum: args.total,
            leaves: args.leaves,
            manifest_hash: args.manifest_hash,
        };
        match self.store.record_intent(&intent, now_ms()).await? {
            Intent::Recorded => Ok(()),
            Intent::Conflicts {
                root_hash,
                root_sum,
                leaves,
                ..
            } => Err(SubmitError::Equivocation {
                epoch: args.epoch,
                set_version,
                round,
                recorded: hex::encode(root_hash),
                recorded_total: root_sum,
                recorded_leaves: leaves,
            }),
        }
    }

    async fn send(&self, what: &str, ixs: &[Instruction]) -> Result<Landed, SubmitError> {
        Ok(self.sender.send(what, ixs, self.oracle, &[]).await?)
    }

    fn count(&mut self, landed: &Landed) {
        self.sent.expiries += landed.expiries;
    }
}

/// Whether `seen` turns true within a second and a half (four reads, 500 ms apart): after a
/// transaction refused because another oracle's landed first, the refusal can be seen before
/// the state that caused it.
async fn seen_soon<F, Fut>(mut seen: F) -> Result<bool, SubmitError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, SubmitError>>,
{
    for attempt in 0..4 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if seen().await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// When `epoch` ends, by the network's schedule (i64::MAX past the range).
pub fn epoch_end(network: &Network, epoch: u64) -> i64 {
    epoch
        .checked_add(1)
        .and_then(|next| network.emission.schedule().epoch_start(next))
        .unwrap_or(i64::MAX)
}

/// The vote for a published epoch: its root, total and leaf count, or root 0, total 0 and leaf
/// count 0 for an epoch without a root (docs/merkle-sum.md, section 9).
///
/// # Errors
///
/// [`SubmitError::LeafCount`] if the record has a root but no leaf count, or the reverse.
/// Refuses to vote epoch `epoch` unless the final root on-chain is exactly the tree this oracle
/// extended (its own record of `epoch - 1`, or the empty root before epoch 0): a tree built on
/// other previous totals would keep the wrong wallets at the wrong indices, and a co-voter could
/// then prove it a decrease and have this oracle slashed.
///
/// # Errors
///
/// [`SubmitError::ForeignBase`] when they differ, or when this oracle has no record of `epoch - 1`.
pub fn check_base(
    final_root: &rewards::state::FinalRoot,
    epoch: u64,
    base: Option<&PublishedEpoch>,
) -> Result<(), SubmitError> {
    let own = match (epoch, base) {
        (0, _) => Some(([0; 32], 0, 0)),
        (_, Some(b)) if b.epoch + 1 == epoch => {
            Some((b.root_hash.unwrap_or([0; 32]), b.root_sum, b.leaves))
        }
        _ => None,
    };
    let on_chain = (final_root.root, final_root.total, final_root.leaves);
    if own == Some(on_chain) {
        return Ok(());
    }
    Err(SubmitError::ForeignBase {
        epoch,
        final_root: hex::encode(final_root.root),
        final_total: final_root.total,
        final_leaves: final_root.leaves,
        own: own.map_or_else(
            || "no record".to_owned(),
            |(root, total, leaves)| {
                format!("root {}, total {total}, leaves {leaves}", hex::encode(root))
            },
        ),
    })
}

pub fn vote_args(e: &PublishedEpoch) -> Result<VoteRootArgs, SubmitError> {
    if e.root_hash.is_some() != (e.leaves > 0) {
        return Err(SubmitError::LeafCount {
            epoch: e.epoch,
            leaves: e.leaves,
            root: if e.root_hash.is_some() {
                "a root"
            } else {
                "no root"
            },
        });
    }
    Ok(VoteRootArgs {
        epoch: e.epoch,
        root: e.root_hash.unwrap_or([0; 32]),
        total: e.root_sum,
        leaves: e.leaves,
        manifest_hash: e.manifest_hash,
    })
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Kills the process with SIGKILL (no unwinding, no flushing, no destructors) when
/// `DEPIN_ORACLE_FAILPOINT` names `step`: the crash tests' kill at that point.
fn failpoint(step: &str) {
    if std::env::var("DEPIN_ORACLE_FAILPOINT").is_ok_and(|v| v == step) {
        #[cfg(unix)]
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
        // Only if the signal could not be raised.
        std::process::abort();
    }
}

/// The submitter's Prometheus metrics.
#[derive(Debug, Clone)]
pub struct SubmitMetrics {
    /// Transactions that landed, by kind (`crank`, `bond`, `vote`, `finalize`).
    pub transactions: IntCounterVec,
    /// Re-signs after a blockhash expired (the submission retries).
    pub expiries: IntCounter,
    /// Failed passes (each is retried after `retry_interval`).
    pub failures: IntCounter,
    /// Transport failures that moved the sender to another RPC URL.
    pub failovers: IntGauge,
    /// Epochs whose root is final on-chain.
    pub final_epochs: IntGauge,
    /// Seconds since the end of the next epoch to become final, once that is past
    /// `submit.overdue_after` without a posted root; 0 otherwise.
    pub overdue: IntGauge,
}

impl SubmitMetrics {
    /// # Errors
    ///
    /// Only on a programming error (an invalid metric name).
    pub fn new() -> Result<Self, prometheus::Error> {
        Ok(Self {
            transactions: IntCounterVec::new(
                Opts::new(
                    "oracle_submit_transactions_total",
                    "Submitter transactions that landed, by kind.",
                ),
                &["kind"],
            )?,
            expiries: IntCounter::new(
                "oracle_submit_retries_total",
                "Submitter transactions re-signed after their blockhash expired unseen.",
            )?,
            failures: IntCounter::new(
                "oracle_submit_failures_total",
                "Failed submitter passes (each is retried).",
            )?,
            failovers: IntGauge::new(
                "oracle_submit_rpc_failovers",
                "Transport failures that moved the submitter to another RPC URL.",
            )?,
            final_epochs: IntGauge::new(
                "oracle_submit_final_epochs",
                "Epochs whose reward root is final on-chain.",
            )?,
            overdue: IntGauge::new(
                "oracle_submit_root_overdue_seconds",
                "Seconds since the end of the next epoch to become final, once past \
                 submit.overdue_after with no posted root (0: none overdue). Alert on > 0.",
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
        registry.register(Box::new(self.expiries.clone()))?;
        registry.register(Box::new(self.failures.clone()))?;
        registry.register(Box::new(self.failovers.clone()))?;
        registry.register(Box::new(self.final_epochs.clone()))?;
        registry.register(Box::new(self.overdue.clone()))?;
        Ok(())
    }

    fn add(&self, sent: Sent) {
        for (kind, n) in [
            ("crank", sent.cranks),
            ("bond", sent.bonds),
            ("vote", sent.votes),
            ("finalize", sent.finalizes),
        ] {
            self.transactions
                .with_label_values(&[kind])
                .inc_by(u64::from(n));
        }
        self.expiries.inc_by(u64::from(sent.expiries));
    }
}

/// Why the submit task could not start.
#[derive(Debug, thiserror::Error)]
pub enum SubmitSetupError {
    #[error("reading the oracle keypair {path}: {reason}")]
    Keypair { path: PathBuf, reason: String },
    #[error("submit.rpc_urls is empty: name at least one JSON-RPC URL")]
    NoRpcUrl,
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// A sender over `submit.rpc_urls` (in failover order) with `submit.priority_fee`.
///
/// # Errors
///
/// No URL.
pub fn sender_for(s: &SubmitSettings) -> Result<Sender, SubmitSetupError> {
    let (first, rest) = s.rpc_urls.split_first().ok_or(SubmitSetupError::NoRpcUrl)?;
    Ok(Sender::new(
        first.clone(),
        SendConfig {
            cu_price_micro_lamports: s.priority_fee,
            ..SendConfig::default()
        },
    )
    .with_fallbacks(rest.iter().cloned()))
}

/// The submit task of `oracle serve`, and the engine of `oracle submit`.
pub struct SubmitTask {
    sender: Sender,
    oracle: Keypair,
    store: Store,
    poll_interval: Duration,
    retry_interval: Duration,
    overdue_after: Duration,
    metrics: SubmitMetrics,
}

impl SubmitTask {
    /// # Errors
    ///
    /// No RPC URL, or an unreadable keypair file.
    pub fn new(settings: &Settings, store: Store) -> Result<Self, SubmitSetupError> {
        let s = &settings.submit;
        let sender = sender_for(s)?;
        let path = settings.oracle_keypair();
        let oracle = read_keypair_file(&path).map_err(|e| SubmitSetupError::Keypair {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            sender,
            oracle,
            store,
            poll_interval: s.poll_interval,
            retry_interval: s.retry_interval,
            overdue_after: s.overdue_after,
            metrics: SubmitMetrics::new()?,
        })
    }

    pub fn metrics(&self) -> &SubmitMetrics {
        &self.metrics
    }

    /// This oracle's key.
    pub fn oracle(&self) -> Pubkey {
        self.oracle.pubkey()
    }

    /// One pass: advances the published epochs that are not final on-chain, in order, and
    /// stops at the first that must wait. Returns each epoch it looked at and where it stands.
    ///
    /// # Errors
    ///
    /// As [`Submitter::advance`]; everything done before the failure stays done.
    pub async fn pass(&self) -> Result<Vec<(u64, Progress)>, SubmitError> {
        let published = self.store.published_epochs().await?;
        let mut submitter = Submitter::new(&self.sender, &self.oracle, &self.store);
        let first_open = submitter.network().await?.final_root.epochs;
        let mut seen = Vec::new();
        let mut result = Ok(());
        for e in published.iter().filter(|e| e.epoch >= first_open) {
            let base = e
                .epoch
                .checked_sub(1)
                .and_then(|prev| published.iter().find(|p| p.epoch == prev));
            match submitter.advance(e, base).await {
                Ok(Progress::Final) => seen.push((e.epoch, Progress::Final)),
                Ok(waiting) => {
                    seen.push((e.epoch, waiting));
                    break;
                }
                Err(err) => {
                    result = Err(err);
                    break;
                }
            }
        }
        self.metrics.add(submitter.sent());
        self.metrics
            .failovers
            .set(i64::try_from(self.sender.failovers()).unwrap_or(i64::MAX));
        let finals = seen
            .iter()
            .filter(|(_, p)| *p == Progress::Final)
            .map(|(n, _)| n + 1)
            .max()
            .unwrap_or(first_open);
        self.metrics
            .final_epochs
            .set(i64::try_from(finals).unwrap_or(i64::MAX));
        if let Err(e) = self.check_overdue().await {
            tracing::debug!(error = %e, "could not check for an overdue root");
        }
        result.map(|()| seen)
    }

    /// Flags a stuck network: the next epoch to become final has no posted (or final) proposal
    /// `overdue_after` past its end. Logs the proposals it sees, with their votes.
    async fn check_overdue(&self) -> Result<(), SubmitError> {
        let submitter = Submitter::new(&self.sender, &self.oracle, &self.store);
        let network = submitter.network().await?;
        let epoch = network.final_root.epochs;
        let ends = epoch_end(&network, epoch);
        let now = cluster_time(&self.sender).await?;
        let grace = i64::try_from(self.overdue_after.as_secs()).unwrap_or(i64::MAX);
        if now.saturating_sub(ends) <= grace {
            self.metrics.overdue.set(0);
            return Ok(());
        }
        let proposals = crate::watch::chain::proposals_for_epoch(&self.sender, epoch).await?;
        let live = |s: ProposalStatus| matches!(s, ProposalStatus::Posted | ProposalStatus::Final);
        if proposals.iter().any(|(_, p)| live(p.status)) {
            self.metrics.overdue.set(0);
            return Ok(());
        }
        self.metrics.overdue.set(now.saturating_sub(ends));
        let seen: Vec<String> = proposals
            .iter()
            .map(|(key, p)| {
                format!(
                    "{key} ({:?}, set {} round {}): root {} total {} leaves {} manifest {}, {} \
                     vote(s)",
                    p.status,
                    p.set_version,
                    p.round,
                    hex::encode(p.root),
                    p.total,
                    p.leaves,
                    hex::encode(p.manifest_hash),
                    p.votes.count_ones()
                )
            })
            .collect();
        tracing::warn!(epoch, secs_since_end = now - ends, proposals = ?seen,
            "no root has posted for this epoch within submit.overdue_after of its end: the \
             network is stuck (the oracles disagree on the tuple, or too few of them vote)");
        Ok(())
    }

    /// Passes until shutdown: again at once after progress, after `poll_interval` while
    /// waiting, after `retry_interval` after a failure (logged and counted).
    ///
    /// # Errors
    ///
    /// None today: failures are retried.
    pub async fn run(self, mut shutdown: Shutdown) -> Result<(), TaskError> {
        tracing::info!(oracle = %self.oracle(), rpc = ?self.sender.urls(), "submit task ready");
        loop {
            let wait = match self.pass().await {
                Ok(seen) => {
                    for (epoch, p) in &seen {
                        match p {
                            Progress::Final => tracing::info!(epoch, "root final on-chain"),
                            Progress::Waiting(why) => tracing::debug!(epoch, %why, "waiting"),
                        }
                    }
                    self.poll_interval
                }
                Err(e) => {
                    self.metrics.failures.inc();
                    tracing::error!(error = %e, retry_in = ?self.retry_interval,
                        "submit task: pass failed; will retry");
                    self.retry_interval
                }
            };
            tokio::select! {
                () = shutdown.requested() => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(root_hash: Option<[u8; 32]>, root_sum: u64, leaves: u64) -> PublishedEpoch {
        PublishedEpoch {
            epoch: 4,
            root_hash,
            root_sum,
            leaves,
            manifest_hash: [7; 32],
            published_at: 0,
        }
    }

    fn final_root(root: [u8; 32], total: u64, leaves: u64) -> rewards::state::FinalRoot {
        rewards::state::FinalRoot {
            epochs: 4,
            root,
            total,
            manifest_hash: [0; 32],
            leaves,
        }
    }

    #[test]
    fn a_vote_extends_only_the_final_root_it_was_built_on() {
        let mut own = published(Some([5; 32]), 900, 3);
        own.epoch = 3;
        assert!(check_base(&final_root([5; 32], 900, 3), 4, Some(&own)).is_ok());
        // Another root, total or leaf count on-chain: not this oracle's tree.
        for other in [
            final_root([6; 32], 900, 3),
            final_root([5; 32], 901, 3),
            final_root([5; 32], 900, 4),
        ] {
            let err = check_base(&other, 4, Some(&own)).unwrap_err();
            assert!(
                matches!(err, SubmitError::ForeignBase { epoch: 4, .. }),
                "{err}"
            );
        }
        // No record of the previous epoch, or a record of another epoch.
        let err = check_base(&final_root([5; 32], 900, 3), 4, None).unwrap_err();
        assert!(err.to_string().contains("(no record)"), "{err}");
        own.epoch = 2;
        assert!(check_base(&final_root([5; 32], 900, 3), 4, Some(&own)).is_err());
        // Epoch 0 extends the empty root.
        assert!(check_base(&final_root([0; 32], 0, 0), 0, None).is_ok());
        assert!(check_base(&final_root([0; 32], 0, 1), 0, None).is_err());
    }

    #[test]
    fn the_vote_carries_the_leaf_count() {
        let args = vote_args(&published(Some([9; 32]), 1_000, 3)).unwrap();
        assert_eq!(
            args,
            VoteRootArgs {
                epoch: 4,
                root: [9; 32],
                total: 1_000,
                leaves: 3,
                manifest_hash: [7; 32],
            }
        );
    }

    #[test]
    fn an_empty_epoch_votes_zero_root_total_and_leaves() {
        let args = vote_args(&published(None, 0, 0)).unwrap();
        assert_eq!(
            (args.root, args.total, args.leaves),
            ([0; 32], 0, 0),
            "{args:?}"
        );
    }

    #[test]
    fn a_root_without_a_leaf_count_is_not_voted() {
        let refused = |e: &PublishedEpoch| vote_args(e).unwrap_err().to_string();
        assert_eq!(
            refused(&published(Some([9; 32]), 1_000, 0)),
            "epoch 4: the published record has 0 leaves and a root: a root needs a nonzero leaf \
             count and no root a zero one (a record from before the leaf count was stored reads \
             0); not voting"
        );
        assert_eq!(
            refused(&published(None, 0, 2)),
            "epoch 4: the published record has 2 leaves and no root: a root needs a nonzero leaf \
             count and no root a zero one (a record from before the leaf count was stored reads \
             0); not voting"
        );
    }
}
