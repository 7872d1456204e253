//! Sending a transaction so that it lands exactly once.
//!
//! ```text
//!  sign with the latest blockhash (valid through block height H)
//!   └─ send (preflight on: a program error comes back with its logs and nothing is spent)
//!       └─ poll the signature ──── landed ───────────────► done (or the on-chain error)
//!            │  every `rebroadcast`: send the same bytes again (same signature: lands once)
//!            └─ block height > H and the signature is still unknown, checked once more with
//!               history: it can never land now ─► re-sign with a fresh blockhash (an expiry)
//! ```
//!
//! A new signature is only ever made after the previous one's blockhash has expired without it
//! landing, so a resend can never pay twice. Priority fees and a compute-unit limit are
//! prepended as Compute Budget instructions.
//!
//! **Failover.** A sender may know several RPC URLs. Every call goes to the current one; when it
//! fails in transport (connection refused, timeout, an unhealthy node), the sender moves to the
//! next URL, waits (`backoff`, doubling up to `max_backoff`) and repeats the call, at most
//! `max_failovers` times per call. Polling a signature on another node is safe: the signature
//! and its blockhash's last valid height are the same everywhere.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use solana_client::client_error::{ClientError, ClientErrorKind};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::{RpcSendTransactionConfig, RpcSimulateTransactionConfig};
use solana_client::rpc_request::{RpcError, RpcResponseErrorData};
use solana_commitment_config::CommitmentConfig;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::{AddressLookupTableAccount, VersionedMessage, v0};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction::versioned::VersionedTransaction;

/// The most bytes a transaction may take on the wire (the validator's packet data size).
pub const PACKET_DATA_SIZE: usize = 1_232;

/// A transaction's size on the wire: the compact-u16 signature count (one byte below 128), the
/// signatures, the message.
pub fn wire_size(tx: &VersionedTransaction) -> usize {
    1 + 64 * tx.signatures.len() + tx.message.serialize().len()
}

/// How a [`Sender`] sends.
#[derive(Clone, Debug)]
pub struct SendConfig {
    /// Commitment a transaction must reach before `send` returns.
    pub commitment: CommitmentConfig,
    /// Priority fee, in micro-lamports per compute unit (0: none).
    pub cu_price_micro_lamports: u64,
    /// Compute-unit limit to request (None: the runtime default).
    pub cu_limit: Option<u32>,
    /// How often the signature's status is polled.
    pub poll: Duration,
    /// How often the same signed bytes are sent again while waiting.
    pub rebroadcast: Duration,
    /// Blockhash expiries tolerated before giving up.
    pub max_expiries: u32,
    /// Wait before the first retry on another RPC URL; doubled on each retry of the same call.
    pub backoff: Duration,
    /// The longest wait between retries.
    pub max_backoff: Duration,
    /// Transport failures one call survives (each moves to the next URL) before it fails.
    pub max_failovers: u32,
}

impl Default for SendConfig {
    fn default() -> Self {
        Self {
            commitment: CommitmentConfig::confirmed(),
            cu_price_micro_lamports: 0,
            cu_limit: None,
            poll: Duration::from_millis(200),
            rebroadcast: Duration::from_secs(2),
            max_expiries: 5,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_failovers: 6,
        }
    }
}

/// A transaction that landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Landed {
    pub signature: Signature,
    pub slot: u64,
    /// Blockhashes that expired before this signature landed (each one a re-sign).
    pub expiries: u32,
}

