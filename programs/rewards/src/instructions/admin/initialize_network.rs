use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, MintTo, TokenAccount, TokenInterface};

use crate::constants::{
    COLLATERAL_AUTHORITY_SEED, GENESIS_SEED, MAX_DECIMALS, MAX_DISPUTE_SECS, MAX_EPOCH_SECS,
    MAX_MINT_WINDOW_SECS, MIN_EPOCH_SECS, MINT_SEED, NETWORK_SEED, NETWORK_VERSION,
    ORACLE_SET_SEED, REWARDS_VAULT_SEED,
};
use crate::error::RewardsError;
use crate::events::{NetworkInitialized, OracleSetChanged};
use crate::math::emission::EmissionError;
use crate::state::{
    EmissionParams, FinalRoot, MintWindow, Network, OracleSet, validate_input_secs,
    validate_oracle_set, validate_timelock,
};

/// Arguments of `initialize_network`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeNetworkArgs {
    /// Governance key stored as the network's authority (a multisig or DAO in production).
    pub authority: Pubkey,
    /// Decimals of the network token, at most 9.
    pub decimals: u8,
    /// Hard cap on the token's total supply, in base units; greater than zero.
    pub max_supply: u64,
    /// Minted once, here, into the genesis account (PDA `["genesis"]`, a token account owned by
    /// the `genesis_owner` account): the supply that exists before the first epoch, from which
    /// the first device owners stake their collateral. Less than `max_supply`; may be zero.
    pub genesis_supply: u64,
    /// The emission schedule; its lifetime emission must fit in `max_supply - genesis_supply`.
    pub emission: EmissionParams,
    /// Circuit breaker window, in seconds (1 s to 30 days).
    pub mint_window_secs: u64,
    /// Most that may be minted within the window; at least one epoch's initial emission.
    pub mint_window_threshold: u64,
    /// Seconds a posted root stays open to fraud proofs (1 s to 30 days).
    pub dispute_secs: u64,
    /// Seconds the oracles have to acknowledge each other's report sets once a quorum of them
    /// has spoken (docs/oracle-agreement.md): 1 s to a day, at most a quarter of the epoch.
    pub input_secs: u64,
    /// Network tokens burned per device onboarded, in base units (may be zero).
    pub onboard_fee: u64,
    /// Network tokens burned per `update_location`, in base units (may be zero).
    pub location_fee: u64,
    /// Seconds between proposing a parameter change and applying it (1 hour to 30 days).
    pub timelock_secs: u64,
    /// The genesis oracle set, installed at once (as set version 1), so a new network need not
    /// wait out the timelock before its first root; None leaves the set empty until governance
    /// installs one through the timelock. Every later rotation goes through the timelock.
    pub oracle_set: Option<InitialOracleSet>,
}

/// The oracle set a network starts with: the same rules as a rotation (1 to 16 distinct keys,
/// a strict-majority threshold, a non-zero bond, a challenger share of at most 50 %).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitialOracleSet {
    pub oracles: Vec<Pubkey>,
    pub threshold: u8,
    /// Lamports each oracle must bond before it votes.
    pub bond: u64,
    /// Challenger's share of a slashed bond, in bps.
    pub challenger_bps: u16,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: InitializeNetworkArgs)]
