//! `depin pay`: a customer pays for service in an accepted stablecoin, with an invoice
//! reference, over JSON-RPC.

use anchor_lang::prelude::Pubkey;
use anyhow::{Result, anyhow, bail};
use depin_client::builders::{associated_token_address, treasury_ix};
use depin_client::solana_signer::Signer;

use super::common::{stablecoin, token_program};
use crate::{ClusterArgs, Output, runtime};

/// A customer pays for service in an accepted stablecoin, from its associated token account;
/// the treasury splits it into buyback, stakers and operations.
#[derive(clap::Args)]
pub struct Pay {
    /// The stablecoin's mint.
    #[arg(long)]
    pub mint: Pubkey,
    /// Amount in the coin's base units (USDC: 1,000,000 = 1 USDC).
    #[arg(long)]
    pub amount: u64,
    /// The invoice reference (1 to 32 bytes of text), echoed in the payment's event.
    #[arg(long)]
    pub reference: String,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// An invoice reference: up to 32 bytes of text, zero-padded.
///
/// # Errors
///
/// Empty text, or more than 32 bytes.
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

/// `depin pay`: pays `amount` base units of `mint` from the signer's associated token
/// account.
///
/// # Errors
///
/// A bad `--reference`, a coin the treasury does not accept, or a failed send.
pub fn run(args: &Pay) -> Result<()> {
    let Pay {
        mint,
        amount,
        reference: ref invoice,
        ref cluster,
        output: Output { json },
    } = *args;
    let reference = reference(invoice)?;
    let (sender, payer) = cluster.connect()?;
    runtime()?.block_on(async {
        let coin = stablecoin(&sender, &mint).await?;
        let token_program =
            token_program(&coin.token_program).map_err(|e| anyhow!("--mint {mint}: {e}"))?;
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
