//! The registry's files: `registry.csv` (`device,owner,maker,location,kind,status`, the format
//! in `docs/transparency.md`, "Inputs"), read by the ingest at start and by the epoch task, and
//! written by the chain sync; and, beside it, the sync's `registry-history.csv` and
//! `registry-synced-at`, from which an epoch's registry is rebuilt as it stood at the epoch's
//! end.

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
    #[error("registry-history.csv line {line}: {message}")]
    History { line: usize, message: String },
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
        out.push_str(&registry_row(d));
        out.push('\n');
    }
    out
}

/// The file beside the registry CSV that holds the cluster time the last successful sync read
/// the chain at (unix seconds: every device onboarded before it is in the registry) and how
/// many epochs were final right after it read the devices: `<time> <final epochs>`.
#[must_use]
pub fn synced_at_path(registry_csv: &Path) -> PathBuf {
    registry_csv.with_file_name("registry-synced-at")
}

/// A `registry-synced-at` line.
#[must_use]
pub fn synced_at_line(time: i64, final_epochs: u64) -> String {
    format!("{time} {final_epochs}\n")
}

/// A `registry-synced-at` file's time and final-epoch count: `None` if it does not parse. A
/// file with the time only (an older version) has no count.
#[must_use]
pub fn parse_synced_at(text: &str) -> Option<(i64, Option<u64>)> {
    let mut words = text.split_whitespace();
    let time = words.next()?.parse().ok()?;
    let finals = match words.next() {
        Some(w) => Some(w.parse().ok()?),
        None => None,
    };
    Some((time, finals))
}

/// The directory beside the registry CSV where the sync freezes each unfinished epoch's
/// registry once it has read the chain past the epoch's end (`epoch-<n>.csv`): later syncs,
/// which may see a second transfer once the epoch is final, cannot change it.
#[must_use]
pub fn frozen_dir(registry_csv: &Path) -> PathBuf {
    registry_csv.with_file_name("registry-epochs")
}

/// Epoch `n`'s frozen registry file.
#[must_use]
pub fn frozen_path(registry_csv: &Path, n: u64) -> PathBuf {
    frozen_dir(registry_csv).join(format!("epoch-{n}.csv"))
}

/// Unfinished epochs the sync freezes ahead of the last final one: an epoch is frozen at the
/// latest once the final count is 16 behind it, still before it can be final.
pub const FREEZE_AHEAD: u64 = 16;

/// The epochs a sync that read `history` at cluster time `time`, with `final_epochs` final
/// right after, freezes: each unfinished epoch (from `final_epochs`, at most [`FREEZE_AHEAD`])
/// that ended by `time` and is `wanted` (not frozen yet), as `(epoch, registry.csv bytes)`,
/// given each epoch's end by `end_of`.
/// Exact: no such epoch is final, so no device changed hands twice since its end.
///
/// # Errors
///
/// As [`registry_as_of`].
pub fn to_freeze(
    history: &[u8],
    time: i64,
    final_epochs: u64,
    end_of: impl Fn(u64) -> Option<i64>,
    wanted: impl Fn(u64) -> bool,
) -> Result<Vec<(u64, Vec<u8>)>, RegistryFileError> {
    let mut out = Vec::new();
    for n in final_epochs..final_epochs.saturating_add(FREEZE_AHEAD) {
        match end_of(n) {
            Some(end) if end <= time => {
                if wanted(n) {
                    out.push((n, registry_as_of(history, end)?));
                }
            }
            _ => break,
        }
    }
    Ok(out)
}

/// A device whose owner at `end` cannot be read from `history` once the epoch ending then is
/// final: onboarded before `end` and transferred at or after it. A second transfer may have
/// followed the first (`transfer_device` allows it once the epoch is final), and the account
/// keeps only the owner before the last one.
///
/// # Errors
///
/// As [`registry_as_of`].
pub fn unknowable_owner(history: &[u8], end: i64) -> Result<Option<String>, RegistryFileError> {
    let err = |line: usize, message: String| RegistryFileError::History { line, message };
    let text = std::str::from_utf8(history).map_err(|_| err(0, "not UTF-8".to_owned()))?;
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(device), Some(onboarded), Some(since)) = (f.first(), f.get(6), f.get(7)) else {
            continue;
        };
        let time = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| err(i + 1, format!("{s:?} is not a unix time")))
        };
        if time(onboarded)? < end && time(since)? >= end {
            return Ok(Some((*device).to_owned()));
        }
    }
    Ok(None)
}

