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
//! open: it was never acknowledged to anyone, as the append returns only after the fsync. A
//! record shorter than the smallest report (123 bytes; a zero length included, as in a tail of
//! zeros) ends the valid prefix the same way. Segments are checked for gaps before anything is
//! cut, and cursors past the end are brought back to it (cursors.json rewritten).
//! A cursor is written (atomically) only after an oracle acknowledged the records before it; a
//! crash in between makes the agent send them again, and the oracle answers `409
//! replayed_nonce`, which counts as acknowledged.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use depin_formats::report::{HEADER_LEN, Payload, SIGNATURE_LEN};

use crate::fsutil::{sync_dir, write_atomic};

/// The spool's directory in the state directory.
pub const SPOOL_DIR: &str = "spool";
const CURSORS: &str = "cursors.json";
const RECORD_HEADER: usize = 8;
/// The smallest binary report (a heartbeat without a fix): 123 bytes.
pub const MIN_RECORD: usize = HEADER_LEN
    + SIGNATURE_LEN
    + match Payload::body_len(0) {
        Some(n) => n,
        None => 0,
    };

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
    /// The byte length of its whole records (a failed append is cut back to it).
    tail_len: u64,
    /// Tests: the next append writes this many bytes, then fails as a full disk does.
    #[cfg(test)]
    fail_after: Option<usize>,
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
        if len < MIN_RECORD {
            break;
        }
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
        // Every segment is read and the numbering checked before anything is cut.
        let mut segments = Vec::with_capacity(starts.len());
        let mut cuts = Vec::new();
        for start in starts {
            let path = segment_path(&dir, start);
            let bytes = std::fs::read(&path)?;
            let (records, valid) = parse_records(&bytes);
            if let Some(prev) = segments.last().map(Segment::end)
                && prev != start
            {
                return Err(other(format!(
                    "{}: the spool has a gap (records {prev}..{start} missing)",
                    dir.display()
                )));
            }
            if valid < bytes.len() {
                cuts.push((path.clone(), valid, bytes.len() - valid));
            }
            segments.push(Segment {
                start,
                count: records.len() as u64,
                path,
            });
        }
        for (path, valid, cut) in cuts {
            tracing::warn!(path = %path.display(), cut, "cutting a torn record off the spool");
            let f = OpenOptions::new().write(true).open(&path)?;
            f.set_len(valid as u64)?;
            f.sync_all()?;
        }
        let tail_path = segments.last().map(|s| s.path.clone()).unwrap_or_default();
        let tail = OpenOptions::new().append(true).open(&tail_path)?;
        let tail_len = tail.metadata()?.len();
        let mut cursors: BTreeMap<String, u64> = match std::fs::read(dir.join(CURSORS)) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| other(format!("{}: {e}", dir.join(CURSORS).display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        // A cursor past the end (records cut, or a cursors file from another spool) would skip
        // the next reports: bring it back to the end.
        let end = segments.last().map_or(0, Segment::end);
        let mut clamped = false;
        for (url, c) in &mut cursors {
            if *c > end {
                tracing::warn!(oracle = %url, cursor = *c, end, "a cursor past the spool's end: set to the end");
                *c = end;
                clamped = true;
            }
        }
        if clamped {
            let json = serde_json::to_vec(&cursors).map_err(|e| other(e.to_string()))?;
            write_atomic(&dir.join(CURSORS), &json, 0o600)?;
        }
        Ok(Self {
            dir,
            segment_records: segment_records.max(1),
            segments,
            tail,
            tail_len,
            #[cfg(test)]
            fail_after: None,
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
    /// A record shorter than the smallest report, or an I/O error: what was written of the record
    /// is cut back off (if that fails too, the torn record is cut at the next open), and the
    /// spool stays usable.
    pub fn append(&mut self, record: &[u8]) -> std::io::Result<u64> {
        if record.len() < MIN_RECORD {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "a {}-byte record: shorter than the smallest report ({MIN_RECORD})",
                    record.len()
                ),
            ));
        }
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
            self.tail_len = 0;
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
        if let Err(e) = self.write_tail(&buf) {
            // Cut what was written back off (a full disk: the next append may fit again).
            let cut = self
                .tail
                .set_len(self.tail_len)
                .and_then(|()| self.tail.sync_data());
            if let Err(c) = cut {
                tracing::error!(error = %c, "cutting a failed append back off the spool (it is cut at the next open)");
            }
            return Err(e);
        }
        self.tail_len = self.tail_len.saturating_add(buf.len() as u64);
        let index = self.end();
        if let Some(s) = self.segments.last_mut() {
            s.count = s.count.saturating_add(1);
        }
        Ok(index)
    }

    fn write_tail(&mut self, buf: &[u8]) -> std::io::Result<()> {
        #[cfg(test)]
        if let Some(n) = self.fail_after.take() {
            // A full disk: part of the record written, then ENOSPC.
            self.tail.write_all(buf.get(..n).unwrap_or(buf))?;
            return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
        }
        self.tail.write_all(buf)?;
        self.tail.sync_data()
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
        vec![u8::try_from(i % 251).unwrap(); MIN_RECORD + usize::try_from(i % 7).unwrap()]
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
        f.write_all(&[200, 0, 0, 0, 1, 2]).unwrap();
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

    fn seg(dir: &Path, start: u64) -> PathBuf {
        segment_path(&dir.join(SPOOL_DIR), start)
    }

    #[test]
    fn short_and_zero_length_records_end_the_valid_prefix() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Spool::open(tmp.path(), &urls(), 100).unwrap();
        s.append(&rec(0)).unwrap();
        let err = s.append(&[7; MIN_RECORD - 1]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(
            err.to_string(),
            "a 122-byte record: shorter than the smallest report (123)"
        );
        assert_eq!(s.end(), 1);
        drop(s);
        let len_before = std::fs::metadata(seg(tmp.path(), 0)).unwrap().len();
        // A tail of zeros (len 0, crc32 of nothing is 0) is not a run of empty records.
        let mut f = OpenOptions::new()
            .append(true)
            .open(seg(tmp.path(), 0))
            .unwrap();
        f.write_all(&[0; 64]).unwrap();
        // Nor is a short record with a good checksum.
        let short = [5u8; 10];
        f.write_all(&10u32.to_le_bytes()).unwrap();
        f.write_all(&crc32fast::hash(&short).to_le_bytes()).unwrap();
        f.write_all(&short).unwrap();
        drop(f);
        let mut s = Spool::open(tmp.path(), &urls(), 100).unwrap();
        assert_eq!(s.end(), 1);
        assert_eq!(
            std::fs::metadata(seg(tmp.path(), 0)).unwrap().len(),
            len_before
        );
        assert_eq!(s.append(&rec(1)).unwrap(), 1);
        assert_eq!(s.read(0, 10).unwrap(), vec![(0, rec(0)), (1, rec(1))]);
    }

    #[test]
    fn a_gap_is_refused_before_anything_is_cut() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Spool::open(tmp.path(), &urls(), 2).unwrap();
        for i in 0..6 {
            s.append(&rec(i)).unwrap();
        }
        drop(s);
        // Segment 2..4 lost; segment 0..2 has a torn tail.
        std::fs::remove_file(seg(tmp.path(), 2)).unwrap();
        let mut f = OpenOptions::new()
            .append(true)
            .open(seg(tmp.path(), 0))
            .unwrap();
        f.write_all(&[200, 0, 0]).unwrap();
        drop(f);
        let len = std::fs::metadata(seg(tmp.path(), 0)).unwrap().len();
        let err = Spool::open(tmp.path(), &urls(), 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: the spool has a gap (records 2..4 missing)",
                tmp.path().join(SPOOL_DIR).display()
            )
        );
        // Nothing was cut.
        assert_eq!(std::fs::metadata(seg(tmp.path(), 0)).unwrap().len(), len);
    }

    #[test]
    fn cursors_past_the_end_are_brought_back_and_rewritten() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Spool::open(tmp.path(), &urls(), 100).unwrap();
        for i in 0..3 {
            s.append(&rec(i)).unwrap();
        }
        drop(s);
        let cursors = tmp.path().join(SPOOL_DIR).join(CURSORS);
        std::fs::write(&cursors, r#"{"http://a":2,"http://b":9}"#).unwrap();
        let mut s = Spool::open(tmp.path(), &urls(), 100).unwrap();
        assert_eq!(
            std::fs::read_to_string(&cursors).unwrap(),
            r#"{"http://a":2,"http://b":3}"#
        );
        assert_eq!(s.cursor("http://b"), 3);
        // The next report is sent to b (with the cursor at 9 it would skip 3..9).
        assert_eq!(s.append(&rec(3)).unwrap(), 3);
        assert_eq!(s.read(s.cursor("http://b"), 10).unwrap(), vec![(3, rec(3))]);
        assert_eq!(s.depth("http://b"), 1);
    }

    #[test]
    fn a_failed_append_is_cut_back_off_and_the_spool_goes_on() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Spool::open(tmp.path(), &urls(), 2).unwrap();
        s.append(&rec(0)).unwrap();
        let len = std::fs::metadata(seg(tmp.path(), 0)).unwrap().len();
        s.fail_after = Some(50);
        let err = s.append(&rec(1)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);
        // The half record is gone, the numbering unchanged.
        assert_eq!(std::fs::metadata(seg(tmp.path(), 0)).unwrap().len(), len);
        assert_eq!(s.end(), 1);
        assert_eq!(s.append(&rec(2)).unwrap(), 1);
        // In a new segment too.
        s.fail_after = Some(3);
        assert!(s.append(&rec(3)).is_err());
        assert_eq!(std::fs::metadata(seg(tmp.path(), 2)).unwrap().len(), 0);
        assert_eq!(s.append(&rec(4)).unwrap(), 2);
        assert_eq!(
            s.read(0, 10).unwrap(),
            vec![(0, rec(0)), (1, rec(2)), (2, rec(4))]
        );
        drop(s);
        let s = Spool::open(tmp.path(), &urls(), 2).unwrap();
        assert_eq!(s.end(), 3);
    }
}
