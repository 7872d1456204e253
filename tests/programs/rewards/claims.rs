//! `rewards::claim`: merkle-sum proofs of `(wallet, cumulative amount)` against the latest final
//! root; anyone sends, only the wallet's token account receives, never paid twice.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use rewards::error::RewardsError;
use rewards::events::Claimed;
use rewards::state::ClaimRecord;
use test_case::test_case;

use super::fixture::*;

struct Claims {
    net: Net,
    wallets: Vec<Pubkey>,
    /// Each wallet's token account (owned by the wallet).
    accounts: Vec<Pubkey>,
}

impl Claims {
    /// Epoch 0 minted and ended, one oracle, three wallets with token accounts.
    fn new(token_program: TokenProgram) -> Self {
        let mut net = Net::new(token_program);
        net.install_oracles(1, 1);
        net.mint_through(0);
        let wallets: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
        let accounts = wallets
            .iter()
            .map(|w| create_token_account(&mut net.env, token_program, &mint_pda().0, w))
            .collect();
        Self {
            net,
            wallets,
            accounts,
        }
    }

    fn leaves(&self, amounts: [u64; 3]) -> Vec<(Pubkey, u64)> {
        self.wallets.iter().copied().zip(amounts).collect()
    }

    /// Posts and finalizes the root of `amounts` for the next epoch, minting it first if needed.
    fn finalize(&mut self, amounts: [u64; 3]) -> (merkle_sum::Tree, Vec<(Pubkey, u64)>) {
        let epoch = self.net.network().final_root.epochs;
        self.net.mint_through(epoch);
        let leaves = self.leaves(amounts);
        let (tree, args) = tree_vote(epoch, &leaves);
        self.net.post_and_finalize(&args);
        (tree, leaves)
    }

    fn claim(
        &mut self,
        i: usize,
        cumulative: u64,
        proof: Vec<ProofNode>,
    ) -> litesvm::types::TransactionResult {
        let sender = self.net.env.funded_keypair();
        let a = claim_accounts(
            sender.pubkey(),
            self.wallets[i],
            self.accounts[i],
            self.net.token_program,
        );
        let ix = claim(
            a,
            ClaimArgs {
                cumulative_amount: cumulative,
                proof,
            },
        );
        self.net.env.send_fresh(&[ix], &[&sender])
    }

    fn balance(&self, i: usize) -> u64 {
        read_token_account(&self.net.env, &self.accounts[i])
            .1
            .amount
    }

    fn record(&self, i: usize) -> Option<ClaimRecord> {
        let key = claim_record_pda(&self.wallets[i]).0;
        self.net
            .env
            .account(&key)
            .map(|_| self.net.env.anchor_account(&key))
    }
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn anyone_claims_for_a_wallet_into_its_own_account(token_program: TokenProgram) {
    let mut c = Claims::new(token_program);
    let (tree, leaves) = c.finalize([700, 200, 100]);
    let proof = proof_of(&tree, &leaves, &c.wallets[0]);
    let meta = expect_ok(c.claim(0, 700, proof));
    let now = c.net.env.now();

    assert_eq!(c.balance(0), 700);
    assert_eq!(c.net.vault_balance(), EPOCH_EMISSION - 700);
    let (record_key, bump) = claim_record_pda(&c.wallets[0]);
    assert_eq!(c.record(0), Some(ClaimRecord { bump, claimed: 700 }));
    // 17 bytes: 1,009,200 lamports of rent (0.0010092 SOL), paid by the sender.
    assert_eq!(ClaimRecord::SIZE, 17);
    assert_eq!(c.net.env.account(&record_key).unwrap().lamports, 1_009_200);
    assert_eq!(c.net.network().total_claimed, 700);
    let events: Vec<Claimed> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.wallet,
            e.destination,
            e.amount,
            e.cumulative,
            e.epochs,
            e.total_claimed,
            e.timestamp
        ),
        (c.wallets[0], c.accounts[0], 700, 700, 1, 700, now)
    );
}

#[test]
fn never_pays_a_cumulative_amount_twice() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let (tree, leaves) = c.finalize([700, 200, 100]);
    let proof = proof_of(&tree, &leaves, &c.wallets[1]);
    expect_ok(c.claim(1, 200, proof.clone()));
    assert_custom_error(
        &c.claim(1, 200, proof),
        0,
        RewardsError::NothingToClaim.into(),
    );
    assert_eq!(c.balance(1), 200);
    assert_eq!(c.net.network().total_claimed, 200);
}

