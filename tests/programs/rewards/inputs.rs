//! `rewards::commit_reports`, `ack_reports` and `close_inputs`: the oracles agree on an epoch's
//! input from public state (docs/oracle-agreement.md). Each seat commits the hash of its report
//! set; each says which committed sets it holds; `input_secs` after `threshold` seats have
//! spoken, the inputs close, and the sets held by `threshold` seats are the epoch's input.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::constants::INPUTS_KEPT_EPOCHS;
use rewards::error::RewardsError;
use rewards::events::{InputsClosedOut, ReportsAcknowledged, ReportsCommitted};
use rewards::state::{EpochInputs, Network, OracleSet, ParamUpdate, ReportSet};

use super::fixture::*;

/// The fixture's input window (`network_args`).
const INPUT_SECS: i64 = 600;

fn set_hash(seat: usize) -> [u8; 32] {
    [0xa0 + u8::try_from(seat).unwrap(); 32]
}

fn commit_args(epoch: u64, seat: usize) -> CommitReportsArgs {
    CommitReportsArgs {
        epoch,
        hash: set_hash(seat),
        reports: 100 + seat as u64,
        bytes: 30_000 + seat as u64,
    }
}

/// `n` seats, threshold `k`, epoch 0 minted and ended (the clock at its end).
fn ended(n: usize, k: u8) -> Net {
    let mut net = Net::new(TokenProgram::SplToken);
    net.install_oracles(n, k);
    net.mint_through(0);
    net
}

fn commit_as(net: &mut Net, oracle: &Keypair, args: CommitReportsArgs) -> TransactionResult {
    net.env
        .send_fresh(&[commit_reports_ix(oracle.pubkey(), args)], &[oracle])
}

fn commit(net: &mut Net, seat: usize) -> TransactionResult {
    let oracle = net.oracles[seat].insecure_clone();
    commit_as(net, &oracle, commit_args(0, seat))
}

fn ack(net: &mut Net, seat: usize, held: u16) -> TransactionResult {
    let oracle = net.oracles[seat].insecure_clone();
    net.env
        .send_fresh(&[ack_reports_ix(oracle.pubkey(), 0, held)], &[&oracle])
}

fn inputs(net: &Net, epoch: u64) -> EpochInputs {
    net.env.anchor_account(&inputs_pda(epoch).0)
}

fn committed_set(seat: usize, held_by: u16) -> ReportSet {
    ReportSet {
        hash: set_hash(seat),
        reports: 100 + seat as u64,
        bytes: 30_000 + seat as u64,
        held_by,
    }
}

#[test]
fn the_inputs_close_input_secs_after_the_quorum_and_take_the_sets_threshold_seats_hold() {
    let mut net = ended(3, 2);
    let key = inputs_pda(0).0;
    let payer = net.oracles[0].pubkey();
    let before = net.env.lamports(&payer);

    let meta = expect_ok(commit(&mut net, 0));
    let x = inputs(&net, 0);
    let rent = net.env.lamports(&key);
    assert_eq!(rent, net.env.rent_exempt(EpochInputs::SIZE));
    assert_eq!(net.env.lamports(&payer), before - rent);
    assert_eq!(
        (
            x.epoch,
            x.set_version,
            x.threshold,
            x.payer,
            x.committed,
            x.spoke
        ),
        (0, 1, 2, payer, 0b001, 0b001)
    );
    assert_eq!((x.quorum_at, x.closes_at, x.included()), (0, 0, 0));
    assert_eq!(x.sets[0], committed_set(0, 0b001));
    let events: Vec<ReportsCommitted> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.inputs,
            e.epoch,
            e.oracle,
            e.seat,
            e.hash,
            e.reports,
            e.bytes,
            e.closes_at
        ),
        (key, 0, payer, 0, set_hash(0), 100, 30_000, 0)
    );

    // The second seat to speak makes the quorum: the inputs close INPUT_SECS later.
    let now = net.env.now();
    expect_ok(commit(&mut net, 1));
    let x = inputs(&net, 0);
    assert_eq!((x.quorum_at, x.closes_at), (now, now + INPUT_SECS));
    // Each set is held by its committer only: nothing is included yet.
    assert_eq!(x.included(), 0);

    let meta = expect_ok(ack(&mut net, 0, 0b011));
    let events: Vec<ReportsAcknowledged> = cpi_events(&meta);
    assert_eq!(
        (events[0].seat, events[0].held, events[0].closes_at),
        (0, 0b011, now + INPUT_SECS)
    );
    // Seat 2 committed nothing (it was down) but fetched both sets.
    net.env.warp_to_timestamp(now + INPUT_SECS);
    expect_ok(ack(&mut net, 2, 0b011));
    let x = inputs(&net, 0);
    assert_eq!(x.sets[0], committed_set(0, 0b101));
    assert_eq!(x.sets[1], committed_set(1, 0b111));
    assert_eq!((x.spoke, x.included()), (0b111, 0b011));

    // Closed: no later commitment or acknowledgement, whoever sends it.
    net.env.warp_to_timestamp(now + INPUT_SECS + 1);
    assert_custom_error(
        &ack(&mut net, 1, 0b001),
        0,
        RewardsError::InputsClosed.into(),
    );
    let oracle = net.oracles[2].insecure_clone();
    let r = commit_as(&mut net, &oracle, commit_args(0, 2));
    assert_custom_error(&r, 0, RewardsError::InputsClosed.into());
    assert_eq!(inputs(&net, 0), x);
}

