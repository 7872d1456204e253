//! `oracle epoch verify`: re-derives a published epoch directory (`depin_formats::transparency`)
//! from its files alone, with the engine's own split and the shared reward tree. The epoch task
//! runs it on every epoch it publishes before recording it.

use std::collections::BTreeMap;
use std::path::Path;

use depin_formats::keys::Pubkey;
use depin_formats::transparency::{
    DEVICES_CSV, FORMAT, MANIFEST_HASH, MANIFEST_JSON, Manifest, ManifestRoot,
    PREVIOUS_WALLETS_CSV, TransparencyError, WALLETS_CSV, WalletRow, canonical_json,
    parse_devices_csv, parse_wallets_csv, read_file, sha256_hex,
};
use depin_formats::tree::{check_leaf_order, tree};

use super::budget;
use super::split::split;
use depin_formats::count_u64;

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
/// 6. the merkle-sum tree over wallets.csv's `(wallet, cumulative)`, in row order, has the
///    manifest's root hash, sum and leaf count (no rows: no root).
///
/// With `previous` (the previous epoch's directory), also checks the `previous_wallets.csv`
/// input hash against its wallets.csv, each previous_cumulative against it, and that wallets.csv
/// keeps its leaf order ([`check_leaf_order`]: the previous wallets at the same lines, then the
/// new ones by bytes).
///
/// Last, the budget ([`budget::check`]): `emission` is the schedule's for the epoch, `carried`
/// is the emission of the earlier epochs less the previous epoch's total (Σ previous_cumulative
/// of wallets.csv, which holds every previous wallet: with `previous`, checked against its
/// wallets.csv above), and `budget = emission + carried`.
///
/// # Errors
///
/// The first mismatch, with a message naming the file and the values.
pub fn verify_epoch_dir(
    dir: &Path,
    previous: Option<&Path>,
) -> Result<Verified, TransparencyError> {
    let manifest_bytes = read_file(&dir.join(MANIFEST_JSON))?;
    let hash_file = read_file(&dir.join(MANIFEST_HASH))?;
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
        let bytes = read_file(&dir.join(name))?;
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
        count_u64(devices.len()),
        manifest.devices,
    )?;
    check_eq(
        "wallets.csv rows",
        count_u64(wallets.len()),
        manifest.wallets,
    )?;
    let scores: Vec<u64> = devices.iter().map(|d| d.score).collect();
    let keys: Vec<Pubkey> = devices.iter().map(|d| d.device).collect();
    let split = split(manifest.budget, &scores, &keys)
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

    check_root(&wallets, manifest.root.as_ref())?;
    if let Some(prev_dir) = previous {
        check_previous(&manifest, &wallets, prev_dir)?;
    }
    check_budget(&manifest, &wallets)?;

    Ok(Verified {
        epoch: manifest.epoch,
        devices: devices.len(),
        wallets: wallets.len(),
        root_sum: manifest.root.as_ref().map_or(0, |r| r.sum),
        root_hash: manifest.root.map(|r| r.hash),
        manifest_hash,
    })
}

/// The tree over `(wallet, cumulative)` in row order has the manifest's root, sum and leaf count.
fn check_root(
    wallets: &[WalletRow],
    manifest_root: Option<&ManifestRoot>,
) -> Result<(), TransparencyError> {
    let root = tree(wallets)
        .map_err(|e| mismatch(format!("wallets.csv: merkle-sum tree: {e}")))?
        .map(|t| {
            let node = t.root();
            ManifestRoot {
                hash: hex::encode(node.hash),
                sum: node.sum,
                leaves: count_u64(wallets.len()),
            }
        });
    if root.as_ref() != manifest_root {
        return Err(mismatch(format!(
            "root recomputed from wallets.csv is {root:?}, manifest.json says {manifest_root:?}"
        )));
    }
    Ok(())
}

/// Against the previous epoch's directory: the input hash, every previous_cumulative and the
/// leaf order.
fn check_previous(
    manifest: &Manifest,
    wallets: &[WalletRow],
    prev_dir: &Path,
) -> Result<(), TransparencyError> {
    let prev_bytes = read_file(&prev_dir.join(WALLETS_CSV))?;
    let listed = manifest.inputs.get(PREVIOUS_WALLETS_CSV);
    let actual = sha256_hex(&prev_bytes);
    if listed != Some(&actual) {
        return Err(mismatch(format!(
            "previous epoch's wallets.csv has sha256 {actual}, manifest.json input previous_wallets.csv is {listed:?}"
        )));
    }
    let prev_rows =
        parse_wallets_csv(&prev_bytes).map_err(|e| mismatch(format!("previous epoch's {e}")))?;
    let prev: BTreeMap<Pubkey, u64> = prev_rows.iter().map(|w| (w.wallet, w.cumulative)).collect();
    for w in wallets {
        let expected = prev.get(&w.wallet).copied().unwrap_or(0);
        if w.previous != expected {
            return Err(mismatch(format!(
                "wallets.csv: wallet {} previous_cumulative {}, the previous epoch says {expected}",
                w.wallet, w.previous
            )));
        }
    }
    check_leaf_order(&prev_rows, wallets).map_err(|e| mismatch(e.to_string()))
}

/// The manifest's budget, emission and carried amount, re-derived from its emission schedule and
/// the previous epochs' total: Σ previous_cumulative of wallets.csv (every previous wallet keeps
/// its row, so this is the previous epoch's Σ cumulative).
fn check_budget(manifest: &Manifest, wallets: &[WalletRow]) -> Result<(), TransparencyError> {
    let previous = wallets
        .iter()
        .try_fold(0u64, |a, w| a.checked_add(w.previous))
        .ok_or_else(|| mismatch("wallets.csv: previous_cumulative overflows u64".to_owned()))?;
    let stated = budget::Budget {
        emission: manifest.emission,
        carried: manifest.carried,
        budget: manifest.budget,
    };
    budget::check_stated(
        manifest.epoch,
        &manifest.emission_schedule,
        stated,
        previous,
    )
    .map_err(|e| {
        mismatch(format!(
            "manifest.json: {e} (the previous epochs' total is Σ previous_cumulative of \
             wallets.csv)"
        ))
    })?;
    Ok(())
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
