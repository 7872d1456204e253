//! `depin pay` (a customer pays for service in an accepted stablecoin, with an invoice
//! reference), `depin treasury buyback` (the buyback-and-burn crank) and `depin treasury
//! report` (where each coin's revenue stands), over JSON-RPC.

use anchor_lang::prelude::Pubkey;
use anyhow::{Result, anyhow, bail};
use depin_client::accounts::{AccountSource, fetch};
use depin_client::builders::{TokenProgram, amm, associated_token_address, treasury_ix};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_signer::Signer;
use depin_client::{Landed, Sender};

use crate::migrate::connect;
use crate::{ClusterArgs, runtime};

/// The treasury's ledger for `mint`, or an error naming the mint.
async fn stablecoin(
    rpc: &impl depin_client::accounts::AccountSource,
    mint: &Pubkey,
) -> Result<treasury::state::Stablecoin> {
    fetch::<treasury::state::Stablecoin>(
        rpc,
        "treasury stablecoin",
        &treasury_ix::stablecoin_pda(mint).0,
    )
    .await?
    .ok_or_else(|| anyhow!("--mint {mint}: the treasury does not accept this coin"))
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
pub async fn buyback(
    sender: &Sender,
    payer: &Keypair,
    mint: Pubkey,
    price_update: Pubkey,
    quote_in: Option<u64>,
) -> Result<Bought> {
    let coin = stablecoin(sender, &mint).await?;
    let treasury =
        fetch::<treasury::state::Treasury>(sender, "treasury", &treasury_ix::treasury_pda().0)
            .await?
            .ok_or_else(|| anyhow!("no treasury at {}", treasury_ix::treasury_pda().0))?;
    if coin.amm_pool == Pubkey::default() {
        bail!("--mint {mint}: the coin has no AMM pool pinned yet (governance sets it)");
    }
    let quote_in = quote_in.unwrap_or(coin.buckets.buyback.min(coin.buyback_cap_per_epoch));
    if quote_in == 0 {
        bail!("--mint {mint}: the buyback bucket is empty");
    }
    let (pool_owner, data) = sender
        .owner_and_data(&coin.amm_pool)
        .await?
        .ok_or_else(|| anyhow!("the pinned pool {} does not exist", coin.amm_pool))?;
    if pool_owner != treasury.buyback.amm_program || pool_owner != amm::SWAP_PROGRAM_ID {
        bail!(
            "the pinned pool {} belongs to {pool_owner}, not the treasury's AMM {}",
            coin.amm_pool,
            treasury.buyback.amm_program
        );
    }
    let pool = amm::Pool::parse(coin.amm_pool, &data).ok_or_else(|| {
        anyhow!(
            "{} is not an initialised spl-token-swap pool",
            coin.amm_pool
        )
    })?;
    let network_mint = treasury.network_mint;
    let a_to_b = match (pool.mint_a, pool.mint_b) {
        (a, b) if a == mint && b == network_mint => true,
        (a, b) if a == network_mint && b == mint => false,
        _ => bail!(
            "the pinned pool {} does not trade {mint} for {network_mint}",
            pool.swap
        ),
    };
    let (network_owner, _) = sender
        .owner_and_data(&network_mint)
        .await?
        .ok_or_else(|| anyhow!("the network mint {network_mint} does not exist"))?;
    let network_tp = TokenProgram::from_owner(&network_owner)
        .ok_or_else(|| anyhow!("unknown token program {network_owner}"))?;
    let stablecoin_ledger = treasury_ix::stablecoin_pda(&mint).0;
    let ix = treasury_ix::buyback(
        treasury_ix::buyback_accounts(
            mint,
            network_mint,
            network_tp,
            price_update,
            treasury.buyback.amm_program,
        ),
        treasury_ix::BuybackArgs {
            quote_in,
            // The treasury enforces the oracle-bounded minimum itself.
            swap_data: amm::swap_data(quote_in, 0),
        },
        pool.swap_accounts(
            stablecoin_ledger,
            treasury_ix::vault_pda(&mint).0,
            treasury_ix::bought_pda(&mint).0,
            a_to_b,
        ),
    );
    let landed = sender.send("treasury: buyback", &[ix], payer, &[]).await?;
    let after = stablecoin(sender, &mint).await?;
    let treasury_after =
        fetch::<treasury::state::Treasury>(sender, "treasury", &treasury_ix::treasury_pda().0)
            .await?
            .ok_or_else(|| anyhow!("no treasury"))?;
    Ok(Bought {
        landed,
        spent: after.total_bought_back - coin.total_bought_back,
        burned: treasury_after.total_bought_burned - treasury.total_bought_burned,
        pool: pool.swap,
    })
}

/// `depin treasury buyback`.
pub fn buyback_command(
    args: &ClusterArgs,
    mint: Pubkey,
    price_update: Pubkey,
    quote_in: Option<u64>,
    json: bool,
) -> Result<()> {
    let (sender, payer) = connect(args)?;
    runtime()?.block_on(async {
        let b = buyback(&sender, &payer, mint, price_update, quote_in).await?;
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

/// An invoice reference: up to 32 bytes of text, zero-padded.
pub fn reference(text: &str) -> Result<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > 32 {
        bail!(
            "--reference must be 1 to 32 bytes of text, got {} bytes",
            bytes.len()
        );
    }
    let mut out = [0u8; 32];
    out[..bytes.len()].copy_from_slice(bytes);
    Ok(out)
}

/// Pays `amount` base units of `mint` from the signer's associated token account.
pub fn pay(args: &ClusterArgs, mint: Pubkey, amount: u64, invoice: &str, json: bool) -> Result<()> {
    let reference = reference(invoice)?;
    let (sender, payer) = connect(args)?;
    runtime()?.block_on(async {
        let coin = stablecoin(&sender, &mint).await?;
        let token_program = TokenProgram::from_owner(&coin.token_program).ok_or_else(|| {
            anyhow!(
                "--mint {mint}: unknown token program {}",
                coin.token_program
            )
        })?;
        let source = associated_token_address(&payer.pubkey(), &mint, token_program);
        let ix = treasury_ix::pay(
            treasury_ix::pay_accounts(payer.pubkey(), mint, token_program, source),
            treasury_ix::PayArgs { amount, reference },
        );
        let landed = sender.send("treasury: pay", &[ix], &payer, &[]).await?;
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "signature": landed.signature.to_string(), "slot": landed.slot,
                    "mint": mint.to_string(), "amount": amount, "reference": invoice,
                })
            );
        } else {
            println!(
                "Paid {amount} base units of {mint} (reference {invoice:?}) in {}",
                landed.signature
            );
        }
        Ok(())
    })
}

