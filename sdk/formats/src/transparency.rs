//! The published epoch files, specified byte for byte in `docs/transparency.md`: their names,
//! rows, writers and strict readers. (`oracle epoch verify`, which re-derives the root and every
//! sum from them, is the oracle's `epoch::audit`.)
//!
//! ```text
//! <data_dir>/epochs/epoch-<n>/   (EPOCHS_DIR, epoch_dir_name)
//!   devices.csv     device,owner,score,reward,reasons        (sorted by device bytes)
//!   wallets.csv     wallet,epoch_reward,previous_cumulative,cumulative (in leaf index order:
//!                   the previous epoch's rows in their order, then the new wallets by bytes)
//!   manifest.json   canonical JSON: inputs' and outputs' sha256, params (the budget: emission +
//!                   carried), root (hash, sum, leaves)
//!   manifest_hash   hex(sha256(manifest.json)) + "\n"   (goes on-chain with the root)
//! ```
//!
//! wallets.csv's row order is the reward tree's leaf order, kept from one epoch to the next:
//! [`crate::tree::check_leaf_order`] checks it (`docs/merkle-sum.md`, section 9).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use merkle_sum::Node;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::keys::Pubkey;
use crate::params::{EpochConfig, EpochWindow, HalvingSchedule, ScoringParams};
use crate::reasons::Reasons;

/// The `format` field of every manifest.
pub const FORMAT: &str = "depin-epoch-v3";
/// The directory, under an oracle's data directory, that holds its published `epoch-<n>/`.
pub const EPOCHS_DIR: &str = "epochs";
pub const DEVICES_CSV: &str = "devices.csv";
pub const WALLETS_CSV: &str = "wallets.csv";
pub const MANIFEST_JSON: &str = "manifest.json";
pub const MANIFEST_HASH: &str = "manifest_hash";
pub const DEVICES_HEADER: &str = "device,owner,score,reward,reasons";
pub const WALLETS_HEADER: &str = "wallet,epoch_reward,previous_cumulative,cumulative";

/// The `epoch run` input files, by the names the manifest's `inputs` lists their sha256 under
/// (formats in `docs/transparency.md`, "Inputs").
pub const PARAMS_JSON: &str = "params.json";
pub const REGISTRY_CSV: &str = "registry.csv";
pub const REPORTS_JSONL: &str = "reports.jsonl";
pub const PREVIOUS_WALLETS_CSV: &str = "previous_wallets.csv";

/// `epoch-<n>`: the name of epoch `n`'s directory.
#[must_use]
pub fn epoch_dir_name(epoch: u64) -> String {
    format!("epoch-{epoch}")
}

/// One row of devices.csv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRow {
    pub device: Pubkey,
    pub owner: Pubkey,
    pub score: u64,
    pub reward: u64,
    pub reasons: Reasons,
}

/// One row of wallets.csv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalletRow {
    pub wallet: Pubkey,
    pub epoch_reward: u64,
    pub previous: u64,
    pub cumulative: u64,
}

/// Everything an epoch produced: what [`write_epoch`] publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochResult {
    pub config: EpochConfig,
    pub total_score: u128,
    pub distributed: u64,
    pub unspent: u64,
    /// Every registry device, sorted by device key.
    pub devices: Vec<DeviceRow>,
    /// Every wallet with a nonzero cumulative total, in leaf index order: the previous epoch's
    /// wallets in their order, then the new ones by wallet bytes.
    pub wallets: Vec<WalletRow>,
    pub root: Option<Node>,
    /// Reports scored (their device is registered).
    pub reports_scored: u64,
    /// Reports whose device is not registered.
    pub reports_unknown_device: u64,
}

/// The merkle-sum root as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestRoot {
    /// Lowercase hex of the 32-byte root hash.
    pub hash: String,
    /// The root's sum: Σ cumulative.
    pub sum: u64,
    /// The tree's leaf count: the rows of wallets.csv. It fixes the tree's shape and goes
    /// on-chain with the root.
    pub leaves: u64,
}

/// Report counts of the epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportCounts {
    /// Reports of registered devices handed to the verifiers.
    pub scored: u64,
    /// Reports refused before scoring, by reason (`unknown_device`, `bad_signature`, ...).
    pub rejected: BTreeMap<String, u64>,
}