/// The attack of docs/oracle-agreement.md: a lying seat speaks first and acknowledges only its
/// own set, so that the quorum is reached before the honest seats have fetched each other's.
/// The close is `input_secs` after the quorum, so the honest seats still acknowledge each other;
/// a set the liar withholds from everyone is held by the liar alone and left out.
#[test]
fn a_lying_seat_can_neither_rush_the_close_nor_get_a_withheld_set_in() {
    let mut net = ended(3, 2);
    expect_ok(commit(&mut net, 2));
    let quorum = net.env.now();
    expect_ok(commit(&mut net, 0));
    assert_eq!(inputs(&net, 0).closes_at, quorum + INPUT_SECS);
    net.env.warp_to_timestamp(quorum + INPUT_SECS - 1);
    expect_ok(commit(&mut net, 1));
    expect_ok(ack(&mut net, 0, 0b011));
    expect_ok(ack(&mut net, 1, 0b011));
    let x = inputs(&net, 0);
    assert_eq!(x.included(), 0b011);
    assert_eq!(x.sets[2].held_by, 0b100);
}

#[test]
fn a_rotation_before_the_close_restarts_the_inputs_and_after_it_they_stand() {
    let mut net = ended(3, 2);
    expect_ok(commit(&mut net, 0));
    // Governance rotates (the timelock moves the clock on by an hour: inside no close yet, as
    // there is no quorum).
    let fresh: Vec<Keypair> = (0..3).map(|_| net.env.funded_keypair()).collect();
    for o in &fresh {
        expect_ok(net.bond(o, BOND));
    }
    expect_ok(net.set_oracles(fresh.iter().map(Signer::pubkey).collect(), 2));
    // The old set can no longer acknowledge; the new set's first commitment restarts them.
    assert_custom_error(
        &ack(&mut net, 0, 0b001),
        0,
        RewardsError::NotAnOracle.into(),
    );
    let old_payer = net.oracles[0].pubkey();
    net.oracles = fresh;
    assert_custom_error(
        &ack(&mut net, 1, 0b001),
        0,
        RewardsError::StaleOracleSet.into(),
    );
    expect_ok(commit(&mut net, 1));
    let x = inputs(&net, 0);
    assert_eq!(
        (
            x.set_version,
            x.committed,
            x.spoke,
            x.payer,
            x.sets[0],
            x.sets[1]
        ),
        (
            2,
            0b010,
            0b010,
            old_payer,
            ReportSet::default(),
            committed_set(1, 0b010)
        )
    );
    expect_ok(commit(&mut net, 2));
    let closes = inputs(&net, 0).closes_at;
    // Closed under set 2: a third set cannot restart them.
    net.env.warp_to_timestamp(closes + 1);
    let newest: Vec<Keypair> = (0..3).map(|_| net.env.funded_keypair()).collect();
    for o in &newest {
        expect_ok(net.bond(o, BOND));
    }
    expect_ok(net.set_oracles(newest.iter().map(Signer::pubkey).collect(), 2));
    net.oracles = newest;
    assert_custom_error(&commit(&mut net, 0), 0, RewardsError::InputsClosed.into());
    assert_eq!(inputs(&net, 0).set_version, 2);
}

