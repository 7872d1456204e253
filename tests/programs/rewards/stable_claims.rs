//! `rewards::claim_in_stablecoin` and `treasury::buy_claim`: a wallet takes its claim in a
//! stablecoin. The rewards program verifies the claim (the same proof and record as `claim`),
//! pays the tokens into the coin's `bought` account, and the treasury, called with the rewards
//! program's `["stable_claim"]` PDA signing, pays the wallet from the coin's buyback bucket at
//! the lower of the oracle bound and the pinned pool's spot price, then burns the tokens.
//!
//! The network token and the coin are both SPL Token (the venue is a real spl-token-swap pool)
//! or both Token-2022 (spl-token-swap 3.0.0 knows SPL Token only: the venue's reserves are then
//! two token accounts of a stand-in pool authority; `buy_claim` reads only their balances).

use anchor_lang::prelude::Pubkey;
use anchor_lang::{Discriminator, ToAccountMetas};
use depin_client::treasury_report::{TreasuryEvent, TreasuryReport};
use harness::amm::{SPL_TOKEN_SWAP, SWAP_PROGRAM_ID, create_pool_funded};
use harness::builders::rewards_ix::*;
use harness::builders::treasury_ix::{
    self, AddStablecoinArgs, BuyClaimArgs, PayArgs, Roles, StableClaimVenue, Venue,
};
use harness::pyth::{Price, set_price_update};
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::error::RewardsError;
use rewards::events::ClaimedInStablecoin;
use rewards::state::ClaimRecord;
use test_case::test_case;
use treasury::error::TreasuryError;
use treasury::events::ClaimBought;
use treasury::state::{Stablecoin, Treasury};

use super::fixture::*;
use crate::treasury::fixture::{BOUND, CAP, EMA, EMA_CONF, POOL_STABLE, POOL_TOKENS, UNIT, price};

/// Minted at creation into the genesis account (the governance key's): the pool's tokens.
const GENESIS: u64 = 10_000_000 * UNIT;
/// Paid by a customer: 60% (12,000 coins) goes to the buyback bucket.
const PAID: u64 = 20_000 * UNIT;
const BUCKET: u64 = 12_000 * UNIT;
/// Wallet 0's claim: 1,234.567891 tokens. At the 0.4975 bound they are worth 614.197525...
/// coins, at the pool's 0.50 617.283945...: the bound pays, rounded down.
const CLAIM: u64 = 1_234_567_891;
const AT_BOUND: u64 = 614_197_525;
const AT_POOL: u64 = 617_283_945;
/// Wallet 1: worth exactly the epoch cap at the bound (20,100.502513 x 0.4975 = 10,000.000000…).
const AT_CAP: u64 = 20_100_502_513;
/// Wallet 2: one cap unit more (10,000.000001 coins).
const OVER_CAP: u64 = 20_100_502_515;
/// Wallet 3: 14,925 coins at the bound, more than the bucket.
const OVER_BUCKET: u64 = 30_000 * UNIT;
/// Wallet 4: one base unit, worth 0.4975 coin units: nothing.
const DUST: u64 = 1;
const LEAVES: [u64; 5] = [CLAIM, AT_CAP, OVER_CAP, OVER_BUCKET, DUST];

struct Fx {
    net: Net,
    stable: Pubkey,
    stable_tp: TokenProgram,
    venue: Venue,
    price: Pubkey,
    wallets: Vec<Keypair>,
    /// Each wallet's token account of the coin.
    destinations: Vec<Pubkey>,
    tree: merkle_sum::Tree,
    leaves: Vec<(Pubkey, u64)>,
}

/// Everything a refused claim must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    stablecoin: Stablecoin,
    treasury: Treasury,
    supply: u64,
    rewards_vault: u64,
    bought: u64,
    destinations: Vec<u64>,
    records: Vec<Option<ClaimRecord>>,
    total_claimed: u64,
}

