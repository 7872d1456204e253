//! Which devices may report. Until the on-chain registry sync lands, the registry is the
//! `registry.csv` the epoch engine reads; the ingest sees it only through [`DeviceRegistry`], so
//! the sync can replace it without touching the ingest.

use std::path::Path;

use crate::inputs::{InputError, parse_registry};
use crate::keys::Pubkey;
use crate::verify::{DeviceStatus, Registry};

/// A source of registered devices.
pub trait DeviceRegistry: Send + Sync + 'static {
    /// The device's status, or `None` if it is not registered.
    fn status(&self, device: &Pubkey) -> Option<DeviceStatus>;
    /// Number of registered devices (for logs).
    fn len(&self) -> usize;
    /// Whether no device is registered.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DeviceRegistry for Registry {
    fn status(&self, device: &Pubkey) -> Option<DeviceStatus> {
        self.get(device).map(|(d, _)| d.status)
    }
    fn len(&self) -> usize {
        Self::len(self)
    }
}

/// Loads a registry CSV (`device,owner,maker,location,kind,status`). A missing file is an empty
/// registry, so that `oracle serve` starts with no set-up (and refuses every device).
///
/// # Errors
///
/// An unreadable or malformed file.
pub fn load_registry_csv(path: &Path) -> Result<Registry, InputError> {
    match std::fs::read(path) {
        Ok(bytes) => parse_registry(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(
                path = %path.display(),
                "registry file not found: starting with an empty registry (every device is unknown)"
            );
            Ok(Registry::default())
        }
        Err(source) => Err(InputError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}
