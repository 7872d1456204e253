//! A property test over random sequences of crank, time, vote, challenge (a decrease, and an
//! inner node that lies about its sum), finalize, claim and claim into a staking position (`claim_to_position`; each wallet starts with a position holding
//! the one base unit it was paid by epoch 0's root), with random wallets and amounts, checking
//! after every step:
//! - mint supply = minted − burned, and the vault holds exactly what was minted for rewards and
//!   not yet claimed;
//! - the sum of claims <= the final root's total <= the cumulative budget <= max supply;
//! - no wallet is ever paid twice for the same cumulative amount, whichever way it claims (each
//!   wallet's balance plus its position's deposits equals its claim record, which never exceeds
//!   its cumulative amount in the final root), and the staking vault holds every deposit.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::builders::staking_ix;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use proptest::prelude::*;
use rewards::error::RewardsError;
use rewards::state::{ClaimRecord, ProposalStatus};

use super::fixture::*;

#[derive(Clone, Debug)]
enum Step {
    /// Move the clock forward.
    Wait(i64),
    Crank,
    /// The honest oracles post the next epoch's root, adding these amounts to the wallets.
    Post([u64; 4]),
    /// The oracles post a root that lowers wallet `i` (and raises another by as much); a
    /// challenger proves it.
    PostAndChallengeDecrease(usize),
    /// The oracles post a root whose node over the first two wallets (by key) understates their
    /// sum by `lie` (at least one), after adding `extra` to wallet 0; a challenger proves it.
    PostAndChallengeSum {
        extra: u64,
        lie: u64,
    },
    Finalize,
    Claim(usize),
    /// Wallet `i` claims into its staking position.
    ClaimToPosition(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..3 * DAY).prop_map(Step::Wait),
        Just(Step::Crank),
        prop::array::uniform4(0u64..2_000_000_000_000).prop_map(Step::Post),
        (0usize..4).prop_map(Step::PostAndChallengeDecrease),
        (1u64..1_000_000, 1u64..1_000)
            .prop_map(|(extra, lie)| Step::PostAndChallengeSum { extra, lie }),
        Just(Step::Finalize),
        (0usize..4).prop_map(Step::Claim),
        (0usize..4).prop_map(Step::ClaimToPosition),
    ]
}

struct World {
    net: Net,
    wallets: Vec<Pubkey>,
    /// The wallets' keys: `claim_to_position` and `stake` need their signatures.
    keys: Vec<Keypair>,
    /// Each wallet's staking position (id 0).
    positions: Vec<Pubkey>,
    accounts: Vec<Pubkey>,
    /// Cumulative amounts in the latest final root.
    final_leaves: BTreeMap<Pubkey, u64>,
    /// The posted (not yet final) root and its leaves.
    posted: Option<(Pubkey, BTreeMap<Pubkey, u64>)>,
    /// What each wallet has been paid, as the model sees it.
    paid: BTreeMap<Pubkey, u64>,
}

fn leaves_of(map: &BTreeMap<Pubkey, u64>) -> Vec<(Pubkey, u64)> {
    map.iter().map(|(w, a)| (*w, *a)).collect()
}

impl World {
    fn new() -> Self {
        let mut net = Net::new(TokenProgram::SplToken);
        net.install_oracles(3, 2);
        let keys: Vec<Keypair> = (0..4).map(|_| net.env.funded_keypair()).collect();
        let wallets: Vec<Pubkey> = keys.iter().map(Signer::pubkey).collect();
        let accounts: Vec<Pubkey> = wallets
            .iter()
            .map(|w| create_token_account(&mut net.env, TokenProgram::SplToken, &mint_pda().0, w))
            .collect();
        // Epoch 0 pays each wallet one base unit, which it stakes: every wallet has a position.
        let leaves: Vec<(Pubkey, u64)> = wallets.iter().map(|w| (*w, 1)).collect();
        net.earn(&leaves, &accounts);
        let first: BTreeMap<Pubkey, u64> = leaves.into_iter().collect();
        let positions = keys
            .iter()
            .zip(&accounts)
            .map(|(k, a)| net.stake(k, *a, 0, 1))
            .collect();
        Self {
            net,
            wallets,
            keys,
            positions,
            accounts,
            final_leaves: first.clone(),
            posted: None,
            paid: first,
        }
    }

    /// Epoch `e` may get a root once it is minted and over.
    fn next_epoch_ready(&self) -> Option<u64> {
        let network = self.net.network();
        let epoch = network.final_root.epochs;
        let ended = self.net.start + DAY * (i64::try_from(epoch).unwrap() + 1);
        (epoch < network.epochs_minted && self.net.env.now() >= ended && self.posted.is_none())
            .then_some(epoch)
    }

