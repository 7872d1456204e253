//! `rewards::contest_root`: a seat of the proposal's set that did not vote for a posted root
//! contests it (it cannot rebuild it, or it is not its own); the root then becomes final only
//! twice the governance timelock after its window, time for governance to rotate the set, which
//! keeps it from ever becoming final (docs/fraud-proofs.md, "Contested roots").

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::error::RewardsError;
use rewards::events::RootContested;
use rewards::state::{FinalRoot, OracleSet, ParamUpdate, ProposalStatus, RootProposal};
use solana_transaction_error::TransactionError;

use super::fixture::*;

/// The posted root (the majority's) and another (an honest seat's own).
fn votes() -> (VoteRootArgs, VoteRootArgs) {
    let posted = VoteRootArgs {
        epoch: 0,
        root: [0x51; 32],
        total: 1_000,
        leaves: 3,
        manifest_hash: [0x4d; 32],
    };
    let own = VoteRootArgs {
        root: [0x52; 32],
        ..posted.clone()
    };
    (posted, own)
}

/// `n` seats, threshold `k`: seats `0..k` post the root; epoch 0 minted and ended.
fn posted(n: usize, k: u8) -> (Net, Pubkey) {
    let mut net = Net::new(TokenProgram::SplToken);
    net.install_oracles(n, k);
    net.mint_through(0);
    let (posted, _) = votes();
    for seat in 0..usize::from(k) {
        expect_ok(net.vote(seat, &posted));
    }
    let key = net.proposal_key(&posted);
    assert_eq!(net.proposal(&key).status, ProposalStatus::Posted);
    (net, key)
}

fn contest_as(net: &mut Net, oracle: &Keypair, proposal: Pubkey) -> TransactionResult {
    let ix = contest_root_ix(oracle.pubkey(), proposal);
    net.env.send_fresh(&[ix], &[oracle])
}

fn contest(net: &mut Net, seat: usize, proposal: Pubkey) -> TransactionResult {
    let oracle = net.oracles[seat].insecure_clone();
    contest_as(net, &oracle, proposal)
}

fn timelock(net: &Net) -> i64 {
    i64::try_from(net.network().timelock_secs).unwrap()
}

#[test]
fn a_contested_root_becomes_final_only_twice_the_timelock_after_its_window() {
    let (mut net, key) = posted(3, 2);
    let ends = net.proposal(&key).dispute_ends;
    let hold = 2 * timelock(&net);
    let meta = expect_ok(contest(&mut net, 2, key));
    let p = net.proposal(&key);
    assert_eq!((p.contested, p.contest_ends), (0b100, ends + hold));
    let events: Vec<RootContested> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.proposal, e.oracle, e.epoch, e.contest_ends),
        (key, net.oracles[2].pubkey(), 0, ends + hold)
    );

    for at in [ends, ends + hold - 1] {
        net.env.warp_to_timestamp(at);
        assert_custom_error(&net.finalize(key), 0, RewardsError::RootContested.into());
        assert_eq!(net.network().final_root, FinalRoot::default());
        // Posted and of the current set and round: not closable while held.
        let payer = net.proposal(&key).payer;
        let r = net.env.send_fresh(&[close_proposal_ix(key, payer)], &[]);
        assert_custom_error(&r, 0, RewardsError::ProposalStillLive.into());
    }
    net.env.warp_to_timestamp(ends + hold);
    expect_ok(net.finalize(key));
    assert_eq!(net.network().final_root.epochs, 1);
    assert_eq!(net.proposal(&key).status, ProposalStatus::Final);
}

#[test]
fn a_rotation_while_contested_keeps_the_root_from_ever_becoming_final() {
    let (mut net, key) = posted(3, 2);
    expect_ok(contest(&mut net, 2, key));
    let contest_ends = net.proposal(&key).contest_ends;
    // Governance seats three new oracles (one timelock: inside the hold).
    let fresh: Vec<Keypair> = (0..3).map(|_| net.env.funded_keypair()).collect();
    for o in &fresh {
        expect_ok(net.bond(o, BOND));
    }
    expect_ok(net.set_oracles(fresh.iter().map(Signer::pubkey).collect(), 2));
    assert!(net.env.now() < contest_ends);
    // Still inside its window, an old-set root cannot be contested any more.
    assert!(net.env.now() < net.proposal(&key).dispute_ends);
    assert_custom_error(
        &contest(&mut net, 2, key),
        0,
        RewardsError::StaleOracleSet.into(),
    );
    net.env.warp_to_timestamp(contest_ends);
    assert_custom_error(&net.finalize(key), 0, RewardsError::StaleOracleSet.into());
    // Dead: closed, its rent back to the voter that created it.
    let payer = net.proposal(&key).payer;
    expect_ok(net.env.send_fresh(&[close_proposal_ix(key, payer)], &[]));
    // The new set posts the epoch's root, which becomes final.
    net.oracles = fresh;
    let (_, own) = votes();
    net.post_and_finalize(&own);
    assert_eq!(net.network().final_root.root, own.root);
}

