//! The staking program: its config (`initialize_staking`) and its revenue coin
//! (`initialize_revenue`).

use anchor_lang::prelude::Pubkey;
use depin_client::accounts::fetch;
use depin_client::builders::{rewards_ix, staking_ix};

use super::{Coin, Ctx, Diff};
use crate::MigrateError;

/// `staking.voting_mode` as the program spells it.
fn voting_mode(name: &str) -> staking_ix::VotingMode {
    if name == "quadratic" {
        staking_ix::VotingMode::Quadratic
    } else {
        staking_ix::VotingMode::Linear
    }
}

/// The staking program: `initialize_staking`, or the existing config compared with the
/// config file.
pub(super) async fn initialize(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
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
        d.check(
            "staking.timelock_secs",
            chain.timelock_secs,
            s.timelock_secs,
        );
        d.check(
            "staking.revenue_stream_secs",
            chain.revenue_stream_secs,
            s.revenue_stream_secs,
        );
        d.check("governance.realm_name", chain.realm, realm(ctx));
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
                timelock_secs: s.timelock_secs,
                revenue_stream_secs: s.revenue_stream_secs,
                realm: realm(ctx),
            },
        );
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}

/// The revenue coin (`staking.revenue_symbol`): `initialize_revenue` unless it is set.
pub(super) async fn revenue(ctx: &mut Ctx<'_>, coins: &[Coin<'_>]) -> Result<(), MigrateError> {
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
        // The deployer completes the set-up (the program's upgrade authority, as for
        // initialize_staking), whoever the config's authority is.
        let ix = staking_ix::initialize_revenue(staking_ix::initialize_revenue_accounts(
            ctx.me,
            ctx.keys.deployer,
            coin.mint,
            coin.token_program,
        ));
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}

/// The realm staking weighs votes for: the `[governance]` section's, or none.
fn realm(ctx: &Ctx<'_>) -> Pubkey {
    ctx.config
        .governance
        .as_ref()
        .map(|g| g.realm())
        .unwrap_or_default()
}
