//! `depin treasury buyback` (the buyback-and-burn crank) and `depin treasury report` (where
//! each coin's revenue stands), over JSON-RPC.

use anchor_lang::prelude::Pubkey;
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use depin_client::accounts::{AccountSource, fetch};
use depin_client::builders::{amm, treasury_ix};
use depin_client::solana_keypair::Keypair;
use depin_client::{Landed, Sender};
use treasury::state::{Stablecoin, Treasury};

use super::common::{stablecoin, token_program};
use crate::{ClusterArgs, Output, runtime};

/// `depin treasury ...`.
#[derive(Subcommand)]
pub enum TreasuryCommand {
    Buyback(Buyback),
    Report(Report),
}

impl TreasuryCommand {
    /// Runs the subcommand.
    ///
    /// # Errors
    ///
    /// Whatever the subcommand refuses or the cluster returns.
    pub fn run(&self) -> Result<()> {
        match self {
            Self::Buyback(args) => buyback_command(args),
            Self::Report(args) => report(args),
        }
    }
}

/// What one buyback did.
pub struct Bought {
    pub landed: Landed,
    /// Stablecoin spent from the buyback bucket.
    pub spent: u64,
    /// Network tokens bought and burned.
    pub burned: u64,
    pub pool: Pubkey,
}

/// Spends up to `quote_in` (default: the whole buyback bucket, at most the coin's per-epoch
/// cap) of `mint`'s buyback bucket on the network token through the coin's pinned pool, priced
/// against `price_update`; every token bought is burned in the same instruction. Anyone may
/// send it; `payer` pays the fee.
///
/// # Errors
///
/// A coin the treasury does not accept, no pool pinned or an unusable one, an empty bucket, or
/// a failed send.
pub async fn buyback(
    sender: &Sender,
    payer: &Keypair,
    mint: Pubkey,
    price_update: Pubkey,
    quote_in: Option<u64>,
) -> Result<Bought> {
    let coin = stablecoin(sender, &mint).await?;
    let treasury = super::common::treasury(sender).await?;
    if coin.venue.pool == Pubkey::default() {
        bail!("--mint {mint}: the coin has no AMM pool pinned yet (governance sets it)");
    }
    let quote_in = quote_in.unwrap_or(coin.buckets.buyback.min(coin.buyback_cap_per_epoch));
    if quote_in == 0 {
        bail!("--mint {mint}: the buyback bucket is empty");
    }
    let (pool, a_to_b) = pinned_pool(sender, mint, &coin, &treasury).await?;
    let network_mint = treasury.network_mint;
    let (network_owner, _) = sender
        .owner_and_data(&network_mint)
        .await?
        .ok_or_else(|| anyhow!("the network mint {network_mint} does not exist"))?;
    let network_tp = token_program(&network_owner)?;
    let ix = treasury_ix::buyback(
        treasury_ix::buyback_accounts(
            mint,
            network_mint,
            network_tp,
            price_update,
            treasury.buyback.amm_program,
            &coin.venue,
        ),
        treasury_ix::BuybackArgs {
            quote_in,
            // The treasury enforces the oracle-bounded minimum itself.
            swap_data: amm::swap_data(quote_in, 0),
        },
        pool.swap_accounts(
            treasury_ix::stablecoin_pda(&mint).0,
            treasury_ix::vault_pda(&mint).0,
            treasury_ix::bought_pda(&mint).0,
            a_to_b,
        ),
    );
    let landed = sender.send("treasury: buyback", &[ix], payer, &[]).await?;
    let after = stablecoin(sender, &mint).await?;
    let treasury_after = fetch::<Treasury>(sender, "treasury", &treasury_ix::treasury_pda().0)
        .await?
        .ok_or_else(|| anyhow!("no treasury"))?;
    Ok(Bought {
        landed,
        spent: after.total_bought_back - coin.total_bought_back,
        burned: treasury_after.total_bought_burned - treasury.total_bought_burned,
        pool: pool.swap,
    })
}

/// The pinned pool of `mint` (`coin`), checked to be the treasury's AMM trading the coin for the network
/// token, and whether the coin is its side A (the swap runs A to B).
async fn pinned_pool(
    sender: &Sender,
    mint: Pubkey,
    coin: &Stablecoin,
    treasury: &Treasury,
) -> Result<(amm::Pool, bool)> {
    let network_mint = treasury.network_mint;
    let (pool_owner, data) = sender
        .owner_and_data(&coin.venue.pool)
        .await?
        .ok_or_else(|| anyhow!("the pinned pool {} does not exist", coin.venue.pool))?;
    if pool_owner != treasury.buyback.amm_program || pool_owner != amm::SWAP_PROGRAM_ID {
        bail!(
            "the pinned pool {} belongs to {pool_owner}, not the treasury's AMM {}",
            coin.venue.pool,
            treasury.buyback.amm_program
        );
    }
    let pool = amm::Pool::parse(coin.venue.pool, &data).ok_or_else(|| {
        anyhow!(
            "{} is not an initialised spl-token-swap pool",
            coin.venue.pool
        )
    })?;
    let a_to_b = match (pool.mint_a, pool.mint_b) {
        (a, b) if a == mint && b == network_mint => true,
        (a, b) if a == network_mint && b == mint => false,
        _ => bail!(
            "the pinned pool {} does not trade {mint} for {network_mint}",
            pool.swap
        ),
    };
    Ok((pool, a_to_b))
}

