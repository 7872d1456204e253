use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenInterface, TransferChecked};

use crate::constants::TREASURY_ADDRESS;
use crate::error::TreasuryError;
use crate::events::RevenueReceived;
use crate::instructions::user::pay::receive;
use crate::state::{Stablecoin, Treasury};

/// Arguments of `pay_for`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct PayForArgs {
    /// Stablecoin base units deposited (> 0).
    pub amount: u64,
    /// The customer's reference (an invoice id), echoed in the event.
    pub reference: [u8; 32],
    /// The customer who paid in fiat (an identifier the operator and customer agree on).
    pub customer: Pubkey,
}

/// The payment operator deposits revenue a customer paid in fiat, with the same reference trail
/// and the same split as `pay`.
#[event_cpi]
#[derive(Accounts)]
pub struct PayFor<'info> {
    /// The payment operator; owns `operator_tokens`.
    pub operator: Signer<'info>,

    #[account(
        address = TREASURY_ADDRESS,
        constraint = treasury.roles.payment_operator == operator.key() @ TreasuryError::NotPaymentOperator,
    )]
    pub treasury: Box<Account<'info, Treasury>>,

    /// The coin's ledger, PDA `["stablecoin", mint]` (see `pay`).
    #[account(mut, has_one = mint, has_one = vault, has_one = token_program)]
    pub stablecoin: Box<Account<'info, Stablecoin>>,

    /// CHECK: the stablecoin's mint (`has_one`); the token program checks it.
    pub mint: UncheckedAccount<'info>,

    /// CHECK: the coin's vault (`has_one`).
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,

    /// CHECK: the operator's token account; the token program checks its owner and mint.
    #[account(mut)]
    pub operator_tokens: UncheckedAccount<'info>,

    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handler(ctx: Context<PayFor>, args: PayForArgs) -> Result<()> {
    let (parts, before, after, total) = receive(
        &ctx.accounts.treasury,
        &mut ctx.accounts.stablecoin,
        TransferChecked {
            from: ctx.accounts.operator_tokens.to_account_info(),
            mint: ctx.accounts.mint.to_account_info(),
            to: ctx.accounts.vault.to_account_info(),
            authority: ctx.accounts.operator.to_account_info(),
        },
        ctx.accounts.token_program.to_account_info(),
        args.amount,
    )?;
    emit_cpi!(RevenueReceived {
        reference: args.reference,
        payer: ctx.accounts.operator.key(),
        by_operator: true,
        customer: args.customer,
        mint: ctx.accounts.stablecoin.mint,
        amount: args.amount,
        to_buyback: parts.buyback,
        to_stakers: parts.stakers,
        to_operations: parts.operations,
        buckets_before: before,
        buckets_after: after,
        total_received_after: total,
        timestamp: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
