//! A treasury deployment for the flow tests: the network token (SPL Token), one stablecoin, a
//! real spl-token-swap pool between them at 0.50 USD per token, a Pyth price update, and a
//! customer holding stablecoins.
use anchor_lang::prelude::{AccountMeta, Pubkey};
use harness::amm::{Pool, SPL_TOKEN_SWAP, create_pool};
use harness::builders::treasury_ix::*;
use harness::pyth::{Price, set_price_update};
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use treasury::constants::{STAKING_CONFIG_SEED, STAKING_PROGRAM_ID};
use treasury::state::Stablecoin;

/// 1 whole stablecoin or token (6 decimals).
pub const UNIT: u64 = 1_000_000;
/// Pool reserves: 1,000,000 stablecoins against 2,000,000 tokens (0.50 USD per token).
pub const POOL_STABLE: u64 = 1_000_000 * UNIT;
pub const POOL_TOKENS: u64 = 2_000_000 * UNIT;
/// The feed's EMA: 0.50 USD (exponent -8), confidence 0.5% (0.0025 USD); with k = 1 the
/// treasury's bound is 0.4975 USD.
pub const EMA: i64 = 50_000_000;
pub const EMA_CONF: u64 = 250_000;
pub const BOUND: u64 = 49_750_000;
/// Per-epoch buyback cap: 10,000 stablecoins.
pub const CAP: u64 = 10_000 * UNIT;

pub struct Fx {
    pub env: TestEnv,
    pub governance: Keypair,
    pub operator: Keypair,
    pub service: Keypair,
    pub ops_owner: Keypair,
    pub mint_authority: Keypair,
    pub network_mint: Pubkey,
    pub stable: Pubkey,
    pub stable_tp: TokenProgram,
    pub pool: Option<Pool>,
    pub price: Pubkey,
    pub customer: Keypair,
    pub customer_tokens: Pubkey,
    pub stakers_destination: Pubkey,
}

pub fn price(now: i64) -> Price {
    Price {
        feed_id: FEED_ID,
        ema_price: EMA,
        ema_conf: EMA_CONF,
        exponent: -8,
        publish_time: now,
        verification: VerificationLevel::Full,
    }
}

/// The staking program's config PDA, which owns its revenue vaults.
pub fn staking_config() -> Pubkey {
    Pubkey::find_program_address(&[STAKING_CONFIG_SEED], &STAKING_PROGRAM_ID).0
}

/// The treasury with one stablecoin under `stable_tp`. The pool exists only for SPL Token
/// stablecoins (spl-token-swap 3.0.0 supports no other token program). The stakers' share goes
/// to a token account of the staking config PDA (staking itself is not initialised).
pub fn fixture(stable_tp: TokenProgram) -> Fx {
    fixture_with(stable_tp, false)
}

/// `fixture`, and with `staking` the staking program initialised over the network token, taking
/// its revenue in the stablecoin: the stakers' share then goes to its real revenue vault.
pub fn fixture_with(stable_tp: TokenProgram, staking: bool) -> Fx {
    let mut env = TestEnv::new();
    env.load_program(&SPL_TOKEN_SWAP);
    let governance = env.funded_keypair();
    let operator = env.funded_keypair();
    let service = env.funded_keypair();
    let ops_owner = env.funded_keypair();
    let mint_authority = env.funded_keypair();
    let network_mint = create_mint(
        &mut env,
        TokenProgram::SplToken,
        &mint_authority.pubkey(),
        6,
    );
    let stable = create_mint(&mut env, stable_tp, &mint_authority.pubkey(), 6);
    let roles = Roles {
        payment_operator: operator.pubkey(),
        service_operator: service.pubkey(),
        operations_owner: ops_owner.pubkey(),
    };
    let deployer = env.deployer.insecure_clone();
    expect_ok(env.send(
        &[initialize_treasury(
            initialize_treasury_accounts(&env, network_mint),
            treasury_args(governance.pubkey(), harness::amm::SWAP_PROGRAM_ID, roles),
        )],
        &[&deployer],
    ));
    let pool = (stable_tp == TokenProgram::SplToken).then(|| {
        create_pool(
            &mut env,
            TokenProgram::SplToken,
            &mint_authority,
            (stable, POOL_STABLE),
            (network_mint, POOL_TOKENS),
        )
    });
    let stakers_destination = if staking {
        use harness::builders::staking_ix;
        expect_ok(env.send(
            &[staking_ix::initialize_staking(
                staking_ix::initialize_staking_accounts(&env, TokenProgram::SplToken, network_mint),
                staking_ix::InitializeStakingArgs {
                    authority: governance.pubkey(),
                    max_lockup_secs: 4 * 365 * 86_400,
                    max_multiplier_bps: 40_000,
                    voting_mode: staking::state::VotingMode::Linear,
                    cooldown_secs: 7 * 86_400,
                    min_device_collateral: 500 * UNIT,
                    max_slash_bps: 5_000,
                    appeal_secs: 3 * 86_400,
                    timelock_secs: 2 * 86_400,
                    revenue_stream_secs: 0,
                    realm: Pubkey::default(),
                },
            )],
            &[&deployer],
        ));
        expect_ok(env.send(
            &[staking_ix::initialize_revenue(
                staking_ix::initialize_revenue_accounts(
                    env.payer.pubkey(),
                    deployer.pubkey(),
                    stable,
                    stable_tp,
                ),
            )],
            &[&deployer],
        ));
        staking_ix::revenue_vault_pda().0
    } else {
        create_token_account(&mut env, stable_tp, &stable, &staking_config())
    };
    expect_ok(env.send(
        &[add_stablecoin(
            add_stablecoin_accounts(
                &env,
                governance.pubkey(),
                stable,
                stable_tp,
                network_mint,
                TokenProgram::SplToken,
                Some(stakers_destination),
            ),
            AddStablecoinArgs {
                buyback_cap_per_epoch: CAP,
                venue: pool.map_or(Venue::default(), |p| p.venue(&stable).unwrap()),
            },
        )],
        &[&governance],
    ));
    let price_key = Pubkey::new_unique();
    let now = env.now();
    set_price_update(
        &mut env,
        price_key,
        pyth_solana_receiver_sdk::ID,
        price(now),
    );
    let customer = env.funded_keypair();
    let customer_tokens = create_token_account(&mut env, stable_tp, &stable, &customer.pubkey());
    mint_to(
        &mut env,
        stable_tp,
        &stable,
        &mint_authority,
        &customer_tokens,
        1_000_000 * UNIT,
    );
    Fx {
        env,
        governance,
        operator,
        service,
        ops_owner,
        mint_authority,
        network_mint,
        stable,
        stable_tp,
        pool,
        price: price_key,
        customer,
        customer_tokens,
        stakers_destination,
    }
}

