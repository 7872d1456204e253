//! The registry's files: `registry.csv` (`device,owner,maker,location,kind,status`, the format
//! in `docs/transparency.md`, "Inputs"), read by the ingest at start and by the epoch task, and
//! written by the chain sync; and, beside it, the sync's `registry-history.csv` and
//! `registry-synced-at`, from which an epoch's registry is rebuilt as it stood at the epoch's
//! end (each device with the cell asserted by the epoch's start).

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
/// given each epoch's `(start, end)` by `window_of`.
/// Exact: no such epoch is final, so no device changed hands twice since its end, nor moved
/// twice since its start.
///
/// # Errors
///
/// As [`registry_as_of`].
pub fn to_freeze(
    history: &[u8],
    time: i64,
    final_epochs: u64,
    window_of: impl Fn(u64) -> Option<(i64, i64)>,
    wanted: impl Fn(u64) -> bool,
) -> Result<Vec<(u64, Vec<u8>)>, RegistryFileError> {
    let mut out = Vec::new();
    for n in final_epochs..final_epochs.saturating_add(FREEZE_AHEAD) {
        match window_of(n) {
            Some((start, end)) if end <= time => {
                if wanted(n) {
                    out.push((n, registry_as_of(history, start, end)?));
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
    for row in history_rows(history)? {
        let row = row?;
        if row.onboarded_at < end && row.owner_since >= end {
            return Ok(Some(row.device.to_owned()));
        }
    }
    Ok(None)
}

/// A device whose cell for the epoch starting at `start` (and ending at `end`) cannot be read
/// from `history` once the epoch is final: onboarded before `end`, and moved after `start`
/// (the epoch is scored with the cell before the last move). A second move may have followed
/// the first (`update_location` allows it once the epoch is final), and the account keeps only
/// the cell before the last one. A history without the location columns has none.
///
/// # Errors
///
/// As [`registry_as_of`].
pub fn unknowable_location(
    history: &[u8],
    start: i64,
    end: i64,
) -> Result<Option<String>, RegistryFileError> {
    for row in history_rows(history)? {
        let row = row?;
        if row.onboarded_at < end && row.location != row.prev_location && row.location_since > start
        {
            return Ok(Some(row.device.to_owned()));
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
/// (unix seconds), the owner before the last transfer, and the cell before the last location
/// update (lowercase hex) with the time the current one was asserted.
pub const HISTORY_HEADER: &str = "device,owner,maker,location,kind,status,onboarded_at,\
                                  owner_since,prev_owner,decommissioned_at,prev_location,\
                                  location_since";

/// The header of a `registry-history.csv` written before location updates existed (ten
/// columns): still read, each device's cell counting for every epoch.
pub const HISTORY_HEADER_V1: &str = "device,owner,maker,location,kind,status,onboarded_at,\
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
    /// The cell before the last location update (the location itself if none).
    pub prev_location: u64,
    /// Since when the current cell is asserted: epochs starting at or after it are scored with
    /// it, earlier ones with `prev_location`.
    pub location_since: i64,
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
            "{},{},{},{},{},{:x},{}\n",
            registry_row(d),
            h.onboarded_at,
            h.owner_since,
            h.prev_owner,
            h.decommissioned_at,
            h.prev_location,
            h.location_since
        ));
    }
    out
}

/// One line of `registry-history.csv`, its fields as written (a ten-column line of an older
/// file has its cell for every epoch: `prev_location = location`, `location_since` 0).
struct HistoryRow<'a> {
    device: &'a str,
    owner: &'a str,
    maker: &'a str,
    location: &'a str,
    kind: &'a str,
    status: &'a str,
    onboarded_at: i64,
    owner_since: i64,
    prev_owner: &'a str,
    decommissioned_at: i64,
    prev_location: &'a str,
    location_since: i64,
}

/// The rows of a `registry-history.csv` (either header), blank lines skipped.
///
/// # Errors
///
/// Not UTF-8 or an unknown header; then, per row, a line with the wrong number of fields or
/// times that are not integers.
fn history_rows(
    history: &[u8],
) -> Result<impl Iterator<Item = Result<HistoryRow<'_>, RegistryFileError>>, RegistryFileError> {
    let err = |line: usize, message: String| RegistryFileError::History { line, message };
    let text = std::str::from_utf8(history).map_err(|_| err(0, "not UTF-8".to_owned()))?;
    let mut lines = text.lines().enumerate();
    let fields = match lines.next() {
        Some((_, h)) if h == HISTORY_HEADER => 12,
        Some((_, h)) if h == HISTORY_HEADER_V1 => 10,
        _ => return Err(err(1, format!("header is not {HISTORY_HEADER:?}"))),
    };
    Ok(lines
        .filter(|(_, line)| !line.is_empty())
        .map(move |(i, line)| {
            let n = i + 1;
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != fields {
                return Err(err(n, format!("{} fields, expected {fields}", f.len())));
            }
            let time = |s: &str| {
                s.parse::<i64>()
                    .map_err(|_| err(n, format!("{s:?} is not a unix time")))
            };
            Ok(HistoryRow {
                device: f[0],
                owner: f[1],
                maker: f[2],
                location: f[3],
                kind: f[4],
                status: f[5],
                onboarded_at: time(f[6])?,
                owner_since: time(f[7])?,
                prev_owner: f[8],
                decommissioned_at: time(f[9])?,
                prev_location: f.get(10).copied().unwrap_or(f[3]),
                location_since: f.get(11).map_or(Ok(0), |s| time(s))?,
            })
        }))
}

/// The registry of the epoch from `start` to `end`, as a canonical `registry.csv`, from a
/// `registry-history.csv`: as it stood at `end`, each device with the cell asserted by `start`.
/// Devices onboarded at or after `end` are left out; a device whose current owner took it at or
/// after `end` is its previous owner's; a device decommissioned at or after `end` is active; a
/// device whose cell was asserted after `start` has its previous cell (the new one counts from
/// the next epoch on). Every oracle that read the chain after `end` and before the epoch's root
/// became final writes the same bytes, because `transfer_device` keeps the previous owner and
/// `update_location` the previous cell until then, and decommissioning is final. Row order is
/// kept.
///
/// # Errors
///
/// A line without the history's twelve fields (ten in an older file), or whose times are not
/// integers.
pub fn registry_as_of(history: &[u8], start: i64, end: i64) -> Result<Vec<u8>, RegistryFileError> {
    let mut out = Vec::with_capacity(history.len());
    out.extend_from_slice(REGISTRY_HEADER.as_bytes());
    out.push(b'\n');
    for row in history_rows(history)? {
        let r = row?;
        if r.onboarded_at >= end {
            continue;
        }
        let owner = if r.owner_since < end {
            r.owner
        } else {
            r.prev_owner
        };
        let status = if r.status == "decommissioned" && r.decommissioned_at >= end {
            "active"
        } else {
            r.status
        };
        let location = if start >= r.location_since {
            r.location
        } else {
            r.prev_location
        };
        let (device, maker, kind) = (r.device, r.maker, r.kind);
        out.extend_from_slice(
            format!("{device},{owner},{maker},{location},{kind},{status}\n").as_bytes(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// San Francisco at resolution 9, and two of its neighbours.
    const CELL: u64 = 0x0892_8308_ae03_ffff;
    const MOVED: u64 = 0x0892_8308_ae07_ffff;
    const MOVED_AGAIN: u64 = 0x0892_8308_ae0b_ffff;

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
            prev_location: CELL,
            location_since: onboarded_at,
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
            let bytes = registry_as_of(history.as_bytes(), end - 100, end).unwrap();
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
            registry_as_of(history.as_bytes(), i64::MAX - 1, i64::MAX).unwrap(),
            registry_csv(&current).into_bytes()
        );
        assert_eq!(
            history.lines().nth(2),
            Some(
                format!(
                    "{},{b},{},8928308ae03ffff,connectivity,active,100,150,{a},0,8928308ae03ffff,100",
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
            prev_location: CELL,
            location_since: onboarded_at,
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
            registry_as_of(bad.as_bytes(), 0, 0)
                .unwrap_err()
                .to_string(),
            "registry-history.csv line 2: 2 fields, expected 12"
        );
        let bad = format!("{HISTORY_HEADER}\na,b,c,d,e,f,soon,1,g,0,d,0\n");
        assert_eq!(
            registry_as_of(bad.as_bytes(), 0, 0)
                .unwrap_err()
                .to_string(),
            "registry-history.csv line 2: \"soon\" is not a unix time"
        );
        let bad = format!("{HISTORY_HEADER}\na,b,c,d,e,f,1,1,g,0,d,later\n");
        assert_eq!(
            registry_as_of(bad.as_bytes(), 0, 0)
                .unwrap_err()
                .to_string(),
            "registry-history.csv line 2: \"later\" is not a unix time"
        );
        // An older file's ten columns under the new header, and the reverse.
        let bad = format!("{HISTORY_HEADER}\na,b,c,d,e,f,1,1,g,0\n");
        assert!(registry_as_of(bad.as_bytes(), 0, 0).is_err());
        let bad = format!("{HISTORY_HEADER_V1}\na,b,c,d,e,f,1,1,g,0,d,0\n");
        assert!(registry_as_of(bad.as_bytes(), 0, 0).is_err());
        assert!(registry_as_of(b"device,onboarded_at\n", 0, 0).is_err());
    }

    /// Epochs of 100 s from 1,000 (epoch n starts at 1,000 + 100 n). Device 1 was onboarded at
    /// 900 at `CELL` and moved to `MOVED` at `since`; device 2 was never moved; device 3 moved at
    /// 1,150 from `MOVED` to `MOVED_AGAIN` (after an earlier move the account no longer shows).
    fn cells_by_epoch(since: i64) -> Vec<Vec<u64>> {
        let a = Pubkey([0xa; 32]);
        let h = |prev_location, location_since| History {
            onboarded_at: 900,
            owner_since: 900,
            prev_owner: a,
            decommissioned_at: 0,
            prev_location,
            location_since,
        };
        let located = |n, location| Device {
            location,
            ..device(n, a, DeviceStatus::Active)
        };
        let history = history_csv(&[
            (located(1, MOVED), h(CELL, since)),
            (located(2, CELL), h(CELL, 900)),
            (located(3, MOVED_AGAIN), h(MOVED, 1_150)),
        ]);
        (0..4)
            .map(|n| {
                let start = 1_000 + 100 * n;
                let bytes = registry_as_of(history.as_bytes(), start, start + 100).unwrap();
                parse_registry(&bytes)
                    .unwrap()
                    .devices()
                    .iter()
                    .map(|d| d.location)
                    .collect()
            })
            .collect()
    }

    /// A new cell counts from the first epoch that starts at or after its update: mid-epoch,
    /// the next epoch; exactly at an epoch's start, that epoch; the cell before counts for
    /// every epoch that started earlier.
    #[test]
    fn an_epochs_cells_are_those_asserted_by_its_start() {
        // Mid epoch 1 (at 1,150).
        assert_eq!(
            cells_by_epoch(1_150),
            vec![
                vec![CELL, CELL, MOVED],
                vec![CELL, CELL, MOVED],
                vec![MOVED, CELL, MOVED_AGAIN],
                vec![MOVED, CELL, MOVED_AGAIN],
            ]
        );
        // Exactly at epoch 1's start.
        assert_eq!(
            cells_by_epoch(1_100),
            vec![
                vec![CELL, CELL, MOVED],
                vec![MOVED, CELL, MOVED],
                vec![MOVED, CELL, MOVED_AGAIN],
                vec![MOVED, CELL, MOVED_AGAIN],
            ]
        );
        // One second after it: epoch 1 keeps the old cell; one second before it (the last of
        // epoch 0): epoch 1 has the new one.
        assert_eq!(cells_by_epoch(1_101)[1], vec![CELL, CELL, MOVED]);
        assert_eq!(cells_by_epoch(1_099)[0], vec![CELL, CELL, MOVED]);
        assert_eq!(cells_by_epoch(1_099)[1], vec![MOVED, CELL, MOVED]);
        // Two epochs later (mid epoch 3): epochs 0 to 3 all have the old cell.
        assert_eq!(
            cells_by_epoch(1_350)
                .iter()
                .map(|cells| cells[0])
                .collect::<Vec<_>>(),
            vec![CELL, CELL, CELL, CELL]
        );
        // Before epoch 0 (onboarded at 900, moved at 950): every epoch has the new cell.
        assert_eq!(
            cells_by_epoch(950)
                .iter()
                .map(|cells| cells[0])
                .collect::<Vec<_>>(),
            vec![MOVED, MOVED, MOVED, MOVED]
        );
    }

    /// An epoch scored with a cell from before a move cannot be rebuilt once it is final (a
    /// second move may have replaced the cell the account keeps); one that starts after the
    /// move, or a device never moved, can.
    #[test]
    fn a_cell_moved_after_a_final_epochs_start_is_unknowable() {
        let a = Pubkey([0xa; 32]);
        let h = |prev_location, location_since| History {
            onboarded_at: 900,
            owner_since: 900,
            prev_owner: a,
            decommissioned_at: 0,
            prev_location,
            location_since,
        };
        let moved = Device {
            location: MOVED,
            ..device(1, a, DeviceStatus::Active)
        };
        let history = history_csv(&[
            (moved, h(CELL, 1_150)),
            (device(2, a, DeviceStatus::Active), h(CELL, 900)),
        ]);
        let at = |start| unknowable_location(history.as_bytes(), start, start + 100).unwrap();
        assert_eq!(at(1_100), Some(Pubkey([1; 32]).to_string()));
        assert_eq!(at(1_149), Some(Pubkey([1; 32]).to_string()));
        assert_eq!(at(1_150), None);
        assert_eq!(at(1_200), None);
        // Before its onboarding, a device is in no epoch's registry.
        assert_eq!(
            unknowable_location(history.as_bytes(), 700, 800).unwrap(),
            None
        );
    }

    /// A `registry-history.csv` written before location updates (ten columns) is still read:
    /// each cell counts for every epoch, and no cell is unknowable.
    #[test]
    fn an_older_history_without_locations_is_read() {
        let a = Pubkey([0xa; 32]);
        let d = device(1, a, DeviceStatus::Active);
        let old = format!(
            "{HISTORY_HEADER_V1}\n{},{a},{},8928308ae03ffff,connectivity,active,100,100,{a},0\n",
            d.key, d.maker
        );
        let current = Registry::new(vec![d]).unwrap();
        assert_eq!(
            registry_as_of(old.as_bytes(), 150, 250).unwrap(),
            registry_csv(&current).into_bytes()
        );
        assert_eq!(unknowable_location(old.as_bytes(), 150, 250).unwrap(), None);
        assert_eq!(unknowable_owner(old.as_bytes(), 250).unwrap(), None);
    }
}
