use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

use crate::constants::TREASURY_ADDRESS;
use crate::error::TreasuryError;
use crate::events::OperationsSwept;
use crate::state::{Stablecoin, Treasury};

/// Permissionless crank: sends a stablecoin's whole operations bucket to a token account of the
/// operations owner (a governance-set key).
#[event_cpi]
#[derive(Accounts)]
pub struct SweepOperations<'info> {
    #[account(address = TREASURY_ADDRESS)]
    pub treasury: Box<Account<'info, Treasury>>,

    /// The coin's ledger, PDA `["stablecoin", mint]` (only `add_stablecoin` creates these).
    #[account(mut, has_one = mint, has_one = vault, has_one = token_program)]
    pub stablecoin: Box<Account<'info, Stablecoin>>,

    /// CHECK: the coin's mint (`has_one`); the token program checks it in the transfer.
    pub mint: UncheckedAccount<'info>,

    /// CHECK: the coin's vault (`has_one`).
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,

    /// A token account of the operations owner, for this coin.
    #[account(
        mut,
        token::mint = stablecoin.mint,
        constraint = destination.owner == treasury.roles.operations_owner @ TreasuryError::WrongOperationsAccount,
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,

    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handler(ctx: Context<SweepOperations>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let stablecoin = &ctx.accounts.stablecoin;
    let amount = stablecoin.buckets.operations;
    require!(amount > 0, TreasuryError::ZeroAmount);
    stablecoin.pay_out(
        ctx.accounts.stablecoin.to_account_info(),
        ctx.accounts.vault.to_account_info(),
        ctx.accounts.mint.to_account_info(),
        ctx.accounts.destination.to_account_info(),
        ctx.accounts.token_program.key(),
        amount,
    )?;
    let destination = ctx.accounts.destination.key();
    let stablecoin = &mut ctx.accounts.stablecoin;
    stablecoin.buckets.operations = 0;
    stablecoin.total_swept_to_operations = stablecoin
        .total_swept_to_operations
        .checked_add(amount)
        .ok_or(TreasuryError::MathOverflow)?;
    stablecoin.invariant()?;
    emit_cpi!(OperationsSwept {
        mint: stablecoin.mint,
        destination,
        amount,
        bucket_before: amount,
        bucket_after: 0,
        timestamp: now,
    });
    Ok(())
}
