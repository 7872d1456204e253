//! `rewards::crank_epoch`: one epoch per call, catch-up, the circuit breaker, halving and the
//! max supply.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use rewards::error::RewardsError;
use rewards::events::EpochMinted;
use rewards::state::MintWindow;
use test_case::test_case;

use super::fixture::*;

fn minted_event(meta: &litesvm::types::TransactionMetadata) -> EpochMinted {
    let events: Vec<EpochMinted> = cpi_events(meta);
    assert_eq!(events.len(), 1);
    events.into_iter().next().unwrap()
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn mints_epoch_zero_once_it_has_started(token_program: TokenProgram) {
    let mut net = Net::new(token_program);
    let meta = expect_ok(net.crank());
    let now = net.env.now();

    assert_eq!(net.vault_balance(), EPOCH_EMISSION);
    assert_eq!(net.supply(), EPOCH_EMISSION);
    let network = net.network();
    assert_eq!(
        (
            network.epochs_minted,
            network.cumulative_budget,
            network.total_minted
        ),
        (1, EPOCH_EMISSION, EPOCH_EMISSION)
    );
    assert_eq!(
        network.mint_window,
        MintWindow {
            window_secs: 86_400,
            threshold: 2 * EPOCH_EMISSION,
            last_ts: now,
            amount: EPOCH_EMISSION,
        }
    );
    let e = minted_event(&meta);
    assert_eq!(
        (
            e.epoch,
            e.amount,
            e.cumulative_budget,
            e.total_minted,
            e.behind,
            e.timestamp
        ),
        (0, EPOCH_EMISSION, EPOCH_EMISSION, EPOCH_EMISSION, 0, now)
    );
}

#[test]
fn never_mints_an_epoch_twice_or_early() {
    let mut net = Net::new(TokenProgram::SplToken);
    expect_ok(net.crank());
    let before = net.network();

    // Epoch 1 starts one day after epoch 0: one second before, the crank is refused.
    net.warp(DAY - 1);
    assert_custom_error(&net.crank(), 0, RewardsError::EpochNotStarted.into());
    assert_eq!(net.network(), before);
    assert_eq!(net.supply(), EPOCH_EMISSION);

    net.warp(DAY);
    let meta = expect_ok(net.crank());
    assert_eq!(minted_event(&meta).epoch, 1);
    assert_custom_error(&net.crank(), 0, RewardsError::EpochNotStarted.into());
    assert_eq!(net.supply(), 2 * EPOCH_EMISSION);
    assert_eq!(net.network().epochs_minted, 2);
}

#[test]
fn refuses_to_mint_before_the_schedule_starts() {
    let mut env = TestEnv::new();
    let governance = env.funded_keypair();
    let start = env.now() + 1_000;
    let args = network_args(governance.pubkey(), 6, MAX_SUPPLY, start);
    let mut net = Net::with_args(env, TokenProgram::SplToken, governance, args);
    assert_custom_error(&net.crank(), 0, RewardsError::EpochNotStarted.into());
    assert_eq!(net.supply(), 0);
    net.warp(0);
    expect_ok(net.crank());
    assert_eq!(net.supply(), EPOCH_EMISSION);
}

#[test]
fn catches_up_one_epoch_per_call_within_the_circuit_breaker() {
    let mut net = Net::new(TokenProgram::SplToken);
    expect_ok(net.crank()); // epoch 0 at the start

    // Five days later epochs 1..=5 have started and none is minted.
    net.warp(5 * DAY);
    let e1 = minted_event(&expect_ok(net.crank()));
    assert_eq!((e1.epoch, e1.behind), (1, 4));
    let e2 = minted_event(&expect_ok(net.crank()));
    assert_eq!((e2.epoch, e2.behind), (2, 3));

    // Two epochs are outstanding in the one-day window: the breaker holds the third.
    let before = net.network();
    assert_custom_error(&net.crank(), 0, RewardsError::CircuitBreakerTripped.into());
    assert_eq!(net.network(), before);
    assert_eq!(net.supply(), 3 * EPOCH_EMISSION);

    // Half a day later half of the window has drained (rounding against the minter).
    net.warp(5 * DAY + DAY / 2);
    let e3 = minted_event(&expect_ok(net.crank()));
    assert_eq!((e3.epoch, e3.behind), (3, 2));
    let network = net.network();
    assert_eq!(network.mint_window.amount, 2 * EPOCH_EMISSION);
    assert_eq!(network.epochs_minted, 4);
    assert_eq!(network.cumulative_budget, 4 * EPOCH_EMISSION);
    assert_eq!(net.vault_balance(), 4 * EPOCH_EMISSION);
}

/// A schedule small enough to run to its end: 1,000 per one-minute epoch, halving every two
/// epochs, and a max supply of exactly its lifetime emission.
#[test]
fn halves_and_stops_exactly_at_max_supply() {
    let mut env = TestEnv::new();
    let governance = env.funded_keypair();
    let start = env.now();
    // 2 * (1000 + 500 + 250 + 125 + 62 + 31 + 15 + 7 + 3 + 1)
    let lifetime = 3_988;
    let args = InitializeNetworkArgs {
        authority: governance.pubkey(),
        decimals: 0,
        max_supply: lifetime,
        genesis_supply: 0,
        emission: EmissionParams {
            start_ts: start,
            epoch_secs: 60,
            initial_epoch_emission: 1_000,
            halving_interval_epochs: 2,
        },
        mint_window_secs: 60,
        mint_window_threshold: 1_000,
        dispute_secs: 30,
        onboard_fee: 0,
        location_fee: 0,
        timelock_secs: 3_600,
        input_secs: 15,
        oracle_set: None,
    };
    let mut net = Net::with_args(env, TokenProgram::Token2022, governance, args);
    let mut amounts = Vec::new();
    for epoch in 0..20 {
        net.warp(60 * epoch);
        amounts.push(minted_event(&expect_ok(net.crank())).amount);
    }
    assert_eq!(
        amounts,
        [
            1_000, 1_000, 500, 500, 250, 250, 125, 125, 62, 62, 31, 31, 15, 15, 7, 7, 3, 3, 1, 1
        ]
    );
    assert_eq!(net.supply(), lifetime);
    assert_eq!(net.network().total_minted, lifetime);

    net.warp(60 * 20);
    assert_custom_error(&net.crank(), 0, RewardsError::EmissionComplete.into());
    assert_eq!(net.supply(), lifetime);
}

#[test]
fn refuses_another_mint() {
    let mut net = Net::new(TokenProgram::SplToken);
    let payer = net.env.payer.pubkey();
    let other = create_mint(&mut net.env, TokenProgram::SplToken, &payer, 6);
    let mut a = crank_epoch_accounts(TokenProgram::SplToken);
    a.mint = other;
    let result = net.env.send_fresh(&[crank_epoch(a)], &[]);
    assert_custom_error(&result, 0, RewardsError::WrongMint.into());
    assert_eq!(net.network().epochs_minted, 0);
}

#[test]
fn refuses_another_vault() {
    let mut net = Net::new(TokenProgram::SplToken);
    let attacker = Pubkey::new_unique();
    let theirs = create_token_account(
        &mut net.env,
        TokenProgram::SplToken,
        &mint_pda().0,
        &attacker,
    );
    let mut a = crank_epoch_accounts(TokenProgram::SplToken);
    a.rewards_vault = theirs;
    let result = net.env.send_fresh(&[crank_epoch(a)], &[]);
    assert_custom_error(&result, 0, RewardsError::WrongVault.into());
    assert_eq!(read_token_account(&net.env, &theirs).1.amount, 0);
    assert_eq!(net.supply(), 0);
}

#[test]
fn refuses_the_other_token_program() {
    let mut net = Net::new(TokenProgram::SplToken);
    let result = net.env.send_fresh(
        &[crank_epoch(crank_epoch_accounts(TokenProgram::Token2022))],
        &[],
    );
    assert_custom_error(&result, 0, RewardsError::WrongTokenProgram.into());
    assert_eq!(net.supply(), 0);
}

#[test]
fn refuses_a_network_account_that_is_not_the_pda() {
    let mut net = Net::new(TokenProgram::SplToken);
    // A copy of the real network account at another address, owned by this program.
    let copy = net.env.copy_account(&network_pda().0, |_| {});
    let mut a = crank_epoch_accounts(TokenProgram::SplToken);
    a.network = copy;
    let result = net.env.send_fresh(&[crank_epoch(a)], &[]);
    assert_custom_error(&result, 0, RewardsError::WrongNetwork.into());
    assert_eq!(net.supply(), 0);
}
