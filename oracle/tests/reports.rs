//! Report encodings: round trips, the signed message, every decode error reason, batches.

// Test helpers outside #[test] functions may unwrap too (clippy.toml only exempts the tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeSet;

use common::*;
use depin_formats::keys::{Pubkey, Sig};
use depin_formats::report::{
    DOMAIN_TAG, HEADER_LEN, KeyCache, Location, Payload, Report, ReportError, SIGNATURE_LEN,
    SignedReport, verify_batch, verify_batch_cached, verify_until_first_failure,
};

fn all_payloads() -> Vec<Payload> {
    vec![
        heartbeat(None),
        heartbeat(Some(Location {
            lat_e7: 377_749_000,
            lon_e7: -1_224_194_000,
        })),
        speedtest(150_000, 12_000, 23),
        beacon(42),
        witness(key(2), 42, -1105),
        receipt(&key(1), 7, 3600, &signer(CUSTOMER)),
    ]
}

#[test]
fn both_encodings_round_trip_and_verify_the_same_signature() {
    for (i, payload) in all_payloads().into_iter().enumerate() {
        let r = signed(1, START + 5, 1000 + i as u64, payload);
        let bin = r.to_binary();
        let json = r.to_json().unwrap();
        let from_bin = SignedReport::from_binary(&bin).unwrap();
        let from_json = SignedReport::from_json(json.as_bytes()).unwrap();
        assert_eq!(from_bin, r);
        assert_eq!(from_json, r);
        from_bin.verify().unwrap();
        from_json.verify().unwrap();
        // Binary -> JSON -> binary is the identity on bytes.
        assert_eq!(
            SignedReport::from_json(from_bin.to_json().unwrap().as_bytes())
                .unwrap()
                .to_binary(),
            bin
        );
        // Fixed layout: header + body + signature.
        let kind = bin[HEADER_LEN - 1];
        assert_eq!(
            bin.len(),
            HEADER_LEN + Payload::body_len(kind).unwrap() + SIGNATURE_LEN
        );
        // The signed message is the tag and the binary envelope without the signature.
        let msg = r.report.signing_message();
        assert_eq!(&msg[..DOMAIN_TAG.len()], b"depin-report-v1");
        assert_eq!(&msg[DOMAIN_TAG.len()..], &bin[..bin.len() - SIGNATURE_LEN]);
    }
}

/// The known-answer vector in docs/reports.md.
#[test]
fn heartbeat_known_answer() {
    let r = Report {
        device: key(1),
        timestamp: START,
        nonce: 1,
        payload: heartbeat(Some(Location {
            lat_e7: 377_749_000,
            lon_e7: -1_224_194_000,
        })),
    }
    .sign(&signer(1));
    assert_eq!(
        hex::encode(r.report.encode_unsigned()),
        concat!(
            "01",
            "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c",
            "00b9556900000000",
            "0100000000000000",
            "00",
            "01",
            "08fe8316",
            "304808b7"
        )
    );
    assert_eq!(
        r.to_json().unwrap(),
        format!(
            "{{\"device\":\"{}\",\"timestamp\":1767225600,\"nonce\":1,\"payload\":{{\"kind\":\"heartbeat\",\"location\":{{\"lat_e7\":377749000,\"lon_e7\":-1224194000}}}},\"signature\":\"{}\"}}",
            key(1),
            r.signature
        )
    );
}

fn reason(e: Result<SignedReport, ReportError>) -> &'static str {
    e.unwrap_err().reason()
}

