use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenInterface, TransferChecked};

use crate::constants::TREASURY_ADDRESS;
use crate::events::RevenueReceived;
use crate::state::{Stablecoin, Treasury};

/// Arguments of `pay`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct PayArgs {
    /// Stablecoin base units paid (> 0).
    pub amount: u64,
    /// The customer's reference (an invoice id), echoed in the event.
    pub reference: [u8; 32],
}

/// A customer pays for service in an accepted stablecoin. The amount is split into the buyback,
/// stakers and operations buckets (rounding dust to buyback) and the reference is emitted.
#[event_cpi]
#[derive(Accounts)]
pub struct Pay<'info> {
    /// The customer; owns `payer_tokens`.
    pub payer: Signer<'info>,

    /// The treasury config (for the split), at its PDA `["treasury"]`.
    #[account(address = TREASURY_ADDRESS)]
    pub treasury: Box<Account<'info, Treasury>>,

    /// The coin's ledger, PDA `["stablecoin", mint]`. Only `add_stablecoin` creates these, at
    /// that PDA, so the program-owned, typed account with this `mint` is the one (the PDA is not
    /// derived again here: that would cost ~1,500 CU).
    #[account(mut, has_one = mint, has_one = vault, has_one = token_program)]
    pub stablecoin: Box<Account<'info, Stablecoin>>,

    /// CHECK: the stablecoin's mint (`has_one`); the token program checks it against both token
    /// accounts and the decimals.
    pub mint: UncheckedAccount<'info>,

    /// CHECK: the coin's vault (`has_one`).
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,

    /// CHECK: the customer's token account; the token program checks that `payer` owns it and
    /// that its mint is `mint`.
    #[account(mut)]
    pub payer_tokens: UncheckedAccount<'info>,

    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handler(ctx: Context<Pay>, args: PayArgs) -> Result<()> {
    let payer = ctx.accounts.payer.key();
    let (parts, before, after, total) = receive(
        &ctx.accounts.treasury,
        &mut ctx.accounts.stablecoin,
        TransferChecked {
            from: ctx.accounts.payer_tokens.to_account_info(),
            mint: ctx.accounts.mint.to_account_info(),
            to: ctx.accounts.vault.to_account_info(),
            authority: ctx.accounts.payer.to_account_info(),
        },
        ctx.accounts.token_program.to_account_info(),
        args.amount,
    )?;
    emit_cpi!(RevenueReceived {
        reference: args.reference,
        payer,
        by_operator: false,
        customer: payer,
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

/// Books the payment, then moves the tokens into the vault. Shared by `pay` and `pay_for`.
pub(crate) fn receive<'info>(
    treasury: &Treasury,
    stablecoin: &mut Stablecoin,
    transfer: TransferChecked<'info>,
    token_program: AccountInfo<'info>,
    amount: u64,
) -> Result<(
    crate::math::SplitAmounts,
    crate::state::Buckets,
    crate::state::Buckets,
    u64,
)> {
    // `record_payment` refuses zero and a disabled coin before anything moves.
    let split = treasury.split.checked()?;
    let (parts, before) = stablecoin.record_payment(&split, amount)?;
    token_interface::transfer_checked(
        CpiContext::new(token_program.key(), transfer),
        amount,
        stablecoin.decimals,
    )?;
    Ok((parts, before, stablecoin.buckets, stablecoin.total_received))
}
