use anchor_lang::prelude::*;

use crate::constants::{CHANGE_SEED, NETWORK_ADDRESS};
use crate::error::RewardsError;
use crate::events::ChangeCancelled;
use crate::state::{Network, PendingChange};

/// Governance withdraws a queued change before it is applied; the rent goes back to its proposer.
#[event_cpi]
#[derive(Accounts)]
pub struct CancelChange<'info> {
    pub authority: Signer<'info>,

    #[account(
        address = NETWORK_ADDRESS @ RewardsError::WrongNetwork,
        has_one = authority @ RewardsError::NotAuthority,
    )]
    pub network: Box<Account<'info, Network>>,

    #[account(
        mut,
        seeds = [CHANGE_SEED, &change.id.to_le_bytes()],
        bump = change.bump,
        close = proposer,
    )]
    pub change: Box<Account<'info, PendingChange>>,

    /// CHECK: receives the rent; must be the change's proposer.
    #[account(mut, address = change.proposer @ RewardsError::WrongProposer)]
    pub proposer: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<CancelChange>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    emit_cpi!(ChangeCancelled {
        change: ctx.accounts.change.key(),
        id: ctx.accounts.change.id,
        timestamp: now,
    });
    Ok(())
}
