//! `rewards::set_oracle_set`, `vote_root` and `finalize_root`: k-of-n votes on
//! `(epoch, root, total, manifest_hash)`, the posting checks, the dispute window and rotation.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::constants::MAX_ORACLES;
use rewards::error::RewardsError;
use rewards::events::{OracleSetChanged, ProposalClosed, RootFinalized, RootPosted, RootVoted};
use rewards::state::{FinalRoot, OracleSeat, ProposalStatus, RootProposal};
use solana_transaction_error::TransactionError;
use test_case::test_case;

use super::fixture::*;

fn vote_args(epoch: u64, total: u64) -> VoteRootArgs {
    VoteRootArgs {
        epoch,
        root: [u8::try_from(epoch).unwrap() + 0x40; 32],
        total,
        manifest_hash: [0x4d; 32],
    }
}

/// A network with epoch 0 minted and ended, and three oracles with threshold two.
fn ready() -> Net {
    let mut net = Net::new(TokenProgram::SplToken);
    net.install_oracles(3, 2);
    net.mint_through(0);
    net
}

#[test]
fn governance_installs_and_rotates_the_oracle_set() {
    let mut net = Net::new(TokenProgram::SplToken);
    let keys: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
    let meta = expect_ok(net.set_oracles(keys.clone(), 2));
    let set = net.oracle_set();
    assert_eq!((set.set_version, set.threshold, set.count), (1, 2, 3));
    assert_eq!(
        set.seats[0],
        OracleSeat {
            key: keys[0],
            last_vote: 0,
        }
    );
    assert_eq!(set.seats[2].key, keys[2]);
    assert_eq!(set.seats[3], OracleSeat::default());
    let events: Vec<OracleSetChanged> = cpi_events(&meta);
    assert_eq!(
        (
            events[0].set_version,
            events[0].threshold,
            events[0].oracles.clone()
        ),
        (1, 2, keys)
    );

    let next: Vec<Pubkey> = (0..MAX_ORACLES).map(|_| Pubkey::new_unique()).collect();
    expect_ok(net.set_oracles(next.clone(), 16));
    let set = net.oracle_set();
    assert_eq!((set.set_version, set.threshold, set.count), (2, 16, 16));
    assert_eq!(set.seats.map(|s| s.key).to_vec(), next);
}

#[test]
fn refuses_an_oracle_set_from_anyone_but_governance() {
    let mut net = Net::new(TokenProgram::SplToken);
    let impostor = net.env.funded_keypair();
    let update = ParamUpdate::OracleSet {
        oracles: vec![impostor.pubkey()],
        threshold: 1,
        bond: BOND,
        challenger_bps: CHALLENGER_BPS,
    };
    let ix = propose_change_ix(net.env.payer.pubkey(), impostor.pubkey(), 0, update.clone());
    let result = net.env.send_fresh(&[ix], &[&impostor]);
    assert_custom_error(&result, 0, RewardsError::NotAuthority.into());
    assert!(net.env.account(&change_pda(0).0).is_none());

    // Unsigned, the real governance key is refused too.
    let governance = net.governance.pubkey();
    let mut ix = propose_change_ix(net.env.payer.pubkey(), governance, 0, update);
    for meta in ix.accounts.iter_mut().filter(|m| m.pubkey == governance) {
        meta.is_signer = false;
    }
    let result = net.env.send_fresh(&[ix], &[]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::AccountNotSigner.into(),
    );
    assert_eq!(net.oracle_set().set_version, 0);
    assert_eq!(net.network().changes_proposed, 0);
}

fn keys(n: usize) -> Vec<Pubkey> {
    (0..n).map(|_| Pubkey::new_unique()).collect()
}

#[test_case(vec![], 1, RewardsError::InvalidOracleSet ; "empty")]
#[test_case(keys(17), 9, RewardsError::InvalidOracleSet ; "seventeen oracles")]
#[test_case(vec![Pubkey::default()], 1, RewardsError::InvalidOracleSet ; "default key")]
#[test_case({ let k = Pubkey::new_unique(); vec![k, Pubkey::new_unique(), k] }, 2, RewardsError::InvalidOracleSet ; "duplicate key")]
#[test_case(keys(4), 2, RewardsError::InvalidThreshold ; "threshold of half")]
#[test_case(keys(3), 4, RewardsError::InvalidThreshold ; "threshold above count")]
#[test_case(keys(1), 0, RewardsError::InvalidThreshold ; "zero threshold")]
fn refuses_a_bad_oracle_set(oracles: Vec<Pubkey>, threshold: u8, expected: RewardsError) {
    let mut net = Net::new(TokenProgram::SplToken);
    expect_ok(net.set_oracles(keys(3), 2));
    let before = net.oracle_set();
    assert_custom_error(&net.set_oracles(oracles, threshold), 0, expected.into());
    assert_eq!(net.oracle_set(), before);
}

