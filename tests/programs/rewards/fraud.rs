//! Oracle bonds (`post_bond`, `withdraw_bond`) and fraud proofs (`challenge_root`): an
//! inconsistent sum, a decrease, and equivocation each void the posted root and slash.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use merkle_sum::Node;
use rewards::constants::INCINERATOR;
use rewards::error::RewardsError;
use rewards::events::{BondPosted, BondWithdrawn, FraudKind, RootVoided};
use rewards::math::fraud::VoteMessage;
use rewards::state::{OracleBond, ProposalStatus};

use super::fixture::*;

/// Three bonded oracles (threshold two), epoch 0 minted and ended.
fn ready() -> Net {
    let mut net = Net::new(TokenProgram::SplToken);
    net.install_oracles(3, 2);
    net.mint_through(0);
    net
}

fn lamports(net: &Net, key: &Pubkey) -> u64 {
    net.env.account(key).map_or(0, |a| a.lamports)
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
fn a_bond_is_withdrawn_only_out_of_the_set_and_after_a_dispute_window() {
    let mut net = ready();
    let oracle = net.oracles[0].insecure_clone();
    assert_custom_error(
        &withdraw(&mut net, &oracle, 1),
        0,
        RewardsError::StillAnOracle.into(),
    );

    // Rotated out: still locked for one dispute window.
    let others: Vec<Pubkey> = net.oracles[1..].iter().map(Signer::pubkey).collect();
    expect_ok(net.set_oracles(others, 2));
    let rotated = net.env.now();
    net.env.warp_to_timestamp(rotated + DISPUTE_SECS - 1);
    assert_custom_error(
        &withdraw(&mut net, &oracle, 1),
        0,
        RewardsError::StillAnOracle.into(),
    );

    net.env.warp_to_timestamp(rotated + DISPUTE_SECS);
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
// (a) an inconsistent sum

fn post(net: &mut Net, epoch: u64, root: &Node) -> Pubkey {
    let args = VoteRootArgs {
        epoch,
        root: root.hash,
        total: root.sum,
        manifest_hash: [0x11; 32],
    };
    expect_ok(net.vote(0, &args));
    expect_ok(net.vote(1, &args));
    net.proposal_key(&args)
}

fn challenge(
    net: &mut Net,
    challenger: &Keypair,
    proposal: Pubkey,
    evidence: Evidence,
    slashed: &[Pubkey],
) -> litesvm::types::TransactionResult {
    let ix = challenge_root(
        challenge_root_accounts(challenger.pubkey(), proposal),
        evidence,
        slashed,
    );
    net.env.send_fresh(&[ix], &[challenger])
}

/// Oracles 0 and 1 (of three, bond `BOND` each) voted and were slashed to their rent: 40 % of
/// their 2 SOL went to the challenger and 60 % to the incinerator; oracle 2 keeps its bond.
fn assert_voters_0_and_1_slashed(
    net: &Net,
    challenger: &Pubkey,
    challenger_before: u64,
    incinerator_before: u64,
) {
    let rent = net.env.rent_exempt(OracleBond::SIZE);
    for v in [net.oracles[0].pubkey(), net.oracles[1].pubkey()] {
        assert_eq!(bond_of(net, &v).amount, 0);
        assert_eq!(lamports(net, &bond_pda(&v).0), rent);
    }
    assert_eq!(bond_of(net, &net.oracles[2].pubkey()).amount, BOND);
    assert_eq!(lamports(net, challenger), challenger_before + 800_000_000);
    assert_eq!(
        lamports(net, &INCINERATOR),
        incinerator_before + 1_200_000_000
    );
    assert_eq!(net.oracle_set().slashed, 0b011);
}

#[test]
fn an_inconsistent_sum_voids_the_root_and_slashes_every_voter() {
    let mut net = ready();
    let wallets = [(); 4].map(|_| Pubkey::new_unique());
    // Leaves 0 and 1 hold 300 but the node says 3: the root total understates by 297.
    let t = lying_tree(&wallets, [100, 200, 300, 400], 3);
    assert_eq!(t.root.sum, 703);
    let proposal = post(&mut net, 0, &t.root);
    let voters = [net.oracles[0].pubkey(), net.oracles[1].pubkey()];
    let challenger = net.env.funded_keypair();
    let challenger_before = lamports(&net, &challenger.pubkey());
    let incinerator_before = lamports(&net, &INCINERATOR);

    let meta = expect_ok(challenge(
        &mut net,
        &challenger,
        proposal,
        sum_evidence(&t, 3),
        &voters,
    ));
    let now = net.env.now();

    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Voided);
    assert_voters_0_and_1_slashed(
        &net,
        &challenger.pubkey(),
        challenger_before,
        incinerator_before,
    );
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
            voters.to_vec(),
            2 * BOND,
            800_000_000,
            1_200_000_000,
            now
        )
    );

    // Replay: it is void. A voided root never finalizes. Slashed oracles cannot vote.
    assert_custom_error(
        &challenge(
            &mut net,
            &challenger,
            proposal,
            sum_evidence(&t, 3),
            &voters,
        ),
        0,
        RewardsError::NotDisputable.into(),
    );
    net.warp(2 * DAY);
    assert_custom_error(&net.finalize(proposal), 0, RewardsError::NotPosted.into());
    let (_, honest) = tree_vote(0, &[(wallets[0], 100)]);
    assert_custom_error(&net.vote(0, &honest), 0, RewardsError::OracleSlashed.into());
}

