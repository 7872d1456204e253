use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::{
    BOUGHT_SEED, STABLECOIN_SEED, STABLECOIN_VERSION, STAKING_CONFIG_SEED, STAKING_PROGRAM_ID,
    TREASURY_SEED, VAULT_SEED,
};
use crate::error::TreasuryError;
use crate::events::StablecoinAdded;
use crate::state::{Buckets, Stablecoin, Treasury, Venue};

/// Arguments of `add_stablecoin`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AddStablecoinArgs {
    /// The most one buyback epoch may spend of this coin, in its base units.
    pub buyback_cap_per_epoch: u64,
    /// The AMM pool (network token / this coin) buybacks must trade in, and its reserves.
    pub venue: Venue,
}

/// Governance starts accepting a stablecoin (SPL Token or Token-2022): creates its ledger, its
/// vault and the account its buybacks receive network tokens into. Only USD stablecoins belong
/// here (the treasury values each unit at one dollar); a Token-2022 mint with a transfer fee, a
/// transfer hook, a permanent delegate, confidential transfers, a frozen default state or any
/// extension outside the harmless few is refused by name (`depin_common::token::admit_revenue_mint`).
#[event_cpi]
#[derive(Accounts)]
pub struct AddStablecoin<'info> {
    /// Pays the rent of the three new accounts.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The treasury's governance authority.
    pub authority: Signer<'info>,

    #[account(
        seeds = [TREASURY_SEED],
        bump = treasury.bump,
        has_one = authority @ TreasuryError::NotAuthority,
        has_one = network_mint,
    )]
    pub treasury: Box<Account<'info, Treasury>>,

    /// The stablecoin; `init` of its PDA refuses adding it twice.
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(
        init,
        payer = payer,
        space = Stablecoin::SIZE,
        seeds = [STABLECOIN_SEED, mint.key().as_ref()],
        bump,
    )]
    pub stablecoin: Box<Account<'info, Stablecoin>>,

    /// The revenue vault, owned by the stablecoin PDA.
    #[account(
        init,
        payer = payer,
        seeds = [VAULT_SEED, mint.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = stablecoin,
        token::token_program = token_program,
    )]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The network token (checked against the treasury).
    #[account(mint::token_program = network_token_program)]
    pub network_mint: Box<InterfaceAccount<'info, Mint>>,

    /// Receives a buyback's network tokens, which are burned in the same instruction.
    #[account(
        init,
        payer = payer,
        seeds = [BOUGHT_SEED, mint.key().as_ref()],
        bump,
        token::mint = network_mint,
        token::authority = stablecoin,
        token::token_program = network_token_program,
    )]
    pub bought: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The staking program's revenue vault for this coin, if staking takes revenue in it.
    #[account(token::mint = mint)]
    pub stakers_destination: Option<Box<InterfaceAccount<'info, TokenAccount>>>,

    pub token_program: Interface<'info, TokenInterface>,
    pub network_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl AddStablecoin<'_> {
    /// `payer`, `authority`: signers (authority by `has_one`); `treasury`, `mint`, `stablecoin`,
    /// `vault`, `network_mint`, `bought` and the programs: by their constraints. Checked here:
    /// the mint's extensions, and that the stakers destination belongs to the staking program's
    /// config PDA.
    pub fn validate(&self, args: &AddStablecoinArgs) -> Result<()> {
        args.venue.check(&self.vault.key(), &self.bought.key())?;
        depin_common::token::admit_revenue_mint(&self.mint.to_account_info().try_borrow_data()?)
            .map_err(TreasuryError::from)?;
        if let Some(dest) = &self.stakers_destination {
            let staking_config =
                Pubkey::find_program_address(&[STAKING_CONFIG_SEED], &STAKING_PROGRAM_ID).0;
            require_keys_eq!(
                dest.owner,
                staking_config,
                TreasuryError::InvalidStakersDestination
            );
        }
        Ok(())
    }
}

pub fn handler(ctx: Context<AddStablecoin>, args: AddStablecoinArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let stakers_destination = a
        .stakers_destination
        .as_ref()
        .map_or(Pubkey::default(), |d| d.key());
    let epoch = a.treasury.buyback_epoch(now)?;
    let stablecoin = &mut ctx.accounts.stablecoin;
    stablecoin.set_inner(Stablecoin {
        version: STABLECOIN_VERSION,
        bump: ctx.bumps.stablecoin,
        vault_bump: ctx.bumps.vault,
        bought_bump: ctx.bumps.bought,
        enabled: true,
        decimals: ctx.accounts.mint.decimals,
        mint: ctx.accounts.mint.key(),
        token_program: ctx.accounts.token_program.key(),
        vault: ctx.accounts.vault.key(),
        bought: ctx.accounts.bought.key(),
        stakers_destination,
        venue: args.venue,
        buyback_cap_per_epoch: args.buyback_cap_per_epoch,
        buyback_epoch: epoch,
        spent_in_epoch: 0,
        buckets: Buckets::default(),
        total_received: 0,
        total_bought_back: 0,
        total_routed_to_stakers: 0,
        total_swept_to_operations: 0,
        payments: 0,
        reserved: [0; 64],
    });
    stablecoin.invariant()?;

    emit_cpi!(StablecoinAdded {
        mint: stablecoin.mint,
        token_program: stablecoin.token_program,
        decimals: stablecoin.decimals,
        vault: stablecoin.vault,
        stakers_destination,
        venue: args.venue,
        buyback_cap_per_epoch: args.buyback_cap_per_epoch,
        timestamp: now,
    });
    Ok(())
}
