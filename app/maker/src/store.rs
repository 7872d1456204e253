//! The codes the maker has signed for: each at most once, ever. An append-only file in the state
//! directory, one line per code (`<device's signature> <device> <owner> <unix time>`, base58),
//! written and fsynced before the maker's signature leaves the service. The service holds an
//! exclusive lock (`flock`) on `<state_dir>/lock` while it runs, so one process owns the file.
//!
//! A code is identified by the device's signature over it (ed25519 is deterministic: the same
//! code is the same signature). A torn last line (a crash mid-append, before the fsync, so before
//! any signature was returned) is cut off at start.

use std::collections::HashSet;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use depin_formats::key_file;
use depin_formats::keys::{Pubkey, Sig};
use depin_formats::onboarding::OnboardingCode;

/// The store's file name in the state directory.
pub const USED_CODES_FILE: &str = "used-codes.log";
/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = "lock";

/// Why the store cannot be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Private(#[from] key_file::KeyFileError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is locked by another process (is another depin-maker running on it?)")]
    Locked { path: String },
    #[error("{path}, line {line}: not a used-code record")]
    Corrupt { path: String, line: usize },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// One signed code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Used {
    pub signature: Sig,
    pub device: Pubkey,
    pub owner: Pubkey,
    /// Unix seconds when the maker signed.
    pub at: i64,
}

impl Used {
    fn line(&self) -> String {
        format!(
            "{} {} {} {}\n",
            self.signature, self.device, self.owner, self.at
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let mut f = line.split(' ');
        let used = Self {
            signature: f.next()?.parse().ok()?,
            device: f.next()?.parse().ok()?,
            owner: f.next()?.parse().ok()?,
            at: f.next()?.parse().ok()?,
        };
        f.next().is_none().then_some(used)
    }
}

/// Why a code was not recorded.
#[derive(Debug)]
pub enum RecordError<E> {
    /// Signed for before (the code's device).
    AlreadyUsed(Pubkey),
    /// The admission check refused (nothing was written).
    Refused(E),
    Store(StoreError),
}

struct Inner {
    used: HashSet<[u8; 64]>,
    file: File,
}

/// The used-code store.
pub struct UsedCodes {
    path: PathBuf,
    inner: Mutex<Inner>,
    _lock: File,
}

/// Creates the state directory (mode 0700) if missing, and checks its mode.
///
/// # Errors
///
/// It cannot be created, or group or other may access it.
pub fn ensure_state_dir(dir: &Path) -> Result<(), StoreError> {
    if !dir.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(dir))?;
    }
    Ok(key_file::check_private(dir, 0o700)?)
}

impl UsedCodes {
    /// Opens (creating) the store in `state_dir`, holding its lock until dropped.
    ///
    /// # Errors
    ///
    /// A loose state directory, another process holding the lock, an unreadable or corrupt file.
    pub fn open(state_dir: &Path) -> Result<Self, StoreError> {
        ensure_state_dir(state_dir)?;
        let lock = lock(&state_dir.join(LOCK_FILE))?;
        let path = state_dir.join(USED_CODES_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .open(&path)
            .map_err(io(&path))?;
        // The file's directory entry is durable before any record in it is relied on.
        std::fs::File::open(state_dir)
            .and_then(|d| d.sync_all())
            .map_err(io(state_dir))?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(io(&path))?;
        let whole = text.rfind('\n').map_or(0, |i| i + 1);
        if whole < text.len() {
            tracing::warn!(path = %path.display(), "cutting a torn last record");
            file.set_len(u64::try_from(whole).unwrap_or(u64::MAX))
                .and_then(|()| file.sync_all())
                .map_err(io(&path))?;
        }
        let mut used = HashSet::new();
        for (i, line) in text.get(..whole).unwrap_or_default().lines().enumerate() {
            let u = Used::parse(line).ok_or_else(|| StoreError::Corrupt {
                path: path.display().to_string(),
                line: i + 1,
            })?;
            used.insert(u.signature.0);
        }
        Ok(Self {
            path,
            inner: Mutex::new(Inner { used, file }),
            _lock: lock,
        })
    }

    /// How many codes were signed for.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.used.len())
    }

