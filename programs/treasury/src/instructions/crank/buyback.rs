use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;
use anchor_spl::token_interface::{self, Burn, TokenInterface};
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;

use crate::constants::{MAX_SWAP_DATA_LEN, TREASURY_ADDRESS};
use crate::error::TreasuryError;
use crate::events::BuybackExecuted;
use crate::math::price::min_tokens_out;
use crate::oracle::{checked_price, price_error};
use crate::state::{Stablecoin, Treasury};
use crate::token_data;

/// Arguments of `buyback`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct BuybackArgs {
    /// The most stablecoin base units the swap may take from the vault (it may take less).
    pub quote_in: u64,
    /// The AMM's swap instruction data, forwarded as is (at most 256 bytes).
    pub swap_data: Vec<u8>,
}

/// Permissionless crank: spends part of a stablecoin's buyback bucket on the network token
/// through the governance-allowed AMM, and burns every token bought, in one instruction.
///
/// The treasury does not parse the swap. It forwards `swap_data` and the remaining accounts to
/// the AMM with the stablecoin PDA as signer (that PDA owns only the vault and the `bought`
/// account), then checks the outcome: the vault lost at most `quote_in` and `bought` gained at
/// least the oracle bound's minimum. So any AMM works, and no AMM can take more or give less.
#[event_cpi]
#[derive(Accounts)]
pub struct Buyback<'info> {
    /// The treasury config, at its PDA `["treasury"]`.
    #[account(mut, address = TREASURY_ADDRESS, has_one = network_mint)]
    pub treasury: Box<Account<'info, Treasury>>,

    /// The coin's ledger, PDA `["stablecoin", mint]`: only `add_stablecoin` creates these, so
    /// this program-owned, typed account is one (which one does not matter: its own vault,
    /// `bought` account, pool and cap are what the instruction uses).
    #[account(mut, has_one = vault, has_one = bought)]
    pub stablecoin: Box<Account<'info, Stablecoin>>,

    /// CHECK: the coin's vault (`has_one`); its balance is read before and after the swap.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,

    /// CHECK: the network token (`has_one` on the treasury); its supply is read before and after
    /// the burn, and the token program checks it in the burn.
    #[account(mut, owner = network_token_program.key())]
    pub network_mint: UncheckedAccount<'info>,

    /// CHECK: the coin's `bought` account (`has_one`), owned by the stablecoin PDA.
    #[account(mut)]
    pub bought: UncheckedAccount<'info>,

    /// The token/USD price: owned by the Pyth receiver and of the `PriceUpdateV2` type (both
    /// checked by `Account`); its feed, age, verification and confidence are checked in the handler.
    pub price_update: Box<Account<'info, PriceUpdateV2>>,

    /// CHECK: only its address matters: the AMM governance allowed.
    #[account(executable, address = treasury.buyback.amm_program @ TreasuryError::WrongAmmProgram)]
    pub amm_program: UncheckedAccount<'info>,

    pub network_token_program: Interface<'info, TokenInterface>,
}