    /// The most a root for `epoch` may total: the emission of epochs 0..=epoch only (later
    /// epochs may be minted already); the schedule is flat for its first 730 epochs.
    fn root_budget(&self, epoch: u64) -> u64 {
        self.net
            .network()
            .cumulative_budget
            .min((epoch + 1) * EPOCH_EMISSION)
    }

    fn vote_all(&mut self, epoch: u64, leaves: &BTreeMap<Pubkey, u64>) -> Pubkey {
        let (_, args) = tree_vote(epoch, &leaves_of(leaves));
        expect_ok(self.net.vote(0, &args));
        expect_ok(self.net.vote(1, &args));
        self.net.proposal_key(&args)
    }

    fn run(&mut self, step: &Step) {
        match step {
            Step::Wait(secs) => {
                let now = self.net.env.now();
                self.net.env.warp_to_timestamp(now + secs);
            }
            Step::Crank => {
                let result = self.net.crank();
                if result.is_err() {
                    let code = custom_error(&result, 0);
                    assert!(
                        code == u32::from(RewardsError::EpochNotStarted)
                            || code == u32::from(RewardsError::CircuitBreakerTripped),
                        "crank refused with {code}"
                    );
                }
            }
            Step::Post(adds) => {
                let Some(epoch) = self.next_epoch_ready() else {
                    return;
                };
                let budget = self.root_budget(epoch);
                let mut leaves = self.final_leaves.clone();
                let mut total: u64 = leaves.values().sum();
                for (w, add) in self.wallets.iter().zip(adds) {
                    let add = (*add).min(budget - total);
                    total += add;
                    *leaves.entry(*w).or_insert(0) += add;
                }
                leaves.retain(|_, a| *a > 0);
                if leaves.is_empty() {
                    return;
                }
                let key = self.vote_all(epoch, &leaves);
                self.posted = Some((key, leaves));
            }
            Step::PostAndChallengeDecrease(i) => {
                let wallet = self.wallets[*i];
                let Some(&old) = self.final_leaves.get(&wallet) else {
                    return;
                };
                let Some(epoch) = self.next_epoch_ready() else {
                    return;
                };
                // The total must not drop (the posting check refuses that outright), so the unit
                // taken from this wallet goes to another: only a fraud proof can catch it.
                let mut leaves = self.final_leaves.clone();
                leaves.insert(wallet, old - 1);
                *leaves.entry(self.wallets[(i + 1) % 4]).or_insert(0) += 1;
                let key = self.vote_all(epoch, &leaves);
                let (old_tree, _) = tree_vote(0, &leaves_of(&self.final_leaves));
                let (new_tree, _) = tree_vote(0, &leaves_of(&leaves));
                let evidence = Evidence::Decrease {
                    wallet,
                    old_amount: old,
                    old_proof: proof_of(&old_tree, &leaves_of(&self.final_leaves), &wallet),
                    new_amount: old - 1,
                    new_proof: proof_of(&new_tree, &leaves_of(&leaves), &wallet),
                };
                let challenger = self.net.env.funded_keypair();
                let voters = [self.net.oracles[0].pubkey(), self.net.oracles[1].pubkey()];
                let ix = challenge_root(
                    challenge_root_accounts(challenger.pubkey(), key),
                    evidence,
                    &voters,
                );
                expect_ok(self.net.env.send_fresh(&[ix], &[&challenger]));
                assert_eq!(self.net.proposal(&key).status, ProposalStatus::Voided);
                // Governance replaces the slashed oracles (through the timelock).
                self.net.install_oracles(3, 2);
            }
            Step::PostAndChallengeSum { extra, lie } => {
                let Some(epoch) = self.next_epoch_ready() else {
                    return;
                };
                let budget = self.root_budget(epoch);
                let total: u64 = self.final_leaves.values().sum();
                // The lie must leave the posted total within the posting checks (at least the
                // final total, at most the budget), so that only a fraud proof can catch it.
                let extra = (*extra).min(budget - total);
                let mut leaves = self.final_leaves.clone();
                *leaves.entry(self.wallets[0]).or_insert(0) += extra;
                let wallets: [Pubkey; 4] = self.wallets.clone().try_into().unwrap();
                let amounts = wallets.map(|w| leaves[&w]);
                let mut sorted = amounts;
                let mut order = wallets.map(|w| w.to_bytes());
                order.sort_unstable();
                for (i, w) in order.iter().enumerate() {
                    sorted[i] = leaves[&Pubkey::new_from_array(*w)];
                }
                let honest = sorted[0] + sorted[1];
                let lie = (*lie).min(honest).min(extra);
                if lie == 0 {
                    return;
                }
                let t = lying_tree(&wallets, amounts, honest - lie);
                assert_eq!(t.root.sum, total + extra - lie);
                let args = VoteRootArgs {
                    epoch,
                    root: t.root.hash,
                    total: t.root.sum,
                    manifest_hash: [0x11; 32],
                };
                expect_ok(self.net.vote(0, &args));
                expect_ok(self.net.vote(1, &args));
                let key = self.net.proposal_key(&args);
                let challenger = self.net.env.funded_keypair();
                let voters = [self.net.oracles[0].pubkey(), self.net.oracles[1].pubkey()];
                let ix = challenge_root(
                    challenge_root_accounts(challenger.pubkey(), key),
                    sum_evidence(&t, honest - lie),
                    &voters,
                );
                expect_ok(self.net.env.send_fresh(&[ix], &[&challenger]));
                assert_eq!(self.net.proposal(&key).status, ProposalStatus::Voided);
                self.net.install_oracles(3, 2);
            }
            Step::Finalize => {
                let Some((key, leaves)) = self.posted.clone() else {
                    return;
                };
                let ends = self.net.proposal(&key).dispute_ends;
                if self.net.env.now() < ends {
                    self.net.env.warp_to_timestamp(ends);
                }
                expect_ok(self.net.finalize(key));
                self.final_leaves = leaves;
                self.posted = None;
            }
            Step::Claim(i) => {
                let wallet = self.wallets[*i];
                let Some(&cumulative) = self.final_leaves.get(&wallet) else {
                    return;
                };
                let leaves = leaves_of(&self.final_leaves);
                let (tree, _) = tree_vote(0, &leaves);
                let sender: Keypair = self.net.env.funded_keypair();
                let ix = claim(
                    claim_accounts(
                        sender.pubkey(),
                        wallet,
                        self.accounts[*i],
                        TokenProgram::SplToken,
                    ),
                    ClaimArgs {
                        cumulative_amount: cumulative,
                        proof: proof_of(&tree, &leaves, &wallet),
                    },
                );
                let result = self.net.env.send_fresh(&[ix], &[&sender]);
                self.record_payment(wallet, cumulative, result);
            }
            Step::ClaimToPosition(i) => {
                let wallet = self.wallets[*i];
                let Some(&cumulative) = self.final_leaves.get(&wallet) else {
                    return;
                };
                let key = self.keys[*i].insecure_clone();
                let position = self.positions[*i];
                let leaves = leaves_of(&self.final_leaves);
                let (tree, _) = tree_vote(0, &leaves);
                let ix = claim_to_position(
                    claim_to_position_accounts(wallet, position, TokenProgram::SplToken),
                    ClaimArgs {
                        cumulative_amount: cumulative,
                        proof: proof_of(&tree, &leaves, &wallet),
                    },
                );
                let result = self.net.env.send_fresh(&[ix], &[&key]);
                self.record_payment(wallet, cumulative, result);
            }
        }
    }

