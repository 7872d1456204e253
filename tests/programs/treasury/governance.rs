//! `treasury`: parameter changes only through the timelock (propose, wait, apply), and the
//! transparency report folded from a whole session's events.
use anchor_lang::prelude::Pubkey;
use depin_client::treasury_report::{TreasuryEvent, TreasuryReport};
use harness::builders::treasury_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use treasury::error::TreasuryError;
use treasury::events::{ChangeApplied, ChangeProposed};
use treasury::state::Buckets;

use super::fixture::*;

const TIMELOCK: i64 = 2 * 86_400;

fn new_split() -> TreasuryUpdate {
    TreasuryUpdate::Split(SplitBps {
        buyback_bps: 5_000,
        stakers_bps: 4_000,
        operations_bps: 1_000,
    })
}

fn propose(fx: &mut Fx, update: TreasuryUpdate) -> TransactionMetadata {
    let id = fx.treasury().changes_proposed;
    let governance = fx.governance.insecure_clone();
    let ix = propose_change(governance.pubkey(), governance.pubkey(), id, update);
    expect_ok(fx.env.send_fresh(&[ix], &[&governance]))
}

#[test]
fn a_split_change_waits_for_the_timelock_then_applies() {
    let mut fx = fixture(TokenProgram::SplToken);
    let proposed_at = fx.env.now();
    let meta = propose(&mut fx, new_split());
    let e = &cpi_events::<ChangeProposed>(&meta)[0];
    assert_eq!(
        (e.id, e.update.clone(), e.eta),
        (0, new_split(), proposed_at + TIMELOCK)
    );
    assert_eq!(fx.treasury().changes_proposed, 1);

    // One second early: refused, and payments still use the old split.
    let governance = fx.governance.pubkey();
    fx.env.warp_to_timestamp(proposed_at + TIMELOCK - 1);
    let early = fx.env.send_fresh(&[apply_change(0, governance, None)], &[]);
    assert_custom_error(&early, 0, TreasuryError::TimelockActive.into());
    fx.pay(100 * UNIT);
    assert_eq!(fx.stablecoin().buckets.buyback, 60 * UNIT);

    fx.env.warp_to_timestamp(proposed_at + TIMELOCK);
    let meta = expect_ok(fx.env.send_fresh(&[apply_change(0, governance, None)], &[]));
    assert_eq!(cpi_events::<ChangeApplied>(&meta)[0].update, new_split());
    assert_eq!(
        fx.treasury().split,
        SplitBps {
            buyback_bps: 5_000,
            stakers_bps: 4_000,
            operations_bps: 1_000
        }
    );
    assert!(fx.env.account(&change_pda(0).0).is_none());
    fx.pay(100 * UNIT);
    assert_eq!(
        fx.stablecoin().buckets,
        Buckets {
            buyback: 110 * UNIT,
            stakers: 70 * UNIT,
            operations: 20 * UNIT
        }
    );

    // Replay: the change account is closed.
    let replay = fx.env.send_fresh(&[apply_change(0, governance, None)], &[]);
    assert_custom_error(
        &replay,
        0,
        anchor_lang::error::ErrorCode::AccountNotInitialized.into(),
    );
}

#[test]
fn only_governance_proposes_and_cancels() {
    let mut fx = fixture(TokenProgram::SplToken);
    let impostor = fx.env.funded_keypair();
    let ix = propose_change(impostor.pubkey(), impostor.pubkey(), 0, new_split());
    let result = fx.env.send_fresh(&[ix], &[&impostor]);
    assert_custom_error(&result, 0, TreasuryError::NotAuthority.into());
    assert_eq!(fx.treasury().changes_proposed, 0);

    propose(&mut fx, new_split());
    let governance = fx.governance.insecure_clone();
    let result = fx.env.send_fresh(
        &[cancel_change(impostor.pubkey(), 0, governance.pubkey())],
        &[&impostor],
    );
    assert_custom_error(&result, 0, TreasuryError::NotAuthority.into());
    expect_ok(fx.env.send_fresh(
        &[cancel_change(governance.pubkey(), 0, governance.pubkey())],
        &[&governance],
    ));
    assert!(fx.env.account(&change_pda(0).0).is_none());
}