#[test]
fn k_matching_votes_post_a_root_and_open_the_dispute_window() {
    let mut net = ready();
    let args = vote_args(0, EPOCH_EMISSION);
    let key = net.proposal_key(&args);

    let meta = expect_ok(net.vote(0, &args));
    let now = net.env.now();
    let (_, bump) = proposal_pda(1, 0, &args);
    assert_eq!(
        net.proposal(&key),
        RootProposal {
            bump,
            status: ProposalStatus::Voting,
            payer: net.oracles[0].pubkey(),
            votes: 0b001,
            set_version: 1,
            round: 0,
            epoch: 0,
            root: args.root,
            total: EPOCH_EMISSION,
            manifest_hash: args.manifest_hash,
            posted_at: 0,
            dispute_ends: 0,
        }
    );
    let voted: Vec<RootVoted> = cpi_events(&meta);
    assert_eq!(
        (
            voted[0].proposal,
            voted[0].oracle,
            voted[0].votes,
            voted[0].timestamp
        ),
        (key, net.oracles[0].pubkey(), 1, now)
    );
    assert!(cpi_events::<RootPosted>(&meta).is_empty());
    assert_eq!(net.oracle_set().seats[0].last_vote, 1);
    // The first voter paid the proposal's rent.
    assert_eq!(
        net.env.account(&key).unwrap().lamports,
        net.env.rent_exempt(RootProposal::SIZE)
    );

    let meta = expect_ok(net.vote(2, &args));
    let now = net.env.now();
    let p = net.proposal(&key);
    assert_eq!(
        (p.status, p.votes, p.posted_at, p.dispute_ends),
        (ProposalStatus::Posted, 0b101, now, now + DISPUTE_SECS)
    );
    let posted: Vec<RootPosted> = cpi_events(&meta);
    assert_eq!(
        (
            posted[0].proposal,
            posted[0].epoch,
            posted[0].total,
            posted[0].dispute_ends
        ),
        (key, 0, EPOCH_EMISSION, now + DISPUTE_SECS)
    );
    // Posting does not make it final.
    assert_eq!(net.network().final_root, FinalRoot::default());
}

#[test]
fn refuses_to_finalize_against_a_copied_network_or_oracle_set() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    expect_ok(net.vote(0, &args));
    expect_ok(net.vote(1, &args));
    let key = net.proposal_key(&args);
    net.env.warp_to_timestamp(net.proposal(&key).dispute_ends);
    // Byte-for-byte copies of the two singletons at other addresses, owned by this program.
    let network = net.env.copy_account(&network_pda().0, |_| {});
    let oracle_set = net.env.copy_account(&oracle_set_pda().0, |_| {});

    let mut a = finalize_root_accounts(key);
    a.network = network;
    let result = net.env.send_fresh(&[finalize_root(a)], &[]);
    assert_custom_error(&result, 0, RewardsError::WrongNetwork.into());
    let mut a = finalize_root_accounts(key);
    a.oracle_set = oracle_set;
    let result = net.env.send_fresh(&[finalize_root(a)], &[]);
    assert_custom_error(&result, 0, RewardsError::WrongOracleSet.into());
    assert_eq!(net.network().final_root, FinalRoot::default());
    assert_eq!(net.proposal(&key).status, ProposalStatus::Posted);

    // The real accounts finalize it.
    expect_ok(net.finalize(key));
    assert_eq!(net.network().final_root.epochs, 1);
}

