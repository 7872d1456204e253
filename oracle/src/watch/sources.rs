//! Where the watcher gets an epoch's tree: its own published files first
//! (`<data_dir>/epochs/epoch-<n>/wallets.csv`), then each peer's
//! (`GET <peer>/v1/epochs/<n>/wallets.csv`, `ingest::epochs`), keeping the first whose rows
//! rebuild the tuple the proposal commits to. Rows that rebuild another tuple are no evidence
//! of anything (anyone can write a file); they are reported and skipped.

use std::time::Duration;

use depin_formats::transparency::{WALLETS_CSV, WALLETS_HEADER};

use super::evidence::{EvidenceError, KnownTree, Tuple, parse_rows};
use crate::ingest::epochs::EpochFiles;

/// The longest wallets.csv row: a 44-character base58 key, three 20-digit amounts, three commas
/// and the newline.
pub const MAX_ROW_BYTES: u64 = 44 + 3 * 20 + 3 + 1;

/// Why no source had the tree: what each one answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no source has epoch {epoch}'s tree {expected}: {}", .tried.join("; "))]
pub struct Unavailable {
    pub epoch: u64,
    pub expected: Tuple,
    pub tried: Vec<String>,
}

/// This oracle's published epochs and its peers'.
pub struct Sources {
    own: EpochFiles,
    peers: Vec<String>,
    client: reqwest::Client,
    max_bytes: u64,
}

impl Sources {
    /// `own` (this oracle's data directory) and the peers' base URLs, fetched with `timeout`,
    /// at most `max_bytes` a file.
    ///
    /// # Errors
    ///
    /// The HTTP client cannot be built (no TLS backend).
    pub fn new(
        own: EpochFiles,
        peers: Vec<String>,
        timeout: Duration,
        max_bytes: u64,
    ) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        let peers = peers
            .into_iter()
            .map(|p| p.trim_end_matches('/').to_owned())
            .collect();
        Ok(Self {
            own,
            peers,
            client,
            max_bytes,
        })
    }

    /// Epoch `epoch`'s tree, from the first source whose wallets.csv rebuilds `expected` (the
    /// empty tree needs no source).
    ///
    /// # Errors
    ///
    /// [`Unavailable`], with each source's answer.
    pub async fn tree(&self, epoch: u64, expected: Tuple) -> Result<KnownTree, Unavailable> {
        if expected == Tuple::EMPTY {
            return KnownTree::new(Vec::new()).map_err(|e| Unavailable {
                epoch,
                expected,
                tried: vec![e.to_string()],
            });
        }
        let mut tried = Vec::new();
        match self.own_bytes(epoch).await {
            Ok(Some(bytes)) => match rebuild(bytes, Some(expected)).await {
                Ok(tree) => return Ok(tree),
                Err(e) => tried.push(format!("own files: {e}")),
            },
            Ok(None) => tried.push("own files: not published".to_owned()),
            Err(e) => tried.push(format!("own files: {e}")),
        }
        // A wallets.csv of `leaves` rows is at most this long: more is refused unread.
        let longest =
            WALLETS_HEADER.len() as u64 + 1 + expected.leaves.saturating_mul(MAX_ROW_BYTES);
        let max_bytes = self.max_bytes.min(longest);
        for peer in &self.peers {
            let found = match self.peer_bytes(peer, epoch, max_bytes).await {
                Ok(bytes) => rebuild(bytes, Some(expected)).await,
                Err(e) => Err(e),
            };
            match found {
                Ok(tree) => {
                    tracing::debug!(epoch, %peer, "tree fetched from a peer");
                    return Ok(tree);
                }
                Err(e) => tried.push(format!("{peer}: {e}")),
            }
        }
        Err(Unavailable {
            epoch,
            expected,
            tried,
        })
    }

    /// This oracle's own published tree of `epoch`, whatever it commits to; `None` if it did
    /// not publish the epoch or its files cannot be read.
    pub async fn own_tree(&self, epoch: u64) -> Option<KnownTree> {
        let bytes = self.own_bytes(epoch).await.ok()??;
        rebuild(bytes, None).await.ok()
    }

    async fn own_bytes(&self, epoch: u64) -> Result<Option<Vec<u8>>, String> {
        let path = self.own.epoch_dir(epoch).join(WALLETS_CSV);
        let read = tokio::task::spawn_blocking(move || match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        });
        read.await.map_err(|e| e.to_string())?
    }

    async fn peer_bytes(&self, peer: &str, epoch: u64, max_bytes: u64) -> Result<Vec<u8>, String> {
        let url = format!("{peer}/v1/epochs/{epoch}/{WALLETS_CSV}");
        let mut response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        let too_large = || {
            format!("longer than {max_bytes} bytes (its root's leaves, or watch.max_file_bytes)")
        };
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            if depin_formats::count_u64(bytes.len() + chunk.len()) > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

/// Parses and rebuilds wallets.csv on a blocking thread (a large tree is seconds of hashing),
/// checked against `expected` when given.
async fn rebuild(bytes: Vec<u8>, expected: Option<Tuple>) -> Result<KnownTree, String> {
    let built = tokio::task::spawn_blocking(move || -> Result<KnownTree, EvidenceError> {
        let rows = parse_rows(&bytes)?;
        match expected {
            Some(expected) => KnownTree::checked(rows, expected),
            None => KnownTree::new(rows),
        }
    });
    match built.await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(format!("rebuilding task failed: {e}")),
    }
}
