//! Oracle bonds (`post_bond`, `withdraw_bond`) and fraud proofs (`open_probe`, `extend_probe`,
//! `prove_fraud`, `close_probe`): a decrease (omission included), a duplicate and an
//! inconsistent sum each void the posted root and slash every voter, at any tree size, in
//! transactions that fit the packet; rotation is no amnesty and no voter can dodge a proof.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use merkle_sum::Node;
use rewards::constants::{DEMAND_DEPOSIT, DEMAND_DOUBLING, INCINERATOR, MAX_PROBE_STEP};
use rewards::error::RewardsError;
use rewards::events::{BondPosted, BondWithdrawn, FraudKind, RootVoided};
use rewards::state::{
    Demand, Network, OracleBond, Probe, ProposalStatus, ProvenLeaf, RootProposal,
};

use super::fixture::*;

/// Three bonded oracles (threshold two), epoch 0 minted and ended.
fn ready() -> Net {
    let mut net = Net::new(TokenProgram::SplToken);
    net.install_oracles(3, 2);
    net.mint_through(0);
    net
}

fn lamports(net: &Net, key: &Pubkey) -> u64 {
    net.env.lamports(key)
}

fn bond_of(net: &Net, oracle: &Pubkey) -> OracleBond {
    net.env.anchor_account(&bond_pda(oracle).0)
}

// --------------------------------------------------------------------------------------------
// Bonds

#[test]
fn oracles_bond_in_lamports_above_rent() {
    let mut net = Net::new(TokenProgram::SplToken);
    let oracle = net.env.funded_keypair();
    let before = lamports(&net, &oracle.pubkey());
    let meta = expect_ok(net.bond(&oracle, 700));
    let (key, bump) = bond_pda(&oracle.pubkey());
    let rent = net.env.rent_exempt(OracleBond::SIZE);
    assert_eq!(lamports(&net, &key), rent + 700);
    assert_eq!(lamports(&net, &oracle.pubkey()), before - rent - 700);
    assert_eq!(
        bond_of(&net, &oracle.pubkey()),
        OracleBond {
            bump,
            oracle: oracle.pubkey(),
            amount: 700
        }
    );
    let e: Vec<BondPosted> = cpi_events(&meta);
    assert_eq!(
        (e[0].oracle, e[0].amount, e[0].bonded),
        (oracle.pubkey(), 700, 700)
    );

    expect_ok(net.bond(&oracle, 300));
    assert_eq!(bond_of(&net, &oracle.pubkey()).amount, 1_000);
    assert_eq!(lamports(&net, &key), rent + 1_000);
    assert_custom_error(&net.bond(&oracle, 0), 0, RewardsError::ZeroAmount.into());
}

#[test]
fn a_bond_that_would_overflow_is_refused_with_math_overflow() {
    let mut net = Net::new(TokenProgram::SplToken);
    let oracle = net.env.funded_keypair();
    expect_ok(net.bond(&oracle, 700));
    let (key, _) = bond_pda(&oracle.pubkey());
    edit_anchor_account(&mut net.env, &key, |b: &mut OracleBond| {
        b.amount = u64::MAX - 5;
    });
    let before = (lamports(&net, &oracle.pubkey()), lamports(&net, &key));
    assert_custom_error(&net.bond(&oracle, 6), 0, RewardsError::MathOverflow.into());
    assert_eq!(bond_of(&net, &oracle.pubkey()).amount, u64::MAX - 5);
    // No lamports moved (the test's payer pays the fee).
    assert_eq!(
        (lamports(&net, &oracle.pubkey()), lamports(&net, &key)),
        before
    );
}

#[test]
fn a_bond_below_the_requirement_cannot_vote() {
    let mut net = Net::new(TokenProgram::SplToken);
    let oracle = net.env.funded_keypair();
    expect_ok(net.set_oracles(vec![oracle.pubkey()], 1));
    expect_ok(net.bond(&oracle, BOND - 1));
    net.oracles = vec![oracle.insecure_clone()];
    net.mint_through(0);
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 10)]);
    assert_custom_error(&net.vote(0, &args), 0, RewardsError::BondTooLow.into());
    expect_ok(net.bond(&oracle, 1));
    expect_ok(net.vote(0, &args));
}

#[test]
fn an_oracle_without_a_bond_cannot_vote() {
    let mut net = Net::new(TokenProgram::SplToken);
    let oracle = net.env.funded_keypair();
    expect_ok(net.set_oracles(vec![oracle.pubkey()], 1));
    net.oracles = vec![oracle];
    net.mint_through(0);
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 10)]);
    assert_custom_error(
        &net.vote(0, &args),
        0,
        anchor_lang::error::ErrorCode::AccountNotInitialized.into(),
    );
}

fn withdraw(net: &mut Net, oracle: &Keypair, amount: u64) -> litesvm::types::TransactionResult {
    let ix = withdraw_bond(withdraw_bond_accounts(oracle.pubkey()), amount);
    net.env.send_fresh(&[ix], &[oracle])
}

#[test]
fn a_bond_is_withdrawn_only_out_of_the_set() {
    let mut net = ready();
    let oracle = net.oracles[0].insecure_clone();
    assert_custom_error(
        &withdraw(&mut net, &oracle, 1),
        0,
        RewardsError::StillAnOracle.into(),
    );
    // Rotated out with no root posted under its set: nothing can be disputed, so it may leave.
    let others: Vec<Pubkey> = net.oracles[1..].iter().map(Signer::pubkey).collect();
    expect_ok(net.set_oracles(others, 2));
    let before = lamports(&net, &oracle.pubkey());
    let meta = expect_ok(withdraw(&mut net, &oracle, 400_000_000));
    assert_eq!(lamports(&net, &oracle.pubkey()), before + 400_000_000);
    assert_eq!(bond_of(&net, &oracle.pubkey()).amount, BOND - 400_000_000);
    let e: Vec<BondWithdrawn> = cpi_events(&meta);
    assert_eq!((e[0].amount, e[0].bonded), (400_000_000, 600_000_000));
    assert_custom_error(
        &withdraw(&mut net, &oracle, 600_000_001),
        0,
        RewardsError::InsufficientBond.into(),
    );
    expect_ok(withdraw(&mut net, &oracle, 600_000_000));
    let rent = net.env.rent_exempt(OracleBond::SIZE);
    assert_eq!(lamports(&net, &bond_pda(&oracle.pubkey()).0), rent);
}

