//! The simulation's transactions over JSON-RPC: many at once, each one through
//! [`depin_client::Sender`] (fresh blockhash on expiry, confirmation), and a record of every
//! signature by kind so the report can give compute units per instruction kind.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anyhow::{Context, Result, anyhow};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_signature::Signature;
use depin_client::{Landed, SendError, Sender};
use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};

/// Transactions in flight at once.
pub const CONCURRENCY: usize = 128;

/// Every landed signature, by kind, and how many blockhashes expired on the way.
#[derive(Default)]
pub struct Ledger {
    landed: Mutex<BTreeMap<&'static str, Vec<Signature>>>,
    expiries: Mutex<u64>,
}

impl Ledger {
    pub fn record(&self, kind: &'static str, landed: &Landed) {
        if let Ok(mut m) = self.landed.lock() {
            m.entry(kind).or_default().push(landed.signature);
        }
        if let Ok(mut e) = self.expiries.lock() {
            *e += u64::from(landed.expiries);
        }
    }

    /// Sends `ixs` (paid by `payer`, also signed by `signers`), records the landing under `kind`,
    /// and names `context` in the error.
    pub async fn send(
        &self,
        sender: &Sender,
        kind: &'static str,
        ixs: &[anchor_lang::solana_program::instruction::Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
        context: impl FnOnce() -> String,
    ) -> Result<Landed> {
        let landed = sender
            .send(kind, ixs, payer, signers)
            .await
            .map_err(|e| failed(&context(), e))?;
        self.record(kind, &landed);
        Ok(landed)
    }

    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        self.landed
            .lock()
            .map(|m| m.iter().map(|(k, v)| (*k, v.len())).collect())
            .unwrap_or_default()
    }

    pub fn expiries(&self) -> u64 {
        self.expiries.lock().map(|e| *e).unwrap_or(0)
    }

    /// Up to `n` signatures of each kind.
    pub fn samples(&self, n: usize) -> Vec<(&'static str, Signature)> {
        self.landed
            .lock()
            .map(|m| {
                m.iter()
                    .flat_map(|(k, v)| v.iter().take(n).map(|s| (*k, *s)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A progress bar on stderr (hidden when stderr is not a terminal, or with `quiet`).
pub fn bar(len: usize, what: &str, quiet: bool) -> ProgressBar {
    let pb = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::try_from(len).unwrap_or(u64::MAX))
    };
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// Runs `f` over `items`, `CONCURRENCY` at a time, ticking `pb`; the first error wins.
pub async fn each<T, F, Fut>(items: Vec<T>, pb: &ProgressBar, f: F) -> Result<()>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut results = stream::iter(items.into_iter().map(f)).buffer_unordered(CONCURRENCY);
    while let Some(r) = results.next().await {
        r?;
        pb.inc(1);
    }
    pb.finish();
    Ok(())
}

/// A system-program transfer of lamports.
pub fn transfer_lamports(
    from: Pubkey,
    to: Pubkey,
    lamports: u64,
) -> anchor_lang::solana_program::instruction::Instruction {
    let mut data = vec![2, 0, 0, 0];
    data.extend_from_slice(&lamports.to_le_bytes());
    anchor_lang::solana_program::instruction::Instruction {
        program_id: anchor_lang::system_program::ID,
        accounts: vec![AccountMeta::new(from, true), AccountMeta::new(to, false)],
        data,
    }
}

/// A mint's supply.
pub async fn supply(sender: &Sender, mint: &Pubkey) -> Result<u64> {
    let s = sender
        .call(|rpc| rpc.get_token_supply(mint))
        .await
        .with_context(|| format!("supply of mint {mint}"))?;
    s.amount
        .parse()
        .with_context(|| format!("supply of mint {mint}: {:?}", s.amount))
}

/// One JSON-RPC call over plain HTTP, for the methods the typed client would need extra crates
/// for (`getTransaction`'s status meta).
pub async fn rpc_call(
    http: &reqwest::Client,
    url: &str,
    method: &str,
    params: serde_json::Value,
) -> Result<serde_json::Value> {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let bytes = http
        .post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body)?)
        .send()
        .await
        .with_context(|| format!("{method} to {url}"))?
        .bytes()
        .await?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)?;
    if let Some(e) = v.get("error") {
        return Err(anyhow!("{method}: {e}"));
    }
    Ok(v.get("result").cloned().unwrap_or(serde_json::Value::Null))
}

/// The compute units a landed transaction consumed, and the instruction names its logs show
/// (`Program log: Instruction: X`), top level first.
pub async fn cu_of(
    http: &reqwest::Client,
    url: &str,
    signature: &Signature,
) -> Result<(u64, Vec<String>)> {
    let tx = rpc_call(
        http,
        url,
        "getTransaction",
        serde_json::json!([signature.to_string(),
            {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}]),
    )
    .await?;
    let meta = tx
        .get("meta")
        .ok_or_else(|| anyhow!("transaction {signature} has no status meta"))?;
    let cu = meta
        .get("computeUnitsConsumed")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    let names = meta
        .get("logMessages")
        .and_then(serde_json::Value::as_array)
        .map(|logs| {
            logs.iter()
                .filter_map(|l| l.as_str()?.strip_prefix("Program log: Instruction: "))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok((cu, names))
}

/// Signatures that involved `address`, newest first (at most 1,000).
pub async fn signatures_of(
    http: &reqwest::Client,
    url: &str,
    address: &Pubkey,
) -> Result<Vec<Signature>> {
    let list = rpc_call(
        http,
        url,
        "getSignaturesForAddress",
        serde_json::json!([address.to_string(), {"commitment": "confirmed"}]),
    )
    .await?;
    Ok(list
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|s| s.get("err").is_none_or(serde_json::Value::is_null))
                .filter_map(|s| s.get("signature")?.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default())
}

/// `what` failed: the error, as sent.
pub fn failed(what: &str, e: SendError) -> anyhow::Error {
    anyhow!(e).context(what.to_string())
}

/// How the validator keeps time, read now: its slot, and how many seconds its clock (the Clock
/// sysvar, which the programs and the oracles' epoch gate go by) is behind this machine's.
pub async fn clock(sender: &Sender) -> Result<(u64, i64)> {
    let slot = sender.call(|rpc| rpc.get_slot()).await.context("getSlot")?;
    let cluster = depin_client::accounts::cluster_time(sender)
        .await
        .context("the Clock sysvar")?;
    Ok((slot, super::unix_now() - cluster))
}
