use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

use crate::error::TreasuryError;
use crate::events::StakersRouted;
use crate::state::Stablecoin;

/// Permissionless crank: sends a stablecoin's whole stakers bucket to the staking program's
/// revenue vault (set when the coin was added), where the staking accumulator picks it up.
#[event_cpi]
#[derive(Accounts)]
pub struct RouteToStakers<'info> {
    /// The coin's ledger, PDA `["stablecoin", mint]` (only `add_stablecoin` creates these).
    #[account(mut, has_one = mint, has_one = vault, has_one = token_program)]
    pub stablecoin: Box<Account<'info, Stablecoin>>,

    /// CHECK: the coin's mint (`has_one`); the token program checks it in the transfer.
    pub mint: UncheckedAccount<'info>,

    /// CHECK: the coin's vault (`has_one`).
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,

    /// CHECK: the staking program's revenue vault for this coin (its stored address; the name
    /// matches the ledger's field, so the IDL resolves it from `stablecoin`).
    #[account(
        mut,
        constraint = stablecoin.stakers_destination != Pubkey::default() @ TreasuryError::NoStakersDestination,
        address = stablecoin.stakers_destination @ TreasuryError::InvalidStakersDestination,
    )]
    pub stakers_destination: UncheckedAccount<'info>,

    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handler(ctx: Context<RouteToStakers>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let stablecoin = &ctx.accounts.stablecoin;
    let amount = stablecoin.buckets.stakers;
    require!(amount > 0, TreasuryError::ZeroAmount);
    stablecoin.pay_out(
        ctx.accounts.stablecoin.to_account_info(),
        ctx.accounts.vault.to_account_info(),
        ctx.accounts.mint.to_account_info(),
        ctx.accounts.stakers_destination.to_account_info(),
        ctx.accounts.token_program.key(),
        amount,
    )?;
    let stablecoin = &mut ctx.accounts.stablecoin;
    stablecoin.buckets.stakers = 0;
    stablecoin.total_routed_to_stakers = stablecoin
        .total_routed_to_stakers
        .checked_add(amount)
        .ok_or(TreasuryError::MathOverflow)?;
    stablecoin.invariant()?;
    emit_cpi!(StakersRouted {
        mint: stablecoin.mint,
        destination: stablecoin.stakers_destination,
        amount,
        bucket_before: amount,
        bucket_after: 0,
        timestamp: now,
    });
    Ok(())
}
