//! `depin pay` (a customer pays for service in an accepted stablecoin, with an invoice
//! reference) and `depin treasury report` (where each coin's revenue stands), over JSON-RPC.

use anchor_lang::prelude::Pubkey;
use anyhow::{Result, anyhow, bail};
use depin_client::accounts::fetch;
use depin_client::builders::{TokenProgram, associated_token_address, treasury_ix};
use depin_client::solana_signer::Signer;

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