impl Fx {
    /// A network over `tp` with the genesis supply, the treasury over its token with one coin
    /// (under the same program) whose venue prices the token at 0.50, a customer's payment in
    /// the buyback bucket, and a final root paying the five wallets `LEAVES`.
    fn new(tp: TokenProgram) -> Self {
        let mut env = TestEnv::new();
        env.load_program(&SPL_TOKEN_SWAP);
        let start = env.now();
        let governance = env.funded_keypair();
        let mut args = network_args(governance.pubkey(), 6, MAX_SUPPLY, start);
        args.genesis_supply = GENESIS;
        let mut net = Net::with_args(env, tp, governance.insecure_clone(), args);
        let coin_authority = net.env.funded_keypair();
        let stable = create_mint(&mut net.env, tp, &coin_authority.pubkey(), 6);

        let deployer = net.env.deployer.insecure_clone();
        let roles = Roles {
            payment_operator: Pubkey::new_unique(),
            service_operator: Pubkey::new_unique(),
            operations_owner: Pubkey::new_unique(),
        };
        expect_ok(net.env.send(
            &[treasury_ix::initialize_treasury(
                treasury_ix::initialize_treasury_accounts(&net.env, mint_pda().0),
                treasury_ix::treasury_args(governance.pubkey(), SWAP_PROGRAM_ID, roles),
            )],
            &[&deployer],
        ));
        let venue = Self::venue(&mut net.env, tp, stable, &coin_authority, &governance);
        expect_ok(net.env.send(
            &[treasury_ix::add_stablecoin(
                treasury_ix::add_stablecoin_accounts(
                    &net.env,
                    governance.pubkey(),
                    stable,
                    tp,
                    mint_pda().0,
                    tp,
                    None,
                ),
                AddStablecoinArgs {
                    buyback_cap_per_epoch: CAP,
                    venue,
                },
            )],
            &[&governance],
        ));

        // A customer's payment fills the buyback bucket.
        let customer = net.env.funded_keypair();
        let customer_coins = create_token_account(&mut net.env, tp, &stable, &customer.pubkey());
        mint_to(
            &mut net.env,
            tp,
            &stable,
            &coin_authority,
            &customer_coins,
            PAID,
        );
        expect_ok(net.env.send_fresh(
            &[treasury_ix::pay(
                treasury_ix::pay_accounts(customer.pubkey(), stable, tp, customer_coins),
                PayArgs {
                    amount: PAID,
                    reference: [1; 32],
                },
            )],
            &[&customer],
        ));

        // The root paying the wallets.
        let wallets: Vec<Keypair> = LEAVES.iter().map(|_| net.env.funded_keypair()).collect();
        let destinations = wallets
            .iter()
            .map(|w| create_token_account(&mut net.env, tp, &stable, &w.pubkey()))
            .collect();
        let leaves: Vec<(Pubkey, u64)> = wallets.iter().map(Signer::pubkey).zip(LEAVES).collect();
        net.install_oracles(1, 1);
        net.mint_through(0);
        let (tree, vote) = tree_vote(0, &leaves);
        net.post_and_finalize(&vote);

        let mut fx = Self {
            net,
            stable,
            stable_tp: tp,
            venue,
            price: Pubkey::new_unique(),
            wallets,
            destinations,
            tree,
            leaves,
        };
        fx.set_price(|_| {});
        fx
    }

    /// The coin's venue at 1,000,000 coins against 2,000,000 tokens: a real pool under SPL
    /// Token; two reserve accounts of a stand-in pool authority under Token-2022. The tokens come
    /// from the genesis account, the coins are minted.
    fn venue(
        env: &mut TestEnv,
        tp: TokenProgram,
        stable: Pubkey,
        coin_authority: &Keypair,
        genesis_owner: &Keypair,
    ) -> Venue {
        let mut fund = |env: &mut TestEnv, mint: &Pubkey, vault: &Pubkey, amount: u64| {
            if *mint == stable {
                mint_to(env, tp, mint, coin_authority, vault, amount);
            } else {
                transfer(env, tp, &genesis_pda().0, genesis_owner, vault, amount);
            }
        };
        let (coins, tokens) = ((stable, POOL_STABLE), (mint_pda().0, POOL_TOKENS));
        if tp == TokenProgram::SplToken {
            let pool = create_pool_funded(env, tp, coins, tokens, &mut fund, &mut Keypair::new);
            return pool.venue(&stable).expect("the coin's side");
        }
        let authority = Pubkey::new_unique();
        let quote_reserve = create_token_account(env, tp, &stable, &authority);
        let token_reserve = create_token_account(env, tp, &mint_pda().0, &authority);
        fund(env, &stable, &quote_reserve, POOL_STABLE);
        fund(env, &mint_pda().0, &token_reserve, POOL_TOKENS);
        Venue {
            pool: Pubkey::new_unique(),
            quote_reserve,
            token_reserve,
        }
    }

