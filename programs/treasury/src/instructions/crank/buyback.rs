use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;
use anchor_spl::token_interface::{self, Burn, TokenInterface};
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;

use crate::constants::{MAX_SWAP_DATA_LEN, TREASURY_ADDRESS};
use crate::error::TreasuryError;
use crate::events::BuybackExecuted;
use crate::math::price::min_tokens_out;
use crate::oracle::{price_error, use_price};
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
/// account), then checks the outcome: the vault lost at most `quote_in`, `bought` gained at
/// least the oracle bound's minimum, and the pinned pool's two reserves moved by exactly what
/// the vault lost and `bought` gained (the trade went through that pool, whatever other accounts
/// the crank appended), and the vault and `bought` still belong to the ledger alone.
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

    /// CHECK: the pinned pool's reserve of this coin: its address, mint and token program are
    /// checked by `Stablecoin::pinned_reserves`. Read before and after the swap.
    pub pool_quote_reserve: UncheckedAccount<'info>,

    /// CHECK: the pinned pool's reserve of the network token (as above).
    pub pool_token_reserve: UncheckedAccount<'info>,

    pub network_token_program: Interface<'info, TokenInterface>,
}

/// What the swap may move, read before and after it.
#[derive(Clone, Copy)]
struct Balances {
    vault: u64,
    bought: u64,
    quote_reserve: u64,
    token_reserve: u64,
}

/// What the swap did, once checked: the stablecoin it took and the network tokens it gave.
struct Trade {
    spent: u64,
    tokens_bought: u64,
}

impl<'info> Buyback<'info> {
    fn balances(&self) -> Result<Balances> {
        let (quote_reserve, token_reserve) = self.stablecoin.pinned_reserves(
            &self.pool_quote_reserve,
            &self.pool_token_reserve,
            &self.network_token_program.key(),
            &self.treasury.network_mint,
        )?;
        Ok(Balances {
            vault: token_data::amount(&self.vault)?,
            bought: token_data::amount(&self.bought)?,
            quote_reserve,
            token_reserve,
        })
    }

    /// The vault's and `bought`'s data lengths, which the swap must not change.
    fn lengths(&self) -> (usize, usize) {
        (self.vault.data_len(), self.bought.data_len())
    }

    /// After the swap, the vault and `bought` still belong to the ledger alone: the AMM ran with
    /// the ledger PDA's signature, so it could have approved a delegate, set a close authority,
    /// or reallocated a Token-2022 account to add extensions (their lengths must not change).
    fn check_still_held(&self, lengths: (usize, usize)) -> Result<()> {
        require!(
            self.lengths() == lengths,
            TreasuryError::TokenAccountTampered
        );
        let coin = &self.stablecoin;
        let owner = coin.key();
        token_data::check_held(&self.vault, &coin.token_program, &coin.mint, &owner)?;
        token_data::check_held(
            &self.bought,
            &self.network_token_program.key(),
            &self.treasury.network_mint,
            &owner,
        )
    }
}

impl Balances {
    /// The trade, if the vault paid at most `quote_in`, `bought` received at least what the price
    /// bound requires (`min_out(spent)`), and the pinned pool's reserves moved by exactly those
    /// amounts (spl-token-swap keeps its trading fee inside the reserves, and pays the owner's fee
    /// in pool tokens, so the reserves move by the gross amounts).
    fn trade(
        &self,
        after: &Balances,
        quote_in: u64,
        min_out: impl FnOnce(u64) -> Result<u64>,
    ) -> Result<(Trade, u64)> {
        // The AMM may take less than offered (spl-token-swap rounds its input down), never more.
        let spent = self
            .vault
            .checked_sub(after.vault)
            .filter(|s| *s > 0 && *s <= quote_in)
            .ok_or(TreasuryError::SwapSpentWrongAmount)?;
        let min_out = min_out(spent)?;
        let tokens_bought = after
            .bought
            .checked_sub(self.bought)
            .filter(|b| *b >= min_out)
            .ok_or(TreasuryError::BuybackBelowBound)?;
        require!(
            after.quote_reserve.checked_sub(self.quote_reserve) == Some(spent)
                && self.token_reserve.checked_sub(after.token_reserve) == Some(tokens_bought),
            TreasuryError::PoolReservesMismatch
        );
        Ok((
            Trade {
                spent,
                tokens_bought,
            },
            min_out,
        ))
    }
}

pub fn handler<'info>(ctx: Context<'info, Buyback<'info>>, args: BuybackArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    require!(args.quote_in > 0, TreasuryError::ZeroAmount);
    require!(
        args.swap_data.len() <= MAX_SWAP_DATA_LEN,
        TreasuryError::SwapDataTooLong
    );
    let price = use_price(&mut ctx.accounts.treasury, &ctx.accounts.price_update, now)?;
    let epoch = ctx.accounts.treasury.buyback_epoch(now)?;
    let bucket_before = ctx.accounts.stablecoin.buckets.buyback;
    let spent_before = ctx
        .accounts
        .stablecoin
        .buyback_budget(epoch, args.quote_in)?;
    let pool = ctx.accounts.stablecoin.venue.pool;
    require!(
        ctx.remaining_accounts.iter().any(|a| a.key() == pool),
        TreasuryError::WrongAmmPool
    );

    // The swap, signed by the stablecoin PDA.
    let before = ctx.accounts.balances()?;
    let lengths = ctx.accounts.lengths();
    let supply_before = token_data::supply(&ctx.accounts.network_mint)?;
    let seeds = ctx.accounts.stablecoin.signer_seeds();
    swap(&ctx, args.swap_data, &seeds)?;
    let after = ctx.accounts.balances()?;
    ctx.accounts.check_still_held(lengths)?;
    let network_decimals = token_data::decimals(&ctx.accounts.network_mint)?;
    let (trade, min_out) = before.trade(&after, args.quote_in, |spent| {
        min_tokens_out(
            spent,
            ctx.accounts.stablecoin.decimals,
            network_decimals,
            price.bound,
            ctx.accounts.treasury.price.max_slippage_bps,
        )
        .map_err(price_error)
    })?;

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
        trade.tokens_bought,
    )?;
    let supply_after = token_data::supply(&ctx.accounts.network_mint)?;
    require!(
        supply_before.checked_sub(supply_after) == Some(trade.tokens_bought),
        TreasuryError::InvariantViolated
    );
    let spent_after = book(ctx.accounts, &trade, epoch, spent_before)?;

    emit_cpi!(BuybackExecuted {
        stable_mint: ctx.accounts.stablecoin.mint,
        quote_spent: trade.spent,
        tokens_bought: trade.tokens_bought,
        tokens_burned: trade.tokens_bought,
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

/// Forwards the swap to the AMM with the remaining accounts, the stablecoin PDA signing.
fn swap<'info>(
    ctx: &Context<'info, Buyback<'info>>,
    data: Vec<u8>,
    seeds: &[&[u8]; 3],
) -> Result<()> {
    let authority = ctx.accounts.stablecoin.key();
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
        data,
    };
    invoke_signed(&swap, ctx.remaining_accounts, &[seeds])?;
    Ok(())
}

/// Books the trade: the bucket, the epoch's spending and the totals. Returns the epoch's spending.
fn book(accounts: &mut Buyback, trade: &Trade, epoch: u64, spent_before: u64) -> Result<u64> {
    let spent_after = accounts
        .stablecoin
        .book_buyback(trade.spent, epoch, spent_before)?;
    accounts.treasury.count_bought_burned(trade.tokens_bought)?;
    Ok(spent_after)
}
