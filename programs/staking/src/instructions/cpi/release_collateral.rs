use anchor_lang::prelude::*;

use crate::error::StakingError;
use crate::instructions::cpi::bind_collateral::{collateral_authority, set_bound_devices};
use crate::state::{Position, StakingConfig};

/// The rewards program releases one device's collateral (the device was decommissioned or
/// transferred) while `final_epochs` of its epochs are final. The device stays liable until
/// `liable_until_epochs` are: until then its collateral cannot be unstaked, so an offence found
/// in its last epochs can still be slashed from this position (`Position::liable_devices`).
/// Only the rewards program's `["collateral_authority"]` PDA may sign.
#[event_cpi]
#[derive(Accounts)]
pub struct ReleaseCollateral<'info> {
    /// The rewards program's `["collateral_authority"]` PDA (checked in `validate`).
    pub collateral_authority: Signer<'info>,

    /// The staking config (`min_device_collateral`).
    pub config: Box<Account<'info, StakingConfig>>,

    /// The position holding the collateral.
    #[account(mut)]
    pub position: Box<Account<'info, Position>>,
}

impl ReleaseCollateral<'_> {
    /// Accounts: `collateral_authority` signs and is the rewards program's PDA; `config` and
    /// `position` are identified by owner and type (only `initialize_staking` and `stake` create those types, each at its PDA, so seeds are not re-derived: 1,500 CU each). State: at least one device is bound.
    pub fn validate(&self) -> Result<()> {
        require_keys_eq!(
            self.collateral_authority.key(),
            collateral_authority(),
            StakingError::NotCollateralAuthority
        );
        require!(
            self.position.bound_devices > 0,
            StakingError::NoBoundDevices
        );
        Ok(())
    }
}

pub fn handler(
    ctx: Context<ReleaseCollateral>,
    final_epochs: u64,
    liable_until_epochs: u64,
) -> Result<()> {
    ctx.accounts
        .position
        .release_liable(final_epochs, liable_until_epochs)?;
    let after = ctx
        .accounts
        .position
        .bound_devices
        .checked_sub(1)
        .ok_or(StakingError::NoBoundDevices)?;
    let event = set_bound_devices(
        &mut ctx.accounts.position,
        ctx.accounts.config.min_device_collateral,
        after,
    )?;
    emit_cpi!(event);
    Ok(())
}