    fn claim_venue(&self) -> StableClaimVenue {
        StableClaimVenue {
            stable_mint: self.stable,
            stable_token_program: self.stable_tp,
            network_token_program: self.net.token_program,
            price_update: self.price,
            venue: self.venue,
        }
    }

    /// Wallet `i`'s claim of its whole leaf in the coin, for at least `min_stable_out`.
    fn claim_ix(&self, i: usize, min_stable_out: u64) -> Instruction {
        claim_in_stablecoin(
            claim_in_stablecoin_accounts(
                self.wallets[i].pubkey(),
                self.destinations[i],
                &self.claim_venue(),
            ),
            ClaimInStablecoinArgs {
                claim: ClaimArgs {
                    cumulative_amount: self.leaves[i].1,
                    proof: proof_of(&self.tree, &self.leaves, &self.leaves[i].0),
                },
                min_stable_out,
            },
        )
    }

    fn send(&mut self, i: usize, ix: Instruction) -> TransactionResult {
        let wallet = self.wallets[i].insecure_clone();
        self.net.env.send_fresh(&[ix], &[&wallet])
    }

    fn claim(&mut self, i: usize, min_stable_out: u64) -> TransactionResult {
        let ix = self.claim_ix(i, min_stable_out);
        self.send(i, ix)
    }

    /// Sends `ix` for wallet `i`, expects `code`, and checks nothing changed.
    fn refused(&mut self, i: usize, ix: Instruction, code: u32) {
        let before = self.snapshot();
        let result = self.send(i, ix);
        assert_custom_error(&result, 0, code);
        assert_eq!(before, self.snapshot());
    }

    /// Rewrites the price update: the fixture's price at the current time, then `change`.
    fn set_price(&mut self, change: impl FnOnce(&mut Price)) {
        let mut p = price(self.net.env.now());
        change(&mut p);
        let key = self.price;
        set_price_update(&mut self.net.env, key, pyth_solana_receiver_sdk::ID, p);
    }

    fn balance(&self, account: &Pubkey) -> u64 {
        read_token_account(&self.net.env, account).1.amount
    }

    fn stablecoin(&self) -> Stablecoin {
        self.net
            .env
            .anchor_account(&treasury_ix::stablecoin_pda(&self.stable).0)
    }

    fn treasury(&self) -> Treasury {
        self.net.env.anchor_account(&treasury_ix::treasury_pda().0)
    }

    fn record(&self, i: usize) -> Option<ClaimRecord> {
        let key = claim_record_pda(&self.wallets[i].pubkey()).0;
        self.net
            .env
            .account(&key)
            .map(|_| self.net.env.anchor_account(&key))
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            stablecoin: self.stablecoin(),
            treasury: self.treasury(),
            supply: self.net.supply(),
            rewards_vault: self.net.vault_balance(),
            bought: self.balance(&treasury_ix::bought_pda(&self.stable).0),
            destinations: self.destinations.iter().map(|d| self.balance(d)).collect(),
            records: (0..self.wallets.len()).map(|i| self.record(i)).collect(),
            total_claimed: self.net.network().total_claimed,
        }
    }

    /// Moves `amount` of the network token from the genesis account into the pool's token
    /// reserve (a seller's dump: the pool's price falls).
    fn dump_into_pool(&mut self, amount: u64) {
        let (tp, reserve) = (self.net.token_program, self.venue.token_reserve);
        let owner = self.net.governance.insecure_clone();
        transfer(
            &mut self.net.env,
            tp,
            &genesis_pda().0,
            &owner,
            &reserve,
            amount,
        );
    }
}

