//! The `epoch run` input directory (formats in `docs/transparency.md`, "Inputs"):
//!
//! ```text
//! params.json            EpochConfig: epoch, budget = emission + carried, emission_schedule,
//!                        window, customers, optional scoring (the amounts are checked against
//!                        the schedule and previous_wallets.csv by the engine: budget::check)
//! registry.csv           device,owner,maker,location,kind,status
//! reports.jsonl          one JSON signed report per line
//! previous_wallets.csv   optional: the previous epoch's wallets.csv, byte for byte: its rows'
//!                        order is the leaf order the new wallets.csv keeps
//! ```
//!
//! Reports are decoded and their device signatures batch-verified here; a report that fails is
//! counted under its reason (it reaches neither the verifiers nor devices.csv, as its device key
//! is unproven). Malformed registry or params files are hard errors. The file names are
//! `depin_formats::transparency`'s (the manifest lists each file's sha256 under its name); the
//! registry file is read by `registry::file`.

use std::collections::BTreeMap;
use std::fs;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use depin_formats::keys::Pubkey;
use depin_formats::params::EpochConfig;
use depin_formats::report::{KeyCache, Report, SignedReport, verify_batch_cached};
use depin_formats::transparency::{
    PARAMS_JSON, PREVIOUS_WALLETS_CSV, REGISTRY_CSV, REPORTS_JSONL, TransparencyError,
    parse_wallets_csv, sha256_hex,
};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::EpochReports;
use crate::registry::Registry;
use crate::registry::file::{RegistryFileError, parse_registry};

/// Reports verified per signature batch. A batch is one multiscalar multiplication whose cost
/// per signature falls as the batch grows: on one core, batches of 1,024 verify about 20%
/// more reports per second than batches of 256 (`cargo bench -p depin-oracle --bench ingest`,
/// the `batches of` rows).
pub const BATCH: usize = 1024;

