//! The published epochs, served read-only: anyone (a watcher, an auditor, a wallet) fetches an
//! oracle's transparency files over HTTP and checks them against the root it voted.
//!
//! ```text
//! GET /v1/epochs                  {"epochs": [0, 1, ...]}   every <data_dir>/epochs/epoch-<n>/
//! GET /v1/epochs/{n}/{file}       the file's bytes, Cache-Control: immutable
//!     file ∈ manifest.json, manifest_hash, wallets.csv, devices.csv      (epochs/epoch-<n>/)
//!          ∈ params.json, registry.csv, reports.jsonl, previous_wallets.csv
//!                                                                  (epoch-inputs/epoch-<n>/)
//! GET /v1/report-sets/{n}/{hash}  a report set this oracle holds (its own or a peer's), by the
//!                                 sha256 of its bytes (docs/oracle-agreement.md); immutable
//! ```
//!
//! An epoch directory is renamed into place only when complete and never changes afterwards
//! (`epoch::publish`), so its files are served as immutable. The inputs are served only for a
//! published epoch. `n` is a canonical decimal u64 and `file` one of the names above exactly;
//! anything else is 400, a missing epoch or file 404, each with a machine-readable reason.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use depin_formats::transparency::{
    DEVICES_CSV, EPOCHS_DIR, MANIFEST_HASH, MANIFEST_JSON, PARAMS_JSON, PREVIOUS_WALLETS_CSV,
    REGISTRY_CSV, REPORTS_JSONL, WALLETS_CSV, epoch_dir_name,
};
use serde::Serialize;

use super::Rejection;
use crate::epoch::publish::INPUTS_DIR;

/// `Cache-Control` of a published file: it never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Bytes read from disk per chunk of a streamed file.
const CHUNK: usize = 64 * 1024;

/// Every reason these routes answer with, and its status.
pub const EPOCH_REASONS: [(&str, u16); 7] = [
    ("bad_epoch", 400),
    ("bad_file", 400),
    ("bad_hash", 400),
    ("set_not_found", 404),
    ("epoch_not_found", 404),
    ("file_not_found", 404),
    ("files_unavailable", 503),
];

/// Where a file of an epoch lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// `<data_dir>/epochs/epoch-<n>/`.
    Epoch,
    /// `<data_dir>/epoch-inputs/epoch-<n>/`.
    Inputs,
}

/// The files that may be served, where each lives and its content type.
const FILES: [(&str, Place, &str); 8] = [
    (MANIFEST_JSON, Place::Epoch, "application/json"),
    (MANIFEST_HASH, Place::Epoch, "text/plain; charset=utf-8"),
    (WALLETS_CSV, Place::Epoch, "text/csv; charset=utf-8"),
    (DEVICES_CSV, Place::Epoch, "text/csv; charset=utf-8"),
    (PARAMS_JSON, Place::Inputs, "application/json"),
    (REGISTRY_CSV, Place::Inputs, "text/csv; charset=utf-8"),
    (REPORTS_JSONL, Place::Inputs, "application/jsonl"),
    (
        PREVIOUS_WALLETS_CSV,
        Place::Inputs,
        "text/csv; charset=utf-8",
    ),
];

/// An oracle's published epochs on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochFiles {
    epochs: PathBuf,
    inputs: PathBuf,
    sets: crate::agree::SetStore,
}

impl EpochFiles {
    /// The epochs under `data_dir` (`epochs/` and `epoch-inputs/`).
    #[must_use]
    pub fn new(data_dir: &Path) -> Self {
        Self {
            epochs: data_dir.join(EPOCHS_DIR),
            inputs: data_dir.join(INPUTS_DIR),
            sets: crate::agree::SetStore::new(data_dir),
        }
    }

    /// `<data_dir>/epochs/epoch-<n>/`.
    #[must_use]
    pub fn epoch_dir(&self, epoch: u64) -> PathBuf {
        self.epochs.join(epoch_dir_name(epoch))
    }

    /// The published epoch numbers, ascending: every `epoch-<n>` directory (`n` canonical).
    ///
    /// # Errors
    ///
    /// The epochs directory exists but cannot be read.
    pub fn published(&self) -> std::io::Result<Vec<u64>> {
        let entries = match std::fs::read_dir(&self.epochs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut epochs = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(n) = name.to_str().and_then(|s| s.strip_prefix("epoch-")) else {
                continue;
            };
            if let Some(n) = parse_epoch(n).filter(|_| entry.path().is_dir()) {
                epochs.push(n);
            }
        }
        epochs.sort_unstable();
        Ok(epochs)
    }

    /// The path of `file` of epoch `n`, after checking the epoch is published.
    fn locate(&self, epoch: u64, file: &str) -> Result<(PathBuf, &'static str), Rejection> {
        let (name, place, content_type) = FILES
            .iter()
            .find(|(name, _, _)| *name == file)
            .copied()
            .ok_or_else(|| {
                let names: Vec<&str> = FILES.iter().map(|(n, _, _)| *n).collect();
                Rejection::new(
                    StatusCode::BAD_REQUEST,
                    "bad_file",
                    format!("file {file:?} is not one of {}", names.join(", ")),
                )
            })?;
        let dir = self.epoch_dir(epoch);
        if !dir.is_dir() {
            return Err(Rejection::new(
                StatusCode::NOT_FOUND,
                "epoch_not_found",
                format!("epoch {epoch} is not published here"),
            ));
        }
        let path = match place {
            Place::Epoch => dir.join(name),
            Place::Inputs => self.inputs.join(epoch_dir_name(epoch)).join(name),
        };
        Ok((path, content_type))
    }
}

