//! The migration's steps, each: read the chain, compare with the config, send only what is
//! missing.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::program_pack::Pack;
use depin_client::accounts::{AccountSource, FetchError, cluster_time, exists, fetch};
use depin_client::builders::{
    DeploymentKeys, TokenProgram, amm, rewards_ix, staking_ix, treasury_ix,
};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_signer::Signer;
use depin_client::{SendError, Sender};

use crate::config::{self, Config, StablecoinConfig, Start, key};
use crate::{MigrateError, Outcome, Report};

/// Collects the fields where the chain and the config disagree.
#[derive(Default)]
struct Diff(Vec<String>);

impl Diff {
    fn check<T: PartialEq + std::fmt::Debug>(&mut self, field: &str, chain: T, config: T) {
        if chain != config {
            self.0
                .push(format!("{field}: on-chain {chain:?}, config {config:?}"));
        }
    }

    fn outcome(self) -> Outcome {
        if self.0.is_empty() {
            Outcome::Unchanged
        } else {
            Outcome::Differs { fields: self.0 }
        }
    }
}

/// A coin of the config with its resolved mint.
struct Coin<'a> {
    config: &'a StablecoinConfig,
    mint: Pubkey,
    token_program: TokenProgram,
}

struct Ctx<'a> {
    config: &'a Config,
    sender: &'a Sender,
    deployer: &'a Keypair,
    me: Pubkey,
    keys: DeploymentKeys,
    report: Report,
}

impl Ctx<'_> {
    async fn send(
        &self,
        step: &str,
        ixs: &[anchor_lang::solana_program::instruction::Instruction],
        extra: &[&Keypair],
    ) -> Result<Outcome, SendError> {
        let landed = self.sender.send(step, ixs, self.deployer, extra).await?;
        Ok(Outcome::Applied {
            signature: landed.signature,
        })
    }

    /// The migration can only sign as its own key.
    fn require_signer(
        &self,
        step: &str,
        field: &'static str,
        key: &Pubkey,
    ) -> Result<(), MigrateError> {
        if *key == self.me {
            Ok(())
        } else {
            Err(MigrateError::NeedsSigner {
                step: step.to_string(),
                field,
                key: key.to_string(),
                signer: self.me.to_string(),
            })
        }
    }

    fn key(&self, field: &str, value: &str) -> Result<Pubkey, MigrateError> {
        Ok(key(field, value, &self.me)?)
    }

    /// The cluster's clock (`Clock::unix_timestamp`).
    async fn cluster_time(&self, step: &str) -> Result<i64, MigrateError> {
        cluster_time(self.sender)
            .await
            .map_err(|e| MigrateError::Chain {
                step: step.to_string(),
                reason: e.to_string(),
            })
    }
}

/// Runs every step in order; see the crate docs.
pub async fn migrate(
    config: &Config,
    sender: &Sender,
    deployer: &Keypair,
) -> Result<Report, MigrateError> {
    config.check()?;
    let me = deployer.pubkey();
    let mut ctx = Ctx {
        config,
        sender,
        deployer,
        me,
        keys: DeploymentKeys {
            payer: me,
            deployer: me,
        },
        report: Report::default(),
    };
    network(&mut ctx).await?;
    oracle_set(&mut ctx).await?;
    makers(&mut ctx).await?;
    let coins = stablecoin_mints(&mut ctx).await?;
    staking(&mut ctx).await?;
    revenue(&mut ctx, &coins).await?;
    treasury(&mut ctx).await?;
    let pools = pools(&mut ctx, &coins).await?;
    stablecoins(&mut ctx, &coins, &pools).await?;
    credits(&mut ctx).await?;
    Ok(ctx.report)
}

