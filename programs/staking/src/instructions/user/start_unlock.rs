use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::constants::{CONFIG_SEED, POSITION_SEED};
use crate::error::StakingError;
use crate::events::UnlockStarted;
use crate::instructions::shared;
use crate::state::{LockupKind, Position, StakingConfig};

/// The owner starts unlocking a constant position: it becomes a cliff ending `lockup_secs`
/// from now, and its multiplier starts to decay. Refused while a slash is pending.
#[event_cpi]
#[derive(Accounts)]
pub struct StartUnlock<'info> {
    /// The position's owner.
    pub owner: Signer<'info>,

    /// The staking config; its revenue vault is checked.
    #[account(
        mut,
        seeds = [CONFIG_SEED],
        bump = config.bump,
        has_one = revenue_vault @ StakingError::WrongRevenueVault,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The owner's constant position.
    #[account(
        mut,
        seeds = [POSITION_SEED, position.owner.as_ref(), &position.id.to_le_bytes()],
        bump = position.bump,
        has_one = owner @ StakingError::NotPositionOwner,
    )]
    pub position: Box<Account<'info, Position>>,

    /// The revenue vault (the config's), synced before the weight changes.
    pub revenue_vault: Box<InterfaceAccount<'info, TokenAccount>>,
}

impl StartUnlock<'_> {
    /// Accounts: `owner` signs and owns `position`; `config` and `revenue_vault` are checked by
    /// their constraints. State: the position is constant and has no pending slash.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.position.pending_slash.is_none(),
            StakingError::SlashPending
        );
        require!(
            self.position.kind == LockupKind::Constant,
            StakingError::AlreadyUnlocking
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<StartUnlock>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let revenue_balance = ctx.accounts.revenue_vault.amount;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    let synced = shared::begin(config, position, revenue_balance, now)?;
    let lockup = i64::try_from(position.lockup_secs).map_err(|_| StakingError::MathOverflow)?;
    position.kind = LockupKind::Cliff;
    position.lock_end = now.checked_add(lockup).ok_or(StakingError::MathOverflow)?;
    let weight = shared::finish(config, position, now)?;
    let (lockup_secs, lock_end) = (position.lockup_secs, position.lock_end);

    if let Some(e) = synced {
        emit_cpi!(e);
    }
    emit_cpi!(UnlockStarted {
        position: ctx.accounts.position.key(),
        lockup_secs,
        lock_end,
        weight,
        timestamp: now,
    });
    Ok(())
}