/// `transfer_checked` of the network token or a coin (6 decimals both), `owner` signing.
fn transfer(
    env: &mut TestEnv,
    tp: TokenProgram,
    from: &Pubkey,
    owner: &Keypair,
    to: &Pubkey,
    amount: u64,
) {
    let mint = read_token_account(env, from).1.mint;
    let ix = anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
        &tp.id(),
        from,
        &mint,
        to,
        &owner.pubkey(),
        &[],
        amount,
        6,
    )
    .expect("transfer_checked");
    expect_ok(env.send_fresh(&[ix], &[owner]));
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn a_claim_is_paid_in_the_coin_at_the_bound_and_its_tokens_burned(tp: TokenProgram) {
    let mut fx = Fx::new(tp);
    let before = fx.snapshot();
    assert_eq!(before.stablecoin.buckets.buyback, BUCKET);
    let meta = expect_ok(fx.claim(0, AT_BOUND));
    let after = fx.snapshot();
    let now = fx.net.env.now();
    // The root's dispute window put the clock in the treasury's second buyback epoch.
    let epoch = after.treasury.buyback_epoch(now).unwrap();
    assert_eq!(epoch, 1);

    // The wallet's coins, to the unit; the claim's tokens left the vault and the supply.
    assert_eq!(after.destinations[0], AT_BOUND);
    assert_eq!(after.supply, before.supply - CLAIM);
    assert_eq!(after.rewards_vault, before.rewards_vault - CLAIM);
    assert_eq!(after.bought, 0);
    assert_eq!(after.total_claimed, CLAIM);
    let (_, bump) = claim_record_pda(&fx.wallets[0].pubkey());
    assert_eq!(
        after.records[0],
        Some(ClaimRecord {
            bump,
            claimed: CLAIM
        })
    );
    // The bucket, the epoch's cap and the totals, as a buyback of AT_BOUND.
    let s = &after.stablecoin;
    assert_eq!(
        (s.buckets.buyback, s.spent_in_epoch, s.buyback_epoch),
        (BUCKET - AT_BOUND, AT_BOUND, epoch)
    );
    assert_eq!(s.total_bought_back, AT_BOUND);
    assert_eq!(fx.balance(&s.vault), PAID - AT_BOUND);
    assert_eq!(after.treasury.total_bought_burned, CLAIM);
    assert_eq!(after.treasury.last_price_publish_time, now);
    // The pool is only read.
    assert_eq!(
        (
            fx.balance(&fx.venue.quote_reserve),
            fx.balance(&fx.venue.token_reserve)
        ),
        (POOL_STABLE, POOL_TOKENS)
    );

    let bought: Vec<ClaimBought> = cpi_events(&meta);
    assert_eq!(
        bought,
        vec![ClaimBought {
            stable_mint: fx.stable,
            claimant: fx.wallets[0].pubkey(),
            destination: fx.destinations[0],
            tokens_burned: CLAIM,
            stable_out: AT_BOUND,
            out_at_bound: AT_BOUND,
            out_at_pool: AT_POOL,
            min_stable_out: AT_BOUND,
            price_bound: BOUND,
            price_exponent: -8,
            ema_price: EMA,
            ema_conf: EMA_CONF,
            publish_time: now,
            pool_quote_reserve: POOL_STABLE,
            pool_token_reserve: POOL_TOKENS,
            buyback_bucket_before: BUCKET,
            buyback_bucket_after: BUCKET - AT_BOUND,
            epoch,
            spent_in_epoch_after: AT_BOUND,
            supply_before: before.supply,
            supply_after: before.supply - CLAIM,
            timestamp: now,
        }]
    );
    let claimed: Vec<ClaimedInStablecoin> = cpi_events(&meta);
    assert_eq!(
        claimed,
        vec![ClaimedInStablecoin {
            wallet: fx.wallets[0].pubkey(),
            destination: fx.destinations[0],
            stable_mint: fx.stable,
            amount: CLAIM,
            stable_out: AT_BOUND,
            cumulative: CLAIM,
            epochs: 1,
            total_claimed: CLAIM,
            timestamp: now,
        }]
    );

    // The treasury's report folds it as a buyback of the claim.
    let report = TreasuryReport::fold(
        meta.inner_instructions
            .iter()
            .flatten()
            .filter_map(|i| TreasuryEvent::decode(&i.instruction.data)),
    );
    assert_eq!(report.coins[&fx.stable].bought_back, u128::from(AT_BOUND));
    assert_eq!(report.burned_by_buyback, u128::from(CLAIM));
    assert_eq!(report.buybacks[0].claimant, Some(fx.wallets[0].pubkey()));

    // Replay: the same claim again is refused, nothing changes.
    let ix = fx.claim_ix(0, 0);
    fx.refused(0, ix, RewardsError::NothingToClaim.into());
}

