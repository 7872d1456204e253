use anchor_lang::prelude::*;

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
    #[account(mut)]
    pub config: Box<Account<'info, StakingConfig>>,

    /// CHECK: the config's revenue vault (address checked), a token account this program
    /// created; only its balance is read.
    #[account(address = config.revenue_vault @ StakingError::WrongRevenueVault)]
    pub revenue_vault: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<SyncRevenue>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let balance = shared::token_amount(&ctx.accounts.revenue_vault)?;
    let config = &mut ctx.accounts.config;
    let synced = shared::sync(config, balance, now)?;
    config.invariant()?;
    if let Some(e) = synced {
        emit_cpi!(e);
    }
    Ok(())
}
