use anchor_lang::prelude::*;

use crate::constants::CHANGE_SEED;
use crate::error::StakingError;
use crate::events::ChangeCancelled;
use crate::state::{PendingChange, StakingConfig};

/// Governance withdraws a queued change; its rent goes back to the proposer.
#[event_cpi]
#[derive(Accounts)]
pub struct CancelChange<'info> {
    /// The config's governance authority.
    pub authority: Signer<'info>,

    #[account(has_one = authority @ StakingError::NotAuthority)]
    pub config: Box<Account<'info, StakingConfig>>,

    #[account(
        mut,
        seeds = [CHANGE_SEED, &change.id.to_le_bytes()],
        bump = change.bump,
        close = proposer,
    )]
    pub change: Box<Account<'info, PendingChange>>,

    /// CHECK: receives the rent; must be the change's proposer.
    #[account(mut, address = change.proposer @ StakingError::WrongProposer)]
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
