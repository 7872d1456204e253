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
//! Next to `registry.csv` the sync writes `registry-history.csv`: each device's row with the
//! times, previous owner and previous cell the account keeps (onboarding, the current owner's
//! start, the owner before, decommissioning, the cell before the last location update and the
//! current cell's start). Every oracle syncs on its own schedule, so at the moment an
//! epoch closes their registries may differ by the onboardings, transfers and decommissionings
//! since; each epoch is therefore scored against the registry as it stood at its end, each
//! device at the cell it asserted by the epoch's start ([`super::file::registry_as_of`]). With the epoch task running ([`RegistrySync::freezing`]),
//! each read also freezes that registry for every epoch that ended before it and was not final
//! right after it ([`freeze_epochs`], docs/oracle-agreement.md "The registry"), and
//! `registry-synced-at` records the read's cluster time and final-epoch count, so every oracle
//! scores the same devices for the same owners whatever its sync lag, and their roots match.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use depin_client::Sender;
use depin_client::accounts::{FetchError, program_accounts};
use depin_formats::keys::Pubkey;

use super::file::{
    History, frozen_path, history_csv, history_path, registry_csv, synced_at_line, synced_at_path,
    to_freeze,
};
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
    #[error(transparent)]
    File(#[from] super::file::RegistryFileError),
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

/// The registry, and each device's row with its history, in device-key order.
async fn chain_devices(sender: &Sender) -> Result<(Registry, Vec<(Device, History)>), SyncError> {
    let devices = program_accounts::<rewards::state::Device>(
        sender,
        "device",
        rewards::state::Device::SIZE,
        None,
    )
    .await?;
    let mut rows: Vec<(Device, History)> = devices
        .iter()
        .map(|(_, d)| (device_of(d), history_of(d)))
        .collect();
    rows.sort_unstable_by_key(|(d, _)| d.key);
    Ok((Registry::new(rows.iter().map(|(d, _)| *d).collect())?, rows))
}

/// How many epochs are final (the network's `final_root.epochs`); 0 before the network exists.
async fn final_epochs(sender: &Sender) -> Result<u64, SyncError> {
    let network: Option<rewards::state::Network> = depin_client::accounts::fetch(
        sender,
        "network",
        &depin_client::builders::rewards_ix::network_pda().0,
    )
    .await?;
    Ok(network.map_or(0, |n| n.final_root.epochs))
}

/// What an on-chain `Device` keeps beyond the registry row.
#[must_use]
pub fn history_of(d: &rewards::state::Device) -> History {
    History {
        onboarded_at: d.onboarded_at,
        owner_since: d.owner_since,
        prev_owner: Pubkey(d.prev_owner.to_bytes()),
        decommissioned_at: d.decommissioned_at,
        prev_location: d.prev_location,
        location_since: d.location_since,
    }
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

/// Freezes, beside `registry_csv`, the registry of every unfinished epoch (epochs of
/// `epoch_secs` from `start_ts`) that ended by `time` and is not frozen yet, from `history` as
/// read at `time` with `final_epochs` final right after ([`to_freeze`]). Returns the epochs
/// written.
///
/// # Errors
///
/// A malformed history or an unwritable directory.
pub fn freeze_epochs(
    registry_csv: &Path,
    history: &[u8],
    time: i64,
    final_epochs: u64,
    start_ts: i64,
    epoch_secs: i64,
) -> Result<Vec<u64>, SyncError> {
    let window_of = |n: u64| {
        let n = i64::try_from(n).ok()?;
        let start = n.checked_mul(epoch_secs)?.checked_add(start_ts)?;
        Some((start, start.checked_add(epoch_secs)?))
    };
    let missing = |n: u64| !frozen_path(registry_csv, n).exists();
    let mut written = Vec::new();
    for (n, registry) in to_freeze(history, time, final_epochs, window_of, missing)? {
        write_atomically(&frozen_path(registry_csv, n), &registry)?;
        tracing::debug!(epoch = n, "epoch registry frozen");
        written.push(n);
    }
    Ok(written)
}

/// The registry sync task of `oracle serve` (`registry.source = "chain"`).
pub struct RegistrySync {
    sender: Sender,
    shared: Arc<SharedRegistry>,
    csv: PathBuf,
    interval: Duration,
    /// The epochs' start and length, when the epoch task runs: each unfinished epoch's registry
    /// is frozen once a read is past its end.
    epochs: Option<(i64, i64)>,
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
            epochs: None,
        }
    }

    /// Also freezes each unfinished epoch's registry (epochs of `epoch_secs` from `start_ts`)
    /// once a read is past its end ([`super::file::to_freeze`]).
    #[must_use]
    pub const fn freezing(mut self, start_ts: i64, epoch_secs: i64) -> Self {
        self.epochs = Some((start_ts, epoch_secs));
        self
    }

    fn freeze(&self, history: &[u8], time: i64, final_epochs: u64) -> Result<(), SyncError> {
        match self.epochs {
            Some((start, secs)) => {
                freeze_epochs(&self.csv, history, time, final_epochs, start, secs).map(drop)
            }
            None => Ok(()),
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
        let (registry, rows) = chain_devices(&self.sender).await?;
        // After the accounts: an epoch not final now was not final while they were read, so no
        // second transfer since its end can be in them (docs/oracle-agreement.md).
        let final_epochs = final_epochs(&self.sender).await?;
        let history = history_csv(&rows);
        let path = history_path(&self.csv);
        if std::fs::read(&path).is_ok_and(|old| old == history.as_bytes()) {
            // Unchanged: only the time below moves.
        } else {
            // The history is all the epoch task reads; registry.csv is the ingest's at start.
            write_atomically(&path, history.as_bytes())?;
            write_atomically(&self.csv, registry_csv(&registry).as_bytes())?;
        }
        // The ingest sees the new registry even if freezing fails below.
        let n = registry.len();
        self.shared.replace(registry);
        self.freeze(history.as_bytes(), as_of, final_epochs)?;
        write_atomically(
            &synced_at_path(&self.csv),
            synced_at_line(as_of, final_epochs).as_bytes(),
        )?;
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

    /// Every field the registry and its history need, read from the account as the program
    /// keeps it (a device moved once and transferred once).
    #[test]
    fn a_device_account_decodes_into_its_row_and_history() {
        let k = |n: u8| anchor_lang::prelude::Pubkey::new_from_array([n; 32]);
        let account = rewards::state::Device {
            bump: 254,
            kind: rewards::state::DeviceKind::Connectivity,
            status: rewards::state::DeviceStatus::Active,
            device: k(1),
            owner: k(2),
            maker: k(3),
            position: k(4),
            location: 0x0892_8308_ae07_ffff,
            onboarded_at: 100,
            owner_since: 150,
            prev_owner: k(5),
            decommissioned_at: 0,
            prev_position: k(6),
            prev_location: 0x0892_8308_ae03_ffff,
            location_since: 170,
        };
        assert_eq!(
            device_of(&account),
            Device {
                key: Pubkey([1; 32]),
                owner: Pubkey([2; 32]),
                maker: Pubkey([3; 32]),
                location: 0x0892_8308_ae07_ffff,
                kind: DeviceKind::Connectivity,
                status: DeviceStatus::Active,
            }
        );
        assert_eq!(
            history_of(&account),
            History {
                onboarded_at: 100,
                owner_since: 150,
                prev_owner: Pubkey([5; 32]),
                decommissioned_at: 0,
                prev_location: 0x0892_8308_ae03_ffff,
                location_since: 170,
            }
        );
    }
}