#[test]
fn a_pool_below_the_bound_sets_the_price_and_the_claimants_minimum_can_refuse_it() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    // 500,000 tokens dumped into the pool: 1,000,000 coins against 2,500,000 tokens, 0.40.
    fx.dump_into_pool(500_000 * UNIT);
    const AT_LOW_POOL: u64 = 493_827_156; // 1,234.567891 x 0.40, rounded down
    // Asking for the bound's value: refused by name, nothing changes.
    let ix = fx.claim_ix(0, AT_BOUND);
    fx.refused(0, ix, TreasuryError::StableOutBelowMinimum.into());
    let ix = fx.claim_ix(0, AT_LOW_POOL + 1);
    fx.refused(0, ix, TreasuryError::StableOutBelowMinimum.into());
    // Accepting the pool's price: paid exactly that.
    let meta = expect_ok(fx.claim(0, AT_LOW_POOL));
    assert_eq!(fx.balance(&fx.destinations[0]), AT_LOW_POOL);
    assert_eq!(fx.stablecoin().buckets.buyback, BUCKET - AT_LOW_POOL);
    let e = &cpi_events::<ClaimBought>(&meta)[0];
    assert_eq!(
        (e.out_at_bound, e.out_at_pool, e.stable_out),
        (AT_BOUND, AT_LOW_POOL, AT_LOW_POOL)
    );
}

#[test]
fn refuses_a_stale_an_uncertain_and_an_older_price() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    // 61 s old: stale (the treasury's max age is 60 s).
    fx.set_price(|p| p.publish_time -= 61);
    let ix = fx.claim_ix(0, 0);
    fx.refused(0, ix, TreasuryError::StalePrice.into());
    // A 2.01% confidence against a 2% limit.
    fx.set_price(|p| p.ema_conf = 1_005_000);
    let ix = fx.claim_ix(0, 0);
    fx.refused(0, ix, TreasuryError::PriceTooUncertain.into());
    // Another feed.
    fx.set_price(|p| p.feed_id[0] ^= 1);
    let ix = fx.claim_ix(0, 0);
    fx.refused(0, ix, TreasuryError::WrongPriceFeed.into());
    // Forward only: a claim at the current price, then one at an update 10 s older.
    fx.set_price(|_| {});
    expect_ok(fx.claim(0, 0));
    fx.set_price(|p| p.publish_time -= 10);
    let ix = fx.claim_ix(1, 0);
    fx.refused(1, ix, TreasuryError::PriceOlderThanLastUsed.into());
}

#[test]
fn the_bucket_and_the_epoch_cap_bound_the_purchase() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    // 14,925 coins against a 12,000 bucket.
    let ix = fx.claim_ix(3, 0);
    fx.refused(3, ix, TreasuryError::InsufficientBucket.into());
    // 10,000.000001 coins against a 10,000 cap.
    let ix = fx.claim_ix(2, 0);
    fx.refused(2, ix, TreasuryError::BuybackCapReached.into());
    // Exactly the cap is paid; then the cap is spent for this epoch, even by a small claim.
    expect_ok(fx.claim(1, CAP));
    assert_eq!(fx.balance(&fx.destinations[1]), CAP);
    assert_eq!(fx.stablecoin().spent_in_epoch, CAP);
    let ix = fx.claim_ix(0, 0);
    fx.refused(0, ix, TreasuryError::BuybackCapReached.into());
    // The next buyback epoch (a day) resets it.
    let epoch = fx.stablecoin().buyback_epoch;
    let next = fx.net.env.now() + 86_400;
    fx.net.env.warp_to_timestamp(next);
    fx.set_price(|_| {});
    expect_ok(fx.claim(0, AT_BOUND));
    let s = fx.stablecoin();
    assert_eq!((s.buyback_epoch, s.spent_in_epoch), (epoch + 1, AT_BOUND));
    assert_eq!(s.buckets.buyback, BUCKET - CAP - AT_BOUND);
}

