//! Which devices may report: the ingest sees the registry only through [`DeviceRegistry`], a
//! fixed [`Registry`] (`registry.source = "file"`) or a [`SharedRegistry`] that the chain sync
//! replaces while the ingest reads it.

use std::sync::{Arc, RwLock};

use depin_formats::keys::Pubkey;

use super::{DeviceStatus, Registry};

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
