use anchor_lang::prelude::*;

use crate::constants::COLLATERAL_AUTHORITY;
use crate::error::StakingError;
use crate::events::CollateralChanged;
use crate::state::{Position, StakingConfig};

/// The rewards program binds one more device's collateral to a position (at onboarding): the
/// position must hold `min_device_collateral × (bound_devices + 1)` locked tokens, and that
/// much can no longer be unstaked. Only the rewards program's `["collateral_authority"]` PDA may
/// sign (a CPI from the rewards program).
#[event_cpi]
#[derive(Accounts)]
pub struct BindCollateral<'info> {
    /// The rewards program's `["collateral_authority"]` PDA (checked in `validate`).
    pub collateral_authority: Signer<'info>,

    /// The staking config (`min_device_collateral`).
    pub config: Box<Account<'info, StakingConfig>>,

    /// The device owner's position.
    #[account(mut)]
    pub position: Box<Account<'info, Position>>,
}

/// The rewards program's collateral authority PDA.
pub fn collateral_authority() -> Pubkey {
    COLLATERAL_AUTHORITY
}

impl BindCollateral<'_> {
    /// Accounts: `collateral_authority` signs and is the rewards program's PDA; `config` and
    /// `position` are identified by owner and type (only `initialize_staking` and `stake` create those types, each at its PDA, so seeds are not re-derived: 1,500 CU each). State: enough locked tokens for one more device.
    pub fn validate(&self) -> Result<()> {
        require_keys_eq!(
            self.collateral_authority.key(),
            collateral_authority(),
            StakingError::NotCollateralAuthority
        );
        let devices = u128::from(self.position.bound_devices) + 1;
        let required = u128::from(self.config.min_device_collateral) * devices;
        require!(
            u128::from(self.position.amount) >= required,
            StakingError::InsufficientCollateral
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<BindCollateral>) -> Result<()> {
    let after = ctx
        .accounts
        .position
        .bound_devices
        .checked_add(1)
        .ok_or(StakingError::MathOverflow)?;
    let event = set_bound_devices(
        &mut ctx.accounts.position,
        ctx.accounts.config.min_device_collateral,
        after,
    )?;
    emit_cpi!(event);
    Ok(())
}

/// Sets how many devices the position backs, checks the position, and returns the event that
/// records the change (shared by `bind_collateral` and `release_collateral`).
pub(crate) fn set_bound_devices(
    position: &mut Account<Position>,
    min_device_collateral: u64,
    after: u32,
) -> Result<CollateralChanged> {
    let before = position.bound_devices;
    position.bound_devices = after;
    position.invariant()?;
    let required = min_device_collateral
        .checked_mul(u64::from(after))
        .ok_or(StakingError::MathOverflow)?;
    Ok(CollateralChanged {
        position: position.key(),
        bound_devices_before: before,
        bound_devices_after: after,
        required_collateral: required,
        amount: position.amount,
        timestamp: Clock::get()?.unix_timestamp,
    })
}