/// The file beside the registry CSV that holds every device's row with the times and the
/// previous owner the rewards program keeps (`registry-history.csv`, [`history_csv`]): what
/// [`registry_as_of`] rebuilds an epoch's registry from.
#[must_use]
pub fn history_path(registry_csv: &Path) -> PathBuf {
    registry_csv.with_file_name("registry-history.csv")
}

/// The header of `registry-history.csv`: `registry.csv`'s columns, then the on-chain times
/// (unix seconds) and the owner before the last transfer.
pub const HISTORY_HEADER: &str = "device,owner,maker,location,kind,status,onboarded_at,\
                                  owner_since,prev_owner,decommissioned_at";

/// What the rewards program's `Device` account keeps beyond the registry row, so that the
/// registry as of any unfinished epoch's end can be rebuilt (docs/oracle-agreement.md, "The
/// registry").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct History {
    pub onboarded_at: i64,
    /// Since when the current owner holds the device.
    pub owner_since: i64,
    /// The owner before the last transfer (the owner itself if none).
    pub prev_owner: Pubkey,
    /// 0 while active.
    pub decommissioned_at: i64,
}

fn registry_row(d: &Device) -> String {
    format!(
        "{},{},{},{:x},{},{}",
        d.key,
        d.owner,
        d.maker,
        d.location,
        d.kind.as_str(),
        d.status.as_str()
    )
}

/// `registry-history.csv`: [`HISTORY_HEADER`], then one row per device in the given order
/// (device-key order from the sync).
#[must_use]
pub fn history_csv(rows: &[(Device, History)]) -> String {
    let mut out = String::with_capacity(128 + rows.len() * 240);
    out.push_str(HISTORY_HEADER);
    out.push('\n');
    for (d, h) in rows {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            registry_row(d),
            h.onboarded_at,
            h.owner_since,
            h.prev_owner,
            h.decommissioned_at
        ));
    }
    out
}