/// Why a send failed. Every variant says whether anything may have landed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Refused in simulation before it was sent: nothing landed.
    #[error("{what} was refused: {error}{}", anchor_line(logs))]
    Refused {
        what: String,
        error: String,
        logs: Vec<String>,
    },
    /// Landed and failed on-chain: fees were paid, nothing else changed.
    #[error("{what} failed on-chain in {signature}: {error}")]
    Failed {
        what: String,
        signature: Signature,
        error: String,
    },
    /// Every blockhash expired: none of the signatures can land any more.
    #[error(
        "{what} did not land: {expiries} blockhashes expired (is the cluster producing blocks?)"
    )]
    Expired { what: String, expiries: u32 },
    /// Too large for a packet: never sent, nothing landed.
    #[error(
        "{what} takes {size} bytes, more than a transaction's {PACKET_DATA_SIZE}: nothing was sent"
    )]
    TooLarge { what: String, size: usize },
    /// The message could not be compiled or signed: never sent, nothing landed.
    #[error("{what} could not be built: {error}")]
    Build { what: String, error: String },
    /// The RPC node failed; the last signature's fate is unknown until its blockhash expires.
    #[error("{what}: RPC error from {url}: {source}")]
    Rpc {
        what: String,
        url: String,
        #[source]
        source: Box<ClientError>,
    },
}

/// The `AnchorError ...` line (or the last log line) of a refused transaction, which names the
/// account or the check at fault.
fn anchor_line(logs: &[String]) -> String {
    logs.iter()
        .rev()
        .find(|l| l.contains("AnchorError") || l.contains("Error Message"))
        .or_else(|| logs.last())
        .map(|l| format!("\n  {l}"))
        .unwrap_or_default()
}

/// Sends transactions over one or more RPC URLs (see "Failover" above).
pub struct Sender {
    endpoints: Vec<RpcClient>,
    current: AtomicUsize,
    failovers: AtomicU64,
    config: SendConfig,
}

impl Sender {
    pub fn new(rpc_url: impl Into<String>, config: SendConfig) -> Self {
        let rpc = RpcClient::new_with_commitment(rpc_url.into(), config.commitment);
        Self {
            endpoints: vec![rpc],
            current: AtomicUsize::new(0),
            failovers: AtomicU64::new(0),
            config,
        }
    }

    /// Adds URLs to fail over to, in order, after the first.
    pub fn with_fallbacks(mut self, urls: impl IntoIterator<Item = String>) -> Self {
        for url in urls {
            self.endpoints
                .push(RpcClient::new_with_commitment(url, self.config.commitment));
        }
        self
    }

    /// The RPC client in use now (the first URL until a transport failure moves on).
    pub fn rpc(&self) -> &RpcClient {
        let i = self.current.load(Ordering::Relaxed) % self.endpoints.len().max(1);
        &self.endpoints[i]
    }

    /// Every RPC URL, in failover order.
    pub fn urls(&self) -> Vec<String> {
        self.endpoints.iter().map(RpcClient::url).collect()
    }

    /// Transport failures so far that moved this sender to another URL.
    pub fn failovers(&self) -> u64 {
        self.failovers.load(Ordering::Relaxed)
    }

    pub fn config(&self) -> &SendConfig {
        &self.config
    }

