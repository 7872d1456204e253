//! The rewards API under load (a benchmark that prints a table, never a timed test): wallet
//! summaries with their proofs (`GET /v1/wallets/{wallet}`, docs/api.md) of random wallets of a
//! 1,000,000-wallet epoch, warm, over real HTTP on loopback. The goal (issue 24): p99 < 20 ms
//! at >= 5,000 requests/s on 2 cores.
//!
//! ```text
//! cargo run --release -p depin-bench --example api                 # 1,000,000 wallets
//! cargo run --release -p depin-bench --example api -- --quick      # 20,000 wallets, short runs
//!   [--wallets N] [--secs S] [--connections 64,16,4] [--rpc-ms MS] [--keep]
//! DEPIN_BENCH_POSTGRES_URL=postgres://...   the store on PostgreSQL (a schema of its own,
//!                                           dropped afterwards) instead of SQLite
//! ```
//!
//! **Setup** (timed): the epoch's wallets.csv and devices.csv (one to three devices per
//! wallet) written with `depin_formats::transparency`, its tree and root as the oracle builds
//! them (`depin_formats::tree`), the devices indexed into the store by the API's own indexer
//! (`ApiState::index_published`) in a temporary data directory; half the wallets have a claim
//! record (their previous cumulative amount claimed).
//!
//! **The server** is this program again (`--serve`, a child process, so its CPU and memory are
//! its own): `Ingest::new` over those settings (the rewards API built as `oracle serve` builds
//! it, its chain `submit.rpc_urls`), served by `server::serve_http` (the router and HTTP loop
//! of `oracle serve`) beside the `rewards-index` task (the owner index and the claim index's
//! reads), under the supervisor, on tokio's default runtime (one worker per core).
//!
//! **The chain** is no validator: this process answers the oracle's JSON-RPC on loopback
//! (`getMultipleAccounts` for the network account with the epoch's final root,
//! `getProgramAccounts` with every claim record, each answered after `--rpc-ms`, default 20),
//! so the claim index is filled and refreshed by the real `RpcChain` path (HTTP, parsing,
//! pacing). What is measured is the HTTP path of a summary: the network account (cached, read
//! by one request at a time), the tree's proof, the claim index, the owner index query.
//!
//! **The load** is one thread of this process (a tokio current-thread runtime and a minimal
//! HTTP/1.1 keep-alive client): `connections` connections, each sending the next request when
//! the last answer is read (closed loop), for `secs` seconds after a warm-up. Latency is from
//! writing a request to reading its last byte. On 2 cores the load generator competes with the
//! server: its CPU share and the server's are printed beside each row, and a lower connection
//! count shows the server less disturbed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "a benchmark binary: failing loudly is the point"
)]

use std::fmt::Write as _;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anchor_lang::AccountSerialize;
use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use depin_formats::api::WalletSummary;
use depin_formats::keys::Pubkey;
use depin_formats::reasons::{Reason, Reasons};
use depin_formats::transparency::{
    DEVICES_CSV, DeviceRow, WALLETS_CSV, WalletRow, epoch_dir_name, write_devices_csv,
    write_wallets_csv,
};
use depin_oracle::settings::{Settings, StorageSettings};
use rewards::state::{FinalRoot, Network};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The epoch the final root covers (epoch `EPOCH`, `epochs = EPOCH + 1`).
const EPOCH: u64 = 29;
/// A request slower than this is recorded with its start, to compare with the claim index's
/// reads (the goal's p99 bound).
const SLOW_MS: u32 = 20;
/// How long after a claim index read begins a slow request counts as near it.
const NEAR_READ_SECS: f64 = 3.0;

/// Seconds since this process began measuring (one clock for the load and the JSON-RPC).
fn now_s() -> f64 {
    static T0: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    T0.get_or_init(Instant::now).elapsed().as_secs_f64()
}

