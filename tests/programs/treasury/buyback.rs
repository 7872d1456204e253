//! `treasury::buyback`: a real spl-token-swap pool, a Pyth `PriceUpdateV2`, the burn in the same
//! instruction, the per-epoch cap, and every price and account attack refused.
use anchor_lang::prelude::{AccountMeta, Pubkey};
use harness::amm::{SWAP_PROGRAM_ID, create_pool, expected_swap, swap_data};
use harness::builders::treasury_ix::*;
use harness::pyth::set_price_update;
use harness::solana_signer::Signer;
use harness::*;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use treasury::error::TreasuryError;
use treasury::events::BuybackExecuted;
use treasury::math::price::{PriceBound, min_tokens_out};

use super::fixture::*;

const BOUND_PRICE: PriceBound = PriceBound {
    mantissa: BOUND,
    exponent: -8,
};

/// A funded treasury: 20,000 paid, so 12,000 in the buyback bucket.
fn funded() -> Fx {
    let mut fx = fixture(TokenProgram::SplToken);
    fx.pay(20_000 * UNIT);
    assert_eq!(fx.stablecoin().buckets.buyback, 12_000 * UNIT);
    fx
}

/// Everything a refused buyback must leave as it was.
fn snapshot(fx: &Fx) -> (treasury::state::Stablecoin, u64, u64, u64) {
    let pool = fx.pool.unwrap();
    (
        fx.stablecoin(),
        fx.supply(),
        fx.balance(&pool.vault_a),
        fx.balance(&pool.vault_b),
    )
}

fn refused(fx: &mut Fx, ix: Instruction, code: u32) {
    let before = snapshot(fx);
    let result = fx.env.send_fresh(&[ix], &[]);
    assert_custom_error(&result, 0, code);
    assert_eq!(before, snapshot(fx));
}

#[test]
fn buys_through_the_pool_and_burns_every_token_bought() {
    let mut fx = funded();
    let pool = fx.pool.unwrap();
    let supply_before = fx.supply();
    let quote_in = 1_000 * UNIT;
    let (taken, out) = expected_swap(POOL_STABLE, POOL_TOKENS, quote_in);
    // 1,000 stablecoins into 1M/2M reserves after 0.3% fees: 1,992.013962 tokens.
    assert_eq!((taken, out), (1_000_000_000, 1_992_013_962));

    let ix = fx.buyback_ix(quote_in);
    let meta = expect_ok(fx.env.send_fresh(&[ix], &[]));

    let s = fx.stablecoin();
    assert_eq!(s.buckets.buyback, 12_000 * UNIT - taken);
    assert_eq!((s.total_bought_back, s.spent_in_epoch), (taken, taken));
    assert_eq!(fx.balance(&s.vault), 20_000 * UNIT - taken);
    assert_eq!(fx.balance(&s.bought), 0);
    assert_eq!(fx.supply(), supply_before - out);
    assert_eq!(
        (fx.balance(&pool.vault_a), fx.balance(&pool.vault_b)),
        (POOL_STABLE + taken, POOL_TOKENS - out)
    );
    assert_eq!(fx.treasury().total_bought_burned, out);

    let min_out = min_tokens_out(taken, 6, 6, BOUND_PRICE, 300).unwrap();
    // 1,000 x 0.97 / 0.4975 = 1,949.748743... tokens, rounded up.
    assert_eq!(min_out, 1_949_748_744);
    let events: Vec<BuybackExecuted> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.stable_mint,
            e.quote_spent,
            e.tokens_bought,
            e.tokens_burned,
            e.min_tokens_out
        ),
        (fx.stable, taken, out, out, min_out)
    );
    assert_eq!(
        (e.price_bound, e.price_exponent, e.ema_price, e.ema_conf),
        (BOUND, -8, EMA, EMA_CONF)
    );
    assert_eq!(
        (
            e.buyback_bucket_before,
            e.buyback_bucket_after,
            e.epoch,
            e.spent_in_epoch_after
        ),
        (12_000 * UNIT, 12_000 * UNIT - taken, 0, taken)
    );
    assert_eq!(
        (e.supply_before, e.supply_after, e.amm_program),
        (supply_before, supply_before - out, SWAP_PROGRAM_ID)
    );
}

