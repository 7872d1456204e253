//! The watcher's reads and writes on the rewards program, over the oracle's failover sender
//! (`depin-client`: rebroadcast, re-sign only after expiry). Every write reads the chain first
//! and again after a refusal, so a step someone else took (a probe they opened or extended, a
//! proof that landed first) is never an error:
//!
//! ```text
//! walk(probe)   none ─► open_probe (from the root) ─┐
//!               at level l, short of its leaf ◄─────┘─► extend_probe from l, one step per
//!               transaction (≤ MAX_PROBE_STEP siblings), re-reading the probe between steps
//!               at its leaf ─► done (its leaf must be the tree's)
//! prove         prove_fraud with the bond record of every recorded voter; refused but the
//!               proposal is voided ─► someone proved it first
//! demand        open_probe at the root + demand_probe in one transaction (or demand_probe on
//!               an existing probe); nothing if the leaf is already shown or demanded
//! ```
//!
//! Each step is its own transaction with a compute-budget instruction (the sender's
//! `cu_limit`, and `cu_price` when a priority fee is set): a legacy message, which without
//! lookup tables is never larger than the v0 one and fits the 1,232-byte packet.

use depin_client::accounts::{FetchError, fetch, program_accounts};
use depin_client::builders::Instruction;
use depin_client::builders::rewards_ix::{
    Evidence, ProbeSide, contest_root_ix, demand_probe_ix, extend_probe_ix, network_pda,
    open_probe_at_root, open_probe_ix, oracle_set_pda, probe_pda, proposal_voters, prove_fraud_ix,
};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer;
use depin_client::{SendError, Sender};
use rewards::constants::MAX_PROBE_STEP;
use rewards::state::{Network, OracleSet, Probe, ProposalStatus, RootProposal};

use super::evidence::{KnownTree, Row};
use super::metrics::WatchMetrics;
use super::steps::{StepError, extend_steps, open_steps};

/// Where `RootProposal::status` and `Probe::proposal` start: after the 8-byte discriminator and
/// the one-byte bump.
pub const STATUS_OFFSET: usize = 9;
/// Where `RootProposal::epoch` starts: after the discriminator, the bump, the status, the payer
/// (32), the votes (2), the set version (4) and the round (8).
pub const PROPOSAL_EPOCH_OFFSET: usize = 56;
pub const PROBE_PROPOSAL_OFFSET: usize = 9;

/// Every proposal for `epoch`, by address.
///
/// # Errors
///
/// An RPC failure.
pub async fn proposals_for_epoch(
    sender: &depin_client::Sender,
    epoch: u64,
) -> Result<Vec<(Pubkey, RootProposal)>, FetchError> {
    let filter = Some((PROPOSAL_EPOCH_OFFSET, epoch.to_le_bytes().to_vec()));
    program_accounts::<RootProposal>(sender, "root proposal", RootProposal::SIZE, filter).await
}

/// Why a read or a write failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("probe steps: {0}")]
    Steps(#[from] StepError),
    #[error("probe {0} vanished while it was walked")]
    Vanished(Pubkey),
    #[error(
        "probe {probe} stands on a node this tree does not have at level {level}: the rows \
         held are not the proposal's tree"
    )]
    ForeignProbe { probe: Pubkey, level: u8 },
    #[error("probe {0} is short of its leaf and no tree is held to walk it")]
    NoTree(Pubkey),
    #[error("leaf {index} is not in the rows held")]
    NoLeaf { index: u64 },
}

/// The rewards program as the watcher sees it.
pub struct Chain<'a> {
    sender: &'a Sender,
    payer: &'a Keypair,
    metrics: &'a WatchMetrics,
}

impl<'a> Chain<'a> {
    pub const fn new(sender: &'a Sender, payer: &'a Keypair, metrics: &'a WatchMetrics) -> Self {
        Self {
            sender,
            payer,
            metrics,
        }
    }

