use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{self, Burn, MintTo, TokenInterface};
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;

use crate::constants::TREASURY_ADDRESS;
use crate::error::TreasuryError;
use crate::events::CreditsMinted;
use crate::math::price::credits_for_burn;
use crate::oracle::{price_error, use_price};
use crate::state::Treasury;
use crate::token_data;

/// Burn-and-mint: the owner burns network tokens and receives non-transferable service credits
/// worth their USD value at the conservative oracle price (EMA minus k confidences), rounded down.
#[event_cpi]
#[derive(Accounts)]
pub struct BurnForCredits<'info> {
    /// Owns `owner_tokens`.
    pub owner: Signer<'info>,

    /// The treasury config, at its PDA `["treasury"]`.
    #[account(mut, address = TREASURY_ADDRESS, has_one = network_mint, has_one = credits_mint)]
    pub treasury: Box<Account<'info, Treasury>>,

    /// CHECK: the network token (`has_one`); its supply and decimals are read here, and the
    /// token program checks it in the burn.
    #[account(mut, owner = network_token_program.key())]
    pub network_mint: UncheckedAccount<'info>,

    /// CHECK: the owner's network tokens; the token program checks that `owner` owns them and
    /// that their mint is `network_mint`.
    #[account(mut)]
    pub owner_tokens: UncheckedAccount<'info>,

    /// The token/USD price (owner and type checked by `Account`).
    pub price_update: Box<Account<'info, PriceUpdateV2>>,

    /// CHECK: the credits mint (`has_one`), a Token-2022 mint the treasury PDA mints.
    #[account(mut)]
    pub credits_mint: UncheckedAccount<'info>,

    /// CHECK: receives the credits: any holder's credits account (buying credits for someone is
    /// allowed); Token-2022 checks that its mint is `credits_mint`.
    #[account(mut)]
    pub credits_account: UncheckedAccount<'info>,

    pub network_token_program: Interface<'info, TokenInterface>,
    pub token_2022_program: Program<'info, Token2022>,
}

pub fn handler(ctx: Context<BurnForCredits>, amount: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    require!(amount > 0, TreasuryError::ZeroAmount);
    let price = use_price(&mut ctx.accounts.treasury, &ctx.accounts.price_update, now)?;
    let credits = credits_for_burn(
        amount,
        token_data::decimals(&ctx.accounts.network_mint)?,
        price.bound,
        ctx.accounts.treasury.credits_per_usd,
    )
    .map_err(price_error)?;
    require!(credits > 0, TreasuryError::ZeroCredits);
    let supply_before = token_data::supply(&ctx.accounts.network_mint)?;

    token_interface::burn(
        CpiContext::new(
            ctx.accounts.network_token_program.key(),
            Burn {
                mint: ctx.accounts.network_mint.to_account_info(),
                from: ctx.accounts.owner_tokens.to_account_info(),
                authority: ctx.accounts.owner.to_account_info(),
            },
        ),
        amount,
    )?;
    let seeds = ctx.accounts.treasury.signer_seeds();
    token_interface::mint_to(
        CpiContext::new_with_signer(
            ctx.accounts.token_2022_program.key(),
            MintTo {
                mint: ctx.accounts.credits_mint.to_account_info(),
                to: ctx.accounts.credits_account.to_account_info(),
                authority: ctx.accounts.treasury.to_account_info(),
            },
            &[&seeds],
        ),
        credits,
    )?;
    let supply_after = token_data::supply(&ctx.accounts.network_mint)?;

    let treasury = &mut ctx.accounts.treasury;
    treasury.total_credit_burned = treasury
        .total_credit_burned
        .checked_add(amount)
        .ok_or(TreasuryError::MathOverflow)?;
    treasury.credits_minted = treasury
        .credits_minted
        .checked_add(credits)
        .ok_or(TreasuryError::MathOverflow)?;
    treasury.invariant()?;
    emit_cpi!(CreditsMinted {
        owner: ctx.accounts.owner.key(),
        tokens_burned: amount,
        credits,
        price_bound: price.bound.mantissa,
        price_exponent: price.bound.exponent,
        publish_time: price.publish_time,
        token_supply_before: supply_before,
        token_supply_after: supply_after,
        credits_minted_after: treasury.credits_minted,
        timestamp: now,
    });
    Ok(())
}