struct Options {
    wallets: usize,
    secs: u64,
    warm_secs: u64,
    connections: Vec<usize>,
    rpc_ms: u64,
    keep: bool,
    postgres: Option<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut o = Self {
            wallets: 1_000_000,
            secs: 20,
            warm_secs: 5,
            connections: vec![64, 16, 4],
            rpc_ms: 20,
            keep: false,
            postgres: std::env::var("DEPIN_BENCH_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty()),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().ok_or_else(|| anyhow!("{a} needs a value"));
            match a.as_str() {
                "--quick" => {
                    o.wallets = 20_000;
                    o.secs = 5;
                    o.warm_secs = 2;
                }
                "--wallets" => o.wallets = value()?.parse()?,
                "--secs" => o.secs = value()?.parse()?,
                "--connections" => {
                    o.connections = value()?
                        .split(',')
                        .map(str::parse)
                        .collect::<Result<_, _>>()?;
                }
                "--rpc-ms" => o.rpc_ms = value()?.parse()?,
                "--keep" => o.keep = true,
                other => bail!("unknown argument {other}"),
            }
        }
        if o.wallets < 2 || o.connections.is_empty() {
            bail!("--wallets needs at least 2 and --connections at least one count");
        }
        Ok(o)
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        return serve(&args[1..]);
    }
    let o = Options::parse(&args)?;
    bench(&o)
}

// ---------------------------------------------------------------------------------------
// The epoch

fn hash_key(tag: &[u8], i: u64, j: u64) -> Pubkey {
    Pubkey(
        Sha256::new()
            .chain_update(tag)
            .chain_update(i.to_le_bytes())
            .chain_update(j.to_le_bytes())
            .finalize()
            .into(),
    )
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Wallet `i`: its row, and whether it has claimed (the even ones: their previous cumulative).
fn wallet_row(i: u64) -> WalletRow {
    let cumulative = 100_000_000 + splitmix(i) % 900_000_000;
    let epoch_reward = 1 + splitmix(i ^ 0xabcd) % 50_000_000;
    WalletRow {
        wallet: hash_key(b"api-bench wallet", i, 0),
        epoch_reward,
        previous: cumulative - epoch_reward,
        cumulative,
    }
}

fn claimed_of(i: u64, row: &WalletRow) -> u64 {
    if i.is_multiple_of(2) { row.previous } else { 0 }
}

/// Wallet `i`'s devices: 1 to 3, its epoch reward split between them.
fn devices_of(i: u64, row: &WalletRow) -> Vec<DeviceRow> {
    let n = 1 + i % 3;
    (0..n)
        .map(|j| {
            let share = row.epoch_reward / n + if j == 0 { row.epoch_reward % n } else { 0 };
            let mut reasons = Reasons::default();
            if j == 1 {
                reasons.add(Reason::UptimePartial, 3);
            }
            DeviceRow {
                device: hash_key(b"api-bench device", i, j),
                owner: row.wallet,
                score: share / 1_000 + 1,
                reward: share,
                reasons,
            }
        })
        .collect()
}

struct Epoch {
    dir: tempfile::TempDir,
    rows: Vec<WalletRow>,
    devices: usize,
    fin: FinalRoot,
    /// The getProgramAccounts result (the JSON array), and how many records it holds.
    records_json: Vec<u8>,
    records: usize,
    network_data: Vec<u8>,
}

fn storage(dir: &Path, postgres: Option<&str>, schema: &str) -> StorageSettings {
    StorageSettings {
        data_dir: dir.to_path_buf(),
        url: postgres.unwrap_or_default().to_owned(),
        schema: if postgres.is_some() {
            schema.to_owned()
        } else {
            String::new()
        },
        ..StorageSettings::default()
    }
}

fn schema() -> String {
    format!("api_bench_{}", std::process::id())
}

fn timed<T>(
    steps: &mut Vec<(String, f64)>,
    name: String,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let t = Instant::now();
    let out = f()?;
    let secs = t.elapsed().as_secs_f64();
    eprintln!("  {name}: {secs:.1} s");
    steps.push((name, secs));
    Ok(out)
}

fn build_epoch(o: &Options, steps: &mut Vec<(String, f64)>) -> Result<Epoch> {
    let n = o.wallets as u64;
    let (rows, mut devices) = timed(
        steps,
        format!("generate {} wallets and their devices", o.wallets),
        || {
            let rows: Vec<WalletRow> = (0..n).map(wallet_row).collect();
            let mut devices: Vec<DeviceRow> = Vec::with_capacity(o.wallets * 2);
            for (i, row) in (0..n).zip(&rows) {
                devices.extend(devices_of(i, row));
            }
            devices.sort_unstable_by_key(|d| d.device);
            Ok((rows, devices))
        },
    )?;
    let dir = tempfile::Builder::new().prefix("api-bench").tempdir()?;
    let epoch_dir = dir.path().join("epochs").join(epoch_dir_name(EPOCH));
    std::fs::create_dir_all(&epoch_dir)?;
    let device_count = devices.len();
    timed(
        steps,
        format!("write wallets.csv and devices.csv ({device_count} devices)"),
        || {
            let mut w =
                std::io::BufWriter::new(std::fs::File::create(epoch_dir.join(WALLETS_CSV))?);
            write_wallets_csv(&mut w, &rows)?;
            w.flush()?;
            let mut d =
                std::io::BufWriter::new(std::fs::File::create(epoch_dir.join(DEVICES_CSV))?);
            write_devices_csv(&mut d, &devices)?;
            d.flush()?;
            Ok(())
        },
    )?;
    devices.clear();
    devices.shrink_to_fit();
    let fin = timed(
        steps,
        "tree and root (depin_formats::tree)".to_owned(),
        || {
            let tree = depin_formats::tree::tree(&rows)?.ok_or_else(|| anyhow!("no wallets"))?;
            let root = tree.root();
            Ok(FinalRoot {
                epochs: EPOCH + 1,
                root: root.hash,
                total: root.sum,
                manifest_hash: Sha256::digest(b"api-bench manifest").into(),
                leaves: n,
            })
        },
    )?;
    let backend = if o.postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    timed(
        steps,
        format!("index devices.csv into {backend} (ApiState::index_published)"),
        || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let store = depin_oracle::store::Store::connect(&storage(
                    dir.path(),
                    o.postgres.as_deref(),
                    &schema(),
                ))
                .await?;
                store.migrate().await?;
                let api = depin_oracle::api::ApiState::new(dir.path(), store.clone(), None);
                let done = api
                    .index_published()
                    .await
                    .map_err(|e| anyhow!("{}", e.detail))?;
                if done != 1 {
                    bail!("indexed {done} epochs");
                }
                store.close().await;
                Ok(())
            })
        },
    )?;
    let (records_json, records) = timed(
        steps,
        format!(
            "claim records of {} wallets (PDAs) and the getProgramAccounts answer",
            o.wallets.div_ceil(2)
        ),
        || Ok(claim_records_json(&rows)),
    )?;
    let mut network = zeroed_network();
    network.final_root = fin;
    let mut network_data = Vec::new();
    network.try_serialize(&mut network_data)?;
    Ok(Epoch {
        dir,
        rows,
        devices: device_count,
        fin,
        records_json,
        records,
        network_data,
    })
}