#[test]
fn refuses_a_stale_price() {
    let mut fx = funded();
    fx.env.warp_to_timestamp(fx.env.now() + 1_000);
    fx.set_price(|p| p.publish_time -= 61);
    let ix = fx.buyback_ix(UNIT);
    refused(&mut fx, ix, TreasuryError::StalePrice.into());
    // 60 s old is still fresh.
    fx.set_price(|p| p.publish_time -= 60);
    expect_ok(fx.env.send_fresh(&[fx.buyback_ix(UNIT)], &[]));
}

#[test]
fn refuses_another_feed() {
    let mut fx = funded();
    fx.set_price(|p| p.feed_id[0] ^= 1);
    let ix = fx.buyback_ix(UNIT);
    refused(&mut fx, ix, TreasuryError::WrongPriceFeed.into());
}

#[test]
fn refuses_a_price_account_owned_by_another_program() {
    let mut fx = funded();
    let now = fx.env.now();
    let key = fx.price;
    // The same bytes, written by someone other than the Pyth receiver.
    set_price_update(&mut fx.env, key, Pubkey::new_unique(), price(now));
    let ix = fx.buyback_ix(UNIT);
    refused(
        &mut fx,
        ix,
        anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram.into(),
    );
}

#[test]
fn refuses_a_partially_verified_price() {
    let mut fx = funded();
    fx.set_price(|p| p.verification = VerificationLevel::Partial { num_signatures: 5 });
    let ix = fx.buyback_ix(UNIT);
    refused(&mut fx, ix, TreasuryError::PriceNotVerified.into());
}

#[test]
fn refuses_too_wide_a_confidence() {
    let mut fx = funded();
    // 2% is the limit: 1,000,001 / 50,000,000 is just over it.
    fx.set_price(|p| p.ema_conf = 1_000_001);
    let ix = fx.buyback_ix(UNIT);
    refused(&mut fx, ix, TreasuryError::PriceTooUncertain.into());
}

#[test]
fn refuses_a_non_positive_price() {
    let mut fx = funded();
    fx.set_price(|p| {
        p.ema_price = 0;
        p.ema_conf = 0;
    });
    let ix = fx.buyback_ix(UNIT);
    refused(&mut fx, ix, TreasuryError::InvalidPrice.into());
}

#[test]
fn a_manipulated_pool_fails_the_bound() {
    let mut fx = funded();
    let pool = fx.pool.unwrap();
    // An attacker buys 300,000 stablecoins' worth of tokens first, pushing the pool's price of
    // the token from 0.50 to about 0.84 USD.
    let attacker = fx.env.funded_keypair();
    let authority = fx.mint_authority.insecure_clone();
    let a_stable = create_token_account(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.stable,
        &attacker.pubkey(),
    );
    let a_tokens = create_token_account(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.network_mint,
        &attacker.pubkey(),
    );
    mint_to(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.stable,
        &authority,
        &a_stable,
        300_000 * UNIT,
    );
    let push = pool.swap_ix(
        attacker.pubkey(),
        a_stable,
        a_tokens,
        true,
        300_000 * UNIT,
        0,
    );
    expect_ok(fx.env.send_fresh(&[push], &[&attacker]));

    let ix = fx.buyback_ix(1_000 * UNIT);
    refused(&mut fx, ix, TreasuryError::BuybackBelowBound.into());
}

