use anchor_lang::prelude::*;

use crate::constants::CHANGE_SEED;
use crate::error::StakingError;
use crate::events::ChangeApplied;
use crate::state::{PendingChange, StakingConfig};

/// Anyone applies a queued change once its timelock has passed and before its grace period ends
/// (`depin_common::timelock::GRACE_SECS`); it is validated again, and the config's invariant
/// checked. The change account closes, its rent going back to the proposer.
#[event_cpi]
#[derive(Accounts)]
pub struct ApplyChange<'info> {
    #[account(mut)]
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

pub fn handler(ctx: Context<ApplyChange>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let change = &ctx.accounts.change;
    change
        .schedule()
        .check_apply(now)
        .map_err(StakingError::from)?;
    let update = change.update;
    update.validate()?;
    let config = &mut ctx.accounts.config;
    update.apply(config);
    config.invariant()?;
    emit_cpi!(ChangeApplied {
        change: ctx.accounts.change.key(),
        id: ctx.accounts.change.id,
        update,
        timestamp: now,
    });
    Ok(())
}
