//! `propose_change`, `apply_change`, `cancel_change`: every parameter of a live network changes
//! only through the timelock.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use rewards::error::RewardsError;
use rewards::events::{ChangeApplied, ChangeCancelled, ChangeProposed};
use rewards::state::PendingChange;
use test_case::test_case;

use super::fixture::*;

fn propose(net: &mut Net, update: ParamUpdate) -> litesvm::types::TransactionResult {
    let governance = net.governance.insecure_clone();
    let id = net.network().changes_proposed;
    let ix = propose_change_ix(net.env.payer.pubkey(), governance.pubkey(), id, update);
    net.env.send_fresh(&[ix], &[&governance])
}

fn apply(net: &mut Net, id: u64) -> litesvm::types::TransactionResult {
    let payer = net.env.payer.pubkey();
    net.env.send_fresh(&[apply_change_ix(id, payer)], &[])
}

#[test]
fn a_change_waits_out_the_timelock_then_anyone_applies_it() {
    let mut net = Net::new(TokenProgram::SplToken);
    let update = ParamUpdate::DisputeSecs { secs: 7_200 };
    let payer = net.env.payer.pubkey();
    let payer_before = net.env.account(&payer).unwrap().lamports;
    let meta = expect_ok(propose(&mut net, update.clone()));
    let now = net.env.now();
    let (key, bump) = change_pda(0);
    assert_eq!(
        net.change(0),
        PendingChange {
            bump,
            id: 0,
            proposer: payer,
            update: update.clone(),
            proposed_at: now,
            eta: now + 3_600,
        }
    );
    assert_eq!(net.network().changes_proposed, 1);
    let e: Vec<ChangeProposed> = cpi_events(&meta);
    assert_eq!((e[0].change, e[0].id, e[0].eta), (key, 0, now + 3_600));
    let rent = net.env.account(&key).unwrap().lamports;
    assert_eq!(rent, net.env.rent_exempt(PendingChange::SIZE));

    net.env.warp_to_timestamp(now + 3_599);
    assert_custom_error(&apply(&mut net, 0), 0, RewardsError::TimelockActive.into());
    assert_eq!(net.network().dispute_secs, 14_400);

    net.env.warp_to_timestamp(now + 3_600);
    let meta = expect_ok(apply(&mut net, 0));
    assert_eq!(net.network().dispute_secs, 7_200);
    assert!(net.env.account(&key).is_none());
    let e: Vec<ChangeApplied> = cpi_events(&meta);
    assert_eq!((e[0].id, e[0].update.clone()), (0, update));
    // The payer paid for four signatures (5,000 lamports each: the proposal carries two, the
    // refused and the accepted application one each) and got the rent back.
    assert_eq!(
        net.env.account(&payer).unwrap().lamports,
        payer_before - 4 * 5_000
    );

    // Replay: the change is gone.
    assert_custom_error(
        &apply(&mut net, 0),
        0,
        anchor_lang::error::ErrorCode::AccountNotInitialized.into(),
    );
}

#[test]
fn governance_cancels_a_queued_change() {
    let mut net = Net::new(TokenProgram::SplToken);
    expect_ok(propose(&mut net, ParamUpdate::OnboardFee { fee: 9 }));
    let payer = net.env.payer.pubkey();
    let impostor = net.env.funded_keypair();
    let ix = cancel_change_ix(impostor.pubkey(), 0, payer);
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&impostor]),
        0,
        RewardsError::NotAuthority.into(),
    );
    let governance = net.governance.insecure_clone();
    let ix = cancel_change_ix(governance.pubkey(), 0, impostor.pubkey());
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&governance]),
        0,
        RewardsError::WrongProposer.into(),
    );
    let ix = cancel_change_ix(governance.pubkey(), 0, payer);
    let meta = expect_ok(net.env.send_fresh(&[ix], &[&governance]));
    assert_eq!(cpi_events::<ChangeCancelled>(&meta)[0].id, 0);
    assert!(net.env.account(&change_pda(0).0).is_none());
    net.warp(DAY);
    assert_custom_error(
        &apply(&mut net, 0),
        0,
        anchor_lang::error::ErrorCode::AccountNotInitialized.into(),
    );
    assert_eq!(net.network().onboard_fee, 0);
}

