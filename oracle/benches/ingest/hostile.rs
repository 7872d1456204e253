//! Honest ingest under attack (`cargo bench -p depin-oracle --bench ingest -- hostile`): the
//! honest load of the batched rows (pre-signed heartbeats, binary batches of 500) measured on a
//! fresh `oracle serve` with its default budgets, four times in one run:
//!
//! 1. alone (the clean figure);
//! 2. while a flood of forged batches (registered devices, wrong signatures) is posted as fast
//!    as [`FLOOD_CONNECTIONS`] connections can, from [`FLOOD_ADDRESSES`] loopback addresses;
//! 3. while a mixed stream of bad requests (malformed JSON, a declared body over the limit,
//!    forged single reports, stale reports) arrives at [`MIXED_RATE`] requests/s from
//!    [`MIXED_ADDRESSES`] addresses;
//! 4. alone again (how much the machine itself varies within the run).
//!
//! Honest clients leave from 127.0.0.11.., the flood from 127.0.1.1.., the mixed stream from
//! 127.0.2.1.., so each address has its own budgets, as distinct hosts would.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use depin_formats::report::SignedReport;
use ed25519_dalek::SigningKey;

use super::{
    BATCH, DEVICES, Row, client_from, load_from, sign_reports, signer, start_server_with, stop,
};

/// Concurrent honest connections, each from its own address.
const HONEST_CONNECTIONS: u8 = 8;
/// Connections posting forged batches, and the addresses they rotate through.
const FLOOD_CONNECTIONS: usize = 16;
const FLOOD_ADDRESSES: u8 = 64;
/// Requests per second of the mixed bad stream, and its addresses.
const MIXED_RATE: u32 = 400;
const MIXED_ADDRESSES: u8 = 32;
/// The server's default `server.max_body_bytes`.
const MAX_BODY: usize = 1 << 20;

/// What the hostile side got back: `status reason` (or `connection closed`) → count.
type Answers = BTreeMap<String, u64>;

async fn answer(resp: Result<reqwest::Response, reqwest::Error>) -> String {
    match resp {
        Ok(r) => {
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            format!("{status} {}", body["error"].as_str().unwrap_or(""))
        }
        Err(_) => "connection closed".to_owned(),
    }
}

/// `count` batches of [`BATCH`] heartbeats naming registered devices, each signature taken
/// from another report (well formed, wrong): they pass every check before the signatures.
fn forged_batches(signers: &[SigningKey], count: usize) -> Vec<Vec<u8>> {
    let mut reports = sign_reports(signers, count * BATCH, 1 << 40);
    let other = sign_reports(signers, count * BATCH, 1 << 41);
    for (r, o) in reports.iter_mut().zip(&other) {
        r.signature = o.signature;
    }
    reports
        .chunks(BATCH)
        .map(|c| c.iter().flat_map(SignedReport::to_binary).collect())
        .collect()
}

/// Posts forged batches until `stop`, rotating through the flood addresses.
async fn flood(base: String, bodies: Arc<Vec<Vec<u8>>>, stop: Arc<AtomicBool>) -> Answers {
    let clients: Vec<reqwest::Client> = (1..=FLOOD_ADDRESSES)
        .map(|i| client_from([127, 0, 1, i]))
        .collect();
    let mut tasks = Vec::new();
    for c in 0..FLOOD_CONNECTIONS {
        let (clients, bodies, stop) = (clients.clone(), Arc::clone(&bodies), Arc::clone(&stop));
        let url = format!("{base}/v1/reports/batch");
        tasks.push(tokio::spawn(async move {
            let mut answers = Answers::new();
            let mut k = c;
            while !stop.load(Ordering::Relaxed) {
                let resp = clients[k % clients.len()]
                    .post(&url)
                    .header("content-type", "application/octet-stream")
                    .body(bodies[k % bodies.len()].clone())
                    .send()
                    .await;
                *answers.entry(answer(resp).await).or_default() += 1;
                k += FLOOD_CONNECTIONS;
            }
            answers
        }));
    }
    merge(tasks).await
}

/// One bad request of each kind, in turn: (path, content type, body).
fn mixed_requests(signers: &[SigningKey]) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let json = "application/json";
    let bin = "application/octet-stream";
    let stale: Vec<SignedReport> = (0..64)
        .map(|i| {
            let mut r = sign_reports(&signers[i..=i], 1, 1 << 42).remove(0);
            r.report.timestamp -= 2 * 3600;
            r.report.sign(&signers[i])
        })
        .collect();
    let mut forged = sign_reports(&signers[..64], 64, 1 << 43);
    let other = sign_reports(&signers[..64], 64, 1 << 44);
    for (r, o) in forged.iter_mut().zip(&other) {
        r.signature = o.signature;
    }
    let mut out = Vec::new();
    for i in 0..64 {
        out.push(("/v1/reports", json, b"{\"device\": [1, 2".to_vec()));
        out.push(("/v1/reports/batch", bin, vec![0u8; MAX_BODY + 1]));
        out.push(("/v1/reports", bin, forged[i].to_binary()));
        out.push(("/v1/reports", bin, stale[i].to_binary()));
    }
    out
}