/// Each named coin's ledger and the treasury's totals.
pub fn report(args: &ClusterArgs, mints: &[Pubkey], json: bool) -> Result<()> {
    let (sender, _) = connect(args)?;
    runtime()?.block_on(async {
        let rpc = &sender;
        let treasury =
            fetch::<treasury::state::Treasury>(rpc, "treasury", &treasury_ix::treasury_pda().0)
                .await?
                .ok_or_else(|| {
                    anyhow!(
                        "no treasury at {} (run `depin migrate`)",
                        treasury_ix::treasury_pda().0
                    )
                })?;
        let mut coins = Vec::new();
        for mint in mints {
            coins.push(stablecoin(rpc, mint).await?);
        }
        if json {
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
                }))?
            );
        } else {
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
            for c in &coins {
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
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_padded_text_of_at_most_32_bytes() {
        let mut want = [0u8; 32];
        want[..7].copy_from_slice(b"INV-042");
        assert_eq!(reference("INV-042").unwrap(), want);
        assert_eq!(reference(&"x".repeat(32)).unwrap(), [b'x'; 32]);
        assert_eq!(
            reference(&"x".repeat(33)).unwrap_err().to_string(),
            "--reference must be 1 to 32 bytes of text, got 33 bytes"
        );
        assert_eq!(
            reference("").unwrap_err().to_string(),
            "--reference must be 1 to 32 bytes of text, got 0 bytes"
        );
    }
}