/// A zeroed network account (only its final root is read).
fn zeroed_network() -> Network {
    use anchor_lang::AccountDeserialize;
    Network::try_deserialize_unchecked(&mut &vec![0u8; Network::SIZE][..])
        .expect("a zeroed network")
}

fn account_json(owner: &str, data: &[u8]) -> String {
    format!(
        r#"{{"data":["{}","base64"],"executable":false,"lamports":{},"owner":"{owner}","rentEpoch":18446744073709551615,"space":{}}}"#,
        base64::engine::general_purpose::STANDARD.encode(data),
        (128 + data.len()) * 6_960,
        data.len()
    )
}

/// The claim records of the even wallets, as a `getProgramAccounts` result array.
fn claim_records_json(rows: &[WalletRow]) -> (Vec<u8>, usize) {
    let owner = rewards::ID.to_string();
    let claimed: Vec<(u64, &WalletRow)> = (0u64..)
        .zip(rows)
        .filter(|(i, r)| claimed_of(*i, r) > 0)
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let chunk = claimed.len().div_ceil(threads).max(1);
    let parts: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = claimed
            .chunks(chunk)
            .map(|part| {
                let owner = &owner;
                s.spawn(move || {
                    let mut out = String::with_capacity(part.len() * 200);
                    for (i, row) in part {
                        let (address, bump) = depin_client::builders::rewards_ix::claim_record_pda(
                            &row.wallet.0.into(),
                        );
                        let mut data = Vec::new();
                        rewards::state::ClaimRecord {
                            bump,
                            claimed: claimed_of(*i, row),
                        }
                        .try_serialize(&mut data)
                        .expect("a claim record");
                        let _ = write!(
                            out,
                            r#"{{"pubkey":"{address}","account":{}}},"#,
                            account_json(owner, &data)
                        );
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a PDA thread"))
            .collect()
    });
    let mut json = String::from("[");
    for p in &parts {
        json.push_str(p);
    }
    if json.ends_with(',') {
        json.pop();
    }
    json.push(']');
    (json.into_bytes(), claimed.len())
}

// ---------------------------------------------------------------------------------------
// The chain: a JSON-RPC answering the oracle's reads

#[derive(Default)]
struct RpcCounts {
    network: AtomicU64,
    claim_records: AtomicU64,
    /// getMultipleAccounts for anything but the network account: per-wallet claim reads.
    per_wallet: AtomicU64,
    other: AtomicU64,
    /// When each getProgramAccounts arrived ([`now_s`]).
    claim_reads_at: std::sync::Mutex<Vec<f64>>,
}

struct Rpc {
    network_address: String,
    network_json: String,
    records_json: Vec<u8>,
    delay: Duration,
    counts: RpcCounts,
}

async fn rpc_answer(
    axum::extract::State(rpc): axum::extract::State<Arc<Rpc>>,
    body: axum::body::Bytes,
) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    let json = [("content-type", "application/json")];
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = request["id"].to_string();
    tokio::time::sleep(rpc.delay).await;
    let answer = match request["method"].as_str() {
        Some("getProgramAccounts") => {
            rpc.counts.claim_records.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut at) = rpc.counts.claim_reads_at.lock() {
                at.push(now_s());
            }
            let mut out = Vec::with_capacity(rpc.records_json.len() + 64);
            out.extend_from_slice(format!(r#"{{"jsonrpc":"2.0","id":{id},"result":"#).as_bytes());
            out.extend_from_slice(&rpc.records_json);
            out.push(b'}');
            return (json, out);
        }
        Some("getMultipleAccounts") => {
            let keys = request["params"][0].as_array().cloned().unwrap_or_default();
            let values: Vec<String> = keys
                .iter()
                .map(|k| {
                    if k.as_str() == Some(rpc.network_address.as_str()) {
                        rpc.counts.network.fetch_add(1, Ordering::Relaxed);
                        rpc.network_json.clone()
                    } else {
                        rpc.counts.per_wallet.fetch_add(1, Ordering::Relaxed);
                        "null".to_owned()
                    }
                })
                .collect();
            format!(
                r#"{{"jsonrpc":"2.0","id":{id},"result":{{"context":{{"apiVersion":"2.3.0","slot":1000}},"value":[{}]}}}}"#,
                values.join(",")
            )
        }
        _ => {
            rpc.counts.other.fetch_add(1, Ordering::Relaxed);
            format!(
                r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32601,"message":"Method not found"}}}}"#
            )
        }
    };
    (json, answer.into_bytes())
}