/// manifest.json.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub epoch: u64,
    /// What the epoch could give out: `emission + carried`.
    pub budget: u64,
    /// The epoch's emission under `emission_schedule`.
    pub emission: u64,
    /// The emission of the earlier epochs not given out by them (in the rewards vault).
    pub carried: u64,
    /// The emission schedule the amounts follow.
    pub emission_schedule: HalvingSchedule,
    /// Σ rewards.
    pub distributed: u64,
    /// `budget - distributed`: carried to the next epoch.
    pub unspent: u64,
    /// Σ scores, decimal string (a u128).
    pub total_score: String,
    pub window: EpochWindow,
    /// Allowed job-receipt customers, sorted by bytes.
    pub customers: Vec<Pubkey>,
    pub scoring: ScoringParams,
    /// Input file name → lowercase hex sha256.
    pub inputs: BTreeMap<String, String>,
    /// Output file name → lowercase hex sha256.
    pub outputs: BTreeMap<String, String>,
    /// The reward tree's root; `None` (`null`) when wallets.csv has no rows.
    pub root: Option<ManifestRoot>,
    /// Rows of devices.csv.
    pub devices: u64,
    /// Rows of wallets.csv.
    pub wallets: u64,
    pub reports: ReportCounts,
}

/// A failure to write or verify an epoch directory. The message says which file and what.
#[derive(Debug, thiserror::Error)]
pub enum TransparencyError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Mismatch(String),
    #[error("{file} line {line}: {message}")]
    Format {
        file: &'static str,
        line: usize,
        message: String,
    },
    #[error("canonical JSON: {0}")]
    Json(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> TransparencyError + '_ {
    move |source| TransparencyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a published file whole; an error names the path.
///
/// # Errors
///
/// [`TransparencyError::Io`].
pub fn read_file(path: &Path) -> Result<Vec<u8>, TransparencyError> {
    fs::read(path).map_err(io_err(path))
}

/// Lowercase hex sha256.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON
// ---------------------------------------------------------------------------------------------

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no whitespace, integers in plain
/// decimal, strings escaped as `serde_json` does (`"` `\` and control characters only, non-ASCII
/// kept as UTF-8). Floats are refused: nothing in an epoch is fractional.
///
/// # Errors
///
/// A float, or a value that cannot be serialized.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, TransparencyError> {
    let v = serde_json::to_value(value).map_err(|e| TransparencyError::Json(e.to_string()))?;
    let mut out = Vec::new();
    write_canonical(&v, &mut out)?;
    Ok(out)
}