    /// Every proposal whose status is `Posted`, by address.
    ///
    /// # Errors
    ///
    /// An RPC failure.
    pub async fn posted_proposals(&self) -> Result<Vec<(Pubkey, RootProposal)>, ChainError> {
        let posted = vec![ProposalStatus::Posted as u8];
        let size = RootProposal::SIZE;
        let filter = Some((STATUS_OFFSET, posted));
        Ok(program_accounts::<RootProposal>(self.sender, "root proposal", size, filter).await?)
    }

    /// Every probe of `proposal`, by address.
    ///
    /// # Errors
    ///
    /// An RPC failure.
    pub async fn probes_of(&self, proposal: &Pubkey) -> Result<Vec<(Pubkey, Probe)>, ChainError> {
        let filter = Some((PROBE_PROPOSAL_OFFSET, proposal.to_bytes().to_vec()));
        Ok(program_accounts::<Probe>(self.sender, "probe", Probe::SIZE, filter).await?)
    }

    /// The probe at `key`, if any.
    ///
    /// # Errors
    ///
    /// An RPC failure.
    pub async fn probe(&self, key: &Pubkey) -> Result<Option<Probe>, ChainError> {
        Ok(fetch::<Probe>(self.sender, "probe", key).await?)
    }

    /// The proposal at `key`, if any.
    ///
    /// # Errors
    ///
    /// An RPC failure.
    pub async fn proposal(&self, key: &Pubkey) -> Result<Option<RootProposal>, ChainError> {
        Ok(fetch::<RootProposal>(self.sender, "root proposal", key).await?)
    }

    /// Walks the probe of leaf `index` on `side` of `proposal` to its leaf (opening it from the
    /// root if it does not exist, else extending it from where it stands), with the rows of
    /// that tree. A probe already at its leaf needs no rows. Returns the probe's address.
    ///
    /// # Errors
    ///
    /// An RPC or transaction failure; rows that are not the proposal's tree.
    pub async fn walk(
        &self,
        proposal: Pubkey,
        side: ProbeSide,
        index: u64,
        tree: Option<&KnownTree>,
    ) -> Result<Pubkey, ChainError> {
        let key = probe_pda(&proposal, side, index).0;
        if self.probe(&key).await?.is_none() {
            let tree = tree.ok_or(ChainError::NoTree(key))?;
            let (built, row) = leaf_of(tree, index)?;
            let (open, _) = open_steps(built, side, index, row, MAX_PROBE_STEP)?;
            let ix = open_probe_ix(self.payer.pubkey(), proposal, open);
            if let Err(e) = self.send("open_probe", ix).await {
                // Someone else opened it meanwhile: extend theirs.
                if self.probe(&key).await?.is_none() {
                    return Err(e);
                }
                tracing::debug!(probe = %key, "the probe was opened by someone else");
            }
        }
        loop {
            let probe = self.probe(&key).await?.ok_or(ChainError::Vanished(key))?;
            if let Some(leaf) = probe.leaf {
                check_leaf(tree, index, (leaf.wallet.to_bytes(), leaf.amount), key)?;
                return Ok(key);
            }
            let tree = tree.ok_or(ChainError::NoTree(key))?;
            let (built, row) = leaf_of(tree, index)?;
            let position = usize::try_from(index >> probe.level).unwrap_or(usize::MAX);
            let mine = built.node(usize::from(probe.level), position);
            if mine != Some(probe.node.into()) {
                return Err(ChainError::ForeignProbe {
                    probe: key,
                    level: probe.level,
                });
            }
            let steps = extend_steps(built, index, row, u32::from(probe.level), MAX_PROBE_STEP)?;
            let Some(next) = steps.into_iter().next() else {
                return Err(ChainError::Vanished(key));
            };
            let ix = extend_probe_ix(self.payer.pubkey(), proposal, key, next);
            if let Err(e) = self.send("extend_probe", ix).await {
                // Refused: go on only if someone else moved the probe meanwhile.
                let after = self.probe(&key).await?.ok_or(ChainError::Vanished(key))?;
                if after.leaf.is_none() && after.level >= probe.level {
                    return Err(e);
                }
            }
        }
    }

