//! Where the watcher gets an epoch's tree: its own published files first
//! (`<data_dir>/epochs/epoch-<n>/wallets.csv`), then each peer's
//! (`GET <peer>/v1/epochs/<n>/wallets.csv`, `ingest::epochs`), keeping the first whose rows
//! rebuild the tuple the proposal commits to. Rows that rebuild another tuple are no evidence
//! of anything (anyone can write a file); they are reported and skipped.

use std::time::Duration;

use depin_formats::transparency::WALLETS_CSV;

use super::evidence::{EvidenceError, KnownTree, Tuple, parse_rows};
use crate::ingest::epochs::EpochFiles;

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
}

impl Sources {
    /// `own` (this oracle's data directory) and the peers' base URLs, fetched with `timeout`.
    ///
    /// # Errors
    ///
    /// The HTTP client cannot be built (no TLS backend).
    pub fn new(own: EpochFiles, peers: Vec<String>, timeout: Duration) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        let peers = peers
            .into_iter()
            .map(|p| p.trim_end_matches('/').to_owned())
            .collect();
        Ok(Self { own, peers, client })
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
        for peer in &self.peers {
            let found = match self.peer_bytes(peer, epoch).await {
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

    async fn peer_bytes(&self, peer: &str, epoch: u64) -> Result<Vec<u8>, String> {
        let url = format!("{peer}/v1/epochs/{epoch}/{WALLETS_CSV}");
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        Ok(bytes.to_vec())
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