#[test]
fn finalizes_only_after_the_dispute_window() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    expect_ok(net.vote(0, &args));
    expect_ok(net.vote(1, &args));
    let key = net.proposal_key(&args);
    let ends = net.proposal(&key).dispute_ends;

    net.env.warp_to_timestamp(ends - 1);
    assert_custom_error(
        &net.finalize(key),
        0,
        RewardsError::DisputeWindowOpen.into(),
    );
    assert_eq!(net.network().final_root, FinalRoot::default());

    net.env.warp_to_timestamp(ends);
    let meta = expect_ok(net.finalize(key));
    let expected = FinalRoot {
        epochs: 1,
        root: args.root,
        total: 1_000,
        manifest_hash: args.manifest_hash,
    };
    assert_eq!(net.network().final_root, expected);
    assert_eq!(net.proposal(&key).status, ProposalStatus::Final);
    let events: Vec<RootFinalized> = cpi_events(&meta);
    assert_eq!(
        (
            events[0].proposal,
            events[0].epoch,
            events[0].total,
            events[0].timestamp
        ),
        (key, 0, 1_000, ends)
    );

    // Replay: it is final already.
    assert_custom_error(&net.finalize(key), 0, RewardsError::NotPosted.into());
    assert_eq!(net.network().final_root, expected);
}

#[test]
fn refuses_to_finalize_a_root_still_voting() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    expect_ok(net.vote(0, &args));
    let key = net.proposal_key(&args);
    net.warp(30 * DAY);
    assert_custom_error(&net.finalize(key), 0, RewardsError::NotPosted.into());
}

#[test]
fn refuses_a_vote_from_outside_the_set() {
    let mut net = ready();
    let stranger = net.env.funded_keypair();
    let args = vote_args(0, 1_000);
    // Even with a bond of its own.
    expect_ok(net.bond(&stranger, BOND));
    assert_custom_error(
        &net.vote_as(&stranger, &args),
        0,
        RewardsError::NotAnOracle.into(),
    );
    assert!(net.env.account(&net.proposal_key(&args)).is_none());
}

#[test]
fn refuses_a_second_vote_by_the_same_oracle() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    expect_ok(net.vote(0, &args));
    let key = net.proposal_key(&args);
    let before = net.proposal(&key);
    assert_custom_error(&net.vote(0, &args), 0, RewardsError::AlreadyVoted.into());
    assert_eq!(net.proposal(&key), before);
}

#[test]
fn refuses_a_conflicting_vote_in_the_same_epoch() {
    let mut net = ready();
    expect_ok(net.vote(0, &vote_args(0, 1_000)));
    let other = VoteRootArgs {
        root: [0x99; 32],
        ..vote_args(0, 1_000)
    };
    assert_custom_error(
        &net.vote(0, &other),
        0,
        RewardsError::ConflictingVote.into(),
    );
    assert!(net.env.account(&net.proposal_key(&other)).is_none());
}

#[test]
fn a_wrong_total_or_manifest_cannot_block_the_honest_root() {
    let mut net = ready();
    let honest = vote_args(0, 1_000);
    // A dishonest oracle votes first for the honest root hash with a wrong total, and another
    // for it with a wrong manifest: each is its own candidate at its own address.
    let wrong_total = VoteRootArgs {
        total: 999,
        ..honest.clone()
    };
    let wrong_manifest = VoteRootArgs {
        manifest_hash: [0; 32],
        ..honest.clone()
    };
    expect_ok(net.vote(2, &wrong_total));
    let other = net.oracles[2].insecure_clone();
    // (one vote per epoch per oracle: a second oracle-less attacker key cannot vote at all)
    assert_custom_error(
        &net.vote_as(&other, &wrong_manifest),
        0,
        RewardsError::ConflictingVote.into(),
    );
    assert_ne!(net.proposal_key(&wrong_total), net.proposal_key(&honest));
    assert_ne!(net.proposal_key(&wrong_manifest), net.proposal_key(&honest));
    // The honest oracles still post the honest tuple.
    expect_ok(net.vote(0, &honest));
    expect_ok(net.vote(1, &honest));
    let p = net.proposal(&net.proposal_key(&honest));
    assert_eq!((p.status, p.total), (ProposalStatus::Posted, 1_000));
    assert_eq!(
        net.proposal(&net.proposal_key(&wrong_total)).status,
        ProposalStatus::Voting
    );
}

#[test]
fn refuses_a_vote_once_posted() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    expect_ok(net.vote(0, &args));
    expect_ok(net.vote(1, &args));
    assert_custom_error(&net.vote(2, &args), 0, RewardsError::NotVoting.into());
}