#[test]
fn refuses_dust_and_an_overflowing_price() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    // One base unit is worth 0.4975 coin units: refused, not burned for nothing.
    let ix = fx.claim_ix(4, 0);
    fx.refused(4, ix, TreasuryError::ZeroStableOut.into());
    // A price of 0.4975 x 10^26 USD per token: its value overflows u128.
    fx.set_price(|p| p.exponent = 18);
    let ix = fx.claim_ix(0, 0);
    fx.refused(0, ix, TreasuryError::MathOverflow.into());
}

#[test]
fn only_the_rewards_programs_claim_pda_may_sell_to_the_bucket() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    // A holder of network tokens puts them in `bought` and calls `buy_claim` itself.
    let seller = fx.wallets[0].insecure_clone();
    let seller_tokens = create_token_account(
        &mut fx.net.env,
        TokenProgram::SplToken,
        &mint_pda().0,
        &seller.pubkey(),
    );
    let owner = fx.net.governance.insecure_clone();
    transfer(
        &mut fx.net.env,
        TokenProgram::SplToken,
        &genesis_pda().0,
        &owner,
        &seller_tokens,
        CLAIM,
    );
    let bought = treasury_ix::bought_pda(&fx.stable).0;
    transfer(
        &mut fx.net.env,
        TokenProgram::SplToken,
        &seller_tokens,
        &seller,
        &bought,
        CLAIM,
    );
    let ix = treasury_ix::buy_claim(
        treasury_ix::buy_claim_accounts(
            seller.pubkey(),
            seller.pubkey(),
            fx.destinations[0],
            mint_pda().0,
            &fx.claim_venue(),
        ),
        BuyClaimArgs {
            amount: CLAIM,
            min_stable_out: 0,
        },
    );
    fx.refused(0, ix, TreasuryError::NotStableClaimAuthority.into());
}

#[test]
fn refuses_substituted_accounts() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let tp = TokenProgram::SplToken;
    let ix = |fx: &Fx, from: Pubkey, to: Pubkey| substituted(fx.claim_ix(0, 0), from, to);

    // Another coin's mint (the ledger is this coin's).
    let other_coin = create_mint(&mut fx.net.env, tp, &Pubkey::new_unique(), 6);
    let i = ix(&fx, fx.stable, other_coin);
    fx.refused(0, i, TreasuryError::WrongStablecoin.into());
    // A destination of the coin owned by someone else, and one of another mint.
    let stranger = create_token_account(&mut fx.net.env, tp, &fx.stable, &Pubkey::new_unique());
    let i = ix(&fx, fx.destinations[0], stranger);
    fx.refused(0, i, TreasuryError::WrongClaimDestination.into());
    let wallet = fx.wallets[0].pubkey();
    let other_mint_account = create_token_account(&mut fx.net.env, tp, &other_coin, &wallet);
    let i = ix(&fx, fx.destinations[0], other_mint_account);
    fx.refused(0, i, TreasuryError::WrongClaimDestination.into());
    // A pool reserve other than the pinned one (a token account of the same mint).
    let fake_reserve = create_token_account(&mut fx.net.env, tp, &fx.stable, &Pubkey::new_unique());
    let i = ix(&fx, fx.venue.quote_reserve, fake_reserve);
    fx.refused(0, i, TreasuryError::WrongPoolReserve.into());
    let fake_tokens = create_token_account(&mut fx.net.env, tp, &mint_pda().0, &wallet);
    let i = ix(&fx, fx.venue.token_reserve, fake_tokens);
    fx.refused(0, i, TreasuryError::WrongPoolReserve.into());
    // Another program as the treasury, another key as the stable-claim authority.
    let i = ix(&fx, treasury::ID, SWAP_PROGRAM_ID);
    fx.refused(0, i, RewardsError::WrongTreasuryProgram.into());
    let authority = rewards::constants::STABLE_CLAIM_AUTHORITY;
    let i = ix(&fx, authority, Pubkey::new_unique());
    fx.refused(0, i, RewardsError::WrongStableClaimAuthority.into());
    // The claim's tokens sent to a `bought` account that is not the coin's.
    let i = ix(&fx, treasury_ix::bought_pda(&fx.stable).0, fake_tokens);
    fx.refused(0, i, anchor_lang::error::ErrorCode::ConstraintHasOne.into());
}