/// The buyback-and-burn crank (anyone): spends a coin's buyback bucket on the network token
/// through its pinned AMM pool, bounded by the Pyth price, and burns every token bought.
#[derive(clap::Args)]
pub struct Buyback {
    /// The stablecoin whose bucket to spend.
    #[arg(long)]
    pub mint: Pubkey,
    /// The Pyth `PriceUpdateV2` account of the pinned feed (default: the local network's).
    #[arg(long, default_value_t = depin_client::cluster::LOCALNET_PRICE_UPDATE)]
    pub price_update: Pubkey,
    /// Most stablecoin base units to spend (default: the bucket, up to the epoch cap).
    #[arg(long)]
    pub amount: Option<u64>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin treasury buyback`: [`buyback`], printed.
///
/// # Errors
///
/// As [`buyback`].
pub fn buyback_command(args: &Buyback) -> Result<()> {
    let Buyback {
        mint,
        price_update,
        amount,
        ref cluster,
        output: Output { json },
    } = *args;
    let (sender, payer) = cluster.connect()?;
    runtime()?.block_on(async {
        let b = buyback(&sender, &payer, mint, price_update, amount).await?;
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "signature": b.landed.signature.to_string(), "slot": b.landed.slot,
                    "mint": mint.to_string(), "spent": b.spent, "burned": b.burned,
                    "pool": b.pool.to_string(),
                })
            );
        } else {
            println!(
                "Bought back and burned {} network token base units for {} base units of {mint} \
                 through pool {} in {}",
                b.burned, b.spent, b.pool, b.landed.signature
            );
        }
        Ok(())
    })
}

/// Each coin's revenue: payments, the three buckets, and what was bought back, routed to
/// stakers and swept to operations; and the treasury's burn total.
#[derive(clap::Args)]
pub struct Report {
    /// The stablecoin mints to report (repeat for several).
    #[arg(long = "mint", required = true)]
    pub mints: Vec<Pubkey>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin treasury report`: each named coin's ledger and the treasury's totals.
///
/// # Errors
///
/// No treasury, or a coin the treasury does not accept.
pub fn report(args: &Report) -> Result<()> {
    let Report {
        ref mints,
        ref cluster,
        output: Output { json },
    } = *args;
    let sender = cluster.reader()?;
    runtime()?.block_on(async {
        let rpc = &sender;
        let treasury = super::common::treasury(rpc).await?;
        let mut coins = Vec::new();
        for mint in mints {
            coins.push(stablecoin(rpc, mint).await?);
        }
        let supply = depin_client::supply::read(rpc).await?;
        if json {
            print_report_json(&treasury, &coins, &supply)?;
        } else {
            print_report_table(&treasury, &coins);
            print_supply(&supply);
        }
        Ok(())
    })
}

fn print_report_json(
    treasury: &Treasury,
    coins: &[Stablecoin],
    supply: &depin_client::supply::Supply,
) -> Result<()> {
    let rows: Vec<_> = coins
        .iter()
        .map(|c| {
            serde_json::json!({
                "mint": c.mint.to_string(), "payments": c.payments,
                "received": c.total_received,
                "buckets": { "buyback": c.buckets.buyback, "stakers": c.buckets.stakers,
                             "operations": c.buckets.operations },
                "bought_back": c.total_bought_back,
                "routed_to_stakers": c.total_routed_to_stakers,
                "swept_to_operations": c.total_swept_to_operations,
            })
        })
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "split_bps": { "buyback": treasury.split.buyback_bps,
                           "stakers": treasury.split.stakers_bps,
                           "operations": treasury.split.operations_bps },
            "total_bought_burned": treasury.total_bought_burned,
            "coins": rows,
            "supply": supply.json(),
        }))?
    );
    Ok(())
}

fn print_report_table(treasury: &Treasury, coins: &[Stablecoin]) {
    println!(
        "Treasury: split {} / {} / {} bps (buyback / stakers / operations); {} network \
         base units bought back and burned",
        treasury.split.buyback_bps,
        treasury.split.stakers_bps,
        treasury.split.operations_bps,
        treasury.total_bought_burned
    );
    println!(
        "{:<45} {:>8} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}",
        "coin",
        "payments",
        "received",
        "buyback",
        "stakers",
        "operations",
        "bought back",
        "routed",
        "swept"
    );
    for c in coins {
        println!(
            "{:<45} {:>8} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}",
            c.mint.to_string(),
            c.payments,
            c.total_received,
            c.buckets.buyback,
            c.buckets.stakers,
            c.buckets.operations,
            c.total_bought_back,
            c.total_routed_to_stakers,
            c.total_swept_to_operations
        );
    }
}

/// The network token's supply story: minted, each burn by reason, the supply, and anything
/// burned outside the protocol.
fn print_supply(s: &depin_client::supply::Supply) {
    println!(
        "Network token: {} minted - {} burned ({} onboarding fees, {} buybacks, {} credits, {} \
         slashes) = {} supply (untracked burns: {})",
        s.minted,
        s.burned(),
        s.burned_onboarding,
        s.burned_buybacks,
        s.burned_credits,
        s.burned_slashes,
        s.supply,
        s.untracked_burns()
    );
}
