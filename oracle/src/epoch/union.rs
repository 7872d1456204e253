//! The union of an epoch's included report sets (docs/oracle-agreement.md, "The union"): what
//! every honest oracle writes as the epoch's `reports.jsonl`, byte for byte, whatever order it
//! reads the sets in.
//!
//! ```text
//! set 0 ──┐  each set, line by line: decoded in the documented JSON form (else `malformed`),
//! set 1 ──┼─ re-encoded canonically, and kept only if its key (timestamp, device, nonce) is
//! set 2 ──┘  above the set's previous kept key (else `out_of_order`)
//!             ▼ k-way merge by (key, canonical line); equal lines written once (`duplicates`)
//!           reports.jsonl  ── the engine: registry, window, signature and nonce rules, as ever
//! ```
//!
//! Every rule reads only the bytes of the sets, so it cannot differ between oracles. The sets
//! an oracle writes itself are already in this form and order (`publish.rs`, the reports
//! writer); only a peer that does not follow the format loses lines here. Signatures, devices and
//! windows are the engine's rules, which count what they refuse in the published files.
//! Memory: one pending line per set.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{BufRead, Write};

use depin_formats::keys::Pubkey;
use depin_formats::report::SignedReport;

/// What the union kept and dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnionStats {
    /// Lines written.
    pub kept: u64,
    /// Lines equal to a line already written (the same report reached several oracles).
    pub duplicates: u64,
    /// Lines that do not decode as one signed report in the documented JSON form.
    pub malformed: u64,
    /// Lines whose key is not above the previous kept line's in their set.
    pub out_of_order: u64,
}

/// The order of reports.jsonl: timestamp, device bytes, nonce.
type Key = (i64, Pubkey, u64);

/// One set's next kept line.
struct Cursor<R> {
    reader: R,
    last: Option<Key>,
    buf: Vec<u8>,
}

/// Longest line the union reads: far above any report's JSON (a few hundred bytes). A longer
/// line is skipped as `malformed` without ever being held, so a peer's set of one huge line
/// costs a read, not the memory.
pub const MAX_LINE: usize = 16 * 1024;

impl<R: BufRead> Cursor<R> {
    /// The next line into `buf` (without its newline): `Some(true)`, or `Some(false)` for a line
    /// longer than [`MAX_LINE`] (skipped, `buf` empty); `None` at the end.
    fn read_line(&mut self) -> std::io::Result<Option<bool>> {
        self.buf.clear();
        let (mut any, mut too_long) = (false, false);
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                return Ok(any.then_some(!too_long));
            }
            any = true;
            let newline = available.iter().position(|b| *b == b'\n');
            let chunk = &available[..newline.unwrap_or(available.len())];
            if !too_long {
                if self.buf.len() + chunk.len() > MAX_LINE {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            let used = newline.map_or(available.len(), |i| i + 1);
            self.reader.consume(used);
            if newline.is_some() {
                return Ok(Some(!too_long));
            }
        }
    }

    /// The set's next line that decodes and is in order, re-encoded canonically.
    fn next(&mut self, stats: &mut UnionStats) -> std::io::Result<Option<(Key, String)>> {
        loop {
            match self.read_line()? {
                None => return Ok(None),
                Some(false) => {
                    stats.malformed += 1;
                    continue;
                }
                Some(true) => {}
            }
            if self.buf.is_empty() {
                continue;
            }
            let Some((key, line)) = canonical(&self.buf) else {
                stats.malformed += 1;
                continue;
            };
            if self.last.is_some_and(|last| key <= last) {
                stats.out_of_order += 1;
                continue;
            }
            self.last = Some(key);
            return Ok(Some((key, line)));
        }
    }
}

/// The line's key and its canonical JSON, or None if it is not one signed report in the
/// documented form.
fn canonical(line: &[u8]) -> Option<(Key, String)> {
    let signed = SignedReport::from_json(line).ok()?;
    let json = signed.to_json().ok()?;
    let r = &signed.report;
    Some(((r.timestamp, r.device, r.nonce), json))
}

