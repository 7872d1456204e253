//! The fault test: the real `depin-agent` binary against three real `oracle serve` processes on
//! loopback, each behind a fault proxy that drops connections, delays them, and cuts them
//! mid-answer (also after the oracle has answered 200, so the retry gets 409 `replayed_nonce`).
//! One oracle is killed for a while and restarted on the same data directory and port; the
//! agent is killed with SIGKILL mid-run and restarted; at the end it is stopped with SIGTERM
//! (it drains within its grace). Then every oracle's SQLite database is read: every report the
//! agent made is stored by every oracle exactly once, in nonce order, with the same content, and
//! the restarted agent's nonces are all above the killed one's.
//!
//! The `oracle` binary: see `common/mod.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::Oracle;
use depin_formats::keys::Pubkey;
use depin_formats::report::SignedReport;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rand::{Rng as _, SeedableRng as _};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

mod common;

const ORACLES: usize = 3;
/// One device sending ten reports a second from loopback: no rate limits.
const NO_LIMITS: &str =
    "rate_limit_reports = 0\npeer_rate_limit_reports = 0\npeer_failed_requests = 0\n";
/// What the proxies did.
#[derive(Default)]
struct Faults {
    calm: AtomicBool,
    connections: AtomicU64,
    dropped: AtomicU64,
    delayed: AtomicU64,
    cut_after_answer: AtomicU64,
    cut_mid_answer: AtomicU64,
    upstream_down: AtomicU64,
}

#[derive(Clone, Copy)]
enum Mode {
    Pass,
    Drop,
    Delay(u64),
    CutAfterAnswer,
    CutMidAnswer(usize),
}

/// A TCP proxy on loopback in front of `upstream_port`, faulty until `faults.calm`.
async fn proxy(upstream_port: u16, faults: Arc<Faults>, seed: u64) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            faults.connections.fetch_add(1, Ordering::Relaxed);
            let mode = if faults.calm.load(Ordering::Relaxed) {
                Mode::Pass
            } else {
                match rng.gen_range(0..100) {
                    0..10 => Mode::Drop,
                    10..25 => Mode::Delay(rng.gen_range(50..400)),
                    25..40 => Mode::CutAfterAnswer,
                    40..50 => Mode::CutMidAnswer(rng.gen_range(1..40)),
                    _ => Mode::Pass,
                }
            };
            tokio::spawn(serve(client, upstream_port, mode, Arc::clone(&faults)));
        }
    });
    port
}

async fn serve(mut client: TcpStream, upstream_port: u16, mode: Mode, faults: Arc<Faults>) {
    match mode {
        Mode::Drop => {
            faults.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Mode::Delay(ms) => {
            faults.delayed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        _ => {}
    }
    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", upstream_port)).await else {
        faults.upstream_down.fetch_add(1, Ordering::Relaxed);
        return;
    };
    if matches!(mode, Mode::Pass | Mode::Delay(_)) {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return;
    }
    // The request goes through whole; the answer is lost whole or in part.
    let mut answer = vec![0u8; 65536];
    let got = {
        let (mut cr, _cw) = client.split();
        let (mut ur, mut uw) = upstream.split();
        let forward = async {
            let _ = tokio::io::copy(&mut cr, &mut uw).await;
            std::future::pending::<()>().await;
        };
        let read = async { ur.read(&mut answer).await };
        tokio::select! {
            () = forward => return,
            r = tokio::time::timeout(Duration::from_secs(5), read) => r,
        }
    };
    let Ok(Ok(n)) = got else { return };
    if n == 0 {
        return;
    }
    if let Mode::CutMidAnswer(keep) = mode {
        faults.cut_mid_answer.fetch_add(1, Ordering::Relaxed);
        let _ = client.write_all(&answer[..keep.min(n)]).await;
    } else {
        faults.cut_after_answer.fetch_add(1, Ordering::Relaxed);
    }
    // Dropping both sockets closes them.
}

fn agent(config: &Path, log: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_depin-agent"));
    cmd.arg("--config")
        .arg(config)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if log.as_os_str().is_empty() {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else {
        cmd.stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap());
    }
    cmd
}

/// (nonce, kind) of every "report made" line of an agent log.
fn made(log: &Path) -> Vec<(u64, String)> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter(|l| l.contains("report made"))
        .map(|l| {
            let field = |name: &str| {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix(name))
                    .unwrap()
                    .trim_matches('"')
                    .to_string()
            };
            (field("nonce=").parse().unwrap(), field("kind="))
        })
        .collect()
}