#[test]
fn a_disabled_coin_is_not_offered() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let governance = fx.net.governance.insecure_clone();
    expect_ok(fx.net.env.send_fresh(
        &[treasury_ix::set_stablecoin_enabled(
            governance.pubkey(),
            fx.stable,
            false,
        )],
        &[&governance],
    ));
    let ix = fx.claim_ix(0, 0);
    fx.refused(0, ix, TreasuryError::StablecoinDisabled.into());
}

/// The hand-built CPI (`rewards::treasury_cpi`) is the treasury's `buy_claim`: discriminator,
/// accounts in order with their signer and writable flags, and the arguments' encoding.
#[test]
fn the_buy_claim_cpi_matches_the_treasury() {
    use anchor_lang::InstructionData;
    assert_eq!(
        rewards::treasury_cpi::BUY_CLAIM_DISCRIMINATOR,
        treasury::instruction::BuyClaim::DISCRIMINATOR
    );
    assert_eq!(rewards::constants::TREASURY_PROGRAM_ID, treasury::ID);
    assert_eq!(treasury::constants::REWARDS_PROGRAM_ID, rewards::ID);
    assert_eq!(
        (
            rewards::constants::STABLE_CLAIM_SEED,
            rewards::constants::STABLE_CLAIM_AUTHORITY
        ),
        (
            treasury::constants::STABLE_CLAIM_SEED,
            treasury::constants::STABLE_CLAIM_AUTHORITY
        )
    );
    let keys: [Pubkey; 16] = std::array::from_fn(|_| Pubkey::new_unique());
    let accounts = treasury::accounts::BuyClaim {
        claim_authority: keys[0],
        treasury: keys[1],
        stablecoin: keys[2],
        vault: keys[3],
        stable_mint: keys[4],
        claimant: keys[5],
        destination: keys[6],
        network_mint: keys[7],
        bought: keys[8],
        price_update: keys[9],
        pool_quote_reserve: keys[10],
        pool_token_reserve: keys[11],
        stable_token_program: keys[12],
        network_token_program: keys[13],
        event_authority: keys[14],
        program: keys[15],
    };
    let ix = rewards::treasury_cpi::buy_claim_ix(keys, 7, 9);
    assert_eq!(ix.accounts, accounts.to_account_metas(None));
    let args = BuyClaimArgs {
        amount: 7,
        min_stable_out: 9,
    };
    assert_eq!(ix.data, treasury::instruction::BuyClaim { args }.data());
}