/// The registry as it stood at `end` (an epoch's end), as a canonical `registry.csv`, from a
/// `registry-history.csv`: devices onboarded at or after `end` are left out; a device whose
/// current owner took it at or after `end` is its previous owner's; a device decommissioned at
/// or after `end` is active. Every oracle that read the chain after `end` and before the
/// epoch's root became final writes the same bytes, because `transfer_device` keeps the
/// previous owner until then and decommissioning is final. Row order is kept.
///
/// # Errors
///
/// A line without the history's ten fields, or whose times are not integers.
pub fn registry_as_of(history: &[u8], end: i64) -> Result<Vec<u8>, RegistryFileError> {
    let err = |line: usize, message: String| RegistryFileError::History { line, message };
    let text = std::str::from_utf8(history).map_err(|_| err(0, "not UTF-8".to_owned()))?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h == HISTORY_HEADER => {}
        _ => return Err(err(1, format!("header is not {HISTORY_HEADER:?}"))),
    }
    let mut out = Vec::with_capacity(history.len());
    out.extend_from_slice(REGISTRY_HEADER.as_bytes());
    out.push(b'\n');
    for (i, line) in lines {
        let n = i + 1;
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let [
            device,
            owner,
            maker,
            location,
            kind,
            status,
            onboarded,
            since,
            prev,
            retired,
        ] = f.as_slice()
        else {
            return Err(err(n, format!("{} fields, expected 10", f.len())));
        };
        let time = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| err(n, format!("{s:?} is not a unix time")))
        };
        if time(onboarded)? >= end {
            continue;
        }
        let owner = if time(since)? < end { owner } else { prev };
        let status = if *status == "decommissioned" && time(retired)? >= end {
            "active"
        } else {
            status
        };
        out.extend_from_slice(
            format!("{device},{owner},{maker},{location},{kind},{status}\n").as_bytes(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(n: u8, owner: Pubkey, status: DeviceStatus) -> Device {
        Device {
            key: Pubkey([n; 32]),
            owner,
            maker: Pubkey([9; 32]),
            location: 0x0892_8308_ae03_ffff,
            kind: DeviceKind::Connectivity,
            status,
        }
    }

    /// Device 1 onboarded at 100; device 2 onboarded at 100 by wallet A, transferred to B at
    /// 150; device 3 onboarded at 160; device 4 onboarded at 100 and decommissioned at 170.
    #[test]
    fn an_epochs_registry_is_rebuilt_as_it_stood_at_its_end() {
        let (a, b) = (Pubkey([0xa; 32]), Pubkey([0xb; 32]));
        let h = |onboarded_at, owner_since, prev_owner, decommissioned_at| History {
            onboarded_at,
            owner_since,
            prev_owner,
            decommissioned_at,
        };
        let rows = [
            (device(1, a, DeviceStatus::Active), h(100, 100, a, 0)),
            (device(2, b, DeviceStatus::Active), h(100, 150, a, 0)),
            (device(3, a, DeviceStatus::Active), h(160, 160, a, 0)),
            (
                device(4, a, DeviceStatus::Decommissioned),
                h(100, 100, a, 170),
            ),
        ];
        let history = history_csv(&rows);
        let at = |end| {
            let bytes = registry_as_of(history.as_bytes(), end).unwrap();
            parse_registry(&bytes)
                .unwrap()
                .devices()
                .iter()
                .map(|d| (d.key.0[0], d.owner, d.status))
                .collect::<Vec<_>>()
        };
        use DeviceStatus::{Active, Decommissioned};
        assert_eq!(at(100), vec![]);
        assert_eq!(
            at(150),
            vec![(1, a, Active), (2, a, Active), (4, a, Active)]
        );
        assert_eq!(
            at(151),
            vec![(1, a, Active), (2, b, Active), (4, a, Active)]
        );
        assert_eq!(
            at(170),
            vec![
                (1, a, Active),
                (2, b, Active),
                (3, a, Active),
                (4, a, Active)
            ]
        );
        assert_eq!(
            at(171),
            vec![
                (1, a, Active),
                (2, b, Active),
                (3, a, Active),
                (4, a, Decommissioned)
            ]
        );
        // Long after every change: exactly the current registry.
        let current = Registry::new(rows.iter().map(|(d, _)| *d).collect()).unwrap();
        assert_eq!(
            registry_as_of(history.as_bytes(), i64::MAX).unwrap(),
            registry_csv(&current).into_bytes()
        );
        assert_eq!(
            history.lines().nth(2),
            Some(
                format!(
                    "{},{b},{},8928308ae03ffff,connectivity,active,100,150,{a},0",
                    Pubkey([2; 32]),
                    Pubkey([9; 32])
                )
                .as_str()
            )
        );
    }

    #[test]
    fn an_owner_changed_after_a_final_epochs_end_is_unknowable() {
        let a = Pubkey([0xa; 32]);
        let h = |onboarded_at, owner_since| History {
            onboarded_at,
            owner_since,
            prev_owner: a,
            decommissioned_at: 0,
        };
        let history = history_csv(&[
            (device(1, a, DeviceStatus::Active), h(100, 100)),
            (device(2, a, DeviceStatus::Active), h(100, 150)),
            (device(3, a, DeviceStatus::Active), h(160, 170)),
        ]);
        let at = |end| unknowable_owner(history.as_bytes(), end).unwrap();
        // Device 2 changed hands at 150: unknowable for an end at or before it.
        assert_eq!(at(150), Some(Pubkey([2; 32]).to_string()));
        assert_eq!(at(101), Some(Pubkey([2; 32]).to_string()));
        // After it: every owner is the current one. Device 3 was not there at 160.
        assert_eq!(at(151), None);
        assert_eq!(at(160), None);
        // Before any onboarding: nobody to pay.
        assert_eq!(at(100), None);
    }

    #[test]
    fn the_sync_time_line_holds_the_final_epochs() {
        assert_eq!(
            parse_synced_at(&synced_at_line(1_700, 12)),
            Some((1_700, Some(12)))
        );
        assert_eq!(parse_synced_at("1700\n"), Some((1_700, None)));
        assert_eq!(parse_synced_at("soon"), None);
        assert_eq!(parse_synced_at("1700 many"), None);
    }

    #[test]
    fn a_bad_history_line_is_named() {
        let bad = format!("{HISTORY_HEADER}\nx,y\n");
        assert_eq!(
            registry_as_of(bad.as_bytes(), 0).unwrap_err().to_string(),
            "registry-history.csv line 2: 2 fields, expected 10"
        );
        let bad = format!("{HISTORY_HEADER}\na,b,c,d,e,f,soon,1,g,0\n");
        assert_eq!(
            registry_as_of(bad.as_bytes(), 0).unwrap_err().to_string(),
            "registry-history.csv line 2: \"soon\" is not a unix time"
        );
        assert!(registry_as_of(b"device,onboarded_at\n", 0).is_err());
    }
}