#[test]
fn every_decode_error_reason() {
    let mut seen = BTreeSet::new();
    let hb = signed(1, START, 1, heartbeat(None));
    let bin = hb.to_binary();
    let mut check = |got: &'static str, expected: &'static str| {
        assert_eq!(got, expected);
        seen.insert(got);
    };

    // Binary.
    check(reason(SignedReport::from_binary(&[])), "malformed_binary");
    check(
        reason(SignedReport::from_binary(&bin[..bin.len() - 1])),
        "malformed_binary",
    );
    let mut long = bin.clone();
    long.push(0);
    check(reason(SignedReport::from_binary(&long)), "malformed_binary");
    let mut v2 = bin.clone();
    v2[0] = 2;
    check(
        reason(SignedReport::from_binary(&v2)),
        "unsupported_version",
    );
    let mut kind = bin.clone();
    kind[HEADER_LEN - 1] = 9;
    check(
        reason(SignedReport::from_binary(&kind)),
        "unknown_payload_kind",
    );
    let mut flag = bin.clone();
    flag[HEADER_LEN] = 2;
    check(reason(SignedReport::from_binary(&flag)), "non_canonical");
    let mut stray = bin.clone();
    stray[HEADER_LEN + 1] = 1; // coordinates without the location flag
    check(reason(SignedReport::from_binary(&stray)), "non_canonical");
    let far = signed(
        1,
        START,
        1,
        heartbeat(Some(Location {
            lat_e7: 900_000_001,
            lon_e7: 0,
        })),
    );
    check(
        reason(SignedReport::from_binary(&far.to_binary())),
        "invalid_location",
    );

    // JSON.
    let json = hb.to_json().unwrap();
    check(reason(SignedReport::from_json(b"{")), "malformed_json");
    check(
        reason(SignedReport::from_json(
            json.replace("\"nonce\"", "\"extra\":1,\"nonce\"")
                .as_bytes(),
        )),
        "malformed_json",
    );
    check(
        reason(SignedReport::from_json(
            json.replace("\"kind\":\"heartbeat\"", "\"kind\":\"selfie\"")
                .as_bytes(),
        )),
        "malformed_json",
    );
    check(
        reason(SignedReport::from_json(
            json.replace(&key(1).to_string(), "not-base58-0OIl")
                .as_bytes(),
        )),
        "malformed_json",
    );
    check(
        reason(SignedReport::from_json(far.to_json().unwrap().as_bytes())),
        "invalid_location",
    );
    // Only the documented form (issue 22): not the report, nor a nested object, as a positional
    // array, which serde alone would take.
    let located = signed(
        1,
        START,
        1,
        heartbeat(Some(Location {
            lat_e7: 1,
            lon_e7: 2,
        })),
    );
    let object = located.to_json().unwrap();
    assert_eq!(SignedReport::from_json(object.as_bytes()).unwrap(), located);
    let positional = format!(
        "[\"{}\",{START},1,{{\"kind\":\"heartbeat\",\"location\":{{\"lat_e7\":1,\"lon_e7\":2}}}},\"{}\"]",
        located.report.device, located.signature
    );
    let nested = object.replace("{\"lat_e7\":1,\"lon_e7\":2}", "[1,2]");
    assert_ne!(nested, object);
    for bytes in [positional, nested] {
        let err = SignedReport::from_json(bytes.as_bytes()).unwrap_err();
        check(err.reason(), "malformed_json");
        assert!(err.to_string().contains("arrays are not accepted"), "{err}");
    }

    // Signatures (after a successful decode, for both encodings).
    let mut tampered = hb.clone();
    tampered.report.nonce = 2;
    for r in [
        SignedReport::from_binary(&tampered.to_binary()).unwrap(),
        SignedReport::from_json(tampered.to_json().unwrap().as_bytes()).unwrap(),
    ] {
        check(r.verify().unwrap_err().reason(), "bad_signature");
    }
    let mut wrong_key = hb.clone();
    wrong_key.report.device = key(2);
    check(wrong_key.verify().unwrap_err().reason(), "bad_signature");
    let mut identity = [0u8; 32];
    identity[0] = 1; // small-order point
    let mut weak = hb.clone();
    weak.report.device = Pubkey(identity);
    check(weak.verify().unwrap_err().reason(), "invalid_device_key");
    let mut bad_sig = hb;
    bad_sig.signature = Sig([0; 64]);
    check(bad_sig.verify().unwrap_err().reason(), "bad_signature");

    let all: BTreeSet<&str> = ReportError::REASONS.into_iter().collect();
    assert_eq!(seen, all, "every reason is produced by some input");
}

