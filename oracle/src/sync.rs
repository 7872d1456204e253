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
    let devices = program_accounts::<rewards::state::Device>(
        sender,
        "device",
        rewards::state::Device::SIZE,
        None,
    )
    .await?;
    Ok(Registry::new(
        devices.iter().map(|(_, d)| device_of(d)).collect(),
    )?)
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
        let registry = chain_registry(&self.sender).await?;
        let csv = registry_csv(&registry);
        let unchanged = std::fs::read(&self.csv).is_ok_and(|old| old == csv.as_bytes());
        if !unchanged {
            write_atomically(&self.csv, csv.as_bytes())?;
        }
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
