//! The report sets on disk (docs/oracle-agreement.md):
//!
//! ```text
//! <data_dir>/report-sets/epoch-<n>/<sha256 hex>.jsonl   a set: this oracle's or a peer's,
//!                                                        named by the sha256 of its bytes
//! <data_dir>/report-sets/epoch-<n>/own                  "<sha256 hex> <reports> <bytes>\n":
//!                                                        which set is this oracle's own
//! ```
//!
//! A set file is written under a temporary name, fsynced, and renamed into place, so a file under
//! its hash is always complete; `own` is written the same way after its set. Both are kept for
//! ever: peers fetch sets by hash (`GET /v1/report-sets/{n}/{hash}`, `ingest::epochs`), and the
//! committed hash must keep naming the same bytes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use depin_formats::transparency::epoch_dir_name;
use sha2::{Digest, Sha256};

/// `<data_dir>/report-sets`.
pub const REPORT_SETS_DIR: &str = "report-sets";
/// The marker naming this oracle's own set of an epoch.
const OWN: &str = "own";

/// One set: its sha256, its line count and its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetInfo {
    pub hash: [u8; 32],
    pub reports: u64,
    pub bytes: u64,
}

/// The report sets under `<data_dir>/report-sets`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetStore {
    dir: PathBuf,
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let canonical =
        text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    canonical
        .then(|| hex::decode(text).ok()?.try_into().ok())
        .flatten()
}

impl SetStore {
    #[must_use]
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join(REPORT_SETS_DIR),
        }
    }

    /// `<data_dir>/report-sets/epoch-<n>`.
    #[must_use]
    pub fn epoch_dir(&self, epoch: u64) -> PathBuf {
        self.dir.join(epoch_dir_name(epoch))
    }

    /// Where the set `hash` of `epoch` lives (whether or not it is there).
    #[must_use]
    pub fn path(&self, epoch: u64, hash: &[u8; 32]) -> PathBuf {
        self.epoch_dir(epoch)
            .join(format!("{}.jsonl", hex::encode(hash)))
    }

    /// The path of a set named by `hash_hex` if the name is 64 lowercase hex digits.
    #[must_use]
    pub fn path_of_hex(&self, epoch: u64, hash_hex: &str) -> Option<PathBuf> {
        parse_hash(hash_hex).map(|h| self.path(epoch, &h))
    }

    /// Whether the set `hash` of `epoch` is on disk.
    #[must_use]
    pub fn holds(&self, epoch: u64, hash: &[u8; 32]) -> bool {
        self.path(epoch, hash).is_file()
    }

    /// A fresh temporary file in the epoch's directory for a set being written.
    ///
    /// # Errors
    ///
    /// The directory cannot be created.
    pub fn temp_path(&self, epoch: u64, name: &str) -> std::io::Result<PathBuf> {
        let dir = self.epoch_dir(epoch);
        std::fs::create_dir_all(&dir)?;
        Ok(dir.join(format!("{name}.tmp")))
    }

    /// This oracle's own set of `epoch`, if it was recorded (and its file is there).
    ///
    /// # Errors
    ///
    /// The marker cannot be read, or does not parse, or names a missing file.
    pub fn own(&self, epoch: u64) -> std::io::Result<Option<SetInfo>> {
        let marker = self.epoch_dir(epoch).join(OWN);
        let text = match std::fs::read_to_string(&marker) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let bad = || {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{}: not \"<sha256 hex> <reports> <bytes>\"",
                    marker.display()
                ),
            )
        };
        let mut fields = text.split_whitespace();
        let hash = fields.next().and_then(parse_hash).ok_or_else(bad)?;
        let reports = fields.next().and_then(|f| f.parse().ok()).ok_or_else(bad)?;
        let bytes = fields.next().and_then(|f| f.parse().ok()).ok_or_else(bad)?;
        if !self.holds(epoch, &hash) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} names a set that is not there", marker.display()),
            ));
        }
        Ok(Some(SetInfo {
            hash,
            reports,
            bytes,
        }))
    }

    /// Files the complete set at `tmp` (with `reports` lines) under its hash, and records it as
    /// this oracle's own set of `epoch`.
    ///
    /// # Errors
    ///
    /// An I/O failure.
    pub fn record_own(&self, epoch: u64, tmp: &Path, reports: u64) -> std::io::Result<SetInfo> {
        let (hash, bytes) = hash_file(tmp)?;
        let path = self.path(epoch, &hash);
        std::fs::rename(tmp, &path)?;
        let marker_tmp = self.temp_path(epoch, OWN)?;
        write_synced(
            &marker_tmp,
            format!("{} {reports} {bytes}\n", hex::encode(hash)).as_bytes(),
        )?;
        std::fs::rename(&marker_tmp, self.epoch_dir(epoch).join(OWN))?;
        sync_dir(&self.epoch_dir(epoch))?;
        Ok(SetInfo {
            hash,
            reports,
            bytes,
        })
    }

    /// Files the complete file at `tmp` (a peer's set, already checked against `hash`) under
    /// its hash.
    ///
    /// # Errors
    ///
    /// An I/O failure.
    pub fn adopt(&self, epoch: u64, tmp: &Path, hash: &[u8; 32]) -> std::io::Result<PathBuf> {
        std::fs::File::open(tmp)?.sync_all()?;
        let path = self.path(epoch, hash);
        std::fs::rename(tmp, &path)?;
        sync_dir(&self.epoch_dir(epoch))?;
        Ok(path)
    }
}

/// The sha256 and length of the file at `path`, read in chunks.
///
/// # Errors
///
/// A read failure.
pub fn hash_file(path: &Path) -> std::io::Result<([u8; 32], u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok((hasher.finalize().into(), len))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_set_is_filed_under_its_hash_and_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let sets = SetStore::new(dir.path());
        assert_eq!(sets.own(3).unwrap(), None);
        let tmp = sets.temp_path(3, "own-set").unwrap();
        std::fs::write(&tmp, b"line 1\nline 2\n").unwrap();
        let own = sets.record_own(3, &tmp, 2).unwrap();
        let expected: [u8; 32] = Sha256::digest(b"line 1\nline 2\n").into();
        assert_eq!(
            own,
            SetInfo {
                hash: expected,
                reports: 2,
                bytes: 14
            }
        );
        assert_eq!(sets.own(3).unwrap(), Some(own));
        assert!(sets.holds(3, &expected));
        assert_eq!(
            sets.path_of_hex(3, &hex::encode(expected)),
            Some(sets.path(3, &expected))
        );
        for bad in ["", "00", &hex::encode(expected).to_uppercase(), "../own"] {
            assert_eq!(sets.path_of_hex(3, bad), None, "{bad:?}");
        }
    }
}
