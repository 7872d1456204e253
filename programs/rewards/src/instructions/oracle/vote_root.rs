use anchor_lang::prelude::*;

use crate::constants::{
    MAX_LEAVES, MAX_ORACLES, NETWORK_ADDRESS, ORACLE_SET_ADDRESS, PROPOSAL_SEED,
};
use crate::error::RewardsError;
use crate::events::{RootPosted, RootVoted};
use crate::state::{BaseRoot, Network, OracleBond, OracleSet, ProposalStatus, RootProposal};

/// Arguments of `vote_root`: the tuple the oracles agree on.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct VoteRootArgs {
    /// The epoch the root is for: the next one without a final root.
    pub epoch: u64,
    /// Merkle-sum root hash over `(wallet, cumulative amount)` in index order (docs/merkle-sum.md);
    /// all zero for an empty tree.
    pub root: [u8; 32],
    /// The root's sum: every wallet's cumulative reward.
    pub total: u64,
    /// The tree's leaf count (wallets); it fixes the tree's shape, so a proof at a given index
    /// proves that index. Never below the final root's: wallets keep their index for ever.
    pub leaves: u64,
    /// Hash of the oracle's input manifest (see docs/transparency.md).
    pub manifest_hash: [u8; 32],
}

/// An oracle of the current set votes for a root. The first vote creates the proposal (the
/// oracle pays its rent) and records the final root it extends; the vote that reaches the
/// threshold posts it, which opens the dispute window. Each oracle votes once per epoch and
/// voting round, and its key is recorded in the proposal, so a fraud proven later slashes it
/// even after a rotation.
///
/// The proposal PDA is keyed by the whole tuple `(epoch, set_version, round, root, total,
/// leaves, manifest_hash)`, so no voter can take the address of another tuple: an oracle that
/// creates a proposal with the right root but a wrong total, count or manifest only creates a
/// separate candidate, and cannot block the honest one.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: VoteRootArgs)]
pub struct VoteRoot<'info> {
    /// The voting oracle; pays the proposal's rent if its vote creates it.
    #[account(mut)]
    pub oracle: Signer<'info>,

    #[account(address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    // `dup`: the mutable accounts here are of distinct account types, so none can alias another;
    // it skips Anchor's duplicate-account check (a HashSet, ~1,900 CU).
    #[account(mut, dup, address = ORACLE_SET_ADDRESS @ RewardsError::WrongOracleSet)]
    pub oracle_set: Box<Account<'info, OracleSet>>,

    /// The oracle's bond record: it must hold at least the set's bond. Only `post_bond` creates
    /// bond records, each at its oracle's PDA `["bond", oracle]` with `oracle` stored, so a bond
    /// record of this program naming the signer is that PDA: `has_one` checks it without
    /// re-deriving the address (`create_program_address`, about 1,500 CU).
    #[account(has_one = oracle @ RewardsError::WrongBond)]
    pub bond: Box<Account<'info, OracleBond>>,

    #[account(
        init_if_needed,
        dup,
        payer = oracle,
        space = RootProposal::SIZE,
        seeds = [
            PROPOSAL_SEED,
            &args.epoch.to_le_bytes(),
            &oracle_set.set_version.to_le_bytes(),
            &network.voided_roots.to_le_bytes(),
            args.root.as_ref(),
            &args.total.to_le_bytes(),
            &args.leaves.to_le_bytes(),
            args.manifest_hash.as_ref(),
        ],
        bump,
    )]
    pub proposal: Box<Account<'info, RootProposal>>,

    pub system_program: Program<'info, System>,
}

