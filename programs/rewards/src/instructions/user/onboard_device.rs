use anchor_lang::compat::solana_instructions_sysvar as ix_sysvar;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::{
    COLLATERAL_AUTHORITY, DEVICE_SEED, MAKER_SEED, NETWORK_ADDRESS, STAKING_CONFIG,
    STAKING_PROGRAM_ID,
};
use crate::error::RewardsError;
use crate::events::DeviceOnboarded;
use crate::instructions::shared::burn_fee;
use crate::staking_cpi::{CollateralAccounts, position_owner};
use crate::state::{Device, DeviceKind, DeviceStatus, Maker, Network, is_h3_cell};
use depin_common::{ed25519, onboarding};

/// Arguments of `onboard_device`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct OnboardDeviceArgs {
    pub kind: DeviceKind,
    /// Asserted location: an H3 cell index.
    pub location: u64,
    /// Until when the device's onboarding code is valid (unix seconds; part of what it signed).
    pub expires_at: i64,
}

/// A device joins the network: the device's signature over its onboarding code is verified by
/// an ed25519 precompile instruction earlier in the transaction (`docs/onboarding.md`), an
/// approved maker and the owner sign the transaction, the owner burns the onboarding fee, one device's collateral (`min_device_collateral`) is bound to the
/// owner's staking position by CPI (staking refuses a position without enough locked tokens),
/// and the device PDA (one per key) is created.
#[event_cpi]
#[derive(Accounts)]
pub struct OnboardDevice<'info> {
    /// Pays the device account's rent.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The new owner: signs for the fee.
    pub owner: Signer<'info>,

    /// CHECK: the device's own key. The hardware proves it holds the key by its signature over
    /// the onboarding message, verified by the ed25519 precompile and found in `validate`.
    pub device: UncheckedAccount<'info>,

    /// The maker's key: vouches for the hardware.
    pub maker: Signer<'info>,

    #[account(
        mut,
        seeds = [MAKER_SEED, maker.key().as_ref()],
        bump = maker_account.bump,
        constraint = maker_account.active @ RewardsError::MakerNotActive,
    )]
    pub maker_account: Box<Account<'info, Maker>>,

    #[account(
        init,
        payer = payer,
        space = Device::SIZE,
        seeds = [DEVICE_SEED, device.key().as_ref()],
        bump,
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
    pub system_program: Program<'info, System>,

    /// CHECK: the owner's staking position: a staking `Position` whose `owner` is `owner`
    /// (checked in `validate`); staking checks the collateral.
    #[account(mut)]
    pub position: UncheckedAccount<'info>,

    /// CHECK: this program's `["collateral_authority"]` PDA (address checked); it signs the CPI.
    #[account(address = COLLATERAL_AUTHORITY @ RewardsError::WrongCollateralAuthority)]
    pub collateral_authority: UncheckedAccount<'info>,

    /// CHECK: the staking config (address checked); staking reads `min_device_collateral`.
    #[account(address = STAKING_CONFIG @ RewardsError::WrongStakingConfig)]
    pub staking_config: UncheckedAccount<'info>,

    /// CHECK: the staking program's event authority; staking checks it.
    pub staking_event_authority: UncheckedAccount<'info>,

    /// CHECK: the staking program (address checked).
    #[account(address = STAKING_PROGRAM_ID @ RewardsError::WrongStakingProgram)]
    pub staking_program: UncheckedAccount<'info>,

    /// CHECK: the instructions sysvar (address checked): where the device's signature is found.
    #[account(address = ix_sysvar::ID @ RewardsError::WrongInstructionsSysvar)]
    pub instructions: UncheckedAccount<'info>,
}

impl OnboardDevice<'_> {
    /// Args: the location is an H3 cell; the code's `expires_at` is within
    /// `[now, now + 7 days]`. Accounts: `position` is a staking position of `owner` (the staking
    /// accounts' addresses are constraints). The device signed its onboarding message.
    pub fn validate(&self, args: &OnboardDeviceArgs) -> Result<()> {
        require!(is_h3_cell(args.location), RewardsError::InvalidLocation);
        onboarding::check_expiry(args.expires_at, Clock::get()?.unix_timestamp)
            .map_err(RewardsError::from)?;
        require_keys_eq!(
            position_owner(&self.position)?,
            self.owner.key(),
            RewardsError::NotPositionOwner
        );
        self.check_device_signature(args)
    }

    /// An ed25519 precompile instruction before this one verified, from its own data, the
    /// device's signature over `onboarding::message(this program, device, owner, kind,
    /// expires_at)`. The precompile fails the transaction on a bad signature, so finding the
    /// exact key and message is the proof.
    fn check_device_signature(&self, args: &OnboardDeviceArgs) -> Result<()> {
        let message = onboarding::message(
            &crate::ID.to_bytes(),
            &self.device.key().to_bytes(),
            &self.owner.key().to_bytes(),
            args.kind as u8,
            args.expires_at,
        );
        let device = self.device.key().to_bytes();
        let sysvar = self.instructions.to_account_info();
        let current = ix_sysvar::load_current_index_checked(&sysvar)?;
        for index in 0..current {
            let ix = ix_sysvar::load_instruction_at_checked(usize::from(index), &sysvar)?;
            if ix.program_id.to_bytes() == ed25519::PROGRAM_ID
                && ed25519::verifies(&ix.data, &device, &message)
            {
                return Ok(());
            }
        }
        err!(RewardsError::MissingDeviceSignature)
    }
}

pub fn handler(ctx: Context<OnboardDevice>, args: OnboardDeviceArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let fee = ctx.accounts.network.onboard_fee;
    let device = ctx.accounts.device.key();
    let owner = ctx.accounts.owner.key();
    let maker = ctx.accounts.maker.key();
    let position = ctx.accounts.position.key();
    ctx.accounts.device_account.set_inner(Device {
        bump: ctx.bumps.device_account,
        kind: args.kind,
        status: DeviceStatus::Active,
        device,
        owner,
        maker,
        position,
        location: args.location,
        onboarded_at: now,
        owner_since: now,
        prev_owner: owner,
        decommissioned_at: 0,
        prev_position: position,
        prev_location: args.location,
        location_since: now,
    });
    let maker_account = &mut ctx.accounts.maker_account;
    maker_account.devices = maker_account
        .devices
        .checked_add(1)
        .ok_or(RewardsError::MathOverflow)?;

    let a = &mut *ctx.accounts;
    burn_fee(
        &mut a.network,
        &a.token_program,
        &a.mint,
        &a.fee_source,
        &a.owner,
        fee,
    )?;

    CollateralAccounts {
        collateral_authority: &ctx.accounts.collateral_authority,
        config: &ctx.accounts.staking_config,
        event_authority: &ctx.accounts.staking_event_authority,
        program: &ctx.accounts.staking_program,
        bump: ctx.accounts.network.collateral_authority_bump,
    }
    .bind(&ctx.accounts.position)?;

    emit_cpi!(DeviceOnboarded {
        device,
        kind: args.kind,
        owner,
        maker,
        location: args.location,
        fee,
        position,
        timestamp: now,
    });
    Ok(())
}
