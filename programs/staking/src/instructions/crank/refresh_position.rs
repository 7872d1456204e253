use anchor_lang::prelude::*;

use crate::error::StakingError;
use crate::events::PositionRefreshed;
use crate::instructions::shared;
use crate::state::{Position, Staker, StakingConfig};

/// Permissionless: brings any position's stored weight (the one the revenue accumulator
/// counts) down to its current, decayed value, settling its revenue first. Anyone may crank a
/// decaying cliff position so that it does not keep earning on a stale, larger weight.
#[event_cpi]
#[derive(Accounts)]
pub struct RefreshPosition<'info> {
    /// The staking config; its revenue vault is checked.
    #[account(mut)]
    pub config: Box<Account<'info, StakingConfig>>,

    /// Any position.
    #[account(mut)]
    pub position: Box<Account<'info, Position>>,

    /// The position owner's stake as a whole (its revenue share moves with the position's
    /// weight).
    #[account(mut, constraint = staker.owner == position.owner @ StakingError::WrongStaker)]
    pub staker: Box<Account<'info, Staker>>,

    /// CHECK: the config's revenue vault (address checked), a token account this program
    /// created; only its balance is read, to sync the revenue before the weight changes.
    #[account(address = config.revenue_vault @ StakingError::WrongRevenueVault)]
    pub revenue_vault: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<RefreshPosition>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let revenue_balance = shared::token_amount(&ctx.accounts.revenue_vault)?;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    let staker = &mut ctx.accounts.staker;
    let synced = shared::begin(config, staker, revenue_balance, now)?;
    let weight = shared::finish(config, staker, position, now, synced)?;
    emit_cpi!(PositionRefreshed {
        position: ctx.accounts.position.key(),
        weight,
        timestamp: now,
    });
    Ok(())
}
