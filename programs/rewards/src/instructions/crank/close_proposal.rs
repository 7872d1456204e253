use anchor_lang::prelude::*;

use crate::constants::{NETWORK_ADDRESS, ORACLE_SET_ADDRESS, PROPOSAL_SEED};
use crate::error::RewardsError;
use crate::events::ProposalClosed;
use crate::state::{Network, OracleSet, ProposalStatus, RootProposal};

/// Permissionless housekeeping: closes a proposal that can no longer matter and returns its rent
/// to the oracle that created it. Closable once it is final or voided, once its epoch already
/// has a final root (a losing candidate), or once the oracle set has rotated or a root has been
/// voided since it was created (its votes can no longer be added to); but never while it is
/// posted and inside its dispute window, or posted with an open availability demand: fraud may
/// still be proven against it.
#[event_cpi]
#[derive(Accounts)]
pub struct CloseProposal<'info> {
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
        close = payer,
    )]
    pub proposal: Box<Account<'info, RootProposal>>,

    /// CHECK: receives the rent; must be the oracle that created the proposal.
    #[account(mut, address = proposal.payer @ RewardsError::NotProposalPayer)]
    pub payer: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<CloseProposal>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let proposal = &ctx.accounts.proposal;
    let done = matches!(
        proposal.status,
        ProposalStatus::Final | ProposalStatus::Voided
    );
    let superseded = proposal.epoch < ctx.accounts.network.final_root.epochs;
    // An older round's proposal still voting can never post; a posted one may still become
    // final (a void of an old set's root starts a new round while it waits out its window).
    let stale = proposal.set_version != ctx.accounts.oracle_set.set_version
        || (proposal.round != ctx.accounts.network.voided_roots
            && proposal.status != ProposalStatus::Posted);
    let demanded = proposal.status == ProposalStatus::Posted && proposal.open_demands > 0;
    require!(
        (done || superseded || stale) && !proposal.is_disputable(now) && !demanded,
        RewardsError::ProposalStillLive
    );
    emit_cpi!(ProposalClosed {
        proposal: proposal.key(),
        epoch: proposal.epoch,
        status: proposal.status,
        rent: proposal.to_account_info().lamports(),
        timestamp: now,
    });
    Ok(())
}