async fn run_cli(config: &Path, args: &[&str]) -> String {
    let out = agent(config, Path::new(""))
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "depin-agent {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_reaches_every_oracle_once_in_order_through_faults() {
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let state = root.join("state");
    let config = root.join("agent.toml");

    // The device key first: the oracles' registries list it.
    std::fs::write(&config, format!("state_dir = {state:?}\n")).unwrap();
    let device: Pubkey = run_cli(&config, &["init"]).await.trim().parse().unwrap();

    let mut oracles: Vec<Oracle> = (0..ORACLES)
        .map(|n| Oracle::new(root, n, &device, NO_LIMITS))
        .collect();
    for o in &mut oracles {
        o.start().await;
    }
    let faults = Arc::new(Faults::default());
    let mut urls = Vec::new();
    for (n, o) in oracles.iter().enumerate() {
        let port = proxy(o.port, Arc::clone(&faults), 42 + n as u64).await;
        urls.push(format!("\"http://127.0.0.1:{port}\""));
    }
    std::fs::write(
        &config,
        format!(
            r#"state_dir = {state:?}
oracles = [{urls}]
interval = "100ms"
tick = "100ms"
speedtest_every = "1s"
speedtest_command = ["sh", "-c", "echo '{{\"download_kbps\": 50000, \"upload_kbps\": 10000, \"latency_ms\": 12}}'"]
lat = 37.7749
lon = -122.4194
batch_size = 8
backoff_min = "50ms"
backoff_max = "1s"
request_timeout = "2s"
nonce_block = 16
segment_records = 32
shutdown_grace = "15s"
"#,
            urls = urls.join(", ")
        ),
    )
    .unwrap();

    // Run 1, with oracle 1 going down half-way; then kill -9.
    let log1 = root.join("agent-1.log");
    let mut run1 = agent(&config, &log1).arg("run").spawn().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    run_cli(
        &config,
        &[
            "witness",
            "--beaconer",
            &Pubkey([9; 32]).to_string(),
            "--beacon-id",
            "1",
            "--rssi-ddbm",
            "-1105",
            "--frequency-khz",
            "915000",
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    oracles[1].kill().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    run1.kill().await.unwrap(); // SIGKILL

    // Run 2 on the same state directory.
    let log2 = root.join("agent-2.log");
    let mut run2 = agent(&config, &log2).arg("run").spawn().unwrap();
    run_cli(
        &config,
        &[
            "witness",
            "--beaconer",
            &Pubkey([10; 32]).to_string(),
            "--beacon-id",
            "2",
            "--rssi-ddbm",
            "-900",
            "--frequency-khz",
            "915000",
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    oracles[1].start().await;
    run_cli(
        &config,
        &[
            "beacon",
            "--beacon-id",
            "3",
            "--tx-power-ddbm",
            "270",
            "--frequency-khz",
            "915000",
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;

    // Calm links, then SIGTERM: the agent stops making reports and drains.
    faults.calm.store(true, Ordering::Relaxed);
    let status_text = run_cli(&config, &["status"]).await;
    assert!(status_text.contains("state      running"), "{status_text}");
    kill(
        Pid::from_raw(i32::try_from(run2.id().unwrap()).unwrap()),
        Signal::SIGTERM,
    )
    .unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(20), run2.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "agent exited {exit}");

    // What the agent says.
    let status: serde_json::Value =
        serde_json::from_str(&run_cli(&config, &["status", "--json"]).await).unwrap();
    assert_eq!(status["running"], false);
    assert!(status["stopped_ms"].as_u64().is_some());
    assert_eq!(status["device"], device.to_string());
    let mut already_stored = 0;
    for o in status["oracles"].as_array().unwrap() {
        already_stored += o["already_stored"].as_u64().unwrap();
        assert_eq!(o["queue_depth"], 0, "{o}");
        assert_eq!(o["expired"], 0, "{o}");
        assert_eq!(o["refused"], 0, "{o}");
        assert_eq!(o["conflicts"], 0, "{o}");
        assert_eq!(o["future"], 0, "{o}");
    }
    // Answers cut after a 200 (and run 1's kill -9) made run 2 re-send stored reports: each
    // settled by a 409 naming its own signature.
    assert!(already_stored > 0, "no 409 was counted: {status}");
    // Compaction: segments every oracle passed are gone (32 records each).
    let segments = std::fs::read_dir(state.join("spool"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("seg-")
        })
        .count();
    assert_eq!(segments, 1);
    assert!(state.join("inbox").read_dir().unwrap().next().is_none());

    // What it made: run 2's nonces all above run 1's (no reuse across kill -9).
    let made1 = made(&log1);
    let made2 = made(&log2);
    let max1 = made1.iter().map(|m| m.0).max().unwrap();
    let min2 = made2.iter().map(|m| m.0).min().unwrap();
    assert!(
        min2 > max1,
        "run 2 started at nonce {min2}, run 1 reached {max1}"
    );
    let generated: BTreeMap<u64, String> = made1.iter().chain(&made2).cloned().collect();
    assert_eq!(
        generated.len(),
        made1.len() + made2.len(),
        "a nonce was made twice"
    );
    let kinds = |k: &str| generated.values().filter(|v| *v == k).count();
    assert_eq!(kinds("witness"), 2);
    assert_eq!(kinds("beacon"), 1);
    assert!(kinds("speedtest") >= 8, "{}", kinds("speedtest"));
    assert!(kinds("heartbeat") >= 80, "{}", kinds("heartbeat"));

    // What every oracle stored (read while they run: SQLite in WAL mode, read-only).
    let mut contents: Vec<BTreeMap<u64, Vec<u8>>> = Vec::new();
    for o in &oracles {
        let stored = o.stored().await;
        let nonces: Vec<u64> = stored.iter().map(|s| s.0).collect();
        assert!(
            nonces.windows(2).all(|w| w[0] < w[1]),
            "oracle {} stored out of nonce order",
            o.port
        );
        let map: BTreeMap<u64, Vec<u8>> = stored.into_iter().collect();
        assert_eq!(map.len(), nonces.len());
        for (nonce, bin) in &map {
            let r = SignedReport::from_binary(bin).unwrap();
            assert_eq!((r.report.device, r.report.nonce), (device, *nonce));
            r.verify().unwrap();
            // The kind the agent logged for this nonce (the one extra report has no line).
            if let Some(kind) = generated.get(nonce) {
                assert_eq!(r.report.payload.kind_name(), kind, "nonce {nonce}");
            }
        }
        // Every report made is stored; at most one more (made by run 1, spooled, and killed
        // before its log line).
        let stored_set: BTreeSet<u64> = map.keys().copied().collect();
        let made_set: BTreeSet<u64> = generated.keys().copied().collect();
        assert!(
            made_set.is_subset(&stored_set),
            "missing: {:?}",
            made_set.difference(&stored_set).collect::<Vec<_>>()
        );
        let extra: Vec<_> = stored_set.difference(&made_set).collect();
        assert!(
            extra.len() <= 1 && extra.iter().all(|n| **n < min2),
            "extra: {extra:?}"
        );
        contents.push(map);
    }
    // The same reports, byte for byte, at every oracle.
    assert!(contents.windows(2).all(|w| w[0] == w[1]));

    let f = &faults;
    let counts = [
        f.dropped.load(Ordering::Relaxed),
        f.delayed.load(Ordering::Relaxed),
        f.cut_after_answer.load(Ordering::Relaxed),
        f.cut_mid_answer.load(Ordering::Relaxed),
        f.upstream_down.load(Ordering::Relaxed),
    ];
    eprintln!(
        "{} reports, {} connections; dropped {}, delayed {}, cut after the answer {}, cut mid-answer {}, upstream down {}; {already_stored} acknowledged by 409 in run 2; {:?}",
        generated.len(),
        f.connections.load(Ordering::Relaxed),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
        t0.elapsed()
    );
    assert!(
        counts.iter().all(|c| *c > 0),
        "every fault happened at least once: {counts:?}"
    );
}