#[test]
fn a_consistent_node_or_a_wrong_path_proves_nothing() {
    let mut net = ready();
    let wallets = [(); 4].map(|_| Pubkey::new_unique());
    let honest = lying_tree(&wallets, [100, 200, 300, 400], 300);
    let proposal = post(&mut net, 0, &honest.root);
    let voters = [net.oracles[0].pubkey(), net.oracles[1].pubkey()];
    let challenger = net.env.funded_keypair();
    assert_custom_error(
        &challenge(
            &mut net,
            &challenger,
            proposal,
            sum_evidence(&honest, 300),
            &voters,
        ),
        0,
        RewardsError::FraudSumConsistent.into(),
    );
    assert_custom_error(
        &challenge(
            &mut net,
            &challenger,
            proposal,
            sum_evidence(&honest, 299),
            &voters,
        ),
        0,
        RewardsError::FraudNotInRoot.into(),
    );
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Posted);
    assert_eq!(bond_of(&net, &voters[0]).amount, BOND);
}

#[test]
fn a_challenge_after_the_dispute_window_is_refused() {
    let mut net = ready();
    let t = lying_tree(&[(); 4].map(|_| Pubkey::new_unique()), [1, 2, 3, 4], 0);
    let proposal = post(&mut net, 0, &t.root);
    let ends = net.proposal(&proposal).dispute_ends;
    net.env.warp_to_timestamp(ends);
    let voters = [net.oracles[0].pubkey(), net.oracles[1].pubkey()];
    let challenger = net.env.funded_keypair();
    assert_custom_error(
        &challenge(
            &mut net,
            &challenger,
            proposal,
            sum_evidence(&t, 0),
            &voters,
        ),
        0,
        RewardsError::NotDisputable.into(),
    );
}

#[test]
fn the_slashed_bonds_must_be_exactly_the_voters() {
    let mut net = ready();
    let t = lying_tree(&[(); 4].map(|_| Pubkey::new_unique()), [1, 2, 3, 4], 0);
    let proposal = post(&mut net, 0, &t.root);
    let o: Vec<Pubkey> = net.oracles.iter().map(Signer::pubkey).collect();
    let challenger = net.env.funded_keypair();
    for slashed in [
        vec![o[0]],             // one missing
        vec![o[0], o[2]],       // a non-voter substituted
        vec![o[1], o[0]],       // out of seat order
        vec![o[0], o[1], o[2]], // one extra
    ] {
        assert_custom_error(
            &challenge(
                &mut net,
                &challenger,
                proposal,
                sum_evidence(&t, 0),
                &slashed,
            ),
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
    let proposal = post(&mut net, 0, &t.root);
    let voters = [net.oracles[0].pubkey(), net.oracles[1].pubkey()];
    let challenger = net.env.funded_keypair();
    let mut a = challenge_root_accounts(challenger.pubkey(), proposal);
    a.incinerator = challenger.pubkey();
    let ix = challenge_root(a, sum_evidence(&t, 0), &voters);
    let result = net.env.send_fresh(&[ix], &[&challenger]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintAddress.into(),
    );
}

// --------------------------------------------------------------------------------------------
// (b) a decrease

#[test]
fn a_decrease_against_the_final_root_voids_and_slashes() {
    let mut net = ready();
    let a = Pubkey::new_unique();
    let b = Pubkey::new_unique();
    let old_leaves = [(a, 500), (b, 100)];
    let (old_tree, old_args) = tree_vote(0, &old_leaves);
    net.post_and_finalize(&old_args);

    net.mint_through(1);
    // Wallet a goes down from 500 to 400 (b goes up, so the total still grows).
    let new_leaves = [(a, 400), (b, 900)];
    let (new_tree, new_args) = tree_vote(1, &new_leaves);
    expect_ok(net.vote(0, &new_args));
    expect_ok(net.vote(1, &new_args));
    let proposal = net.proposal_key(&new_args);
    let voters = [net.oracles[0].pubkey(), net.oracles[1].pubkey()];
    let challenger = net.env.funded_keypair();

    let no_fraud = Evidence::Decrease {
        wallet: b,
        old_amount: 100,
        old_proof: proof_of(&old_tree, &old_leaves, &b),
        new_amount: 900,
        new_proof: proof_of(&new_tree, &new_leaves, &b),
    };
    assert_custom_error(
        &challenge(&mut net, &challenger, proposal, no_fraud, &voters),
        0,
        RewardsError::FraudNoDecrease.into(),
    );

    let fraud = Evidence::Decrease {
        wallet: a,
        old_amount: 500,
        old_proof: proof_of(&old_tree, &old_leaves, &a),
        new_amount: 400,
        new_proof: proof_of(&new_tree, &new_leaves, &a),
    };
    let challenger_before = lamports(&net, &challenger.pubkey());
    let incinerator_before = lamports(&net, &INCINERATOR);
    let meta = expect_ok(challenge(&mut net, &challenger, proposal, fraud, &voters));
    let e: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].kind,
            e[0].challenger,
            e[0].slashed.clone(),
            e[0].slashed_amount,
            e[0].challenger_reward,
            e[0].burned
        ),
        (
            FraudKind::Decrease,
            challenger.pubkey(),
            voters.to_vec(),
            2 * BOND,
            800_000_000,
            1_200_000_000
        )
    );
    assert_voters_0_and_1_slashed(
        &net,
        &challenger.pubkey(),
        challenger_before,
        incinerator_before,
    );
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Voided);
    // The final root is untouched.
    assert_eq!(net.network().final_root.total, 600);
}