#[test]
fn nobody_withdraws_another_oracles_bond() {
    let mut net = ready();
    let thief = net.env.funded_keypair();
    let victim = net.oracles[0].pubkey();
    let mut a = withdraw_bond_accounts(thief.pubkey());
    a.bond = bond_pda(&victim).0;
    let result = net.env.send_fresh(&[withdraw_bond(a, 1)], &[&thief]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
    assert_eq!(bond_of(&net, &victim).amount, BOND);
}

// --------------------------------------------------------------------------------------------
// Trees built by hand: the lies an honest builder refuses to make.

/// A four-leaf tree in index order whose node over leaves 0 and 1 publishes `lie` as its sum.
struct LyingTree {
    leaves: [Node; 4],
    bad: Node,
    uncle: Node,
    root: Node,
}

fn lying_tree(wallets: &[Pubkey; 4], amounts: [u64; 4], lie: u64) -> LyingTree {
    let leaves = [0, 1, 2, 3].map(|i| merkle_sum::leaf(&wallets[i].to_bytes(), amounts[i]));
    let bad = Node {
        hash: merkle_sum::node_hash(&leaves[0], &leaves[1]),
        sum: lie,
    };
    let uncle = merkle_sum::parent(&leaves[2], &leaves[3]).unwrap();
    let root = merkle_sum::parent(&bad, &uncle).unwrap();
    LyingTree {
        leaves,
        bad,
        uncle,
        root,
    }
}

fn vote_for(epoch: u64, root: &Node, leaves: u64) -> VoteRootArgs {
    VoteRootArgs {
        epoch,
        root: root.hash,
        total: root.sum,
        leaves,
        manifest_hash: [0x11; 32],
    }
}

/// Oracles 0 and 1 vote `args`, which posts it.
fn post(net: &mut Net, args: &VoteRootArgs) -> Pubkey {
    expect_ok(net.vote(0, args));
    expect_ok(net.vote(1, args));
    net.proposal_key(args)
}

/// Opens the posted-side probe of leaf 0 of `t` at its lying node (level 1).
fn probe_lying_node(net: &mut Net, opener: &Keypair, proposal: Pubkey, t: &LyingTree) -> Pubkey {
    let open = OpenProbeArgs {
        side: ProbeSide::Posted,
        index: 0,
        target: ProbeTarget::Node {
            level: 1,
            node: node(&t.bad),
        },
        path: vec![node(&t.uncle)],
    };
    net.probe(opener, proposal, ProbeSide::Posted, (open, Vec::new()))
}

fn children(t: &LyingTree) -> Evidence {
    Evidence::InconsistentSum {
        preimage: NodePreimage::Children {
            left: node(&t.leaves[0]),
            right: node(&t.leaves[1]),
        },
    }
}

/// Oracles 0 and 1 (of three, bond `BOND` each) voted and were slashed to their rent: 40 % of
/// their 2 SOL went to the challenger and 60 % to the incinerator; oracle 2 keeps its bond.
fn assert_voters_0_and_1_slashed(net: &Net, challenger: &Pubkey, before: (u64, u64)) {
    let rent = net.env.rent_exempt(OracleBond::SIZE);
    for v in [net.oracles[0].pubkey(), net.oracles[1].pubkey()] {
        assert_eq!(bond_of(net, &v).amount, 0);
        assert_eq!(lamports(net, &bond_pda(&v).0), rent);
    }
    assert_eq!(bond_of(net, &net.oracles[2].pubkey()).amount, BOND);
    assert_eq!(lamports(net, challenger), before.0 + 800_000_000);
    assert_eq!(lamports(net, &INCINERATOR), before.1 + 1_200_000_000);
    assert_eq!(net.oracle_set().slashed, 0b011);
}

fn balances(net: &Net, challenger: &Keypair) -> (u64, u64) {
    (
        lamports(net, &challenger.pubkey()),
        lamports(net, &INCINERATOR),
    )
}

// --------------------------------------------------------------------------------------------
// An inconsistent sum

#[test]
fn an_inconsistent_sum_voids_the_root_and_slashes_every_voter() {
    let mut net = ready();
    let wallets = [(); 4].map(|_| Pubkey::new_unique());
    // Leaves 0 and 1 hold 300 but their node says 3: the root's total understates by 297.
    let t = lying_tree(&wallets, [100, 200, 300, 400], 3);
    assert_eq!(t.root.sum, 703);
    let proposal = post(&mut net, &vote_for(0, &t.root, 4));
    let voters = vec![net.oracles[0].pubkey(), net.oracles[1].pubkey()];
    let challenger = net.env.funded_keypair();
    let probe = probe_lying_node(&mut net, &challenger, proposal, &t);
    let before = balances(&net, &challenger);

    let meta = expect_ok(net.prove(&challenger, proposal, (probe, None), children(&t)));
    let now = net.env.now();
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Voided);
    assert_voters_0_and_1_slashed(&net, &challenger.pubkey(), before);
    assert_eq!(net.network().voided_roots, 1);
    let e: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].proposal,
            e[0].epoch,
            e[0].kind,
            e[0].challenger,
            e[0].slashed.clone(),
            e[0].slashed_amount,
            e[0].challenger_reward,
            e[0].burned,
            e[0].timestamp
        ),
        (
            proposal,
            0,
            FraudKind::InconsistentSum,
            challenger.pubkey(),
            voters,
            2 * BOND,
            800_000_000,
            1_200_000_000,
            now
        )
    );

    // Replay: it is void. A voided root never finalizes. Slashed oracles cannot vote.
    assert_custom_error(
        &net.prove(&challenger, proposal, (probe, None), children(&t)),
        1,
        RewardsError::NotDisputable.into(),
    );
    net.warp(2 * DAY);
    assert_custom_error(&net.finalize(proposal), 0, RewardsError::NotPosted.into());
    let (_, honest) = tree_vote(0, &[(wallets[0], 100)]);
    assert_custom_error(&net.vote(0, &honest), 0, RewardsError::OracleSlashed.into());
}

#[test]
fn a_leaf_whose_published_sum_is_not_its_amount_is_proven() {
    let mut net = ready();
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    // Leaf 0 hashes (a, 1000) but its parent records 10 for it.
    let honest_leaf = merkle_sum::leaf(&a.to_bytes(), 1_000);
    let lying_leaf = Node {
        sum: 10,
        ..honest_leaf
    };
    let other = merkle_sum::leaf(&b.to_bytes(), 5);
    let root = merkle_sum::parent(&lying_leaf, &other).unwrap();
    let proposal = post(&mut net, &vote_for(0, &root, 2));
    let challenger = net.env.funded_keypair();
    let open = OpenProbeArgs {
        side: ProbeSide::Posted,
        index: 0,
        target: ProbeTarget::Node {
            level: 0,
            node: node(&lying_leaf),
        },
        path: vec![node(&other)],
    };
    let probe = net.probe(&challenger, proposal, ProbeSide::Posted, (open, Vec::new()));
    // The true amount cannot complete the probe: its leaf's sum is not the published one.
    let finish = ExtendProbeArgs {
        target: ProbeTarget::Leaf {
            wallet: a,
            amount: 1_000,
        },
        path: Vec::new(),
    };
    let ix = extend_probe_ix(challenger.pubkey(), proposal, probe, finish);
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&challenger]),
        0,
        RewardsError::FraudNotInRoot.into(),
    );
    let lie = Evidence::InconsistentSum {
        preimage: NodePreimage::Leaf {
            wallet: a,
            amount: 1_000,
        },
    };
    let meta = expect_ok(net.prove(&challenger, proposal, (probe, None), lie));
    let e: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(e[0].kind, FraudKind::InconsistentSum);
    assert_eq!(net.oracle_set().slashed, 0b011);
}

#[test]
fn a_consistent_node_a_wrong_preimage_or_a_wrong_path_proves_nothing() {
    let mut net = ready();
    let wallets = [(); 4].map(|_| Pubkey::new_unique());
    let t = lying_tree(&wallets, [100, 200, 300, 400], 300);
    let proposal = post(&mut net, &vote_for(0, &t.root, 4));
    let challenger = net.env.funded_keypair();
    // A wrong path: the node is not at that position.
    let wrong = OpenProbeArgs {
        side: ProbeSide::Posted,
        index: 2,
        target: ProbeTarget::Node {
            level: 1,
            node: node(&t.bad),
        },
        path: vec![node(&t.uncle)],
    };
    let ix = open_probe_ix(challenger.pubkey(), proposal, wrong);
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&challenger]),
        0,
        RewardsError::FraudNotInRoot.into(),
    );
    let probe = probe_lying_node(&mut net, &challenger, proposal, &t);
    assert_custom_error(
        &net.prove(&challenger, proposal, (probe, None), children(&t)),
        1,
        RewardsError::FraudSumConsistent.into(),
    );
    let swapped = Evidence::InconsistentSum {
        preimage: NodePreimage::Children {
            left: node(&t.leaves[1]),
            right: node(&t.leaves[0]),
        },
    };
    assert_custom_error(
        &net.prove(&challenger, proposal, (probe, None), swapped),
        1,
        RewardsError::FraudPreimageMismatch.into(),
    );
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Posted);
    assert_eq!(bond_of(&net, &net.oracles[0].pubkey()).amount, BOND);
}

#[test]
fn probes_and_proofs_after_the_dispute_window_are_refused() {
    let mut net = ready();
    let t = lying_tree(&[(); 4].map(|_| Pubkey::new_unique()), [1, 2, 3, 4], 0);
    let proposal = post(&mut net, &vote_for(0, &t.root, 4));
    let challenger = net.env.funded_keypair();
    let probe = probe_lying_node(&mut net, &challenger, proposal, &t);
    let ends = net.proposal(&proposal).dispute_ends;
    net.env.warp_to_timestamp(ends);
    assert_custom_error(
        &net.prove(&challenger, proposal, (probe, None), children(&t)),
        1,
        RewardsError::NotDisputable.into(),
    );
    let open = OpenProbeArgs {
        side: ProbeSide::Posted,
        index: 3,
        target: ProbeTarget::Node {
            level: 2,
            node: node(&t.root),
        },
        path: Vec::new(),
    };
    let ix = open_probe_ix(challenger.pubkey(), proposal, open);
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&challenger]),
        0,
        RewardsError::NotDisputable.into(),
    );
}