#[test]
fn the_rent_goes_back_only_to_the_proposer() {
    let mut net = Net::new(TokenProgram::SplToken);
    expect_ok(propose(&mut net, ParamUpdate::OnboardFee { fee: 9 }));
    net.warp(DAY);
    let thief = net.env.funded_keypair();
    let ix = apply_change_ix(0, thief.pubkey());
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[]),
        0,
        RewardsError::WrongProposer.into(),
    );
    expect_ok(apply(&mut net, 0));
    assert_eq!(net.network().onboard_fee, 9);
}

#[test]
fn handing_over_authority() {
    let mut net = Net::new(TokenProgram::SplToken);
    let next = net.env.funded_keypair();
    expect_ok(net.govern(ParamUpdate::Authority {
        authority: next.pubkey(),
    }));
    assert_eq!(net.network().authority, next.pubkey());
    // The old key can no longer propose; the new one can.
    assert_custom_error(
        &propose(&mut net, ParamUpdate::OnboardFee { fee: 1 }),
        0,
        RewardsError::NotAuthority.into(),
    );
    net.governance = next;
    expect_ok(net.govern(ParamUpdate::TimelockSecs { secs: 86_400 }));
    assert_eq!(net.network().timelock_secs, 86_400);
    expect_ok(propose(
        &mut net,
        ParamUpdate::MintWindow {
            window_secs: 3_600,
            threshold: EPOCH_EMISSION,
        },
    ));
    let id = net.network().changes_proposed - 1;
    assert_eq!(net.change(id).eta, net.env.now() + 86_400);
}

#[test_case(ParamUpdate::DisputeSecs { secs: 0 }, RewardsError::InvalidDisputeWindow ; "zero dispute window")]
#[test_case(ParamUpdate::DisputeSecs { secs: 43_201 }, RewardsError::InvalidDisputeWindow ; "dispute window over half an epoch")]
#[test_case(ParamUpdate::MintWindow { window_secs: 60, threshold: EPOCH_EMISSION - 1 }, RewardsError::InvalidMintWindow ; "threshold below an epoch")]
#[test_case(ParamUpdate::MintWindow { window_secs: 0, threshold: EPOCH_EMISSION }, RewardsError::InvalidMintWindow ; "zero mint window")]
#[test_case(ParamUpdate::Authority { authority: Pubkey::default() }, RewardsError::InvalidAuthority ; "default authority")]
#[test_case(ParamUpdate::TimelockSecs { secs: 3_599 }, RewardsError::InvalidTimelock ; "timelock under an hour")]
#[test_case(ParamUpdate::OracleSet { oracles: vec![], threshold: 1, bond: BOND, challenger_bps: 0 }, RewardsError::InvalidOracleSet ; "empty oracle set")]
#[test_case(ParamUpdate::OracleSet { oracles: vec![Pubkey::new_unique()], threshold: 1, bond: 0, challenger_bps: 0 }, RewardsError::InvalidBond ; "zero bond")]
#[test_case(ParamUpdate::OracleSet { oracles: vec![Pubkey::new_unique()], threshold: 1, bond: BOND, challenger_bps: 5_001 }, RewardsError::InvalidBond ; "challenger share above half")]
fn refuses_a_bad_change(update: ParamUpdate, expected: RewardsError) {
    let mut net = Net::new(TokenProgram::SplToken);
    assert_custom_error(&propose(&mut net, update), 0, expected.into());
    assert!(net.env.account(&change_pda(0).0).is_none());
    assert_eq!(net.network().changes_proposed, 0);
}

#[test]
fn a_change_expires_after_its_grace_period() {
    let mut net = Net::new(TokenProgram::SplToken);
    expect_ok(propose(&mut net, ParamUpdate::OnboardFee { fee: 9 }));
    let eta = net.change(0).eta;
    net.env.warp_to_timestamp(eta + 14 * DAY + 1);
    assert_custom_error(&apply(&mut net, 0), 0, RewardsError::ChangeExpired.into());
    assert_eq!(net.network().onboard_fee, 0);
    // It can still be cancelled, which returns the rent.
    let governance = net.governance.insecure_clone();
    let payer = net.env.payer.pubkey();
    expect_ok(net.env.send_fresh(
        &[cancel_change_ix(governance.pubkey(), 0, payer)],
        &[&governance],
    ));
    assert!(net.env.account(&change_pda(0).0).is_none());
}