async fn network(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
    const STEP: &str = "rewards: initialize_network";
    let n = &ctx.config.network;
    let authority = ctx.key("network.authority", &n.authority)?;
    let genesis_owner = match &n.genesis_owner {
        Some(owner) => ctx.key("network.genesis_owner", owner)?,
        None => authority,
    };
    let token_program = ctx.config.token_program.program();
    let existing = fetch::<rewards::state::Network>(
        ctx.sender,
        "rewards network",
        &rewards_ix::network_pda().0,
    )
    .await?;
    let outcome = if let Some(chain) = existing {
        let mut d = Diff::default();
        d.check("network.authority", chain.authority, authority);
        d.check("token_program", chain.token_program, token_program.id());
        d.check("network.decimals", chain.decimals, n.decimals);
        d.check("network.max_supply", chain.max_supply, n.max_supply);
        d.check(
            "network.genesis_supply",
            chain.genesis_supply,
            n.genesis_supply,
        );
        d.check(
            "network.genesis_owner",
            genesis_account_owner(ctx).await?,
            genesis_owner,
        );
        if let Start::At(start) = n.start {
            d.check("network.start", chain.emission.start_ts, start);
        }
        d.check(
            "network.epoch_secs",
            chain.emission.epoch_secs,
            n.epoch_secs,
        );
        d.check(
            "network.initial_epoch_emission",
            chain.emission.initial_epoch_emission,
            n.initial_epoch_emission,
        );
        d.check(
            "network.halving_interval_epochs",
            chain.emission.halving_interval_epochs,
            n.halving_interval_epochs,
        );
        d.check(
            "network.mint_window_secs",
            chain.mint_window.window_secs,
            n.mint_window_secs,
        );
        d.check(
            "network.mint_window_threshold",
            chain.mint_window.threshold,
            n.mint_window_threshold,
        );
        d.check("network.dispute_secs", chain.dispute_secs, n.dispute_secs);
        d.check("network.onboard_fee", chain.onboard_fee, n.onboard_fee);
        d.check(
            "network.timelock_secs",
            chain.timelock_secs,
            n.timelock_secs,
        );
        d.outcome()
    } else {
        let start_ts = match n.start {
            Start::At(ts) => ts,
            Start::Now(_) => ctx.cluster_time(STEP).await?,
        };
        let args = rewards_ix::InitializeNetworkArgs {
            authority,
            decimals: n.decimals,
            max_supply: n.max_supply,
            genesis_supply: n.genesis_supply,
            emission: rewards_ix::EmissionParams {
                start_ts,
                epoch_secs: n.epoch_secs,
                initial_epoch_emission: n.initial_epoch_emission,
                halving_interval_epochs: n.halving_interval_epochs,
            },
            mint_window_secs: n.mint_window_secs,
            mint_window_threshold: n.mint_window_threshold,
            dispute_secs: n.dispute_secs,
            onboard_fee: n.onboard_fee,
            timelock_secs: n.timelock_secs,
            // A new network starts with the configured oracle set (no timelock to wait out);
            // the next step rotates an existing network's set through the timelock.
            oracle_set: Some(rewards_ix::InitialOracleSet {
                oracles: oracle_keys(ctx)?,
                threshold: ctx.config.oracles.threshold,
                bond: ctx.config.oracles.bond_lamports,
                challenger_bps: ctx.config.oracles.challenger_bps,
            }),
        };
        let ix = rewards_ix::initialize_network(
            rewards_ix::initialize_network_accounts(&ctx.keys, token_program, genesis_owner),
            args,
        );
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}

/// The owner written in the genesis token account (SPL layout: mint, then owner).
async fn genesis_account_owner(ctx: &Ctx<'_>) -> Result<Pubkey, MigrateError> {
    const WHAT: &str = "genesis account";
    let address = rewards_ix::genesis_pda().0;
    let (_, data) = ctx
        .sender
        .owner_and_data(&address)
        .await
        .map_err(|e| FetchError::Rpc {
            what: WHAT,
            address,
            source: Box::new(e),
        })?
        .unwrap_or_default();
    let owner = data
        .get(32..64)
        .and_then(|owner| <[u8; 32]>::try_from(owner).ok())
        .ok_or_else(|| FetchError::WrongType {
            what: WHAT,
            address,
            reason: format!("{} bytes", data.len()),
        })?;
    Ok(Pubkey::new_from_array(owner))
}

fn oracle_keys(ctx: &Ctx<'_>) -> Result<Vec<Pubkey>, MigrateError> {
    ctx.config
        .oracles
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| ctx.key(&format!("oracles.keys[{i}]"), k))
        .collect()
}