    /// Runs one RPC call, moving to the next URL after a transport failure (with backoff). Any
    /// other error (a refusal, a missing account) is the answer and is returned as it is.
    ///
    /// `f` makes the call on the client it is given (`|rpc| rpc.get_slot()`); it is not
    /// higher-ranked over the client's lifetime, so the future stays `Send` for spawned tasks.
    pub async fn call<'s, T, F, Fut>(&'s self, f: F) -> Result<T, ClientError>
    where
        F: Fn(&'s RpcClient) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut backoff = self.config.backoff;
        let mut failures = 0;
        loop {
            let rpc = self.rpc();
            match f(rpc).await {
                Err(e) if is_transport(&e) && failures < self.config.max_failovers => {
                    failures += 1;
                    self.failovers.fetch_add(1, Ordering::Relaxed);
                    let next = (self.current.load(Ordering::Relaxed) + 1) % self.endpoints.len();
                    self.current.store(next, Ordering::Relaxed);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
                result => return result,
            }
        }
    }

    fn rpc_error(&self, what: &str, e: ClientError) -> SendError {
        SendError::Rpc {
            what: what.to_string(),
            url: self.rpc().url(),
            source: Box::new(e),
        }
    }

    /// The instructions with the Compute Budget ones in front.
    pub fn with_budget(&self, ixs: &[Instruction]) -> Vec<Instruction> {
        let mut all = Vec::with_capacity(ixs.len() + 2);
        if let Some(limit) = self.config.cu_limit {
            all.push(ComputeBudgetInstruction::set_compute_unit_limit(limit));
        }
        if self.config.cu_price_micro_lamports > 0 {
            all.push(ComputeBudgetInstruction::set_compute_unit_price(
                self.config.cu_price_micro_lamports,
            ));
        }
        all.extend_from_slice(ixs);
        all
    }

    /// Sends `ixs` paid by `payer` and signed by `signers` (the payer is added if missing), and
    /// waits for the configured commitment. `what` names the step in errors.
    pub async fn send(
        &self,
        what: &str,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<Landed, SendError> {
        self.send_with_tables(what, ixs, payer, signers, &[]).await
    }

    /// As [`Sender::send`], as a v0 transaction whose accounts resolve through `tables` (a
    /// legacy one when `tables` is empty). A transaction over [`PACKET_DATA_SIZE`] is refused
    /// before anything is sent.
    pub async fn send_with_tables(
        &self,
        what: &str,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
        tables: &[AddressLookupTableAccount],
    ) -> Result<Landed, SendError> {
        let ixs = self.with_budget(ixs);
        let mut all_signers: Vec<&Keypair> = vec![payer];
        all_signers.extend(signers.iter().filter(|s| s.pubkey() != payer.pubkey()));
        let mut expiries = 0;
        loop {
            let commitment = self.config.commitment;
            let (blockhash, last_valid) = self
                .call(|rpc| rpc.get_latest_blockhash_with_commitment(commitment))
                .await
                .map_err(|e| self.rpc_error(what, e))?;
            let tx = sign(what, &ixs, &all_signers, blockhash, tables)?;
            let signature = tx.signatures[0];
            self.broadcast(what, &tx, true).await?;
            match self.await_landing(what, &tx, signature, last_valid).await? {
                Some(slot) => {
                    return Ok(Landed {
                        signature,
                        slot,
                        expiries,
                    });
                }
                None => {
                    expiries += 1;
                    if expiries > self.config.max_expiries {
                        return Err(SendError::Expired {
                            what: what.to_string(),
                            expiries,
                        });
                    }
                }
            }
        }
    }

    /// The latest blockhash at the configured commitment and the last block height it is valid
    /// through: for a transaction other parties sign too ([`Sender::send_signed`]).
    pub async fn latest_blockhash(
        &self,
        what: &str,
    ) -> Result<(solana_message::Hash, u64), SendError> {
        let commitment = self.config.commitment;
        self.call(|rpc| rpc.get_latest_blockhash_with_commitment(commitment))
            .await
            .map_err(|e| self.rpc_error(what, e))
    }

    /// Sends a transaction already signed by every signer (its blockhash valid through block
    /// height `last_valid`), and waits for the configured commitment. Signed by others, it cannot
    /// be re-signed: when its blockhash expires without it landing, that is
    /// [`SendError::Expired`] (nothing landed; the parties must sign a new one).
    pub async fn send_signed(
        &self,
        what: &str,
        tx: Transaction,
        last_valid: u64,
    ) -> Result<Landed, SendError> {
        let tx = VersionedTransaction::from(tx);
        let size = wire_size(&tx);
        if size > PACKET_DATA_SIZE {
            return Err(SendError::TooLarge {
                what: what.to_string(),
                size,
            });
        }
        let signature = tx
            .signatures
            .first()
            .copied()
            .ok_or_else(|| SendError::Build {
                what: what.to_string(),
                error: "no signature".to_string(),
            })?;
        self.broadcast(what, &tx, true).await?;
        match self.await_landing(what, &tx, signature, last_valid).await? {
            Some(slot) => Ok(Landed {
                signature,
                slot,
                expiries: 0,
            }),
            None => Err(SendError::Expired {
                what: what.to_string(),
                expiries: 1,
            }),
        }
    }

    /// Simulates `tx` without checking its signatures (it may lack some: a transaction about to
    /// be signed by other parties), at the configured commitment with its own blockhash. A
    /// refusal is [`SendError::Refused`] with the program's error and logs, as a send's preflight.
    pub async fn simulate_unsigned(&self, what: &str, tx: &Transaction) -> Result<(), SendError> {
        let config = RpcSimulateTransactionConfig {
            sig_verify: false,
            replace_recent_blockhash: false,
            commitment: Some(self.config.commitment),
            ..RpcSimulateTransactionConfig::default()
        };
        let result = self
            .call(|rpc| rpc.simulate_transaction_with_config(tx, config.clone()))
            .await
            .map_err(|e| self.rpc_error(what, e))?
            .value;
        match result.err {
            None => Ok(()),
            Some(err) => Err(SendError::Refused {
                what: what.to_string(),
                error: solana_transaction_error::TransactionError::from(err).to_string(),
                logs: result.logs.unwrap_or_default(),
            }),
        }
    }

    async fn broadcast(
        &self,
        what: &str,
        tx: &VersionedTransaction,
        preflight: bool,
    ) -> Result<(), SendError> {
        let config = RpcSendTransactionConfig {
            skip_preflight: !preflight,
            preflight_commitment: Some(self.config.commitment.commitment),
            max_retries: Some(0),
            ..RpcSendTransactionConfig::default()
        };
        match self
            .call(|rpc| rpc.send_transaction_with_config(tx, config))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match refusal(&e) {
                Some((error, logs)) => Err(SendError::Refused {
                    what: what.to_string(),
                    error,
                    logs,
                }),
                // A resend of bytes that already landed is refused as "already processed":
                // the status poll reports the landing.
                None if !preflight => Ok(()),
                None => Err(self.rpc_error(what, e)),
            },
        }
    }

    /// Polls until the signature lands (its slot), or its blockhash has expired without it
    /// landing (None).
    async fn await_landing(
        &self,
        what: &str,
        tx: &VersionedTransaction,
        signature: Signature,
        last_valid: u64,
    ) -> Result<Option<u64>, SendError> {
        let mut since_broadcast = Duration::ZERO;
        let mut expired = false;
        loop {
            tokio::time::sleep(self.config.poll).await;
            // After expiry, look with history: a signature seen once is waited on, never
            // re-signed.
            match self.status(what, signature, expired).await? {
                Seen::Landed(slot) => return Ok(Some(slot)),
                Seen::Processing if expired => continue,
                Seen::Unknown if expired => return Ok(None),
                Seen::Processing | Seen::Unknown => {}
            }
            let commitment = self.config.commitment;
            let height = self
                .call(|rpc| rpc.get_block_height_with_commitment(commitment))
                .await
                .map_err(|e| self.rpc_error(what, e))?;
            if height > last_valid {
                expired = true;
                continue;
            }
            since_broadcast += self.config.poll;
            if since_broadcast >= self.config.rebroadcast {
                since_broadcast = Duration::ZERO;
                self.broadcast(what, tx, false).await?;
            }
        }
    }

    /// What the cluster knows of the signature; an on-chain failure is an error.
    async fn status(
        &self,
        what: &str,
        signature: Signature,
        history: bool,
    ) -> Result<Seen, SendError> {
        let statuses = self
            .call(|rpc| async move {
                if history {
                    rpc.get_signature_statuses_with_history(&[signature]).await
                } else {
                    rpc.get_signature_statuses(&[signature]).await
                }
            })
            .await
            .map_err(|e| self.rpc_error(what, e))?;
        let Some(Some(status)) = statuses.value.into_iter().next() else {
            return Ok(Seen::Unknown);
        };
        if let Some(err) = status.err {
            return Err(SendError::Failed {
                what: what.to_string(),
                signature,
                error: err.to_string(),
            });
        }
        if status.satisfies_commitment(self.config.commitment) {
            Ok(Seen::Landed(status.slot))
        } else {
            Ok(Seen::Processing)
        }
    }
}

