//! The registry sync: the device registry read from the rewards program's `Device` accounts.
//!
//! ```text
//! getProgramAccounts(rewards, dataSize = Device::SIZE, memcmp(0, Device discriminator))
//!   ─► each account decoded and checked (owner, discriminator, a valid H3 cell)
//!   ─► Registry (sorted by device key)
//!        ├─► SharedRegistry.replace: the ingest's next request sees it
//!        └─► registry.csv, canonical, replaced atomically: the epoch task's input
//! ```
//!
//! The registry only ever comes from the chain: a device is known once its `onboard_device`
//! landed, and `decommissioned` once `decommission_device` did. A failed read keeps the last
//! good registry (the ingest never falls back to an empty one).
//!
//! Next to `registry.csv` the sync writes `registry-onboarded.csv` (`device,onboarded_at`, the
//! on-chain onboarding time). Every oracle syncs on its own schedule, so at the moment an epoch
//! closes their registries may differ by the devices onboarded since; the epoch task therefore
//! scores only devices onboarded before the epoch's end ([`registry_as_of`]), and waits until
//! `registry-synced-at` (the cluster time of the last sync's read) has passed that end, so every
//! oracle scores the same devices whatever its sync lag, and their roots match.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use depin_client::Sender;
use depin_client::accounts::{FetchError, program_accounts};

use crate::ingest::DeviceRegistry;
use crate::inputs::REGISTRY_HEADER;
use crate::keys::Pubkey;
use crate::supervisor::{Shutdown, TaskError};
use crate::verify::registry::RegistryError;
use crate::verify::{Device, DeviceKind, DeviceStatus, Registry};

/// Why the registry could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Every `Device` account of the rewards program, as the oracle's registry.
///
/// # Errors
///
/// An RPC failure (after failover), or an account that does not decode as a `Device`.
pub async fn chain_registry(sender: &Sender) -> Result<Registry, SyncError> {
    Ok(chain_devices(sender).await?.0)
}

/// The registry, and each device's on-chain onboarding time (unix seconds).
async fn chain_devices(sender: &Sender) -> Result<(Registry, Vec<(Pubkey, i64)>), SyncError> {
    let devices = program_accounts::<rewards::state::Device>(
        sender,
        "device",
        rewards::state::Device::SIZE,
        None,
    )
    .await?;
    let mut onboarded: Vec<(Pubkey, i64)> = devices
        .iter()
        .map(|(_, d)| (Pubkey(d.device.to_bytes()), d.onboarded_at))
        .collect();
    onboarded.sort_unstable();
    Ok((
        Registry::new(devices.iter().map(|(_, d)| device_of(d)).collect())?,
        onboarded,
    ))
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

/// The oracle's view of an on-chain `Device`.
#[must_use]
pub fn device_of(d: &rewards::state::Device) -> Device {
    Device {
        key: Pubkey(d.device.to_bytes()),
        owner: Pubkey(d.owner.to_bytes()),
        maker: Pubkey(d.maker.to_bytes()),
        location: d.location,
        kind: match d.kind {
            rewards::state::DeviceKind::Connectivity => DeviceKind::Connectivity,
            rewards::state::DeviceKind::Compute => DeviceKind::Compute,
        },
        status: match d.status {
            rewards::state::DeviceStatus::Active => DeviceStatus::Active,
            rewards::state::DeviceStatus::Decommissioned => DeviceStatus::Decommissioned,
        },
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

/// Replaces `path` with `contents` atomically: a temporary file in the same directory, fsynced,
/// then renamed over it. A reader sees the old file or the new one, never a part.
///
/// # Errors
///
/// The directory is not writable.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), SyncError> {
    let io = |source| SyncError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("csv.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(contents).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// A registry the sync replaces while the ingest reads it.
#[derive(Debug, Default)]
pub struct SharedRegistry(RwLock<Arc<Registry>>);

impl SharedRegistry {
    #[must_use]
    pub fn new(registry: Registry) -> Self {
        Self(RwLock::new(Arc::new(registry)))
    }

    /// The registry now.
    #[must_use]
    pub fn current(&self) -> Arc<Registry> {
        match self.0.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Makes `registry` the one every later lookup sees.
    pub fn replace(&self, registry: Registry) {
        let new = Arc::new(registry);
        match self.0.write() {
            Ok(mut r) => *r = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
    }
}

impl DeviceRegistry for SharedRegistry {
    fn status(&self, device: &Pubkey) -> Option<DeviceStatus> {
        self.current().get(device).map(|(d, _)| d.status)
    }
    fn len(&self) -> usize {
        self.current().len()
    }
}

/// The registry sync task of `oracle serve` (`registry.source = "chain"`).
pub struct RegistrySync {
    sender: Sender,
    shared: Arc<SharedRegistry>,
    csv: PathBuf,
    interval: Duration,
}

impl RegistrySync {
    #[must_use]
    pub fn new(
        sender: Sender,
        shared: Arc<SharedRegistry>,
        csv: PathBuf,
        interval: Duration,
    ) -> Self {
        Self {
            sender,
            shared,
            csv,
            interval,
        }
    }

    /// Reads the chain once, and on success replaces the shared registry and the CSV (only
    /// when it changed). Returns the number of devices.
    ///
    /// # Errors
    ///
    /// As [`chain_registry`] and [`write_atomically`]; the last good registry stays.
    pub async fn once(&self) -> Result<usize, SyncError> {
        // The cluster's time first: the accounts read next (at the same commitment, at a later
        // slot) hold every device whose onboarding landed before it.
        let as_of = depin_client::accounts::cluster_time(&self.sender).await?;
        let (registry, onboarded) = chain_devices(&self.sender).await?;
        let csv = registry_csv(&registry);
        let unchanged = std::fs::read(&self.csv).is_ok_and(|old| old == csv.as_bytes());
        if !unchanged {
            // The onboarding times first: the epoch task reads the registry, then them.
            write_atomically(
                &onboarded_path(&self.csv),
                onboarded_csv(&onboarded).as_bytes(),
            )?;
            write_atomically(&self.csv, csv.as_bytes())?;
        }
        write_atomically(&synced_at_path(&self.csv), as_of.to_string().as_bytes())?;
        let n = registry.len();
        self.shared.replace(registry);
        Ok(n)
    }

    /// Syncs every `interval` until shutdown; failures are logged and retried.
    ///
    /// # Errors
    ///
    /// None today.
    pub async fn run(self, mut shutdown: Shutdown) -> Result<(), TaskError> {
        loop {
            match self.once().await {
                Ok(n) => tracing::debug!(devices = n, "registry synced from the chain"),
                Err(e) => tracing::warn!(error = %e, "registry sync failed; keeping the last one"),
            }
            tokio::select! {
                () = shutdown.requested() => return Ok(()),
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }
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
