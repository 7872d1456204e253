use anchor_lang::prelude::*;
use depin_common::bps::Bps;

use crate::constants::{INCINERATOR, MAX_ORACLES, NETWORK_ADDRESS, ORACLE_SET_ADDRESS};
use crate::error::RewardsError;
use crate::events::{FraudKind, RootVoided};
use crate::instructions::shared::fraud_error;
use crate::math::fraud::{self, Preimage};
use crate::state::{
    Network, OracleBond, OracleSet, Probe, ProbeSide, ProposalStatus, ProvenLeaf, RootProposal,
};
use crate::types::MerkleNode;

/// Evidence that a posted root is fraudulent, over probes of this proposal (see
/// `math::fraud` and docs/fraud-proofs.md).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// `first`: a base-side probe at leaf `i`; `second`: a posted-side probe at the same leaf;
    /// both at their leaf. The posted leaf holds another wallet, or less.
    Decrease,
    /// `first`, `second`: posted-side probes at two different leaves, both at their leaf, naming
    /// one wallet, at least one of them appended by this root (an index at or past the base
    /// root's count): a duplicate inherited from a final root is not this root's fault, and
    /// could otherwise void every honest successor.
    Duplicate,
    /// `first`: a posted-side probe at any node; these children (or this leaf) hash to the node
    /// and their sums do not add up to its published sum.
    InconsistentSum { preimage: NodePreimage },
    /// `first`: a demanded probe still short of its leaf past its deadline: the posted tree was
    /// not made available. Accepted even after the dispute window while the root is posted
    /// (an open demand keeps it from becoming final).
    Unanswered,
}

/// What a node's hash opens to (`math::fraud::Preimage`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodePreimage {
    Children { left: MerkleNode, right: MerkleNode },
    Leaf { wallet: Pubkey, amount: u64 },
}

/// Anyone proves, during the dispute window, that a posted root is fraudulent: the root is
/// voided and **every** oracle that voted for it is slashed (the keys recorded in the proposal,
/// whether or not they are still in the set); the challenger receives `challenger_bps` of the
/// slashed lamports and the rest is burned (sent to the incinerator). Slashed oracles still in
/// the set may not vote until it is rotated. A void that slashes a seat of the current set (a
/// current-set root, or an old one whose voter was seated again) starts a new voting round,
/// which frees every other seat.
///
/// Remaining accounts: the bond record of every voter, writable, in seat order.
#[event_cpi]
#[derive(Accounts)]
pub struct ProveFraud<'info> {
    /// Proves the fraud and receives `challenger_bps` of the slashed lamports.
    #[account(mut)]
    pub challenger: Signer<'info>,

    /// Counts the void (the next voting round).
    #[account(mut, address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    #[account(mut, address = ORACLE_SET_ADDRESS @ RewardsError::WrongOracleSet)]
    pub oracle_set: Box<Account<'info, OracleSet>>,

    #[account(mut)]
    pub proposal: Box<Account<'info, RootProposal>>,

    #[account(constraint = first.proposal == proposal.key() @ RewardsError::WrongProbe)]
    pub first: Box<Account<'info, Probe>>,

    #[account(constraint = second.proposal == proposal.key() @ RewardsError::WrongProbe)]
    pub second: Option<Box<Account<'info, Probe>>>,

    /// CHECK: the incinerator (address checked): receives the burned part.
    #[account(mut, address = INCINERATOR)]
    pub incinerator: UncheckedAccount<'info>,
}

fn leaf_of(probe: &Probe, side: ProbeSide) -> Result<ProvenLeaf> {
    require!(probe.side == side, RewardsError::WrongProbe);
    probe
        .leaf
        .ok_or_else(|| error!(RewardsError::ProbeNotAtLeaf))
}

/// Checks the evidence; returns the kind of fraud.
fn prove(accounts: &ProveFraud, evidence: &Evidence) -> Result<FraudKind> {
    let first = &accounts.first;
    let second = || accounts.second.as_deref().ok_or(RewardsError::WrongProbe);
    match evidence {
        Evidence::Decrease => {
            let second = second()?;
            let base = leaf_of(first, ProbeSide::Base)?;
            let posted = leaf_of(second, ProbeSide::Posted)?;
            require!(first.index == second.index, RewardsError::WrongProbe);
            fraud::decrease(
                (&base.wallet.to_bytes(), base.amount),
                (&posted.wallet.to_bytes(), posted.amount),
            )
            .map_err(fraud_error)?;
            Ok(FraudKind::Decrease)
        }
        Evidence::Duplicate => {
            let second = second()?;
            let a = leaf_of(first, ProbeSide::Posted)?;
            let b = leaf_of(second, ProbeSide::Posted)?;
            let base_leaves = accounts.proposal.base.leaves;
            require!(
                first.index.max(second.index) >= base_leaves,
                RewardsError::FraudNotDuplicate
            );
            fraud::duplicate(
                (first.index, &a.wallet.to_bytes()),
                (second.index, &b.wallet.to_bytes()),
            )
            .map_err(fraud_error)?;
            Ok(FraudKind::Duplicate)
        }
        Evidence::InconsistentSum { preimage } => {
            require!(first.side == ProbeSide::Posted, RewardsError::WrongProbe);
            let preimage = match *preimage {
                NodePreimage::Children { left, right } => Preimage::Children {
                    left: left.into(),
                    right: right.into(),
                },
                NodePreimage::Leaf { wallet, amount } => Preimage::Leaf {
                    wallet: wallet.to_bytes(),
                    amount,
                },
            };
            fraud::inconsistent(&first.node.into(), &preimage).map_err(fraud_error)?;
            Ok(FraudKind::InconsistentSum)
        }
        Evidence::Unanswered => {
            let now = Clock::get()?.unix_timestamp;
            let expired = first.leaf.is_none() && first.demand.is_some_and(|d| now >= d.deadline);
            require!(expired, RewardsError::DemandNotExpired);
            Ok(FraudKind::Unanswered)
        }
    }
}