fn write_canonical(v: &Value, out: &mut Vec<u8>) -> Result<(), TransparencyError> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else {
                return Err(TransparencyError::Json(format!("float {n} is not allowed")));
            }
        }
        Value::String(s) => {
            let escaped =
                serde_json::to_string(s).map_err(|e| TransparencyError::Json(e.to_string()))?;
            out.extend_from_slice(escaped.as_bytes());
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let key =
                    serde_json::to_string(k).map_err(|e| TransparencyError::Json(e.to_string()))?;
                out.extend_from_slice(key.as_bytes());
                out.push(b':');
                write_canonical(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Forwards writes and hashes them.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes devices.csv to `w`.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write_devices_csv<W: Write + ?Sized>(w: &mut W, rows: &[DeviceRow]) -> io::Result<()> {
    writeln!(w, "{DEVICES_HEADER}")?;
    for r in rows {
        writeln!(
            w,
            "{},{},{},{},{}",
            r.device,
            r.owner,
            r.score,
            r.reward,
            r.reasons.render()
        )?;
    }
    Ok(())
}

/// Writes wallets.csv to `w`.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write_wallets_csv<W: Write + ?Sized>(w: &mut W, rows: &[WalletRow]) -> io::Result<()> {
    writeln!(w, "{WALLETS_HEADER}")?;
    for r in rows {
        writeln!(
            w,
            "{},{},{},{}",
            r.wallet, r.epoch_reward, r.previous, r.cumulative
        )?;
    }
    Ok(())
}

fn write_hashed(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<String, TransparencyError> {
    let file = fs::File::create(path).map_err(io_err(path))?;
    let mut w = HashingWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
    };
    body(&mut w).map_err(io_err(path))?;
    w.flush().map_err(io_err(path))?;
    let HashingWriter { inner, hasher } = w;
    let file = inner
        .into_inner()
        .map_err(|e| io_err(path)(e.into_error()))?;
    file.sync_all().map_err(io_err(path))?;
    Ok(hex::encode(hasher.finalize()))
}

/// The manifest of `result`, given the output hashes.
#[must_use]
pub fn manifest(
    result: &EpochResult,
    inputs: &BTreeMap<String, String>,
    outputs: BTreeMap<String, String>,
    rejected: &BTreeMap<String, u64>,
) -> Manifest {
    let mut customers = result.config.customers.clone();
    customers.sort_unstable();
    customers.dedup();
    let mut rejected = rejected.clone();
    if result.reports_unknown_device > 0 {
        let e = rejected.entry("unknown_device".to_owned()).or_insert(0);
        *e = e.saturating_add(result.reports_unknown_device);
    }
    Manifest {
        format: FORMAT.to_owned(),
        epoch: result.config.epoch,
        budget: result.config.budget,
        emission: result.config.emission,
        carried: result.config.carried,
        emission_schedule: result.config.emission_schedule,
        distributed: result.distributed,
        unspent: result.unspent,
        total_score: result.total_score.to_string(),
        window: result.config.window,
        customers,
        scoring: result.config.scoring.clone(),
        inputs: inputs.clone(),
        outputs,
        root: result.root.map(|n| ManifestRoot {
            hash: hex::encode(n.hash),
            sum: n.sum,
            leaves: crate::count_u64(result.wallets.len()),
        }),
        devices: crate::count_u64(result.devices.len()),
        wallets: crate::count_u64(result.wallets.len()),
        reports: ReportCounts {
            scored: result.reports_scored,
            rejected,
        },
    }
}

/// What [`write_epoch`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub dir: PathBuf,
    /// sha256 of manifest.json: the 32 bytes that go on-chain with the root.
    pub manifest_hash: [u8; 32],
}

/// Writes `<out>/epoch-<n>/` with the four files. The directory is built as
/// `epoch-<n>.tmp` and renamed into place, so a crash never leaves a half-written epoch; an
/// existing `epoch-<n>` is never overwritten.
///
/// `inputs` maps each input file name to its sha256 hex; `rejected` counts reports refused
/// before the engine (by reason).
///
/// # Errors
///
/// I/O errors; the epoch directory already exists.
pub fn write_epoch(
    out: &Path,
    result: &EpochResult,
    inputs: &BTreeMap<String, String>,
    rejected: &BTreeMap<String, u64>,
) -> Result<Written, TransparencyError> {
    let name = epoch_dir_name(result.config.epoch);
    let dir = out.join(&name);
    if dir.exists() {
        return Err(TransparencyError::Mismatch(format!(
            "{} already exists; an epoch is never overwritten",
            dir.display()
        )));
    }
    let tmp = out.join(format!("{name}.tmp"));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;

    let devices_hash = write_hashed(&tmp.join(DEVICES_CSV), |w| {
        write_devices_csv(w, &result.devices)
    })?;
    let wallets_hash = write_hashed(&tmp.join(WALLETS_CSV), |w| {
        write_wallets_csv(w, &result.wallets)
    })?;
    let outputs = BTreeMap::from([
        (DEVICES_CSV.to_owned(), devices_hash),
        (WALLETS_CSV.to_owned(), wallets_hash),
    ]);
    let manifest_bytes = canonical_json(&manifest(result, inputs, outputs, rejected))?;
    let manifest_hash: [u8; 32] = Sha256::digest(&manifest_bytes).into();
    write_hashed(&tmp.join(MANIFEST_JSON), |w| w.write_all(&manifest_bytes))?;
    write_hashed(&tmp.join(MANIFEST_HASH), |w| {
        writeln!(w, "{}", hex::encode(manifest_hash))
    })?;
    fs::rename(&tmp, &dir).map_err(io_err(&dir))?;
    Ok(Written { dir, manifest_hash })
}