#[test]
fn a_timelock_raised_after_a_contest_lengthens_the_hold_and_two_seats_add_up() {
    let (mut net, key) = posted(5, 3);
    let ends = net.proposal(&key).dispute_ends;
    let t = timelock(&net);
    expect_ok(contest(&mut net, 3, key));
    assert_eq!(net.proposal(&key).contest_ends, ends + 2 * t);
    // A raise queued by governance (or by anyone applying a due one) must not let the root
    // outrun a rotation proposed at once: the hold follows the timelock in force.
    expect_ok(net.govern(ParamUpdate::TimelockSecs {
        secs: u64::try_from(3 * t).unwrap(),
    }));
    assert!(net.env.now() < ends);
    expect_ok(contest(&mut net, 4, key));
    let p: RootProposal = net.proposal(&key);
    assert_eq!((p.contested, p.contest_ends), (0b11000, ends + 6 * t));
    for at in [ends + 2 * t, ends + 6 * t - 1] {
        net.env.warp_to_timestamp(at);
        assert_custom_error(&net.finalize(key), 0, RewardsError::RootContested.into());
    }
    net.env.warp_to_timestamp(ends + 6 * t);
    expect_ok(net.finalize(key));
}

#[test]
fn only_an_unslashed_seat_that_did_not_vote_contests_once_inside_the_window() {
    let mut net = Net::new(TokenProgram::SplToken);
    net.install_oracles(3, 2);
    net.mint_through(0);
    let (posted, _) = votes();
    expect_ok(net.vote(0, &posted));
    let key = net.proposal_key(&posted);
    // Still voting: nothing to contest.
    assert_custom_error(
        &contest(&mut net, 2, key),
        0,
        RewardsError::NotDisputable.into(),
    );
    expect_ok(net.vote(1, &posted));
    let before = net.proposal(&key);

    // A key outside the set, and a voter of the root.
    let stranger = net.env.funded_keypair();
    let r = contest_as(&mut net, &stranger, key);
    assert_custom_error(&r, 0, RewardsError::NotAnOracle.into());
    assert_custom_error(
        &contest(&mut net, 0, key),
        0,
        RewardsError::CannotContest.into(),
    );
    // A slashed seat.
    let set = oracle_set_pda().0;
    edit_anchor_account::<OracleSet>(&mut net.env, &set, |s| s.slashed = 0b100);
    assert_custom_error(
        &contest(&mut net, 2, key),
        0,
        RewardsError::OracleSlashed.into(),
    );
    edit_anchor_account::<OracleSet>(&mut net.env, &set, |s| s.slashed = 0);
    assert_eq!(net.proposal(&key), before);

    // Substituted network, oracle set and proposal.
    let oracle = net.oracles[2].insecure_clone();
    let ix = contest_root_ix(oracle.pubkey(), key);
    let fake_network = network_copy_naming(&mut net.env, &oracle.pubkey());
    let fake_set = net.env.copy_account(&set, |_| {});
    let fake_proposal = net.env.copy_account(&key, |_| {});
    let cases = [
        (
            network_pda().0,
            fake_network,
            RewardsError::WrongNetwork.into(),
        ),
        (set, fake_set, RewardsError::WrongOracleSet.into()),
        (
            key,
            fake_proposal,
            anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
        ),
    ];
    for (from, to, code) in cases {
        let r = net
            .env
            .send_fresh(&[substituted(ix.clone(), from, to)], &[&oracle]);
        assert_custom_error(&r, 0, code);
    }
    assert_eq!(net.proposal(&key), before);

    // Seat 2 never voted (its oracle may have stopped on a foreign base): it contests. Then
    // the replay: the same transaction, and a fresh one.
    expect_ok(net.env.send(std::slice::from_ref(&ix), &[&oracle]));
    assert_tx_error(
        &net.env.send(&[ix], &[&oracle]),
        TransactionError::AlreadyProcessed,
    );
    assert_custom_error(
        &contest(&mut net, 2, key),
        0,
        RewardsError::AlreadyContested.into(),
    );
    assert_eq!(net.proposal(&key).contested, 0b100);

    // Past the window nobody contests, nor once it is final.
    let p = net.proposal(&key);
    net.env.warp_to_timestamp(p.dispute_ends);
    assert_custom_error(
        &contest(&mut net, 2, key),
        0,
        RewardsError::NotDisputable.into(),
    );
    net.env.warp_to_timestamp(p.contest_ends);
    expect_ok(net.finalize(key));
    assert_custom_error(
        &contest(&mut net, 2, key),
        0,
        RewardsError::NotDisputable.into(),
    );
}

#[test]
fn an_uncontested_root_is_unaffected() {
    let (mut net, key) = posted(3, 2);
    let p: RootProposal = net.proposal(&key);
    assert_eq!((p.contested, p.contest_ends), (0, 0));
    net.env.warp_to_timestamp(p.dispute_ends);
    expect_ok(net.finalize(key));
}
