//! The published epoch files, specified byte for byte in `docs/transparency.md`, and
//! `epoch verify`, which re-derives the root and every sum from them alone.
//!
//! ```text
//! epoch-<n>/devices.csv     device,owner,score,reward,reasons        (sorted by device bytes)
//! epoch-<n>/wallets.csv     wallet,epoch_reward,previous_cumulative,cumulative (by wallet bytes)
//! epoch-<n>/manifest.json   canonical JSON: inputs' and outputs' sha256, params, root
//! epoch-<n>/manifest_hash   hex(sha256(manifest.json)) + "\n"   (goes on-chain with the root)
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::epoch::{self, DeviceRow, EpochResult, WalletRow};
use crate::keys::Pubkey;
use crate::verify::{EpochWindow, ScoringParams};

/// The `format` field of every manifest.
pub const FORMAT: &str = "depin-epoch-v1";
pub const DEVICES_CSV: &str = "devices.csv";
pub const WALLETS_CSV: &str = "wallets.csv";
pub const MANIFEST_JSON: &str = "manifest.json";
pub const MANIFEST_HASH: &str = "manifest_hash";
pub const DEVICES_HEADER: &str = "device,owner,score,reward,reasons";
pub const WALLETS_HEADER: &str = "wallet,epoch_reward,previous_cumulative,cumulative";

/// The merkle-sum root as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestRoot {
    /// Lowercase hex of the 32-byte root hash.
    pub hash: String,
    /// The root's sum: Σ cumulative.
    pub sum: u64,
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
    pub budget: u64,
    pub distributed: u64,
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
        }),
        devices: crate::verify::count_u64(result.devices.len()),
        wallets: crate::verify::count_u64(result.wallets.len()),
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
    let name = format!("epoch-{}", result.config.epoch);
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

