use anchor_lang::prelude::*;

use crate::constants::{CHANGE_SEED, TREASURY_SEED};
use crate::error::TreasuryError;
use crate::events::ChangeCancelled;
use crate::state::{PendingChange, Treasury};

/// Governance withdraws a queued change; its rent goes back to the proposer.
#[event_cpi]
#[derive(Accounts)]
pub struct CancelChange<'info> {
    /// The treasury's governance authority.
    pub authority: Signer<'info>,

    #[account(
        seeds = [TREASURY_SEED],
        bump = treasury.bump,
        has_one = authority @ TreasuryError::NotAuthority,
    )]
    pub treasury: Box<Account<'info, Treasury>>,

    #[account(
        mut,
        seeds = [CHANGE_SEED, &change.id.to_le_bytes()],
        bump = change.bump,
        close = proposer,
    )]
    pub change: Box<Account<'info, PendingChange>>,

    /// CHECK: receives the rent; must be the change's proposer.
    #[account(mut, address = change.proposer @ TreasuryError::WrongProposer)]
    pub proposer: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<CancelChange>) -> Result<()> {
    emit_cpi!(ChangeCancelled {
        change: ctx.accounts.change.key(),
        id: ctx.accounts.change.id,
        timestamp: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
