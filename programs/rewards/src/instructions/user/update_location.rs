use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::{DEVICE_SEED, NETWORK_ADDRESS};
use crate::error::RewardsError;
use crate::events::DeviceLocationUpdated;
use crate::instructions::shared::burn_fee;
use crate::state::{Device, DeviceStatus, Network, is_h3_cell};

/// Arguments of `update_location`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct UpdateLocationArgs {
    /// The newly asserted location: an H3 cell index, not the current one.
    pub location: u64,
}

/// The owner of an active device asserts its new H3 cell and burns the location fee
/// (`Network::location_fee`) from its network-token account. The new cell counts from the next
/// epoch on: an epoch that started before the update is scored with the previous cell
/// (`Device::prev_location`), which the account keeps so that every oracle rebuilds the same
/// cell for every unfinished epoch. So the update is refused (`LocationUpdateTooSoon`) while
/// an epoch scored with the previous cell is not final, and more than once an epoch.
#[event_cpi]
#[derive(Accounts)]
pub struct UpdateLocation<'info> {
    /// The device's owner: signs for the fee.
    pub owner: Signer<'info>,

    #[account(
        mut,
        seeds = [DEVICE_SEED, device_account.device.as_ref()],
        bump = device_account.bump,
        has_one = owner @ RewardsError::NotDeviceOwner,
    )]
    pub device_account: Box<Account<'info, Device>>,

    #[account(
        mut,
        address = NETWORK_ADDRESS @ RewardsError::WrongNetwork,
        has_one = mint @ RewardsError::WrongMint,
        constraint = network.token_program == token_program.key() @ RewardsError::WrongTokenProgram,
    )]
    pub network: Box<Account<'info, Network>>,

    #[account(mut)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    /// The owner's network-token account the fee is burned from.
    #[account(
        mut,
        constraint = fee_source.mint == mint.key() @ RewardsError::WrongMint,
    )]
    pub fee_source: Box<InterfaceAccount<'info, TokenAccount>>,

    pub token_program: Interface<'info, TokenInterface>,
}

impl UpdateLocation<'_> {
    /// State: the device is active; the oracles no longer need its previous cell and it was not
    /// moved in this epoch yet. Args: the location is an H3 cell other than the current one.
    pub fn validate(&self, args: &UpdateLocationArgs) -> Result<()> {
        let device = &self.device_account;
        require!(
            device.status == DeviceStatus::Active,
            RewardsError::DeviceNotActive
        );
        require!(is_h3_cell(args.location), RewardsError::InvalidLocation);
        require!(
            args.location != device.location,
            RewardsError::LocationUnchanged
        );
        let now = Clock::get()?.unix_timestamp;
        let schedule = self.network.emission.schedule();
        require!(
            !device.prev_location_needed(&schedule, self.network.final_root.epochs)
                && !device.location_updated_in_epoch_of(&schedule, now),
            RewardsError::LocationUpdateTooSoon
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<UpdateLocation>, args: UpdateLocationArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let fee = ctx.accounts.network.location_fee;
    let device = &mut ctx.accounts.device_account;
    let old_location = device.location;
    device.prev_location = old_location;
    device.location = args.location;
    device.location_since = now;
    let (key, owner) = (device.device, device.owner);

    let a = &mut *ctx.accounts;
    burn_fee(
        &mut a.network,
        &a.token_program,
        &a.mint,
        &a.fee_source,
        &a.owner,
        fee,
    )?;

    emit_cpi!(DeviceLocationUpdated {
        device: key,
        owner,
        old_location,
        new_location: args.location,
        fee,
        timestamp: now,
    });
    Ok(())
}