#[test]
fn batch_verification_finds_the_bad_ones() {
    let mut reports: Vec<SignedReport> = (0..20u64)
        .map(|i| signed(1 + (i % 3) as u8, START + i as i64, i, heartbeat(None)))
        .collect();
    assert!(verify_batch(&reports).iter().all(Result::is_ok));
    reports[3].report.nonce = 999;
    reports[17].signature = Sig([7; 64]);
    let mut identity = [0u8; 32];
    identity[0] = 1;
    reports[9].report.device = Pubkey(identity);
    let results = verify_batch(&reports);
    for (i, r) in results.iter().enumerate() {
        match i {
            3 | 17 => assert_eq!(r, &Err(ReportError::BadSignature), "report {i}"),
            9 => assert_eq!(r, &Err(ReportError::InvalidDeviceKey), "report {i}"),
            _ => assert_eq!(r, &Ok(()), "report {i}"),
        }
    }
    assert!(verify_batch(&[]).is_empty());
}

/// The ingest's check stops at the first bad report, with its index: the first of the three bad
/// reports (a changed nonce at 3, a weak key at 9, a bad signature at 17), whichever kind; a
/// clean batch passes.
#[test]
fn the_ingest_check_names_the_first_bad_report() {
    let mut reports: Vec<SignedReport> = (0..20u64)
        .map(|i| signed(1 + (i % 3) as u8, START + i as i64, i, heartbeat(None)))
        .collect();
    let cache = KeyCache::new(16);
    assert_eq!(verify_until_first_failure(&reports, &cache), Ok(()));
    assert_eq!(verify_until_first_failure(&[], &cache), Ok(()));
    reports[17].signature = Sig([7; 64]);
    assert_eq!(
        verify_until_first_failure(&reports, &cache),
        Err((17, ReportError::BadSignature))
    );
    let mut identity = [0u8; 32];
    identity[0] = 1;
    reports[9].report.device = Pubkey(identity);
    assert_eq!(
        verify_until_first_failure(&reports, &cache),
        Err((9, ReportError::InvalidDeviceKey))
    );
    reports[3].report.nonce = 999;
    assert_eq!(
        verify_until_first_failure(&reports, &cache),
        Err((3, ReportError::BadSignature))
    );
}

/// The ingest's key cache changes no verdict: the same results as `verify_batch`, cold and
/// warm; it keeps each valid device key once (3 devices here; the weak key is not kept), and
/// starts over when full.
#[test]
fn cached_keys_give_the_same_verdicts() {
    let mut reports: Vec<SignedReport> = (0..20u64)
        .map(|i| signed(1 + (i % 3) as u8, START + i as i64, i, heartbeat(None)))
        .collect();
    reports[3].report.nonce = 999;
    reports[17].signature = Sig([7; 64]);
    let mut identity = [0u8; 32];
    identity[0] = 1;
    reports[9].report.device = Pubkey(identity);
    let expected = verify_batch(&reports);
    assert_eq!(
        expected.iter().filter(|r| r.is_err()).count(),
        3,
        "{expected:?}"
    );
    let cache = KeyCache::new(3);
    assert!(cache.is_empty());
    assert_eq!(verify_batch_cached(&reports, &cache), expected, "cold");
    assert_eq!(cache.len(), 3);
    assert_eq!(verify_batch_cached(&reports, &cache), expected, "warm");
    assert_eq!(cache.len(), 3);
    // A fourth device does not fit: the cache starts over with it.
    let other = vec![signed(4, START, 1, heartbeat(None))];
    assert_eq!(verify_batch_cached(&other, &cache), vec![Ok(())]);
    assert_eq!(cache.len(), 1);
    assert_eq!(
        verify_batch_cached(&reports, &cache),
        expected,
        "after a reset"
    );
    // A bad signature from a cached key is still refused.
    let mut forged = reports[0].clone();
    forged.report.timestamp += 1;
    assert_eq!(
        verify_batch_cached(&[reports[1].clone(), forged], &cache),
        vec![Ok(()), Err(ReportError::BadSignature)]
    );
}

