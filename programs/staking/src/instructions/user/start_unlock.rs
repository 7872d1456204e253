use anchor_lang::prelude::*;

use crate::error::StakingError;
use crate::events::UnlockStarted;
use crate::instructions::shared;
use crate::state::{LockupKind, Position, Staker, StakingConfig};

/// The owner starts unlocking a constant position: it becomes a cliff ending `lockup_secs`
/// from now, and its multiplier starts to decay. Refused while a slash is pending.
#[event_cpi]
#[derive(Accounts)]
pub struct StartUnlock<'info> {
    /// The position's owner.
    pub owner: Signer<'info>,

    /// The staking config; its revenue vault is checked.
    #[account(mut)]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The owner's constant position.
    #[account(
        mut,
        has_one = owner @ StakingError::NotPositionOwner,
    )]
    pub position: Box<Account<'info, Position>>,

    /// The position owner's stake as a whole (its revenue share moves with the position's
    /// weight).
    #[account(mut, has_one = owner @ StakingError::WrongStaker)]
    pub staker: Box<Account<'info, Staker>>,

    /// CHECK: the config's revenue vault (address checked), a token account this program
    /// created; only its balance is read, to sync the revenue before the weight changes.
    #[account(address = config.revenue_vault @ StakingError::WrongRevenueVault)]
    pub revenue_vault: UncheckedAccount<'info>,
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
    let revenue_balance = shared::token_amount(&ctx.accounts.revenue_vault)?;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    let staker = &mut ctx.accounts.staker;
    let synced = shared::begin(config, staker, revenue_balance, now)?;
    let lockup = i64::try_from(position.lockup_secs).map_err(|_| StakingError::MathOverflow)?;
    position.kind = LockupKind::Cliff;
    position.lock_end = now.checked_add(lockup).ok_or(StakingError::MathOverflow)?;
    let weight = shared::finish(config, staker, position, now, synced)?;
    let (lockup_secs, lock_end) = (position.lockup_secs, position.lock_end);

    emit_cpi!(UnlockStarted {
        position: ctx.accounts.position.key(),
        lockup_secs,
        lock_end,
        weight,
        timestamp: now,
    });
    Ok(())
}
