use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{self, Burn, TokenAccount};

use crate::constants::TREASURY_ADDRESS;
use crate::error::TreasuryError;
use crate::events::CreditsConsumed;
use crate::state::Treasury;

/// Arguments of `consume_credits`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConsumeCreditsArgs {
    /// Credits the delivered service used (> 0).
    pub amount: u64,
    /// The operator's usage record, echoed in the event.
    pub usage_reference: [u8; 32],
}

/// The service operator records delivered service and burns the credits it used, as the credits
/// mint's permanent delegate (the treasury PDA).
#[event_cpi]
#[derive(Accounts)]
pub struct ConsumeCredits<'info> {
    pub service_operator: Signer<'info>,

    #[account(
        mut,
        address = TREASURY_ADDRESS,
        has_one = credits_mint,
        constraint = treasury.roles.service_operator == service_operator.key() @ TreasuryError::NotServiceOperator,
    )]
    pub treasury: Box<Account<'info, Treasury>>,

    /// CHECK: the credits mint (`has_one`); Token-2022 checks it in the burn.
    #[account(mut)]
    pub credits_mint: UncheckedAccount<'info>,

    /// The customer's credits (its mint checked here, so the event's owner is a credits holder).
    #[account(mut, token::mint = treasury.credits_mint)]
    pub credits_account: Box<InterfaceAccount<'info, TokenAccount>>,

    pub token_2022_program: Program<'info, Token2022>,
}

pub fn handler(ctx: Context<ConsumeCredits>, args: ConsumeCreditsArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    require!(args.amount > 0, TreasuryError::ZeroAmount);
    let balance_before = ctx.accounts.credits_account.amount;
    let seeds = ctx.accounts.treasury.signer_seeds();
    token_interface::burn(
        CpiContext::new_with_signer(
            ctx.accounts.token_2022_program.key(),
            Burn {
                mint: ctx.accounts.credits_mint.to_account_info(),
                from: ctx.accounts.credits_account.to_account_info(),
                authority: ctx.accounts.treasury.to_account_info(),
            },
            &[&seeds],
        ),
        args.amount,
    )?;
    let treasury = &mut ctx.accounts.treasury;
    treasury.credits_consumed = treasury
        .credits_consumed
        .checked_add(args.amount)
        .ok_or(TreasuryError::MathOverflow)?;
    treasury.invariant()?;
    emit_cpi!(CreditsConsumed {
        owner: ctx.accounts.credits_account.owner,
        credits: args.amount,
        usage_reference: args.usage_reference,
        balance_before,
        balance_after: balance_before.saturating_sub(args.amount),
        credits_consumed_after: treasury.credits_consumed,
        timestamp: now,
    });
    Ok(())
}
