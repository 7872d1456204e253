//! `oracle epoch run` and `oracle epoch verify` as real processes: a fresh epoch verifies, and
//! any changed byte of a published file, or a consistent-looking forgery, is caught.

// Test helpers outside #[test] functions may unwrap too (clippy.toml only exempts the tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use depin_formats::transparency::{self, canonical_json, sha256_hex};
use depin_oracle::epoch::audit::verify_epoch_dir;

fn oracle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oracle"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `oracle epoch run` on the test world; returns (tempdir guard, epoch dir).
fn fresh_epoch() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("inputs");
    EpochWorld::new().write_inputs(&inputs);
    // One report with a broken signature is refused and counted, not scored.
    let mut jsonl = std::fs::read_to_string(inputs.join("reports.jsonl")).unwrap();
    let mut bad = signed(2, START + 10, 77_777, heartbeat(None));
    bad.report.nonce = 77_778;
    jsonl.push_str(&bad.to_json().unwrap());
    jsonl.push('\n');
    std::fs::write(inputs.join("reports.jsonl"), jsonl).unwrap();
    let out = tmp.path().join("out");
    let o = oracle(&[
        "epoch",
        "run",
        "--inputs",
        inputs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("distributed 1000000 of 1000000"),
        "{}",
        text(&o)
    );
    (tmp, out.join("epoch-3"))
}

fn verify(dir: &Path) -> Output {
    oracle(&["epoch", "verify", dir.to_str().unwrap()])
}