#[test]
fn a_coin_without_a_venue_quotes_no_price() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let tp = TokenProgram::SplToken;
    // A second coin, accepted without a venue, with a full buyback bucket.
    let authority = fx.net.env.funded_keypair();
    let coin = create_mint(&mut fx.net.env, tp, &authority.pubkey(), 6);
    let governance = fx.net.governance.insecure_clone();
    expect_ok(fx.net.env.send_fresh(
        &[treasury_ix::add_stablecoin(
            treasury_ix::add_stablecoin_accounts(
                &fx.net.env,
                governance.pubkey(),
                coin,
                tp,
                mint_pda().0,
                tp,
                None,
            ),
            AddStablecoinArgs {
                buyback_cap_per_epoch: CAP,
                venue: Venue::default(),
            },
        )],
        &[&governance],
    ));
    let payer_coins = create_token_account(&mut fx.net.env, tp, &coin, &authority.pubkey());
    mint_to(&mut fx.net.env, tp, &coin, &authority, &payer_coins, PAID);
    expect_ok(fx.net.env.send_fresh(
        &[treasury_ix::pay(
            treasury_ix::pay_accounts(authority.pubkey(), coin, tp, payer_coins),
            PayArgs {
                amount: PAID,
                reference: [2; 32],
            },
        )],
        &[&authority],
    ));
    let wallet = fx.wallets[0].pubkey();
    let destination = create_token_account(&mut fx.net.env, tp, &coin, &wallet);
    let venue = StableClaimVenue {
        stable_mint: coin,
        venue: Venue::default(),
        ..fx.claim_venue()
    };
    let ix = claim_in_stablecoin(
        claim_in_stablecoin_accounts(wallet, destination, &venue),
        ClaimInStablecoinArgs {
            claim: ClaimArgs {
                cumulative_amount: CLAIM,
                proof: proof_of(&fx.tree, &fx.leaves, &wallet),
            },
            min_stable_out: 0,
        },
    );
    fx.refused(0, ix, TreasuryError::NoPoolPrice.into());
    assert_eq!(fx.balance(&destination), 0);
}

/// Only the wallet takes its own claim in a coin: its claim sent without its signature is
/// refused, and another wallet signing for itself with the first wallet's leaf fails the proof.
#[test]
fn only_the_wallet_takes_its_claim_in_a_coin() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    // Wallet 0's claim with its signature flag dropped, sent without it (the fee payer signs).
    let mut ix = fx.claim_ix(0, 0);
    let wallet = fx.wallets[0].pubkey();
    for meta in ix.accounts.iter_mut().filter(|m| m.pubkey == wallet) {
        meta.is_signer = false;
    }
    let before = fx.snapshot();
    let result = fx.net.env.send_fresh(&[ix], &[]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::AccountNotSigner.into(),
    );
    assert_eq!(before, fx.snapshot());
    // Wallet 1 claims wallet 0's leaf (amount and proof) as its own, into its own account.
    let ix = claim_in_stablecoin(
        claim_in_stablecoin_accounts(
            fx.wallets[1].pubkey(),
            fx.destinations[1],
            &fx.claim_venue(),
        ),
        ClaimInStablecoinArgs {
            claim: ClaimArgs {
                cumulative_amount: fx.leaves[0].1,
                proof: proof_of(&fx.tree, &fx.leaves, &fx.leaves[0].0),
            },
            min_stable_out: 0,
        },
    );
    fx.refused(1, ix, RewardsError::InvalidProof.into());
}

/// A claim is one claim whichever way it is taken: in tokens then in a coin, or in a coin then
/// in tokens, the second is refused (`NothingToClaim`) and changes nothing.
#[test]
fn a_claim_taken_one_way_cannot_be_taken_the_other() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let tp = fx.net.token_program;
    let token_account = |fx: &mut Fx, i: usize| {
        let owner = fx.wallets[i].pubkey();
        create_token_account(&mut fx.net.env, tp, &mint_pda().0, &owner)
    };
    let claim_tokens = |fx: &Fx, i: usize, destination: Pubkey| {
        claim(
            claim_accounts(
                fx.wallets[i].pubkey(),
                fx.wallets[i].pubkey(),
                destination,
                tp,
            ),
            ClaimArgs {
                cumulative_amount: fx.leaves[i].1,
                proof: proof_of(&fx.tree, &fx.leaves, &fx.leaves[i].0),
            },
        )
    };
    // Wallet 0 in tokens, then in the coin.
    let tokens0 = token_account(&mut fx, 0);
    let ix = claim_tokens(&fx, 0, tokens0);
    expect_ok(fx.send(0, ix));
    assert_eq!(fx.balance(&tokens0), CLAIM);
    let ix = fx.claim_ix(0, 0);
    fx.refused(0, ix, RewardsError::NothingToClaim.into());
    // Wallet 1 in the coin, then in tokens.
    expect_ok(fx.claim(1, CAP));
    let tokens1 = token_account(&mut fx, 1);
    let ix = claim_tokens(&fx, 1, tokens1);
    fx.refused(1, ix, RewardsError::NothingToClaim.into());
    assert_eq!(fx.balance(&tokens1), 0);
}
