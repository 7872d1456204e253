use anchor_lang::prelude::*;

use crate::constants::DEVICE_SEED;
use crate::error::RewardsError;
use crate::events::DeviceDecommissioned;
use crate::state::{Device, DeviceStatus};

/// The owner retires a device. It earns nothing from then on, and its key can never be onboarded
/// again (the account stays as the record).
#[event_cpi]
#[derive(Accounts)]
pub struct DecommissionDevice<'info> {
    pub owner: Signer<'info>,

    #[account(
        mut,
        seeds = [DEVICE_SEED, device_account.device.as_ref()],
        bump = device_account.bump,
        has_one = owner @ RewardsError::NotDeviceOwner,
    )]
    pub device_account: Box<Account<'info, Device>>,
}

pub fn handler(ctx: Context<DecommissionDevice>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let device = &mut ctx.accounts.device_account;
    require!(
        device.status == DeviceStatus::Active,
        RewardsError::DeviceNotActive
    );
    device.status = DeviceStatus::Decommissioned;
    emit_cpi!(DeviceDecommissioned {
        device: device.device,
        owner: device.owner,
        timestamp: now,
    });
    Ok(())
}