#[test]
fn the_slashed_bonds_must_be_exactly_the_voters() {
    let mut net = ready();
    let t = lying_tree(&[(); 4].map(|_| Pubkey::new_unique()), [1, 2, 3, 4], 0);
    let proposal = post(&mut net, &vote_for(0, &t.root, 4));
    let o: Vec<Pubkey> = net.oracles.iter().map(Signer::pubkey).collect();
    let challenger = net.env.funded_keypair();
    let probe = probe_lying_node(&mut net, &challenger, proposal, &t);
    for slashed in [
        vec![o[0]],             // one missing
        vec![o[0], o[2]],       // a non-voter substituted
        vec![o[1], o[0]],       // out of seat order
        vec![o[0], o[1], o[2]], // one extra
    ] {
        let ix = prove_fraud_ix(
            challenger.pubkey(),
            proposal,
            (probe, None),
            children(&t),
            &slashed,
        );
        assert_custom_error(
            &net.env.send_fresh(&[ix], &[&challenger]),
            0,
            RewardsError::WrongBondAccounts.into(),
        );
    }
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Posted);
}

#[test]
fn the_burned_part_goes_only_to_the_incinerator() {
    let mut net = ready();
    let t = lying_tree(&[(); 4].map(|_| Pubkey::new_unique()), [1, 2, 3, 4], 0);
    let proposal = post(&mut net, &vote_for(0, &t.root, 4));
    let challenger = net.env.funded_keypair();
    let probe = probe_lying_node(&mut net, &challenger, proposal, &t);
    let voters = proposal_voters(&net.proposal(&proposal));
    let ix = prove_fraud_ix(
        challenger.pubkey(),
        proposal,
        (probe, None),
        children(&t),
        &voters,
    );
    let ix = substituted(ix, INCINERATOR, challenger.pubkey());
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&challenger]),
        0,
        anchor_lang::error::ErrorCode::ConstraintAddress.into(),
    );
}

// --------------------------------------------------------------------------------------------
// A decrease, and a wallet dropped from the tree

/// Epoch 0's root over `base` is final; epoch 1 is minted and ended.
fn finalized(net: &mut Net, base: &[(Pubkey, u64)]) -> merkle_sum::Tree {
    let (tree, args) = tree_vote(0, base);
    net.post_and_finalize(&args);
    net.mint_through(1);
    tree
}

#[test]
fn a_decrease_against_the_final_root_voids_and_slashes() {
    let mut net = ready();
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    let base = [(a, 500), (b, 100)];
    let base_tree = finalized(&mut net, &base);
    // Wallet a goes down from 500 to 400 (b goes up, so the total still grows).
    let posted = [(a, 400), (b, 900)];
    let (posted_tree, args) = tree_vote(1, &posted);
    let proposal = post(&mut net, &args);
    let challenger = net.env.funded_keypair();

    // Wallet b did not decrease: no fraud.
    let base_b = net.probe_tree(&challenger, proposal, ProbeSide::Base, &base_tree, &base, 1);
    let posted_b = net.probe_tree(
        &challenger,
        proposal,
        ProbeSide::Posted,
        &posted_tree,
        &posted,
        1,
    );
    assert_custom_error(
        &net.prove(
            &challenger,
            proposal,
            (base_b, Some(posted_b)),
            Evidence::Decrease,
        ),
        1,
        RewardsError::FraudNoDecrease.into(),
    );

    let base_a = net.probe_tree(&challenger, proposal, ProbeSide::Base, &base_tree, &base, 0);
    let posted_a = net.probe_tree(
        &challenger,
        proposal,
        ProbeSide::Posted,
        &posted_tree,
        &posted,
        0,
    );
    let probe: Probe = net.env.anchor_account(&posted_a);
    assert_eq!(
        (probe.index, probe.level, probe.leaf),
        (
            0,
            0,
            Some(ProvenLeaf {
                wallet: a,
                amount: 400
            })
        )
    );
    // Evidence over the wrong probes is refused: the two leaves must be the same index, the
    // base probe first, and both at their leaf.
    assert_custom_error(
        &net.prove(
            &challenger,
            proposal,
            (base_a, Some(posted_b)),
            Evidence::Decrease,
        ),
        1,
        RewardsError::WrongProbe.into(),
    );
    assert_custom_error(
        &net.prove(
            &challenger,
            proposal,
            (posted_a, Some(base_a)),
            Evidence::Decrease,
        ),
        1,
        RewardsError::WrongProbe.into(),
    );
    assert_custom_error(
        &net.prove(&challenger, proposal, (base_a, None), Evidence::Decrease),
        1,
        RewardsError::WrongProbe.into(),
    );
    let before = balances(&net, &challenger);
    let meta = expect_ok(net.prove(
        &challenger,
        proposal,
        (base_a, Some(posted_a)),
        Evidence::Decrease,
    ));
    let e: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].kind,
            e[0].slashed_amount,
            e[0].challenger_reward,
            e[0].burned
        ),
        (FraudKind::Decrease, 2 * BOND, 800_000_000, 1_200_000_000)
    );
    assert_voters_0_and_1_slashed(&net, &challenger.pubkey(), before);
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Voided);
    // The final root is untouched, and wallet a still claims its 500 against it.
    assert_eq!(net.network().final_root.total, 600);
    assert_eq!(net.network().final_root.leaves, 2);
}

#[test]
fn a_root_that_drops_a_wallet_is_voided_and_one_that_appends_is_not() {
    let mut net = ready();
    let w = [(); 5].map(|_| Pubkey::new_unique());
    let base = [(w[0], 10), (w[1], 20), (w[2], 30)];
    let base_tree = finalized(&mut net, &base);

    // Fewer leaves than the final root: refused at the vote.
    let (_, shrunk) = tree_vote(1, &[(w[0], 10), (w[2], 50)]);
    assert_custom_error(
        &net.vote(0, &shrunk),
        0,
        RewardsError::InvalidLeafCount.into(),
    );

    // An honest successor appends w[3]; no old index proves a decrease.
    let honest = [(w[0], 15), (w[1], 20), (w[2], 31), (w[3], 1)];
    let (honest_tree, honest_args) = tree_vote(1, &honest);
    let honest_key = post(&mut net, &honest_args);
    let challenger = net.env.funded_keypair();
    for i in 0..3 {
        let old = net.probe_tree(
            &challenger,
            honest_key,
            ProbeSide::Base,
            &base_tree,
            &base,
            i,
        );
        let new = net.probe_tree(
            &challenger,
            honest_key,
            ProbeSide::Posted,
            &honest_tree,
            &honest,
            i,
        );
        assert_custom_error(
            &net.prove(
                &challenger,
                honest_key,
                (old, Some(new)),
                Evidence::Decrease,
            ),
            1,
            RewardsError::FraudNoDecrease.into(),
        );
    }
    assert_eq!(net.proposal(&honest_key).status, ProposalStatus::Posted);

    // Another proposal (oracle 2 and, in this test, oracle 0 again is locked; use a fresh
    // network for the dishonest one).
    let mut net = ready();
    let base_tree = finalized(&mut net, &base);
    // w[1] is dropped: its index now holds w[4] (so the count still grows by one).
    let dropped = [(w[0], 15), (w[4], 40), (w[2], 31), (w[3], 1)];
    let (dropped_tree, args) = tree_vote(1, &dropped);
    let proposal = post(&mut net, &args);
    let challenger = net.env.funded_keypair();
    let old = net.probe_tree(&challenger, proposal, ProbeSide::Base, &base_tree, &base, 1);
    let new = net.probe_tree(
        &challenger,
        proposal,
        ProbeSide::Posted,
        &dropped_tree,
        &dropped,
        1,
    );
    let meta = expect_ok(net.prove(&challenger, proposal, (old, Some(new)), Evidence::Decrease));
    let e: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(e[0].kind, FraudKind::Decrease);
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Voided);
}

// --------------------------------------------------------------------------------------------
// A duplicate