#[test]
fn the_epoch_cap_stops_spending_until_the_next_epoch() {
    let mut fx = fixture(TokenProgram::SplToken);
    fx.pay(40_000 * UNIT); // buyback bucket: 24,000
    expect_ok(fx.env.send_fresh(&[fx.buyback_ix(6_000 * UNIT)], &[]));
    let spent = fx.stablecoin().spent_in_epoch;
    assert_eq!(spent, 6_000 * UNIT);
    // One unit over the remaining cap is refused; exactly the remainder is not.
    let over = fx.buyback_ix(CAP - spent + 1);
    refused(&mut fx, over, TreasuryError::BuybackCapReached.into());
    expect_ok(fx.env.send_fresh(&[fx.buyback_ix(CAP - spent)], &[]));
    assert_eq!(fx.stablecoin().spent_in_epoch, CAP);
    let more = fx.buyback_ix(UNIT);
    refused(&mut fx, more, TreasuryError::BuybackCapReached.into());

    // The next buyback epoch (a day later) starts from zero.
    let next = fx.treasury().created_at + 86_400;
    fx.env.warp_to_timestamp(next);
    fx.set_price(|_| {});
    expect_ok(fx.env.send_fresh(&[fx.buyback_ix(UNIT)], &[]));
    let s = fx.stablecoin();
    assert_eq!((s.buyback_epoch, s.spent_in_epoch), (1, UNIT));
}

#[test]
fn refuses_more_than_the_bucket() {
    let mut fx = fixture(TokenProgram::SplToken);
    fx.pay(1_000 * UNIT); // bucket: 600
    let ix = fx.buyback_ix(600 * UNIT + 1);
    refused(&mut fx, ix, TreasuryError::InsufficientBucket.into());
}

#[test]
fn refuses_a_swap_that_takes_more_than_offered() {
    let mut fx = funded();
    let mut ix = fx.buyback_ix(1_000 * UNIT);
    // The crank offers 1,000 but the forwarded swap asks for 2,000.
    let data = anchor_lang::InstructionData::data(&treasury::instruction::Buyback {
        args: BuybackArgs {
            quote_in: 1_000 * UNIT,
            swap_data: swap_data(2_000 * UNIT, 0),
        },
    });
    ix.data = data;
    refused(&mut fx, ix, TreasuryError::SwapSpentWrongAmount.into());
}

#[test]
fn refuses_another_amm_program() {
    let mut fx = funded();
    let mut ix = fx.buyback_ix(UNIT);
    // The `amm_program` account (index 6) replaced by another executable program.
    ix.accounts[6] = AccountMeta::new_readonly(rewards::ID, false);
    refused(&mut fx, ix, TreasuryError::WrongAmmProgram.into());
}

#[test]
fn refuses_a_pool_of_the_cranks_making() {
    let mut fx = funded();
    let authority = fx.mint_authority.insecure_clone();
    // A pool the crank created at a worse price for the treasury.
    let own = create_pool(
        &mut fx.env,
        TokenProgram::SplToken,
        &authority,
        (fx.stable, 1_000 * UNIT),
        (fx.network_mint, 1_000 * UNIT),
    );
    let swap = fx.swap_accounts(&own, bought_pda(&fx.stable).0);
    let ix = fx.buyback_ix_through(UNIT, swap);
    refused(&mut fx, ix, TreasuryError::WrongAmmPool.into());
}

/// The review's F1: the crank trades in a pool of its own making, priced just above the oracle
/// bound (so it keeps the gap to the market), and appends the pinned pool's address so that the
/// pool "appears among the accounts". The pinned pool's reserves did not move: refused.
#[test]
fn refuses_a_pool_of_the_cranks_making_with_the_pinned_pool_appended() {
    let mut fx = funded();
    let authority = fx.mint_authority.insecure_clone();
    // 1 stablecoin buys 1.952 tokens here (the bound asks for 1.9497), 1.992 in the pinned pool.
    let own = create_pool(
        &mut fx.env,
        TokenProgram::SplToken,
        &authority,
        (fx.stable, 1_000 * UNIT),
        (fx.network_mint, 1_960 * UNIT),
    );
    let mut swap = fx.swap_accounts(&own, bought_pda(&fx.stable).0);
    // spl-token-swap reads an 11th account as the host fee account (a pool-token account), and
    // ignores any after it: so the crank's own fee account, then the pinned pool.
    swap.push(AccountMeta::new(own.fee_account, false));
    swap.push(AccountMeta::new_readonly(fx.pool.unwrap().swap, false));
    let ix = fx.buyback_ix_through(UNIT, swap);
    let own_before = (fx.balance(&own.vault_a), fx.balance(&own.vault_b));
    refused(&mut fx, ix, TreasuryError::PoolReservesMismatch.into());
    assert_eq!(
        (fx.balance(&own.vault_a), fx.balance(&own.vault_b)),
        own_before
    );
}

