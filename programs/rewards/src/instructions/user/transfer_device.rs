use anchor_lang::prelude::*;

use crate::constants::{
    COLLATERAL_AUTHORITY, DEVICE_SEED, NETWORK_ADDRESS, STAKING_CONFIG, STAKING_PROGRAM_ID,
};
use crate::error::RewardsError;
use crate::events::DeviceTransferred;
use crate::staking_cpi::{CollateralAccounts, position_owner};
use crate::state::{Device, DeviceStatus, Network};

/// The owner hands an active device to a new owner, who receives its future rewards. The
/// device's collateral moves with it, by CPI: released from the old owner's position, bound to
/// the new owner's (which must hold enough locked tokens). The new owner signs too, because
/// the binding locks its tokens. Every epoch that ended at or before the device's last transfer
/// (they pay the owner before it), the offence window holding the last of them and
/// `SLASH_GRACE_EPOCHS` more must be final before the next transfer (`TransferTooSoon`), so
/// that the owner every unfinished epoch pays, and the position an offence of that owner is
/// charged to, stay readable (`Device::prev_owner`, `prev_position`).
#[event_cpi]
#[derive(Accounts)]
pub struct TransferDevice<'info> {
    pub owner: Signer<'info>,

    /// The new owner: consents to its position's tokens being bound.
    pub new_owner: Signer<'info>,

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

    /// CHECK: the old owner's position, the one the collateral is bound to
    /// (`device_account.position`).
    #[account(mut)]
    pub position: UncheckedAccount<'info>,

    /// CHECK: the new owner's position: a staking `Position` whose `owner` is `new_owner`
    /// (checked in `validate`); staking checks the collateral.
    #[account(mut)]
    pub new_position: UncheckedAccount<'info>,

    /// CHECK: this program's `["collateral_authority"]` PDA (address checked); it signs the CPIs.
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

impl TransferDevice<'_> {
    /// State: the device is active and changes hands, and its previous owner is no longer paid
    /// by an unfinished epoch. Accounts: `new_position` is a staking position of `new_owner`.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.device_account.status == DeviceStatus::Active,
            RewardsError::DeviceNotActive
        );
        require!(
            self.new_owner.key() != self.owner.key(),
            RewardsError::InvalidOwner
        );
        let network = &self.network;
        require!(
            !self
                .device_account
                .prev_owner_needed(&network.emission.schedule(), network.final_root.epochs),
            RewardsError::TransferTooSoon
        );
        require_keys_eq!(
            position_owner(&self.new_position)?,
            self.new_owner.key(),
            RewardsError::NotPositionOwner
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<TransferDevice>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let new_owner = ctx.accounts.new_owner.key();
    let new_position = ctx.accounts.new_position.key();
    let device = &mut ctx.accounts.device_account;
    let (from, from_position) = (device.owner, device.position);
    device.prev_owner = from;
    device.prev_position = from_position;
    device.owner = new_owner;
    device.owner_since = now;
    device.position = new_position;
    let key = device.device;

    let staking = CollateralAccounts {
        collateral_authority: &ctx.accounts.collateral_authority,
        config: &ctx.accounts.staking_config,
        event_authority: &ctx.accounts.staking_event_authority,
        program: &ctx.accounts.staking_program,
        bump: ctx.accounts.network.collateral_authority_bump,
    };
    staking.release(&ctx.accounts.position, &ctx.accounts.network, now)?;
    staking.bind(&ctx.accounts.new_position)?;

    emit_cpi!(DeviceTransferred {
        device: key,
        from,
        to: new_owner,
        from_position,
        to_position: new_position,
        timestamp: now,
    });
    Ok(())
}