// --------------------------------------------------------------------------------------------
// (c) equivocation

fn signed_vote(oracle: &Keypair, vote: &VoteMessage) -> Instruction {
    let message = vote.to_bytes();
    let signature = oracle.sign_message(&message);
    ed25519_instruction(&oracle.pubkey().to_bytes(), signature.as_array(), &message)
}

fn vote_message(args: &VoteRootArgs) -> VoteMessage {
    VoteMessage {
        program_id: rewards::ID.to_bytes(),
        epoch: args.epoch,
        set_version: 1,
        round: 0,
        root: args.root,
        total: args.total,
        manifest_hash: args.manifest_hash,
    }
}

#[test]
fn equivocation_slashes_only_the_equivocator_and_frees_the_other_voters() {
    let mut net = ready();
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 50)]);
    expect_ok(net.vote(0, &args));
    expect_ok(net.vote(1, &args));
    let proposal = net.proposal_key(&args);
    // Oracle 0 also signed another root for epoch 0, off-chain.
    let conflicting = VoteMessage {
        root: [0xee; 32],
        ..vote_message(&args)
    };
    let equivocator = net.oracles[0].insecure_clone();
    let challenger = net.env.funded_keypair();
    let before = lamports(&net, &challenger.pubkey());
    let ixs = [
        signed_vote(&equivocator, &conflicting),
        challenge_root(
            challenge_root_accounts(challenger.pubkey(), proposal),
            Evidence::Equivocation { seat: 0 },
            &[equivocator.pubkey()],
        ),
    ];
    let meta = expect_ok(net.env.send_fresh(&ixs, &[&challenger]));
    let e: Vec<RootVoided> = cpi_events(&meta);
    assert_eq!(
        (e[0].kind, e[0].slashed.clone(), e[0].slashed_amount),
        (FraudKind::Equivocation, vec![equivocator.pubkey()], BOND)
    );
    assert_eq!(lamports(&net, &challenger.pubkey()), before + 400_000_000);
    assert_eq!(bond_of(&net, &equivocator.pubkey()).amount, 0);
    assert_eq!(bond_of(&net, &net.oracles[1].pubkey()).amount, BOND);
    let set = net.oracle_set();
    assert_eq!(set.slashed, 0b001);
    assert_eq!((set.seats[0].last_vote, set.seats[1].last_vote), (1, 0));
    // The void started round 1: oracles 1 and 2 post the very same tuple again, as a new
    // proposal, and oracle 1's signature from round 0 cannot be used against it.
    assert_eq!(net.network().voided_roots, 1);
    expect_ok(net.vote(1, &args));
    expect_ok(net.vote(2, &args));
    let again = net.proposal_key(&args);
    assert_ne!(again, proposal);
    assert_eq!(net.proposal(&again).status, ProposalStatus::Posted);
    let old_signature = VoteMessage {
        root: [0xee; 32],
        ..vote_message(&args)
    };
    let honest = net.oracles[1].insecure_clone();
    let ixs = [
        signed_vote(&honest, &old_signature),
        challenge_root(
            challenge_root_accounts(challenger.pubkey(), again),
            Evidence::Equivocation { seat: 1 },
            &[honest.pubkey()],
        ),
    ];
    assert_custom_error(
        &net.env.send_fresh(&ixs, &[&challenger]),
        1,
        RewardsError::FraudNoConflict.into(),
    );
    assert_eq!(bond_of(&net, &honest.pubkey()).amount, BOND);
}

