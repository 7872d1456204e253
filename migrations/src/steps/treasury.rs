//! The treasury: `initialize_treasury`, each accepted stablecoin (`add_stablecoin`, which needs
//! the coin's pool) and the service credits mint (`initialize_credits`).

use depin_client::accounts::{exists, fetch};
use depin_client::builders::{rewards_ix, staking_ix, treasury_ix};

use super::{Coin, Ctx, Diff};
use crate::config;
use crate::{MigrateError, Outcome};

/// The treasury: `initialize_treasury`, or the existing treasury compared with the config.
pub(super) async fn initialize(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
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

/// Each coin's ledger (`add_stablecoin`, with its venue from [`super::pool::venues`]), or the
/// existing ledger compared with the config.
pub(super) async fn stablecoins(
    ctx: &mut Ctx<'_>,
    coins: &[Coin<'_>],
    venues: &[treasury_ix::Venue],
) -> Result<(), MigrateError> {
    let revenue_symbol = &ctx.config.staking.revenue_symbol;
    for (i, coin) in coins.iter().enumerate() {
        let step = format!("treasury: add_stablecoin {}", coin.config.symbol);
        let venue = venues.get(i).copied().unwrap_or_default();
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
            d.check(&field("amm_pool"), chain.venue, venue);
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
                    venue,
                },
            );
            ctx.send(&step, &[ix], &[]).await?
        };
        ctx.report.push(step, outcome);
    }
    Ok(())
}

/// The service credits mint (`initialize_credits`), unless it exists.
pub(super) async fn credits(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
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
