//! `oracle serve` and `oracle migrate` as real processes: SIGTERM (and Ctrl-C's SIGINT) drain
//! in-flight requests and exit 0, and every acknowledged report is in the database afterwards;
//! a task that cannot start makes the process exit non-zero.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::backends::{Backend, TestDb, backends};
use common::*;
use depin_oracle::registry::DeviceKind;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

const CLIENTS: u8 = 4;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn write_registry(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = String::from("device,owner,maker,location,kind,status\n");
    for n in 1..=CLIENTS {
        let d = device(n, wallet(n), cell(0.0, 0.0), DeviceKind::Connectivity);
        csv.push_str(&format!(
            "{},{},{},{:x},connectivity,active\n",
            d.key, d.owner, d.maker, d.location
        ));
    }
    std::fs::write(dir.join("registry.csv"), csv).unwrap();
}

fn oracle(db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oracle"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(&db.settings.data_dir)
        .env("DEPIN_ORACLE__SERVER__LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if db.backend == Backend::Postgres {
        cmd.env("DEPIN_ORACLE__STORAGE__URL", &db.settings.url)
            .env("DEPIN_ORACLE__STORAGE__SCHEMA", &db.settings.schema);
    }
    cmd
}

/// Starts `oracle serve` and returns it with its base URL (read from its first stdout line).
async fn serve(db: &TestDb) -> (Child, String) {
    start(oracle(db, &["serve"])).await
}

async fn start(mut cmd: Command) -> (Child, String) {
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("oracle serve printed nothing in 30 s")
        .unwrap()
        .unwrap_or_default();
    let base = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    (child, base)
}

async fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut s)
        .await
        .unwrap();
    s
}

/// Clients post reports until the server goes away; the signal lands mid-stream. SIGTERM and
/// SIGINT drain; SIGKILL gives the process no chance to, and still no acknowledged report is
/// lost (a report is acknowledged only after its commit).
async fn drain_under_load(backend: Backend, signal: Signal) {
    let db = TestDb::new(backend);
    write_registry(&db.settings.data_dir);
    // No rate limit here: the clients send as fast as they can (the limit has its own test).
    let mut cmd = oracle(&db, &["serve"]);
    cmd.env("DEPIN_ORACLE__INGEST__RATE_LIMIT_REPORTS", "0");
    let (mut child, base) = start(cmd).await;
    let acked = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for n in 1..=CLIENTS {
        let (base, acked) = (base.clone(), Arc::clone(&acked));
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut mine = Vec::new();
            for nonce in 0..2_000u64 {
                let r = signed(n, now(), nonce, heartbeat(None));
                let sent = client
                    .post(format!("{base}/v1/reports"))
                    .header("content-type", "application/octet-stream")
                    .body(r.to_binary())
                    .send()
                    .await;
                match sent {
                    Ok(resp) if resp.status() == 200 => {
                        mine.push((r.report.device, nonce));
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(resp) => panic!("unexpected {}", resp.status()),
                    // The server has stopped: an unacknowledged report may or may not be stored.
                    Err(_) => break,
                }
            }
            mine
        }));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while acked.load(Ordering::SeqCst) < 100 {
        assert!(tokio::time::Instant::now() < deadline, "too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap());
    kill(pid, signal).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("no exit within 30 s of the signal")
        .unwrap();
    let log = stderr_of(&mut child).await;
    if signal == Signal::SIGKILL {
        assert_eq!(status.signal(), Some(9), "{backend:?}: {status}\n{log}");
        assert!(!log.contains("stopped cleanly"), "{log}");
    } else {
        assert!(status.success(), "{backend:?} {signal}: {status}\n{log}");
        assert!(log.contains("draining in-flight requests"), "{log}");
        assert!(log.contains("stopped cleanly"), "{log}");
    }
    let mut acknowledged = Vec::new();
    for c in clients {
        acknowledged.extend(c.await.unwrap());
    }
    assert!(acknowledged.len() >= 100);
    // Every acknowledged report is in the database, read back by a fresh process' worth of
    // connections.
    let store = db.store().await;
    let stored: std::collections::HashSet<_> = store
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.device, r.nonce))
        .collect();
    for a in &acknowledged {
        assert!(
            stored.contains(a),
            "{backend:?}: acknowledged {a:?} is not stored"
        );
    }
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_keeps_every_acknowledged_report() {
    for backend in backends() {
        drain_under_load(backend, Signal::SIGTERM).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_report() {
    for backend in backends() {
        drain_under_load(backend, Signal::SIGKILL).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_drains_too() {
    drain_under_load(Backend::Sqlite, Signal::SIGINT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_is_idempotent_and_serve_starts_with_no_setup() {
    for backend in backends() {
        let db = TestDb::new(backend);
        for _ in 0..2 {
            let out = oracle(&db, &["migrate"]).output().await.unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let name = if backend == Backend::Sqlite {
                "sqlite"
            } else {
                "postgres"
            };
            assert_eq!(text, format!("{name} store migrated\n"));
        }
        // No registry file: the server still starts (and refuses every device).
        let (mut child, base) = serve(&db).await;
        let resp = reqwest::Client::new()
            .post(format!("{base}/v1/reports"))
            .header("content-type", "application/json")
            .body(signed(1, now(), 1, heartbeat(None)).to_json().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
        kill(
            Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap()),
            Signal::SIGTERM,
        )
        .unwrap();
        assert!(child.wait().await.unwrap().success());
        assert!(stderr_of(&mut child).await.contains("empty registry"));
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_fails_with_a_nonzero_exit() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let db = TestDb::new(Backend::Sqlite);
    let out = oracle(&db, &["serve"])
        .env(
            "DEPIN_ORACLE__SERVER__LISTEN",
            taken.local_addr().unwrap().to_string(),
        )
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("binding"));
}
