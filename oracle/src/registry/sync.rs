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
//! scores only devices onboarded before the epoch's end ([`super::file::registry_as_of`]), and
//! waits until `registry-synced-at` (the cluster time of the last sync's read) has passed that
//! end, so every oracle scores the same devices whatever its sync lag, and their roots match.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use depin_client::Sender;
use depin_client::accounts::{FetchError, program_accounts};
use depin_formats::keys::Pubkey;

use super::file::{onboarded_csv, onboarded_path, registry_csv, synced_at_path};
use super::shared::SharedRegistry;
use super::{Device, DeviceKind, DeviceStatus, Registry, RegistryError};
use crate::supervisor::{Shutdown, TaskError};

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