/// `ixs` signed by `signers` (the payer first) with `blockhash`: legacy without `tables`, v0
/// with them; refused when it would not fit a packet.
fn sign(
    what: &str,
    ixs: &[Instruction],
    signers: &[&Keypair],
    blockhash: solana_message::Hash,
    tables: &[AddressLookupTableAccount],
) -> Result<VersionedTransaction, SendError> {
    let build = |e: &dyn std::fmt::Display| SendError::Build {
        what: what.to_string(),
        error: e.to_string(),
    };
    let payer = signers.first().ok_or_else(|| build(&"no payer"))?.pubkey();
    let tx = if tables.is_empty() {
        let mut tx = Transaction::new_with_payer(ixs, Some(&payer));
        tx.try_sign(signers, blockhash).map_err(|e| build(&e))?;
        VersionedTransaction::from(tx)
    } else {
        let message =
            v0::Message::try_compile(&payer, ixs, tables, blockhash).map_err(|e| build(&e))?;
        VersionedTransaction::try_new(VersionedMessage::V0(message), signers)
            .map_err(|e| build(&e))?
    };
    let size = wire_size(&tx);
    if size > PACKET_DATA_SIZE {
        return Err(SendError::TooLarge {
            what: what.to_string(),
            size,
        });
    }
    Ok(tx)
}

