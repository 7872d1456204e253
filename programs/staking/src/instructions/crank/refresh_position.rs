use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::constants::{CONFIG_SEED, POSITION_SEED};
use crate::error::StakingError;
use crate::events::PositionRefreshed;
use crate::instructions::shared;
use crate::state::{Position, StakingConfig};

/// Permissionless: brings any position's stored weight (the one the revenue accumulator
/// counts) down to its current, decayed value, settling its revenue first. Anyone may crank a
/// decaying cliff position so that it does not keep earning on a stale, larger weight.
#[event_cpi]
#[derive(Accounts)]
pub struct RefreshPosition<'info> {
    /// The staking config; its revenue vault is checked.
    #[account(
        mut,
        seeds = [CONFIG_SEED],
        bump = config.bump,
        has_one = revenue_vault @ StakingError::WrongRevenueVault,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// Any position.
    #[account(
        mut,
        seeds = [POSITION_SEED, position.owner.as_ref(), &position.id.to_le_bytes()],
        bump = position.bump,
    )]
    pub position: Box<Account<'info, Position>>,

    /// The revenue vault (the config's), synced before the weight changes.
    pub revenue_vault: Box<InterfaceAccount<'info, TokenAccount>>,
}

pub fn handler(ctx: Context<RefreshPosition>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let revenue_balance = ctx.accounts.revenue_vault.amount;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    let synced = shared::begin(config, position, revenue_balance, now)?;
    let weight = shared::finish(config, position, now)?;
    if let Some(e) = synced {
        emit_cpi!(e);
    }
    emit_cpi!(PositionRefreshed {
        position: ctx.accounts.position.key(),
        weight,
        timestamp: now,
    });
    Ok(())
}
