//! `rewards::claim_to_position`: the time-locked claim. Same proof and claim record as `claim`,
//! paid by CPI to `staking::add_to_position` from the rewards vault into the signing wallet's
//! own position. The real staking program runs; nothing is written by hand.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::builders::staking_ix;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::error::RewardsError;
use rewards::events::{Claimed, ClaimedToPosition};
use rewards::state::ClaimRecord;
use staking::events::PositionIncreased;
use test_case::test_case;

use super::fixture::*;

/// Staked by each wallet from its first (epoch 0) claim.
const STAKED: u64 = 100;

struct Fx {
    net: Net,
    wallets: Vec<Keypair>,
    /// Each wallet's network-token account.
    accounts: Vec<Pubkey>,
    /// Each wallet's position (id 0), holding `STAKED`.
    positions: Vec<Pubkey>,
}

impl Fx {
    /// Two wallets that claimed `STAKED` each from epoch 0's root and staked it.
    fn new(token_program: TokenProgram) -> Self {
        let mut net = Net::new(token_program);
        let wallets: Vec<Keypair> = (0..2).map(|_| net.env.funded_keypair()).collect();
        let accounts: Vec<Pubkey> = wallets
            .iter()
            .map(|w| create_token_account(&mut net.env, token_program, &mint_pda().0, &w.pubkey()))
            .collect();
        let leaves: Vec<(Pubkey, u64)> = wallets.iter().map(|w| (w.pubkey(), STAKED)).collect();
        net.earn(&leaves, &accounts);
        let positions = wallets
            .iter()
            .zip(&accounts)
            .map(|(w, a)| net.stake(w, *a, 0, STAKED))
            .collect();
        Self {
            net,
            wallets,
            accounts,
            positions,
        }
    }

    /// Posts and finalizes the next epoch's root of cumulative `amounts`.
    fn finalize(&mut self, amounts: [u64; 2]) -> (merkle_sum::Tree, Vec<(Pubkey, u64)>) {
        let epoch = self.net.network().final_root.epochs;
        self.net.mint_through(epoch);
        let leaves: Vec<(Pubkey, u64)> = self
            .wallets
            .iter()
            .map(Signer::pubkey)
            .zip(amounts)
            .collect();
        let (tree, vote) = tree_vote(epoch, &leaves);
        self.net.post_and_finalize(&vote);
        (tree, leaves)
    }

    fn args(tree: &merkle_sum::Tree, leaves: &[(Pubkey, u64)], i: usize) -> ClaimArgs {
        ClaimArgs {
            cumulative_amount: leaves[i].1,
            proof: proof_of(tree, leaves, &leaves[i].0),
        }
    }

    fn accounts(&self, i: usize) -> rewards::accounts::ClaimToPosition {
        claim_to_position_accounts(
            self.wallets[i].pubkey(),
            self.positions[i],
            self.net.token_program,
        )
    }

    /// Wallet `i` claims into its own position.
    fn claim_into_position(&mut self, i: usize, args: ClaimArgs) -> TransactionResult {
        let ix = claim_to_position(self.accounts(i), args);
        let wallet = self.wallets[i].insecure_clone();
        self.net.env.send_fresh(&[ix], &[&wallet])
    }

    /// Anyone claims wallet `i`'s tokens into its token account.
    fn claim_into_account(&mut self, i: usize, args: ClaimArgs) -> TransactionResult {
        let payer = self.net.env.payer.pubkey();
        let a = claim_accounts(
            payer,
            self.wallets[i].pubkey(),
            self.accounts[i],
            self.net.token_program,
        );
        self.net.env.send_fresh(&[claim(a, args)], &[])
    }

    fn claimed(&self, i: usize) -> u64 {
        let record: ClaimRecord = self
            .net
            .env
            .anchor_account(&claim_record_pda(&self.wallets[i].pubkey()).0);
        record.claimed
    }

    fn amount(&self, i: usize) -> u64 {
        self.net.position(&self.positions[i]).amount
    }

    fn balance(&self, i: usize) -> u64 {
        read_token_account(&self.net.env, &self.accounts[i])
            .1
            .amount
    }

