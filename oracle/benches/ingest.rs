//! Ingest benchmark (not a timed test): the real `oracle serve` binary as a separate process on
//! SQLite in a temp dir, with a registry of N devices, and a load generator in this process
//! (tokio + reqwest, several concurrent connections) posting pre-signed reports. Prints a
//! markdown table: reports/s and p50/p99 request latency, batched (binary, 500 per request) and
//! single, and in the same run the raw `ed25519-dalek` batch-verify rate on this machine.
//!
//! ```text
//! cargo bench -p depin-oracle --bench ingest                  # 1000 devices, 200k batched
//! cargo bench -p depin-oracle --bench ingest -- 400000 20000  # batched and single report counts
//! cargo bench -p depin-oracle --bench ingest -- 200000 5000 32  # ... and 32 connections
//! cargo bench -p depin-oracle --bench ingest -- hostile       # honest load under attack
//! ```
//!
//! Signing happens before the clock starts. Reports are heartbeats (the common case); each
//! device's nonces are distinct, so every report is accepted (checked at the end).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "a benchmark binary: failing loudly is the point"
)]

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use depin_formats::keys::pubkey_of;
use depin_formats::report::{
    Heartbeat, KeyCache, Payload, Report, SignedReport, verify_batch, verify_batch_cached,
};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rayon::prelude::*;
use tokio::io::{AsyncBufReadExt, BufReader};

const DEVICES: usize = 1000;
const BATCH: usize = 500;
/// Concurrent connections of the load generator (the third argument overrides it).
const CONNECTIONS: usize = 8;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn signer(i: usize) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    seed[31] = 0xB5;
    SigningKey::from_bytes(&seed)
}

/// `count` signed heartbeats spread over the devices, nonces from `nonce_base`.
fn sign_reports(signers: &[SigningKey], count: usize, nonce_base: u64) -> Vec<SignedReport> {
    let ts = now() - 60;
    (0..count)
        .into_par_iter()
        .map(|i| {
            let s = &signers[i % signers.len()];
            Report {
                device: pubkey_of(s),
                timestamp: ts,
                nonce: nonce_base + (i / signers.len()) as u64,
                payload: Payload::Heartbeat(Heartbeat { location: None }),
            }
            .sign(s)
        })
        .collect()
}

struct Row {
    what: String,
    reports: usize,
    requests: usize,
    secs: f64,
    p50: Duration,
    p99: Duration,
}