impl Fx {
    pub fn stablecoin(&self) -> Stablecoin {
        self.env.anchor_account(&stablecoin_pda(&self.stable).0)
    }

    /// The coin's pinned venue (the fixture's pool), as stored.
    pub fn venue(&self) -> Venue {
        self.stablecoin().venue
    }

    pub fn treasury(&self) -> treasury::state::Treasury {
        self.env.anchor_account(&treasury_pda().0)
    }

    pub fn balance(&self, account: &Pubkey) -> u64 {
        read_token_account(&self.env, account).1.amount
    }

    pub fn supply(&self) -> u64 {
        read_mint(&self.env, &self.network_mint).1.supply
    }

    pub fn pay_ix(&self, amount: u64, reference: [u8; 32]) -> Instruction {
        pay(
            pay_accounts(
                self.customer.pubkey(),
                self.stable,
                self.stable_tp,
                self.customer_tokens,
            ),
            PayArgs { amount, reference },
        )
    }

    /// The customer pays `amount`.
    pub fn pay(&mut self, amount: u64) -> TransactionMetadata {
        let ix = self.pay_ix(amount, [9; 32]);
        let customer = self.customer.insecure_clone();
        expect_ok(self.env.send_fresh(&[ix], &[&customer]))
    }

    /// A buyback offering `quote_in`, with the swap built for the pool.
    pub fn buyback_ix(&self, quote_in: u64) -> Instruction {
        let pool = self.pool.expect("a pool");
        let swap = self.swap_accounts(&pool, bought_pda(&self.stable).0);
        self.buyback_ix_through(quote_in, swap)
    }

    /// The accounts of a swap in `pool` from the coin's vault to `destination`, the ledger PDA
    /// signing.
    pub fn swap_accounts(&self, pool: &Pool, destination: Pubkey) -> Vec<AccountMeta> {
        let (stablecoin, _) = stablecoin_pda(&self.stable);
        pool.swap_accounts(stablecoin, vault_pda(&self.stable).0, destination, true)
    }

    /// A buyback offering `quote_in` whose swap (a whole swap of `quote_in`, no minimum) runs
    /// over `swap_accounts`, the crank's choice: a pool, its vaults, the destination.
    pub fn buyback_ix_through(
        &self,
        quote_in: u64,
        swap_accounts: Vec<AccountMeta>,
    ) -> Instruction {
        buyback(
            buyback_accounts(
                self.stable,
                self.network_mint,
                TokenProgram::SplToken,
                self.price,
                harness::amm::SWAP_PROGRAM_ID,
                &self.venue(),
            ),
            BuybackArgs {
                quote_in,
                swap_data: harness::amm::swap_data(quote_in, 0),
            },
            swap_accounts,
        )
    }

    /// Rewrites the price update with `change` applied to the default price at `now`.
    pub fn set_price(&mut self, change: impl FnOnce(&mut Price)) {
        let mut p = price(self.env.now());
        change(&mut p);
        let key = self.price;
        set_price_update(&mut self.env, key, pyth_solana_receiver_sdk::ID, p);
    }
}