    fn staking_vault(&self) -> u64 {
        read_token_account(&self.net.env, &staking_ix::vault_pda().0)
            .1
            .amount
    }
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn the_claim_is_deposited_into_the_wallets_own_position(token_program: TokenProgram) {
    let mut f = Fx::new(token_program);
    let (tree, leaves) = f.finalize([STAKED + 700, STAKED + 300]);
    let vault_before = f.net.vault_balance();
    let claimed_before = f.net.network().total_claimed;
    assert_eq!(claimed_before, 2 * STAKED);
    assert_eq!(f.staking_vault(), 2 * STAKED);

    let meta = expect_ok(f.claim_into_position(0, Fx::args(&tree, &leaves, 0)));
    let now = f.net.env.now();
    let p = f.net.position(&f.positions[0]);
    assert_eq!(
        (p.amount, p.deposited, p.bound_devices),
        (STAKED + 700, STAKED + 700, 0)
    );
    assert_eq!(f.amount(1), STAKED);
    assert_eq!(f.net.vault_balance(), vault_before - 700);
    assert_eq!(f.staking_vault(), 2 * STAKED + 700);
    assert_eq!(f.staking_config_total_locked(), 2 * STAKED + 700);
    assert_eq!(f.balance(0), 0);
    assert_eq!(f.claimed(0), STAKED + 700);
    assert_eq!(f.net.network().total_claimed, 2 * STAKED + 700);

    let e: Vec<ClaimedToPosition> = cpi_events(&meta);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (
            e[0].wallet,
            e[0].position,
            e[0].amount,
            e[0].cumulative,
            e[0].epochs,
            e[0].total_claimed,
            e[0].timestamp
        ),
        (
            f.wallets[0].pubkey(),
            f.positions[0],
            700,
            STAKED + 700,
            2,
            2 * STAKED + 700,
            now
        )
    );
    assert!(cpi_events::<Claimed>(&meta).is_empty());
    let s: Vec<PositionIncreased> = cpi_events(&meta);
    assert_eq!(
        (
            s[0].position,
            s[0].depositor,
            s[0].amount,
            s[0].amount_before,
            s[0].amount_after
        ),
        (f.positions[0], network_pda().0, 700, STAKED, STAKED + 700)
    );
}

impl Fx {
    fn staking_config_total_locked(&self) -> u64 {
        self.net.staking_config().total_locked
    }
}

#[test]
fn a_claim_is_never_paid_twice_across_claim_and_claim_to_position() {
    let mut f = Fx::new(TokenProgram::SplToken);
    let (tree, leaves) = f.finalize([STAKED + 700, STAKED + 300]);
    let args0 = Fx::args(&tree, &leaves, 0);
    expect_ok(f.claim_into_position(0, args0.clone()));
    // Replayed, or taken again as a plain claim: nothing left.
    assert_custom_error(
        &f.claim_into_position(0, args0.clone()),
        0,
        RewardsError::NothingToClaim.into(),
    );
    assert_custom_error(
        &f.claim_into_account(0, args0),
        0,
        RewardsError::NothingToClaim.into(),
    );
    // The other way round: claimed to the account first, then refused into the position.
    let args1 = Fx::args(&tree, &leaves, 1);
    expect_ok(f.claim_into_account(1, args1.clone()));
    assert_custom_error(
        &f.claim_into_position(1, args1),
        0,
        RewardsError::NothingToClaim.into(),
    );
    assert_eq!((f.amount(0), f.balance(0)), (STAKED + 700, 0));
    assert_eq!((f.amount(1), f.balance(1)), (STAKED, 300));

    // The next root: each path pays only the difference above what the other already paid.
    let (tree, leaves) = f.finalize([STAKED + 1_000, STAKED + 450]);
    let vault_before = f.net.vault_balance();
    expect_ok(f.claim_into_account(0, Fx::args(&tree, &leaves, 0)));
    expect_ok(f.claim_into_position(1, Fx::args(&tree, &leaves, 1)));
    assert_eq!((f.amount(0), f.balance(0)), (STAKED + 700, 300));
    assert_eq!((f.amount(1), f.balance(1)), (STAKED + 150, 300));
    assert_eq!(f.net.vault_balance(), vault_before - 300 - 150);
    assert_eq!((f.claimed(0), f.claimed(1)), (STAKED + 1_000, STAKED + 450));
    let n = f.net.network();
    assert_eq!(n.total_claimed, 2 * STAKED + 1_450);
    assert_eq!(n.total_claimed, n.final_root.total);
    assert_eq!(f.staking_vault(), 2 * STAKED + 700 + 150);
}

#[test]
fn only_the_wallet_may_claim_into_a_position() {
    let mut f = Fx::new(TokenProgram::SplToken);
    let (tree, leaves) = f.finalize([STAKED + 700, STAKED + 300]);
    let args = Fx::args(&tree, &leaves, 0);
    // The wallet's key present but not signing (a crank sends and pays).
    let mut ix = claim_to_position(f.accounts(0), args.clone());
    ix.accounts[0].is_signer = false;
    assert_custom_error(
        &f.net.env.send_fresh(&[ix], &[]),
        0,
        anchor_lang::error::ErrorCode::AccountNotSigner.into(),
    );
    // Another wallet signs with its own position and the first wallet's proof.
    let thief = f.wallets[1].insecure_clone();
    let ix = claim_to_position(f.accounts(1), args.clone());
    assert_custom_error(
        &f.net.env.send_fresh(&[ix], &[&thief]),
        0,
        RewardsError::InvalidProof.into(),
    );
    assert_eq!((f.amount(0), f.amount(1)), (STAKED, STAKED));
    assert_eq!(f.claimed(0), STAKED);
    expect_ok(f.claim_into_position(0, args));
}