/// The oracle set of an existing network: unchanged, or rotated through the timelock.
async fn oracle_set(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
    const STEP: &str = "rewards: oracle set";
    let o = &ctx.config.oracles;
    let oracles = oracle_keys(ctx)?;
    let chain = fetch::<rewards::state::OracleSet>(
        ctx.sender,
        "rewards oracle set",
        &rewards_ix::oracle_set_pda().0,
    )
    .await?
    .ok_or_else(|| MigrateError::Chain {
        step: STEP.to_string(),
        reason: "no oracle set account (initialize_network did not land?)".to_string(),
    })?;
    let seated: Vec<Pubkey> = chain
        .seats
        .iter()
        .take(usize::from(chain.count))
        .map(|s| s.key)
        .collect();
    if seated == oracles
        && chain.threshold == o.threshold
        && chain.bond == o.bond_lamports
        && chain.challenger_bps == o.challenger_bps
    {
        ctx.report.push(STEP, Outcome::Unchanged);
        return Ok(());
    }
    let wanted = rewards_ix::ParamUpdate::OracleSet {
        oracles,
        threshold: o.threshold,
        bond: o.bond_lamports,
        challenger_bps: o.challenger_bps,
    };
    let network = fetch::<rewards::state::Network>(
        ctx.sender,
        "rewards network",
        &rewards_ix::network_pda().0,
    )
    .await?
    .ok_or_else(|| MigrateError::Chain {
        step: STEP.to_string(),
        reason: "no network account".to_string(),
    })?;
    // A change already proposed with exactly this update: apply it once its ETA has passed
    // (anyone may apply a ripe change).
    for id in (0..network.changes_proposed).rev() {
        let Some(pending) = fetch::<rewards::state::PendingChange>(
            ctx.sender,
            "rewards pending change",
            &rewards_ix::change_pda(id).0,
        )
        .await?
        else {
            continue;
        };
        if pending.update != wanted {
            continue;
        }
        let now = ctx.cluster_time(STEP).await?;
        let outcome = if now >= pending.eta {
            ctx.send(
                "rewards: apply_change (oracle set)",
                &[rewards_ix::apply_change_ix(id, pending.proposer)],
                &[],
            )
            .await?
        } else {
            Outcome::Pending {
                detail: format!(
                    "change #{id} proposed; it can be applied in {} s (at unix time {}): run the \
                     migration again then",
                    pending.eta - now,
                    pending.eta
                ),
            }
        };
        ctx.report.push(STEP, outcome);
        return Ok(());
    }
    ctx.require_signer(STEP, "network.authority", &network.authority)?;
    let id = network.changes_proposed;
    let outcome = ctx
        .send(
            "rewards: propose_change (oracle set)",
            &[rewards_ix::propose_change_ix(ctx.me, ctx.me, id, wanted)],
            &[],
        )
        .await?;
    ctx.report.push(STEP, outcome);
    Ok(())
}

async fn makers(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
    for (i, maker) in ctx.config.makers.iter().enumerate() {
        let step = format!("rewards: approve_maker {}", maker.name);
        let key = ctx.key(&format!("makers[{i}].key"), &maker.key)?;
        let existing = fetch::<rewards::state::Maker>(
            ctx.sender,
            "rewards maker",
            &rewards_ix::maker_pda(&key).0,
        )
        .await?;
        let outcome = match existing {
            Some(m) if m.active => Outcome::Unchanged,
            _ => {
                let authority = ctx.key("network.authority", &ctx.config.network.authority)?;
                ctx.require_signer(&step, "network.authority", &authority)?;
                ctx.send(
                    &step,
                    &[rewards_ix::approve_maker_ix(ctx.me, authority, key)],
                    &[],
                )
                .await?
            }
        };
        ctx.report.push(step, outcome);
    }
    Ok(())
}