/// A signature's status as the sender polls it.
enum Seen {
    /// Reached the configured commitment in this slot.
    Landed(u64),
    /// In a block, not yet at the commitment.
    Processing,
    /// Not seen.
    Unknown,
}

/// A failure of the connection or of the node, not an answer: worth asking another URL.
fn is_transport(e: &ClientError) -> bool {
    match e.kind() {
        ClientErrorKind::Io(_) | ClientErrorKind::Reqwest(_) | ClientErrorKind::Middleware(_) => {
            true
        }
        ClientErrorKind::RpcError(RpcError::RpcRequestError(_)) => true,
        ClientErrorKind::RpcError(RpcError::RpcResponseError { data, .. }) => {
            matches!(data, RpcResponseErrorData::NodeUnhealthy { .. })
        }
        _ => false,
    }
}

/// A preflight refusal: the transaction error and the simulation's logs.
fn refusal(e: &ClientError) -> Option<(String, Vec<String>)> {
    match e.kind() {
        ClientErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(result),
            message,
            ..
        }) => {
            let error = result.err.as_ref().map_or_else(
                || message.clone(),
                |err| solana_transaction_error::TransactionError::from(err.clone()).to_string(),
            );
            Some((error, result.logs.clone().unwrap_or_default()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anchor_error_line_is_the_one_shown() {
        let logs = vec![
            "Program 5yru... invoke [1]".to_string(),
            "Program log: AnchorError caused by account: upgrade_authority. Error Code: \
             NotUpgradeAuthority. Error Number: 6001. Error Message: only the upgrade authority."
                .to_string(),
            "Program 5yru... failed: custom program error: 0x1771".to_string(),
        ];
        assert_eq!(
            anchor_line(&logs),
            "\n  Program log: AnchorError caused by account: upgrade_authority. Error Code: \
             NotUpgradeAuthority. Error Number: 6001. Error Message: only the upgrade authority."
        );
        assert_eq!(anchor_line(&logs[2..]), format!("\n  {}", logs[2]));
        assert_eq!(anchor_line(&[]), "");
    }

    #[test]
    fn budget_instructions_go_first_only_when_asked() {
        let ix = Instruction {
            program_id: solana_pubkey::Pubkey::new_unique(),
            accounts: vec![],
            data: vec![7],
        };
        let plain = Sender::new("http://127.0.0.1:1", SendConfig::default());
        assert_eq!(
            plain.with_budget(std::slice::from_ref(&ix)),
            vec![ix.clone()]
        );
        let paid = Sender::new(
            "http://127.0.0.1:1",
            SendConfig {
                cu_price_micro_lamports: 1_000,
                cu_limit: Some(200_000),
                ..SendConfig::default()
            },
        );
        let all = paid.with_budget(std::slice::from_ref(&ix));
        assert_eq!(all.len(), 3);
        assert_eq!(
            all[0].data,
            [&[2u8][..], &200_000u32.to_le_bytes()].concat()
        );
        assert_eq!(all[1].data, [&[3u8][..], &1_000u64.to_le_bytes()].concat());
        assert_eq!(all[2], ix);
    }
}