/// Parses wallets.csv strictly (also the `previous_wallets.csv` input).
///
/// # Errors
///
/// [`TransparencyError::Format`] naming the line.
pub fn parse_wallets_csv(bytes: &[u8]) -> Result<Vec<WalletRow>, TransparencyError> {
    let mut rows: Vec<WalletRow> = Vec::new();
    for (n, line) in csv_lines(WALLETS_CSV, bytes, WALLETS_HEADER)? {
        let [wallet, epoch_reward, previous, cumulative] = fields::<4>(WALLETS_CSV, n, line)?;
        let row = WalletRow {
            wallet: parse_key(WALLETS_CSV, n, wallet)?,
            epoch_reward: parse_u64(WALLETS_CSV, n, epoch_reward)?,
            previous: parse_u64(WALLETS_CSV, n, previous)?,
            cumulative: parse_u64(WALLETS_CSV, n, cumulative)?,
        };
        if let Some(prev) = rows.last()
            && prev.wallet >= row.wallet
        {
            return Err(format_err(
                WALLETS_CSV,
                n,
                "wallets not strictly ascending by key bytes",
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// What a successful verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub epoch: u64,
    pub devices: usize,
    pub wallets: usize,
    pub root_hash: Option<String>,
    pub root_sum: u64,
    pub manifest_hash: String,
}

fn mismatch(message: String) -> TransparencyError {
    TransparencyError::Mismatch(message)
}

fn read(path: &Path) -> Result<Vec<u8>, TransparencyError> {
    fs::read(path).map_err(io_err(path))
}

/// Re-derives everything in `dir` from the published files alone:
///
/// 1. `manifest_hash` is `hex(sha256(manifest.json)) + "\n"`;
/// 2. manifest.json parses and is byte-identical to its canonical re-serialization;
/// 3. devices.csv and wallets.csv have the sha256 the manifest lists;
/// 4. the split of `budget` over devices.csv's scores (largest remainder, ties by key) gives
///    exactly its reward column; Σ rewards = distributed; distributed + unspent = budget;
///    Σ scores = total_score; row counts match;
/// 5. wallets.csv: cumulative = previous + epoch_reward, never zero; each wallet's epoch reward
///    is the sum of its devices' rewards, and no owner with a reward is missing;
/// 6. the merkle-sum tree over wallets.csv's `(wallet, cumulative)` has the manifest's root hash
///    and sum.
///
/// With `previous` (the previous epoch's directory), also checks each previous_cumulative
/// against it and the `previous_wallets.csv` input hash against its wallets.csv.
///
/// # Errors
///
/// The first mismatch, with a message naming the file and the values.
pub fn verify_epoch_dir(
    dir: &Path,
    previous: Option<&Path>,
) -> Result<Verified, TransparencyError> {
    let manifest_bytes = read(&dir.join(MANIFEST_JSON))?;
    let hash_file = read(&dir.join(MANIFEST_HASH))?;
    let manifest_hash = sha256_hex(&manifest_bytes);
    if hash_file != format!("{manifest_hash}\n").as_bytes() {
        return Err(mismatch(format!(
            "manifest_hash does not match manifest.json: the file says {:?}, sha256(manifest.json) is {manifest_hash}",
            String::from_utf8_lossy(&hash_file).trim_end()
        )));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| mismatch(format!("manifest.json does not parse: {e}")))?;
    if canonical_json(&manifest)? != manifest_bytes {
        return Err(mismatch(
            "manifest.json is not in canonical form (sorted keys, no whitespace)".to_owned(),
        ));
    }
    if manifest.format != FORMAT {
        return Err(mismatch(format!(
            "manifest.json: format {:?}, expected {FORMAT:?}",
            manifest.format
        )));
    }

    let mut files = BTreeMap::new();
    for name in [DEVICES_CSV, WALLETS_CSV] {
        let bytes = read(&dir.join(name))?;
        let actual = sha256_hex(&bytes);
        let listed = manifest.outputs.get(name).cloned().unwrap_or_default();
        if actual != listed {
            return Err(mismatch(format!(
                "{name} does not match manifest.json: sha256 is {actual}, manifest lists {listed:?}"
            )));
        }
        files.insert(name, bytes);
    }
    if manifest.outputs.len() != files.len() {
        return Err(mismatch(
            "manifest.json lists unexpected output files".to_owned(),
        ));
    }
    let devices = parse_devices_csv(files.get(DEVICES_CSV).map_or(&[][..], Vec::as_slice))?;
    let wallets = parse_wallets_csv(files.get(WALLETS_CSV).map_or(&[][..], Vec::as_slice))?;

    // Counts and the split.
    check_eq(
        "devices.csv rows",
        crate::verify::count_u64(devices.len()),
        manifest.devices,
    )?;
    check_eq(
        "wallets.csv rows",
        crate::verify::count_u64(wallets.len()),
        manifest.wallets,
    )?;
    let scores: Vec<u64> = devices.iter().map(|d| d.score).collect();
    let keys: Vec<Pubkey> = devices.iter().map(|d| d.device).collect();
    let split = epoch::split(manifest.budget, &scores, &keys)
        .map_err(|e| mismatch(format!("devices.csv: {e}")))?;
    if split.total_score.to_string() != manifest.total_score {
        return Err(mismatch(format!(
            "devices.csv: scores sum to {}, manifest.json total_score is {}",
            split.total_score, manifest.total_score
        )));
    }
    for (d, expected) in devices.iter().zip(&split.rewards) {
        if d.reward != *expected {
            return Err(mismatch(format!(
                "devices.csv: device {} has reward {}, the split of the budget gives {expected}",
                d.device, d.reward
            )));
        }
    }
    check_eq(
        "distributed (Σ device rewards)",
        split.distributed,
        manifest.distributed,
    )?;
    check_eq("unspent", split.unspent, manifest.unspent)?;
    let reward_sum = devices
        .iter()
        .try_fold(0u64, |a, d| a.checked_add(d.reward))
        .ok_or_else(|| mismatch("devices.csv: rewards overflow u64".to_owned()))?;
    check_eq("Σ devices.csv rewards", reward_sum, manifest.distributed)?;
    if manifest.distributed.checked_add(manifest.unspent) != Some(manifest.budget) {
        return Err(mismatch(format!(
            "manifest.json: distributed {} + unspent {} != budget {}",
            manifest.distributed, manifest.unspent, manifest.budget
        )));
    }

    // Wallets against devices.
    let mut per_owner: BTreeMap<Pubkey, u64> = BTreeMap::new();
    for d in devices.iter().filter(|d| d.reward > 0) {
        let e = per_owner.entry(d.owner).or_insert(0);
        *e = e
            .checked_add(d.reward)
            .ok_or_else(|| mismatch("devices.csv: owner rewards overflow u64".to_owned()))?;
    }
    for w in &wallets {
        if w.previous.checked_add(w.epoch_reward) != Some(w.cumulative) {
            return Err(mismatch(format!(
                "wallets.csv: wallet {}: previous {} + epoch {} != cumulative {}",
                w.wallet, w.previous, w.epoch_reward, w.cumulative
            )));
        }
        if w.cumulative == 0 {
            return Err(mismatch(format!(
                "wallets.csv: wallet {} has a zero cumulative",
                w.wallet
            )));
        }
        let from_devices = per_owner.remove(&w.wallet).unwrap_or(0);
        if from_devices != w.epoch_reward {
            return Err(mismatch(format!(
                "wallets.csv: wallet {} has epoch reward {}, its devices in devices.csv earned {from_devices}",
                w.wallet, w.epoch_reward
            )));
        }
    }
    if let Some((owner, reward)) = per_owner.into_iter().next() {
        return Err(mismatch(format!(
            "wallets.csv: owner {owner} earned {reward} in devices.csv but has no row"
        )));
    }

    // The tree.
    let root = crate::epoch::tree(&wallets)
        .map_err(|e| mismatch(format!("wallets.csv: merkle-sum tree: {e}")))?
        .map(|t| {
            let node = t.root();
            ManifestRoot {
                hash: hex::encode(node.hash),
                sum: node.sum,
            }
        });
    if root != manifest.root {
        return Err(mismatch(format!(
            "root recomputed from wallets.csv is {root:?}, manifest.json says {:?}",
            manifest.root
        )));
    }

    if let Some(prev_dir) = previous {
        let prev_bytes = read(&prev_dir.join(WALLETS_CSV))?;
        let listed = manifest.inputs.get("previous_wallets.csv");
        let actual = sha256_hex(&prev_bytes);
        if listed != Some(&actual) {
            return Err(mismatch(format!(
                "previous epoch's wallets.csv has sha256 {actual}, manifest.json input previous_wallets.csv is {listed:?}"
            )));
        }
        let prev: BTreeMap<Pubkey, u64> = parse_wallets_csv(&prev_bytes)?
            .into_iter()
            .map(|w| (w.wallet, w.cumulative))
            .collect();
        for w in &wallets {
            let expected = prev.get(&w.wallet).copied().unwrap_or(0);
            if w.previous != expected {
                return Err(mismatch(format!(
                    "wallets.csv: wallet {} previous_cumulative {}, the previous epoch says {expected}",
                    w.wallet, w.previous
                )));
            }
        }
        let now: BTreeMap<Pubkey, u64> = wallets.iter().map(|w| (w.wallet, w.cumulative)).collect();
        for (wallet, amount) in prev {
            if amount > 0 && !now.contains_key(&wallet) {
                return Err(mismatch(format!(
                    "wallets.csv: wallet {wallet} had cumulative {amount} and disappeared"
                )));
            }
        }
    }

    Ok(Verified {
        epoch: manifest.epoch,
        devices: devices.len(),
        wallets: wallets.len(),
        root_sum: manifest.root.as_ref().map_or(0, |r| r.sum),
        root_hash: manifest.root.map(|r| r.hash),
        manifest_hash,
    })
}

fn check_eq(what: &str, recomputed: u64, manifest: u64) -> Result<(), TransparencyError> {
    if recomputed == manifest {
        Ok(())
    } else {
        Err(mismatch(format!(
            "{what}: recomputed {recomputed}, manifest.json says {manifest}"
        )))
    }
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
}
