//! The disk buffer: an append-only log of signed reports (their binary encoding), fsynced before
//! any send, with one durable cursor per oracle URL.
//!
//! ```text
//! <state_dir>/spool/seg-<first index, 20 digits>.log   records: len u32 LE ‖ crc32 u32 LE ‖ bytes
//! <state_dir>/spool/cursors.json                      {"<oracle url>": <next index to send>}
//! ```
//!
//! Records are numbered from 0 across segments. A new segment starts after `segment_records`
//! records; a segment every configured oracle's cursor has passed is deleted (the last one is
//! kept, it holds the numbering). A torn record at the end (a crash mid-append) is cut off at
//! open: it was never acknowledged to anyone, as the append returns only after the fsync.
//! A cursor is written (atomically) only after an oracle acknowledged the records before it; a
//! crash in between makes the agent send them again, and the oracle answers `409
//! replayed_nonce`, which counts as acknowledged.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::fsutil::{sync_dir, write_atomic};

/// The spool's directory in the state directory.
pub const SPOOL_DIR: &str = "spool";
const CURSORS: &str = "cursors.json";
const RECORD_HEADER: usize = 8;

#[derive(Debug)]
struct Segment {
    start: u64,
    count: u64,
    path: PathBuf,
}

impl Segment {
    fn end(&self) -> u64 {
        self.start.saturating_add(self.count)
    }
}

/// The open spool.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    segment_records: u64,
    segments: Vec<Segment>,
    /// The last segment, open for appending.
    tail: File,
    cursors: BTreeMap<String, u64>,
    /// The oracles whose cursors hold segments back.
    oracles: Vec<String>,
}

fn other(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

fn segment_path(dir: &Path, start: u64) -> PathBuf {
    dir.join(format!("seg-{start:020}.log"))
}

/// Parses a segment's records; returns them and the byte length of the valid prefix.
fn parse_records(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(header) = bytes.get(at..at.saturating_add(RECORD_HEADER)) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let start = at.saturating_add(RECORD_HEADER);
        let Some(body) = bytes.get(start..start.saturating_add(len)) else {
            break;
        };
        if crc32fast::hash(body) != crc {
            break;
        }
        out.push(body);
        at = start.saturating_add(len);
    }
    (out, at)
}