/// Starts the JSON-RPC on its own thread; returns its URL.
fn start_rpc(rpc: Arc<Rpc>) -> Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}", listener.local_addr()?);
    std::thread::Builder::new()
        .name("fake-rpc".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the RPC runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new()
                    .route("/", axum::routing::post(rpc_answer))
                    .with_state(rpc);
                axum::serve(listener, app).await.expect("the RPC server");
            });
        })?;
    Ok(url)
}

// ---------------------------------------------------------------------------------------
// The server (a child process)

fn serve(args: &[String]) -> Result<()> {
    let [dir, rpc_url] = args else {
        bail!("--serve <data dir> <rpc url>");
    };
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_writer(std::io::stderr)
        .init();
    let dir = PathBuf::from(dir);
    let mut settings = Settings {
        storage: storage(
            &dir,
            std::env::var("DEPIN_BENCH_STORE_URL").ok().as_deref(),
            &std::env::var("DEPIN_BENCH_STORE_SCHEMA").unwrap_or_default(),
        ),
        ..Settings::default()
    };
    settings.server.listen = "127.0.0.1:0".parse()?;
    settings.submit.rpc_urls = vec![rpc_url.clone()];
    settings.epoch.enabled = false;
    settings.submit.enabled = false;
    settings.watch.enabled = false;
    // Like `oracle serve`: tokio's default runtime, one worker per core.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let store = depin_oracle::store::Store::connect(&settings.storage).await?;
        store.migrate().await?;
        let registry = depin_oracle::registry::Registry::new(Vec::new())?;
        let ingest = Arc::new(depin_oracle::ingest::Ingest::new(
            &settings,
            store,
            Arc::new(registry) as Arc<dyn depin_oracle::registry::shared::DeviceRegistry>,
        )?);
        let api = ingest.api();
        let listener = tokio::net::TcpListener::bind(settings.server.listen).await?;
        println!("listening on http://{}", listener.local_addr()?);
        let started = Instant::now();
        let mut supervisor = depin_oracle::supervisor::Supervisor::new();
        let grace = settings.server.shutdown_grace;
        supervisor.add("ingest-http", move |shutdown| {
            depin_oracle::server::serve_http(listener, ingest, shutdown, grace)
        });
        let index = Arc::clone(&api);
        supervisor.add("rewards-index", move |shutdown| index.run(shutdown));
        // Say when the claim index has its first read.
        tokio::spawn(async move {
            loop {
                if let Some(claims) = api.claims().last() {
                    println!(
                        "claims {} {:.3}",
                        claims.len(),
                        started.elapsed().as_secs_f64()
                    );
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        // Stop when the parent closes stdin.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
            let _ = tx.send(());
        });
        supervisor
            .run(async {
                let _ = rx.await;
            })
            .await
            .map_err(|e| anyhow!("{e}"))
    })
}