#[test]
fn invalid_updates_are_refused_when_proposed() {
    let mut fx = fixture(TokenProgram::SplToken);
    let governance = fx.governance.insecure_clone();
    for (update, code) in [
        (
            TreasuryUpdate::Split(SplitBps {
                buyback_bps: 5_000,
                stakers_bps: 5_000,
                operations_bps: 1,
            }),
            TreasuryError::InvalidSplit,
        ),
        (
            TreasuryUpdate::TimelockSecs(60),
            TreasuryError::InvalidTimelock,
        ),
        (
            TreasuryUpdate::CreditsPerUsd(0),
            TreasuryError::InvalidCreditsRate,
        ),
        (
            TreasuryUpdate::Authority(Pubkey::default()),
            TreasuryError::InvalidAuthority,
        ),
    ] {
        let ix = propose_change(governance.pubkey(), governance.pubkey(), 0, update);
        let result = fx.env.send_fresh(&[ix], &[&governance]);
        assert_custom_error(&result, 0, code.into());
    }
    assert_eq!(fx.treasury().changes_proposed, 0);
}

#[test]
fn an_unapplied_change_expires() {
    let mut fx = fixture(TokenProgram::SplToken);
    let start = fx.env.now();
    propose(&mut fx, new_split());
    fx.env.warp_to_timestamp(start + TIMELOCK + 14 * 86_400 + 1);
    let governance = fx.governance.pubkey();
    let result = fx.env.send_fresh(&[apply_change(0, governance, None)], &[]);
    assert_custom_error(&result, 0, TreasuryError::ChangeExpired.into());
}

/// A venue must be three distinct keys, none the coin's vault or `bought`: refused when proposed
/// (repeated or default keys) and when applied (the coin's own accounts), and at admission.
#[test]
fn a_venue_that_could_never_trade_is_refused() {
    let mut fx = fixture(TokenProgram::SplToken);
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    let governance = fx.governance.insecure_clone();
    for venue in [
        Venue {
            pool: a,
            quote_reserve: a,
            token_reserve: b,
        },
        Venue {
            pool: a,
            quote_reserve: b,
            token_reserve: Pubkey::default(),
        },
    ] {
        let update = TreasuryUpdate::BuybackVenue {
            mint: fx.stable,
            venue,
            cap: CAP,
        };
        let id = fx.treasury().changes_proposed;
        let ix = propose_change(governance.pubkey(), governance.pubkey(), id, update);
        let r = fx.env.send_fresh(&[ix], &[&governance]);
        assert_custom_error(&r, 0, TreasuryError::InvalidVenue.into());
    }
    // The coin's own vault as a reserve: proposed (its key is not known then), refused applied.
    let start = fx.env.now();
    let venue = Venue {
        pool: a,
        quote_reserve: vault_pda(&fx.stable).0,
        token_reserve: b,
    };
    let update = TreasuryUpdate::BuybackVenue {
        mint: fx.stable,
        venue,
        cap: CAP,
    };
    propose(&mut fx, update);
    fx.env.warp_to_timestamp(start + TIMELOCK);
    let ix = apply_change(0, governance.pubkey(), Some(stablecoin_pda(&fx.stable).0));
    let r = fx.env.send_fresh(&[ix], &[]);
    assert_custom_error(&r, 0, TreasuryError::InvalidVenue.into());
    // At admission: a new coin whose venue names its own `bought` account.
    let authority = fx.mint_authority.pubkey();
    let mint = create_mint(&mut fx.env, TokenProgram::SplToken, &authority, 6);
    let ix = add_stablecoin(
        add_stablecoin_accounts(
            &fx.env,
            governance.pubkey(),
            mint,
            TokenProgram::SplToken,
            fx.network_mint,
            TokenProgram::SplToken,
            None,
        ),
        AddStablecoinArgs {
            buyback_cap_per_epoch: CAP,
            venue: Venue {
                pool: a,
                quote_reserve: b,
                token_reserve: bought_pda(&mint).0,
            },
        },
    );
    let r = fx.env.send_fresh(&[ix], &[&governance]);
    assert_custom_error(&r, 0, TreasuryError::InvalidVenue.into());
    assert!(fx.env.account(&stablecoin_pda(&mint).0).is_none());
}