#[test]
fn commitments_are_refused_by_name() {
    let mut net = Net::new(TokenProgram::SplToken);
    net.install_oracles(3, 2);
    // Epoch 0 has not ended.
    assert_custom_error(&commit(&mut net, 0), 0, RewardsError::EpochNotEnded.into());
    net.mint_through(0);
    // Overflow: no epoch past u64::MAX - 1 has an end.
    let oracle = net.oracles[0].insecure_clone();
    let far = CommitReportsArgs {
        epoch: u64::MAX,
        ..commit_args(0, 0)
    };
    assert_custom_error(
        &commit_as(&mut net, &oracle, far),
        0,
        RewardsError::MathOverflow.into(),
    );
    // A zero hash.
    let zero = CommitReportsArgs {
        hash: [0; 32],
        ..commit_args(0, 0)
    };
    assert_custom_error(
        &commit_as(&mut net, &oracle, zero),
        0,
        RewardsError::InvalidReportSet.into(),
    );
    // Wrong signer: a key outside the set.
    let stranger = net.env.funded_keypair();
    assert_custom_error(
        &commit_as(&mut net, &stranger, commit_args(0, 0)),
        0,
        RewardsError::NotAnOracle.into(),
    );
    // A slashed seat.
    let set = oracle_set_pda().0;
    edit_anchor_account::<OracleSet>(&mut net.env, &set, |s| s.slashed = 0b001);
    assert_custom_error(&commit(&mut net, 0), 0, RewardsError::OracleSlashed.into());
    edit_anchor_account::<OracleSet>(&mut net.env, &set, |s| s.slashed = 0);
    // Substituted network and oracle set.
    let ix = commit_reports_ix(oracle.pubkey(), commit_args(0, 0));
    let fake_network = network_copy_naming(&mut net.env, &oracle.pubkey());
    let fake_set = net.env.copy_account(&set, |_| {});
    for (from, to, code) in [
        (network_pda().0, fake_network, RewardsError::WrongNetwork),
        (set, fake_set, RewardsError::WrongOracleSet),
    ] {
        let r = net
            .env
            .send_fresh(&[substituted(ix.clone(), from, to)], &[&oracle]);
        assert_custom_error(&r, 0, code.into());
    }
    assert!(net.env.account(&inputs_pda(0).0).is_none());
    // Replay: the same transaction, then a fresh commitment of another hash.
    expect_ok(net.env.send(std::slice::from_ref(&ix), &[&oracle]));
    assert!(net.env.send(std::slice::from_ref(&ix), &[&oracle]).is_err());
    let other = CommitReportsArgs {
        hash: [0x77; 32],
        ..commit_args(0, 0)
    };
    assert_custom_error(
        &commit_as(&mut net, &oracle, other),
        0,
        RewardsError::AlreadyCommitted.into(),
    );
    assert_eq!(inputs(&net, 0).sets[0], committed_set(0, 0b001));
    // A network without an input window (created before it existed) takes no commitment.
    edit_anchor_account::<Network>(&mut net.env, &network_pda().0, |n| n.input_secs = 0);
    assert_custom_error(
        &commit(&mut net, 1),
        0,
        RewardsError::InvalidInputWindow.into(),
    );
}