/// Writes the union of `sets` to `out`, one line per report, and returns what it kept and
/// dropped. The output does not depend on the order of `sets`.
///
/// # Errors
///
/// A read or write error.
pub fn merge_sets<R: BufRead>(sets: Vec<R>, mut out: impl Write) -> std::io::Result<UnionStats> {
    let mut stats = UnionStats::default();
    let mut cursors: Vec<Cursor<R>> = sets
        .into_iter()
        .map(|reader| Cursor {
            reader,
            last: None,
            buf: Vec::new(),
        })
        .collect();
    let mut heap = BinaryHeap::new();
    for (i, c) in cursors.iter_mut().enumerate() {
        if let Some((key, line)) = c.next(&mut stats)? {
            heap.push(Reverse((key, line, i)));
        }
    }
    let mut written: Option<String> = None;
    while let Some(Reverse((_, line, i))) = heap.pop() {
        if let Some((key, next)) = cursors[i].next(&mut stats)? {
            heap.push(Reverse((key, next, i)));
        }
        if written.as_deref() == Some(line.as_str()) {
            stats.duplicates += 1;
            continue;
        }
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        stats.kept += 1;
        written = Some(line);
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use depin_formats::report::{Heartbeat, Payload, Report};
    use ed25519_dalek::SigningKey;

    fn signed(key: &SigningKey, timestamp: i64, nonce: u64) -> SignedReport {
        Report {
            device: Pubkey(key.verifying_key().to_bytes()),
            timestamp,
            nonce,
            payload: Payload::Heartbeat(Heartbeat::default()),
        }
        .sign(key)
    }

    fn jsonl(reports: &[&SignedReport]) -> String {
        reports
            .iter()
            .map(|r| r.to_json().unwrap() + "\n")
            .collect()
    }

    fn union(sets: &[&str]) -> (String, UnionStats) {
        let mut out = Vec::new();
        let stats = merge_sets(sets.iter().map(|s| s.as_bytes()).collect(), &mut out).unwrap();
        (String::from_utf8(out).unwrap(), stats)
    }

    #[test]
    fn overlapping_sets_give_each_report_once_in_order_whatever_the_set_order() {
        let a = SigningKey::from_bytes(&[1; 32]);
        let b = SigningKey::from_bytes(&[2; 32]);
        let (a1, a2, b1, b2) = (
            signed(&a, 100, 1),
            signed(&a, 200, 2),
            signed(&b, 100, 1),
            signed(&b, 300, 2),
        );
        // Oracle 0 got a1, a2, b1; oracle 1 got a2, b1, b2 (each in reports.jsonl order).
        let mut first = [&a1, &b1, &a2];
        first.sort_by_key(|r| (r.report.timestamp, r.report.device, r.report.nonce));
        let set0 = jsonl(&first);
        let set1 = jsonl(&[&b1, &a2, &b2]);
        let mut all = [&a1, &b1, &a2, &b2];
        all.sort_by_key(|r| (r.report.timestamp, r.report.device, r.report.nonce));
        let expected = jsonl(&all);
        let stats = UnionStats {
            kept: 4,
            duplicates: 2,
            ..UnionStats::default()
        };
        assert_eq!(union(&[&set0, &set1]), (expected.clone(), stats));
        assert_eq!(union(&[&set1, &set0]), (expected, stats));
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_unread() {
        let a = SigningKey::from_bytes(&[1; 32]);
        let (r1, r2) = (signed(&a, 100, 1), signed(&a, 200, 2));
        let huge = "x".repeat(10 * MAX_LINE);
        let set = format!("{}{huge}\n{}{huge}", jsonl(&[&r1]), jsonl(&[&r2]));
        let (out, stats) = union(&[&set]);
        assert_eq!(out, jsonl(&[&r1, &r2]));
        assert_eq!(
            stats,
            UnionStats {
                kept: 2,
                malformed: 2,
                ..UnionStats::default()
            }
        );
    }

    #[test]
    fn a_peers_bad_lines_are_dropped_the_same_way_by_everyone() {
        let a = SigningKey::from_bytes(&[1; 32]);
        let good = signed(&a, 100, 1);
        let later = signed(&a, 200, 2);
        // A forged copy (the signature of another report) and a re-encoded copy (keys in
        // another order, spaces): both decode; the forged one is the engine's to refuse.
        let mut forged = good.clone();
        forged.signature = later.signature;
        let reordered = format!(
            "{{ \"signature\": {:?}, \"nonce\": 1, \"timestamp\": 100, \"payload\": {}, \"device\": {:?} }}",
            good.signature.to_string(),
            serde_json::to_string(&good.report.payload).unwrap(),
            good.report.device.to_string(),
        );
        let honest = jsonl(&[&good, &later]);
        // Two malformed lines, a re-encoded copy of `good` (the same canonical line), `later`
        // (also the honest oracle's), then `good` again, out of order.
        let peer = format!(
            "not json\n[1,2]\n{reordered}\n{}{}",
            jsonl(&[&later]),
            jsonl(&[&good]),
        );
        let liar = jsonl(&[&forged]);
        let (out, stats) = union(&[&honest, &peer, &liar]);
        assert_eq!(union(&[&liar, &peer, &honest]), (out.clone(), stats));
        assert_eq!(union(&[&peer, &honest, &liar]), (out.clone(), stats));
        assert_eq!(
            stats,
            UnionStats {
                kept: 3,
                duplicates: 2,
                malformed: 2,
                out_of_order: 1,
            }
        );
        let mut expected = [&good, &forged, &later];
        expected.sort_by_key(|r| {
            (
                r.report.timestamp,
                r.report.device,
                r.report.nonce,
                r.to_json().unwrap(),
            )
        });
        assert_eq!(out, jsonl(&expected));
        // The engine then refuses the forged line, by its reason, at every oracle.
        let parsed = crate::epoch::inputs::read_reports(out.as_bytes()).unwrap();
        assert_eq!(parsed.reports.report_count(), 2);
        assert_eq!(
            parsed.rejected.into_iter().collect::<Vec<_>>(),
            vec![("bad_signature".to_owned(), 1)]
        );
    }
}