/// The child server, killed if the benchmark stops early.
struct Server {
    child: Child,
    url: String,
    claims: usize,
    claims_ready_secs: f64,
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path, rpc_url: &str, postgres: Option<&str>) -> Result<Server> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("--serve")
        .arg(dir)
        .arg(rpc_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(url) = postgres {
        cmd.env("DEPIN_BENCH_STORE_URL", url)
            .env("DEPIN_BENCH_STORE_SCHEMA", schema());
    }
    let mut child = cmd.spawn().context("starting the server")?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut server = Server {
        child,
        url: String::new(),
        claims: 0,
        claims_ready_secs: 0.0,
    };
    for line in lines.by_ref() {
        let line = line?;
        if let Some(url) = line.strip_prefix("listening on ") {
            server.url = url.to_owned();
        } else if let Some(rest) = line.strip_prefix("claims ") {
            let (n, secs) = rest.split_once(' ').ok_or_else(|| anyhow!("{line}"))?;
            server.claims = n.parse()?;
            server.claims_ready_secs = secs.parse()?;
            break;
        }
    }
    if server.url.is_empty() {
        bail!("the server stopped before listening");
    }
    // Keep draining its stdout.
    std::thread::spawn(move || for _ in lines {});
    Ok(server)
}

fn proc_stat_ticks(path: &str) -> u64 {
    // utime and stime, the 14th and 15th fields (after the parenthesised name).
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let after = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)
}

/// CPU seconds of a process's (or thread's) `/proc/.../stat` (USER_HZ = 100).
fn cpu_secs(path: &str) -> f64 {
    proc_stat_ticks(path) as f64 / 100.0
}

/// The machine's (busy, total) jiffies.
fn machine() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = s
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let total: u64 = f.iter().sum();
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// The load

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
    request: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> std::io::Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(16 * 1024),
            request: Vec::with_capacity(256),
        })
    }

    /// `GET path`: the status and the body.
    async fn get(&mut self, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
        self.request.clear();
        self.request.extend_from_slice(b"GET ");
        self.request.extend_from_slice(path.as_bytes());
        self.request
            .extend_from_slice(b" HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: application/json\r\n\r\n");
        self.stream.write_all(&self.request).await?;
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end]).map_err(|_| bad("head"))?;
                let status: u16 = head
                    .get(9..12)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("status"))?;
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .ok_or_else(|| bad("no content-length"))?;
                let total = end + 4 + length;
                while self.buf.len() < total {
                    self.fill().await?;
                }
                let body = self.buf[end + 4..total].to_vec();
                self.buf.drain(..total);
                return Ok((status, body));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let len = self.buf.len();
        self.buf.resize(len + 16 * 1024, 0);
        let n = self.stream.read(&mut self.buf[len..]).await?;
        self.buf.truncate(len + n);
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[derive(Default)]
struct Load {
    latencies_us: Vec<u32>,
    /// When each request slower than [`SLOW_MS`] began ([`now_s`]).
    slow_at: Vec<f64>,
    /// The run's span ([`now_s`]).
    span: (f64, f64),
    errors: u64,
    elapsed: f64,
}