/// `inputs::parse_reports` works through reports.jsonl a chunk at a time: across a chunk
/// boundary every valid report is kept, in its device's order, and every refusal counted.
#[test]
fn parsing_spans_chunks_exactly() {
    use depin_oracle::epoch::inputs::{PARSE_CHUNK, parse_reports};
    let n = PARSE_CHUNK + 100;
    let mut lines: Vec<String> = (0..n as u64)
        .map(|i| {
            signed(1 + (i % 4) as u8, START + i as i64, i, heartbeat(None))
                .to_json()
                .unwrap()
        })
        .collect();
    // A malformed line at the end of the first chunk, a bad signature early in the second.
    lines[PARSE_CHUNK - 1] = "{not json".to_owned();
    let mut forged = signed(2, START, 1 << 40, heartbeat(None));
    forged.signature = Sig([9; 64]);
    lines[PARSE_CHUNK + 1] = forged.to_json().unwrap();
    let body = format!("{}\n\n", lines.join("\n"));
    let (reports, rejected) = parse_reports(body.as_bytes());
    assert_eq!(reports.report_count(), n as u64 - 2);
    assert_eq!(
        rejected.into_iter().collect::<Vec<_>>(),
        vec![
            ("bad_signature".to_owned(), 1),
            ("malformed_json".to_owned(), 1)
        ]
    );
    // 16,484 lines over 4 devices, 4,121 each; the malformed line was device 4's (index
    // 16,383), the forged one replaced device 2's (index 16,385). Each device's reports stay in
    // input order.
    let mut counts: Vec<(Pubkey, usize)> = Vec::new();
    for g in reports.groups() {
        let nonces: Vec<u64> = g.observations.iter().map(|o| o.nonce).collect();
        assert!(nonces.windows(2).all(|w| w[0] < w[1]), "{:?}", g.device);
        counts.push((g.device, nonces.len()));
    }
    let mut expected = vec![
        (key(1), 4121),
        (key(2), 4120),
        (key(3), 4121),
        (key(4), 4120),
    ];
    expected.sort();
    assert_eq!(counts, expected);
}

/// `inputs::read_reports` (what `epoch run` and the epoch task read reports.jsonl with) gives
/// `parse_reports`'s result from a reader, hashes exactly the bytes it read (a last line
/// without a newline included), and a read error mid-file is an error, not a shorter epoch.
#[test]
fn reading_reports_hashes_every_byte_and_stops_on_a_read_error() {
    use depin_formats::transparency::sha256_hex;
    use depin_oracle::epoch::inputs::{PARSE_CHUNK, parse_reports, read_reports};
    let n = PARSE_CHUNK + 3;
    let lines: Vec<String> = (0..n as u64)
        .map(|i| {
            signed(1 + (i % 3) as u8, START + i as i64, i, heartbeat(None))
                .to_json()
                .unwrap()
        })
        .collect();
    // No newline after the last line, and an empty line in the middle.
    let body = format!("{}\n\n{}", lines[..10].join("\n"), lines[10..].join("\n"));
    let parsed = read_reports(std::io::BufReader::with_capacity(4096, body.as_bytes())).unwrap();
    assert_eq!(parsed.sha256, sha256_hex(body.as_bytes()));
    assert_eq!(parsed.reports.report_count(), n as u64);
    assert!(parsed.rejected.is_empty());
    let (whole, rejected) = parse_reports(body.as_bytes());
    assert_eq!(parsed.reports, whole);
    assert!(rejected.is_empty());

    /// Fails every read: a disk error after the first bytes of the file.
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk gone"))
        }
    }
    let cut = body.len() / 2;
    let err = read_reports(std::io::BufReader::new(std::io::Read::chain(
        &body.as_bytes()[..cut],
        Broken,
    )))
    .unwrap_err();
    assert_eq!(err.to_string(), "disk gone");
}
