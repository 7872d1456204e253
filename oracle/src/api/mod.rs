//! The rewards API (docs/api.md): what a wallet's devices earned and why, what it may claim now
//! with the proof to claim it, and where each epoch stands, read-only beside the ingest.
//!
//! ```text
//! GET /v1/wallets/{wallet}           summary against the latest final root: devices of its
//!                                    last epoch, cumulative, claimed (chain), claimable, proof
//! GET /v1/wallets/{wallet}/rewards   ?limit=1..1000 (100) &cursor=<epoch>:<device>: the
//!                                    wallet's per-epoch device rows, newest epoch first
//! GET /v1/epochs/{n}                 a published epoch: root, totals, files, chain status
//! GET /v1/cells/{cell}               an H3 cell's outline (GeoJSON), for maps
//! GET /v1/openapi.json               this API's OpenAPI 3.1 document
//! ```
//!
//! The JSON shapes live in `depin_formats::api`; amounts are decimal strings. Answers are
//! `Cache-Control: public, max-age=2` (the network account is read at most every 2 s, the claim
//! records in bulk by the claim index, [`claims`]); every route
//! answers any origin (CORS, GET only). A refusal is a 4xx (or 503) with
//! `{"error": reason, "detail": ...}`, every reason listed in [`API_REASONS`].

mod cells;
mod chain;
mod claims;
mod state;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use depin_formats::api::{
    ChainStatus, DeviceReward, EpochFile, EpochSummary, FinalRoot as FinalView, Leaf, ProofStep,
    RewardsPage, WalletSummary, parse_reasons,
};
use depin_formats::keys::Pubkey;
use depin_formats::transparency::{MANIFEST_HASH, MANIFEST_JSON, Manifest};
use serde::Serialize;

pub use cells::{CELL_CACHE, cell_feature};
pub use chain::{ApiChain, CLAIM_RECORDS_TIMEOUT, ChainRead, RpcChain, parse_claim_records};
pub use claims::{
    CLAIMS_BACKOFF_MAX, CLAIMS_EVERY, CLAIMS_MAX_AGE, CLAIMS_QUIET_AFTER, CLAIMS_QUIET_EVERY,
    CLAIMS_QUIET_FRESH, ClaimEntry, ClaimIndex, Claims, READ_SHARE, record_address,
};
pub use state::{ApiState, CHAIN_TTL, NETWORK_RETRY, NETWORK_STALE, Snapshot};

use crate::ingest::Rejection;
use crate::store::rewards::OwnerRow;

/// `Cache-Control` of every answer.
pub const CACHE: &str = "public, max-age=2";
/// Rows per page by default, and at most.
pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;
/// The OpenAPI document, served as is.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every reason these routes answer with, and its status.
pub const API_REASONS: [(&str, u16); 10] = [
    ("bad_wallet", 400),
    ("bad_cell", 400),
    ("bad_limit", 400),
    ("bad_cursor", 400),
    ("bad_epoch", 400),
    ("epoch_not_found", 404),
    ("chain_unavailable", 503),
    ("final_epoch_unavailable", 503),
    ("index_unavailable", 503),
    ("files_unavailable", 503),
];

/// The API's routes over `state`.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/v1/wallets/{wallet}", get(summary))
        .route("/v1/wallets/{wallet}/rewards", get(rewards_page))
        .route("/v1/epochs/{n}", get(epoch))
        .route("/v1/cells/{cell}", get(cells::cell))
        .route("/v1/openapi.json", get(openapi))
        .with_state(state)
}

fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, CACHE),
            ],
            body,
        )
            .into_response(),
        Err(e) => Rejection::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            .into_response(),
    }
}

fn answer<T: Serialize>(result: Result<T, Rejection>) -> Response {
    match result {
        Ok(value) => json(&value),
        Err(rejection) => rejection.into_response(),
    }
}

async fn openapi() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, CACHE),
        ],
        OPENAPI,
    )
        .into_response()
}

fn bad(reason: &'static str, detail: String) -> Rejection {
    Rejection::new(StatusCode::BAD_REQUEST, reason, detail)
}

fn wallet_of(text: &str) -> Result<Pubkey, Rejection> {
    text.parse().map_err(|_| {
        bad(
            "bad_wallet",
            format!("{text:?} is not a base58 32-byte key"),
        )
    })
}

fn device_reward(row: OwnerRow, final_epochs: u64) -> DeviceReward {
    DeviceReward {
        epoch: row.epoch,
        device: row.device.to_string(),
        score: row.score,
        reward: row.reward,
        reasons: parse_reasons(&row.reasons),
        is_final: row.epoch < final_epochs,
    }
}

fn final_view(fin: &rewards::state::FinalRoot) -> FinalView {
    FinalView {
        epoch: fin.epochs.saturating_sub(1),
        epochs: fin.epochs,
        root: hex::encode(fin.root),
        total: fin.total,
        leaves: fin.leaves,
        manifest_hash: hex::encode(fin.manifest_hash),
    }
}