/// `connections` closed-loop connections for `secs`, each asking for random wallets' summaries.
async fn drive(addr: &str, paths: &Arc<Vec<String>>, connections: usize, secs: f64) -> Load {
    let started = Instant::now();
    let span_start = now_s();
    let deadline = started + Duration::from_secs_f64(secs);
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            let addr = addr.to_owned();
            let paths = Arc::clone(paths);
            tokio::task::spawn_local(async move {
                let mut lat = Vec::with_capacity(200_000);
                let mut slow = Vec::new();
                let mut errors = 0u64;
                let mut seed = splitmix(c as u64 + 1);
                let mut conn = None;
                while Instant::now() < deadline {
                    if conn.is_none() {
                        match Conn::open(&addr).await {
                            Ok(c) => conn = Some(c),
                            Err(_) => {
                                errors += 1;
                                tokio::time::sleep(Duration::from_millis(10)).await;
                                continue;
                            }
                        }
                    }
                    let Some(c) = conn.as_mut() else { continue };
                    seed = splitmix(seed);
                    let path = &paths[(seed % paths.len() as u64) as usize];
                    let t = Instant::now();
                    let began = now_s();
                    match c.get(path).await {
                        Ok((200, _)) => {
                            let us = t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                            if us > SLOW_MS * 1_000 {
                                slow.push(began);
                            }
                            lat.push(us);
                        }
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            conn = None;
                        }
                    }
                }
                (lat, slow, errors)
            })
        })
        .collect();
    let mut load = Load {
        span: (span_start, 0.0),
        ..Load::default()
    };
    for t in tasks {
        let (lat, slow, errors) = t.await.expect("a connection task");
        load.latencies_us.extend(lat);
        load.slow_at.extend(slow);
        load.errors += errors;
    }
    load.elapsed = started.elapsed().as_secs_f64();
    load.span.1 = now_s();
    load
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

