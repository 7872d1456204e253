//! The devices this maker made: `<state_dir>/devices.txt`, one device key (base58) a line, `#`
//! comments. The maker vouches only for hardware it provisioned, so the service signs an
//! onboarding only for a device listed here (`unknown_device` otherwise). The factory line adds
//! keys with `depin-maker provision --device KEY` (appended and fsynced); the service re-reads
//! the file when its size or modification time changes, without a restart.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// The file's name in the state directory.
pub const FILE_NAME: &str = "devices.txt";

/// Why the list could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DevicesError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} line {line}: {text:?} is not a base58 device key (32 bytes)")]
    Parse {
        path: PathBuf,
        line: usize,
        text: String,
    },
}

/// The provisioned device keys, re-read when the file changes.
pub struct Provisioned {
    path: PathBuf,
    cache: Mutex<Option<Cached>>,
}

struct Cached {
    stamp: (u64, Option<SystemTime>),
    keys: HashSet<[u8; 32]>,
}

impl Provisioned {
    /// The list in `state_dir` (a missing file is an empty list).
    #[must_use]
    pub fn new(state_dir: &Path) -> Self {
        Self {
            path: state_dir.join(FILE_NAME),
            cache: Mutex::new(None),
        }
    }

    /// Whether `device` is listed, reading the file again if it changed.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or a line is not a device key.
    pub fn contains(&self, device: &[u8; 32]) -> Result<bool, DevicesError> {
        let io = |source| DevicesError::Io {
            path: self.path.clone(),
            source,
        };
        let stamp = match std::fs::metadata(&self.path) {
            Ok(m) => (m.len(), m.modified().ok()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => (0, None),
            Err(e) => return Err(io(e)),
        };
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.as_ref().is_none_or(|c| c.stamp != stamp) {
            let keys = if stamp.1.is_none() {
                HashSet::new()
            } else {
                parse(
                    &self.path,
                    &std::fs::read_to_string(&self.path).map_err(io)?,
                )?
            };
            *cache = Some(Cached { stamp, keys });
        }
        Ok(cache.as_ref().is_some_and(|c| c.keys.contains(device)))
    }
}

fn parse(path: &Path, text: &str) -> Result<HashSet<[u8; 32]>, DevicesError> {
    let mut keys = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let key = decode_key(line).ok_or_else(|| DevicesError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            text: line.to_string(),
        })?;
        keys.insert(key);
    }
    Ok(keys)
}

/// A base58 32-byte key.
#[must_use]
pub fn decode_key(text: &str) -> Option<[u8; 32]> {
    bs58::decode(text).into_vec().ok()?.try_into().ok()
}

/// Appends `device` to the list in `state_dir` (created 0600), fsyncing the file and, when it
/// was created, the directory.
///
/// # Errors
///
/// The file or directory cannot be written or synced.
pub fn provision(state_dir: &Path, device: &[u8; 32]) -> Result<(), DevicesError> {
    let path = state_dir.join(FILE_NAME);
    let io = |source| DevicesError::Io {
        path: path.clone(),
        source,
    };
    let created = !path.exists();
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&path)
        .map_err(io)?;
    writeln!(file, "{}", bs58::encode(device).into_string()).map_err(io)?;
    file.sync_all().map_err(io)?;
    if created {
        File::open(state_dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioned_keys_are_read_again_when_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let list = Provisioned::new(dir.path());
        assert!(!list.contains(&[1; 32]).unwrap());
        provision(dir.path(), &[1; 32]).unwrap();
        assert!(list.contains(&[1; 32]).unwrap());
        assert!(!list.contains(&[2; 32]).unwrap());
        provision(dir.path(), &[2; 32]).unwrap();
        assert!(list.contains(&[2; 32]).unwrap());
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(text.lines().count(), 2);
        std::fs::write(dir.path().join(FILE_NAME), "# factory batch 7\nnot-a-key\n").unwrap();
        let e = list.contains(&[1; 32]).unwrap_err().to_string();
        assert!(
            e.ends_with("line 2: \"not-a-key\" is not a base58 device key (32 bytes)"),
            "{e}"
        );
    }
}