    /// Whether no code was signed for yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `code` was signed for.
    #[must_use]
    pub fn contains(&self, code: &OnboardingCode) -> bool {
        self.inner
            .lock()
            .map_or(true, |i| i.used.contains(&code.signature.0))
    }

    /// Records `code` as signed for at `at`, once: refused if it was before, or if `admit` (the
    /// rate limits, checked under the same lock) refuses; durable (fsynced) when it returns Ok.
    /// Blocking (a file sync).
    ///
    /// # Errors
    ///
    /// [`RecordError`]; nothing is recorded.
    pub fn record_once<E>(
        &self,
        code: &OnboardingCode,
        at: i64,
        admit: impl FnOnce() -> Result<(), E>,
    ) -> Result<Used, RecordError<E>> {
        let used = Used {
            signature: code.signature,
            device: code.onboarding.device,
            owner: code.onboarding.owner,
            at,
        };
        let Ok(mut inner) = self.inner.lock() else {
            return Err(RecordError::Store(StoreError::Io {
                path: self.path.display().to_string(),
                source: std::io::Error::other("the store's lock is poisoned"),
            }));
        };
        if inner.used.contains(&code.signature.0) {
            return Err(RecordError::AlreadyUsed(used.device));
        }
        admit().map_err(RecordError::Refused)?;
        let line = used.line();
        inner
            .file
            .write_all(line.as_bytes())
            .and_then(|()| inner.file.sync_data())
            .map_err(|e| RecordError::Store(io(&self.path)(e)))?;
        inner.used.insert(code.signature.0);
        Ok(used)
    }
}

/// Every record of the store in `state_dir`, in order (for status and tests; no lock taken).
///
/// # Errors
///
/// The file cannot be read, or a whole line is not a record.
pub fn read(state_dir: &Path) -> Result<Vec<Used>, StoreError> {
    let path = state_dir.join(USED_CODES_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&path)(e)),
    };
    let whole = text
        .rfind('\n')
        .map_or("", |i| text.get(..=i).unwrap_or(""));
    whole
        .lines()
        .enumerate()
        .map(|(i, l)| {
            Used::parse(l).ok_or_else(|| StoreError::Corrupt {
                path: path.display().to_string(),
                line: i + 1,
            })
        })
        .collect()
}

/// An exclusive lock (`flock`) on `path` (created 0600), or [`StoreError::Locked`].
fn lock(path: &Path) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)
        .map_err(io(path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: path.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use depin_formats::onboarding::{DeviceKind, Onboarding, REWARDS_PROGRAM_ID};
    use ed25519_dalek::SigningKey;

    fn code(seed: u8) -> OnboardingCode {
        Onboarding::sign(
            &SigningKey::from_bytes(&[seed; 32]),
            Pubkey([2; 32]),
            DeviceKind::Connectivity,
            1_800_000_000,
            &REWARDS_PROGRAM_ID,
        )
    }

    #[test]
    fn a_code_is_recorded_once_durably_and_the_lock_is_exclusive() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        let store = UsedCodes::open(&dir).unwrap();
        let ok = || Ok::<(), ()>(());
        let used = store.record_once(&code(1), 100, ok).unwrap();
        assert_eq!(used.device, code(1).onboarding.device);
        assert!(matches!(
            store.record_once(&code(1), 101, ok),
            Err(RecordError::AlreadyUsed(d)) if d == code(1).onboarding.device
        ));
        // A refused admission records nothing.
        assert!(matches!(
            store.record_once(&code(2), 102, || Err("limited")),
            Err(RecordError::Refused("limited"))
        ));
        assert!(!store.contains(&code(2)));
        assert_eq!(read(&dir).unwrap(), vec![used]);
        // One process at a time.
        assert!(matches!(
            UsedCodes::open(&dir),
            Err(StoreError::Locked { .. })
        ));
        drop(store);
        // A torn last line is cut; the whole records stay.
        let path = dir.join(USED_CODES_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"3xyz").unwrap();
        let store = UsedCodes::open(&dir).unwrap();
        assert!(store.contains(&code(1)));
        assert_eq!(store.len(), 1);
        assert_eq!(read(&dir).unwrap(), vec![used]);
        store.record_once(&code(2), 103, ok).unwrap();
        assert_eq!(read(&dir).unwrap().len(), 2);
    }
}
