use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Burn, TokenInterface};
use depin_common::token::TokenAccountView;
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;

use crate::constants::{STABLE_CLAIM_AUTHORITY, TREASURY_ADDRESS};
use crate::error::TreasuryError;
use crate::events::ClaimBought;
use crate::math::price::{ClaimQuote, claim_quote};
use crate::oracle::{CheckedPrice, price_error, use_price};
use crate::state::{Stablecoin, Treasury};
use crate::token_data;

/// Arguments of `buy_claim`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct BuyClaimArgs {
    /// The claimed network tokens (base units), already in the coin's `bought` account.
    pub amount: u64,
    /// The least stablecoin (base units) the claimant accepts.
    pub min_stable_out: u64,
}

/// The treasury buys a claim's network tokens from the coin's buyback bucket and burns them: a
/// buyback moved earlier, at `floor(amount x min(oracle bound, pinned pool's spot price))`,
/// within the bucket and the same per-epoch cap as `buyback`. Only the rewards program's
/// `["stable_claim"]` PDA may sign it (`rewards::claim_in_stablecoin`, which has just verified
/// the claim and moved the tokens into `bought`): nobody can sell other tokens to the bucket.
#[event_cpi]
#[derive(Accounts)]
pub struct BuyClaim<'info> {
    /// The rewards program's `["stable_claim"]` PDA (address checked).
    #[account(address = STABLE_CLAIM_AUTHORITY @ TreasuryError::NotStableClaimAuthority)]
    pub claim_authority: Signer<'info>,

    /// The treasury config, at its PDA `["treasury"]`.
    #[account(mut, address = TREASURY_ADDRESS, has_one = network_mint)]
    pub treasury: Box<Account<'info, Treasury>>,

    /// The coin's ledger, PDA `["stablecoin", mint]` (program-owned and typed: only
    /// `add_stablecoin` creates these).
    #[account(
        mut,
        has_one = vault,
        has_one = bought,
        constraint = stablecoin.mint == stable_mint.key() @ TreasuryError::WrongStablecoin,
        constraint = stablecoin.token_program == stable_token_program.key()
            @ TreasuryError::WrongStablecoin,
    )]
    pub stablecoin: Box<Account<'info, Stablecoin>>,

    /// CHECK: the coin's vault (`has_one`); it pays the claimant.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,

    /// CHECK: the coin's mint (checked against the ledger); the token program checks it in the
    /// transfer.
    pub stable_mint: UncheckedAccount<'info>,

    /// CHECK: the wallet whose claim this is; it must own `destination` (read in the handler).
    pub claimant: UncheckedAccount<'info>,

    /// CHECK: the claimant's token account of the coin: owner, mint and token program read in
    /// the handler (`WrongClaimDestination`).
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,

    /// CHECK: the network token (`has_one` on the treasury); its supply and decimals are read,
    /// and the token program checks it in the burn.
    #[account(mut, owner = network_token_program.key())]
    pub network_mint: UncheckedAccount<'info>,

    /// CHECK: the coin's `bought` account (`has_one`), owned by the stablecoin PDA, holding the
    /// claimed tokens the rewards program moved in.
    #[account(mut)]
    pub bought: UncheckedAccount<'info>,

    /// The token/USD price: owned by the Pyth receiver and of the `PriceUpdateV2` type (both
    /// checked by `Account`); feed, age, verification, confidence and order as for `buyback`.
    pub price_update: Box<Account<'info, PriceUpdateV2>>,

    /// CHECK: the pinned pool's reserve of this coin (`Stablecoin::pinned_reserves`, as for
    /// `buyback`).
    pub pool_quote_reserve: UncheckedAccount<'info>,

    /// CHECK: the pinned pool's reserve of the network token (as above).
    pub pool_token_reserve: UncheckedAccount<'info>,

    pub stable_token_program: Interface<'info, TokenInterface>,
    pub network_token_program: Interface<'info, TokenInterface>,
}