#[test]
fn fresh_epoch_verifies_and_is_never_overwritten() {
    let (tmp, dir) = fresh_epoch();
    let o = verify(&dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).starts_with("epoch 3 OK: 9 devices, "),
        "{}",
        text(&o)
    );

    let manifest: transparency::Manifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.reports.rejected["bad_signature"], 1);
    assert_eq!(manifest.reports.rejected["unknown_device"], 24);
    assert_eq!(manifest.inputs.len(), 4);

    let again = oracle(&[
        "epoch",
        "run",
        "--inputs",
        tmp.path().join("inputs").to_str().unwrap(),
        "--out",
        tmp.path().join("out").to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
}

/// Flips one bit of `file` at `offset` and expects verification to fail with `message`.
fn tamper_fails(dir: &Path, file: &str, offset: usize, message: &str) {
    let path = dir.join(file);
    let original = std::fs::read(&path).unwrap();
    let mut bytes = original.clone();
    bytes[offset] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let o = verify(dir);
    std::fs::write(&path, &original).unwrap();
    assert!(
        !o.status.success(),
        "{file}[{offset}] tampered but verify passed"
    );
    let t = text(&o);
    assert!(t.contains("epoch verify FAILED"), "{t}");
    assert!(
        t.contains(message),
        "{file}[{offset}]: expected {message:?} in {t}"
    );
}

#[test]
fn any_tampered_byte_fails_verification() {
    let (_tmp, dir) = fresh_epoch();
    for (file, message) in [
        ("devices.csv", "devices.csv does not match manifest.json"),
        ("wallets.csv", "wallets.csv does not match manifest.json"),
        (
            "manifest.json",
            "manifest_hash does not match manifest.json",
        ),
        (
            "manifest_hash",
            "manifest_hash does not match manifest.json",
        ),
    ] {
        let len = std::fs::metadata(dir.join(file)).unwrap().len() as usize;
        // First, last and a spread of bytes in between, as real processes.
        let mut offsets: Vec<usize> = (0..len).step_by((len / 12).max(1)).collect();
        offsets.push(len - 1);
        for offset in offsets {
            tamper_fails(&dir, file, offset, message);
        }
    }
    assert!(verify(&dir).status.success(), "restored files verify again");
}

#[test]
fn every_byte_of_every_file_is_covered_in_process() {
    let (_tmp, dir) = fresh_epoch();
    for file in [
        "devices.csv",
        "wallets.csv",
        "manifest.json",
        "manifest_hash",
    ] {
        let path = dir.join(file);
        let original = std::fs::read(&path).unwrap();
        for offset in 0..original.len() {
            let mut bytes = original.clone();
            bytes[offset] ^= 0x01;
            std::fs::write(&path, &bytes).unwrap();
            assert!(verify_epoch_dir(&dir, None).is_err(), "{file}[{offset}]");
        }
        std::fs::write(&path, &original).unwrap();
    }
    verify_epoch_dir(&dir, None).unwrap();
}

/// Rewrites `file` with `edit`, then re-hashes it into the manifest and the manifest_hash, as
/// a dishonest operator would: only the recomputation can catch it.
fn forge(dir: &Path, file: &str, edit: impl Fn(String) -> String) {
    let path = dir.join(file);
    let new = edit(std::fs::read_to_string(&path).unwrap());
    std::fs::write(&path, &new).unwrap();
    let mut manifest: transparency::Manifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    manifest
        .outputs
        .insert(file.to_owned(), sha256_hex(new.as_bytes()));
    let bytes = canonical_json(&manifest).unwrap();
    std::fs::write(
        dir.join("manifest_hash"),
        format!("{}\n", sha256_hex(&bytes)),
    )
    .unwrap();
    std::fs::write(dir.join("manifest.json"), bytes).unwrap();
}

fn replace_field(line: &str, index: usize, value: &str) -> String {
    let mut f: Vec<String> = line.split(',').map(str::to_owned).collect();
    f[index] = value.to_owned();
    f.join(",")
}

fn edit_line(text: String, line: usize, f: impl Fn(&str) -> String) -> String {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| if i == line { f(l) } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A rewrite of a published file.
type Edit = fn(String) -> String;

#[test]
fn rehashed_forgeries_fail_the_recomputation() {
    let cases: [(&str, Edit, &str); 5] = [
        (
            "devices.csv",
            |t| {
                edit_line(t, 1, |l| {
                    let reward: u64 = l.split(',').nth(3).unwrap().parse().unwrap();
                    replace_field(l, 3, &(reward + 1).to_string())
                })
            },
            "the split of the budget gives",
        ),
        (
            "devices.csv",
            |t| {
                edit_line(t, 1, |l| {
                    let score: u64 = l.split(',').nth(2).unwrap().parse().unwrap();
                    replace_field(l, 2, &(score + 1).to_string())
                })
            },
            "scores sum to",
        ),
        (
            "wallets.csv",
            |t| {
                edit_line(t, 1, |l| {
                    let c: u64 = l.split(',').nth(3).unwrap().parse().unwrap();
                    replace_field(l, 3, &(c + 1).to_string())
                })
            },
            "!= cumulative",
        ),
        (
            "wallets.csv",
            // Consistent row (previous and cumulative both +1), but the root moves.
            |t| {
                edit_line(t, 1, |l| {
                    let f: Vec<u64> = l.split(',').skip(1).map(|x| x.parse().unwrap()).collect();
                    let l = replace_field(l, 2, &(f[1] + 1).to_string());
                    replace_field(&l, 3, &(f[2] + 1).to_string())
                })
            },
            "root recomputed from wallets.csv",
        ),
        ("devices.csv", |t| t.replace('\n', "\r\n"), "header is not"),
    ];
    let (tmp, fresh) = fresh_epoch();
    for (i, (file, edit, message)) in cases.into_iter().enumerate() {
        let dir = tmp.path().join(format!("forged-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "devices.csv",
            "wallets.csv",
            "manifest.json",
            "manifest_hash",
        ] {
            std::fs::copy(fresh.join(f), dir.join(f)).unwrap();
        }
        forge(&dir, file, edit);
        let o = verify(&dir);
        assert!(!o.status.success(), "{message}");
        assert!(
            text(&o).contains(message),
            "expected {message:?} in {}",
            text(&o)
        );
    }
}

#[test]
fn previous_epoch_is_checked_when_given() {
    let (tmp, dir) = fresh_epoch();
    // The previous epoch directory holds the wallets.csv that was the input.
    let prev = tmp.path().join("epoch-2");
    std::fs::create_dir_all(&prev).unwrap();
    std::fs::copy(
        tmp.path().join("inputs/previous_wallets.csv"),
        prev.join("wallets.csv"),
    )
    .unwrap();
    let ok = oracle(&[
        "epoch",
        "verify",
        dir.to_str().unwrap(),
        "--previous",
        prev.to_str().unwrap(),
    ]);
    assert!(ok.status.success(), "{}", text(&ok));
    std::fs::write(
        prev.join("wallets.csv"),
        EpochWorld::new()
            .previous_wallets_csv()
            .replace("1000", "1001"),
    )
    .unwrap();
    let bad = oracle(&[
        "epoch",
        "verify",
        dir.to_str().unwrap(),
        "--previous",
        prev.to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("previous epoch's wallets.csv has sha256"),
        "{}",
        text(&bad)
    );
}

#[test]
fn keys_generate_and_show() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("k.json");
    let g = oracle(&["keys", "generate", "--out", file.to_str().unwrap()]);
    assert!(g.status.success(), "{}", text(&g));
    let s = oracle(&["keys", "show", file.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&s.stdout),
        String::from_utf8_lossy(&g.stdout)
    );
    let again = oracle(&["keys", "generate", "--out", file.to_str().unwrap()]);
    assert!(!again.status.success());
}