/// A canonical decimal u64: ASCII digits, no sign, no leading zero (but "0").
pub(crate) fn parse_epoch(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// The read-only routes over `files`.
pub fn router(files: EpochFiles) -> Router {
    Router::new()
        .route("/v1/epochs", get(list))
        .route("/v1/epochs/{n}/{file}", get(file))
        .route("/v1/report-sets/{n}/{hash}", get(report_set))
        .with_state(files)
}

#[derive(Serialize)]
struct Listing {
    epochs: Vec<u64>,
}

fn unavailable(detail: String) -> Rejection {
    tracing::error!(%detail, "serving the published epochs failed");
    Rejection::new(StatusCode::SERVICE_UNAVAILABLE, "files_unavailable", detail)
}

async fn list(State(files): State<EpochFiles>) -> Response {
    let listed = tokio::task::spawn_blocking(move || files.published()).await;
    match listed {
        Ok(Ok(epochs)) => {
            let body = serde_json::to_vec(&Listing { epochs }).unwrap_or_default();
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                body,
            )
                .into_response()
        }
        Ok(Err(e)) => unavailable(format!("reading the epochs directory: {e}")).into_response(),
        Err(e) => unavailable(format!("listing task failed: {e}")).into_response(),
    }
}

async fn file(
    State(files): State<EpochFiles>,
    UrlPath((n, name)): UrlPath<(String, String)>,
) -> Response {
    match serve_file(&files, &n, &name).await {
        Ok(response) => response,
        Err(rejection) => {
            tracing::debug!(reason = rejection.reason, detail = %rejection.detail, "refused");
            rejection.into_response()
        }
    }
}

fn epoch_of(n: &str) -> Result<u64, Rejection> {
    parse_epoch(n).ok_or_else(|| {
        Rejection::new(
            StatusCode::BAD_REQUEST,
            "bad_epoch",
            format!("epoch {n:?} is not a canonical decimal u64"),
        )
    })
}

async fn serve_file(files: &EpochFiles, n: &str, name: &str) -> Result<Response, Rejection> {
    let epoch = epoch_of(n)?;
    let (path, content_type) = files.locate(epoch, name)?;
    let (file, len) = open(path.clone()).await?.ok_or_else(|| {
        Rejection::new(
            StatusCode::NOT_FOUND,
            "file_not_found",
            format!("epoch {epoch} has no {name} here"),
        )
    })?;
    Ok(immutable(file, len, content_type))
}

async fn report_set(
    State(files): State<EpochFiles>,
    UrlPath((n, hash)): UrlPath<(String, String)>,
) -> Response {
    let served = async {
        let epoch = epoch_of(&n)?;
        let path = files.sets.path_of_hex(epoch, &hash).ok_or_else(|| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                "bad_hash",
                format!("{hash:?} is not a sha256 in 64 lowercase hex digits"),
            )
        })?;
        let withheld = withheld_by_failpoint(epoch);
        let opened = if withheld { None } else { open(path).await? };
        let (file, len) = opened.ok_or_else(|| {
            Rejection::new(
                StatusCode::NOT_FOUND,
                "set_not_found",
                format!("no report set {hash} of epoch {epoch} here"),
            )
        })?;
        Ok::<_, Rejection>(immutable(file, len, "application/jsonl"))
    };
    served.await.unwrap_or_else(|rejection| {
        tracing::debug!(reason = rejection.reason, detail = %rejection.detail, "refused");
        rejection.into_response()
    })
}

/// The test-only failpoint `DEPIN_ORACLE_WITHHOLD_SETS_FROM=<n>` (a `test-failpoints` build):
/// this oracle serves no report set of epoch `n` or later, as a lying oracle that commits and
/// withholds would (tests/agreement_localnet.rs).
#[cfg(feature = "test-failpoints")]
fn withheld_by_failpoint(epoch: u64) -> bool {
    std::env::var("DEPIN_ORACLE_WITHHOLD_SETS_FROM")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|from| epoch >= from)
}

#[cfg(not(feature = "test-failpoints"))]
const fn withheld_by_failpoint(_epoch: u64) -> bool {
    false
}

/// A file that never changes, streamed.
fn immutable(file: std::fs::File, len: u64, content_type: &'static str) -> Response {
    let mut response = Body::from_stream(stream(file)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    response
}

/// Opens a regular file and returns it with its length; `None` if there is none.
async fn open(path: PathBuf) -> Result<Option<(std::fs::File, u64)>, Rejection> {
    let opened = tokio::task::spawn_blocking(move || {
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let meta = file
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(meta.is_file().then_some((file, meta.len())))
    })
    .await
    .map_err(|e| unavailable(format!("file task failed: {e}")))?;
    opened.map_err(unavailable)
}

/// The file's bytes in chunks, read as the client takes them. Each read is a short blocking
/// task (tokio's file), so a client that stops reading holds no thread: a few hundred such
/// clients must not fill the blocking pool the verifier and the epoch task use.
fn stream(file: std::fs::File) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send {
    let file = Some(tokio::fs::File::from_std(file));
    futures_util::stream::unfold(file, |file| async move {
        let mut file = file?;
        let mut chunk = vec![0u8; CHUNK];
        match tokio::io::AsyncReadExt::read(&mut file, &mut chunk).await {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok(Bytes::from(chunk)), Some(file)))
            }
            // The error ends the stream.
            Err(e) => Some((Err(e), None)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_decimal_epochs_parse() {
        assert_eq!(parse_epoch("0"), Some(0));
        assert_eq!(parse_epoch("17"), Some(17));
        assert_eq!(parse_epoch("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "00",
            "017",
            "+1",
            "-1",
            "1.0",
            " 1",
            "0x10",
            "18446744073709551616",
            "١",
        ] {
            assert_eq!(parse_epoch(bad), None, "{bad:?}");
        }
    }
}