#[test]
fn a_buyback_venue_change_moves_the_pool_and_cap() {
    let mut fx = fixture(TokenProgram::SplToken);
    let start = fx.env.now();
    let venue = Venue {
        pool: Pubkey::new_unique(),
        quote_reserve: Pubkey::new_unique(),
        token_reserve: Pubkey::new_unique(),
    };
    let mint = fx.stable;
    propose(
        &mut fx,
        TreasuryUpdate::BuybackVenue {
            mint,
            venue,
            cap: 5 * UNIT,
        },
    );
    fx.env.warp_to_timestamp(start + TIMELOCK);
    let governance = fx.governance.pubkey();
    // Without the stablecoin's account it cannot apply.
    let result = fx.env.send_fresh(&[apply_change(0, governance, None)], &[]);
    assert_custom_error(&result, 0, TreasuryError::InvariantViolated.into());
    expect_ok(fx.env.send_fresh(
        &[apply_change(
            0,
            governance,
            Some(stablecoin_pda(&fx.stable).0),
        )],
        &[],
    ));
    let s = fx.stablecoin();
    assert_eq!((s.venue, s.buyback_cap_per_epoch), (venue, 5 * UNIT));
}

#[test]
fn burn_for_credits_refuses_an_overflowing_rate() {
    let mut fx = fixture(TokenProgram::SplToken);
    let start = fx.env.now();
    let governance = fx.governance.insecure_clone();
    expect_ok(fx.env.send_fresh(
        &[initialize_credits(initialize_credits_accounts(
            &fx.env,
            governance.pubkey(),
        ))],
        &[&governance],
    ));
    propose(&mut fx, TreasuryUpdate::CreditsPerUsd(u64::MAX));
    fx.env.warp_to_timestamp(start + TIMELOCK);
    expect_ok(
        fx.env
            .send_fresh(&[apply_change(0, governance.pubkey(), None)], &[]),
    );
    fx.set_price(|_| {});
    let holder = fx.env.funded_keypair();
    let tokens = create_token_account(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.network_mint,
        &holder.pubkey(),
    );
    let authority = fx.mint_authority.insecure_clone();
    let mint = fx.network_mint;
    mint_to(
        &mut fx.env,
        TokenProgram::SplToken,
        &mint,
        &authority,
        &tokens,
        10 * UNIT,
    );
    let credits = create_ata(
        &mut fx.env,
        TokenProgram::Token2022,
        &credits_mint_pda().0,
        &holder.pubkey(),
    );
    let ix = burn_for_credits(
        burn_for_credits_accounts(
            holder.pubkey(),
            mint,
            TokenProgram::SplToken,
            tokens,
            fx.price,
            credits,
        ),
        10 * UNIT,
    );
    let result = fx.env.send_fresh(&[ix], &[&holder]);
    assert_custom_error(&result, 0, TreasuryError::MathOverflow.into());
    assert_eq!(fx.balance(&tokens), 10 * UNIT);
}

/// Every event of a session folds into a report that matches the accounts exactly.
#[test]
fn the_report_folds_events_into_the_ledger() {
    let mut fx = fixture(TokenProgram::SplToken);
    let mut events = Vec::new();
    let mut collect = |meta: &TransactionMetadata| {
        for inner in meta.inner_instructions.iter().flatten() {
            if let Some(e) = TreasuryEvent::decode(&inner.instruction.data) {
                events.push(e);
            }
        }
    };
    let supply0 = fx.supply();
    for amount in [1_000 * UNIT + 7, 333 * UNIT, 5 * UNIT + 3] {
        let meta = fx.pay(amount);
        collect(&meta);
    }
    let meta = expect_ok(fx.env.send_fresh(&[fx.buyback_ix(500 * UNIT)], &[]));
    collect(&meta);
    let meta = expect_ok(fx.env.send_fresh(
        &[route_to_stakers(
            fx.stable,
            TokenProgram::SplToken,
            fx.stakers_destination,
        )],
        &[],
    ));
    collect(&meta);

    let report = TreasuryReport::fold(events);
    let s = fx.stablecoin();
    let c = &report.coins[&fx.stable];
    assert_eq!(c.payments, 3);
    assert_eq!(c.received, u128::from(s.total_received));
    assert_eq!(c.bought_back, u128::from(s.total_bought_back));
    assert_eq!(c.routed_to_stakers, u128::from(s.total_routed_to_stakers));
    assert_eq!(report.held(&fx.stable), u128::from(fx.balance(&s.vault)));
    assert_eq!(report.burned_by_buyback, u128::from(supply0 - fx.supply()));
    assert_eq!(report.buybacks.len(), 1);
    assert_eq!(report.buybacks[0].price_bound, BOUND);
    assert_eq!(
        report.by_reference[&([9; 32], fx.stable)],
        u128::from(1_338 * UNIT + 10)
    );
    assert_eq!(report.supply, vec![(fx.env.now(), fx.supply())]);
}