fn store_failed(e: &crate::store::StoreError) -> Rejection {
    tracing::error!(error = %e, "rewards api: store");
    Rejection::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "index_unavailable",
        "the store failed; retry later",
    )
}

async fn summary(State(api): State<Arc<ApiState>>, UrlPath(wallet): UrlPath<String>) -> Response {
    answer(wallet_summary(&api, &wallet).await)
}

/// `GET /v1/wallets/{wallet}`.
///
/// # Errors
///
/// `bad_wallet`, `chain_unavailable`, `final_epoch_unavailable`, `index_unavailable`.
pub async fn wallet_summary(api: &ApiState, wallet: &str) -> Result<WalletSummary, Rejection> {
    let wallet = wallet_of(wallet)?;
    let network = api.network().await?;
    let fin = network.final_root;
    let mut summary = WalletSummary {
        wallet: wallet.to_string(),
        final_root: None,
        cumulative: 0,
        claimed: 0,
        claimable: 0,
        leaf: None,
        devices: Vec::new(),
    };
    if fin.epochs == 0 {
        return Ok(summary);
    }
    let snapshot = api.snapshot(&fin).await?;
    summary.final_root = Some(final_view(&fin));
    // A wallet without a leaf has claimed nothing (leaves are never removed), so only a
    // wallet with one is looked up (in the claim index, or on chain without a fresh one).
    if let Some((index, row, proof)) = snapshot.leaf(&wallet) {
        let claimed = api.claimed(&wallet).await?;
        summary.claimed = claimed;
        summary.cumulative = row.cumulative;
        summary.claimable = row.cumulative.saturating_sub(claimed);
        summary.leaf = Some(Leaf {
            index: depin_formats::count_u64(index),
            cumulative: row.cumulative,
            proof: proof
                .siblings
                .iter()
                .map(|s| ProofStep {
                    hash: hex::encode(s.node.hash),
                    sum: s.node.sum,
                    is_left: s.is_left,
                })
                .collect(),
        });
    }
    let rows = api
        .store
        .owner_rewards_at(&wallet, fin.epochs - 1)
        .await
        .map_err(|e| store_failed(&e))?;
    summary.devices = rows
        .into_iter()
        .map(|r| device_reward(r, fin.epochs))
        .collect();
    Ok(summary)
}

async fn rewards_page(
    State(api): State<Arc<ApiState>>,
    UrlPath(wallet): UrlPath<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    answer(wallet_rewards(&api, &wallet, &query).await)
}

/// `limit` and `cursor` of a rewards page.
fn page_args(query: &[(String, String)]) -> Result<(u32, Option<(u64, Pubkey)>), Rejection> {
    let mut limit = DEFAULT_LIMIT;
    let mut after = None;
    for (name, value) in query {
        match name.as_str() {
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| {
                        bad(
                            "bad_limit",
                            format!("limit {value:?} is not an integer in 1..={MAX_LIMIT}"),
                        )
                    })?;
            }
            "cursor" => after = Some(cursor_of(value)?),
            _ => {}
        }
    }
    Ok((limit, after))
}

fn cursor_of(text: &str) -> Result<(u64, Pubkey), Rejection> {
    let refused = || {
        bad(
            "bad_cursor",
            format!("cursor {text:?} is not <epoch>:<device> as a page's `next` gives it"),
        )
    };
    let (epoch, device) = text.split_once(':').ok_or_else(refused)?;
    let epoch = crate::ingest::epochs::parse_epoch(epoch)
        .filter(|&e| i64::try_from(e).is_ok())
        .ok_or_else(refused)?;
    Ok((epoch, device.parse().map_err(|_| refused())?))
}

/// `GET /v1/wallets/{wallet}/rewards`, over the epochs indexed so far (`oracle serve` indexes
/// each new one within [`state::INDEX_EVERY`]). Rows are marked final against the chain's
/// final root when it can be read, and not final otherwise.
///
/// # Errors
///
/// `bad_wallet`, `bad_limit`, `bad_cursor`, `index_unavailable`.
pub async fn wallet_rewards(
    api: &ApiState,
    wallet: &str,
    query: &[(String, String)],
) -> Result<RewardsPage, Rejection> {
    let wallet = wallet_of(wallet)?;
    let (limit, after) = page_args(query)?;
    let final_epochs = api.network().await.map_or(0, |n| n.final_root.epochs);
    let mut rows = api
        .store
        .owner_rewards(&wallet, after, limit.saturating_add(1))
        .await
        .map_err(|e| store_failed(&e))?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = more
        .then(|| rows.last().map(|r| format!("{}:{}", r.epoch, r.device)))
        .flatten();
    Ok(RewardsPage {
        wallet: wallet.to_string(),
        rows: rows
            .into_iter()
            .map(|r| device_reward(r, final_epochs))
            .collect(),
        next,
    })
}

async fn epoch(State(api): State<Arc<ApiState>>, UrlPath(n): UrlPath<String>) -> Response {
    answer(epoch_summary(&api, &n).await)
}

