use anchor_lang::prelude::*;
use depin_common::bps::Bps;
use solana_instructions_sysvar as ix_sysvar;

use crate::constants::{
    INCINERATOR, MAX_ORACLES, NETWORK_ADDRESS, ORACLE_SET_ADDRESS, PROPOSAL_SEED,
};
use crate::error::RewardsError;
use crate::events::{FraudKind, RootVoided};
use crate::math::fraud::{self, FraudError, VoteMessage};
use crate::state::{Network, OracleBond, OracleSet, ProposalStatus, RootProposal};
use crate::types::{MerkleNode, ProofNode, siblings};

/// The ed25519 signature-verification precompile.
const ED25519_PROGRAM_ID: Pubkey = pubkey!("Ed25519SigVerify111111111111111111111111111");

/// Evidence that a posted root is fraudulent (see `math::fraud`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// (a) The children of a node whose published sum is `claimed_sum`, and the path from that
    /// node up to the posted root.
    InconsistentSum {
        left: MerkleNode,
        right: MerkleNode,
        claimed_sum: u64,
        path: Vec<ProofNode>,
    },
    /// (b) `wallet` has `old_amount` in the last final root and `new_amount < old_amount` in the
    /// posted root.
    Decrease {
        wallet: Pubkey,
        old_amount: u64,
        old_proof: Vec<ProofNode>,
        new_amount: u64,
        new_proof: Vec<ProofNode>,
    },
    /// (c) The oracle in `seat`, a voter of the posted root, signed a conflicting vote message
    /// for the same epoch; the instruction just before this one is the ed25519 verification of
    /// that signature.
    Equivocation { seat: u8 },
}

/// Anyone proves, during the dispute window, that a posted root is fraudulent. The root is
/// voided, the bonds of the oracles responsible are slashed (every voter for (a) and (b), the
/// equivocator for (c)), the challenger receives `challenger_bps` of the slashed lamports and
/// the rest is burned (sent to the incinerator). Slashed oracles may not vote again until the
/// set is rotated; voters who were not slashed may vote again in that epoch.
///
/// Remaining accounts: the bond record of every slashed oracle, writable, in seat order.
#[event_cpi]
#[derive(Accounts)]
pub struct ChallengeRoot<'info> {
    /// Proves the fraud and receives `challenger_bps` of the slashed lamports.
    #[account(mut)]
    pub challenger: Signer<'info>,

    /// Counts the void (the next voting round).
    #[account(mut, address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    #[account(mut, address = ORACLE_SET_ADDRESS @ RewardsError::WrongOracleSet)]
    pub oracle_set: Box<Account<'info, OracleSet>>,

    #[account(
        mut,
        seeds = [
            PROPOSAL_SEED,
            &proposal.epoch.to_le_bytes(),
            &proposal.set_version.to_le_bytes(),
            &proposal.round.to_le_bytes(),
            &proposal.root,
            &proposal.total.to_le_bytes(),
            &proposal.manifest_hash,
        ],
        bump = proposal.bump,
    )]
    pub proposal: Box<Account<'info, RootProposal>>,

    /// CHECK: the incinerator (address checked): receives the burned part.
    #[account(mut, address = INCINERATOR)]
    pub incinerator: UncheckedAccount<'info>,

    /// CHECK: the instructions sysvar (address checked), read for (c).
    #[account(address = ix_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
}

fn fraud_error(e: FraudError) -> RewardsError {
    match e {
        FraudError::NotInRoot | FraudError::TooDeep => RewardsError::FraudNotInRoot,
        FraudError::SumConsistent => RewardsError::FraudSumConsistent,
        FraudError::NoDecrease => RewardsError::FraudNoDecrease,
        FraudError::NotAVote | FraudError::NoConflict => RewardsError::FraudNoConflict,
        FraudError::BadSignatureInstruction => RewardsError::BadSignatureInstruction,
    }
}