/// Resolves each stablecoin's mint, creating it on a local network from its keypair file.
async fn stablecoin_mints<'a>(ctx: &mut Ctx<'a>) -> Result<Vec<Coin<'a>>, MigrateError> {
    let mut coins = Vec::new();
    let config: &'a Config = ctx.config;
    for (i, coin) in config.treasury.stablecoins.iter().enumerate() {
        let token_program = coin.token_program.program();
        let Some(path) = &coin.create_with_keypair else {
            let field = format!("treasury.stablecoins[{i}].mint");
            let mint = ctx.key(&field, coin.mint.as_deref().unwrap_or_default())?;
            coins.push(Coin {
                config: coin,
                mint,
                token_program,
            });
            continue;
        };
        let step = format!("tokens: create {} mint", coin.symbol);
        let keypair = read_keypair_file(path).map_err(|e| MigrateError::Chain {
            step: step.clone(),
            reason: format!("read {}: {e}", path.display()),
        })?;
        let mint = keypair.pubkey();
        let account = ctx
            .sender
            .owner_and_data(&mint)
            .await
            .map_err(|e| MigrateError::Chain {
                step: step.clone(),
                reason: format!("read {mint}: {e}"),
            })?;
        let outcome = match account {
            Some((owner, data)) => {
                let mut d = Diff::default();
                d.check(
                    &format!("treasury.stablecoins[{i}].token_program"),
                    owner,
                    token_program.id(),
                );
                let decimals = data.get(44).copied();
                d.check(
                    &format!("treasury.stablecoins[{i}].decimals"),
                    decimals,
                    Some(coin.decimals),
                );
                d.outcome()
            }
            None => {
                let len = anchor_spl::token::spl_token::state::Mint::LEN;
                let rent = ctx
                    .sender
                    .call(|rpc| rpc.get_minimum_balance_for_rent_exemption(len))
                    .await
                    .map_err(|e| MigrateError::Chain {
                        step: step.clone(),
                        reason: format!("rent: {e}"),
                    })?;
                let create = anchor_lang::solana_program::system_instruction::create_account(
                    &ctx.me,
                    &mint,
                    rent,
                    len as u64,
                    &token_program.id(),
                );
                let init = anchor_spl::token_2022::spl_token_2022::instruction::initialize_mint2(
                    &token_program.id(),
                    &mint,
                    &ctx.me,
                    None,
                    coin.decimals,
                )
                .map_err(|e| MigrateError::Chain {
                    step: step.clone(),
                    reason: e.to_string(),
                })?;
                ctx.send(&step, &[create, init], &[&keypair]).await?
            }
        };
        ctx.report.push(step, outcome);
        coins.push(Coin {
            config: coin,
            mint,
            token_program,
        });
    }
    Ok(coins)
}

fn voting_mode(name: &str) -> staking_ix::VotingMode {
    if name == "quadratic" {
        staking_ix::VotingMode::Quadratic
    } else {
        staking_ix::VotingMode::Linear
    }
}