// ---------------------------------------------------------------------------------------------
// Parsing (strict: only the exact bytes the writer produces are accepted)
// ---------------------------------------------------------------------------------------------

fn format_err(file: &'static str, line: usize, message: impl Into<String>) -> TransparencyError {
    TransparencyError::Format {
        file,
        line,
        message: message.into(),
    }
}

fn parse_key(file: &'static str, line: usize, field: &str) -> Result<Pubkey, TransparencyError> {
    let key: Pubkey = field
        .parse()
        .map_err(|e| format_err(file, line, format!("bad key {field:?}: {e}")))?;
    if key.to_string() != field {
        return Err(format_err(
            file,
            line,
            format!("non-canonical key {field:?}"),
        ));
    }
    Ok(key)
}

fn parse_u64(file: &'static str, line: usize, field: &str) -> Result<u64, TransparencyError> {
    let n: u64 = field
        .parse()
        .map_err(|_| format_err(file, line, format!("bad integer {field:?}")))?;
    if n.to_string() != field {
        return Err(format_err(
            file,
            line,
            format!("non-canonical integer {field:?}"),
        ));
    }
    Ok(n)
}

/// The data lines of a CSV file after checking the header, UTF-8, `\n` endings and the final
/// newline. Yields `(line number, line)`.
fn csv_lines<'a>(
    file: &'static str,
    bytes: &'a [u8],
    header: &str,
) -> Result<Vec<(usize, &'a str)>, TransparencyError> {
    let text = std::str::from_utf8(bytes).map_err(|_| format_err(file, 0, "not UTF-8"))?;
    let body = text
        .strip_suffix('\n')
        .ok_or_else(|| format_err(file, 0, "does not end with a newline"))?;
    let mut lines = body.split('\n');
    if lines.next() != Some(header) {
        return Err(format_err(file, 1, format!("header is not {header:?}")));
    }
    let rows: Vec<(usize, &str)> = lines.enumerate().map(|(i, l)| (i + 2, l)).collect();
    if let Some((n, _)) = rows.iter().find(|(_, l)| l.contains('\r')) {
        return Err(format_err(
            file,
            *n,
            "carriage return (line endings are \\n)",
        ));
    }
    Ok(rows)
}

fn fields<'a, const N: usize>(
    file: &'static str,
    line: usize,
    text: &'a str,
) -> Result<[&'a str; N], TransparencyError> {
    let parts: Vec<&str> = text.split(',').collect();
    <[&str; N]>::try_from(parts)
        .map_err(|p| format_err(file, line, format!("{} fields, expected {N}", p.len())))
}

/// A parsed devices.csv row (reasons kept as text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedDevice {
    pub device: Pubkey,
    pub owner: Pubkey,
    pub score: u64,
    pub reward: u64,
    pub reasons: String,
}