#[test]
fn pays_the_difference_and_skipped_epochs_cost_nothing() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let (tree, leaves) = c.finalize([700, 200, 100]);
    expect_ok(c.claim(0, 700, proof_of(&tree, &leaves, &c.wallets[0])));

    // Two more epochs; wallet 0 claims again, wallet 2 claims for the first time, once.
    c.finalize([1_000, 300, 150]);
    let (tree, leaves) = c.finalize([1_500, 350, 400]);
    expect_ok(c.claim(0, 1_500, proof_of(&tree, &leaves, &c.wallets[0])));
    expect_ok(c.claim(2, 400, proof_of(&tree, &leaves, &c.wallets[2])));
    assert_eq!((c.balance(0), c.balance(1), c.balance(2)), (1_500, 0, 400));
    let network = c.net.network();
    assert_eq!(network.total_claimed, 1_900);
    assert_eq!(network.final_root.total, 2_250);
    assert_eq!(c.net.vault_balance(), 3 * EPOCH_EMISSION - 1_900);
}

#[test]
fn refuses_a_proof_that_does_not_match() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let (tree, leaves) = c.finalize([700, 200, 100]);
    let proof = proof_of(&tree, &leaves, &c.wallets[0]);
    // One unit more than the leaf.
    assert_custom_error(
        &c.claim(0, 701, proof.clone()),
        0,
        RewardsError::InvalidProof.into(),
    );
    // Wallet 1 with wallet 0's proof and amount.
    assert_custom_error(
        &c.claim(1, 700, proof.clone()),
        0,
        RewardsError::InvalidProof.into(),
    );
    // A tampered sibling sum.
    let mut tampered = proof.clone();
    tampered[0].sum += 1;
    assert_custom_error(
        &c.claim(0, 700, tampered),
        0,
        RewardsError::InvalidProof.into(),
    );
    // A flipped side.
    let mut flipped = proof;
    flipped[0].is_left = !flipped[0].is_left;
    assert_custom_error(
        &c.claim(0, 700, flipped),
        0,
        RewardsError::InvalidProof.into(),
    );
    assert_eq!(c.balance(0), 0);
    assert_eq!(c.record(0), None);
    assert_eq!(c.net.network().total_claimed, 0);
}

#[test]
fn refuses_a_proof_against_a_superseded_final_root() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let (old_tree, old_leaves) = c.finalize([700, 200, 100]);
    let old_proof_0 = proof_of(&old_tree, &old_leaves, &c.wallets[0]);
    let old_proof_2 = proof_of(&old_tree, &old_leaves, &c.wallets[2]);
    // The next final root supersedes it. Wallet 2's cumulative amount is the same in both.
    let (tree, leaves) = c.finalize([1_000, 300, 100]);

    // The old leaf, and the old proof with the new amount, are both refused.
    for (i, amount, proof) in [
        (0, 700, old_proof_0.clone()),
        (0, 1_000, old_proof_0),
        (2, 100, old_proof_2),
    ] {
        assert_custom_error(
            &c.claim(i, amount, proof),
            0,
            RewardsError::InvalidProof.into(),
        );
    }
    assert_eq!((c.balance(0), c.balance(2)), (0, 0));
    assert_eq!((c.record(0), c.record(2)), (None, None));
    assert_eq!(c.net.network().total_claimed, 0);

    // The latest root's proofs pay.
    expect_ok(c.claim(0, 1_000, proof_of(&tree, &leaves, &c.wallets[0])));
    expect_ok(c.claim(2, 100, proof_of(&tree, &leaves, &c.wallets[2])));
    assert_eq!((c.balance(0), c.balance(2)), (1_000, 100));
    assert_eq!(c.net.network().total_claimed, 1_100);
}

#[test]
fn a_claim_total_that_would_overflow_is_refused_with_math_overflow() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let (tree, leaves) = c.finalize([700, 200, 100]);
    edit_anchor_account(
        &mut c.net.env,
        &network_pda().0,
        |n: &mut rewards::state::Network| {
            n.total_claimed = u64::MAX - 699;
        },
    );
    let before = c.net.network();
    assert_custom_error(
        &c.claim(0, 700, proof_of(&tree, &leaves, &c.wallets[0])),
        0,
        RewardsError::MathOverflow.into(),
    );
    assert_eq!(c.net.network(), before);
    assert_eq!((c.balance(0), c.record(0)), (0, None));
}

#[test]
fn refuses_before_any_root_is_final() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let leaves = c.leaves([700, 200, 100]);
    let (tree, args) = tree_vote(0, &leaves);
    // Posted, but still in its dispute window.
    expect_ok(c.net.vote(0, &args));
    let proof = proof_of(&tree, &leaves, &c.wallets[0]);
    assert_custom_error(
        &c.claim(0, 700, proof),
        0,
        RewardsError::InvalidProof.into(),
    );
    assert_eq!(c.balance(0), 0);
}