async fn staking(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
    const STEP: &str = "staking: initialize_staking";
    let s = &ctx.config.staking;
    let authority = ctx.key("staking.authority", &s.authority)?;
    let existing = fetch::<staking::state::StakingConfig>(
        ctx.sender,
        "staking config",
        &staking_ix::config_pda().0,
    )
    .await?;
    let mint = rewards_ix::mint_pda().0;
    let outcome = if let Some(chain) = existing {
        let mut d = Diff::default();
        d.check("staking.authority", chain.authority, authority);
        d.check("staking stake mint", chain.stake_mint, mint);
        d.check(
            "staking.max_lockup_secs",
            chain.max_lockup_secs,
            s.max_lockup_secs,
        );
        d.check(
            "staking.max_multiplier_bps",
            chain.max_multiplier_bps,
            s.max_multiplier_bps,
        );
        d.check(
            "staking.voting_mode",
            chain.voting_mode,
            voting_mode(&s.voting_mode),
        );
        d.check(
            "staking.cooldown_secs",
            chain.cooldown_secs,
            s.cooldown_secs,
        );
        d.check(
            "staking.min_device_collateral",
            chain.min_device_collateral,
            s.min_device_collateral,
        );
        d.check(
            "staking.max_slash_bps",
            chain.max_slash_bps,
            s.max_slash_bps,
        );
        d.check("staking.appeal_secs", chain.appeal_secs, s.appeal_secs);
        d.outcome()
    } else {
        let ix = staking_ix::initialize_staking(
            staking_ix::initialize_staking_accounts(
                &ctx.keys,
                ctx.config.token_program.program(),
                mint,
            ),
            staking_ix::InitializeStakingArgs {
                authority,
                max_lockup_secs: s.max_lockup_secs,
                max_multiplier_bps: s.max_multiplier_bps,
                voting_mode: voting_mode(&s.voting_mode),
                cooldown_secs: s.cooldown_secs,
                min_device_collateral: s.min_device_collateral,
                max_slash_bps: s.max_slash_bps,
                appeal_secs: s.appeal_secs,
            },
        );
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}

async fn revenue(ctx: &mut Ctx<'_>, coins: &[Coin<'_>]) -> Result<(), MigrateError> {
    const STEP: &str = "staking: initialize_revenue";
    let symbol = &ctx.config.staking.revenue_symbol;
    let Some(coin) = coins.iter().find(|c| &c.config.symbol == symbol) else {
        return Err(MigrateError::Chain {
            step: STEP.to_string(),
            reason: format!("staking.revenue_symbol {symbol} names no stablecoin"),
        });
    };
    let chain = fetch::<staking::state::StakingConfig>(
        ctx.sender,
        "staking config",
        &staking_ix::config_pda().0,
    )
    .await?
    .ok_or_else(|| MigrateError::Chain {
        step: STEP.to_string(),
        reason: "no staking config".to_string(),
    })?;
    let outcome = if chain.revenue_mint != Pubkey::default() {
        let mut d = Diff::default();
        d.check("staking revenue mint", chain.revenue_mint, coin.mint);
        d.outcome()
    } else {
        ctx.require_signer(STEP, "staking.authority", &chain.authority)?;
        let ix = staking_ix::initialize_revenue(staking_ix::initialize_revenue_accounts(
            ctx.me,
            chain.authority,
            coin.mint,
            coin.token_program,
        ));
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}

async fn treasury(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
    const STEP: &str = "treasury: initialize_treasury";
    let t = &ctx.config.treasury;
    let args = treasury_ix::InitializeTreasuryArgs {
        authority: ctx.key("treasury.authority", &t.authority)?,
        split: treasury_ix::SplitBps {
            buyback_bps: t.buyback_bps,
            stakers_bps: t.stakers_bps,
            operations_bps: t.operations_bps,
        },
        timelock_secs: t.timelock_secs,
        price: treasury_ix::PriceConfig {
            feed_id: config::feed_id(&t.price_feed_id),
            max_age_secs: t.price_max_age_secs,
            max_conf_bps: t.price_max_conf_bps,
            conf_multiple_bps: t.price_conf_multiple_bps,
            max_slippage_bps: t.max_slippage_bps,
        },
        buyback: treasury_ix::BuybackConfig {
            amm_program: ctx.key("treasury.amm_program", &t.amm_program)?,
            epoch_secs: t.buyback_epoch_secs,
        },
        roles: treasury_ix::Roles {
            payment_operator: ctx.key("treasury.payment_operator", &t.payment_operator)?,
            service_operator: ctx.key("treasury.service_operator", &t.service_operator)?,
            operations_owner: ctx.key("treasury.operations_owner", &t.operations_owner)?,
        },
        credits_per_usd: t.credits_per_usd,
    };
    let existing =
        fetch::<treasury::state::Treasury>(ctx.sender, "treasury", &treasury_ix::treasury_pda().0)
            .await?;
    let outcome = if let Some(chain) = existing {
        let mut d = Diff::default();
        d.check("treasury.authority", chain.authority, args.authority);
        d.check("treasury split", chain.split, args.split);
        d.check(
            "treasury.timelock_secs",
            chain.timelock_secs,
            args.timelock_secs,
        );
        d.check("treasury price", chain.price, args.price);
        d.check("treasury buyback", chain.buyback, args.buyback);
        d.check("treasury roles", chain.roles, args.roles);
        d.check(
            "treasury.credits_per_usd",
            chain.credits_per_usd,
            args.credits_per_usd,
        );
        d.outcome()
    } else {
        let ix = treasury_ix::initialize_treasury(
            treasury_ix::initialize_treasury_accounts(&ctx.keys, rewards_ix::mint_pda().0),
            args,
        );
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}

/// A pool account's keypair on a local network: derived from the coin's symbol and the
/// account's role, so every run of the migration finds the same pool.
pub fn pool_keypair(symbol: &str, role: &str) -> Keypair {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"depin localnet pool/");
    h.update(symbol.as_bytes());
    h.update(b"/");
    h.update(role.as_bytes());
    Keypair::new_from_array(h.finalize().into())
}

/// The local network's pool of `symbol` (`amm_pool = "create"`), at its derived keys.
pub fn localnet_pool(symbol: &str, network_mint: Pubkey, coin_mint: Pubkey) -> amm::Pool {
    let swap = pool_keypair(symbol, "swap").pubkey();
    amm::Pool {
        swap,
        authority: amm::swap_authority(&swap),
        mint_a: network_mint,
        mint_b: coin_mint,
        vault_a: pool_keypair(symbol, "vault-a").pubkey(),
        vault_b: pool_keypair(symbol, "vault-b").pubkey(),
        pool_mint: pool_keypair(symbol, "pool-mint").pubkey(),
        fee_account: pool_keypair(symbol, "fee").pubkey(),
        token_program: TokenProgram::SplToken,
    }
}

async fn rent(ctx: &Ctx<'_>, step: &str, len: usize) -> Result<u64, MigrateError> {
    ctx.sender
        .call(|rpc| rpc.get_minimum_balance_for_rent_exemption(len))
        .await
        .map_err(|e| MigrateError::Chain {
            step: step.to_string(),
            reason: format!("rent: {e}"),
        })
}

/// `create_account` of `len` bytes for `owner`, paid by the deployer.
async fn create_account(
    ctx: &Ctx<'_>,
    step: &str,
    key: &Pubkey,
    len: usize,
    owner: &Pubkey,
) -> Result<anchor_lang::solana_program::instruction::Instruction, MigrateError> {
    Ok(
        anchor_lang::solana_program::system_instruction::create_account(
            &ctx.me,
            key,
            rent(ctx, step, len).await?,
            len as u64,
            owner,
        ),
    )
}

fn token_ix_error(step: &str, e: impl std::fmt::Display) -> MigrateError {
    MigrateError::Chain {
        step: step.to_string(),
        reason: e.to_string(),
    }
}

/// Each coin's AMM pool: the configured address, none, or (`"create"`) the local network's pool,
/// created here if missing: the vaults (owned by the swap authority) funded from the deployer,
/// the pool mint with the fee and LP accounts, then the swap account, in three transactions;
/// each is skipped when the account it creates first already exists.
async fn pools(ctx: &mut Ctx<'_>, coins: &[Coin<'_>]) -> Result<Vec<Pubkey>, MigrateError> {
    use anchor_spl::token::spl_token;
    let mut pools = Vec::new();
    for (i, coin) in coins.iter().enumerate() {
        match coin.config.amm_pool.as_str() {
            "none" => {
                pools.push(Pubkey::default());
                continue;
            }
            "create" => {}
            other => {
                pools.push(ctx.key(&format!("treasury.stablecoins[{i}].amm_pool"), other)?);
                continue;
            }
        }
        let symbol = &coin.config.symbol;
        let step = format!("amm: create the token/{symbol} pool");
        let network_mint = rewards_ix::mint_pda().0;
        let pool = localnet_pool(symbol, network_mint, coin.mint);
        let key = |role: &str| pool_keypair(symbol, role);
        let account =
            ctx.sender
                .owner_and_data(&pool.swap)
                .await
                .map_err(|e| MigrateError::Chain {
                    step: step.clone(),
                    reason: format!("read {}: {e}", pool.swap),
                })?;
        if let Some((owner, data)) = account {
            let mut d = Diff::default();
            d.check("amm pool owner", owner, amm::SWAP_PROGRAM_ID);
            d.check("amm pool", amm::Pool::parse(pool.swap, &data), Some(pool));
            ctx.report.push(step, d.outcome());
            pools.push(pool.swap);
            continue;
        }
        ctx.require_signer(
            &step,
            "network.genesis_owner",
            &genesis_account_owner(ctx).await?,
        )?;
        let token = spl_token::ID;
        let account_len = spl_token::state::Account::LEN;
        let mint_len = spl_token::state::Mint::LEN;
        let init_account = |account: &Pubkey, mint: &Pubkey, owner: &Pubkey| {
            spl_token::instruction::initialize_account3(&token, account, mint, owner)
                .map_err(|e| token_ix_error(&step, e))
        };
        // 1. The vaults, funded.
        if !exists(ctx.sender, "pool vault", &pool.vault_a).await? {
            let ixs = vec![
                create_account(ctx, &step, &pool.vault_a, account_len, &token).await?,
                init_account(&pool.vault_a, &network_mint, &pool.authority)?,
                create_account(ctx, &step, &pool.vault_b, account_len, &token).await?,
                init_account(&pool.vault_b, &coin.mint, &pool.authority)?,
                depin_client::builders::transfer_checked(
                    TokenProgram::SplToken,
                    &rewards_ix::genesis_pda().0,
                    &network_mint,
                    &pool.vault_a,
                    &ctx.me,
                    coin.config.pool_tokens,
                    ctx.config.network.decimals,
                ),
                depin_client::builders::mint_to(
                    TokenProgram::SplToken,
                    &coin.mint,
                    &pool.vault_b,
                    &ctx.me,
                    coin.config.pool_stablecoins,
                ),
            ];
            ctx.send(&step, &ixs, &[&key("vault-a"), &key("vault-b")])
                .await?;
        }
        // 2. The pool mint, the fee account and the deployer's LP account.
        let lp = key("lp");
        if !exists(ctx.sender, "pool mint", &pool.pool_mint).await? {
            let ixs = vec![
                create_account(ctx, &step, &pool.pool_mint, mint_len, &token).await?,
                spl_token::instruction::initialize_mint2(
                    &token,
                    &pool.pool_mint,
                    &pool.authority,
                    None,
                    2,
                )
                .map_err(|e| token_ix_error(&step, e))?,
                create_account(ctx, &step, &pool.fee_account, account_len, &token).await?,
                init_account(&pool.fee_account, &pool.pool_mint, &ctx.me)?,
                create_account(ctx, &step, &lp.pubkey(), account_len, &token).await?,
                init_account(&lp.pubkey(), &pool.pool_mint, &ctx.me)?,
            ];
            ctx.send(&step, &ixs, &[&key("pool-mint"), &key("fee"), &lp])
                .await?;
        }
        // 3. The swap account.
        let ixs = vec![
            create_account(
                ctx,
                &step,
                &pool.swap,
                amm::SWAP_ACCOUNT_LEN,
                &amm::SWAP_PROGRAM_ID,
            )
            .await?,
            pool.initialize_ix(lp.pubkey()),
        ];
        let outcome = ctx.send(&step, &ixs, &[&key("swap")]).await?;
        ctx.report.push(step, outcome);
        pools.push(pool.swap);
    }
    Ok(pools)
}