#[test]
fn equivocation_evidence_must_conflict_and_be_signed_by_that_voter() {
    let mut net = ready();
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 50)]);
    expect_ok(net.vote(0, &args));
    expect_ok(net.vote(1, &args));
    let proposal = net.proposal_key(&args);
    let challenger = net.env.funded_keypair();
    let o: Vec<Keypair> = net.oracles.iter().map(|k| k.insecure_clone()).collect();
    let conflicting = VoteMessage {
        total: args.total + 1,
        ..vote_message(&args)
    };
    let accounts = challenge_root_accounts(challenger.pubkey(), proposal);
    let cases: Vec<(Vec<Instruction>, RewardsError)> = vec![
        // The same vote is no conflict.
        (
            vec![
                signed_vote(&o[0], &vote_message(&args)),
                challenge_root(
                    accounts,
                    Evidence::Equivocation { seat: 0 },
                    &[o[0].pubkey()],
                ),
            ],
            RewardsError::FraudNoConflict,
        ),
        // Another epoch is no conflict.
        (
            vec![
                signed_vote(
                    &o[0],
                    &VoteMessage {
                        epoch: 1,
                        ..conflicting
                    },
                ),
                challenge_root(
                    accounts,
                    Evidence::Equivocation { seat: 0 },
                    &[o[0].pubkey()],
                ),
            ],
            RewardsError::FraudNoConflict,
        ),
        // Oracle 2 did not vote for the proposal.
        (
            vec![
                signed_vote(&o[2], &conflicting),
                challenge_root(
                    accounts,
                    Evidence::Equivocation { seat: 2 },
                    &[o[2].pubkey()],
                ),
            ],
            RewardsError::NotAVoter,
        ),
        // Seat 0 named, oracle 1's signature given.
        (
            vec![
                signed_vote(&o[1], &conflicting),
                challenge_root(
                    accounts,
                    Evidence::Equivocation { seat: 0 },
                    &[o[0].pubkey()],
                ),
            ],
            RewardsError::BadSignatureInstruction,
        ),
        // No signature instruction at all.
        (
            vec![challenge_root(
                accounts,
                Evidence::Equivocation { seat: 0 },
                &[o[0].pubkey()],
            )],
            RewardsError::BadSignatureInstruction,
        ),
    ];
    for (ixs, expected) in cases {
        let index = u8::try_from(ixs.len() - 1).unwrap();
        let result = net.env.send_fresh(&ixs, &[&challenger]);
        assert_custom_error(&result, index, expected.into());
    }
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Posted);
    assert_eq!(bond_of(&net, &o[0].pubkey()).amount, BOND);
}

#[test]
fn a_forged_signature_fails_in_the_precompile() {
    let mut net = ready();
    let (_, args) = tree_vote(0, &[(Pubkey::new_unique(), 50)]);
    expect_ok(net.vote(0, &args));
    expect_ok(net.vote(1, &args));
    let proposal = net.proposal_key(&args);
    let challenger = net.env.funded_keypair();
    let conflicting = VoteMessage {
        root: [1; 32],
        ..vote_message(&args)
    };
    // Signed by the challenger, presented as oracle 0's.
    let message = conflicting.to_bytes();
    let forged = challenger.sign_message(&message);
    let ixs = [
        ed25519_instruction(
            &net.oracles[0].pubkey().to_bytes(),
            forged.as_array(),
            &message,
        ),
        challenge_root(
            challenge_root_accounts(challenger.pubkey(), proposal),
            Evidence::Equivocation { seat: 0 },
            &[net.oracles[0].pubkey()],
        ),
    ];
    let result = net.env.send_fresh(&ixs, &[&challenger]);
    let err = result.unwrap_err().err;
    assert!(
        matches!(
            err,
            solana_transaction_error::TransactionError::InstructionError(0, _)
        ),
        "{err:?}"
    );
    assert_eq!(net.proposal(&proposal).status, ProposalStatus::Posted);
}