impl Row {
    fn print(&self) {
        println!(
            "| {} | {} | {} | {:.2} | {:.0} | {:.1} | {:.1} |",
            self.what,
            self.reports,
            self.requests,
            self.secs,
            self.reports as f64 / self.secs,
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A client whose connections leave from `ip` (any 127.x.y.z is loopback on Linux): the
/// ingest's per-address budgets see each such client as its own address.
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

/// Posts every body over `connections` concurrent connections; each must get 200.
async fn load(
    connections: usize,
    base: &str,
    path: &str,
    content_type: &'static str,
    bodies: Vec<(Vec<u8>, usize)>,
    what: &str,
) -> Row {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .unwrap();
    let clients = vec![client; connections];
    load_from(&clients, base, path, content_type, bodies, what).await
}

/// As [`load`], one connection per client (each may leave from its own address).
async fn load_from(
    clients: &[reqwest::Client],
    base: &str,
    path: &str,
    content_type: &'static str,
    bodies: Vec<(Vec<u8>, usize)>,
    what: &str,
) -> Row {
    let url = format!("{base}{path}");
    let requests = bodies.len();
    let reports: usize = bodies.iter().map(|b| b.1).sum();
    let queue = Arc::new(std::sync::Mutex::new(bodies.into_iter()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client in clients {
        let (client, url, queue) = (client.clone(), url.clone(), Arc::clone(&queue));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let next = queue.lock().unwrap().next();
                let Some((body, _)) = next else { break };
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let text = resp.bytes().await.unwrap();
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&text));
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    Row {
        what: what.to_owned(),
        reports,
        requests,
        secs,
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
    }
}

struct Server {
    child: tokio::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

async fn start_server(signers: &[SigningKey], synchronous: &str) -> Server {
    start_server_with(
        signers,
        &[
            ("DEPIN_ORACLE__INGEST__MAX_PAST_SKEW", "24h"),
            ("DEPIN_ORACLE__INGEST__RATE_LIMIT_REPORTS", "0"),
            ("DEPIN_ORACLE__INGEST__PEER_RATE_LIMIT_REPORTS", "0"),
            ("DEPIN_ORACLE__STORAGE__SQLITE_SYNCHRONOUS", synchronous),
        ],
    )
    .await
}

/// `oracle serve` with the registry of `signers` and the given environment settings.
async fn start_server_with(signers: &[SigningKey], env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let maker = pubkey_of(&signer(1_000_000));
    let mut csv = String::from("device,owner,maker,location,kind,status\n");
    for s in signers {
        let k = pubkey_of(s);
        csv.push_str(&format!(
            "{k},{k},{maker},8c283082a30d9ff,connectivity,active\n"
        ));
    }
    std::fs::write(data.join("registry.csv"), csv).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_oracle"))
        .arg("serve")
        .arg("--data-dir")
        .arg(&data)
        .env("DEPIN_ORACLE__SERVER__LISTEN", "127.0.0.1:0")
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap_or_default();
    let base = first.strip_prefix("listening on ").unwrap().to_owned();
    Server {
        child,
        base,
        _dir: dir,
    }
}

async fn stop(mut server: Server) {
    let pid = nix::unistd::Pid::from_raw(server.child.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = server.child.wait().await.unwrap();
    assert!(status.success());
}

/// A counter from the server's `/metrics`.
async fn counter(base: &str, name: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// The raw verification rates over `reports`, in chunks of `BATCH`: ed25519-dalek's
/// `verify_batch` on prepared keys and messages (1 thread and all cores), and the oracle's
/// `report::verify_batch` (which also decompresses each key and builds each message).
fn raw_verify(reports: &[SignedReport]) -> Vec<(String, f64)> {
    let prepared: Vec<(Vec<u8>, Signature, VerifyingKey)> = reports
        .iter()
        .map(|r| {
            (
                r.report.signing_message(),
                Signature::from_bytes(&r.signature.0),
                VerifyingKey::from_bytes(&r.report.device.0).unwrap(),
            )
        })
        .collect();
    let dalek = |chunk: &[(Vec<u8>, Signature, VerifyingKey)]| {
        let m: Vec<&[u8]> = chunk.iter().map(|c| c.0.as_slice()).collect();
        let s: Vec<Signature> = chunk.iter().map(|c| c.1).collect();
        let k: Vec<VerifyingKey> = chunk.iter().map(|c| c.2).collect();
        ed25519_dalek::verify_batch(&m, &s, &k).unwrap();
    };
    let n = reports.len() as f64;
    let mut out = Vec::new();
    let t = Instant::now();
    prepared.chunks(BATCH).for_each(dalek);
    out.push((
        "ed25519-dalek verify_batch, 1 thread".to_owned(),
        n / t.elapsed().as_secs_f64(),
    ));
    let t = Instant::now();
    prepared.par_chunks(BATCH).for_each(dalek);
    out.push((
        format!(
            "ed25519-dalek verify_batch, {} threads",
            rayon::current_num_threads()
        ),
        n / t.elapsed().as_secs_f64(),
    ));
    let t = Instant::now();
    for c in reports.chunks(BATCH) {
        assert!(verify_batch(c).iter().all(Result::is_ok));
    }
    out.push((
        "report::verify_batch (key decompression + message + batch), 1 thread".to_owned(),
        n / t.elapsed().as_secs_f64(),
    ));
    let cache = KeyCache::default();
    let _ = verify_batch_cached(reports, &cache);
    // Reports/s of `verify_batch_cached` on one thread, in batches of `size`.
    let cached = |size: usize| {
        let t = Instant::now();
        for c in reports.chunks(size) {
            assert!(verify_batch_cached(c, &cache).iter().all(Result::is_ok));
        }
        n / t.elapsed().as_secs_f64()
    };
    // The batch size matters: a batch of n signatures is one multiscalar multiplication over
    // 2n + 1 points, whose cost per point falls as n grows (the epoch engine's reader verifies
    // `inputs::BATCH` lines at a time, the ingest one request at a time).
    for size in [64, 256, 1024, 4096] {
        out.push((
            format!("report::verify_batch_cached, 1 thread, batches of {size}"),
            cached(size),
        ));
    }
    out.push((
        "report::verify_batch_cached (the ingest's: warm key cache + message + batch), 1 thread"
            .to_owned(),
        cached(BATCH),
    ));
    out
}

/// The store alone, in this process: `insert_group` of `group` batches of `BATCH` reports per
/// transaction into a fresh SQLite file (synchronous full), from `tasks` concurrent tasks. No
/// HTTP, no signature.
async fn store_only(reports: &[SignedReport], tasks: usize, group: usize) -> Row {
    use depin_oracle::settings::StorageSettings;
    use depin_oracle::store::{Inserted, Store};
    let dir = tempfile::tempdir().unwrap();
    let settings = StorageSettings {
        data_dir: dir.path().to_path_buf(),
        ..StorageSettings::default()
    };
    let store = Store::connect(&settings).await.unwrap();
    store.migrate().await.unwrap();
    let chunks: Vec<Vec<SignedReport>> = reports.chunks(BATCH * group).map(<[_]>::to_vec).collect();
    let requests = chunks.len();
    let queue = Arc::new(std::sync::Mutex::new(chunks.into_iter()));
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (store, queue) = (store.clone(), Arc::clone(&queue));
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let next = queue.lock().unwrap().next();
                let Some(chunk) = next else { break };
                let batches: Vec<&[SignedReport]> = chunk.chunks(BATCH).collect();
                let t = Instant::now();
                let outcomes = store.insert_group(&batches, 0).await.unwrap();
                assert!(outcomes.iter().all(|o| *o == Inserted::Committed));
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for h in handles {
        latencies.extend(h.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    store.close().await;
    Row {
        what: format!(
            "store only (no HTTP, no verify): {group} x {BATCH} per tx, sqlite full, {tasks} tasks"
        ),
        reports: reports.len(),
        requests,
        secs,
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and then it only smoke-tests the harness at a tiny size (a debug build at full size would
    // take many minutes and measure nothing useful).
    let benching = std::env::args().any(|a| a == "--bench");
    if std::env::args().any(|a| a == "hostile") || !benching {
        hostile::main(benching);
        if benching {
            return;
        }
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (default_batched, default_single) = if benching {
        (200_000, 5_000)
    } else {
        (500, 20)
    };
    let batched = args.first().copied().unwrap_or(default_batched);
    let single = args.get(1).copied().unwrap_or(default_single);
    let connections = args.get(2).copied().unwrap_or(CONNECTIONS).max(1);
    let signers: Vec<SigningKey> = (0..DEVICES).map(signer).collect();

    let t = Instant::now();
    let batch_reports = sign_reports(&signers, batched, 0);
    let single_reports = sign_reports(&signers, single, 1 << 32);
    let json_reports = sign_reports(&signers, batched / 4, 1 << 33);
    eprintln!(
        "signed {} reports in {:.1}s (not timed)",
        batched + single + batched / 4,
        t.elapsed().as_secs_f64()
    );
    let bin_bodies = || -> Vec<(Vec<u8>, usize)> {
        batch_reports
            .chunks(BATCH)
            .map(|c| {
                (
                    c.iter().flat_map(SignedReport::to_binary).collect(),
                    c.len(),
                )
            })
            .collect()
    };
    let json_bodies: Vec<(Vec<u8>, usize)> = json_reports
        .chunks(BATCH)
        .map(|c| {
            let items: Vec<String> = c.iter().map(|r| r.to_json().unwrap()).collect();
            (format!("[{}]", items.join(",")).into_bytes(), c.len())
        })
        .collect();
    let single_bodies: Vec<(Vec<u8>, usize)> =
        single_reports.iter().map(|r| (r.to_binary(), 1)).collect();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    let mut group_lines = Vec::new();
    rt.block_on(async {
        for sync in ["full", "normal"] {
            let server = start_server(&signers, sync).await;
            let mut expected = 0u64;
            let mut row = load(
                connections,
                &server.base,
                "/v1/reports/batch",
                "application/octet-stream",
                bin_bodies(),
                &format!("batched, binary, {BATCH}/request, sqlite {sync}"),
            )
            .await;
            expected += row.reports as u64;
            rows.push(row);
            if sync == "full" {
                row = load(
                    connections,
                    &server.base,
                    "/v1/reports/batch",
                    "application/json",
                    json_bodies.clone(),
                    &format!("batched, JSON, {BATCH}/request, sqlite {sync}"),
                )
                .await;
                expected += row.reports as u64;
                rows.push(row);
            }
            row = load(
                connections,
                &server.base,
                "/v1/reports",
                "application/octet-stream",
                single_bodies.clone(),
                &format!("single, binary, sqlite {sync}"),
            )
            .await;
            expected += row.reports as u64;
            rows.push(row);
            assert_eq!(
                counter(&server.base, "oracle_reports_accepted_total").await,
                expected,
                "every report stored"
            );
            let groups = counter(&server.base, "oracle_commit_groups_total").await;
            group_lines.push(format!(
                "| sqlite {sync} | {expected} | {groups} | {:.0} |",
                expected as f64 / groups.max(1) as f64
            ));
            stop(server).await;
        }
        for (tasks, group) in [(1, 1), (connections, 1), (1, 10)] {
            rows.push(store_only(&batch_reports, tasks, group).await);
        }
    });
    let raw = raw_verify(&batch_reports[..batch_reports.len().min(100_000)]);

    println!();
    println!(
        "ingest over HTTP: `oracle serve` (release) as a separate process, SQLite WAL, {DEVICES} \
         devices, {connections} concurrent connections, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!();
    println!("| load | reports | requests | seconds | reports/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        r.print();
    }
    println!();
    println!("| group commit (all loads of one server) | reports | commits | reports/commit |");
    println!("|---|---:|---:|---:|");
    for l in &group_lines {
        println!("{l}");
    }
    println!();
    println!("| raw signature verification, same run | reports/s |");
    println!("|---|---:|");
    for (what, rate) in &raw {
        println!("| {what} | {rate:.0} |");
    }
}

#[path = "ingest/hostile.rs"]
mod hostile;
