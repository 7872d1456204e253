use anchor_lang::prelude::*;

use crate::constants::{
    COLLATERAL_AUTHORITY, DEVICE_SEED, NETWORK_ADDRESS, STAKING_CONFIG, STAKING_PROGRAM_ID,
};
use crate::error::RewardsError;
use crate::events::DeviceDecommissioned;
use crate::staking_cpi::CollateralAccounts;
use crate::state::{Device, DeviceStatus, Network};

/// The owner retires a device. It earns nothing from then on, its collateral is released from
/// the owner's staking position by CPI (so it can be unstaked), and its key can never be
/// onboarded again (the account stays as the record).
#[event_cpi]
#[derive(Accounts)]
pub struct DecommissionDevice<'info> {
    pub owner: Signer<'info>,

    #[account(
        mut,
        seeds = [DEVICE_SEED, device_account.device.as_ref()],
        bump = device_account.bump,
        has_one = owner @ RewardsError::NotDeviceOwner,
        has_one = position @ RewardsError::WrongPosition,
    )]
    pub device_account: Box<Account<'info, Device>>,

    /// The collateral authority's bump.
    #[account(address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    /// CHECK: the position the device's collateral is bound to (`device_account.position`).
    #[account(mut)]
    pub position: UncheckedAccount<'info>,

    /// CHECK: this program's `["collateral_authority"]` PDA (address checked); it signs the CPI.
    #[account(address = COLLATERAL_AUTHORITY @ RewardsError::WrongCollateralAuthority)]
    pub collateral_authority: UncheckedAccount<'info>,

    /// CHECK: the staking config (address checked).
    #[account(address = STAKING_CONFIG @ RewardsError::WrongStakingConfig)]
    pub staking_config: UncheckedAccount<'info>,

    /// CHECK: the staking program's event authority; staking checks it.
    pub staking_event_authority: UncheckedAccount<'info>,

    /// CHECK: the staking program (address checked).
    #[account(address = STAKING_PROGRAM_ID @ RewardsError::WrongStakingProgram)]
    pub staking_program: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<DecommissionDevice>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let device = &mut ctx.accounts.device_account;
    require!(
        device.status == DeviceStatus::Active,
        RewardsError::DeviceNotActive
    );
    device.status = DeviceStatus::Decommissioned;
    device.decommissioned_at = now;
    let (key, owner, position) = (device.device, device.owner, device.position);

    CollateralAccounts {
        collateral_authority: &ctx.accounts.collateral_authority,
        config: &ctx.accounts.staking_config,
        event_authority: &ctx.accounts.staking_event_authority,
        program: &ctx.accounts.staking_program,
        bump: ctx.accounts.network.collateral_authority_bump,
    }
    .release(&ctx.accounts.position, &ctx.accounts.network, now)?;

    emit_cpi!(DeviceDecommissioned {
        device: key,
        owner,
        position,
        timestamp: now,
    });
    Ok(())
}