impl BuyClaim<'_> {
    /// `destination` is a token account of the coin, under its token program, owned by
    /// `claimant`.
    fn check_destination(&self) -> Result<()> {
        let coin = &self.stablecoin;
        let data = self.destination.try_borrow_data()?;
        let ok = *self.destination.owner == coin.token_program
            && TokenAccountView::from_bytes(&data).is_some_and(|a| {
                a.mint() == coin.mint.to_bytes() && a.owner() == self.claimant.key().to_bytes()
            });
        require!(ok, TreasuryError::WrongClaimDestination);
        Ok(())
    }

    /// The price of the claim: the oracle bound (checked and used as `buyback` uses it) and the
    /// pinned pool's reserves, then the quote for `amount` tokens.
    fn quote(&mut self, amount: u64, now: i64) -> Result<(CheckedPrice, (u64, u64), ClaimQuote)> {
        let price = use_price(&mut self.treasury, &self.price_update, now)?;
        let reserves = self.stablecoin.pinned_reserves(
            &self.pool_quote_reserve,
            &self.pool_token_reserve,
            &self.network_token_program.key(),
            &self.treasury.network_mint,
        )?;
        let quote = claim_quote(
            amount,
            token_data::decimals(&self.network_mint)?,
            self.stablecoin.decimals,
            price.bound,
            reserves,
        )
        .map_err(price_error)?;
        Ok((price, reserves, quote))
    }

    /// Burns the claimed tokens from `bought`, the ledger signing; checks the supply fell by
    /// exactly `amount`. Returns the supply before and after.
    fn burn(&self, amount: u64) -> Result<(u64, u64)> {
        require!(
            token_data::amount(&self.bought)? >= amount,
            TreasuryError::ClaimTokensMissing
        );
        let supply_before = token_data::supply(&self.network_mint)?;
        let seeds = self.stablecoin.signer_seeds();
        token_interface::burn(
            CpiContext::new_with_signer(
                self.network_token_program.key(),
                Burn {
                    mint: self.network_mint.to_account_info(),
                    from: self.bought.to_account_info(),
                    authority: self.stablecoin.to_account_info(),
                },
                &[&seeds],
            ),
            amount,
        )?;
        let supply_after = token_data::supply(&self.network_mint)?;
        require!(
            supply_before.checked_sub(supply_after) == Some(amount),
            TreasuryError::InvariantViolated
        );
        Ok((supply_before, supply_after))
    }

    /// Pays `out` from the vault to the claimant; checks the vault lost exactly that.
    fn pay(&self, out: u64) -> Result<()> {
        let vault_before = token_data::amount(&self.vault)?;
        self.stablecoin.pay_out(
            self.stablecoin.to_account_info(),
            self.vault.to_account_info(),
            self.stable_mint.to_account_info(),
            self.destination.to_account_info(),
            self.stable_token_program.key(),
            out,
        )?;
        require!(
            vault_before.checked_sub(token_data::amount(&self.vault)?) == Some(out),
            TreasuryError::InvariantViolated
        );
        Ok(())
    }
}

pub fn handler(mut ctx: Context<BuyClaim>, args: BuyClaimArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    require!(args.amount > 0, TreasuryError::ZeroAmount);
    let a = &mut ctx.accounts;
    require!(a.stablecoin.enabled, TreasuryError::StablecoinDisabled);
    a.check_destination()?;
    let (price, (quote_reserve, token_reserve), quote) = a.quote(args.amount, now)?;
    require!(quote.out > 0, TreasuryError::ZeroStableOut);
    require!(
        quote.out >= args.min_stable_out,
        TreasuryError::StableOutBelowMinimum
    );
    let epoch = a.treasury.buyback_epoch(now)?;
    let bucket_before = a.stablecoin.buckets.buyback;
    let spent_before = a.stablecoin.buyback_budget(epoch, quote.out)?;

    let (supply_before, supply_after) = a.burn(args.amount)?;
    a.pay(quote.out)?;
    let spent_after = a.stablecoin.book_buyback(quote.out, epoch, spent_before)?;
    a.treasury.count_bought_burned(args.amount)?;

    let event = ClaimBought {
        stable_mint: a.stablecoin.mint,
        claimant: a.claimant.key(),
        destination: a.destination.key(),
        tokens_burned: args.amount,
        stable_out: quote.out,
        out_at_bound: quote.at_bound,
        out_at_pool: quote.at_pool,
        min_stable_out: args.min_stable_out,
        price_bound: price.bound.mantissa,
        price_exponent: price.bound.exponent,
        ema_price: price.ema_price,
        ema_conf: price.ema_conf,
        publish_time: price.publish_time,
        pool_quote_reserve: quote_reserve,
        pool_token_reserve: token_reserve,
        buyback_bucket_before: bucket_before,
        buyback_bucket_after: a.stablecoin.buckets.buyback,
        epoch,
        spent_in_epoch_after: spent_after,
        supply_before,
        supply_after,
        timestamp: now,
    };
    emit_cpi!(event);
    Ok(())
}
