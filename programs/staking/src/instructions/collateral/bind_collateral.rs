use anchor_lang::prelude::*;

use crate::constants::{COLLATERAL_AUTHORITY_SEED, REWARDS_PROGRAM_ID};
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
    Pubkey::find_program_address(&[COLLATERAL_AUTHORITY_SEED], &REWARDS_PROGRAM_ID).0
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
    let now = Clock::get()?.unix_timestamp;
    let min = ctx.accounts.config.min_device_collateral;
    let position = &mut ctx.accounts.position;
    let before = position.bound_devices;
    position.bound_devices = before.checked_add(1).ok_or(StakingError::MathOverflow)?;
    position.invariant()?;
    let required = min
        .checked_mul(u64::from(position.bound_devices))
        .ok_or(StakingError::MathOverflow)?;
    let (after, amount) = (position.bound_devices, position.amount);
    emit_cpi!(CollateralChanged {
        position: ctx.accounts.position.key(),
        bound_devices_before: before,
        bound_devices_after: after,
        required_collateral: required,
        amount,
        timestamp: now,
    });
    Ok(())
}