impl Spool {
    /// Opens (or creates) the spool in `state_dir/spool`, cutting off a torn last record.
    /// `oracles` are the configured URLs: only their cursors are kept and consulted.
    ///
    /// # Errors
    ///
    /// I/O errors, a gap between segments, or an unreadable cursors file.
    pub fn open(
        state_dir: &Path,
        oracles: &[String],
        segment_records: u64,
    ) -> std::io::Result<Self> {
        let dir = state_dir.join(SPOOL_DIR);
        std::fs::create_dir_all(&dir)?;
        let mut starts: Vec<u64> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_prefix("seg-")?
                    .strip_suffix(".log")?
                    .parse()
                    .ok()
            })
            .collect();
        starts.sort_unstable();
        if starts.is_empty() {
            File::create(segment_path(&dir, 0))?.sync_all()?;
            sync_dir(&dir)?;
            starts.push(0);
        }
        let mut segments = Vec::with_capacity(starts.len());
        for start in starts {
            let path = segment_path(&dir, start);
            let bytes = std::fs::read(&path)?;
            let (records, valid) = parse_records(&bytes);
            if valid < bytes.len() {
                tracing::warn!(path = %path.display(), cut = bytes.len() - valid, "cutting a torn record off the spool");
                let f = OpenOptions::new().write(true).open(&path)?;
                f.set_len(valid as u64)?;
                f.sync_all()?;
            }
            if let Some(prev) = segments.last().map(Segment::end)
                && prev != start
            {
                return Err(other(format!(
                    "{}: the spool has a gap (records {prev}..{start} missing)",
                    dir.display()
                )));
            }
            segments.push(Segment {
                start,
                count: records.len() as u64,
                path,
            });
        }
        let tail_path = segments.last().map(|s| s.path.clone()).unwrap_or_default();
        let tail = OpenOptions::new().append(true).open(&tail_path)?;
        let cursors = match std::fs::read(dir.join(CURSORS)) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| other(format!("{}: {e}", dir.join(CURSORS).display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            dir,
            segment_records: segment_records.max(1),
            segments,
            tail,
            cursors,
            oracles: oracles.to_vec(),
        })
    }

    /// The oldest record still on disk.
    #[must_use]
    pub fn first(&self) -> u64 {
        self.segments.first().map_or(0, |s| s.start)
    }

    /// The index the next appended record gets.
    #[must_use]
    pub fn end(&self) -> u64 {
        self.segments.last().map_or(0, Segment::end)
    }

    /// How many segment files there are.
    #[must_use]
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Appends one record and fsyncs it; returns its index.
    ///
    /// # Errors
    ///
    /// I/O errors (the record may then be absent or torn; it was not acknowledged).
    pub fn append(&mut self, record: &[u8]) -> std::io::Result<u64> {
        if self
            .segments
            .last()
            .is_some_and(|s| s.count >= self.segment_records)
        {
            let start = self.end();
            let path = segment_path(&self.dir, start);
            self.tail = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(&path)?;
            sync_dir(&self.dir)?;
            self.segments.push(Segment {
                start,
                count: 0,
                path,
            });
        }
        let len = u32::try_from(record.len()).map_err(|_| other("record too large".into()))?;
        let mut buf = Vec::with_capacity(RECORD_HEADER + record.len());
        buf.extend_from_slice(&len.to_le_bytes());
        buf.extend_from_slice(&crc32fast::hash(record).to_le_bytes());
        buf.extend_from_slice(record);
        self.tail.write_all(&buf)?;
        self.tail.sync_data()?;
        let index = self.end();
        if let Some(s) = self.segments.last_mut() {
            s.count = s.count.saturating_add(1);
        }
        Ok(index)
    }

    /// The next record to send to `oracle` (never below the oldest on disk).
    #[must_use]
    pub fn cursor(&self, oracle: &str) -> u64 {
        self.cursors
            .get(oracle)
            .copied()
            .unwrap_or(0)
            .clamp(self.first(), self.end())
    }

    /// Records from `from` on, at most `max`, with their indexes.
    ///
    /// # Errors
    ///
    /// A segment cannot be read.
    pub fn read(&self, from: u64, max: usize) -> std::io::Result<Vec<(u64, Vec<u8>)>> {
        let mut out = Vec::new();
        for seg in self.segments.iter().filter(|s| s.end() > from) {
            let bytes = std::fs::read(&seg.path)?;
            let (records, _) = parse_records(&bytes);
            for (i, r) in (seg.start..)
                .zip(records.iter())
                .take_while(|(i, _)| *i < seg.end())
            {
                if i >= from {
                    if out.len() >= max {
                        return Ok(out);
                    }
                    out.push((i, r.to_vec()));
                }
            }
        }
        Ok(out)
    }

    /// Records that `oracle` has not acknowledged yet.
    #[must_use]
    pub fn depth(&self, oracle: &str) -> u64 {
        self.end().saturating_sub(self.cursor(oracle))
    }

    /// Moves `oracle`'s cursor to `next` (durably), then deletes the segments every oracle has
    /// passed.
    ///
    /// # Errors
    ///
    /// The cursors file or a segment deletion failed.
    pub fn ack(&mut self, oracle: &str, next: u64) -> std::io::Result<()> {
        let next = next.min(self.end());
        if next <= self.cursor(oracle) && self.cursors.contains_key(oracle) {
            return Ok(());
        }
        self.cursors.insert(oracle.to_string(), next);
        self.cursors
            .retain(|k, _| self.oracles.iter().any(|o| o == k));
        let json = serde_json::to_vec(&self.cursors).map_err(|e| other(e.to_string()))?;
        write_atomic(&self.dir.join(CURSORS), &json, 0o600)?;
        self.compact()
    }

    /// Deletes every segment but the last that all configured oracles have passed.
    fn compact(&mut self) -> std::io::Result<()> {
        let low = self
            .oracles
            .iter()
            .map(|o| self.cursor(o))
            .min()
            .unwrap_or_else(|| self.end());
        let mut removed = false;
        while self.segments.len() > 1 && self.segments.first().is_some_and(|s| s.end() <= low) {
            let seg = self.segments.remove(0);
            std::fs::remove_file(&seg.path)?;
            removed = true;
        }
        if removed {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn urls() -> Vec<String> {
        vec!["http://a".into(), "http://b".into()]
    }

    fn rec(i: u64) -> Vec<u8> {
        vec![u8::try_from(i % 251).unwrap(); usize::try_from(i % 7 + 1).unwrap()]
    }

    #[test]
    fn append_read_cursor_and_compaction() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Spool::open(tmp.path(), &urls(), 4).unwrap();
        for i in 0..10 {
            assert_eq!(s.append(&rec(i)).unwrap(), i);
        }
        assert_eq!(s.segment_count(), 3);
        let got = s.read(3, 4).unwrap();
        assert_eq!(got, (3..7).map(|i| (i, rec(i))).collect::<Vec<_>>());
        assert_eq!(s.depth("http://a"), 10);
        s.ack("http://a", 9).unwrap();
        // b still holds everything.
        assert_eq!(s.segment_count(), 3);
        s.ack("http://b", 5).unwrap();
        // Segment 0..4 passed by both; 4..8 not (b at 5).
        assert_eq!(s.segment_count(), 2);
        assert_eq!(s.first(), 4);
        assert_eq!(s.depth("http://b"), 5);
        assert_eq!(s.depth("http://a"), 1);
        drop(s);
        // Reopened: cursors and numbering survive.
        let mut s = Spool::open(tmp.path(), &urls(), 4).unwrap();
        assert_eq!((s.first(), s.end()), (4, 10));
        assert_eq!(s.cursor("http://a"), 9);
        assert_eq!(s.cursor("http://b"), 5);
        // A new oracle starts at the oldest record kept.
        assert_eq!(s.cursor("http://c"), 4);
        s.ack("http://a", 10).unwrap();
        s.ack("http://b", 10).unwrap();
        // The last segment is kept: it holds the numbering.
        assert_eq!((s.segment_count(), s.first()), (1, 8));
        assert_eq!(s.append(&rec(10)).unwrap(), 10);
        assert_eq!(s.read(10, 100).unwrap(), vec![(10, rec(10))]);
        assert_eq!(s.depth("http://a"), 1);
    }

    #[test]
    fn crash_between_write_and_cursor_and_torn_tail() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Spool::open(tmp.path(), &urls(), 100).unwrap();
        for i in 0..3 {
            s.append(&rec(i)).unwrap();
        }
        s.ack("http://a", 1).unwrap();
        // A crash after the send but before the cursor write: only the cursor file tells.
        drop(s);
        // A torn record: half a header and body appended by a crash mid-write.
        let seg = tmp
            .path()
            .join(SPOOL_DIR)
            .join(format!("seg-{:020}.log", 0));
        let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        drop(f);
        let mut s = Spool::open(tmp.path(), &urls(), 100).unwrap();
        assert_eq!(s.end(), 3);
        assert_eq!(s.cursor("http://a"), 1);
        assert_eq!(
            s.read(s.cursor("http://a"), 10).unwrap(),
            vec![(1, rec(1)), (2, rec(2))]
        );
        assert_eq!(s.append(&rec(3)).unwrap(), 3);
        drop(s);
        let s = Spool::open(tmp.path(), &urls(), 100).unwrap();
        assert_eq!(s.read(3, 10).unwrap(), vec![(3, rec(3))]);
    }
}
