//! `treasury`: burn-and-mint service credits. A Token-2022 NonTransferable mint, minted at the
//! conservative oracle price, burned by the service operator as permanent delegate.
use anchor_lang::prelude::Pubkey;
use harness::builders::treasury_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use treasury::error::TreasuryError;
use treasury::events::{CreditsConsumed, CreditsMinted};

use super::fixture::*;

struct Credits {
    fx: Fx,
    holder: Keypair,
    holder_tokens: Pubkey,
    holder_credits: Pubkey,
}

fn with_credits() -> Credits {
    let mut fx = fixture(TokenProgram::SplToken);
    let governance = fx.governance.insecure_clone();
    expect_ok(fx.env.send_fresh(
        &[initialize_credits(initialize_credits_accounts(
            &fx.env,
            governance.pubkey(),
        ))],
        &[&governance],
    ));
    let holder = fx.env.funded_keypair();
    let holder_tokens = create_token_account(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.network_mint,
        &holder.pubkey(),
    );
    let authority = fx.mint_authority.insecure_clone();
    let network_mint = fx.network_mint;
    mint_to(
        &mut fx.env,
        TokenProgram::SplToken,
        &network_mint,
        &authority,
        &holder_tokens,
        1_000 * UNIT,
    );
    let holder_credits = create_ata(
        &mut fx.env,
        TokenProgram::Token2022,
        &credits_mint_pda().0,
        &holder.pubkey(),
    );
    Credits {
        fx,
        holder,
        holder_tokens,
        holder_credits,
    }
}

fn burn_ix(c: &Credits, amount: u64) -> Instruction {
    burn_for_credits(
        burn_for_credits_accounts(
            c.holder.pubkey(),
            c.fx.network_mint,
            TokenProgram::SplToken,
            c.holder_tokens,
            c.fx.price,
            c.holder_credits,
        ),
        amount,
    )
}

#[test]
fn the_credits_mint_is_non_transferable_with_the_treasury_as_delegate() {
    let c = with_credits();
    let (mint, bump) = credits_mint_pda();
    let t = c.fx.treasury();
    assert_eq!((t.credits_mint, t.credits_bump), (mint, bump));
    let (account, state) = read_mint(&c.fx.env, &mint);
    assert_eq!(account.owner, TokenProgram::Token2022.id());
    assert_eq!(
        (
            state.decimals,
            state.supply,
            state.mint_authority,
            state.freeze_authority
        ),
        (0, 0, Some(treasury_pda().0).into(), None.into())
    );
    // The TLV extensions: NonTransferable (type 9) and PermanentDelegate (type 12) naming the
    // treasury PDA. Base mint 82 bytes, padded to 165, then the account type byte.
    use anchor_spl::token_2022::spl_token_2022::extension::permanent_delegate::PermanentDelegate;
    use anchor_spl::token_2022::spl_token_2022::extension::{
        BaseStateWithExtensions, ExtensionType, StateWithExtensions,
    };
    use anchor_spl::token_2022::spl_token_2022::state::Mint;
    let parsed = StateWithExtensions::<Mint>::unpack(&account.data).unwrap();
    assert_eq!(
        parsed.get_extension_types().unwrap(),
        vec![
            ExtensionType::NonTransferable,
            ExtensionType::PermanentDelegate
        ]
    );
    let delegate = parsed.get_extension::<PermanentDelegate>().unwrap();
    assert_eq!(
        Option::<Pubkey>::from(delegate.delegate),
        Some(treasury_pda().0)
    );
}

#[test]
fn initialize_credits_refuses_a_non_governance_signer_and_a_replay() {
    let mut fx = fixture(TokenProgram::SplToken);
    let impostor = fx.env.funded_keypair();
    let result = fx.env.send_fresh(
        &[initialize_credits(initialize_credits_accounts(
            &fx.env,
            impostor.pubkey(),
        ))],
        &[&impostor],
    );
    assert_custom_error(&result, 0, TreasuryError::NotAuthority.into());
    assert!(fx.env.account(&credits_mint_pda().0).is_none());

    let governance = fx.governance.insecure_clone();
    let ix = initialize_credits(initialize_credits_accounts(&fx.env, governance.pubkey()));
    expect_ok(fx.env.send_fresh(std::slice::from_ref(&ix), &[&governance]));
    let again = fx.env.send_fresh(&[ix], &[&governance]);
    assert_custom_error(&again, 0, TreasuryError::WrongCreditsMint.into());
}