async fn stablecoins(
    ctx: &mut Ctx<'_>,
    coins: &[Coin<'_>],
    pools: &[Pubkey],
) -> Result<(), MigrateError> {
    let revenue_symbol = &ctx.config.staking.revenue_symbol;
    for (i, coin) in coins.iter().enumerate() {
        let step = format!("treasury: add_stablecoin {}", coin.config.symbol);
        let amm_pool = pools.get(i).copied().unwrap_or_default();
        // Only the revenue coin is routed to stakers (into staking's revenue vault).
        let stakers_destination =
            (&coin.config.symbol == revenue_symbol).then(|| staking_ix::revenue_vault_pda().0);
        let existing = fetch::<treasury::state::Stablecoin>(
            ctx.sender,
            "treasury stablecoin",
            &treasury_ix::stablecoin_pda(&coin.mint).0,
        )
        .await?;
        let outcome = if let Some(chain) = existing {
            let mut d = Diff::default();
            let field = |name: &str| format!("treasury.stablecoins[{i}].{name}");
            d.check(
                &field("token_program"),
                chain.token_program,
                coin.token_program.id(),
            );
            d.check(&field("decimals"), chain.decimals, coin.config.decimals);
            d.check(
                &field("buyback_cap_per_epoch"),
                chain.buyback_cap_per_epoch,
                coin.config.buyback_cap_per_epoch,
            );
            d.check(&field("amm_pool"), chain.amm_pool, amm_pool);
            d.check(
                &field("stakers destination"),
                chain.stakers_destination,
                stakers_destination.unwrap_or_default(),
            );
            d.outcome()
        } else {
            let authority = ctx.key("treasury.authority", &ctx.config.treasury.authority)?;
            ctx.require_signer(&step, "treasury.authority", &authority)?;
            let ix = treasury_ix::add_stablecoin(
                treasury_ix::add_stablecoin_accounts(
                    &ctx.keys,
                    authority,
                    coin.mint,
                    coin.token_program,
                    rewards_ix::mint_pda().0,
                    ctx.config.token_program.program(),
                    stakers_destination,
                ),
                treasury_ix::AddStablecoinArgs {
                    buyback_cap_per_epoch: coin.config.buyback_cap_per_epoch,
                    amm_pool,
                },
            );
            ctx.send(&step, &[ix], &[]).await?
        };
        ctx.report.push(step, outcome);
    }
    Ok(())
}

async fn credits(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
    const STEP: &str = "treasury: initialize_credits";
    let mint = treasury_ix::credits_mint_pda().0;
    let outcome = if exists(ctx.sender, "credits mint", &mint).await? {
        Outcome::Unchanged
    } else {
        let authority = ctx.key("treasury.authority", &ctx.config.treasury.authority)?;
        ctx.require_signer(STEP, "treasury.authority", &authority)?;
        let ix = treasury_ix::initialize_credits(treasury_ix::initialize_credits_accounts(
            &ctx.keys, authority,
        ));
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}
