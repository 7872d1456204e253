use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenInterface};

use crate::constants::{MAX_DECIMALS, MINT_SEED, NETWORK_SEED, NETWORK_VERSION};
use crate::error::RewardsError;
use crate::events::NetworkInitialized;
use crate::state::Network;

/// Arguments of `initialize_network`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeNetworkArgs {
    /// Governance key stored as the network's authority (a multisig or DAO in production).
    pub authority: Pubkey,
    /// Decimals of the network token, at most 9.
    pub decimals: u8,
    /// Hard cap on the token's total supply, in base units; greater than zero.
    pub max_supply: u64,
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
    pub mint: InterfaceAccount<'info, Mint>,

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
        decimals: args.decimals,
        authority: args.authority,
        mint: ctx.accounts.mint.key(),
        token_program: ctx.accounts.token_program.key(),
        max_supply: args.max_supply,
        total_minted: 0,
        created_at: now,
        reserved: [0; 128],
    });
    network.invariant()?;

    emit_cpi!(NetworkInitialized {
        network: network.key(),
        authority: args.authority,
        mint: ctx.accounts.mint.key(),
        token_program: ctx.accounts.token_program.key(),
        decimals: args.decimals,
        max_supply: args.max_supply,
        timestamp: now,
    });
    Ok(())
}