#[test]
fn burning_tokens_mints_credits_at_the_conservative_price() {
    let mut c = with_credits();
    let supply_before = c.fx.supply();
    let ix = burn_ix(&c, 10 * UNIT);
    let holder = c.holder.insecure_clone();
    let meta = expect_ok(c.fx.env.send_fresh(&[ix], &[&holder]));
    // 10 tokens x 0.4975 USD x 100,000 credits per USD = 497,500 credits (the spot price in the
    // account is 1.00 USD: using it would give 1,000,000).
    assert_eq!(c.fx.balance(&c.holder_credits), 497_500);
    assert_eq!(c.fx.balance(&c.holder_tokens), 990 * UNIT);
    assert_eq!(c.fx.supply(), supply_before - 10 * UNIT);
    let t = c.fx.treasury();
    assert_eq!(
        (t.total_credit_burned, t.credits_minted, t.credits_consumed),
        (10 * UNIT, 497_500, 0)
    );
    let e = &cpi_events::<CreditsMinted>(&meta)[0];
    assert_eq!(
        (
            e.owner,
            e.tokens_burned,
            e.credits,
            e.price_bound,
            e.price_exponent
        ),
        (holder.pubkey(), 10 * UNIT, 497_500, BOUND, -8)
    );
    assert_eq!(
        (
            e.token_supply_before,
            e.token_supply_after,
            e.credits_minted_after
        ),
        (supply_before, supply_before - 10 * UNIT, 497_500)
    );

    // A burn too small to buy one credit is refused rather than taken for nothing.
    let dust = burn_ix(&c, 20);
    let result = c.fx.env.send_fresh(&[dust], &[&holder]);
    assert_custom_error(&result, 0, TreasuryError::ZeroCredits.into());
}

#[test]
fn burn_for_credits_refuses_a_stale_price_and_another_feed() {
    let mut c = with_credits();
    let holder = c.holder.insecure_clone();
    c.fx.env.warp_to_timestamp(c.fx.env.now() + 1_000);
    c.fx.set_price(|p| p.publish_time -= 61);
    let result = c.fx.env.send_fresh(&[burn_ix(&c, UNIT)], &[&holder]);
    assert_custom_error(&result, 0, TreasuryError::StalePrice.into());
    c.fx.set_price(|p| p.feed_id = [1; 32]);
    let result = c.fx.env.send_fresh(&[burn_ix(&c, UNIT)], &[&holder]);
    assert_custom_error(&result, 0, TreasuryError::WrongPriceFeed.into());
    assert_eq!(c.fx.balance(&c.holder_tokens), 1_000 * UNIT);
    assert_eq!(c.fx.balance(&c.holder_credits), 0);
}

/// Prices only move forward, and buybacks and credit burns share the mark: a burner cannot pick
/// the cheapest of the last minute's updates either.
#[test]
fn burn_for_credits_refuses_a_price_older_than_the_last_one_used() {
    let mut c = with_credits();
    let holder = c.holder.insecure_clone();
    let first = c.fx.env.now();
    expect_ok(c.fx.env.send_fresh(&[burn_ix(&c, UNIT)], &[&holder]));
    assert_eq!(c.fx.treasury().last_price_publish_time, first);
    c.fx.env.warp_to_timestamp(first + 30);
    // A cheaper update (more credits per token), published before the one used: refused.
    c.fx.set_price(|p| {
        p.publish_time = first - 1;
        p.ema_price *= 2;
    });
    let credits_before = c.fx.balance(&c.holder_credits);
    let result = c.fx.env.send_fresh(&[burn_ix(&c, UNIT)], &[&holder]);
    assert_custom_error(&result, 0, TreasuryError::PriceOlderThanLastUsed.into());
    assert_eq!(c.fx.balance(&c.holder_credits), credits_before);
    assert_eq!(c.fx.treasury().last_price_publish_time, first);
}

#[test]
fn burn_for_credits_refuses_someone_elses_tokens() {
    let mut c = with_credits();
    let thief = c.fx.env.funded_keypair();
    let mut a = burn_for_credits_accounts(
        thief.pubkey(),
        c.fx.network_mint,
        TokenProgram::SplToken,
        c.holder_tokens,
        c.fx.price,
        c.holder_credits,
    );
    a.owner = thief.pubkey();
    let result = c.fx.env.send_fresh(&[burn_for_credits(a, UNIT)], &[&thief]);
    // SPL Token: the owner does not match (error 4).
    assert_custom_error(&result, 0, 4);
    assert_eq!(c.fx.balance(&c.holder_tokens), 1_000 * UNIT);
}