    /// Checks a claim's result against the model: refused if the wallet was already paid
    /// `cumulative`, else paid up to it.
    fn record_payment(&mut self, wallet: Pubkey, cumulative: u64, result: TransactionResult) {
        let paid = self.paid.entry(wallet).or_insert(0);
        if *paid == cumulative {
            assert_custom_error(&result, 0, RewardsError::NothingToClaim.into());
        } else {
            expect_ok(result);
            *paid = cumulative;
        }
    }

    fn check(&self) {
        let network = self.net.network();
        let supply = self.net.supply();
        assert_eq!(supply, network.total_minted - network.total_burned);
        assert_eq!(
            self.net.vault_balance(),
            network.cumulative_budget - network.total_claimed
        );
        assert!(network.total_claimed <= network.final_root.total);
        assert!(network.final_root.total <= network.cumulative_budget);
        assert!(network.cumulative_budget <= network.max_supply);
        let mut claimed = 0;
        let mut deposited = 0;
        for ((w, account), position) in self.wallets.iter().zip(&self.accounts).zip(&self.positions)
        {
            let staked = self.net.position(position).deposited;
            deposited += staked;
            let balance = read_token_account(&self.net.env, account).1.amount + staked;
            let record = self.net.env.account(&claim_record_pda(w).0).map_or(0, |_| {
                self.net
                    .env
                    .anchor_account::<ClaimRecord>(&claim_record_pda(w).0)
                    .claimed
            });
            assert_eq!(
                balance, record,
                "wallet balance plus position deposits equal its claim record"
            );
            assert_eq!(balance, self.paid.get(w).copied().unwrap_or(0));
            assert!(record <= self.final_leaves.get(w).copied().unwrap_or(0));
            claimed += record;
        }
        assert_eq!(claimed, network.total_claimed);
        let staking_vault = read_token_account(&self.net.env, &staking_ix::vault_pda().0)
            .1
            .amount;
        assert_eq!(staking_vault, deposited);
        assert_eq!(self.net.staking_config().total_locked, deposited);
        assert_eq!(
            network.final_root.total,
            self.final_leaves.values().sum::<u64>()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_over_random_sequences(steps in prop::collection::vec(step(), 1..40)) {
        let mut world = World::new();
        world.check();
        for s in &steps {
            world.run(s);
            world.check();
        }
    }
}
