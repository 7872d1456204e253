use anchor_lang::prelude::*;

use crate::constants::{NETWORK_ADDRESS, ORACLE_SET_ADDRESS, PROPOSAL_SEED};
use crate::error::RewardsError;
use crate::events::RootContested;
use crate::state::{Network, OracleSet, RootProposal};

/// A seat of the set that voted another tuple for the same epoch and round contests a posted
/// root whose tree it cannot rebuild (docs/fraud-proofs.md, "Contested roots"): the root may then
/// become final only `2 x timelock_secs` after its window ends, time for governance to rotate
/// the set (which keeps it from ever becoming final). A withheld or malformed tree cannot be
/// proven fraudulent leaf by leaf; an honest seat can always see that it is not its own.
#[event_cpi]
#[derive(Accounts)]
pub struct ContestRoot<'info> {
    pub oracle: Signer<'info>,

    #[account(address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    #[account(address = ORACLE_SET_ADDRESS @ RewardsError::WrongOracleSet)]
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
            &proposal.leaves.to_le_bytes(),
            &proposal.manifest_hash,
        ],
        bump = proposal.bump,
    )]
    pub proposal: Box<Account<'info, RootProposal>>,
}

pub fn handler(ctx: Context<ContestRoot>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let oracle = ctx.accounts.oracle.key();
    let set = &ctx.accounts.oracle_set;
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.is_disputable(now), RewardsError::NotDisputable);
    require!(
        proposal.set_version == set.set_version,
        RewardsError::StaleOracleSet
    );
    let seat = set.seat_of(&oracle).ok_or(RewardsError::NotAnOracle)?;
    require!(!set.is_slashed(seat), RewardsError::OracleSlashed);
    let bit = 1u16 << seat;
    // Its dissent is on record: it voted this epoch, in this round, and not for this root.
    let voted_epoch = proposal
        .epoch
        .checked_add(1)
        .ok_or(RewardsError::MathOverflow)?;
    let dissented = set.seats[seat].last_vote == voted_epoch
        && set.last_rounds[seat] == proposal.round
        && proposal.votes & bit == 0;
    require!(dissented, RewardsError::CannotContest);
    require!(
        proposal.contested & bit == 0,
        RewardsError::AlreadyContested
    );

    let hold = ctx
        .accounts
        .network
        .timelock_secs
        .checked_mul(2)
        .and_then(|secs| i64::try_from(secs).ok())
        .ok_or(RewardsError::MathOverflow)?;
    let contest_ends = proposal
        .dispute_ends
        .checked_add(hold)
        .ok_or(RewardsError::MathOverflow)?;
    proposal.contested |= bit;
    proposal.contest_ends = proposal.contest_ends.max(contest_ends);

    emit_cpi!(RootContested {
        proposal: proposal.key(),
        oracle,
        epoch: proposal.epoch,
        contest_ends: proposal.contest_ends,
        timestamp: now,
    });
    Ok(())
}
