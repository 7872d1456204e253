use anchor_lang::prelude::*;
use anchor_spl::token_interface::Mint;

use crate::constants::{TREASURY_SEED, TREASURY_VERSION};
use crate::error::TreasuryError;
use crate::events::TreasuryInitialized;
use crate::state::{BuybackConfig, PriceConfig, Roles, SplitBps, Treasury, validate_timelock};

/// Arguments of `initialize_treasury`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeTreasuryArgs {
    /// Governance key stored as the treasury's authority.
    pub authority: Pubkey,
    /// The revenue split; the three shares must add up to exactly 10,000 basis points.
    pub split: SplitBps,
    /// Delay between proposing and applying a parameter change, in seconds (1 hour to 30 days).
    pub timelock_secs: u64,
    /// The pinned price feed and how it is hardened.
    pub price: PriceConfig,
    /// The AMM program the buyback may call, and the buyback epoch.
    pub buyback: BuybackConfig,
    /// Payment operator, service operator and operations owner.
    pub roles: Roles,
    /// Service credits per US dollar of network token burned (> 0).
    pub credits_per_usd: u64,
}

#[event_cpi]
#[derive(Accounts)]
pub struct InitializeTreasury<'info> {
    /// Pays the rent of the treasury account.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The program's upgrade authority: only the deployer may configure the treasury.
    pub upgrade_authority: Signer<'info>,

    /// This program; its ProgramData address is checked against `program_data`.
    #[account(
        constraint = this_program.programdata_address()? == Some(program_data.key())
            @ TreasuryError::InvalidProgramData
    )]
    pub this_program: Program<'info, crate::program::Treasury>,

    /// This program's ProgramData, which names the upgrade authority.
    #[account(
        constraint = program_data.upgrade_authority_address == Some(upgrade_authority.key())
            @ TreasuryError::NotUpgradeAuthority
    )]
    pub program_data: Account<'info, ProgramData>,

    /// The treasury config PDA, created here; `init` refuses a second initialisation.
    #[account(
        init,
        payer = payer,
        space = Treasury::SIZE,
        seeds = [TREASURY_SEED],
        bump,
    )]
    pub treasury: Account<'info, Treasury>,

    /// The network token that buybacks buy and burn (an SPL Token or Token-2022 mint).
    pub network_mint: InterfaceAccount<'info, Mint>,

    /// Creates the treasury account.
    pub system_program: Program<'info, System>,
}

impl InitializeTreasury<'_> {
    /// Checks what the account constraints cannot. Accounts: `payer` and `upgrade_authority`
    /// are signers; `this_program`, `program_data`, `treasury`, `network_mint` (owned by a token
    /// program, by its type) and `system_program` are fully checked by their constraints and types.
    pub fn validate(&self, args: &InitializeTreasuryArgs) -> Result<()> {
        require!(
            args.authority != Pubkey::default(),
            TreasuryError::InvalidAuthority
        );
        args.split.checked()?;
        validate_timelock(args.timelock_secs)?;
        args.price.validate()?;
        args.buyback.validate()?;
        require!(args.credits_per_usd > 0, TreasuryError::InvalidCreditsRate);
        Ok(())
    }
}

pub fn handler(ctx: Context<InitializeTreasury>, args: InitializeTreasuryArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let treasury = &mut ctx.accounts.treasury;
    treasury.set_inner(Treasury {
        version: TREASURY_VERSION,
        bump: ctx.bumps.treasury,
        credits_bump: 0,
        split: args.split,
        authority: args.authority,
        network_mint: ctx.accounts.network_mint.key(),
        credits_mint: Pubkey::default(),
        credits_per_usd: args.credits_per_usd,
        price: args.price,
        buyback: args.buyback,
        roles: args.roles,
        timelock_secs: args.timelock_secs,
        changes_proposed: 0,
        total_bought_burned: 0,
        total_credit_burned: 0,
        credits_minted: 0,
        credits_consumed: 0,
        created_at: now,
        last_price_publish_time: 0,
        reserved: [0; 120],
    });
    treasury.invariant()?;

    emit_cpi!(TreasuryInitialized {
        treasury: treasury.key(),
        authority: args.authority,
        network_mint: ctx.accounts.network_mint.key(),
        buyback_bps: args.split.buyback_bps,
        stakers_bps: args.split.stakers_bps,
        operations_bps: args.split.operations_bps,
        timelock_secs: args.timelock_secs,
        timestamp: now,
    });
    Ok(())
}
