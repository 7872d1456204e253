use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::{CONFIG_SEED, CONFIG_VERSION, VAULT_SEED};
use crate::error::StakingError;
use crate::events::StakingInitialized;
use crate::state::{StakingConfig, StakingUpdate, VotingMode, spl_governance};

/// Arguments of `initialize_staking`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeStakingArgs {
    /// Governance key stored as the config's authority.
    pub authority: Pubkey,
    /// Longest lockup, in seconds (1 s to 10 years); locking this long earns the maximum multiplier.
    pub max_lockup_secs: u64,
    /// Multiplier at `max_lockup_secs`, in basis points: 10,000 (1x) to 1,000,000 (100x).
    pub max_multiplier_bps: u32,
    /// Linear or quadratic voting weight.
    pub voting_mode: VotingMode,
    /// Delay between unstaking and withdrawal, in seconds (at most 1 year).
    pub cooldown_secs: u64,
    /// Collateral a device owner must lock per device, in base units.
    pub min_device_collateral: u64,
    /// Largest slash per proposal, in basis points of a position's tokens (1 to 5,000).
    pub max_slash_bps: u16,
    /// How long governance may overturn a proposed slash, in seconds (1 s to 30 days).
    pub appeal_secs: u64,
    /// Delay between proposing and applying a parameter change, in seconds (1 hour to 30 days).
    pub timelock_secs: u64,
    /// How long arriving revenue streams into the accumulator, in seconds (0 to 30 days).
    pub revenue_stream_secs: u64,
    /// The spl-governance realm whose votes this program weighs (`Pubkey::default()`: none yet;
    /// governance sets it later through the timelock).
    pub realm: Pubkey,
}

impl InitializeStakingArgs {
    /// Each parameter as the change that would set it: their bounds are checked by the same
    /// rules as a later change's.
    pub fn as_updates(&self) -> [StakingUpdate; 11] {
        [
            StakingUpdate::Authority(self.authority),
            StakingUpdate::MaxLockupSecs(self.max_lockup_secs),
            StakingUpdate::MaxMultiplierBps(self.max_multiplier_bps),
            StakingUpdate::VotingMode(self.voting_mode),
            StakingUpdate::CooldownSecs(self.cooldown_secs),
            StakingUpdate::MinDeviceCollateral(self.min_device_collateral),
            StakingUpdate::MaxSlashBps(self.max_slash_bps),
            StakingUpdate::AppealSecs(self.appeal_secs),
            StakingUpdate::TimelockSecs(self.timelock_secs),
            StakingUpdate::RevenueStreamSecs(self.revenue_stream_secs),
            StakingUpdate::Realm(self.realm),
        ]
    }
}

#[event_cpi]
#[derive(Accounts)]
pub struct InitializeStaking<'info> {
    /// Pays the rent of the config and vault accounts.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The program's upgrade authority: only the deployer may configure staking.
    pub upgrade_authority: Signer<'info>,

    /// This program; its ProgramData address is checked against `program_data`.
    #[account(
        constraint = this_program.programdata_address()? == Some(program_data.key())
            @ StakingError::InvalidProgramData
    )]
    pub this_program: Program<'info, crate::program::Staking>,

    /// This program's ProgramData, which names the upgrade authority.
    #[account(
        constraint = program_data.upgrade_authority_address == Some(upgrade_authority.key())
            @ StakingError::NotUpgradeAuthority
    )]
    pub program_data: Account<'info, ProgramData>,

    /// The staking config PDA, created here; `init` refuses a second initialisation.
    #[account(
        init,
        payer = payer,
        space = StakingConfig::SIZE,
        seeds = [CONFIG_SEED],
        bump,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The token that positions lock: the network token.
    #[account(mint::token_program = token_program)]
    pub stake_mint: InterfaceAccount<'info, Mint>,

    /// The vault PDA, created here: a token account of `stake_mint` owned by `config`.
    #[account(
        init,
        payer = payer,
        seeds = [VAULT_SEED],
        bump,
        token::mint = stake_mint,
        token::authority = config,
        token::token_program = token_program,
    )]
    pub vault: InterfaceAccount<'info, TokenAccount>,

    /// SPL Token or Token-2022: the program that owns `stake_mint`.
    pub token_program: Interface<'info, TokenInterface>,

    /// Creates the accounts.
    pub system_program: Program<'info, System>,
}

impl InitializeStaking<'_> {
    /// Checks what the account constraints cannot. Accounts: `payer` and `upgrade_authority`
    /// are signers; `this_program`, `program_data`, `config`, `stake_mint`, `vault`,
    /// `token_program` and `system_program` are fully checked by their constraints and types.
    pub fn validate(&self, args: &InitializeStakingArgs) -> Result<()> {
        args.as_updates()
            .iter()
            .try_for_each(StakingUpdate::validate)
    }
}

/// Remaining accounts: the realm, when `args.realm` names one (`spl_governance::check_realm`).
pub fn handler(ctx: Context<InitializeStaking>, args: InitializeStakingArgs) -> Result<()> {
    let stake_mint = ctx.accounts.stake_mint.key();
    spl_governance::check_realm(&args.realm, ctx.remaining_accounts, &stake_mint)?;
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let config_key = ctx.accounts.config.key();
    let slash_domain = crate::math::slash::slash_domain(&config_key, clock.slot, now);
    let config = &mut ctx.accounts.config;
    config.set_inner(StakingConfig {
        version: CONFIG_VERSION,
        bump: ctx.bumps.config,
        vault_bump: ctx.bumps.vault,
        revenue_vault_bump: 0,
        voting_mode: args.voting_mode,
        max_multiplier_bps: args.max_multiplier_bps,
        max_slash_bps: args.max_slash_bps,
        authority: args.authority,
        stake_mint: ctx.accounts.stake_mint.key(),
        token_program: ctx.accounts.token_program.key(),
        vault: ctx.accounts.vault.key(),
        revenue_mint: Pubkey::default(),
        revenue_token_program: Pubkey::default(),
        revenue_vault: Pubkey::default(),
        max_lockup_secs: args.max_lockup_secs,
        cooldown_secs: args.cooldown_secs,
        appeal_secs: args.appeal_secs,
        min_device_collateral: args.min_device_collateral,
        total_locked: 0,
        total_slashed: 0,
        total_weight: 0,
        reward_per_weight: 0,
        revenue_carry: 0,
        revenue_distributed: 0,
        revenue_claimed: 0,
        created_at: now,
        timelock_secs: args.timelock_secs,
        changes_proposed: 0,
        revenue_stream_secs: args.revenue_stream_secs,
        revenue_streaming: 0,
        stream_updated: now,
        stream_end: now,
        realm: args.realm,
        slash_domain,
        reserved: [0; 16],
    });
    config.invariant()?;

    emit_cpi!(StakingInitialized {
        config: config.key(),
        authority: args.authority,
        stake_mint: ctx.accounts.stake_mint.key(),
        vault: ctx.accounts.vault.key(),
        token_program: ctx.accounts.token_program.key(),
        max_lockup_secs: args.max_lockup_secs,
        max_multiplier_bps: args.max_multiplier_bps,
        voting_mode: args.voting_mode,
        cooldown_secs: args.cooldown_secs,
        min_device_collateral: args.min_device_collateral,
        max_slash_bps: args.max_slash_bps,
        appeal_secs: args.appeal_secs,
        timelock_secs: args.timelock_secs,
        revenue_stream_secs: args.revenue_stream_secs,
        realm: args.realm,
        timestamp: now,
    });
    Ok(())
}