#[test]
fn pays_only_into_an_account_the_wallet_owns() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let (tree, leaves) = c.finalize([700, 200, 100]);
    let proof = proof_of(&tree, &leaves, &c.wallets[0]);
    let thief = c.net.env.funded_keypair();
    let mut a = claim_accounts(
        thief.pubkey(),
        c.wallets[0],
        c.accounts[1],
        TokenProgram::SplToken,
    );
    let args = ClaimArgs {
        cumulative_amount: 700,
        proof: proof.clone(),
    };
    let result = c.net.env.send_fresh(&[claim(a, args.clone())], &[&thief]);
    assert_custom_error(&result, 0, RewardsError::WrongTokenAccountOwner.into());

    // An account of another mint, owned by the wallet.
    let payer = c.net.env.payer.pubkey();
    let other_mint = create_mint(&mut c.net.env, TokenProgram::SplToken, &payer, 6);
    a.destination = create_token_account(
        &mut c.net.env,
        TokenProgram::SplToken,
        &other_mint,
        &c.wallets[0],
    );
    let result = c.net.env.send_fresh(&[claim(a, args.clone())], &[&thief]);
    assert_custom_error(&result, 0, RewardsError::WrongMint.into());

    // A byte-for-byte copy of the wallet's token account, owned by another program.
    let forged = c
        .net
        .env
        .copy_account(&c.accounts[0], |a| a.owner = Pubkey::new_unique());
    a.destination = forged;
    let result = c.net.env.send_fresh(&[claim(a, args.clone())], &[&thief]);
    assert_custom_error(&result, 0, RewardsError::NotATokenAccount.into());

    // Another vault of the network mint.
    let mut a = claim_accounts(
        thief.pubkey(),
        c.wallets[0],
        c.accounts[0],
        TokenProgram::SplToken,
    );
    a.rewards_vault = c.accounts[2];
    let result = c.net.env.send_fresh(&[claim(a, args)], &[&thief]);
    assert_custom_error(&result, 0, RewardsError::WrongVault.into());

    assert_eq!((c.balance(0), c.balance(1)), (0, 0));
    assert_eq!(c.net.network().total_claimed, 0);
}

#[test]
fn refuses_a_copied_network() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let (tree, leaves) = c.finalize([700, 200, 100]);
    let proof = proof_of(&tree, &leaves, &c.wallets[0]);
    // A byte-for-byte copy of the network (same final root, same vault) at another address.
    let copy = c.net.env.copy_account(&network_pda().0, |_| {});
    let sender = c.net.env.funded_keypair();
    let mut a = claim_accounts(
        sender.pubkey(),
        c.wallets[0],
        c.accounts[0],
        TokenProgram::SplToken,
    );
    a.network = copy;
    let args = ClaimArgs {
        cumulative_amount: 700,
        proof,
    };
    let result = c.net.env.send_fresh(&[claim(a, args)], &[&sender]);
    assert_custom_error(&result, 0, RewardsError::WrongNetwork.into());
    assert_eq!(c.balance(0), 0);
    assert_eq!(c.net.network().total_claimed, 0);
}

#[test]
fn refuses_a_claim_record_that_is_not_the_wallets() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let (tree, leaves) = c.finalize([700, 200, 100]);
    let proof = proof_of(&tree, &leaves, &c.wallets[0]);
    let sender = c.net.env.funded_keypair();
    let mut a = claim_accounts(
        sender.pubkey(),
        c.wallets[0],
        c.accounts[0],
        TokenProgram::SplToken,
    );
    a.claim_record = claim_record_pda(&c.wallets[1]).0;
    let result = c.net.env.send_fresh(
        &[claim(
            a,
            ClaimArgs {
                cumulative_amount: 700,
                proof,
            },
        )],
        &[&sender],
    );
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
    assert_eq!(c.balance(0), 0);
}

#[test]
fn a_wallet_that_joins_later_is_appended_and_claims() {
    let mut c = Claims::new(TokenProgram::SplToken);
    let (tree, leaves) = c.finalize([700, 200, 100]);
    expect_ok(c.claim(0, 700, proof_of(&tree, &leaves, &c.wallets[0])));
    assert_eq!(c.net.network().final_root.leaves, 3);

    // Epoch 1: the three wallets keep their indices, a fourth is appended at index 3.
    let newcomer = Pubkey::new_unique();
    let account = create_token_account(
        &mut c.net.env,
        TokenProgram::SplToken,
        &mint_pda().0,
        &newcomer,
    );
    c.wallets.push(newcomer);
    c.accounts.push(account);
    c.net.mint_through(1);
    let mut leaves = c.leaves([900, 200, 100]);
    leaves.push((newcomer, 50));
    let (tree, args) = tree_vote(1, &leaves);
    assert_eq!(args.leaves, 4);
    c.net.post_and_finalize(&args);
    let network = c.net.network();
    assert_eq!(
        (network.final_root.leaves, network.final_root.total),
        (4, 1_250)
    );
    // The newcomer's proof is leaf 3's: leaf 2 on its left, then the node over leaves 0 and 1.
    let proof = proof_of(&tree, &leaves, &newcomer);
    assert_eq!(
        proof.iter().map(|n| n.is_left).collect::<Vec<_>>(),
        [true, true]
    );
    expect_ok(c.claim(3, 50, proof));
    expect_ok(c.claim(0, 900, proof_of(&tree, &leaves, &c.wallets[0])));
    assert_eq!((c.balance(0), c.balance(3)), (900, 50));
    assert_eq!(c.net.network().total_claimed, 950);
}