#[test]
fn a_change_applies_up_to_the_last_second_of_its_grace_period() {
    let mut net = Net::new(TokenProgram::SplToken);
    expect_ok(propose(&mut net, ParamUpdate::OnboardFee { fee: 9 }));
    let eta = net.change(0).eta;
    net.env.warp_to_timestamp(eta + 14 * DAY);
    expect_ok(apply(&mut net, 0));
    assert_eq!(net.network().onboard_fee, 9);
}

#[test]
fn a_proposal_is_not_replayed_and_takes_only_its_own_change_account() {
    let mut net = Net::new(TokenProgram::SplToken);
    let governance = net.governance.insecure_clone();
    let payer = net.env.payer.pubkey();
    let update = ParamUpdate::OnboardFee { fee: 5 };
    let ix = propose_change_ix(payer, governance.pubkey(), 0, update.clone());
    expect_ok(
        net.env
            .send_fresh(std::slice::from_ref(&ix), &[&governance]),
    );
    let queued = net.change(0);

    // Replay: the same instruction again (a fresh blockhash) names change 0, but the next
    // change's address is derived from `changes_proposed`, now 1.
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&governance]),
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
    // A change account at an id the network has not reached.
    let ix = propose_change_ix(payer, governance.pubkey(), 7, update.clone());
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&governance]),
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
    // A lookalike network naming the impostor as its authority.
    let impostor = net.env.funded_keypair();
    let copy = network_copy_naming(&mut net.env, &impostor.pubkey());
    let ix = substituted(
        propose_change_ix(payer, impostor.pubkey(), 1, update),
        network_pda().0,
        copy,
    );
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&impostor]),
        0,
        RewardsError::WrongNetwork.into(),
    );
    assert_eq!(net.network().changes_proposed, 1);
    assert_eq!(net.change(0), queued);
    assert!(net.env.account(&change_pda(1).0).is_none());
}

#[test]
fn a_mint_window_change_applies_to_the_next_crank() {
    let mut net = Net::new(TokenProgram::SplToken);
    expect_ok(net.crank()); // epoch 0 at the start
    let before = net.network().mint_window;
    assert_eq!(
        (before.window_secs, before.threshold),
        (DAY as u64, 2 * EPOCH_EMISSION)
    );

    // Tighten the breaker to one epoch per day.
    expect_ok(net.govern(ParamUpdate::MintWindow {
        window_secs: DAY as u64,
        threshold: EPOCH_EMISSION,
    }));
    let after = net.network().mint_window;
    assert_eq!(
        (
            after.window_secs,
            after.threshold,
            after.last_ts,
            after.amount
        ),
        (DAY as u64, EPOCH_EMISSION, before.last_ts, before.amount)
    );

    // Five days later: the old breaker let two epochs through in a row; the new one lets one.
    net.warp(5 * DAY);
    expect_ok(net.crank());
    assert_custom_error(&net.crank(), 0, RewardsError::CircuitBreakerTripped.into());
    assert_eq!(net.network().epochs_minted, 2);
    assert_eq!(net.supply(), 2 * EPOCH_EMISSION);
    // A full window later the next epoch mints.
    net.warp(6 * DAY);
    expect_ok(net.crank());
    assert_eq!(net.network().epochs_minted, 3);
}

#[test]
fn a_proposal_counter_at_its_limit_is_refused_with_math_overflow() {
    let mut net = Net::new(TokenProgram::SplToken);
    edit_anchor_account(
        &mut net.env,
        &network_pda().0,
        |n: &mut rewards::state::Network| {
            n.changes_proposed = u64::MAX;
        },
    );
    let before = net.network();
    let governance = net.governance.insecure_clone();
    let ix = propose_change_ix(
        net.env.payer.pubkey(),
        governance.pubkey(),
        u64::MAX,
        ParamUpdate::OnboardFee { fee: 5 },
    );
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&governance]),
        0,
        RewardsError::MathOverflow.into(),
    );
    assert_eq!(net.network(), before);
    assert!(net.env.account(&change_pda(u64::MAX).0).is_none());
}