pub fn handler<'info>(ctx: Context<'info, Buyback<'info>>, args: BuybackArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    require!(args.quote_in > 0, TreasuryError::ZeroAmount);
    require!(
        args.swap_data.len() <= MAX_SWAP_DATA_LEN,
        TreasuryError::SwapDataTooLong
    );
    let price = checked_price(
        &ctx.accounts.price_update,
        &ctx.accounts.treasury.price,
        now,
    )?;

    // Budget: the bucket, and this epoch's cap.
    let epoch = ctx.accounts.treasury.buyback_epoch(now)?;
    let bucket_before = ctx.accounts.stablecoin.buckets.buyback;
    require!(
        args.quote_in <= bucket_before,
        TreasuryError::InsufficientBucket
    );
    let spent_before = if ctx.accounts.stablecoin.buyback_epoch == epoch {
        ctx.accounts.stablecoin.spent_in_epoch
    } else {
        0
    };
    require!(
        spent_before
            .checked_add(args.quote_in)
            .is_some_and(|s| s <= ctx.accounts.stablecoin.buyback_cap_per_epoch),
        TreasuryError::BuybackCapReached
    );
    let pool = ctx.accounts.stablecoin.amm_pool;
    require!(
        ctx.remaining_accounts.iter().any(|a| a.key() == pool),
        TreasuryError::WrongAmmPool
    );

    // The swap, signed by the stablecoin PDA.
    let vault_before = token_data::amount(&ctx.accounts.vault)?;
    let bought_before = token_data::amount(&ctx.accounts.bought)?;
    let supply_before = token_data::supply(&ctx.accounts.network_mint)?;
    let authority = ctx.accounts.stablecoin.key();
    let mint_key = ctx.accounts.stablecoin.mint;
    let seeds = ctx.accounts.stablecoin.signer_seeds();
    let swap = Instruction {
        program_id: ctx.accounts.amm_program.key(),
        accounts: ctx
            .remaining_accounts
            .iter()
            .map(|a| AccountMeta {
                pubkey: a.key(),
                is_signer: a.is_signer || a.key() == authority,
                is_writable: a.is_writable,
            })
            .collect(),
        data: args.swap_data,
    };
    invoke_signed(&swap, ctx.remaining_accounts, &[&seeds])?;

    // The outcome.
    let vault_after = token_data::amount(&ctx.accounts.vault)?;
    let bought_after = token_data::amount(&ctx.accounts.bought)?;
    // The AMM may take less than offered (spl-token-swap rounds its input down), never more.
    let spent = vault_before
        .checked_sub(vault_after)
        .ok_or(TreasuryError::SwapSpentWrongAmount)?;
    require!(
        spent > 0 && spent <= args.quote_in,
        TreasuryError::SwapSpentWrongAmount
    );
    let min_out = min_tokens_out(
        spent,
        ctx.accounts.stablecoin.decimals,
        token_data::decimals(&ctx.accounts.network_mint)?,
        price.bound,
        ctx.accounts.treasury.price.max_slippage_bps,
    )
    .map_err(price_error)?;
    let tokens_bought = bought_after
        .checked_sub(bought_before)
        .ok_or(TreasuryError::BuybackBelowBound)?;
    require!(tokens_bought >= min_out, TreasuryError::BuybackBelowBound);

    // Burn every token bought.
    token_interface::burn(
        CpiContext::new_with_signer(
            ctx.accounts.network_token_program.key(),
            Burn {
                mint: ctx.accounts.network_mint.to_account_info(),
                from: ctx.accounts.bought.to_account_info(),
                authority: ctx.accounts.stablecoin.to_account_info(),
            },
            &[&seeds],
        ),
        tokens_bought,
    )?;
    let supply_after = token_data::supply(&ctx.accounts.network_mint)?;
    require!(
        supply_before.checked_sub(supply_after) == Some(tokens_bought),
        TreasuryError::InvariantViolated
    );

    let spent_after = spent_before
        .checked_add(spent)
        .ok_or(TreasuryError::MathOverflow)?;
    let stablecoin = &mut ctx.accounts.stablecoin;
    stablecoin.buckets.buyback = bucket_before
        .checked_sub(spent)
        .ok_or(TreasuryError::MathOverflow)?;
    stablecoin.total_bought_back = stablecoin
        .total_bought_back
        .checked_add(spent)
        .ok_or(TreasuryError::MathOverflow)?;
    stablecoin.buyback_epoch = epoch;
    stablecoin.spent_in_epoch = spent_after;
    stablecoin.invariant()?;
    let treasury = &mut ctx.accounts.treasury;
    treasury.total_bought_burned = treasury
        .total_bought_burned
        .checked_add(tokens_bought)
        .ok_or(TreasuryError::MathOverflow)?;
    treasury.invariant()?;

    emit_cpi!(BuybackExecuted {
        stable_mint: mint_key,
        quote_spent: spent,
        tokens_bought,
        tokens_burned: tokens_bought,
        min_tokens_out: min_out,
        price_bound: price.bound.mantissa,
        price_exponent: price.bound.exponent,
        ema_price: price.ema_price,
        ema_conf: price.ema_conf,
        publish_time: price.publish_time,
        amm_program: ctx.accounts.amm_program.key(),
        buyback_bucket_before: bucket_before,
        buyback_bucket_after: ctx.accounts.stablecoin.buckets.buyback,
        epoch,
        spent_in_epoch_after: spent_after,
        supply_before,
        supply_after,
        timestamp: now,
    });
    Ok(())
}
