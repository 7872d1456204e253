use anchor_lang::prelude::*;

use crate::constants::DEVICE_SEED;
use crate::error::RewardsError;
use crate::events::DeviceTransferred;
use crate::state::{Device, DeviceStatus};

/// The owner hands an active device to a new owner, who receives its future rewards.
#[event_cpi]
#[derive(Accounts)]
pub struct TransferDevice<'info> {
    pub owner: Signer<'info>,

    #[account(
        mut,
        seeds = [DEVICE_SEED, device_account.device.as_ref()],
        bump = device_account.bump,
        has_one = owner @ RewardsError::NotDeviceOwner,
    )]
    pub device_account: Box<Account<'info, Device>>,
}

pub fn handler(ctx: Context<TransferDevice>, new_owner: Pubkey) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let device = &mut ctx.accounts.device_account;
    require!(
        device.status == DeviceStatus::Active,
        RewardsError::DeviceNotActive
    );
    require!(
        new_owner != Pubkey::default() && new_owner != device.owner,
        RewardsError::InvalidOwner
    );
    let from = device.owner;
    device.owner = new_owner;
    emit_cpi!(DeviceTransferred {
        device: device.device,
        from,
        to: new_owner,
        timestamp: now,
    });
    Ok(())
}
