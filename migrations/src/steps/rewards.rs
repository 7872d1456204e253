//! The rewards program: the network (with its genesis oracle set), the oracle set of an existing
//! network (rotated through the timelock), and the approved makers.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use depin_client::accounts::{AccountSource, FetchError, fetch};
use depin_client::builders::{TokenProgram, rewards_ix};

use super::{Ctx, Diff};
use crate::config::{NetworkConfig, Start};
use crate::{MigrateError, Outcome};

/// The network: `initialize_network` with the configured oracle set, or the existing
/// network compared with the config.
pub(super) async fn network(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
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
        let genesis_owner = (genesis_account_owner(ctx).await?, genesis_owner);
        compare_network(n, &chain, authority, token_program.id(), genesis_owner)
    } else {
        let ix = initialize_network_ix(ctx, STEP, authority, token_program, genesis_owner).await?;
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}

/// The existing network against the config, field by field; `genesis_owner` is the genesis
/// account's owner on-chain and in the config.
fn compare_network(
    n: &NetworkConfig,
    chain: &rewards::state::Network,
    authority: Pubkey,
    token_program: Pubkey,
    genesis_owner: (Pubkey, Pubkey),
) -> Outcome {
    let mut d = Diff::default();
    d.check("network.authority", chain.authority, authority);
    d.check("token_program", chain.token_program, token_program);
    d.check("network.decimals", chain.decimals, n.decimals);
    d.check("network.max_supply", chain.max_supply, n.max_supply);
    d.check(
        "network.genesis_supply",
        chain.genesis_supply,
        n.genesis_supply,
    );
    d.check("network.genesis_owner", genesis_owner.0, genesis_owner.1);
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
    d.check("network.input_secs", chain.input_secs, n.input_secs);
    d.check("network.onboard_fee", chain.onboard_fee, n.onboard_fee);
    d.check("network.location_fee", chain.location_fee, n.location_fee);
    d.check(
        "network.timelock_secs",
        chain.timelock_secs,
        n.timelock_secs,
    );
    d.outcome()
}

/// `initialize_network` as the config describes it, starting now (the cluster's clock) unless
/// the config gives a start.
async fn initialize_network_ix(
    ctx: &Ctx<'_>,
    step: &str,
    authority: Pubkey,
    token_program: TokenProgram,
    genesis_owner: Pubkey,
) -> Result<Instruction, MigrateError> {
    let n = &ctx.config.network;
    let start_ts = match n.start {
        Start::At(ts) => ts,
        Start::Now(_) => ctx.cluster_time(step).await?,
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
        input_secs: n.input_secs,
        onboard_fee: n.onboard_fee,
        location_fee: n.location_fee,
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
    Ok(ix)
}

/// The owner written in the genesis token account (SPL layout: mint, then owner).
pub(super) async fn genesis_account_owner(ctx: &Ctx<'_>) -> Result<Pubkey, MigrateError> {
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

/// The configured oracle keys.
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
pub(super) async fn oracle_set(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
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
    if let Some(outcome) = proposed_change(ctx, STEP, network.changes_proposed, &wanted).await? {
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

/// A change already proposed with exactly this update: applied once its ETA has passed
/// (anyone may apply a ripe change), else reported pending; `None` when there is none.
async fn proposed_change(
    ctx: &Ctx<'_>,
    step: &str,
    changes_proposed: u64,
    wanted: &rewards_ix::ParamUpdate,
) -> Result<Option<Outcome>, MigrateError> {
    for id in (0..changes_proposed).rev() {
        let Some(pending) = fetch::<rewards::state::PendingChange>(
            ctx.sender,
            "rewards pending change",
            &rewards_ix::change_pda(id).0,
        )
        .await?
        else {
            continue;
        };
        if pending.update != *wanted {
            continue;
        }
        let now = ctx.cluster_time(step).await?;
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
        return Ok(Some(outcome));
    }
    Ok(None)
}

/// Each configured maker, approved unless it is already active.
pub(super) async fn makers(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
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

/// The network's address lookup table (`create_lookup_table`, permissionless, once): what lets a
/// claim with a deep proof fit a transaction. An existing one is read back and checked frozen.
pub(super) async fn lookup_table(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
    const STEP: &str = "rewards: create_lookup_table";
    let chain = |e: &dyn std::fmt::Display| MigrateError::Chain {
        step: STEP.to_string(),
        reason: e.to_string(),
    };
    let existing = depin_client::lookup_table::network_table(ctx.sender)
        .await
        .map_err(|e| chain(&e))?;
    let outcome = if existing.is_some() {
        Outcome::Unchanged
    } else {
        let ix = depin_client::lookup_table::create_ix(ctx.sender, ctx.me)
            .await
            .map_err(|e| chain(&e))?;
        match ctx.send(STEP, &[ix], &[]).await {
            Ok(outcome) => outcome,
            // Someone else's creation landed first (anyone may send it): theirs is the table.
            Err(e) => match depin_client::lookup_table::network_table(ctx.sender).await {
                Ok(Some(_)) => Outcome::Unchanged,
                _ => return Err(e.into()),
            },
        }
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}
