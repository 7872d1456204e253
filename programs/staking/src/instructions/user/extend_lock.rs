use anchor_lang::prelude::*;

use crate::error::StakingError;
use crate::events::LockExtended;
use crate::instructions::shared;
use crate::state::{LockupKind, Position, Staker, StakingConfig};

/// The owner extends a position's lock to `lockup_secs` from now (cliff) or to a constant
/// duration of `lockup_secs` (constant). A lock never gets shorter.
#[event_cpi]
#[derive(Accounts)]
pub struct ExtendLock<'info> {
    /// The position's owner.
    pub owner: Signer<'info>,

    /// The staking config; its revenue vault is checked.
    #[account(mut)]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The owner's position.
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

impl ExtendLock<'_> {
    /// Accounts: `owner` signs and owns `position` (`has_one`); `config` and `revenue_vault`
    /// are checked by their constraints. Args: at most `max_lockup_secs`, and not shorter than
    /// the lock left now.
    pub fn validate(&self, lockup_secs: u64) -> Result<()> {
        require!(
            lockup_secs <= self.config.max_lockup_secs,
            StakingError::InvalidLockup
        );
        let now = Clock::get()?.unix_timestamp;
        require!(
            lockup_secs >= self.position.remaining_secs(now),
            StakingError::LockCannotShorten
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<ExtendLock>, lockup_secs: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let revenue_balance = shared::token_amount(&ctx.accounts.revenue_vault)?;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    let staker = &mut ctx.accounts.staker;
    let synced = shared::begin(config, staker, revenue_balance, now)?;
    let (lockup_secs_before, lock_end_before) = (position.lockup_secs, position.lock_end);
    position.lockup_secs = lockup_secs;
    if position.kind == LockupKind::Cliff {
        let lockup = i64::try_from(lockup_secs).map_err(|_| StakingError::MathOverflow)?;
        position.lock_end = now.checked_add(lockup).ok_or(StakingError::MathOverflow)?;
    }
    let weight = shared::finish(config, staker, position, now, synced)?;
    let (kind, lock_end_after) = (position.kind, position.lock_end);

    emit_cpi!(LockExtended {
        position: ctx.accounts.position.key(),
        kind,
        lockup_secs_before,
        lockup_secs_after: lockup_secs,
        lock_end_before,
        lock_end_after,
        weight,
        timestamp: now,
    });
    Ok(())
}
