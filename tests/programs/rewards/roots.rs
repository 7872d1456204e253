//! `rewards::set_oracle_set`, `vote_root` and `finalize_root`: k-of-n votes on
//! `(epoch, root, total, leaves, manifest_hash)`, the posting checks (the leaf count included),
//! the dispute window, voting rounds after a void, and rotation.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::constants::{MAX_LEAVES, MAX_ORACLES};
use rewards::error::RewardsError;
use rewards::events::{
    FraudKind, OracleSetChanged, ProposalClosed, RootFinalized, RootPosted, RootVoided, RootVoted,
};
use rewards::state::{BaseRoot, FinalRoot, OracleBond, OracleSeat, ProposalStatus, RootProposal};
use solana_transaction_error::TransactionError;
use test_case::test_case;

use super::fixture::*;

/// The leaf count of `vote_args`' (made-up) roots.
const LEAVES: u64 = 3;

fn vote_args(epoch: u64, total: u64) -> VoteRootArgs {
    VoteRootArgs {
        epoch,
        root: [u8::try_from(epoch).unwrap() + 0x40; 32],
        total,
        leaves: LEAVES,
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
            leaves: LEAVES,
            manifest_hash: args.manifest_hash,
            posted_at: 0,
            dispute_ends: 0,
            // No root is final yet: it extends the empty tree.
            base: BaseRoot::default(),
            open_demands: 0,
            voters: std::array::from_fn(|seat| {
                if seat == 0 {
                    net.oracles[0].pubkey()
                } else {
                    Pubkey::default()
                }
            }),
            contested: 0,
            contest_ends: 0,
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
        leaves: LEAVES,
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

#[test]
fn the_leaf_count_never_shrinks_and_agrees_with_the_root() {
    let mut net = ready();
    let empty = VoteRootArgs {
        epoch: 0,
        root: [0; 32],
        total: 0,
        leaves: 0,
        manifest_hash: [0x4d; 32],
    };
    // A count that disagrees with an empty or non-empty root, or one above 2^32 leaves.
    for bad in [
        VoteRootArgs {
            leaves: 0,
            ..vote_args(0, 1_000)
        },
        VoteRootArgs {
            leaves: 1,
            ..empty.clone()
        },
        VoteRootArgs {
            total: 1,
            ..empty.clone()
        },
        VoteRootArgs {
            leaves: MAX_LEAVES + 1,
            ..vote_args(0, 1_000)
        },
    ] {
        assert_custom_error(&net.vote(0, &bad), 0, RewardsError::InvalidLeafCount.into());
        assert!(net.env.account(&net.proposal_key(&bad)).is_none());
    }
    assert_eq!(net.oracle_set().seats[0].last_vote, 0);

    // The empty tree (no wallet earned anything) is a root like any other.
    let key = net.post_and_finalize(&empty);
    assert_eq!(net.proposal(&key).status, ProposalStatus::Final);
    assert_eq!(
        net.network().final_root,
        FinalRoot {
            epochs: 1,
            root: [0; 32],
            total: 0,
            manifest_hash: [0x4d; 32],
            leaves: 0,
        }
    );

    // Epoch 1: 2^32 leaves is the most a root may have (oracle 0 backs a losing candidate with
    // that count); oracles 1 and 2 make a root of five leaves final.
    net.mint_through(1);
    let widest = VoteRootArgs {
        leaves: MAX_LEAVES,
        ..vote_args(1, 1_000)
    };
    expect_ok(net.vote(0, &widest));
    assert_eq!(net.proposal(&net.proposal_key(&widest)).leaves, 1 << 32);
    let five = VoteRootArgs {
        leaves: 5,
        ..vote_args(1, 1_000)
    };
    expect_ok(net.vote(1, &five));
    expect_ok(net.vote(2, &five));
    let key = net.proposal_key(&five);
    net.env.warp_to_timestamp(net.proposal(&key).dispute_ends);
    expect_ok(net.finalize(key));
    assert_eq!(net.network().final_root.leaves, 5);

    // Epoch 2: wallets keep their index, so fewer leaves is refused, and so is the empty tree
    // (with the final total, so that only the count is wrong).
    net.mint_through(2);
    for bad in [
        VoteRootArgs {
            leaves: 4,
            ..vote_args(2, 1_000)
        },
        VoteRootArgs {
            epoch: 2,
            total: 1_000,
            ..empty.clone()
        },
    ] {
        assert_custom_error(&net.vote(0, &bad), 0, RewardsError::InvalidLeafCount.into());
        assert!(net.env.account(&net.proposal_key(&bad)).is_none());
    }
    // The same count is fine, and the proposal records the final root it extends.
    let same = VoteRootArgs {
        leaves: 5,
        ..vote_args(2, 1_000)
    };
    expect_ok(net.vote(0, &same));
    let p = net.proposal(&net.proposal_key(&same));
    assert_eq!(
        (p.leaves, p.base),
        (
            5,
            BaseRoot {
                root: five.root,
                total: 1_000,
                leaves: 5,
            }
        )
    );
}

fn bond_of(net: &Net, oracle: &Pubkey) -> OracleBond {
    net.env.anchor_account(&bond_pda(oracle).0)
}

/// F4: a colluding majority that posts a fraudulent root cannot lock the honest minority out of
/// the epoch. Five seats, k = 3: seats 3 and 4 back the honest tuple, seats 0 to 2 post a root
/// that robs a wallet. Once the fraud is proven, the void starts a new voting round: seats 3
/// and 4 vote again, and seats 0 to 2 are slashed and barred.
#[test]
fn a_proven_fraud_frees_the_honest_seats_and_bars_every_voter() {
    let mut net = Net::new(TokenProgram::SplToken);
    net.install_oracles(5, 3);
    let keys: Vec<Pubkey> = net.oracles.iter().map(Signer::pubkey).collect();
    let wallets: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
    // Epoch 0: the honest root over three wallets is final (seats 0 to 2 vote for it).
    net.mint_through(0);
    let base: Vec<(Pubkey, u64)> = wallets.iter().copied().zip([500, 300, 200]).collect();
    let (base_tree, base_vote) = tree_vote(0, &base);
    net.post_and_finalize(&base_vote);

    // Epoch 1: the honest tuple X gets seats 3 and 4, one short of the threshold.
    net.mint_through(1);
    let honest: Vec<(Pubkey, u64)> = wallets.iter().copied().zip([900, 300, 400]).collect();
    let (_, x) = tree_vote(1, &honest);
    expect_ok(net.vote(3, &x));
    expect_ok(net.vote(4, &x));
    let x_round_0 = net.proposal_key(&x);
    // Seats 0 to 2 post R: the same total, but 100 taken from wallet 1 and given to wallet 0.
    let robbed: Vec<(Pubkey, u64)> = wallets.iter().copied().zip([1_000, 200, 400]).collect();
    let (robbed_tree, r) = tree_vote(1, &robbed);
    assert_eq!(r.total, x.total);
    for seat in 0..3 {
        expect_ok(net.vote(seat, &r));
    }
    let fraud = net.proposal_key(&r);
    let p = net.proposal(&fraud);
    assert_eq!(
        (p.status, p.votes, p.round),
        (ProposalStatus::Posted, 0b00111, 0)
    );
    assert_eq!(&p.voters[..3], &keys[..3]);
    assert_eq!(&p.voters[3..], &[Pubkey::default(); MAX_ORACLES - 3]);
    assert_eq!(
        p.base,
        BaseRoot {
            root: base_vote.root,
            total: 1_000,
            leaves: 3,
        }
    );

    // One vote per epoch and round: no seat may back a second tuple, honest or not.
    let other = VoteRootArgs {
        manifest_hash: [0x0f; 32],
        ..x.clone()
    };
    assert_custom_error(
        &net.vote(3, &other),
        0,
        RewardsError::ConflictingVote.into(),
    );
    assert_custom_error(&net.vote(0, &x), 0, RewardsError::ConflictingVote.into());
    assert_eq!(net.proposal(&x_round_0).votes, 0b11000);

    // Anyone proves the decrease at wallet 1's index (1): 300 in the base, 200 in R.
    let challenger = net.env.funded_keypair();
    let first = net.probe_tree(&challenger, fraud, ProbeSide::Base, &base_tree, &base, 1);
    let second = net.probe_tree(
        &challenger,
        fraud,
        ProbeSide::Posted,
        &robbed_tree,
        &robbed,
        1,
    );
    let before = net.env.account(&challenger.pubkey()).unwrap().lamports;
    let meta = expect_ok(net.prove(
        &challenger,
        fraud,
        (first, Some(second)),
        Evidence::Decrease,
    ));
    let reward = 3 * BOND * u64::from(CHALLENGER_BPS) / 10_000;
    assert_eq!(reward, 1_200_000_000);
    assert_eq!(
        net.env.account(&challenger.pubkey()).unwrap().lamports,
        before + reward
    );
    let voided: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(
        (
            voided[0].proposal,
            voided[0].kind,
            voided[0].slashed.clone(),
            voided[0].slashed_amount,
            voided[0].challenger_reward,
            voided[0].burned
        ),
        (
            fraud,
            FraudKind::Decrease,
            keys[..3].to_vec(),
            3 * BOND,
            reward,
            3 * BOND - reward
        )
    );
    assert_eq!(net.proposal(&fraud).status, ProposalStatus::Voided);
    assert_eq!(net.network().voided_roots, 1);
    assert_eq!(net.oracle_set().slashed, 0b00111);
    for (seat, key) in keys.iter().enumerate() {
        let expected = if seat < 3 { 0 } else { BOND };
        assert_eq!(bond_of(&net, key).amount, expected);
    }

    // Round 1: seats 3 and 4 vote for X again (a new proposal: the round is in its address);
    // the slashed seats may not vote at all.
    expect_ok(net.vote(3, &x));
    expect_ok(net.vote(4, &x));
    let x_round_1 = net.proposal_key(&x);
    assert_ne!(x_round_1, x_round_0);
    let p = net.proposal(&x_round_1);
    assert_eq!(
        (p.status, p.votes, p.round),
        (ProposalStatus::Voting, 0b11000, 1)
    );
    for seat in 0..3 {
        assert_custom_error(&net.vote(seat, &x), 0, RewardsError::OracleSlashed.into());
    }
    assert_eq!(net.proposal(&x_round_1).votes, 0b11000);

    // Every voter of a voided root is slashed, and a root needs k > n / 2 voters, so a void
    // always leaves fewer than k unslashed seats (here 2 < 3): the set cannot post again until
    // governance rotates it. Three fresh oracles join the two unslashed ones, k = 3, and the
    // honest root is posted and final.
    let fresh: Vec<Keypair> = (0..3).map(|_| net.env.funded_keypair()).collect();
    for o in &fresh {
        expect_ok(net.bond(o, BOND));
    }
    let mut next: Vec<Keypair> = net.oracles.drain(3..).collect();
    next.extend(fresh);
    net.oracles = next;
    let next_keys: Vec<Pubkey> = net.oracles.iter().map(Signer::pubkey).collect();
    expect_ok(net.set_oracles(next_keys.clone(), 3));
    let set = net.oracle_set();
    assert_eq!(
        (set.set_version, set.threshold, set.count, set.slashed),
        (2, 3, 5, 0)
    );
    assert_eq!(
        &set.seats[..2].iter().map(|s| s.key).collect::<Vec<_>>(),
        &keys[3..]
    );
    let key = net.post_and_finalize(&x);
    assert_eq!(net.proposal(&key).voters[..3], next_keys[..3]);
    assert_eq!(
        net.network().final_root,
        FinalRoot {
            epochs: 2,
            root: x.root,
            total: x.total,
            manifest_hash: x.manifest_hash,
            leaves: 3,
        }
    );
}