/// Checks the evidence; returns the seats to slash (a bitmask) and the kind of fraud.
fn prove(ctx: &Context<ChallengeRoot>, evidence: &Evidence) -> Result<(u16, FraudKind)> {
    let proposal = &ctx.accounts.proposal;
    let posted = merkle_sum::Node {
        hash: proposal.root,
        sum: proposal.total,
    };
    match evidence {
        Evidence::InconsistentSum {
            left,
            right,
            claimed_sum,
            path,
        } => {
            fraud::inconsistent_sum(
                &(*left).into(),
                &(*right).into(),
                *claimed_sum,
                &siblings(path),
                &posted,
            )
            .map_err(fraud_error)?;
            Ok((proposal.votes, FraudKind::InconsistentSum))
        }
        Evidence::Decrease {
            wallet,
            old_amount,
            old_proof,
            new_amount,
            new_proof,
        } => {
            let last = ctx.accounts.network.final_root;
            let final_root = merkle_sum::Node {
                hash: last.root,
                sum: last.total,
            };
            fraud::decrease(
                &wallet.to_bytes(),
                *old_amount,
                &siblings(old_proof),
                &final_root,
                *new_amount,
                &siblings(new_proof),
                &posted,
            )
            .map_err(fraud_error)?;
            Ok((proposal.votes, FraudKind::Decrease))
        }
        Evidence::Equivocation { seat } => {
            let seat = usize::from(*seat);
            require!(
                seat < MAX_ORACLES && proposal.votes & (1u16 << seat) != 0,
                RewardsError::NotAVoter
            );
            let sysvar = ctx.accounts.instructions.to_account_info();
            let current = ix_sysvar::load_current_index_checked(&sysvar)?;
            let previous = current
                .checked_sub(1)
                .ok_or(RewardsError::BadSignatureInstruction)?;
            let ix = ix_sysvar::load_instruction_at_checked(usize::from(previous), &sysvar)?;
            require!(
                ix.program_id == ED25519_PROGRAM_ID,
                RewardsError::BadSignatureInstruction
            );
            let (key, message) = fraud::ed25519_single(&ix.data).map_err(fraud_error)?;
            require!(
                key == ctx.accounts.oracle_set.seats[seat].key.to_bytes(),
                RewardsError::BadSignatureInstruction
            );
            let signed = VoteMessage::from_bytes(message).map_err(fraud_error)?;
            let voted = VoteMessage {
                program_id: crate::ID.to_bytes(),
                epoch: proposal.epoch,
                set_version: proposal.set_version,
                round: proposal.round,
                root: proposal.root,
                total: proposal.total,
                manifest_hash: proposal.manifest_hash,
            };
            fraud::equivocation(&signed, &voted).map_err(fraud_error)?;
            Ok((1u16 << seat, FraudKind::Equivocation))
        }
    }
}

pub fn handler<'info>(ctx: Context<'info, ChallengeRoot<'info>>, evidence: Evidence) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    {
        let proposal = &ctx.accounts.proposal;
        require!(
            proposal.status == ProposalStatus::Posted
                && now < proposal.dispute_ends
                && proposal.set_version == ctx.accounts.oracle_set.set_version,
            RewardsError::NotDisputable
        );
    }
    let (mask, kind) = prove(&ctx, &evidence)?;

    // Slash: one bond record per set bit, in seat order.
    let set = &mut ctx.accounts.oracle_set;
    let mut remaining = ctx.remaining_accounts.iter();
    let mut slashed = Vec::new();
    let mut slashed_amount: u64 = 0;
    for seat in 0..usize::from(set.count) {
        if mask & (1u16 << seat) == 0 {
            continue;
        }
        let info = remaining.next().ok_or(RewardsError::WrongBondAccounts)?;
        let mut bond: Account<OracleBond> =
            Account::try_from(info).map_err(|_| RewardsError::WrongBondAccounts)?;
        // Only the PDA ["bond", oracle] of an oracle can hold that oracle's key (post_bond
        // writes the signer's key into its own PDA), so owner + type + key identify it.
        require!(
            bond.oracle == set.seats[seat].key && info.is_writable,
            RewardsError::WrongBondAccounts
        );
        slashed_amount = slashed_amount
            .checked_add(bond.amount)
            .ok_or(RewardsError::MathOverflow)?;
        info.sub_lamports(bond.amount)?;
        bond.amount = 0;
        bond.exit(&crate::ID)?;
        slashed.push(bond.oracle);
    }
    require!(remaining.next().is_none(), RewardsError::WrongBondAccounts);
    set.slashed |= mask;
    // Voters who were not slashed may vote again in this epoch.
    let proposal = &mut ctx.accounts.proposal;
    for seat in 0..usize::from(set.count) {
        if proposal.votes & !mask & (1u16 << seat) != 0 {
            set.seats[seat].last_vote = 0;
        }
    }
    proposal.status = ProposalStatus::Voided;
    let network = &mut ctx.accounts.network;
    network.voided_roots = network
        .voided_roots
        .checked_add(1)
        .ok_or(RewardsError::MathOverflow)?;

    // The share is at most 5,000 bps (the set's invariant), so the reward is at most the amount.
    let reward = Bps::share(set.challenger_bps)
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