#[test]
fn a_wallet_at_two_indices_is_proven() {
    let mut net = ready();
    let (a, b, c) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    // Built by hand: Tree::new refuses the duplicate.
    let l = [(a, 5u64), (b, 5), (a, 100), (c, 1)]
        .map(|(w, amount)| merkle_sum::leaf(&w.to_bytes(), amount));
    let left = merkle_sum::parent(&l[0], &l[1]).unwrap();
    let right = merkle_sum::parent(&l[2], &l[3]).unwrap();
    let root = merkle_sum::parent(&left, &right).unwrap();
    let proposal = post(&mut net, &vote_for(0, &root, 4));
    let challenger = net.env.funded_keypair();
    let steps = |index: u64, leaf: (Pubkey, u64), path: [Node; 2]| {
        probe_steps_on_path(
            ProbeSide::Posted,
            index,
            4,
            (leaf.0.to_bytes(), leaf.1),
            &path,
            MAX_PROBE_STEP,
        )
        .unwrap()
    };
    let first = net.probe(
        &challenger,
        proposal,
        ProbeSide::Posted,
        steps(0, (a, 5), [l[1], right]),
    );
    let third = net.probe(
        &challenger,
        proposal,
        ProbeSide::Posted,
        steps(2, (a, 100), [l[3], left]),
    );
    let second = net.probe(
        &challenger,
        proposal,
        ProbeSide::Posted,
        steps(1, (b, 5), [l[0], right]),
    );
    assert_custom_error(
        &net.prove(
            &challenger,
            proposal,
            (first, Some(second)),
            Evidence::Duplicate,
        ),
        1,
        RewardsError::FraudNotDuplicate.into(),
    );
    assert_custom_error(
        &net.prove(
            &challenger,
            proposal,
            (first, Some(first)),
            Evidence::Duplicate,
        ),
        1,
        RewardsError::FraudNotDuplicate.into(),
    );
    let meta = expect_ok(net.prove(
        &challenger,
        proposal,
        (first, Some(third)),
        Evidence::Duplicate,
    ));
    let e: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(e[0].kind, FraudKind::Duplicate);
    assert_eq!(net.oracle_set().slashed, 0b011);
}

// --------------------------------------------------------------------------------------------
// A million wallets: depth 20, built along one path

/// A tree of `count` leaves known only along leaf `index`'s path: its leaf and siblings.
struct Sparse {
    index: u64,
    count: u64,
    leaf: (Pubkey, u64),
    path: Vec<Node>,
}

impl Sparse {
    fn root(&self) -> Node {
        let leaf = merkle_sum::leaf(&self.leaf.0.to_bytes(), self.leaf.1);
        let height = merkle_sum::height(self.count).unwrap();
        merkle_sum::fold_at(
            leaf,
            self.index,
            self.count,
            0,
            height,
            self.path.iter().copied(),
        )
        .unwrap()
    }

    fn steps(&self, side: ProbeSide) -> (OpenProbeArgs, Vec<ExtendProbeArgs>) {
        probe_steps_on_path(
            side,
            self.index,
            self.count,
            (self.leaf.0.to_bytes(), self.leaf.1),
            &self.path,
            MAX_PROBE_STEP,
        )
        .unwrap()
    }
}

#[test]
fn a_decrease_in_a_million_wallet_tree_is_proven_in_packet_sized_steps() {
    let mut net = ready();
    let victim = Pubkey::new_unique();
    let count = 1 << 20;
    let index = 700_001;
    let path: Vec<Node> = (0..20u64)
        .map(|level| Node {
            hash: [u8::try_from(level).unwrap() + 1; 32],
            sum: 1_000 + level,
        })
        .collect();
    assert_eq!(merkle_sum::path_len(index, count, 0, 20), 20);
    let base = Sparse {
        index,
        count,
        leaf: (victim, 5_000),
        path: path.clone(),
    };
    // The majority moves 4,000 from the victim to the subtree next to it: every sum stays
    // consistent and the total is unchanged.
    let mut moved = path;
    moved[0].sum += 4_000;
    moved[0].hash = [0xee; 32];
    let posted = Sparse {
        index,
        count,
        leaf: (victim, 1_000),
        path: moved,
    };
    let base_root = base.root();
    let posted_root = posted.root();
    assert_eq!(posted_root.sum, base_root.sum);
    net.post_and_finalize(&vote_for(0, &base_root, count));
    net.mint_through(1);
    let proposal = post(&mut net, &vote_for(1, &posted_root, count));

    let challenger = net.env.funded_keypair();
    // Each probe takes two transactions: 16 siblings, then 4 and the leaf.
    let (open, extends) = posted.steps(ProbeSide::Posted);
    assert_eq!(
        (open.path.len(), extends.len(), extends[0].path.len()),
        (16, 1, 4)
    );
    let mut sizes = Vec::new();
    let mut walk =
        |net: &mut Net, side: ProbeSide, (open, extends): (OpenProbeArgs, Vec<ExtendProbeArgs>)| {
            let key = probe_pda(&proposal, side, open.index).0;
            let ix = open_probe_ix(challenger.pubkey(), proposal, open);
            let (result, size) = net.env.send_v0_within_packet(&[ix], &[&challenger]);
            expect_ok(result);
            sizes.push(size);
            for args in extends {
                let ix = extend_probe_ix(challenger.pubkey(), proposal, key, args);
                let (result, size) = net.env.send_v0_within_packet(&[ix], &[&challenger]);
                expect_ok(result);
                sizes.push(size);
            }
            key
        };
    let old = walk(&mut net, ProbeSide::Base, base.steps(ProbeSide::Base));
    let new = walk(&mut net, ProbeSide::Posted, posted.steps(ProbeSide::Posted));
    assert!(sizes.iter().all(|s| *s <= PACKET_DATA_SIZE), "{sizes:?}");
    let before = balances(&net, &challenger);
    expect_ok(net.prove(&challenger, proposal, (old, Some(new)), Evidence::Decrease));
    assert_voters_0_and_1_slashed(&net, &challenger.pubkey(), before);
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Voided);
}

#[test]
fn a_probe_step_carries_at_most_sixteen_siblings() {
    let mut net = ready();
    let sparse = Sparse {
        index: 0,
        count: 1 << 20,
        leaf: (Pubkey::new_unique(), 7),
        path: (0..20u8)
            .map(|i| Node {
                hash: [i; 32],
                sum: 1,
            })
            .collect(),
    };
    let proposal = post(&mut net, &vote_for(0, &sparse.root(), 1 << 20));
    let challenger = net.env.funded_keypair();
    let (open, _) = probe_steps_on_path(
        ProbeSide::Posted,
        0,
        1 << 20,
        (sparse.leaf.0.to_bytes(), 7),
        &sparse.path,
        17,
    )
    .unwrap();
    assert_eq!(open.path.len(), 17);
    let ix = open_probe_ix(challenger.pubkey(), proposal, open);
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&challenger]),
        0,
        RewardsError::ProofTooDeep.into(),
    );
}

// --------------------------------------------------------------------------------------------
// No dodge: closing, parking a probe, rotating

#[test]
fn a_voter_can_neither_close_the_proposal_nor_park_the_probe() {
    let mut net = ready();
    let w = [(); 4].map(|_| Pubkey::new_unique());
    let base = [(w[0], 500), (w[1], 100), (w[2], 1), (w[3], 1)];
    let base_tree = finalized(&mut net, &base);
    let posted = [(w[0], 100), (w[1], 500), (w[2], 1), (w[3], 1)];
    let (posted_tree, args) = tree_vote(1, &posted);
    let proposal = post(&mut net, &args);
    let voter = net.oracles[0].insecure_clone();

    // Closing the posted proposal inside its window is refused.
    let payer = net.proposal(&proposal).payer;
    assert_custom_error(
        &net.env
            .send_fresh(&[close_proposal_ix(proposal, payer)], &[]),
        0,
        RewardsError::ProposalStillLive.into(),
    );
    // The voter opens the victim's posted probe and leaves it at level 1, hoping to hold the
    // address; anyone finishes it.
    let (open, _) = probe_steps(
        &posted_tree,
        ProbeSide::Posted,
        0,
        (w[0].to_bytes(), 100),
        1,
    )
    .unwrap();
    let key = net.probe(&voter, proposal, ProbeSide::Posted, (open, Vec::new()));
    let challenger = net.env.funded_keypair();
    let finish = ExtendProbeArgs {
        target: ProbeTarget::Leaf {
            wallet: w[0],
            amount: 100,
        },
        path: posted_tree
            .shaped_path(0, 0, 1)
            .unwrap()
            .iter()
            .map(node)
            .collect(),
    };
    expect_ok(
        net.env
            .send_v0_within_packet(
                &[extend_probe_ix(challenger.pubkey(), proposal, key, finish)],
                &[&challenger],
            )
            .0,
    );
    let old = net.probe_tree(&challenger, proposal, ProbeSide::Base, &base_tree, &base, 0);
    let before = balances(&net, &challenger);
    expect_ok(net.prove(&challenger, proposal, (old, Some(key)), Evidence::Decrease));
    assert_voters_0_and_1_slashed(&net, &challenger.pubkey(), before);

    // The probes' rent goes back to their openers once the window is over, not before.
    let probe: Probe = net.env.anchor_account(&key);
    assert_eq!(probe.opener, voter.pubkey());
    let rent = net.env.rent_exempt(Probe::SIZE);
    let voter_before = lamports(&net, &voter.pubkey());
    assert_custom_error(
        &net.env.send_fresh(
            &[close_probe_ix(key, proposal, challenger.pubkey(), None)],
            &[],
        ),
        0,
        RewardsError::WrongProbe.into(),
    );
    expect_ok(
        net.env
            .send_fresh(&[close_probe_ix(key, proposal, voter.pubkey(), None)], &[]),
    );
    assert_eq!(lamports(&net, &voter.pubkey()), voter_before + rent);
    assert!(net.env.account(&key).is_none());
}