/// Slashes every voter of the proposal: one bond record per vote, in seat order. Returns the
/// slashed keys and lamports, and whether any of them holds a seat of the current set.
fn slash_voters<'info>(
    proposal: &RootProposal,
    set: &mut OracleSet,
    bonds: &'info [AccountInfo<'info>],
) -> Result<(Vec<Pubkey>, u64, bool)> {
    let mut bonds = bonds.iter();
    let mut seated = false;
    let mut slashed = Vec::new();
    let mut amount: u64 = 0;
    for seat in 0..MAX_ORACLES {
        if proposal.votes & (1u16 << seat) == 0 {
            continue;
        }
        let voter = proposal.voters[seat];
        let info = bonds.next().ok_or(RewardsError::WrongBondAccounts)?;
        let mut bond: Account<OracleBond> =
            Account::try_from(info).map_err(|_| RewardsError::WrongBondAccounts)?;
        // Only the PDA ["bond", oracle] of an oracle can hold that oracle's key (post_bond
        // writes the signer's key into its own PDA), so owner + type + key identify it.
        require!(
            bond.oracle == voter && info.is_writable,
            RewardsError::WrongBondAccounts
        );
        amount = amount
            .checked_add(bond.amount)
            .ok_or(RewardsError::MathOverflow)?;
        info.sub_lamports(bond.amount)?;
        bond.amount = 0;
        bond.exit(&crate::ID)?;
        // Still seated (this set or re-seated by a rotation): barred until the next rotation.
        if let Some(current) = set.seat_of(&voter) {
            set.slashed |= 1u16 << current;
            seated = true;
        }
        slashed.push(voter);
    }
    require!(bonds.next().is_none(), RewardsError::WrongBondAccounts);
    Ok((slashed, amount, seated))
}

pub fn handler<'info>(ctx: Context<'info, ProveFraud<'info>>, evidence: Evidence) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let proposal = &ctx.accounts.proposal;
    let late_unanswered =
        evidence == Evidence::Unanswered && proposal.status == ProposalStatus::Posted;
    require!(
        proposal.is_disputable(now) || late_unanswered,
        RewardsError::NotDisputable
    );
    let kind = prove(ctx.accounts, &evidence)?;

    let (slashed, slashed_amount, seated) = slash_voters(
        &ctx.accounts.proposal,
        &mut ctx.accounts.oracle_set,
        ctx.remaining_accounts,
    )?;
    let proposal = &mut ctx.accounts.proposal;
    proposal.status = ProposalStatus::Voided;
    if seated || proposal.set_version == ctx.accounts.oracle_set.set_version {
        // A new voting round: every seat not slashed may vote again in this epoch, and a
        // current proposal that counted a now-slashed seat's vote is left behind.
        let network = &mut ctx.accounts.network;
        network.voided_roots = network
            .voided_roots
            .checked_add(1)
            .ok_or(RewardsError::MathOverflow)?;
    }

    // The share is at most 5,000 bps (the set's invariant), so the reward is at most the amount.
    let reward = Bps::share(ctx.accounts.oracle_set.challenger_bps)
        .and_then(|share| share.apply(slashed_amount))
        .ok_or(RewardsError::MathOverflow)?;
    let burned = slashed_amount
        .checked_sub(reward)
        .ok_or(RewardsError::MathOverflow)?;
    ctx.accounts.challenger.add_lamports(reward)?;
    ctx.accounts.incinerator.add_lamports(burned)?;

    let proposal = &ctx.accounts.proposal;
    emit_cpi!(RootVoided {
        proposal: proposal.key(),
        epoch: proposal.epoch,
        root: proposal.root,
        kind,
        challenger: ctx.accounts.challenger.key(),
        slashed,
        slashed_amount,
        challenger_reward: reward,
        burned,
        timestamp: now,
    });
    Ok(())
}
