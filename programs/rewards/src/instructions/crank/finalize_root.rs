use anchor_lang::prelude::*;

use crate::constants::{NETWORK_ADDRESS, ORACLE_SET_ADDRESS, PROPOSAL_SEED};
use crate::error::RewardsError;
use crate::events::RootFinalized;
use crate::state::{FinalRoot, Network, OracleSet, ProposalStatus, RootProposal};

/// Permissionless: a posted root whose dispute window has passed (and, if contested, its contest),
/// voted under the current oracle set, becomes the final root that claims are paid against.
#[event_cpi]
#[derive(Accounts)]
pub struct FinalizeRoot<'info> {
    // `dup`: the mutable accounts here are of distinct account types, so none can alias another;
    // it skips Anchor's duplicate-account check (a HashSet, ~1,900 CU).
    #[account(mut, dup, address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    #[account(address = ORACLE_SET_ADDRESS @ RewardsError::WrongOracleSet)]
    pub oracle_set: Box<Account<'info, OracleSet>>,

    #[account(
        mut,
        dup,
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

pub fn handler(ctx: Context<FinalizeRoot>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let proposal = &mut ctx.accounts.proposal;
    let network = &mut ctx.accounts.network;
    require!(
        proposal.status == ProposalStatus::Posted,
        RewardsError::NotPosted
    );
    require!(
        proposal.set_version == ctx.accounts.oracle_set.set_version,
        RewardsError::StaleOracleSet
    );
    require!(
        proposal.epoch == network.final_root.epochs,
        RewardsError::WrongEpoch
    );
    require!(
        now >= proposal.dispute_ends,
        RewardsError::DisputeWindowOpen
    );
    require!(proposal.open_demands == 0, RewardsError::OpenDemands);
    let final_from = proposal
        .final_from(network.timelock_secs)
        .ok_or(RewardsError::MathOverflow)?;
    require!(now >= final_from, RewardsError::RootContested);
    // A voter slashed since the root posted (for a fraud proven elsewhere) no longer counts.
    let set = &ctx.accounts.oracle_set;
    require!(
        (proposal.votes & !set.slashed).count_ones() >= u32::from(set.threshold),
        RewardsError::SlashedVoters
    );
    // Re-checked: both held when it was posted and neither can have changed since.
    require!(
        proposal.total <= network.root_budget(proposal.epoch)?,
        RewardsError::TotalExceedsBudget
    );
    require!(
        proposal.total >= network.final_root.total,
        RewardsError::TotalBelowFinal
    );
    let base = network.final_root;
    require!(
        proposal.base.root == base.root
            && proposal.base.total == base.total
            && proposal.base.leaves == base.leaves,
        RewardsError::WrongBase
    );

    network.final_root = FinalRoot {
        epochs: proposal
            .epoch
            .checked_add(1)
            .ok_or(RewardsError::MathOverflow)?,
        root: proposal.root,
        total: proposal.total,
        manifest_hash: proposal.manifest_hash,
        leaves: proposal.leaves,
    };
    network.invariant()?;
    proposal.status = ProposalStatus::Final;

    emit_cpi!(RootFinalized {
        proposal: proposal.key(),
        epoch: proposal.epoch,
        root: proposal.root,
        total: proposal.total,
        manifest_hash: proposal.manifest_hash,
        timestamp: now,
    });
    Ok(())
}