#[test]
fn a_probe_is_not_closed_while_its_proposal_is_disputable() {
    let mut net = ready();
    let t = lying_tree(&[(); 4].map(|_| Pubkey::new_unique()), [1, 2, 3, 4], 10);
    let proposal = post(&mut net, &vote_for(0, &t.root, 4));
    let opener = net.env.funded_keypair();
    let probe = probe_lying_node(&mut net, &opener, proposal, &t);
    let close = close_probe_ix(probe, proposal, opener.pubkey(), None);
    assert_custom_error(
        &net.env.send_fresh(std::slice::from_ref(&close), &[]),
        0,
        RewardsError::ProbeStillLive.into(),
    );
    let ends = net.proposal(&proposal).dispute_ends;
    net.env.warp_to_timestamp(ends);
    let before = lamports(&net, &opener.pubkey());
    expect_ok(net.env.send_fresh(&[close], &[]));
    assert_eq!(
        lamports(&net, &opener.pubkey()),
        before + net.env.rent_exempt(Probe::SIZE)
    );
}

#[test]
fn rotation_is_no_amnesty() {
    let mut net = ready();
    let t = lying_tree(&[(); 4].map(|_| Pubkey::new_unique()), [1, 2, 3, 4], 0);
    let proposal = post(&mut net, &vote_for(0, &t.root, 4));
    let ends = net.proposal(&proposal).dispute_ends;
    assert_eq!(net.oracle_set().posted_until, ends);
    // Governance rotates oracles 0 and 1 out while the fraud is still in its window.
    let fresh = [net.env.funded_keypair(), net.env.funded_keypair()];
    let mut next = vec![net.oracles[2].pubkey()];
    next.extend(fresh.iter().map(Signer::pubkey));
    expect_ok(net.set_oracles(next, 2));
    assert_eq!(net.oracle_set().set_version, 2);
    assert_eq!(net.oracle_set().retired_until, ends);
    let oracle_0 = net.oracles[0].insecure_clone();
    assert_custom_error(
        &withdraw(&mut net, &oracle_0, 1),
        0,
        RewardsError::StillAnOracle.into(),
    );

    // Proven inside the old window: the old voters are slashed, exactly.
    let challenger = net.env.funded_keypair();
    let probe = probe_lying_node(&mut net, &challenger, proposal, &t);
    let before = balances(&net, &challenger);
    let round = net.network().voided_roots;
    expect_ok(net.prove(&challenger, proposal, (probe, None), children(&t)));
    let rent = net.env.rent_exempt(OracleBond::SIZE);
    for v in [net.oracles[0].pubkey(), net.oracles[1].pubkey()] {
        assert_eq!(bond_of(&net, &v).amount, 0);
        assert_eq!(lamports(&net, &bond_pda(&v).0), rent);
    }
    assert_eq!(lamports(&net, &challenger.pubkey()), before.0 + 800_000_000);
    assert_eq!(lamports(&net, &INCINERATOR), before.1 + 1_200_000_000);
    // Neither is in the new set, whose seats and round are untouched.
    assert_eq!(net.oracle_set().slashed, 0);
    assert_eq!(net.network().voided_roots, round);

    // After the old window, a rotated-out oracle that was not slashed may withdraw.
    net.env.warp_to_timestamp(ends - 1);
    let oracle_1 = net.oracles[1].insecure_clone();
    assert_custom_error(
        &withdraw(&mut net, &oracle_1, 1),
        0,
        RewardsError::StillAnOracle.into(),
    );
    net.env.warp_to_timestamp(ends);
    assert_custom_error(
        &withdraw(&mut net, &oracle_1, 1),
        0,
        RewardsError::InsufficientBond.into(),
    );
}

#[test]
fn a_bond_waits_for_every_window_its_oracle_voted_in() {
    let mut net = ready();
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 10)]);
    let proposal = post(&mut net, &args);
    let ends = net.proposal(&proposal).dispute_ends;
    let others: Vec<Pubkey> = net.oracles[1..].iter().map(Signer::pubkey).collect();
    expect_ok(net.set_oracles(others, 2));
    let oracle = net.oracles[0].insecure_clone();
    net.env.warp_to_timestamp(ends - 1);
    assert_custom_error(
        &withdraw(&mut net, &oracle, 1),
        0,
        RewardsError::StillAnOracle.into(),
    );
    net.env.warp_to_timestamp(ends);
    expect_ok(withdraw(&mut net, &oracle, BOND));
}

// --------------------------------------------------------------------------------------------
// Availability: a demanded leaf must be shown

/// Opens the posted-side probe of `index` at the root and demands it, from `demander`.
fn demand(net: &mut Net, demander: &Keypair, proposal: Pubkey, index: u64) -> Pubkey {
    let open = open_probe_at_root(&net.proposal(&proposal), index).unwrap();
    let key = probe_pda(&proposal, ProbeSide::Posted, index).0;
    let ixs = [
        open_probe_ix(demander.pubkey(), proposal, open),
        demand_probe_ix(demander.pubkey(), proposal, key, u64::MAX),
    ];
    expect_ok(net.env.send_v0_within_packet(&ixs, &[demander]).0);
    key
}

/// Walks an opened probe to its leaf with `steps` (open and extends, all sent as extends: the
/// probe already sits at the root), signed by `answerer`.
fn answer(
    net: &mut Net,
    answerer: &Keypair,
    proposal: Pubkey,
    key: Pubkey,
    (open, extends): (OpenProbeArgs, Vec<ExtendProbeArgs>),
) {
    let first = ExtendProbeArgs {
        target: open.target,
        path: open.path,
    };
    for args in std::iter::once(first).chain(extends) {
        let ix = extend_probe_ix(answerer.pubkey(), proposal, key, args);
        expect_ok(net.env.send_v0_within_packet(&[ix], &[answerer]).0);
    }
}

#[test]
fn a_demand_answered_in_time_pays_the_answerer_and_the_root_finalizes() {
    let mut net = ready();
    let leaves = [
        (Pubkey::new_unique(), 10),
        (Pubkey::new_unique(), 20),
        (Pubkey::new_unique(), 30),
    ];
    let (tree, args) = tree_vote(0, &leaves);
    let proposal = post(&mut net, &args);
    let demander = net.env.funded_keypair();
    let demander_before = lamports(&net, &demander.pubkey());
    let key = demand(&mut net, &demander, proposal, 1);
    let rent = net.env.rent_exempt(Probe::SIZE);
    assert_eq!(lamports(&net, &key), rent + DEMAND_DEPOSIT);
    assert_eq!(net.proposal(&proposal).open_demands, 1);
    let probe: Probe = net.env.anchor_account(&key);
    let deadline = net.env.now() + DISPUTE_SECS / 3;
    assert_eq!(
        probe.demand,
        Some(Demand {
            demander: demander.pubkey(),
            deadline,
            deposit: DEMAND_DEPOSIT
        })
    );
    // A second demand on the same probe is refused.
    let again = demand_probe_ix(demander.pubkey(), proposal, key, DEMAND_DEPOSIT);
    assert_custom_error(
        &net.env.send_fresh(&[again], &[&demander]),
        0,
        RewardsError::CannotDemand.into(),
    );

    // A voter answers.
    let voter = net.oracles[0].insecure_clone();
    let voter_before = lamports(&net, &voter.pubkey());
    let (wallet, amount) = leaves[1];
    let steps = probe_steps(
        &tree,
        ProbeSide::Posted,
        1,
        (wallet.to_bytes(), amount),
        MAX_PROBE_STEP,
    )
    .unwrap();
    answer(&mut net, &voter, proposal, key, steps);
    let probe: Probe = net.env.anchor_account(&key);
    assert_eq!(
        (probe.leaf, probe.demand),
        (Some(ProvenLeaf { wallet, amount }), None)
    );
    assert_eq!(lamports(&net, &key), rent);
    // The voter paid the fee of its transaction (the harness payer pays fees), so its balance
    // grew by exactly the deposit.
    assert_eq!(
        lamports(&net, &voter.pubkey()),
        voter_before + DEMAND_DEPOSIT
    );
    assert_eq!(net.proposal(&proposal).open_demands, 0);

    // An answered demand proves nothing; the root finalizes; the demander gets the rent back.
    assert_custom_error(
        &net.prove(&demander, proposal, (key, None), Evidence::Unanswered),
        1,
        RewardsError::DemandNotExpired.into(),
    );
    let ends = net.proposal(&proposal).dispute_ends;
    net.env.warp_to_timestamp(ends);
    expect_ok(net.finalize(proposal));
    expect_ok(net.env.send_fresh(
        &[close_probe_ix(key, proposal, demander.pubkey(), None)],
        &[],
    ));
    assert_eq!(
        lamports(&net, &demander.pubkey()),
        demander_before - DEMAND_DEPOSIT
    );
}