/// A bad input file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("params.json: {0}")]
    Params(String),
    #[error(transparent)]
    Registry(#[from] RegistryFileError),
    #[error("previous_wallets.csv: {0}")]
    Previous(#[from] TransparencyError),
}

/// Everything `epoch run` needs, loaded and checked.
#[derive(Debug)]
pub struct Inputs {
    pub config: EpochConfig,
    pub registry: Registry,
    pub reports: EpochReports,
    /// previous_wallets.csv's `(wallet, cumulative)`, in its row order (the leaf index order);
    /// empty without the file.
    pub previous: Vec<(Pubkey, u64)>,
    /// Reports refused before scoring, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Input file name → sha256 hex (of the exact bytes read).
    pub hashes: BTreeMap<String, String>,
}

fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    fs::read(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses params.json.
///
/// # Errors
///
/// Syntax, unknown fields, an invalid emission schedule, window or scoring parameters.
pub fn parse_params(bytes: &[u8]) -> Result<EpochConfig, InputError> {
    let config: EpochConfig =
        serde_json::from_slice(bytes).map_err(|e| InputError::Params(e.to_string()))?;
    super::budget::validate(&config.emission_schedule)
        .map_err(|e| InputError::Params(e.to_string()))?;
    config
        .window
        .validate()
        .map_err(|e| InputError::Params(e.to_string()))?;
    config
        .scoring
        .validate()
        .map_err(|e| InputError::Params(e.to_string()))?;
    Ok(config)
}

/// Lines of reports.jsonl decoded and verified at a time: 16 batches of [`BATCH`] to share
/// among the cores, few enough that only the grouped observations grow with the epoch.
pub const PARSE_CHUNK: usize = BATCH * 16;

/// reports.jsonl, read and checked: what [`read_reports`] returns.
#[derive(Debug)]
pub struct ParsedReports {
    /// The reports whose device signature verified, grouped by device.
    pub reports: EpochReports,
    /// Lines refused before scoring, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// sha256 hex of every byte read (the manifest's hash of the file).
    pub sha256: String,
}

/// Decodes reports.jsonl (empty lines ignored) and verifies every device signature in batches
/// of [`BATCH`], in parallel. Returns the valid reports and the count of refusals by reason.
///
/// It works through the lines [`PARSE_CHUNK`] at a time, so the decoded reports (with their
/// signatures) of one chunk are held at once, never those of the whole epoch.
#[must_use]
pub fn parse_reports(bytes: &[u8]) -> (EpochReports, BTreeMap<String, u64>) {
    match read_reports(bytes) {
        Ok(p) => (p.reports, p.rejected),
        // Reading a byte slice cannot fail.
        Err(_) => (EpochReports::default(), BTreeMap::new()),
    }
}

/// [`parse_reports`] from a reader, line by line: neither the file nor its decoded reports are
/// ever held whole, only one chunk of lines and the grouped observations. Hashes the bytes as
/// it reads them. Each device's key is decompressed once per batch ([`KeyCache`]).
///
/// # Errors
///
/// A read error (the reports read until then are dropped).
pub fn read_reports(mut reader: impl BufRead) -> std::io::Result<ParsedReports> {
    let mut rejected: BTreeMap<String, u64> = BTreeMap::new();
    let mut hasher = Sha256::new();
    let mut failed: Option<std::io::Error> = None;
    let keys = KeyCache::default();
    // One chunk of lines: their bytes end to end, and where each ends.
    let mut text: Vec<u8> = Vec::new();
    let mut ends: Vec<usize> = Vec::with_capacity(PARSE_CHUNK);
    let mut pending = Vec::new().into_iter();
    let reports = EpochReports::from_reports(std::iter::from_fn(|| {
        loop {
            if let Some(r) = pending.next() {
                return Some(r);
            }
            text.clear();
            ends.clear();
            while ends.len() < PARSE_CHUNK && failed.is_none() {
                let start = text.len();
                match reader.read_until(b'\n', &mut text) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
                hasher.update(&text[start..]);
                if text.last() == Some(&b'\n') {
                    text.pop();
                }
                if text.len() == start {
                    continue;
                }
                ends.push(text.len());
            }
            if ends.is_empty() {
                return None;
            }
            // Decode and verify on every core, BATCH lines per task, in input order.
            let lines: Vec<&[u8]> = ends
                .iter()
                .scan(0, |start, &end| {
                    let line = &text[*start..end];
                    *start = end;
                    Some(line)
                })
                .collect();
            let checked: Vec<Result<Report, &'static str>> = lines
                .par_chunks(BATCH)
                .flat_map_iter(|batch| check_lines(batch, &keys))
                .collect();
            let mut valid = Vec::with_capacity(checked.len());
            for c in checked {
                match c {
                    Ok(r) => valid.push(r),
                    Err(reason) => *rejected.entry(reason.to_owned()).or_insert(0) += 1,
                }
            }
            pending = valid.into_iter();
        }
    }));
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(ParsedReports {
        reports,
        rejected,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Decodes and batch-verifies some lines: the reason of each refused line, then the valid
/// reports in input order.
fn check_lines(lines: &[&[u8]], keys: &KeyCache) -> Vec<Result<Report, &'static str>> {
    let mut out: Vec<Result<Report, &'static str>> = Vec::with_capacity(lines.len());
    let mut decoded = Vec::with_capacity(lines.len());
    for line in lines {
        match SignedReport::from_json(line) {
            Ok(r) => decoded.push(r),
            Err(e) => out.push(Err(e.reason())),
        }
    }
    let verdicts = verify_batch_cached(&decoded, keys);
    out.extend(decoded.into_iter().zip(verdicts).map(|(r, v)| match v {
        Ok(()) => Ok(r.report),
        Err(e) => Err(e.reason()),
    }));
    out
}

/// [`read_reports`] of the file at `path`.
///
/// # Errors
///
/// The file cannot be opened or read.
pub fn open_reports(path: &Path) -> Result<ParsedReports, InputError> {
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(io)?;
    read_reports(std::io::BufReader::with_capacity(1 << 20, file)).map_err(io)
}

/// Loads the input directory.
///
/// # Errors
///
/// A missing required file or a bad params/registry/previous file.
pub fn load(dir: &Path) -> Result<Inputs, InputError> {
    let mut hashes = BTreeMap::new();
    let params = read(&dir.join(PARAMS_JSON))?;
    hashes.insert(PARAMS_JSON.to_owned(), sha256_hex(&params));
    let registry = read(&dir.join(REGISTRY_CSV))?;
    hashes.insert(REGISTRY_CSV.to_owned(), sha256_hex(&registry));
    let previous_path = dir.join(PREVIOUS_WALLETS_CSV);
    let previous = if previous_path.exists() {
        let bytes = read(&previous_path)?;
        hashes.insert(PREVIOUS_WALLETS_CSV.to_owned(), sha256_hex(&bytes));
        parse_wallets_csv(&bytes)?
            .into_iter()
            .map(|w| (w.wallet, w.cumulative))
            .collect()
    } else {
        Vec::new()
    };
    let config = parse_params(&params)?;
    let registry = parse_registry(&registry)?;
    let parsed = open_reports(&dir.join(REPORTS_JSONL))?;
    hashes.insert(REPORTS_JSONL.to_owned(), parsed.sha256);
    Ok(Inputs {
        config,
        registry,
        reports: parsed.reports,
        previous,
        rejected: parsed.rejected,
        hashes,
    })
}