/// Parses devices.csv strictly (header, canonical keys and integers, sorted by device bytes).
///
/// # Errors
///
/// [`TransparencyError::Format`] naming the line.
pub fn parse_devices_csv(bytes: &[u8]) -> Result<Vec<PublishedDevice>, TransparencyError> {
    let mut rows: Vec<PublishedDevice> = Vec::new();
    for (n, line) in csv_lines(DEVICES_CSV, bytes, DEVICES_HEADER)? {
        let [device, owner, score, reward, reasons] = fields::<5>(DEVICES_CSV, n, line)?;
        let row = PublishedDevice {
            device: parse_key(DEVICES_CSV, n, device)?,
            owner: parse_key(DEVICES_CSV, n, owner)?,
            score: parse_u64(DEVICES_CSV, n, score)?,
            reward: parse_u64(DEVICES_CSV, n, reward)?,
            reasons: reasons.to_owned(),
        };
        if let Some(prev) = rows.last()
            && prev.device >= row.device
        {
            return Err(format_err(
                DEVICES_CSV,
                n,
                "devices not strictly ascending by key bytes",
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Parses wallets.csv strictly (also the `previous_wallets.csv` input), keeping the row order
/// (the leaf index order). A wallet may appear only once.
///
/// # Errors
///
/// [`TransparencyError::Format`] naming the line (for a repeated wallet, also the line it
/// repeats).
pub fn parse_wallets_csv(bytes: &[u8]) -> Result<Vec<WalletRow>, TransparencyError> {
    let rows = parse_wallet_rows(bytes)?;
    let mut lines: HashMap<Pubkey, usize> = HashMap::new();
    // Line n + 2 holds row n (after the header).
    for (n, row) in (2usize..).zip(&rows) {
        if let Some(first) = lines.insert(row.wallet, n) {
            return Err(format_err(
                WALLETS_CSV,
                n,
                format!("wallet {} repeats line {first}", row.wallet),
            ));
        }
    }
    Ok(rows)
}

/// Parses a wallets.csv like [`parse_wallets_csv`] but keeps a repeated wallet: the files of a
/// fraudulent root may hold one, and whoever proves it must read them exactly (the watcher).
///
/// # Errors
///
/// [`TransparencyError::Format`] with the line, for a bad header, line ending, field count, key
/// or integer.
pub fn parse_wallet_rows(bytes: &[u8]) -> Result<Vec<WalletRow>, TransparencyError> {
    let mut rows: Vec<WalletRow> = Vec::new();
    for (n, line) in csv_lines(WALLETS_CSV, bytes, WALLETS_HEADER)? {
        let [wallet, epoch_reward, previous, cumulative] = fields::<4>(WALLETS_CSV, n, line)?;
        rows.push(WalletRow {
            wallet: parse_key(WALLETS_CSV, n, wallet)?,
            epoch_reward: parse_u64(WALLETS_CSV, n, epoch_reward)?,
            previous: parse_u64(WALLETS_CSV, n, previous)?,
            cumulative: parse_u64(WALLETS_CSV, n, cumulative)?,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_refuses_floats() {
        let v = serde_json::json!({"b": 1, "a": {"z": [1, -2, "x\"y"], "c": null}, "B": true});
        assert_eq!(
            canonical_json(&v).unwrap(),
            br#"{"B":true,"a":{"c":null,"z":[1,-2,"x\"y"]},"b":1}"#
        );
        assert!(canonical_json(&serde_json::json!({"f": 1.5})).is_err());
    }

    fn key(first: u8) -> Pubkey {
        let mut bytes = [0u8; 32];
        bytes[0] = first;
        Pubkey(bytes)
    }

    fn wallets_csv(wallets: &[Pubkey]) -> Vec<u8> {
        let rows: Vec<WalletRow> = wallets
            .iter()
            .map(|&wallet| WalletRow {
                wallet,
                epoch_reward: 1,
                previous: 0,
                cumulative: 1,
            })
            .collect();
        let mut out = Vec::new();
        write_wallets_csv(&mut out, &rows).unwrap();
        out
    }

    #[test]
    fn wallets_csv_keeps_row_order_and_refuses_any_repeat() {
        let (a, b, c) = (key(1), key(2), key(3));
        let parsed = parse_wallets_csv(&wallets_csv(&[c, a, b])).unwrap();
        let order: Vec<Pubkey> = parsed.iter().map(|r| r.wallet).collect();
        assert_eq!(order, [c, a, b]);
        let error = |wallets: &[Pubkey]| {
            parse_wallets_csv(&wallets_csv(wallets))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            error(&[a, b, b]),
            format!("wallets.csv line 4: wallet {b} repeats line 3")
        );
        assert_eq!(
            error(&[c, a, b, c]),
            format!("wallets.csv line 5: wallet {c} repeats line 2")
        );
    }

    #[test]
    fn manifest_root_carries_the_leaf_count() {
        let root = ManifestRoot {
            hash: "ab".repeat(32),
            sum: 7,
            leaves: 3,
        };
        let json = canonical_json(&root).unwrap();
        let want = format!(r#"{{"hash":"{}","leaves":3,"sum":7}}"#, "ab".repeat(32));
        assert_eq!(String::from_utf8(json).unwrap(), want);
        let without: Result<ManifestRoot, _> =
            serde_json::from_str(&format!(r#"{{"hash":"{}","sum":7}}"#, "ab".repeat(32)));
        assert!(without.is_err(), "a root without its leaf count is refused");
    }
}