#[test]
fn only_the_wallets_own_staking_position_is_accepted() {
    let mut f = Fx::new(TokenProgram::SplToken);
    let (tree, leaves) = f.finalize([STAKED + 700, STAKED + 300]);
    let args = Fx::args(&tree, &leaves, 0);
    let wallet = f.wallets[0].insecure_clone();
    let send = |f: &mut Fx, a: rewards::accounts::ClaimToPosition| {
        let ix = claim_to_position(a, args.clone());
        f.net.env.send_fresh(&[ix], &[&wallet])
    };
    // Another owner's position.
    let mut a = f.accounts(0);
    a.position = f.positions[1];
    assert_custom_error(&send(&mut f, a), 0, RewardsError::NotPositionOwner.into());
    // A copy of the wallet's position owned by another program.
    let fake_key = f
        .net
        .env
        .copy_account(&f.positions[0], |a| a.owner = rewards::ID);
    let mut a = f.accounts(0);
    a.position = fake_key;
    assert_custom_error(
        &send(&mut f, a),
        0,
        RewardsError::NotAStakingPosition.into(),
    );
    // A substituted staking program or config.
    let mut a = f.accounts(0);
    a.staking_program = rewards::ID;
    assert_custom_error(
        &send(&mut f, a),
        0,
        RewardsError::WrongStakingProgram.into(),
    );
    let mut a = f.accounts(0);
    a.staking_config = Pubkey::new_unique();
    assert_custom_error(&send(&mut f, a), 0, RewardsError::WrongStakingConfig.into());
    // Another vault as the source.
    let mut a = f.accounts(0);
    a.rewards_vault = f.accounts[1];
    assert_custom_error(&send(&mut f, a), 0, RewardsError::WrongVault.into());

    assert_eq!((f.amount(0), f.amount(1)), (STAKED, STAKED));
    assert_eq!(f.claimed(0), STAKED);
    let a = f.accounts(0);
    expect_ok(send(&mut f, a));
    assert_eq!(f.amount(0), STAKED + 700);
}

#[test]
fn a_time_locked_claim_earns_the_positions_lockup_multiplier() {
    use crate::staking::fixture::{MAX_LOCKUP, MAX_MULT};
    let mut f = Fx::new(TokenProgram::SplToken);
    let (tree, leaves) = f.finalize([STAKED + 700, STAKED + 300]);
    // Wallet 0 locks its position for the longest lockup (5x), at the claim's own clock time.
    let wallet = f.wallets[0].insecure_clone();
    let ix = staking_ix::extend_lock_ix(wallet.pubkey(), f.positions[0], MAX_LOCKUP);
    expect_ok(f.net.env.send_fresh(&[ix], &[&wallet]));
    let before = f.net.position(&f.positions[0]);
    let total_weight_before = f.net.staking_config().total_weight;
    // Revenue weight: amount x multiplier in bps, 100 x 5x.
    assert_eq!(before.weight, u128::from(STAKED) * u128::from(MAX_MULT));
    assert_eq!(before.weight, 5_000_000);

    let meta = expect_ok(f.claim_into_position(0, Fx::args(&tree, &leaves, 0)));
    // The claimed 700 is locked at once; its revenue weight counts from the next re-weighing.
    let p = f.net.position(&f.positions[0]);
    assert_eq!(
        (p.amount, p.weight, p.lock_end),
        (STAKED + 700, 5_000_000, before.lock_end)
    );
    let s: Vec<PositionIncreased> = cpi_events(&meta);
    assert_eq!(
        (s[0].amount, s[0].amount_after, s[0].stored_weight),
        (700, STAKED + 700, 5_000_000)
    );
    // Refreshed (anyone may), the claimed 700 gets the same 5x: (100 + 700) x 5.
    let refresh = staking_ix::refresh_position_ix(wallet.pubkey(), f.positions[0]);
    expect_ok(f.net.env.send_fresh(&[refresh], &[]));
    assert_eq!(f.net.position(&f.positions[0]).weight, 40_000_000);
    assert_eq!(
        f.net.staking_config().total_weight,
        total_weight_before + 35_000_000
    );
    // The claim into an unlocked position (wallet 1's) gets 1x.
    expect_ok(f.claim_into_position(1, Fx::args(&tree, &leaves, 1)));
    let owner = f.wallets[1].pubkey();
    let refresh = staking_ix::refresh_position_ix(owner, f.positions[1]);
    expect_ok(f.net.env.send_fresh(&[refresh], &[]));
    assert_eq!(
        f.net.position(&f.positions[1]).weight,
        u128::from(STAKED + 300) * 10_000
    );
}