pub struct InitializeNetwork<'info> {
    /// Pays the rent of the network and mint accounts.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The program's upgrade authority: only the deployer may create the network, so nobody can
    /// front-run initialisation with their own parameters.
    pub upgrade_authority: Signer<'info>,

    /// This program; its ProgramData address is checked against `program_data`.
    #[account(
        constraint = this_program.programdata_address()? == Some(program_data.key())
            @ RewardsError::InvalidProgramData
    )]
    pub this_program: Program<'info, crate::program::Rewards>,

    /// This program's ProgramData, which names the upgrade authority.
    #[account(
        constraint = program_data.upgrade_authority_address == Some(upgrade_authority.key())
            @ RewardsError::NotUpgradeAuthority
    )]
    pub program_data: Account<'info, ProgramData>,

    /// The network config PDA, created here; `init` refuses a second initialisation.
    #[account(
        init,
        payer = payer,
        space = Network::SIZE,
        seeds = [NETWORK_SEED],
        bump,
    )]
    pub network: Account<'info, Network>,

    /// The network token mint PDA, created here with the network PDA as its only (mint)
    /// authority and no freeze authority.
    #[account(
        init,
        payer = payer,
        seeds = [MINT_SEED],
        bump,
        mint::decimals = args.decimals,
        mint::authority = network,
        mint::token_program = token_program,
    )]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    /// The rewards vault PDA, created here: a token account of `mint` owned by the network PDA.
    #[account(
        init,
        payer = payer,
        seeds = [REWARDS_VAULT_SEED],
        bump,
        token::mint = mint,
        token::authority = network,
        token::token_program = token_program,
    )]
    pub rewards_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any key (a multisig or a DAO treasury): the owner of the genesis account. It need not
    /// exist or sign; it is only written into the token account.
    /// CHECK: any address may own a token account.
    pub genesis_owner: UncheckedAccount<'info>,

    /// The genesis account PDA, created here: a token account of `mint` owned by
    /// `genesis_owner`, holding `args.genesis_supply`.
    #[account(
        init,
        payer = payer,
        seeds = [GENESIS_SEED],
        bump,
        token::mint = mint,
        token::authority = genesis_owner,
        token::token_program = token_program,
    )]
    pub genesis_account: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The oracle set PDA, created here with `args.oracle_set`, or empty (no root can be voted
    /// until governance installs a set through the timelock).
    #[account(
        init,
        payer = payer,
        space = OracleSet::SIZE,
        seeds = [ORACLE_SET_SEED],
        bump,
    )]
    pub oracle_set: Box<Account<'info, OracleSet>>,

    /// SPL Token or Token-2022: whichever the network token should live under.
    pub token_program: Interface<'info, TokenInterface>,

    /// Creates the accounts.
    pub system_program: Program<'info, System>,
}

impl InitializeNetwork<'_> {
    /// Checks what the account constraints cannot. Accounts: `payer` and `upgrade_authority`
    /// are signers; `this_program`, `program_data`, `network`, `mint`, `token_program` and
    /// `system_program` are fully checked by their constraints and types.
    pub fn validate(&self, args: &InitializeNetworkArgs) -> Result<()> {
        require!(args.decimals <= MAX_DECIMALS, RewardsError::InvalidDecimals);
        require!(args.max_supply > 0, RewardsError::ZeroMaxSupply);
        require!(
            args.authority != Pubkey::default(),
            RewardsError::InvalidAuthority
        );
        require!(
            (MIN_EPOCH_SECS..=MAX_EPOCH_SECS).contains(&args.emission.epoch_secs),
            RewardsError::InvalidEpochLength
        );
        require!(
            args.genesis_supply < args.max_supply,
            RewardsError::GenesisExceedsMaxSupply
        );
        // What the schedule may ever mint is what the genesis leaves.
        args.emission
            .schedule()
            .validate(args.max_supply - args.genesis_supply)
            .map_err(|e| match e {
                EmissionError::ExceedsMaxSupply => RewardsError::EmissionExceedsMaxSupply,
                EmissionError::ZeroDuration | EmissionError::ZeroEmission => {
                    RewardsError::InvalidEmission
                }
            })?;
        require!(
            (1..=MAX_MINT_WINDOW_SECS).contains(&args.mint_window_secs)
                && args.mint_window_threshold >= args.emission.initial_epoch_emission,
            RewardsError::InvalidMintWindow
        );
        // At most half an epoch: roots are final in order, one per dispute window, so a longer
        // window would let the final root fall behind the epochs for ever.
        require!(
            (1..=MAX_DISPUTE_SECS).contains(&args.dispute_secs)
                && args.dispute_secs.saturating_mul(2) <= args.emission.epoch_secs,
            RewardsError::InvalidDisputeWindow
        );
        validate_timelock(args.timelock_secs)?;
        validate_input_secs(args.input_secs, args.emission.epoch_secs)?;
        if let Some(set) = &args.oracle_set {
            validate_oracle_set(&set.oracles, set.threshold, set.bond, set.challenger_bps)?;
        }
        Ok(())
    }
}

