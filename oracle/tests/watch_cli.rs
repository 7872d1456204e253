//! `oracle watch` (and `serve` with `watch.enabled`) as a process: it says which key it needs and
//! which cluster it could not reach, and exits non-zero.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn oracle(args: &[&str], dir: &std::path::Path) -> Output {
    oracle_with(args, dir, &[])
}

fn oracle_with(args: &[&str], dir: &std::path::Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oracle"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn watch_without_a_keypair_names_the_file_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = oracle(
        &["watch", "--once", "--data-dir", data.to_str().unwrap()],
        dir.path(),
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("starting the watcher: reading the watcher's keypair")
            && stderr.contains(&data.join("oracle-keypair.json").display().to_string()),
        "{stderr}"
    );
}

#[test]
fn watch_once_against_an_unreachable_cluster_fails_with_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("watcher.json");
    let bytes: Vec<u8> = {
        let signer = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let mut b = signer.to_bytes().to_vec();
        b.extend_from_slice(&signer.verifying_key().to_bytes());
        b
    };
    std::fs::write(&key, serde_json::to_string(&bytes).unwrap()).unwrap();
    let config = dir.path().join("oracle.toml");
    std::fs::write(
        &config,
        format!(
            "[watch]\nrpc_urls = [\"http://127.0.0.1:1\"]\nkeypair = {key:?}\n\
             peers = [{{ url = \"http://127.0.0.1:2\" }}]\n"
        ),
    )
    .unwrap();
    let out = oracle(
        &["watch", "--once", "--config", config.to_str().unwrap()],
        dir.path(),
    );
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("watcher "), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("watch pass") && stderr.contains("127.0.0.1:1"),
        "{stderr}"
    );
}

#[test]
fn serve_with_the_watch_task_does_not_start_without_its_keypair() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = oracle_with(
        &["serve", "--data-dir", data.to_str().unwrap()],
        dir.path(),
        &[
            ("DEPIN_ORACLE__WATCH__ENABLED", "true"),
            ("DEPIN_ORACLE__SERVER__LISTEN", "127.0.0.1:0"),
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("starting the watch task: reading the watcher's keypair"),
        "{stderr}"
    );
}