#[test]
fn an_unanswered_demand_voids_the_root_even_after_its_window() {
    let mut net = ready();
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 10), (Pubkey::new_unique(), 20)]);
    let proposal = post(&mut net, &args);
    let demander = net.env.funded_keypair();
    let key = demand(&mut net, &demander, proposal, 0);
    let deadline = net
        .env
        .anchor_account::<Probe>(&key)
        .demand
        .unwrap()
        .deadline;

    net.env.warp_to_timestamp(deadline - 1);
    assert_custom_error(
        &net.prove(&demander, proposal, (key, None), Evidence::Unanswered),
        1,
        RewardsError::DemandNotExpired.into(),
    );
    // Past the window: the open demand keeps the root from becoming final, and its probe from
    // being closed.
    let ends = net.proposal(&proposal).dispute_ends;
    net.env.warp_to_timestamp(ends);
    assert_custom_error(&net.finalize(proposal), 0, RewardsError::OpenDemands.into());
    let d = Some(demander.pubkey());
    assert_custom_error(
        &net.env
            .send_fresh(&[close_probe_ix(key, proposal, demander.pubkey(), d)], &[]),
        0,
        RewardsError::ProbeStillLive.into(),
    );
    let before = balances(&net, &demander);
    let meta = expect_ok(net.prove(&demander, proposal, (key, None), Evidence::Unanswered));
    let e: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(e[0].kind, FraudKind::Unanswered);
    assert_voters_0_and_1_slashed(&net, &demander.pubkey(), before);
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Voided);
    // The unearned deposit goes back with the rent; without the demander's account, or with
    // another, the close is refused.
    let rent = net.env.rent_exempt(Probe::SIZE);
    let demander_before = lamports(&net, &demander.pubkey());
    for wrong in [None, Some(Pubkey::new_unique())] {
        assert_custom_error(
            &net.env.send_fresh(
                &[close_probe_ix(key, proposal, demander.pubkey(), wrong)],
                &[],
            ),
            0,
            RewardsError::WrongProbe.into(),
        );
    }
    expect_ok(
        net.env
            .send_fresh(&[close_probe_ix(key, proposal, demander.pubkey(), d)], &[]),
    );
    assert_eq!(
        lamports(&net, &demander.pubkey()),
        demander_before + rent + DEMAND_DEPOSIT
    );
}

#[test]
fn demands_are_taken_only_on_open_posted_probes_early_in_the_window() {
    let mut net = ready();
    let leaves = [
        (Pubkey::new_unique(), 10),
        (Pubkey::new_unique(), 20),
        (Pubkey::new_unique(), 30),
    ];
    let (tree, args) = tree_vote(0, &leaves);
    let proposal = post(&mut net, &args);
    let demander = net.env.funded_keypair();
    // A probe already at its leaf shows the data: nothing to demand.
    let done = net.probe_tree(&demander, proposal, ProbeSide::Posted, &tree, &leaves, 0);
    assert_custom_error(
        &net.env.send_fresh(
            &[demand_probe_ix(
                demander.pubkey(),
                proposal,
                done,
                DEMAND_DEPOSIT,
            )],
            &[&demander],
        ),
        0,
        RewardsError::CannotDemand.into(),
    );
    let at_root = |net: &mut Net, index: u64| {
        let open = open_probe_at_root(&net.proposal(&proposal), index).unwrap();
        expect_ok(net.env.send_fresh(
            &[open_probe_ix(demander.pubkey(), proposal, open)],
            &[&demander],
        ));
        probe_pda(&proposal, ProbeSide::Posted, index).0
    };
    let early = at_root(&mut net, 1);
    let late = at_root(&mut net, 2);
    // The last second whose answer window ends inside the dispute window, then one too late.
    let ends = net.proposal(&proposal).dispute_ends;
    net.env.warp_to_timestamp(ends - 2 * (DISPUTE_SECS / 3));
    expect_ok(net.env.send_fresh(
        &[demand_probe_ix(
            demander.pubkey(),
            proposal,
            early,
            DEMAND_DEPOSIT,
        )],
        &[&demander],
    ));
    net.env.warp_to_timestamp(ends - 2 * (DISPUTE_SECS / 3) + 1);
    assert_custom_error(
        &net.env.send_fresh(
            &[demand_probe_ix(
                demander.pubkey(),
                proposal,
                late,
                DEMAND_DEPOSIT,
            )],
            &[&demander],
        ),
        0,
        RewardsError::CannotDemand.into(),
    );
}

#[test]
fn a_base_side_probe_cannot_be_demanded() {
    let mut net = ready();
    let base = [(Pubkey::new_unique(), 10), (Pubkey::new_unique(), 20)];
    let base_tree = finalized(&mut net, &base);
    let (_, args) = tree_vote(1, &[(base[0].0, 10), (base[1].0, 25)]);
    let proposal = post(&mut net, &args);
    let demander = net.env.funded_keypair();
    // Opened at the base root, short of its leaf.
    let open = OpenProbeArgs {
        side: ProbeSide::Base,
        index: 0,
        target: ProbeTarget::Node {
            level: 1,
            node: node(&base_tree.root()),
        },
        path: Vec::new(),
    };
    expect_ok(net.env.send_fresh(
        &[open_probe_ix(demander.pubkey(), proposal, open)],
        &[&demander],
    ));
    let key = probe_pda(&proposal, ProbeSide::Base, 0).0;
    assert_custom_error(
        &net.env.send_fresh(
            &[demand_probe_ix(
                demander.pubkey(),
                proposal,
                key,
                DEMAND_DEPOSIT,
            )],
            &[&demander],
        ),
        0,
        RewardsError::CannotDemand.into(),
    );
}

#[test]
fn an_unearned_deposit_goes_back_to_its_demander_not_to_the_opener() {
    let mut net = ready();
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 10), (Pubkey::new_unique(), 20)]);
    let proposal = post(&mut net, &args);
    // A voter opens the probe at the root (as if to hold its address); a wallet demands it.
    let opener = net.oracles[0].insecure_clone();
    let open = open_probe_at_root(&net.proposal(&proposal), 1).unwrap();
    expect_ok(net.env.send_fresh(
        &[open_probe_ix(opener.pubkey(), proposal, open)],
        &[&opener],
    ));
    let key = probe_pda(&proposal, ProbeSide::Posted, 1).0;
    let demander = net.env.funded_keypair();
    expect_ok(net.env.send_fresh(
        &[demand_probe_ix(
            demander.pubkey(),
            proposal,
            key,
            DEMAND_DEPOSIT,
        )],
        &[&demander],
    ));
    let deadline = net
        .env
        .anchor_account::<Probe>(&key)
        .demand
        .unwrap()
        .deadline;
    net.env.warp_to_timestamp(deadline);
    expect_ok(net.prove(&demander, proposal, (key, None), Evidence::Unanswered));
    let rent = net.env.rent_exempt(Probe::SIZE);
    let (opener_before, demander_before) = (
        lamports(&net, &opener.pubkey()),
        lamports(&net, &demander.pubkey()),
    );
    assert_custom_error(
        &net.env.send_fresh(
            &[close_probe_ix(
                key,
                proposal,
                opener.pubkey(),
                Some(opener.pubkey()),
            )],
            &[],
        ),
        0,
        RewardsError::WrongProbe.into(),
    );
    expect_ok(net.env.send_fresh(
        &[close_probe_ix(
            key,
            proposal,
            opener.pubkey(),
            Some(demander.pubkey()),
        )],
        &[],
    ));
    assert_eq!(lamports(&net, &opener.pubkey()), opener_before + rent);
    assert_eq!(
        lamports(&net, &demander.pubkey()),
        demander_before + DEMAND_DEPOSIT
    );
}

