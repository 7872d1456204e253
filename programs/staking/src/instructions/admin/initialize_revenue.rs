use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::REVENUE_VAULT_SEED;
use crate::error::StakingError;
use crate::events::RevenueInitialized;
use crate::state::StakingConfig;

/// The deployer (the program's upgrade authority, as for `initialize_staking`) picks the revenue
/// (stablecoin) mint once and creates the revenue vault, PDA
/// `["revenue_vault"]`, a token account of that mint owned by the config PDA. The treasury then
/// simply `transfer_checked`s the stakers' share into it. Positions can only be created after
/// this (every weight change syncs the revenue vault). Being part of the one-time set-up, it
/// does not need the config's authority, which may already be a DAO.
#[event_cpi]
#[derive(Accounts)]
pub struct InitializeRevenue<'info> {
    /// Pays the revenue vault's rent.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The program's upgrade authority: only the deployer completes the set-up.
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
    pub program_data: Box<Account<'info, ProgramData>>,

    /// The staking config; records the revenue mint and vault.
    #[account(mut)]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The revenue (stablecoin) mint, under `revenue_token_program`.
    #[account(mint::token_program = revenue_token_program)]
    pub revenue_mint: Box<InterfaceAccount<'info, Mint>>,

    /// The revenue vault PDA, created here; `init` refuses a second initialisation.
    #[account(
        init,
        payer = payer,
        seeds = [REVENUE_VAULT_SEED],
        bump,
        token::mint = revenue_mint,
        token::authority = config,
        token::token_program = revenue_token_program,
    )]
    pub revenue_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// SPL Token or Token-2022: the program that owns `revenue_mint`.
    pub revenue_token_program: Interface<'info, TokenInterface>,

    /// Creates the revenue vault.
    pub system_program: Program<'info, System>,
}

impl InitializeRevenue<'_> {
    /// Accounts: `payer` signs; `upgrade_authority` signs and is the program's (`program_data`,
    /// `this_program`); `config`,
    /// `revenue_mint`, `revenue_vault`, `revenue_token_program` and `system_program` are checked
    /// by their constraints and types. Refuses a mint with an extension that would break the
    /// revenue ledger (`depin_common::token::admit_revenue_mint`), and a config that already has
    /// a revenue mint;
    /// in practice the revenue vault's `init` refuses a second call first (the account exists).
    pub fn validate(&self) -> Result<()> {
        require!(
            self.config.revenue_vault == Pubkey::default(),
            StakingError::RevenueAlreadyInitialized
        );
        let mint = self.revenue_mint.to_account_info();
        depin_common::token::admit_revenue_mint(&mint.try_borrow_data()?)
            .map_err(StakingError::from)?;
        Ok(())
    }
}

pub fn handler(ctx: Context<InitializeRevenue>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    config.revenue_mint = ctx.accounts.revenue_mint.key();
    config.revenue_token_program = ctx.accounts.revenue_token_program.key();
    config.revenue_vault = ctx.accounts.revenue_vault.key();
    config.revenue_vault_bump = ctx.bumps.revenue_vault;
    config.invariant()?;
    emit_cpi!(RevenueInitialized {
        revenue_mint: ctx.accounts.revenue_mint.key(),
        revenue_vault: ctx.accounts.revenue_vault.key(),
        revenue_token_program: ctx.accounts.revenue_token_program.key(),
        timestamp: now,
    });
    Ok(())
}