#[test]
fn acknowledgements_are_refused_by_name() {
    let mut net = ended(3, 2);
    expect_ok(commit(&mut net, 0));
    // Nothing, or a seat that has not committed.
    for held in [0, 0b010, 0b1_0000_0000] {
        assert_custom_error(
            &ack(&mut net, 1, held),
            0,
            RewardsError::UnknownReportSet.into(),
        );
    }
    let stranger = net.env.funded_keypair();
    let r = net
        .env
        .send_fresh(&[ack_reports_ix(stranger.pubkey(), 0, 0b001)], &[&stranger]);
    assert_custom_error(&r, 0, RewardsError::NotAnOracle.into());
    let set = oracle_set_pda().0;
    edit_anchor_account::<OracleSet>(&mut net.env, &set, |s| s.slashed = 0b010);
    assert_custom_error(
        &ack(&mut net, 1, 0b001),
        0,
        RewardsError::OracleSlashed.into(),
    );
    edit_anchor_account::<OracleSet>(&mut net.env, &set, |s| s.slashed = 0);
    // A substituted inputs account (a copy at another address) and network.
    let oracle = net.oracles[1].insecure_clone();
    let ix = ack_reports_ix(oracle.pubkey(), 0, 0b001);
    let fake_inputs = net.env.copy_account(&inputs_pda(0).0, |_| {});
    let fake_network = network_copy_naming(&mut net.env, &oracle.pubkey());
    for (from, to, code) in [
        (
            inputs_pda(0).0,
            fake_inputs,
            anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
        ),
        (
            network_pda().0,
            fake_network,
            RewardsError::WrongNetwork.into(),
        ),
    ] {
        let r = net
            .env
            .send_fresh(&[substituted(ix.clone(), from, to)], &[&oracle]);
        assert_custom_error(&r, 0, code);
    }
    assert_eq!(inputs(&net, 0).spoke, 0b001);
    // Acknowledgements add up; a repeat changes nothing.
    expect_ok(ack(&mut net, 1, 0b001));
    expect_ok(ack(&mut net, 1, 0b001));
    assert_eq!(inputs(&net, 0).sets[0].held_by, 0b011);
}

#[test]
fn the_inputs_close_out_sixteen_final_roots_after_their_epochs_with_the_rent_to_their_creator() {
    let mut net = ended(3, 2);
    expect_ok(commit(&mut net, 1));
    let key = inputs_pda(0).0;
    let payer = net.oracles[1].pubkey();
    let close = close_inputs_ix(0, payer);
    assert_custom_error(
        &net.env.send_fresh(std::slice::from_ref(&close), &[]),
        0,
        RewardsError::InputsStillNeeded.into(),
    );
    let (_, vote) = tree_vote(0, &[(Pubkey::new_unique(), 10)]);
    net.post_and_finalize(&vote);
    // A commitment for a final epoch is refused.
    assert_custom_error(
        &commit(&mut net, 0),
        0,
        RewardsError::EpochAlreadyFinal.into(),
    );
    // Kept while an oracle that lagged fewer epochs may still need them: with epochs 0..=15
    // final, refused; once epoch 0's root and the 16 after it are final, closed.
    let leaves = [(Pubkey::new_unique(), 10)];
    for epoch in 1..INPUTS_KEPT_EPOCHS {
        net.mint_through(epoch);
        net.post_and_finalize(&tree_vote(epoch, &leaves).1);
    }
    assert_eq!(net.network().final_root.epochs, 16);
    assert_custom_error(
        &net.env.send_fresh(std::slice::from_ref(&close), &[]),
        0,
        RewardsError::InputsStillNeeded.into(),
    );
    net.mint_through(16);
    net.post_and_finalize(&tree_vote(16, &leaves).1);
    // The rent goes to the creator, and only to it.
    let wrong = close_inputs_ix(0, net.oracles[0].pubkey());
    assert_custom_error(
        &net.env.send_fresh(&[wrong], &[]),
        0,
        RewardsError::NotProposalPayer.into(),
    );
    let rent = net.env.lamports(&key);
    let before = net.env.lamports(&payer);
    let meta = expect_ok(net.env.send_fresh(std::slice::from_ref(&close), &[]));
    assert_eq!(net.env.lamports(&payer), before + rent);
    assert!(net.env.account(&key).is_none());
    let events: Vec<InputsClosedOut> = cpi_events(&meta);
    assert_eq!(
        (events[0].inputs, events[0].epoch, events[0].rent),
        (key, 0, rent)
    );
}

#[test]
fn governance_sets_the_input_window_within_its_bounds() {
    let mut net = Net::new(TokenProgram::SplToken);
    for secs in [0, 21_601] {
        let r = net.govern(ParamUpdate::InputSecs { secs });
        assert_custom_error(&r, 0, RewardsError::InvalidInputWindow.into());
    }
    expect_ok(net.govern(ParamUpdate::InputSecs { secs: 21_600 }));
    assert_eq!(net.network().input_secs, 21_600);
}
