//! The chain as the rewards API reads it ([`ApiChain`]): the rewards network account, one
//! wallet's claim record, and every claim record at once (the claim index's bulk read,
//! `getProgramAccounts`). [`RpcChain`] reads them over JSON-RPC (`submit.rpc_urls`, with the
//! [`Sender`]'s failover); tests read them from anywhere else.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anchor_lang::{AccountDeserialize, Discriminator};
use base64::Engine as _;
use depin_client::Sender;
use depin_client::accounts::fetch;
use depin_client::builders::rewards_ix;
use depin_client::solana_client::client_error::ClientError;
use depin_client::solana_client::rpc_config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, UiAccountEncoding,
};
use depin_client::solana_client::rpc_filter::{Memcmp, RpcFilterType};
use depin_formats::keys::Pubkey;
use rewards::state::{ClaimRecord, Network};
use serde::Deserialize;

use super::claims::ClaimEntry;

/// A chain read: the value, or why it failed (logged only: it can hold the RPC URL).
pub type ChainRead<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// The longest wait for the bulk read of the claim records (tens of MB on a large network).
pub const CLAIM_RECORDS_TIMEOUT: Duration = Duration::from_secs(120);

/// What the rewards API reads from the chain.
pub trait ApiChain: Send + Sync {
    /// The rewards network account (PDA `["network"]`); None when there is none.
    fn network(&self) -> ChainRead<'_, Option<Network>>;
    /// What `wallet`'s claim record (PDA `["claim", wallet]`) says it has claimed; None when
    /// it has none (it never claimed).
    fn claim_record(&self, wallet: Pubkey) -> ChainRead<'_, Option<u64>>;
    /// Every claim record of the rewards program, all of them or an error (never a part).
    fn claim_records(&self) -> ChainRead<'_, Vec<ClaimEntry>>;
}

/// The chain over JSON-RPC: accounts through the [`Sender`] (its URLs, commitment and
/// failover), and the bulk read as raw bytes parsed on a blocking thread (on a large network
/// it is tens of MB of JSON, which `RpcClient` would parse on the async worker, through a
/// `serde_json::Value` several times that size).
pub struct RpcChain {
    sender: Sender,
    http: reqwest::Client,
}

impl RpcChain {
    #[must_use]
    pub fn new(sender: Sender) -> Self {
        let http = reqwest::Client::builder()
            .timeout(CLAIM_RECORDS_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self { sender, http }
    }
}

impl ApiChain for RpcChain {
    fn network(&self) -> ChainRead<'_, Option<Network>> {
        Box::pin(async move {
            let address = rewards_ix::network_pda().0;
            fetch::<Network>(&self.sender, "network", &address)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn claim_record(&self, wallet: Pubkey) -> ChainRead<'_, Option<u64>> {
        Box::pin(async move {
            let address = rewards_ix::claim_record_pda(&wallet.0.into()).0;
            Ok(fetch::<ClaimRecord>(&self.sender, "claim record", &address)
                .await
                .map_err(|e| e.to_string())?
                .map(|r| r.claimed))
        })
    }

    fn claim_records(&self) -> ChainRead<'_, Vec<ClaimEntry>> {
        Box::pin(async move {
            let request = claim_records_request(self.sender.config().commitment)?;
            let http = &self.http;
            let body = self
                .sender
                .call(|rpc| {
                    let request = request.clone();
                    async move {
                        let mut response = http
                            .post(rpc.url())
                            .header("content-type", "application/json")
                            .body(request)
                            .send()
                            .await?
                            .error_for_status()?;
                        // Chunk by chunk into one buffer of the announced size: no copy of
                        // the whole answer at once on the async worker.
                        let size = response.content_length().unwrap_or(0).min(1 << 30);
                        let mut body = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                        while let Some(chunk) = response.chunk().await? {
                            body.extend_from_slice(&chunk);
                        }
                        Ok::<_, ClientError>(body)
                    }
                })
                .await
                .map_err(|e| format!("getProgramAccounts (claim records): {e}"))?;
            tokio::task::spawn_blocking(move || parse_claim_records(&body))
                .await
                .map_err(|e| format!("parsing the claim records: {e}"))?
        })
    }
}

/// The `getProgramAccounts` request for the rewards program's claim records only: accounts of
/// their size whose first 8 bytes are their discriminator (a claim record has no network field:
/// the program has one network, PDA `["network"]`).
fn claim_records_request(
    commitment: depin_client::solana_commitment_config::CommitmentConfig,
) -> Result<Vec<u8>, String> {
    let config = RpcProgramAccountsConfig {
        filters: Some(vec![
            RpcFilterType::DataSize(ClaimRecord::SIZE as u64),
            RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, ClaimRecord::DISCRIMINATOR)),
        ]),
        account_config: RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(commitment),
            ..RpcAccountInfoConfig::default()
        },
        with_context: None,
        sort_results: None,
    };
    serde_json::to_vec(&serde_json::json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "getProgramAccounts",
        "params": [rewards::ID.to_string(), config],
    }))
    .map_err(|e| e.to_string())
}

#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(borrow, default)]
    result: Option<Vec<Keyed<'a>>>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Keyed<'a> {
    #[serde(borrow)]
    pubkey: Cow<'a, str>,
    #[serde(borrow)]
    account: Account<'a>,
}