    /// `prove_fraud` over `probes` with the bond records of every voter recorded in the
    /// proposal. Returns true if this proof voided it, false if it was voided already.
    ///
    /// # Errors
    ///
    /// An RPC failure, or a refusal while the proposal is still posted.
    pub async fn prove(
        &self,
        key: Pubkey,
        proposal: &RootProposal,
        probes: (Pubkey, Option<Pubkey>),
        evidence: Evidence,
        kind: &'static str,
    ) -> Result<bool, ChainError> {
        let voters = proposal_voters(proposal);
        let ix = prove_fraud_ix(self.payer.pubkey(), key, probes, evidence, &voters);
        match self.send("prove_fraud", ix).await {
            Ok(()) => {
                self.metrics.proofs.with_label_values(&[kind]).inc();
                tracing::warn!(proposal = %key, epoch = proposal.epoch, kind,
                    slashed = voters.len(), "fraud proven: the root is voided");
                Ok(true)
            }
            Err(e) => match self.proposal(&key).await? {
                Some(p) if p.status == ProposalStatus::Voided => {
                    tracing::info!(proposal = %key, "the root was voided by another proof");
                    Ok(false)
                }
                _ => Err(e),
            },
        }
    }

    /// A posted-side probe standing at the root: leaf 0's, opened at the root if it does not
    /// exist (on a root whose sum is inconsistent no probe can have left it). Returns its
    /// address.
    ///
    /// # Errors
    ///
    /// An RPC or transaction failure.
    pub async fn open_at_root(
        &self,
        key: Pubkey,
        proposal: &RootProposal,
    ) -> Result<Pubkey, ChainError> {
        let probe_key = probe_pda(&key, ProbeSide::Posted, 0).0;
        if self.probe(&probe_key).await?.is_none() {
            let open = open_probe_at_root(proposal, 0).ok_or(ChainError::NoLeaf { index: 0 })?;
            let ix = open_probe_ix(self.payer.pubkey(), key, open);
            if let Err(e) = self.send("open_probe", ix).await
                && self.probe(&probe_key).await?.is_none()
            {
                return Err(e);
            }
        }
        Ok(probe_key)
    }

    /// The network account, if initialised.
    ///
    /// # Errors
    ///
    /// An RPC failure.
    pub async fn network(&self) -> Result<Option<Network>, ChainError> {
        Ok(fetch::<Network>(self.sender, "network", &network_pda().0).await?)
    }

    /// The oracle set, if initialised.
    ///
    /// # Errors
    ///
    /// An RPC failure.
    pub async fn oracle_set(&self) -> Result<Option<OracleSet>, ChainError> {
        Ok(fetch::<OracleSet>(self.sender, "oracle set", &oracle_set_pda().0).await?)
    }

    /// The key that signs (a seat's, when the watcher runs with its oracle's key).
    pub fn payer(&self) -> Pubkey {
        self.payer.pubkey()
    }

    /// `contest_root` on `proposal`, signed by the watcher's key.
    ///
    /// # Errors
    ///
    /// An RPC or transaction failure.
    pub async fn contest(&self, proposal: Pubkey) -> Result<(), ChainError> {
        self.send(
            "contest_root",
            contest_root_ix(self.payer.pubkey(), proposal),
        )
        .await
    }