impl VoteRoot<'_> {
    /// The posting checks of docs/protocol.md: the next epoch, ended and minted; a total within the
    /// cumulative budget and not below the last final total; a leaf count not below the last
    /// final count (wallets keep their index), at most `MAX_LEAVES`, and zero exactly for the
    /// empty tree (zero root, zero total).
    pub fn validate(&self, args: &VoteRootArgs) -> Result<()> {
        let network = &self.network;
        require!(
            args.epoch == network.final_root.epochs,
            RewardsError::WrongEpoch
        );
        let now = Clock::get()?.unix_timestamp;
        let ended_at = args
            .epoch
            .checked_add(1)
            .and_then(|next| network.emission.schedule().epoch_start(next))
            .ok_or(RewardsError::MathOverflow)?;
        require!(
            args.epoch < network.epochs_minted && now >= ended_at,
            RewardsError::EpochNotEnded
        );
        require!(
            args.total <= network.root_budget(args.epoch)?,
            RewardsError::TotalExceedsBudget
        );
        require!(
            args.total >= network.final_root.total,
            RewardsError::TotalBelowFinal
        );
        let empty = args.root == [0; 32];
        require!(
            args.leaves >= network.final_root.leaves
                && args.leaves <= MAX_LEAVES
                && (args.leaves == 0) == empty
                && (!empty || args.total == 0),
            RewardsError::InvalidLeafCount
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<VoteRoot>, args: VoteRootArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let oracle = ctx.accounts.oracle.key();
    let set = &mut ctx.accounts.oracle_set;
    let seat = set.seat_of(&oracle).ok_or(RewardsError::NotAnOracle)?;
    require!(!set.is_slashed(seat), RewardsError::OracleSlashed);
    require!(
        ctx.accounts.bond.amount >= set.bond,
        RewardsError::BondTooLow
    );
    let proposal = &mut ctx.accounts.proposal;

    let round = ctx.accounts.network.voided_roots;
    if proposal.set_version == 0 {
        // Created by this vote (set versions start at 1).
        let base = ctx.accounts.network.final_root;
        proposal.set_inner(RootProposal {
            bump: ctx.bumps.proposal,
            status: ProposalStatus::Voting,
            payer: oracle,
            votes: 0,
            set_version: set.set_version,
            round,
            epoch: args.epoch,
            root: args.root,
            total: args.total,
            leaves: args.leaves,
            manifest_hash: args.manifest_hash,
            posted_at: 0,
            dispute_ends: 0,
            base: BaseRoot {
                root: base.root,
                total: base.total,
                leaves: base.leaves,
            },
            open_demands: 0,
            voters: [Pubkey::default(); MAX_ORACLES],
            contested: 0,
            contest_ends: 0,
        });
    } else {
        // The seeds cover the whole tuple; this re-check is defence in depth.
        require!(
            proposal.epoch == args.epoch
                && proposal.root == args.root
                && proposal.total == args.total
                && proposal.leaves == args.leaves
                && proposal.manifest_hash == args.manifest_hash,
            RewardsError::ProposalMismatch
        );
    }
    require!(
        proposal.status == ProposalStatus::Voting,
        RewardsError::NotVoting
    );
    let bit = 1u16 << seat;
    require!(proposal.votes & bit == 0, RewardsError::AlreadyVoted);
    let voted_epoch = args
        .epoch
        .checked_add(1)
        .ok_or(RewardsError::MathOverflow)?;
    require!(
        set.seats[seat].last_vote != voted_epoch || set.last_rounds[seat] != round,
        RewardsError::ConflictingVote
    );

    set.seats[seat].last_vote = voted_epoch;
    set.last_rounds[seat] = round;
    proposal.votes |= bit;
    proposal.voters[seat] = oracle;
    // Seats slashed since they voted (for a fraud proven elsewhere) no longer count.
    let votes = u8::try_from((proposal.votes & !set.slashed).count_ones())
        .map_err(|_| RewardsError::MathOverflow)?;
    let posted = votes >= set.threshold;
    if posted {
        let dispute_secs = i64::try_from(ctx.accounts.network.dispute_secs)
            .map_err(|_| RewardsError::MathOverflow)?;
        proposal.status = ProposalStatus::Posted;
        proposal.posted_at = now;
        proposal.dispute_ends = now
            .checked_add(dispute_secs)
            .ok_or(RewardsError::MathOverflow)?;
        set.posted_until = set.posted_until.max(proposal.dispute_ends);
    }

    let proposal_key = proposal.key();
    emit_cpi!(RootVoted {
        proposal: proposal_key,
        oracle,
        epoch: args.epoch,
        root: args.root,
        total: args.total,
        manifest_hash: args.manifest_hash,
        set_version: proposal.set_version,
        votes,
        timestamp: now,
    });
    if posted {
        emit_cpi!(RootPosted {
            proposal: proposal_key,
            epoch: args.epoch,
            root: args.root,
            total: args.total,
            manifest_hash: args.manifest_hash,
            dispute_ends: proposal.dispute_ends,
            timestamp: now,
        });
    }
    Ok(())
}