#[test]
fn posting_checks() {
    let mut net = ready();
    // Not the next epoch.
    assert_custom_error(
        &net.vote(0, &vote_args(1, 1)),
        0,
        RewardsError::WrongEpoch.into(),
    );
    // Epoch 1 has started, so it is minted too: the vault holds two epochs. A root for epoch 0
    // may still give out only epoch 0's emission: one unit more is refused.
    expect_ok(net.crank());
    assert_eq!(net.network().cumulative_budget, 2 * EPOCH_EMISSION);
    assert_custom_error(
        &net.vote(0, &vote_args(0, EPOCH_EMISSION + 1)),
        0,
        RewardsError::TotalExceedsBudget.into(),
    );
    // The whole budget is fine.
    let args = vote_args(0, EPOCH_EMISSION - 10);
    net.post_and_finalize(&args);

    // Epoch 1 has started (and is minted) but has not ended: no root for it yet.
    assert!(net.env.now() < net.start + 2 * DAY);
    assert_custom_error(
        &net.vote(0, &vote_args(1, EPOCH_EMISSION)),
        0,
        RewardsError::EpochNotEnded.into(),
    );
    net.warp(2 * DAY);
    // Below the last final total.
    assert_custom_error(
        &net.vote(0, &vote_args(1, EPOCH_EMISSION - 11)),
        0,
        RewardsError::TotalBelowFinal.into(),
    );
    // Equal to it is fine (nobody earned anything in epoch 1).
    expect_ok(net.vote(0, &vote_args(1, EPOCH_EMISSION - 10)));
}

#[test]
fn refuses_a_root_for_an_epoch_not_minted() {
    let mut net = Net::new(TokenProgram::SplToken);
    net.install_oracles(1, 1);
    // Epoch 0 has ended, but nobody cranked it: there is no budget for it.
    net.warp(DAY);
    assert_custom_error(
        &net.vote(0, &vote_args(0, 0)),
        0,
        RewardsError::EpochNotEnded.into(),
    );
}

#[test]
fn rotation_voids_posted_roots_that_are_not_final() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    expect_ok(net.vote(0, &args));
    expect_ok(net.vote(1, &args));
    let stale = net.proposal_key(&args);

    let new_oracles: Vec<Keypair> = (0..3).map(|_| net.env.funded_keypair()).collect();
    expect_ok(net.set_oracles(new_oracles.iter().map(Signer::pubkey).collect(), 2));
    for o in &new_oracles {
        expect_ok(net.bond(o, BOND));
    }
    let ends = net.proposal(&stale).dispute_ends;
    net.env.warp_to_timestamp(ends);
    assert_custom_error(&net.finalize(stale), 0, RewardsError::StaleOracleSet.into());
    assert_eq!(net.network().final_root, FinalRoot::default());

    // The old oracles are out; the new set votes afresh (a new proposal account).
    assert_custom_error(&net.vote(0, &args), 0, RewardsError::NotAnOracle.into());
    net.oracles = new_oracles;
    let fresh = net.post_and_finalize(&args);
    assert_ne!(fresh, stale);
    assert_eq!(net.network().final_root.total, 1_000);
}

#[test]
fn refuses_another_oracles_bond() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    // Oracle 1 votes with oracle 0's bond record, which is program-owned and holds enough.
    let mut a = vote_root_accounts(net.oracles[1].pubkey(), 1, &args);
    a.bond = bond_pda(&net.oracles[0].pubkey()).0;
    let oracle = net.oracles[1].insecure_clone();
    let result = net
        .env
        .send_fresh(&[vote_root(a, args.clone())], &[&oracle]);
    assert_custom_error(&result, 0, RewardsError::WrongBond.into());
    // A lookalike bond record naming oracle 1, owned by another program (only this program can
    // create accounts it owns, and it creates bond records only at their PDA).
    let oracle_1 = net.oracles[1].pubkey();
    let fake = net
        .env
        .copy_account(&bond_pda(&net.oracles[0].pubkey()).0, |a| {
            a.owner = staking::ID;
            a.data[9..41].copy_from_slice(oracle_1.as_ref());
        });
    let mut a = vote_root_accounts(oracle_1, 1, &args);
    a.bond = fake;
    let result = net
        .env
        .send_fresh(&[vote_root(a, args.clone())], &[&oracle]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram.into(),
    );
    // Nothing was recorded: the honest vote still goes through.
    assert!(net.env.account(&net.proposal_key(&args)).is_none());
    expect_ok(net.vote(1, &args));
}

