//! Nonces that are never reused, even across `kill -9` or a wiped state directory.
//!
//! The agent reserves nonces in blocks: before the first nonce of a block is used, the block's
//! end (the high-water mark) is written durably to `nonce.hwm` (temporary file, fsync, rename,
//! fsync of the directory). A restart begins at the stored mark, above every nonce the previous
//! run could have used. It also never begins below `unix_seconds << 20` (the start time in the
//! top 44 bits): a device whose state directory was wiped still starts above every nonce it used
//! before, as long as it used fewer than 2^20 (1,048,576) nonces per second of uptime and its
//! clock does not go back.

use std::path::{Path, PathBuf};

/// The mark's file name in the state directory.
pub const HWM_FILE: &str = "nonce.hwm";

/// Where report nonces come from (the agent's durable [`NonceFile`]; a simulator may keep its
/// own in memory).
pub trait NonceSource {
    /// The next nonce, never returned before.
    ///
    /// # Errors
    ///
    /// The reservation could not be made durable.
    fn next_nonce(&mut self) -> std::io::Result<u64>;
}

/// In-memory nonces counting up from a start (for a simulator; not crash-safe by itself).
#[derive(Debug, Clone)]
pub struct Counter(pub u64);

impl NonceSource for Counter {
    fn next_nonce(&mut self) -> std::io::Result<u64> {
        let n = self.0;
        self.0 = n
            .checked_add(1)
            .ok_or_else(|| std::io::Error::other("nonces exhausted"))?;
        Ok(n)
    }
}

/// The lowest nonce a start at `unix_seconds` may use.
#[must_use]
pub fn time_floor(unix_seconds: u64) -> u64 {
    unix_seconds
        .checked_shl(20)
        .filter(|_| unix_seconds < 1 << 44)
        .unwrap_or(u64::MAX / 2)
}

/// Durable nonce reservation in blocks.
#[derive(Debug)]
pub struct NonceFile {
    path: PathBuf,
    next: u64,
    /// Nonces below this are reserved (written to the file).
    reserved: u64,
    block: u64,
}

impl NonceFile {
    /// Opens `state_dir/nonce.hwm`; the first nonce is `max(stored mark, time_floor(now))`.
    ///
    /// # Errors
    ///
    /// The file exists but cannot be read or parsed.
    pub fn open(state_dir: &Path, block: u64, unix_seconds: u64) -> std::io::Result<Self> {
        let path = state_dir.join(HWM_FILE);
        let stored = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<u64>().map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{}: {e} (delete it only with the whole state directory)",
                        path.display()
                    ),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e),
        };
        let next = stored.max(time_floor(unix_seconds));
        Ok(Self {
            path,
            next,
            reserved: next,
            block: block.max(1),
        })
    }

    /// The next nonce that would be used.
    #[must_use]
    pub const fn peek(&self) -> u64 {
        self.next
    }

    fn reserve(&mut self) -> std::io::Result<()> {
        let mark = self
            .next
            .checked_add(self.block)
            .ok_or_else(|| std::io::Error::other("nonces exhausted"))?;
        crate::fsutil::write_atomic(&self.path, format!("{mark}\n").as_bytes(), 0o600)?;
        self.reserved = mark;
        Ok(())
    }
}

impl NonceSource for NonceFile {
    fn next_nonce(&mut self) -> std::io::Result<u64> {
        if self.next >= self.reserved {
            self.reserve()?;
        }
        let n = self.next;
        self.next = n
            .checked_add(1)
            .ok_or_else(|| std::io::Error::other("nonces exhausted"))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const T: u64 = 1_767_225_600;

    #[test]
    fn blocks_and_restarts() {
        let tmp = tempfile::tempdir().unwrap();
        let mut a = NonceFile::open(tmp.path(), 4, T).unwrap();
        let floor = T << 20;
        assert_eq!(a.peek(), floor);
        // Nothing is written before the first nonce is taken.
        assert!(!tmp.path().join(HWM_FILE).exists());
        let got: Vec<u64> = (0..5).map(|_| a.next_nonce().unwrap()).collect();
        assert_eq!(got, (floor..floor + 5).collect::<Vec<_>>());
        // Two blocks reserved: the mark is the second block's end.
        let mark = std::fs::read_to_string(tmp.path().join(HWM_FILE)).unwrap();
        assert_eq!(mark, format!("{}\n", floor + 8));
        // A crash now (the struct dropped without any further write): the next run starts at the
        // mark, above the five used, even with the clock unchanged.
        drop(a);
        let mut b = NonceFile::open(tmp.path(), 4, T).unwrap();
        assert_eq!(b.next_nonce().unwrap(), floor + 8);
        // A later start with no state: the clock floor is above.
        let empty = tempfile::tempdir().unwrap();
        let mut c = NonceFile::open(empty.path(), 4, T + 1).unwrap();
        assert_eq!(c.next_nonce().unwrap(), (T + 1) << 20);
        // A mark above the clock floor wins.
        std::fs::write(empty.path().join(HWM_FILE), format!("{}\n", (T + 10) << 20)).unwrap();
        let mut d = NonceFile::open(empty.path(), 4, T + 1).unwrap();
        assert_eq!(d.next_nonce().unwrap(), (T + 10) << 20);
        std::fs::write(empty.path().join(HWM_FILE), "x\n").unwrap();
        assert!(NonceFile::open(empty.path(), 4, T).is_err());
    }

    #[test]
    fn counter_and_floor_overflow() {
        let mut c = Counter(u64::MAX - 1);
        assert_eq!(c.next_nonce().unwrap(), u64::MAX - 1);
        assert!(c.next_nonce().is_err());
        assert_eq!(time_floor(1), 1 << 20);
        assert_eq!(time_floor(1 << 44), u64::MAX / 2);
    }
}