/// Checks `sample` summaries exactly: amounts, the proof up to the root, the devices.
async fn check(addr: &str, epoch: &Epoch, sample: usize) -> Result<()> {
    let mut conn = Conn::open(addr).await?;
    let n = epoch.rows.len() as u64;
    for k in 0..sample as u64 {
        let i = splitmix(k ^ 0x5eed) % n;
        let row = &epoch.rows[i as usize];
        let (status, body) = conn.get(&format!("/v1/wallets/{}", row.wallet)).await?;
        if status != 200 {
            bail!(
                "wallet {i}: status {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let s: WalletSummary = serde_json::from_slice(&body)?;
        let claimed = claimed_of(i, row);
        if (s.cumulative, s.claimed, s.claimable)
            != (row.cumulative, claimed, row.cumulative - claimed)
        {
            bail!(
                "wallet {i}: cumulative {}, claimed {}, claimable {}; expected {}, {claimed}",
                s.cumulative,
                s.claimed,
                s.claimable,
                row.cumulative
            );
        }
        let wallet = depin_client::solana_pubkey::Pubkey::new_from_array(row.wallet.0);
        let args = depin_client::rewards_api::claim_args(&s, &wallet, &epoch.fin)?
            .ok_or_else(|| anyhow!("wallet {i}: no leaf"))?;
        if args.cumulative_amount != row.cumulative {
            bail!("wallet {i}: the proof's amount");
        }
        // Its devices, by device key bytes: the rewards of its rows, final, of the epoch.
        let mut want: Vec<u64> = devices_of(i, row).iter().map(|d| d.reward).collect();
        let mut got: Vec<u64> = s.devices.iter().map(|d| d.reward).collect();
        want.sort_unstable();
        got.sort_unstable();
        if want != got || s.devices.iter().any(|d| d.epoch != EPOCH || !d.is_final) {
            bail!("wallet {i}: devices {:?}", s.devices);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The benchmark

struct Row {
    connections: usize,
    load: Load,
    server_cpu: f64,
    generator_cpu: f64,
    rpc_cpu: f64,
    machine_busy: f64,
}

fn thread_cpu(name: &str) -> f64 {
    let pid = std::process::id();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .map(|t| cpu_secs(&t.path().join("stat").to_string_lossy()))
        .sum()
}

fn bench(o: &Options) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let total = Instant::now();
    let mut steps = Vec::new();
    eprintln!("setting up {} wallets", o.wallets);
    let epoch = build_epoch(o, &mut steps)?;
    // What one claim index read costs the server's CPU, measured here on the same answer.
    let read_cost = {
        let mut body = br#"{"jsonrpc":"2.0","id":1,"result":"#.to_vec();
        body.extend_from_slice(&epoch.records_json);
        body.push(b'}');
        let t = Instant::now();
        let entries = depin_oracle::api::parse_claim_records(&body).map_err(|e| anyhow!(e))?;
        let parse = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let first = depin_oracle::api::Claims::new(&entries, None);
        let build = t.elapsed().as_secs_f64();
        let t = Instant::now();
        assert!(first.holds(&entries));
        let unchanged = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let again = depin_oracle::api::Claims::new(&entries, Some(&first));
        let merge = t.elapsed().as_secs_f64();
        assert_eq!(again.len(), epoch.records);
        (body.len(), parse, build, unchanged, merge)
    };
    eprintln!(
        "  one claim index read: {} MB of JSON parsed in {:.2} s; the index built in {:.2} s, \
         found unchanged in {:.2} s, merged over the last in {:.2} s",
        read_cost.0 / 1_000_000,
        read_cost.1,
        read_cost.2,
        read_cost.3,
        read_cost.4
    );
    let rpc = Arc::new(Rpc {
        network_address: depin_client::builders::rewards_ix::network_pda()
            .0
            .to_string(),
        network_json: account_json(&rewards::ID.to_string(), &epoch.network_data),
        records_json: epoch.records_json.clone(),
        delay: Duration::from_millis(o.rpc_ms),
        counts: RpcCounts::default(),
    });
    let rpc_url = start_rpc(Arc::clone(&rpc))?;
    let t = Instant::now();
    let server = start_server(epoch.dir.path(), &rpc_url, o.postgres.as_deref())?;
    let start_secs = t.elapsed().as_secs_f64();
    eprintln!(
        "  server up, claim index filled ({} records) after {start_secs:.1} s",
        server.claims
    );
    if server.claims != epoch.records {
        bail!(
            "the claim index holds {} records, not {}",
            server.claims,
            epoch.records
        );
    }
    steps.push((
        format!(
            "start the server; its claim index's first read ({} records over JSON-RPC)",
            server.claims
        ),
        start_secs,
    ));
    let pid = server.child.id();
    eprintln!("  server pid {pid}");
    let addr = server.url.trim_start_matches("http://").to_owned();
    let paths: Arc<Vec<String>> = Arc::new(
        epoch
            .rows
            .iter()
            .map(|r| format!("/v1/wallets/{}", r.wallet))
            .collect(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let mut rows = Vec::new();
    let rss_started = status_kib(pid, "VmRSS:");
    let (first_secs, (rss_tree, rss_warm)) = local.block_on(&rt, async {
        // The first summary builds the tree from wallets.csv.
        let t = Instant::now();
        let mut conn = Conn::open(&addr).await?;
        let (status, body) = conn.get(&paths[0]).await?;
        if status != 200 {
            bail!(
                "first summary: {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let first = t.elapsed().as_secs_f64();
        let rss_tree = status_kib(pid, "VmRSS:");
        eprintln!("  first summary (the server builds the tree): {first:.1} s");
        check(&addr, &epoch, 1_000).await?;
        eprintln!(
            "  1,000 summaries checked exactly (amounts, claimed, proof to the root, devices)"
        );
        let warm = drive(&addr, &paths, o.connections[0], o.warm_secs as f64).await;
        eprintln!(
            "  warm-up: {} requests in {:.1} s",
            warm.latencies_us.len(),
            warm.elapsed
        );
        Ok::<_, anyhow::Error>((first, (rss_tree, status_kib(pid, "VmRSS:"))))
    })?;
    steps.push((
        "first summary (the server parses wallets.csv and builds the tree)".to_owned(),
        first_secs,
    ));
    let rpc_before = (
        rpc.counts.network.load(Ordering::Relaxed),
        rpc.counts.claim_records.load(Ordering::Relaxed),
        rpc.counts.per_wallet.load(Ordering::Relaxed),
    );
    let measured = Instant::now();
    for &connections in &o.connections {
        let server_cpu = cpu_secs(&format!("/proc/{pid}/stat"));
        let me = std::process::id();
        let gen_cpu = cpu_secs(&format!("/proc/{me}/task/{me}/stat"));
        let rpc_cpu = thread_cpu("fake-rpc");
        let m = machine();
        let load = local.block_on(&rt, drive(&addr, &paths, connections, o.secs as f64));
        let m2 = machine();
        let wall = load.elapsed;
        let row = Row {
            connections,
            server_cpu: (cpu_secs(&format!("/proc/{pid}/stat")) - server_cpu) / wall,
            generator_cpu: (cpu_secs(&format!("/proc/{me}/task/{me}/stat")) - gen_cpu) / wall,
            rpc_cpu: (thread_cpu("fake-rpc") - rpc_cpu) / wall,
            machine_busy: (m2.0 - m.0) as f64 / (m2.1 - m.1).max(1) as f64,
            load,
        };
        eprintln!(
            "  {connections} connections: {:.0} requests/s",
            row.load.latencies_us.len() as f64 / wall
        );
        rows.push(row);
    }
    let measured_secs = measured.elapsed().as_secs_f64();
    let rss_after = status_kib(pid, "VmRSS:");
    let rss_peak = status_kib(pid, "VmHWM:");
    let rpc_after = (
        rpc.counts.network.load(Ordering::Relaxed),
        rpc.counts.claim_records.load(Ordering::Relaxed),
        rpc.counts.per_wallet.load(Ordering::Relaxed),
    );
    drop(server);
    let backend = if o.postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} wallets ({} devices, {} claim records), {backend}, {cores} cores, {} s per row, \
         JSON-RPC answering after {} ms\n",
        sep(o.wallets),
        sep(epoch.devices),
        sep(epoch.records),
        o.secs,
        o.rpc_ms
    );
    let _ = writeln!(
        out,
        "| connections | requests | requests/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | server CPU (cores) | load generator CPU (cores) | other processes (cores) |"
    );
    let _ = writeln!(
        out,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in &mut rows {
        r.load.latencies_us.sort_unstable();
        let l = &r.load.latencies_us;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.2} (+{:.2} JSON-RPC) | {:.2} |",
            r.connections,
            sep(l.len()),
            sep((l.len() as f64 / r.load.elapsed) as usize),
            pct(l, 50.0),
            pct(l, 90.0),
            pct(l, 99.0),
            pct(l, 99.9),
            l.last().map_or(0.0, |&m| f64::from(m) / 1000.0),
            r.load.errors,
            r.server_cpu,
            r.generator_cpu,
            r.rpc_cpu,
            (r.machine_busy * cores as f64 - r.server_cpu - r.generator_cpu - r.rpc_cpu).max(0.0)
        );
    }
    let reads_at = rpc
        .counts
        .claim_reads_at
        .lock()
        .map(|r| r.clone())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\n| connections | requests over {SLOW_MS} ms | of them begun within {NEAR_READ_SECS} s after a claim index read began | share of the run within {NEAR_READ_SECS} s after one |\n|---:|---:|---:|---:|"
    );
    for r in &rows {
        let near = |t: f64| reads_at.iter().any(|&a| a <= t && t < a + NEAR_READ_SECS);
        let slow = r.load.slow_at.len();
        let near_slow = r.load.slow_at.iter().filter(|&&t| near(t)).count();
        let (from, to) = r.load.span;
        let steps = 1_000;
        let covered = (0..steps)
            .filter(|k| near(from + (to - from) * (f64::from(*k) + 0.5) / f64::from(steps)))
            .count();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0}% |",
            r.connections,
            sep(slow),
            sep(near_slow),
            covered as f64 / f64::from(steps) * 100.0
        );
    }
    let _ = writeln!(out, "\n| setup | seconds |\n|---|---:|");
    for (name, secs) in &steps {
        let _ = writeln!(out, "| {name} | {secs:.1} |");
    }
    let _ = writeln!(
        out,
        "| total (setup, warm-up, checks and runs) | {:.1} |",
        total.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        out,
        "\n| server | |\n|---|---:|\n| RSS once started (the claim index read) | {} MiB |\n| RSS after the first summary (the tree built) | {} MiB |\n| RSS after the warm-up | {} MiB |\n| RSS after the runs | {} MiB |\n| peak RSS (VmHWM) | {} MiB |",
        rss_started / 1024,
        rss_tree / 1024,
        rss_warm / 1024,
        rss_after / 1024,
        rss_peak / 1024
    );
    let _ = writeln!(
        out,
        "| one claim index read, measured apart: the answer's JSON ({} MB) parsed | {:.2} s |\n| then the index: built (first read); found unchanged (the usual read); merged over the last (after claims) | {:.2} s; {:.2} s; {:.2} s |",
        read_cost.0 / 1_000_000,
        read_cost.1,
        read_cost.2,
        read_cost.3,
        read_cost.4
    );
    let _ = writeln!(
        out,
        "| during the runs ({measured_secs:.0} s): network account reads | {} |\n| claim index reads (getProgramAccounts) | {} (one every {:.1} s) |\n| per-wallet claim record reads | {} |",
        rpc_after.0 - rpc_before.0,
        rpc_after.1 - rpc_before.1,
        measured_secs / (rpc_after.1 - rpc_before.1).max(1) as f64,
        rpc_after.2 - rpc_before.2
    );
    println!("{out}");
    if let Some(url) = &o.postgres {
        drop_schema(url)?;
    }
    if o.keep {
        let kept = epoch.dir.keep();
        eprintln!("kept {}", kept.display());
    }
    Ok(())
}

fn drop_schema(url: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", schema()))
            .execute(&pool)
            .await?;
        pool.close().await;
        Ok(())
    })
}

/// `1234567` as `1,234,567`.
fn sep(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