#[test]
fn refuses_a_substituted_oracle_set_or_proposal() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    // An oracle-set lookalike at another address, listing the attacker.
    let attacker = net.env.funded_keypair();
    expect_ok(net.bond(&attacker, BOND));
    let fake_key = net.env.copy_account(&oracle_set_pda().0, |a| {
        a.data[8 + 4 + 4..8 + 4 + 4 + 32].copy_from_slice(attacker.pubkey().as_ref());
    });
    let mut a = vote_root_accounts(attacker.pubkey(), 1, &args);
    a.oracle_set = fake_key;
    let result = net
        .env
        .send_fresh(&[vote_root(a, args.clone())], &[&attacker]);
    assert_custom_error(&result, 0, RewardsError::WrongOracleSet.into());

    // A proposal address that is not the PDA of the arguments.
    let mut a = vote_root_accounts(net.oracles[0].pubkey(), 1, &args);
    a.proposal = proposal_pda(
        1,
        0,
        &VoteRootArgs {
            root: [0x77; 32],
            ..args.clone()
        },
    )
    .0;
    let oracle = net.oracles[0].insecure_clone();
    let result = net.env.send_fresh(&[vote_root(a, args)], &[&oracle]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
}

#[test]
fn refuses_a_duplicate_vote_transaction() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    let oracle = net.oracles[0].insecure_clone();
    let ix = vote_root(vote_root_accounts(oracle.pubkey(), 1, &args), args);
    expect_ok(net.env.send(std::slice::from_ref(&ix), &[&oracle]));
    assert_tx_error(
        &net.env.send(&[ix], &[&oracle]),
        TransactionError::AlreadyProcessed,
    );
}

fn close(net: &mut Net, proposal: Pubkey, payer: Pubkey) -> litesvm::types::TransactionResult {
    net.env
        .send_fresh(&[close_proposal_ix(proposal, payer)], &[])
}

#[test]
fn finished_and_losing_proposals_are_closed_and_their_rent_returned() {
    let mut net = ready();
    // Oracle 2 backs a different root, which loses.
    let losing = VoteRootArgs {
        root: [0x55; 32],
        ..vote_args(0, 900)
    };
    expect_ok(net.vote(2, &losing));
    let losing_key = net.proposal_key(&losing);
    let winning = vote_args(0, 1_000);
    let winning_key = net.proposal_key(&winning);
    expect_ok(net.vote(0, &winning));
    expect_ok(net.vote(1, &winning));

    // Both are live until the winner is final.
    let o2 = net.oracles[2].pubkey();
    let o0 = net.oracles[0].pubkey();
    assert_custom_error(
        &close(&mut net, losing_key, o2),
        0,
        RewardsError::ProposalStillLive.into(),
    );
    assert_custom_error(
        &close(&mut net, winning_key, o0),
        0,
        RewardsError::ProposalStillLive.into(),
    );

    let ends = net.proposal(&winning_key).dispute_ends;
    net.env.warp_to_timestamp(ends);
    expect_ok(net.finalize(winning_key));

    // Only the oracle that paid gets the rent back.
    assert_custom_error(
        &close(&mut net, winning_key, o2),
        0,
        RewardsError::NotProposalPayer.into(),
    );
    let rent = net.env.rent_exempt(RootProposal::SIZE);
    for (key, payer) in [(winning_key, o0), (losing_key, o2)] {
        let before = net.env.account(&payer).unwrap().lamports;
        let meta = expect_ok(close(&mut net, key, payer));
        assert_eq!(net.env.account(&payer).unwrap().lamports, before + rent);
        assert!(net.env.account(&key).is_none());
        let e: Vec<ProposalClosed> = cpi_events(&meta);
        assert_eq!((e[0].proposal, e[0].epoch, e[0].rent), (key, 0, rent));
    }
    // Replay: nothing left to close.
    assert_custom_error(
        &close(&mut net, winning_key, o0),
        0,
        anchor_lang::error::ErrorCode::AccountNotInitialized.into(),
    );
    // The final root is untouched.
    assert_eq!(net.network().final_root.total, 1_000);
}

#[test]
fn a_proposal_from_an_older_oracle_set_is_closed() {
    let mut net = ready();
    let args = vote_args(0, 1_000);
    expect_ok(net.vote(0, &args));
    let key = net.proposal_key(&args);
    let o0 = net.oracles[0].pubkey();
    assert_custom_error(
        &close(&mut net, key, o0),
        0,
        RewardsError::ProposalStillLive.into(),
    );
    let keys: Vec<Pubkey> = net.oracles.iter().map(Signer::pubkey).collect();
    expect_ok(net.set_oracles(keys, 2));
    expect_ok(close(&mut net, key, o0));
    assert!(net.env.account(&key).is_none());
}