#[test]
fn a_duplicate_inherited_from_the_final_root_is_not_the_new_roots_fault() {
    let mut net = ready();
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    // A final root (built by hand) that holds wallet a twice, at indices 0 and 1.
    let base = [(a, 5u64), (a, 7)].map(|(w, amount)| merkle_sum::leaf(&w.to_bytes(), amount));
    let base_root = merkle_sum::parent(&base[0], &base[1]).unwrap();
    net.post_and_finalize(&vote_for(0, &base_root, 2));
    net.mint_through(1);
    // Its successor keeps both leaves (it may drop neither) and appends b and a third copy of a.
    let l = [(a, 5u64), (a, 7), (b, 1), (a, 9)]
        .map(|(w, amount)| merkle_sum::leaf(&w.to_bytes(), amount));
    let left = merkle_sum::parent(&l[0], &l[1]).unwrap();
    let right = merkle_sum::parent(&l[2], &l[3]).unwrap();
    let root = merkle_sum::parent(&left, &right).unwrap();
    let proposal = post(&mut net, &vote_for(1, &root, 4));
    let challenger = net.env.funded_keypair();
    let steps = |index: u64, leaf: (Pubkey, u64), path: [Node; 2]| {
        probe_steps_on_path(
            ProbeSide::Posted,
            index,
            4,
            (leaf.0.to_bytes(), leaf.1),
            &path,
            MAX_PROBE_STEP,
        )
        .unwrap()
    };
    let zero = net.probe(
        &challenger,
        proposal,
        ProbeSide::Posted,
        steps(0, (a, 5), [l[1], right]),
    );
    let one = net.probe(
        &challenger,
        proposal,
        ProbeSide::Posted,
        steps(1, (a, 7), [l[0], right]),
    );
    let three = net.probe(
        &challenger,
        proposal,
        ProbeSide::Posted,
        steps(3, (a, 9), [l[2], left]),
    );
    // Both inherited: not this root's duplicate.
    assert_custom_error(
        &net.prove(
            &challenger,
            proposal,
            (zero, Some(one)),
            Evidence::Duplicate,
        ),
        1,
        RewardsError::FraudNotDuplicate.into(),
    );
    // A new copy at index 3 is.
    let meta = expect_ok(net.prove(
        &challenger,
        proposal,
        (one, Some(three)),
        Evidence::Duplicate,
    ));
    let e: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(e[0].kind, FraudKind::Duplicate);
}

// --------------------------------------------------------------------------------------------
// Review findings: a finished probe stays finished, late answers, closing with a demand open,
// a re-seated voter slashed elsewhere

#[test]
fn a_probe_at_its_leaf_cannot_be_moved_or_cleared() {
    let mut net = ready();
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    let leaves = [(a, 10), (b, 20)];
    let (tree, args) = tree_vote(0, &leaves);
    let proposal = post(&mut net, &args);
    let opener = net.env.funded_keypair();
    let key = net.probe_tree(&opener, proposal, ProbeSide::Posted, &tree, &leaves, 0);
    let griefer = net.env.funded_keypair();
    for target in [
        ProbeTarget::Node {
            level: 0,
            node: node(&tree.leaf(0).unwrap()),
        },
        ProbeTarget::Leaf {
            wallet: a,
            amount: 10,
        },
    ] {
        let args = ExtendProbeArgs {
            target,
            path: Vec::new(),
        };
        let ix = extend_probe_ix(griefer.pubkey(), proposal, key, args);
        assert_custom_error(
            &net.env.send_fresh(&[ix], &[&griefer]),
            0,
            RewardsError::ProbeAtLeaf.into(),
        );
    }
    let probe: Probe = net.env.anchor_account(&key);
    assert_eq!(
        probe.leaf,
        Some(ProvenLeaf {
            wallet: a,
            amount: 10
        })
    );
}

#[test]
fn a_level_zero_node_moves_only_to_its_leaf() {
    let mut net = ready();
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    let leaves = [(a, 10), (b, 20)];
    let (tree, args) = tree_vote(0, &leaves);
    let proposal = post(&mut net, &args);
    let opener = net.env.funded_keypair();
    let leaf = tree.leaf(0).unwrap();
    let open = OpenProbeArgs {
        side: ProbeSide::Posted,
        index: 0,
        target: ProbeTarget::Node {
            level: 0,
            node: node(&leaf),
        },
        path: vec![node(&tree.leaf(1).unwrap())],
    };
    let key = net.probe(&opener, proposal, ProbeSide::Posted, (open, Vec::new()));
    let again = ExtendProbeArgs {
        target: ProbeTarget::Node {
            level: 0,
            node: node(&leaf),
        },
        path: Vec::new(),
    };
    let ix = extend_probe_ix(opener.pubkey(), proposal, key, again);
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&opener]),
        0,
        RewardsError::FraudNotInRoot.into(),
    );
    let finish = ExtendProbeArgs {
        target: ProbeTarget::Leaf {
            wallet: a,
            amount: 10,
        },
        path: Vec::new(),
    };
    expect_ok(net.env.send_fresh(
        &[extend_probe_ix(opener.pubkey(), proposal, key, finish)],
        &[&opener],
    ));
}

#[test]
fn a_demand_answered_after_its_deadline_is_unanswered() {
    let mut net = ready();
    let leaves = [(Pubkey::new_unique(), 10), (Pubkey::new_unique(), 20)];
    let (tree, args) = tree_vote(0, &leaves);
    let proposal = post(&mut net, &args);
    let demander = net.env.funded_keypair();
    let key = demand(&mut net, &demander, proposal, 1);
    let deadline = net
        .env
        .anchor_account::<Probe>(&key)
        .demand
        .unwrap()
        .deadline;
    net.env.warp_to_timestamp(deadline);
    let (wallet, amount) = leaves[1];
    let (open, _) = probe_steps(
        &tree,
        ProbeSide::Posted,
        1,
        (wallet.to_bytes(), amount),
        MAX_PROBE_STEP,
    )
    .unwrap();
    let late = ExtendProbeArgs {
        target: open.target,
        path: open.path,
    };
    let voter = net.oracles[0].insecure_clone();
    assert_custom_error(
        &net.env.send_fresh(
            &[extend_probe_ix(voter.pubkey(), proposal, key, late)],
            &[&voter],
        ),
        0,
        RewardsError::DemandExpired.into(),
    );
    expect_ok(net.prove(&demander, proposal, (key, None), Evidence::Unanswered));
}

#[test]
fn a_proposal_with_an_open_demand_is_not_closed_after_a_rotation() {
    let mut net = ready();
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 10), (Pubkey::new_unique(), 20)]);
    let proposal = post(&mut net, &args);
    let demander = net.env.funded_keypair();
    let key = demand(&mut net, &demander, proposal, 0);
    let others: Vec<Pubkey> = net.oracles[1..].iter().map(Signer::pubkey).collect();
    expect_ok(net.set_oracles(others, 2));
    let ends = net.proposal(&proposal).dispute_ends;
    net.env.warp_to_timestamp(ends);
    let payer = net.proposal(&proposal).payer;
    assert_custom_error(
        &net.env
            .send_fresh(&[close_proposal_ix(proposal, payer)], &[]),
        0,
        RewardsError::ProposalStillLive.into(),
    );
    expect_ok(net.prove(&demander, proposal, (key, None), Evidence::Unanswered));
    expect_ok(
        net.env
            .send_fresh(&[close_proposal_ix(proposal, payer)], &[]),
    );
}