/// `GET /v1/epochs/{n}`.
///
/// # Errors
///
/// `bad_epoch`, `epoch_not_found`, `files_unavailable`.
pub async fn epoch_summary(api: &ApiState, n: &str) -> Result<EpochSummary, Rejection> {
    let epoch = crate::ingest::epochs::parse_epoch(n).ok_or_else(|| {
        bad(
            "bad_epoch",
            format!("epoch {n:?} is not a canonical decimal u64"),
        )
    })?;
    let dir = api.files.epoch_dir(epoch);
    if !tokio::fs::try_exists(&dir).await.unwrap_or(false) {
        return Err(Rejection::new(
            StatusCode::NOT_FOUND,
            "epoch_not_found",
            format!("epoch {epoch} is not published here"),
        ));
    }
    let read = tokio::task::spawn_blocking(move || {
        let manifest = std::fs::read(dir.join(MANIFEST_JSON)).map_err(|e| e.to_string())?;
        let hash = std::fs::read_to_string(dir.join(MANIFEST_HASH)).map_err(|e| e.to_string())?;
        let manifest = serde_json::from_slice::<Manifest>(&manifest).map_err(|e| e.to_string())?;
        Ok::<_, String>((manifest, hash))
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    let (m, hash) = read.map_err(|detail| {
        tracing::error!(epoch, %detail, "rewards api: a published manifest is unreadable");
        Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "files_unavailable",
            format!("epoch {epoch}'s manifest could not be read; retry later"),
        )
    })?;
    let hash = hash.trim().to_owned();
    let chain = api
        .network()
        .await
        .ok()
        .map(|n| chain_status(&n.final_root, epoch, &m, &hash));
    let url = |name: &str| format!("/v1/epochs/{epoch}/{name}");
    let mut files: Vec<EpochFile> = m
        .outputs
        .iter()
        .chain(&m.inputs)
        .map(|(name, sha256)| EpochFile {
            name: name.clone(),
            sha256: sha256.clone(),
            url: url(name),
        })
        .collect();
    files.push(EpochFile {
        name: MANIFEST_JSON.to_owned(),
        sha256: hash.clone(),
        url: url(MANIFEST_JSON),
    });
    Ok(EpochSummary {
        epoch,
        root: m.root.as_ref().map(|r| r.hash.clone()),
        root_sum: m.root.as_ref().map_or(0, |r| r.sum),
        leaves: m.root.as_ref().map_or(0, |r| r.leaves),
        manifest_hash: hash,
        budget: m.budget,
        distributed: m.distributed,
        devices: m.devices,
        wallets: m.wallets,
        window_start: m.window.start,
        window_end: m.window.end,
        files,
        chain,
    })
}

/// Where epoch `epoch` (published here as `m`, manifest hash `hash`) stands against `fin`.
fn chain_status(
    fin: &rewards::state::FinalRoot,
    epoch: u64,
    m: &Manifest,
    hash: &str,
) -> ChainStatus {
    if epoch.saturating_add(1) < fin.epochs {
        return ChainStatus::Superseded;
    }
    if epoch.saturating_add(1) > fin.epochs {
        return ChainStatus::Pending;
    }
    // No root (no wallet has earned) is the zero root with sum 0 on chain.
    let ours = m
        .root
        .as_ref()
        .map_or_else(|| (hex::encode([0u8; 32]), 0), |r| (r.hash.clone(), r.sum));
    let theirs = (hex::encode(fin.root), fin.total);
    if ours == theirs && hex::encode(fin.manifest_hash) == hash {
        ChainStatus::Final
    } else {
        ChainStatus::Disagrees
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn pages_take_a_bounded_limit_and_a_cursor_from_next() {
        assert_eq!(page_args(&[]).unwrap(), (DEFAULT_LIMIT, None));
        let device = Pubkey([7; 32]);
        let cursor = format!("12:{device}");
        assert_eq!(
            page_args(&q(&[("limit", "1000"), ("cursor", &cursor)])).unwrap(),
            (1000, Some((12, device)))
        );
        for limit in ["0", "1001", "-1", "x", ""] {
            let e = page_args(&q(&[("limit", limit)])).unwrap_err();
            assert_eq!((e.status.as_u16(), e.reason), (400, "bad_limit"), "{limit}");
        }
        for cursor in ["12", "012:x", "12:", &format!("x:{device}"), "1:abc"] {
            let e = page_args(&q(&[("cursor", cursor)])).unwrap_err();
            assert_eq!(
                (e.status.as_u16(), e.reason),
                (400, "bad_cursor"),
                "{cursor}"
            );
        }
    }

    #[test]
    fn the_openapi_document_names_every_route_and_reason() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        for path in [
            "/v1/wallets/{wallet}",
            "/v1/wallets/{wallet}/rewards",
            "/v1/epochs/{n}",
            "/v1/epochs/{n}/{file}",
            "/v1/epochs",
            "/v1/cells/{cell}",
            "/v1/openapi.json",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        for (reason, _) in API_REASONS {
            assert!(OPENAPI.contains(&format!("\"{reason}\"")), "{reason}");
        }
    }
}