#[test]
fn credits_cannot_be_transferred() {
    let mut c = with_credits();
    let holder = c.holder.insecure_clone();
    expect_ok(c.fx.env.send_fresh(&[burn_ix(&c, 10 * UNIT)], &[&holder]));
    let other = Pubkey::new_unique();
    let other_credits = create_ata(
        &mut c.fx.env,
        TokenProgram::Token2022,
        &credits_mint_pda().0,
        &other,
    );
    let transfer = anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
        &TokenProgram::Token2022.id(),
        &c.holder_credits,
        &credits_mint_pda().0,
        &other_credits,
        &holder.pubkey(),
        &[],
        1,
        0,
    )
    .unwrap();
    let result = c.fx.env.send_fresh(&[transfer], &[&holder]);
    // Token-2022's NonTransferable error.
    assert_custom_error(
        &result,
        0,
        anchor_spl::token_2022::spl_token_2022::error::TokenError::NonTransferable as u32,
    );
    assert_eq!(c.fx.balance(&other_credits), 0);
}

#[test]
fn the_service_operator_consumes_credits() {
    let mut c = with_credits();
    let holder = c.holder.insecure_clone();
    expect_ok(c.fx.env.send_fresh(&[burn_ix(&c, 10 * UNIT)], &[&holder]));
    let service = c.fx.service.insecure_clone();
    let usage = [7u8; 32];
    let ix = consume_credits(
        consume_credits_accounts(service.pubkey(), c.holder_credits),
        ConsumeCreditsArgs {
            amount: 100_000,
            usage_reference: usage,
        },
    );
    let meta = expect_ok(c.fx.env.send_fresh(&[ix], &[&service]));
    assert_eq!(c.fx.balance(&c.holder_credits), 397_500);
    assert_eq!(
        read_mint(&c.fx.env, &credits_mint_pda().0).1.supply,
        397_500
    );
    assert_eq!(c.fx.treasury().credits_consumed, 100_000);
    let e = &cpi_events::<CreditsConsumed>(&meta)[0];
    assert_eq!(
        (
            e.owner,
            e.credits,
            e.usage_reference,
            e.balance_before,
            e.balance_after,
            e.credits_consumed_after
        ),
        (holder.pubkey(), 100_000, usage, 497_500, 397_500, 100_000)
    );

    // Anyone else is refused; so is more than the balance.
    let impostor = c.fx.env.funded_keypair();
    let ix = consume_credits(
        consume_credits_accounts(impostor.pubkey(), c.holder_credits),
        ConsumeCreditsArgs {
            amount: 1,
            usage_reference: usage,
        },
    );
    let result = c.fx.env.send_fresh(&[ix], &[&impostor]);
    assert_custom_error(&result, 0, TreasuryError::NotServiceOperator.into());
    let ix = consume_credits(
        consume_credits_accounts(service.pubkey(), c.holder_credits),
        ConsumeCreditsArgs {
            amount: 397_501,
            usage_reference: usage,
        },
    );
    let result = c.fx.env.send_fresh(&[ix], &[&service]);
    // Token-2022: insufficient funds (error 1).
    assert_custom_error(&result, 0, 1);
    assert_eq!(c.fx.balance(&c.holder_credits), 397_500);
}

#[test]
fn substituted_credit_accounts_are_refused() {
    let mut c = with_credits();
    // consume_credits on a token account of another mint (the holder's network tokens).
    let service = c.fx.service.insecure_clone();
    let ix = consume_credits(
        consume_credits_accounts(service.pubkey(), c.holder_tokens),
        ConsumeCreditsArgs {
            amount: 1,
            usage_reference: [0; 32],
        },
    );
    let result = c.fx.env.send_fresh(&[ix], &[&service]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintTokenMint.into(),
    );
    // burn_for_credits minting from a mint that is not the treasury's credits mint.
    let holder = c.holder.insecure_clone();
    let mut a = burn_for_credits_accounts(
        holder.pubkey(),
        c.fx.network_mint,
        TokenProgram::SplToken,
        c.holder_tokens,
        c.fx.price,
        c.holder_credits,
    );
    a.credits_mint = c.fx.stable;
    let result =
        c.fx.env
            .send_fresh(&[burn_for_credits(a, UNIT)], &[&holder]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintHasOne.into(),
    );
    assert_eq!(c.fx.balance(&c.holder_tokens), 1_000 * UNIT);
}

#[test]
fn initialize_credits_refuses_another_mint_address() {
    let mut fx = fixture(TokenProgram::SplToken);
    let governance = fx.governance.insecure_clone();
    let mut a = initialize_credits_accounts(&fx.env, governance.pubkey());
    a.credits_mint = Pubkey::new_unique();
    let result = fx.env.send_fresh(&[initialize_credits(a)], &[&governance]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
    assert_eq!(fx.treasury().credits_mint, Pubkey::default());
}