#[test]
fn refuses_reserves_other_than_the_pinned_ones() {
    let mut fx = funded();
    let pool = fx.pool.unwrap();
    let venue = fx.venue();
    assert_eq!(
        (venue.pool, venue.quote_reserve, venue.token_reserve),
        (pool.swap, pool.vault_a, pool.vault_b)
    );
    // `pool_quote_reserve` is account index 7, `pool_token_reserve` index 8.
    for (index, other) in [(7, pool.vault_b), (8, pool.vault_a)] {
        let mut ix = fx.buyback_ix(UNIT);
        ix.accounts[index] = AccountMeta::new_readonly(other, false);
        refused(&mut fx, ix, TreasuryError::WrongPoolReserve.into());
    }
}

#[test]
fn refuses_a_price_older_than_the_last_one_used() {
    let mut fx = funded();
    let first = fx.env.now();
    let ix = fx.buyback_ix(UNIT);
    expect_ok(fx.env.send_fresh(&[ix], &[]));
    assert_eq!(fx.treasury().last_price_publish_time, first);
    // Half a minute later, an update published a second before the one used (still within the
    // minute's maximum age) is refused; the same update again, or a newer one, passes.
    fx.env.warp_to_timestamp(first + 30);
    fx.set_price(|p| p.publish_time = first - 1);
    let ix = fx.buyback_ix(UNIT);
    refused(&mut fx, ix, TreasuryError::PriceOlderThanLastUsed.into());
    fx.set_price(|p| p.publish_time = first);
    let ix = fx.buyback_ix(UNIT);
    expect_ok(fx.env.send_fresh(&[ix], &[]));
    fx.set_price(|p| p.publish_time = first + 30);
    let ix = fx.buyback_ix(UNIT);
    expect_ok(fx.env.send_fresh(&[ix], &[]));
    assert_eq!(fx.treasury().last_price_publish_time, first + 30);
}

#[test]
fn refuses_a_swap_whose_output_goes_elsewhere() {
    let mut fx = funded();
    let pool = fx.pool.unwrap();
    let thief = create_token_account(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.network_mint,
        &Pubkey::new_unique(),
    );
    let swap = fx.swap_accounts(&pool, thief);
    let ix = fx.buyback_ix_through(1_000 * UNIT, swap);
    refused(&mut fx, ix, TreasuryError::BuybackBelowBound.into());
    assert_eq!(fx.balance(&thief), 0);
}

#[test]
fn refuses_a_substituted_bought_account() {
    let mut fx = funded();
    let other = create_token_account(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.network_mint,
        &Pubkey::new_unique(),
    );
    let mut ix = fx.buyback_ix(UNIT);
    // `bought` is account index 4.
    ix.accounts[4] = AccountMeta::new(other, false);
    refused(
        &mut fx,
        ix,
        anchor_lang::error::ErrorCode::ConstraintHasOne.into(),
    );
}

#[test]
fn refuses_zero_and_oversized_swap_data() {
    let mut fx = funded();
    let ix = fx.buyback_ix(0);
    refused(&mut fx, ix, TreasuryError::ZeroAmount.into());
    let mut ix = fx.buyback_ix(UNIT);
    ix.data = anchor_lang::InstructionData::data(&treasury::instruction::Buyback {
        args: BuybackArgs {
            quote_in: UNIT,
            swap_data: vec![1; 257],
        },
    });
    refused(&mut fx, ix, TreasuryError::SwapDataTooLong.into());
}