#[derive(Deserialize)]
struct Account<'a> {
    /// `[base64, "base64"]`.
    #[serde(borrow)]
    data: (Cow<'a, str>, Cow<'a, str>),
    #[serde(borrow)]
    owner: Cow<'a, str>,
}

/// The claim records in a `getProgramAccounts` answer (`body`, the JSON-RPC response), each
/// checked as the program's: owned by it, its size, its discriminator.
///
/// # Errors
///
/// A JSON-RPC error (such as a node that disables `getProgramAccounts`), an answer that is not
/// one, or any account that is not a claim record: the read is refused whole.
pub fn parse_claim_records(body: &[u8]) -> Result<Vec<ClaimEntry>, String> {
    let reply: Reply<'_> = serde_json::from_slice(body)
        .map_err(|e| format!("getProgramAccounts answer is not JSON-RPC: {e}"))?;
    if let Some(error) = reply.error {
        return Err(format!("getProgramAccounts refused: {error}"));
    }
    let keyed = reply
        .result
        .ok_or("getProgramAccounts answer without a result")?;
    let program = rewards::ID.to_string();
    keyed
        .iter()
        .map(|k| {
            let refused = |why: &str| format!("claim record {}: {why}", k.pubkey);
            if k.account.owner != program {
                return Err(refused("not owned by the rewards program"));
            }
            if k.account.data.1 != "base64" {
                return Err(refused("data not base64"));
            }
            let address: Pubkey = k.pubkey.parse().map_err(|_| refused("a bad address"))?;
            let data = base64::engine::general_purpose::STANDARD
                .decode(k.account.data.0.as_bytes())
                .map_err(|_| refused("data not base64"))?;
            if data.len() != ClaimRecord::SIZE {
                return Err(refused("not a claim record's size"));
            }
            let record = ClaimRecord::try_deserialize(&mut &data[..])
                .map_err(|e| refused(&e.to_string()))?;
            Ok(ClaimEntry {
                address: address.0,
                bump: record.bump,
                claimed: record.claimed,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use anchor_lang::AccountSerialize;

    use super::*;

    fn keyed(address: &Pubkey, owner: &str, data: &[u8]) -> serde_json::Value {
        serde_json::json!({
            "pubkey": address.to_string(),
            "account": {
                "data": [base64::engine::general_purpose::STANDARD.encode(data), "base64"],
                "executable": false, "lamports": 1_009_200, "owner": owner,
                "rentEpoch": u64::MAX, "space": data.len(),
            },
        })
    }

    fn record(bump: u8, claimed: u64) -> Vec<u8> {
        let mut data = Vec::new();
        ClaimRecord { bump, claimed }
            .try_serialize(&mut data)
            .unwrap();
        data
    }

    fn answer(result: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": result}))
            .unwrap()
    }

    #[test]
    fn a_get_program_accounts_answer_gives_its_claim_records_or_nothing() {
        let program = rewards::ID.to_string();
        let (a, b) = (Pubkey([1; 32]), Pubkey([2; 32]));
        let body = answer(serde_json::json!([
            keyed(&a, &program, &record(254, 1_500)),
            keyed(&b, &program, &record(255, u64::MAX)),
        ]));
        assert_eq!(
            parse_claim_records(&body).unwrap(),
            vec![
                ClaimEntry {
                    address: a.0,
                    bump: 254,
                    claimed: 1_500
                },
                ClaimEntry {
                    address: b.0,
                    bump: 255,
                    claimed: u64::MAX
                },
            ]
        );
        assert_eq!(
            parse_claim_records(&answer(serde_json::json!([]))).unwrap(),
            vec![]
        );
        // Anything else refuses the whole read.
        let mut longer = record(255, 1);
        longer.push(0);
        let mut other = record(255, 1);
        other[0] ^= 1;
        for (bad, why) in [
            (keyed(&a, &rewards::ID.to_string(), &longer), "size"),
            (keyed(&a, &program, &other), "Discriminator"),
            (
                keyed(&a, &Pubkey([9; 32]).to_string(), &record(255, 1)),
                "not owned",
            ),
        ] {
            let body = answer(serde_json::json!([
                keyed(&b, &program, &record(255, 1)),
                bad
            ]));
            let e = parse_claim_records(&body).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        let refused =
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#;
        let e = parse_claim_records(refused).unwrap_err();
        assert!(e.contains("Method not found"), "{e}");
        assert!(parse_claim_records(b"<html>").is_err());
    }

    #[test]
    fn the_request_filters_on_the_record_size_and_discriminator() {
        let request: serde_json::Value = serde_json::from_slice(
            &claim_records_request(
                depin_client::solana_commitment_config::CommitmentConfig::confirmed(),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(request["method"], "getProgramAccounts");
        assert_eq!(request["params"][0], rewards::ID.to_string());
        let config = &request["params"][1];
        assert_eq!(config["encoding"], "base64");
        assert_eq!(config["commitment"], "confirmed");
        assert_eq!(config["filters"][0]["dataSize"], ClaimRecord::SIZE);
        assert_eq!(config["filters"][1]["memcmp"]["offset"], 0);
        assert_eq!(
            config["filters"][1]["memcmp"]["bytes"],
            bs58::encode(ClaimRecord::DISCRIMINATOR).into_string()
        );
    }
}
