//! The registry's files: `registry.csv` (`device,owner,maker,location,kind,status`, the format
//! in `docs/transparency.md`, "Inputs"), read by the ingest at start and by the epoch task, and
//! written by the chain sync; and, beside it, the sync's `registry-onboarded.csv` and
//! `registry-synced-at`, which let an epoch score only the devices onboarded before its end.

use std::path::{Path, PathBuf};

use depin_formats::keys::Pubkey;

use super::{Device, DeviceKind, DeviceStatus, Registry, RegistryError};

/// The header of `registry.csv`.
pub const REGISTRY_HEADER: &str = "device,owner,maker,location,kind,status";

/// A registry file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RegistryFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("registry.csv line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("registry.csv: {0}")]
    Check(#[from] RegistryError),
}

/// Parses registry.csv: header `device,owner,maker,location,kind,status`, keys in base58, the
/// location an H3 cell in lowercase hex (`8a2a1072b59ffff`), kind `connectivity|compute`,
/// status `active|decommissioned`. Rows in any order.
///
/// # Errors
///
/// The first bad line.
pub fn parse_registry(bytes: &[u8]) -> Result<Registry, RegistryFileError> {
    let err = |line: usize, message: String| RegistryFileError::Line { line, message };
    let text = std::str::from_utf8(bytes).map_err(|_| err(0, "not UTF-8".to_owned()))?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h == REGISTRY_HEADER => {}
        _ => return Err(err(1, format!("header is not {REGISTRY_HEADER:?}"))),
    }
    let mut devices = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let [device, owner, maker, location, kind, status] = f.as_slice() else {
            return Err(err(n, format!("{} fields, expected 6", f.len())));
        };
        let key = |s: &str| {
            s.parse::<Pubkey>()
                .map_err(|e| err(n, format!("{s:?}: {e}")))
        };
        devices.push(Device {
            key: key(device)?,
            owner: key(owner)?,
            maker: key(maker)?,
            location: u64::from_str_radix(location, 16)
                .map_err(|_| err(n, format!("location {location:?} is not a hex H3 index")))?,
            kind: match *kind {
                "connectivity" => DeviceKind::Connectivity,
                "compute" => DeviceKind::Compute,
                other => return Err(err(n, format!("unknown kind {other:?}"))),
            },
            status: match *status {
                "active" => DeviceStatus::Active,
                "decommissioned" => DeviceStatus::Decommissioned,
                other => return Err(err(n, format!("unknown status {other:?}"))),
            },
        });
    }
    Ok(Registry::new(devices)?)
}

/// Loads a registry CSV (`device,owner,maker,location,kind,status`). A missing file is an empty
/// registry, so that `oracle serve` starts with no set-up (and refuses every device).
///
/// # Errors
///
/// An unreadable or malformed file.
pub fn load_registry_csv(path: &Path) -> Result<Registry, RegistryFileError> {
    match std::fs::read(path) {
        Ok(bytes) => parse_registry(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(
                path = %path.display(),
                "registry file not found: starting with an empty registry (every device is unknown)"
            );
            Ok(Registry::default())
        }
        Err(source) => Err(RegistryFileError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The registry as `registry.csv` (docs/transparency.md): the header, then one row per device
/// in device-key order, the location in lowercase hex.
#[must_use]
pub fn registry_csv(registry: &Registry) -> String {
    let mut out = String::with_capacity(64 + registry.len() * 160);
    out.push_str(REGISTRY_HEADER);
    out.push('\n');
    for d in registry.devices() {
        out.push_str(&format!(
            "{},{},{},{:x},{},{}\n",
            d.key,
            d.owner,
            d.maker,
            d.location,
            d.kind.as_str(),
            d.status.as_str()
        ));
    }
    out
}

/// The file beside the registry CSV that holds the cluster time the last successful sync read
/// the chain at (unix seconds): every device onboarded before it is in the registry.
#[must_use]
pub fn synced_at_path(registry_csv: &Path) -> PathBuf {
    registry_csv.with_file_name("registry-synced-at")
}

/// The file beside the registry CSV that holds each device's onboarding time.
#[must_use]
pub fn onboarded_path(registry_csv: &Path) -> PathBuf {
    registry_csv.with_file_name("registry-onboarded.csv")
}

/// `registry-onboarded.csv`: `device,onboarded_at`, one row per device in key order.
#[must_use]
pub fn onboarded_csv(onboarded: &[(Pubkey, i64)]) -> String {
    let mut out = String::from("device,onboarded_at\n");
    for (device, at) in onboarded {
        out.push_str(&format!("{device},{at}\n"));
    }
    out
}

/// The registry CSV without the devices onboarded at or after `end`, by the onboarding times in
/// `onboarded` (a `registry-onboarded.csv`). Devices it does not list are kept (a registry from
/// a CSV file has no onboarding times); the header and row order are kept, so the result is
/// still a canonical `registry.csv`.
#[must_use]
pub fn registry_as_of(registry: &[u8], onboarded: &[u8], end: i64) -> Vec<u8> {
    let late: std::collections::BTreeSet<&[u8]> = onboarded
        .split(|b| *b == b'\n')
        .skip(1)
        .filter_map(|line| {
            let comma = line.iter().position(|b| *b == b',')?;
            let at: i64 = std::str::from_utf8(&line[comma + 1..]).ok()?.parse().ok()?;
            (at >= end).then_some(&line[..comma])
        })
        .collect();
    let mut out = Vec::with_capacity(registry.len());
    for (i, line) in registry.split_inclusive(|b| *b == b'\n').enumerate() {
        let device = line.split(|b| *b == b',').next().unwrap_or_default();
        if i == 0 || !late.contains(device) {
            out.extend_from_slice(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_scores_only_devices_onboarded_before_its_end() {
        let a = Pubkey([1; 32]);
        let b = Pubkey([2; 32]);
        let c = Pubkey([3; 32]);
        let registry = format!(
            "{REGISTRY_HEADER}\n{a},o,m,8928308ae03ffff,connectivity,active\n\
             {b},o,m,8928308ae03ffff,connectivity,active\n\
             {c},o,m,8928308ae03ffff,connectivity,active\n"
        );
        // c has no onboarding time (a registry from a file): it stays.
        let onboarded = onboarded_csv(&[(a, 100), (b, 160)]);
        let at = |end| {
            String::from_utf8(registry_as_of(
                registry.as_bytes(),
                onboarded.as_bytes(),
                end,
            ))
            .unwrap_or_default()
        };
        let lines = |s: String| s.lines().map(str::to_string).collect::<Vec<_>>();
        let all = lines(registry.clone());
        // Onboarded at or after the end: not in the epoch.
        assert_eq!(
            lines(at(160)),
            vec![all[0].clone(), all[1].clone(), all[3].clone()]
        );
        assert_eq!(lines(at(100)), vec![all[0].clone(), all[3].clone()]);
        assert_eq!(at(161), registry);
        // Without onboarding times, the registry is unchanged.
        assert_eq!(
            registry_as_of(registry.as_bytes(), b"device,onboarded_at\n", 0),
            registry.as_bytes()
        );
        assert_eq!(
            onboarded,
            format!("device,onboarded_at\n{a},100\n{b},160\n")
        );
    }
}