#[test]
fn a_reseated_voter_slashed_for_an_old_root_no_longer_counts() {
    let mut net = ready();
    let wallets = [(); 4].map(|_| Pubkey::new_unique());
    let t = lying_tree(&wallets, [1, 2, 3, 4], 0);
    // Set 1: oracles 0 and 1 post a fraudulent root.
    let fraud = post(&mut net, &vote_for(0, &t.root, 4));
    // Governance re-seats oracle 0 with two fresh oracles (set 2, k = 2).
    let fresh = [net.env.funded_keypair(), net.env.funded_keypair()];
    for o in &fresh {
        expect_ok(net.bond(o, BOND));
    }
    let keys = vec![
        net.oracles[0].pubkey(),
        fresh[0].pubkey(),
        fresh[1].pubkey(),
    ];
    expect_ok(net.set_oracles(keys, 2));
    // Oracle 0 and fresh 0 post an honest root in set 2.
    let (_, honest) = tree_vote(0, &[(wallets[0], 1)]);
    let oracle_0 = net.oracles[0].insecure_clone();
    expect_ok(net.vote_as(&oracle_0, &honest));
    expect_ok(net.vote_as(&fresh[0], &honest));
    let honest_key = net.proposal_key(&honest);
    assert_eq!(net.proposal(&honest_key).status, ProposalStatus::Posted);
    // The old fraud is proven: oracle 0, seated in set 2, is slashed there too, and the void
    // starts a new round.
    let challenger = net.env.funded_keypair();
    let probe = probe_lying_node(&mut net, &challenger, fraud, &t);
    expect_ok(net.prove(&challenger, fraud, (probe, None), children(&t)));
    assert_eq!(net.oracle_set().slashed, 0b001);
    assert_eq!(net.network().voided_roots, 1);
    // The honest root that counted oracle 0's vote cannot become final on one vote.
    let ends = net.proposal(&honest_key).dispute_ends;
    net.env.warp_to_timestamp(ends);
    assert_custom_error(
        &net.finalize(honest_key),
        0,
        RewardsError::SlashedVoters.into(),
    );
    // The two unslashed seats post it again in the new round, and it finalizes.
    expect_ok(net.vote_as(&fresh[0], &honest));
    expect_ok(net.vote_as(&fresh[1], &honest));
    let again = net.proposal_key(&honest);
    assert_ne!(again, honest_key);
    let ends = net.proposal(&again).dispute_ends;
    net.env.warp_to_timestamp(ends);
    expect_ok(net.finalize(again));
}

#[test]
fn the_deposit_doubles_with_every_256_open_demands_and_stops_at_u64() {
    let mut net = ready();
    let wallets = [10, 20, 30, 40].map(|a| (Pubkey::new_unique(), a));
    let (_, args) = tree_vote(0, &wallets);
    let proposal = post(&mut net, &args);
    let demander = net.env.funded_keypair();
    let set_open = |net: &mut Net, open: u32| {
        edit_anchor_account::<RootProposal>(&mut net.env, &proposal, |p| p.open_demands = open);
    };
    // 255 open: the base deposit; 256: twice.
    for (open, index, deposit) in [
        (DEMAND_DOUBLING - 1, 0, DEMAND_DEPOSIT),
        (DEMAND_DOUBLING, 1, 2 * DEMAND_DEPOSIT),
    ] {
        set_open(&mut net, open);
        let before = lamports(&net, &demander.pubkey());
        let key = demand(&mut net, &demander, proposal, index);
        let probe: Probe = net.env.anchor_account(&key);
        assert_eq!(probe.demand.unwrap().deposit, deposit, "{open} open");
        let rent = net.env.rent_exempt(Probe::SIZE);
        assert_eq!(lamports(&net, &key), rent + deposit);
        assert_eq!(before - lamports(&net, &demander.pubkey()), rent + deposit);
        assert_eq!(net.proposal(&proposal).open_demands, open + 1);
    }
    // The demander's limit: at 256 open a demand capped at 199,999 lamports is refused, one
    // capped at exactly 200,000 is taken.
    let open = open_probe_at_root(&net.proposal(&proposal), 2).unwrap();
    expect_ok(net.env.send_fresh(
        &[open_probe_ix(demander.pubkey(), proposal, open)],
        &[&demander],
    ));
    let third = probe_pda(&proposal, ProbeSide::Posted, 2).0;
    set_open(&mut net, DEMAND_DOUBLING);
    let capped = |max| demand_probe_ix(demander.pubkey(), proposal, third, max);
    let r = net
        .env
        .send_fresh(&[capped(2 * DEMAND_DEPOSIT - 1)], &[&demander]);
    assert_custom_error(&r, 0, RewardsError::DepositAboveMax.into());
    assert_eq!(net.env.anchor_account::<Probe>(&third).demand, None);
    expect_ok(
        net.env
            .send_fresh(&[capped(2 * DEMAND_DEPOSIT)], &[&demander]),
    );
    let taken = net.env.anchor_account::<Probe>(&third).demand.unwrap();
    assert_eq!(taken.deposit, 2 * DEMAND_DEPOSIT);
    let p = |open: u32| RootProposal {
        open_demands: open,
        ..net.proposal(&proposal)
    };
    assert_eq!(
        p(2 * DEMAND_DOUBLING - 1).demand_deposit(),
        Some(2 * DEMAND_DEPOSIT)
    );
    assert_eq!(
        p(2 * DEMAND_DOUBLING).demand_deposit(),
        Some(4 * DEMAND_DEPOSIT)
    );
    // 100,000 x 2^47 (1.4 x 10^19) still fits a u64; 100,000 x 2^48 does not.
    assert_eq!(
        p(47 * DEMAND_DOUBLING).demand_deposit(),
        Some(DEMAND_DEPOSIT << 47)
    );
    assert_eq!(p(48 * DEMAND_DOUBLING).demand_deposit(), None);
    assert_eq!(p(u32::MAX).demand_deposit(), None);
    // Refused on-chain with its own code, nothing changed.
    set_open(&mut net, 48 * DEMAND_DOUBLING);
    let open = open_probe_at_root(&net.proposal(&proposal), 3).unwrap();
    expect_ok(net.env.send_fresh(
        &[open_probe_ix(demander.pubkey(), proposal, open)],
        &[&demander],
    ));
    let key = probe_pda(&proposal, ProbeSide::Posted, 3).0;
    let before: Probe = net.env.anchor_account(&key);
    assert_custom_error(
        &net.env.send_fresh(
            &[demand_probe_ix(demander.pubkey(), proposal, key, u64::MAX)],
            &[&demander],
        ),
        0,
        RewardsError::TooManyDemands.into(),
    );
    assert_eq!(net.env.anchor_account::<Probe>(&key), before);
    assert_eq!(net.proposal(&proposal).open_demands, 48 * DEMAND_DOUBLING);
}

#[test]
fn a_root_whose_epoch_is_final_takes_no_demand_and_a_substituted_network_is_refused() {
    let mut net = ready();
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 10), (Pubkey::new_unique(), 20)]);
    let proposal = post(&mut net, &args);
    let demander = net.env.funded_keypair();
    let open = open_probe_at_root(&net.proposal(&proposal), 0).unwrap();
    expect_ok(net.env.send_fresh(
        &[open_probe_ix(demander.pubkey(), proposal, open)],
        &[&demander],
    ));
    let key = probe_pda(&proposal, ProbeSide::Posted, 0).0;
    let ix = demand_probe_ix(demander.pubkey(), proposal, key, DEMAND_DEPOSIT);
    let fake = network_copy_naming(&mut net.env, &demander.pubkey());
    assert_custom_error(
        &net.env.send_fresh(
            &[substituted(ix.clone(), network_pda().0, fake)],
            &[&demander],
        ),
        0,
        RewardsError::WrongNetwork.into(),
    );
    // Another root of epoch 0 became final (as after a round bump): this one never will.
    edit_anchor_account::<Network>(&mut net.env, &network_pda().0, |n| n.final_root.epochs = 1);
    assert_custom_error(
        &net.env.send_fresh(&[ix], &[&demander]),
        0,
        RewardsError::NeverFinal.into(),
    );
    assert_eq!(net.env.anchor_account::<Probe>(&key).demand, None);
    assert_eq!(net.proposal(&proposal).open_demands, 0);
}

#[test]
fn a_posted_root_of_an_older_round_is_finalized_not_closed() {
    let mut net = ready();
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 10), (Pubkey::new_unique(), 20)]);
    let proposal = post(&mut net, &args);
    // A void elsewhere (an old set's root slashing a re-seated voter) starts a new round while
    // this root waits out its window.
    edit_anchor_account::<Network>(&mut net.env, &network_pda().0, |n| n.voided_roots += 1);
    let ends = net.proposal(&proposal).dispute_ends;
    net.env.warp_to_timestamp(ends);
    assert_custom_error(
        &net.env.send_fresh(
            &[close_proposal_ix(proposal, net.proposal(&proposal).payer)],
            &[],
        ),
        0,
        RewardsError::ProposalStillLive.into(),
    );
    expect_ok(net.finalize(proposal));
    assert_eq!(net.network().final_root.root, args.root);
    // Final, it is closed like any other.
    expect_ok(net.env.send_fresh(
        &[close_proposal_ix(proposal, net.proposal(&proposal).payer)],
        &[],
    ));
}