pub fn handler(ctx: Context<InitializeNetwork>, args: InitializeNetworkArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let network = &mut ctx.accounts.network;
    network.set_inner(Network {
        version: NETWORK_VERSION,
        bump: ctx.bumps.network,
        mint_bump: ctx.bumps.mint,
        vault_bump: ctx.bumps.rewards_vault,
        decimals: args.decimals,
        authority: args.authority,
        mint: ctx.accounts.mint.key(),
        token_program: ctx.accounts.token_program.key(),
        rewards_vault: ctx.accounts.rewards_vault.key(),
        max_supply: args.max_supply,
        total_minted: args.genesis_supply,
        genesis_supply: args.genesis_supply,
        emission: args.emission,
        mint_window: MintWindow {
            window_secs: args.mint_window_secs,
            threshold: args.mint_window_threshold,
            last_ts: now,
            amount: 0,
        },
        epochs_minted: 0,
        cumulative_budget: 0,
        total_claimed: 0,
        voided_roots: 0,
        total_burned: 0,
        onboard_fee: args.onboard_fee,
        dispute_secs: args.dispute_secs,
        timelock_secs: args.timelock_secs,
        changes_proposed: 0,
        final_root: FinalRoot::default(),
        created_at: now,
        // Derived once here; every collateral CPI signs with the stored bump.
        collateral_authority_bump: Pubkey::find_program_address(
            &[COLLATERAL_AUTHORITY_SEED],
            &crate::ID,
        )
        .1,
        input_secs: args.input_secs,
        location_fee: args.location_fee,
        reserved: [0; 95],
    });
    network.invariant()?;
    // The one mint outside the emission schedule: once, at creation, within `max_supply`, and
    // not through the circuit breaker (which bounds the schedule's pace, not its start).
    if args.genesis_supply > 0 {
        let seeds: &[&[u8]] = &[NETWORK_SEED, &[ctx.bumps.network]];
        token_interface::mint_to(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.key(),
                MintTo {
                    mint: ctx.accounts.mint.to_account_info(),
                    to: ctx.accounts.genesis_account.to_account_info(),
                    authority: ctx.accounts.network.to_account_info(),
                },
                &[seeds],
            ),
            args.genesis_supply,
        )?;
    }
    let oracle_set = match &args.oracle_set {
        Some(set) => OracleSet::seated(
            ctx.bumps.oracle_set,
            &set.oracles,
            set.threshold,
            set.bond,
            set.challenger_bps,
            1,
            now,
        )?,
        None => OracleSet::seated(ctx.bumps.oracle_set, &[], 0, 0, 0, 0, now)?,
    };
    ctx.accounts.oracle_set.set_inner(oracle_set);
    if let Some(set) = &args.oracle_set {
        ctx.accounts.oracle_set.invariant()?;
        emit_cpi!(OracleSetChanged {
            set_version: 1,
            threshold: set.threshold,
            bond: set.bond,
            challenger_bps: set.challenger_bps,
            oracles: set.oracles.clone(),
            timestamp: now,
        });
    }

    emit_cpi!(NetworkInitialized {
        network: ctx.accounts.network.key(),
        authority: args.authority,
        mint: ctx.accounts.mint.key(),
        token_program: ctx.accounts.token_program.key(),
        decimals: args.decimals,
        rewards_vault: ctx.accounts.rewards_vault.key(),
        max_supply: args.max_supply,
        genesis_account: ctx.accounts.genesis_account.key(),
        genesis_owner: ctx.accounts.genesis_owner.key(),
        genesis_supply: args.genesis_supply,
        emission: args.emission,
        mint_window_secs: args.mint_window_secs,
        mint_window_threshold: args.mint_window_threshold,
        dispute_secs: args.dispute_secs,
        onboard_fee: args.onboard_fee,
        location_fee: args.location_fee,
        timelock_secs: args.timelock_secs,
        input_secs: args.input_secs,
        timestamp: now,
    });
    Ok(())
}
