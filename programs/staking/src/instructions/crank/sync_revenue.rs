use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::constants::CONFIG_SEED;
use crate::error::StakingError;
use crate::instructions::shared;
use crate::state::StakingConfig;

/// Permissionless: folds revenue that arrived in the revenue vault into the accumulator. Every
/// instruction that changes weight or claims does the same first; this one lets a crank (or the
/// treasury, right after its transfer) do it alone. With no weight staked the revenue waits.
#[event_cpi]
#[derive(Accounts)]
pub struct SyncRevenue<'info> {
    /// The staking config; its revenue vault is checked.
    #[account(
        mut,
        seeds = [CONFIG_SEED],
        bump = config.bump,
        has_one = revenue_vault @ StakingError::WrongRevenueVault,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The revenue vault (the config's).
    pub revenue_vault: Box<InterfaceAccount<'info, TokenAccount>>,
}

pub fn handler(ctx: Context<SyncRevenue>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let balance = ctx.accounts.revenue_vault.amount;
    let config = &mut ctx.accounts.config;
    let synced = shared::sync(config, balance, now)?;
    config.invariant()?;
    if let Some(e) = synced {
        emit_cpi!(e);
    }
    Ok(())
}