/// Sends the mixed bad stream at [`MIXED_RATE`] requests/s until `stop`.
async fn mixed(
    base: String,
    requests: Arc<Vec<(&'static str, &'static str, Vec<u8>)>>,
    stop: Arc<AtomicBool>,
) -> Answers {
    let clients: Vec<reqwest::Client> = (1..=MIXED_ADDRESSES)
        .map(|i| client_from([127, 0, 2, i]))
        .collect();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / MIXED_RATE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tasks = Vec::new();
    let mut k = 0usize;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let client = clients[k % clients.len()].clone();
        let (requests, base) = (Arc::clone(&requests), base.clone());
        tasks.push(tokio::spawn(async move {
            let (path, content_type, body) = &requests[k % requests.len()];
            let resp = client
                .post(format!("{base}{path}"))
                .header("content-type", *content_type)
                .body(body.clone())
                .send()
                .await;
            let mut answers = Answers::new();
            answers.insert(answer(resp).await, 1);
            answers
        }));
        k += 1;
    }
    merge(tasks).await
}

async fn merge(tasks: Vec<tokio::task::JoinHandle<Answers>>) -> Answers {
    let mut all = Answers::new();
    for t in tasks {
        for (k, v) in t.await.unwrap() {
            *all.entry(k).or_default() += v;
        }
    }
    all
}

/// The honest load on a fresh server with default budgets, beside `attack` (started half a
/// second before it and stopped when it ends).
async fn scenario<F, Fut>(
    signers: &[SigningKey],
    honest: &[(Vec<u8>, usize)],
    what: &str,
    attack: F,
) -> (Row, Answers)
where
    F: FnOnce(String, Arc<AtomicBool>) -> Fut,
    Fut: std::future::Future<Output = Answers> + Send + 'static,
{
    let server = start_server_with(signers, &[]).await;
    let stop_flag = Arc::new(AtomicBool::new(false));
    let hostile = tokio::spawn(attack(server.base.clone(), Arc::clone(&stop_flag)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let clients: Vec<reqwest::Client> = (0..HONEST_CONNECTIONS)
        .map(|i| client_from([127, 0, 0, 11 + i]))
        .collect();
    let row = load_from(
        &clients,
        &server.base,
        "/v1/reports/batch",
        "application/octet-stream",
        honest.to_vec(),
        what,
    )
    .await;
    stop_flag.store(true, Ordering::Relaxed);
    let answers = hostile.await.unwrap();
    stop(server).await;
    (row, answers)
}

pub fn main(benching: bool) {
    let honest_reports = if benching { 100_000 } else { 1_000 };
    let signers: Vec<SigningKey> = (0..DEVICES).map(signer).collect();
    let t = Instant::now();
    let honest: Vec<(Vec<u8>, usize)> = sign_reports(&signers, honest_reports, 0)
        .chunks(BATCH)
        .map(|c| {
            (
                c.iter().flat_map(SignedReport::to_binary).collect(),
                c.len(),
            )
        })
        .collect();
    let forged = Arc::new(forged_batches(&signers, 16));
    let bad = Arc::new(mixed_requests(&signers));
    eprintln!("signed in {:.1}s (not timed)", t.elapsed().as_secs_f64());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let quiet = |_: String, _: Arc<AtomicBool>| async { Answers::new() };
    let runs = rt.block_on(async {
        let mut runs = Vec::new();
        runs.push(scenario(&signers, &honest, "alone", quiet).await);
        let f = Arc::clone(&forged);
        runs.push(
            scenario(
                &signers,
                &honest,
                "under a flood of forged batches",
                |base, stop| flood(base, f, stop),
            )
            .await,
        );
        let b = Arc::clone(&bad);
        runs.push(
            scenario(
                &signers,
                &honest,
                "under the mixed bad stream",
                |base, stop| mixed(base, b, stop),
            )
            .await,
        );
        runs.push(scenario(&signers, &honest, "alone, again", quiet).await);
        runs
    });
    print(&runs);
}

fn print(runs: &[(Row, Answers)]) {
    let rate = |r: &Row| r.reports as f64 / r.secs;
    let clean = (rate(&runs[0].0) + rate(&runs[3].0)) / 2.0;
    println!();
    println!(
        "honest ingest under attack: `oracle serve` (release), default budgets, SQLite, \
         {DEVICES} devices, {HONEST_CONNECTIONS} honest connections (binary batches of {BATCH}); \
         flood: {FLOOD_CONNECTIONS} connections over {FLOOD_ADDRESSES} addresses; mixed: \
         {MIXED_RATE} requests/s over {MIXED_ADDRESSES} addresses. \"of clean\": against the \
         mean of the two runs alone ({clean:.0} reports/s)"
    );
    println!();
    println!(
        "| honest load | reports | seconds | reports/s | of clean | p50 ms | p99 ms | hostile \
         requests | hostile answers |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for (row, answers) in runs {
        let sent: u64 = answers.values().sum();
        let by: Vec<String> = answers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!(
            "| {} | {} | {:.2} | {:.0} | {:.0}% | {:.1} | {:.1} | {sent} | {} |",
            row.what,
            row.reports,
            row.secs,
            rate(row),
            100.0 * rate(row) / clean,
            row.p50.as_secs_f64() * 1e3,
            row.p99.as_secs_f64() * 1e3,
            by.join("; ")
        );
    }
}
