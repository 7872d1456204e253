//! The device registry: which devices exist, whose they are, where they claim to be and which
//! verifier scores them (mirrors the rewards program's `Device` accounts).
//!
//! ```text
//!  rewards program Device accounts ──sync (getProgramAccounts)──► Registry
//!        ├─► SharedRegistry (shared): what the ingest checks each report's device against
//!        └─► registry.csv + registry-history.csv + registry-synced-at (file)
//!  registry.csv ──file::parse_registry──► Registry: the snapshot an epoch is scored against
//! ```
//!
//! [`Registry`] (this file) is the sorted in-memory snapshot with each asserted cell's centre;
//! [`shared`] is the ingest's view ([`shared::DeviceRegistry`]) and the registry the sync
//! replaces while the ingest reads it; [`mod@file`] reads and writes the registry's files; [`sync`]
//! reads the chain.

pub mod file;
pub mod shared;
pub mod sync;

use h3o::{CellIndex, LatLng};
use serde::{Deserialize, Serialize};

use depin_formats::keys::Pubkey;

/// Which verifier scores a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// Hotspots: heartbeats, speedtests, beacons and witnesses.
    Connectivity,
    /// GPU / compute nodes: customer-signed job receipts.
    Compute,
}

impl DeviceKind {
    /// The registry.csv spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connectivity => "connectivity",
            Self::Compute => "compute",
        }
    }
}

/// On-chain device status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Active,
    Decommissioned,
}

impl DeviceStatus {
    /// The registry.csv spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Decommissioned => "decommissioned",
        }
    }
}

/// One registered device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    pub key: Pubkey,
    /// The wallet its rewards go to.
    pub owner: Pubkey,
    pub maker: Pubkey,
    /// Asserted location, an H3 cell index.
    pub location: u64,
    pub kind: DeviceKind,
    pub status: DeviceStatus,
}

/// Why a registry could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("device {0} appears twice in the registry")]
    Duplicate(Pubkey),
    #[error("device {device}: {cell:#x} is not a valid H3 cell index")]
    InvalidCell { device: Pubkey, cell: u64 },
}

/// The registry, sorted by device key, with each asserted cell's centre precomputed.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    devices: Vec<Device>,
    centers: Vec<LatLng>,
}

impl Registry {
    /// Sorts `devices` by key and checks them.
    ///
    /// # Errors
    ///
    /// A duplicate device key, or an asserted location that is not an H3 cell.
    pub fn new(mut devices: Vec<Device>) -> Result<Self, RegistryError> {
        devices.sort_unstable_by_key(|d| d.key);
        if let Some(pair) = devices.windows(2).find(|w| w[0].key == w[1].key) {
            return Err(RegistryError::Duplicate(pair[0].key));
        }
        let centers = devices
            .iter()
            .map(|d| {
                CellIndex::try_from(d.location)
                    .map(LatLng::from)
                    .map_err(|_| RegistryError::InvalidCell {
                        device: d.key,
                        cell: d.location,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { devices, centers })
    }

    /// Devices in key order.
    #[must_use]
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// Number of devices.
    #[must_use]
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// Whether the registry is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// The index of `key` in [`Registry::devices`].
    #[must_use]
    pub fn position(&self, key: &Pubkey) -> Option<usize> {
        self.devices.binary_search_by(|d| d.key.cmp(key)).ok()
    }

    /// The device `key` and its asserted cell centre.
    #[must_use]
    pub fn get(&self, key: &Pubkey) -> Option<(&Device, LatLng)> {
        let i = self.position(key)?;
        Some((self.devices.get(i)?, *self.centers.get(i)?))
    }

    /// The asserted cell centre of the device at `index`.
    #[must_use]
    pub fn center(&self, index: usize) -> Option<LatLng> {
        self.centers.get(index).copied()
    }
}

/// Great-circle distance in whole meters.
///
/// This is the one place floating point enters the oracle: h3o computes the haversine distance
/// (and cell centres) in `f64`, and the value is rounded to the nearest meter **immediately**;
/// every threshold and score uses the integer. Two machines could only disagree if their libm
/// differed in the last bits *and* the distance sat within ~1e-9 m of a half meter.
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the rounded, finite, non-negative distance is far below 2^53; `as` saturates anyway"
)]
pub fn distance_m(a: LatLng, b: LatLng) -> u64 {
    let d = a.distance_m(b).round();
    if d.is_finite() && d >= 0.0 {
        d as u64
    } else {
        u64::MAX
    }
}

/// A reported position fix as an h3o coordinate (`None` if out of range).
#[must_use]
pub fn latlng_of(location: depin_formats::report::Location) -> Option<LatLng> {
    LatLng::new(
        f64::from(location.lat_e7) / 10_000_000.0,
        f64::from(location.lon_e7) / 10_000_000.0,
    )
    .ok()
}
