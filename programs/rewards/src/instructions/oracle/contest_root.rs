use anchor_lang::prelude::*;

use crate::constants::{NETWORK_ADDRESS, ORACLE_SET_ADDRESS, PROPOSAL_SEED};
use crate::error::RewardsError;
use crate::events::RootContested;
use crate::state::{Network, OracleSet, RootProposal};

/// A seat of the proposal's set that did not vote for it contests a posted root it cannot rebuild
/// or that is not its own (docs/fraud-proofs.md, "Contested roots"): the root may then become
/// final only `2 x timelock_secs` after its window ends (`RootProposal::final_from`), time for
/// governance to rotate the set, which keeps it from ever becoming final. A withheld or
/// malformed tree cannot be proven fraudulent leaf by leaf, nor a misallocation at all; an honest
/// seat can always see that the root is not its own. No vote of its own is required: an honest
/// oracle may have stopped voting (its base is not the final root) exactly when it matters.
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
    require!(proposal.votes & bit == 0, RewardsError::CannotContest);
    require!(
        proposal.contested & bit == 0,
        RewardsError::AlreadyContested
    );

    proposal.contested |= bit;
    proposal.contest_ends = proposal
        .final_from(ctx.accounts.network.timelock_secs)
        .ok_or(RewardsError::MathOverflow)?;

    emit_cpi!(RootContested {
        proposal: proposal.key(),
        oracle,
        epoch: proposal.epoch,
        contest_ends: proposal.contest_ends,
        timestamp: now,
    });
    Ok(())
}