    /// Demands leaf `index` of the posted tree, depositing at most `max_deposit` lamports: opens
    /// the probe at the root and demands it in one transaction, or demands an existing probe.
    /// Returns false (and sends nothing) when the leaf is already shown or demanded.
    ///
    /// # Errors
    ///
    /// An RPC or transaction failure (a window past its first third refuses demands, and so
    /// does a deposit above `max_deposit`).
    pub async fn demand(
        &self,
        key: Pubkey,
        proposal: &RootProposal,
        index: u64,
        max_deposit: u64,
    ) -> Result<bool, ChainError> {
        let probe_key = probe_pda(&key, ProbeSide::Posted, index).0;
        let me = self.payer.pubkey();
        let demand = demand_probe_ix(me, key, probe_key, max_deposit);
        let ixs = match self.probe(&probe_key).await? {
            Some(p) if p.leaf.is_some() || p.demand.is_some() => return Ok(false),
            Some(_) => vec![demand],
            None => {
                let open =
                    open_probe_at_root(proposal, index).ok_or(ChainError::NoLeaf { index })?;
                vec![open_probe_ix(me, key, open), demand]
            }
        };
        let landed = self
            .sender
            .send("demand_probe", &ixs, self.payer, &[])
            .await?;
        self.metrics
            .transactions
            .with_label_values(&["demand_probe"])
            .inc();
        tracing::info!(proposal = %key, index, signature = %landed.signature,
            "availability demand opened");
        Ok(true)
    }

    async fn send(&self, what: &'static str, ix: Instruction) -> Result<(), ChainError> {
        let landed = self.sender.send(what, &[ix], self.payer, &[]).await?;
        self.metrics.transactions.with_label_values(&[what]).inc();
        tracing::debug!(what, signature = %landed.signature, "landed");
        Ok(())
    }
}

/// The tree and the row of leaf `index`.
fn leaf_of(tree: &KnownTree, index: u64) -> Result<(&merkle_sum::Tree, Row), ChainError> {
    let row = tree.row(index).ok_or(ChainError::NoLeaf { index })?;
    let built = tree.tree().ok_or(ChainError::NoLeaf { index })?;
    Ok((built, row))
}

/// A probe at its leaf must show the row held (if any).
fn check_leaf(
    tree: Option<&KnownTree>,
    index: u64,
    shown: Row,
    probe: Pubkey,
) -> Result<(), ChainError> {
    match tree.map(|t| t.row(index)) {
        Some(Some(row)) if row != shown => Err(ChainError::ForeignProbe { probe, level: 0 }),
        Some(None) => Err(ChainError::NoLeaf { index }),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use anchor_lang::AccountSerialize;
    use rewards::state::{BaseRoot, ProbeSide};

    use super::*;

    #[test]
    fn the_filter_offsets_are_the_accounts_layout() {
        let proposal = RootProposal {
            bump: 0xB0,
            status: ProposalStatus::Posted,
            payer: Pubkey::new_unique(),
            votes: 0,
            set_version: 1,
            round: 0,
            epoch: 3,
            root: [1; 32],
            total: 2,
            leaves: 3,
            manifest_hash: [4; 32],
            base: BaseRoot::default(),
            open_demands: 0,
            voters: [Pubkey::default(); rewards::constants::MAX_ORACLES],
            posted_at: 0,
            dispute_ends: 0,
            contested: 0,
            contest_ends: 0,
        };
        let mut data = Vec::new();
        proposal.try_serialize(&mut data).unwrap();
        assert_eq!(data.len(), RootProposal::SIZE);
        assert_eq!(data[STATUS_OFFSET - 1], 0xB0);
        assert_eq!(data[STATUS_OFFSET], 1);

        let owner = Pubkey::new_unique();
        let probe = Probe {
            bump: 0xB1,
            proposal: owner,
            side: ProbeSide::Posted,
            index: 0,
            opener: Pubkey::new_unique(),
            level: 0,
            node: depin_client::builders::rewards_ix::MerkleNode {
                hash: [0; 32],
                sum: 0,
            },
            leaf: None,
            demand: None,
        };
        let mut data = Vec::new();
        probe.try_serialize(&mut data).unwrap();
        assert_eq!(
            &data[PROBE_PROPOSAL_OFFSET..PROBE_PROPOSAL_OFFSET + 32],
            owner.as_ref()
        );
    }
}
