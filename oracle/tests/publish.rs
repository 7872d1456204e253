//! The epoch task: reports ingested over real HTTP into a real SQLite file (and PostgreSQL when
//! DEPIN_TEST_POSTGRES_URL is set) become `epochs/epoch-<n>/` that `verify_epoch_dir` accepts,
//! with amounts computed by hand below; a restart never recomputes or rewrites a published
//! epoch; missed epochs are caught up in order with cumulative totals carried over; and
//! `oracle serve` runs the task as a real process.
//!
//! The tiny world: devices 1 and 3 belong to wallet W1, device 2 to W2, all connectivity at the
//! same cell, default scoring. A device with heartbeats in `h` hours, no speedtest, no position
//! fix and no witnesses scores `floor(h*1000 * 5000 * 7500 / 10_000^2) = 375*h`
//! (no_speedtest 0.5, location_unverified 0.75). Epochs are 2 hours; each emits 1001 (no halving
//! in these epochs), and as every epoch below but the last test's idle ones gives out its whole
//! budget, nothing is carried: each budget is 1001.
//!
//! Epoch 0: device 1 both hours (750), devices 2 and 3 one hour each (375). Σ = 1500.
//!   1001*750/1500 = 500 rem 750; 1001*375/1500 = 250 rem 375 (twice). One unit left: it goes
//!   to the largest remainder, device 1. Rewards 501, 250, 250: W1 = 751, W2 = 250.
//! Epoch 1: only device 2, both hours: it gets all 1001. W1: 0 + 751 = 751; W2: 1001 + 250 = 1251.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use common::backends::{Backend, TestDb, backends};
use common::*;
use depin_formats::report::SignedReport;
use depin_formats::transparency::{self, Manifest};
use depin_oracle::epoch::audit::verify_epoch_dir;
use depin_oracle::epoch::publish::{Publisher, Schedule};
use depin_oracle::ingest::Ingest;
use depin_oracle::registry::file::{
    History, history_csv, history_path, load_registry_csv, synced_at_line, synced_at_path,
};
use depin_oracle::registry::{DeviceKind, DeviceStatus};
use depin_oracle::server;
use depin_oracle::settings::Settings;
use depin_oracle::store::{PublishedEpoch, Store};
use depin_oracle::supervisor::{Supervisor, SupervisorError};
use tokio::io::{AsyncBufReadExt, BufReader};

const EPOCH_SECS: i64 = 7200;
/// Each epoch's emission (and, with nothing carried, its budget).
const BUDGET: u64 = 1001;
/// The emission halves every this many epochs: never in these tests but the halving one.
const HALVING: u64 = 1_000_000;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn registry_csv() -> String {
    let mut csv = String::from("device,owner,maker,location,kind,status\n");
    for (n, owner) in [(1u8, 1u8), (2, 2), (3, 1)] {
        let d = device(n, wallet(owner), cell(0.0, 0.0), DeviceKind::Connectivity);
        csv.push_str(&format!(
            "{},{},{},{:x},connectivity,active\n",
            d.key, d.owner, d.maker, d.location
        ));
    }
    csv
}

/// A heartbeat by device `n` in hour `hour` of epoch `epoch`.
fn hb(start_ts: i64, n: u8, epoch: i64, hour: i64, nonce: u64) -> SignedReport {
    signed(
        n,
        start_ts + epoch * EPOCH_SECS + hour * 3600 + 60,
        nonce,
        heartbeat(None),
    )
}

fn epoch0_reports(start_ts: i64) -> Vec<SignedReport> {
    vec![
        hb(start_ts, 1, 0, 0, 1),
        hb(start_ts, 1, 0, 1, 2),
        hb(start_ts, 2, 0, 1, 1),
        hb(start_ts, 3, 0, 0, 1),
    ]
}

fn epoch1_reports(start_ts: i64) -> Vec<SignedReport> {
    vec![hb(start_ts, 2, 1, 0, 10), hb(start_ts, 2, 1, 1, 11)]
}

fn settings_for(db: &TestDb, start_ts: i64) -> Settings {
    let mut s = Settings {
        storage: db.settings.clone(),
        ..Settings::default()
    };
    s.server.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    s.ingest.max_past_skew = Duration::from_secs(100 * 3600);
    s.ingest.rate_limit_reports = 0;
    s.epoch.enabled = true;
    s.epoch.start_ts = start_ts;
    s.epoch.epoch_secs = EPOCH_SECS as u64;
    s.epoch.close_delay = Duration::ZERO;
    s.epoch.initial_epoch_emission = BUDGET;
    s.epoch.halving_interval_epochs = HALVING;
    std::fs::create_dir_all(&s.storage.data_dir).unwrap();
    std::fs::write(s.registry_csv(), registry_csv()).unwrap();
    s
}

/// The HTTP ingest in this process over a real listener.
struct Http {
    base: String,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<Result<(), SupervisorError>>,
}

impl Http {
    async fn start(settings: &Settings, store: Store) -> Self {
        let registry = load_registry_csv(&settings.registry_csv()).unwrap();
        let ingest = Arc::new(Ingest::new(settings, store, Arc::new(registry)).unwrap());
        let listener = tokio::net::TcpListener::bind(settings.server.listen)
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut supervisor = Supervisor::new();
        let grace = settings.server.shutdown_grace;
        supervisor.add("ingest-http", move |shutdown| {
            server::serve_http(listener, ingest, shutdown, grace)
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(supervisor.run(async move {
            let _ = stopped.await;
        }));
        Self {
            base,
            client: reqwest::Client::new(),
            stop,
            done,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.done.await.unwrap().unwrap();
    }
}

/// Posts `reports` as one JSON batch and expects 200.
async fn post(client: &reqwest::Client, base: &str, reports: &[SignedReport]) {
    let body = format!(
        "[{}]",
        reports
            .iter()
            .map(|r| r.to_json().unwrap())
            .collect::<Vec<_>>()
            .join(",")
    );
    let resp = client
        .post(format!("{base}/v1/reports/batch"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "ingest refused the batch: {text}");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn manifest(dir: &Path) -> Manifest {
    serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap()
}

/// Every file of a directory: name → (bytes, mtime).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn wallets_csv(rows: &[(u8, u64, u64, u64)]) -> String {
    let mut rows: Vec<_> = rows
        .iter()
        .map(|(w, e, p, c)| (wallet(*w), *e, *p, *c))
        .collect();
    rows.sort_by_key(|r| r.0);
    let mut s = String::from("wallet,epoch_reward,previous_cumulative,cumulative\n");
    for (w, e, p, c) in rows {
        s.push_str(&format!("{w},{e},{p},{c}\n"));
    }
    s
}

/// device → reward, from devices.csv.
fn device_rewards(dir: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = read(&dir.join("devices.csv"))
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[3].parse().unwrap())
        })
        .collect();
    out.sort();
    out
}

fn expected_rewards(rewards: [(u8, u64); 3]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = rewards
        .iter()
        .map(|(n, r)| (key(*n).to_string(), *r))
        .collect();
    out.sort();
    out
}

fn check_record(record: &PublishedEpoch, dir: &Path, epoch: u64, sum: u64) {
    let m = manifest(dir);
    assert_eq!(record.epoch, epoch);
    assert_eq!(record.root_sum, sum);
    assert_eq!(m.root.as_ref().unwrap().sum, sum);
    assert_eq!(record.leaves, m.wallets);
    assert_eq!(m.root.as_ref().unwrap().leaves, m.wallets);
    assert_eq!(
        hex::encode(record.root_hash.unwrap()),
        m.root.as_ref().unwrap().hash
    );
    assert_eq!(
        format!("{}\n", hex::encode(record.manifest_hash)),
        read(&dir.join("manifest_hash"))
    );
}

async fn past_epoch_is_published_once(backend: Backend) {
    let db = TestDb::new(backend);
    // Epoch 0 ended 10 minutes ago; epoch 1 is not over.
    let start_ts = now() - EPOCH_SECS - 600;
    let settings = settings_for(&db, start_ts);
    let store = db.store().await;
    let http = Http::start(&settings, store.clone()).await;
    post(&http.client, &http.base, &epoch0_reports(start_ts)).await;

    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    let published = publisher.publish_due(now()).await.unwrap();
    assert_eq!(published.len(), 1, "{backend:?}: only epoch 0 is due");
    let dir = publisher.epochs_dir().join("epoch-0");
    let verified = verify_epoch_dir(&dir, None).unwrap();
    assert_eq!(verified.epoch, 0);
    assert_eq!(verified.root_sum, BUDGET, "{backend:?}: root sum = budget");
    assert_eq!(verified.devices, 3);
    let m = manifest(&dir);
    assert_eq!(
        (m.emission, m.carried, m.budget, m.distributed, m.unspent),
        (BUDGET, 0, BUDGET, BUDGET, 0)
    );
    assert_eq!(m.reports.scored, 4);
    assert_eq!(
        (m.window.start, m.window.end),
        (start_ts, start_ts + EPOCH_SECS)
    );
    assert_eq!(
        device_rewards(&dir),
        expected_rewards([(1, 501), (2, 250), (3, 250)])
    );
    assert_eq!(
        read(&dir.join("wallets.csv")),
        wallets_csv(&[(1, 751, 0, 751), (2, 250, 0, 250)])
    );
    assert_eq!(store.published_epochs().await.unwrap(), published);
    check_record(&published[0], &dir, 0, BUDGET);

    // The inputs the task recorded are an `epoch run` input directory that reproduces the
    // published files byte for byte.
    let inputs = publisher.inputs_dir().join("epoch-0");
    let out = db.dir.path().join("rerun");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_oracle"))
        .args(["epoch", "run", "--inputs"])
        .arg(&inputs)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let strip = |s: Vec<(String, Vec<u8>, std::time::SystemTime)>| {
        s.into_iter().map(|(n, b, _)| (n, b)).collect::<Vec<_>>()
    };
    assert_eq!(
        strip(snapshot(&out.join("epoch-0"))),
        strip(snapshot(&dir)),
        "{backend:?}: `epoch run` on the recorded inputs gives the same bytes"
    );

    // Restart: a new store connection and a new task. A late report for epoch 0 is stored but
    // the published epoch is neither recomputed nor rewritten.
    let before = snapshot(&dir);
    let records = store.published_epochs().await.unwrap();
    http.stop().await;
    store.close().await;
    drop(publisher);
    tokio::time::sleep(Duration::from_millis(20)).await;

    let store = db.store().await;
    let http = Http::start(&settings, store.clone()).await;
    post(&http.client, &http.base, &[hb(start_ts, 2, 0, 0, 99)]).await;
    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    assert_eq!(publisher.next_epoch().await.unwrap(), 1);
    assert!(publisher.publish_due(now()).await.unwrap().is_empty());
    assert_eq!(snapshot(&dir), before, "{backend:?}: epoch-0 untouched");
    assert_eq!(store.published_epochs().await.unwrap(), records);
    assert!(!publisher.epochs_dir().join("epoch-1").exists());

    http.stop().await;
    store.close().await;
    db.cleanup().await;
}

/// Epochs 0 and 1 are over and nothing is published yet: their reports (epoch 1's first) are
/// ingested over HTTP.
async fn two_past_epochs(backend: Backend) -> (TestDb, Settings, Store, Http) {
    let db = TestDb::new(backend);
    let start_ts = now() - 2 * EPOCH_SECS - 600;
    let settings = settings_for(&db, start_ts);
    let store = db.store().await;
    let http = Http::start(&settings, store.clone()).await;
    let mut reports = epoch1_reports(start_ts);
    reports.extend(epoch0_reports(start_ts));
    post(&http.client, &http.base, &reports).await;
    (db, settings, store, http)
}

async fn missed_epochs_are_caught_up_in_order(backend: Backend) {
    // The service was down for both epochs.
    let (db, settings, store, http) = two_past_epochs(backend).await;

    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    let published = publisher.publish_due(now()).await.unwrap();
    assert_eq!(
        published.iter().map(|p| p.epoch).collect::<Vec<_>>(),
        [0, 1],
        "{backend:?}"
    );
    let d0 = publisher.epochs_dir().join("epoch-0");
    let d1 = publisher.epochs_dir().join("epoch-1");
    verify_epoch_dir(&d0, None).unwrap();
    let v1 = verify_epoch_dir(&d1, Some(&d0)).unwrap();
    assert_eq!(v1.root_sum, 2 * BUDGET);
    assert_eq!(
        read(&d0.join("wallets.csv")),
        wallets_csv(&[(1, 751, 0, 751), (2, 250, 0, 250)])
    );
    assert_eq!(
        device_rewards(&d1),
        expected_rewards([(1, 0), (2, 1001), (3, 0)])
    );
    assert_eq!(
        read(&d1.join("wallets.csv")),
        wallets_csv(&[(1, 0, 751, 751), (2, 1001, 250, 1251)])
    );
    // Epoch 1's inputs name epoch 0's wallets.csv, byte for byte.
    assert_eq!(
        manifest(&d1).inputs["previous_wallets.csv"],
        manifest(&d0).outputs["wallets.csv"]
    );
    let records = store.published_epochs().await.unwrap();
    assert_eq!(records, published);
    check_record(&records[0], &d0, 0, BUDGET);
    check_record(&records[1], &d1, 1, 2 * BUDGET);
    assert!(records[0].published_at <= records[1].published_at);
    assert!(!publisher.epochs_dir().join("epoch-2").exists());

    http.stop().await;
    store.close().await;
    db.cleanup().await;
}

/// GET `path` on `http`: status, headers and the JSON body.
async fn api_get(http: &Http, path: &str) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let r = http
        .client
        .get(format!("{}{path}", http.base))
        .header("origin", "https://wallet.example")
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.json().await.unwrap())
}

/// The rewards API over the two epochs above (no chain in this test: the wallet summary's
/// 503, and every row not final; the chain's side runs in `depin-dev sim`): a wallet's rows
/// with their exact scores, rewards and reasons, page by page; an epoch's summary from its
/// manifest; every 4xx; CORS and caching headers.
async fn the_rewards_api_serves_the_published_epochs(backend: Backend) {
    use depin_formats::api::{EpochSummary, RewardsPage, parse_reasons};
    let (db, settings, store, http) = two_past_epochs(backend).await;
    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    publisher.publish_due(now()).await.unwrap();
    let api = depin_oracle::api::ApiState::new(&settings.storage.data_dir, store.clone(), None);
    assert_eq!(api.index_published().await.unwrap(), 2);
    assert_eq!(api.index_published().await.unwrap(), 0, "{backend:?}");
    assert_eq!(store.indexed_epochs().await.unwrap(), [0, 1]);

    // W1's devices 1 and 3: (epoch, device, score, reward), newest epoch first, then by device
    // bytes descending.
    let expected = [
        (1, 1, 0, 0),
        (1, 3, 0, 0),
        (0, 1, 750, 501),
        (0, 3, 375, 250),
    ];
    let reasons = |epoch: u64, n: u8| {
        let dir = publisher.epochs_dir().join(format!("epoch-{epoch}"));
        let rows = transparency::parse_devices_csv(read(&dir.join("devices.csv")).as_bytes());
        let row = rows
            .unwrap()
            .into_iter()
            .find(|d| d.device == key(n))
            .unwrap();
        parse_reasons(&row.reasons)
    };
    let w1 = wallet(1);
    let (status, headers, body) = api_get(&http, &format!("/v1/wallets/{w1}/rewards")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "public, max-age=2");
    assert_eq!(headers["access-control-allow-origin"], "*");
    let page: RewardsPage = serde_json::from_value(body).unwrap();
    let got: Vec<_> = page
        .rows
        .iter()
        .map(|r| {
            (
                r.epoch,
                r.device.clone(),
                r.score,
                r.reward,
                r.reasons.clone(),
                r.is_final,
            )
        })
        .collect();
    let mut sorted = expected.to_vec();
    sorted.sort_by_key(|&(e, n, _, _)| std::cmp::Reverse((e, key(n).0)));
    let want: Vec<_> = sorted
        .iter()
        .map(|&(e, n, score, reward)| (e, key(n).to_string(), score, reward, reasons(e, n), false))
        .collect();
    assert_eq!(got, want, "{backend:?}");
    assert_eq!(page.next, None);
    assert_eq!(
        (
            reasons(1, 1)[0].code.as_str(),
            reasons(1, 1)[0].meaning.as_str()
        ),
        ("no_heartbeats", "no heartbeat in the epoch: score 0")
    );
    // One row a page, following `next`: the same rows, then no next.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/v1/wallets/{w1}/rewards?limit=1{cursor}");
        let (status, _, body) = api_get(&http, &path).await;
        assert_eq!(status, 200, "{body}");
        let page: RewardsPage = serde_json::from_value(body).unwrap();
        paged.extend(page.rows);
        match page.next {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, page.rows);

    // Epoch 1's summary: its manifest's figures and files; no chain, so no status.
    let d1 = publisher.epochs_dir().join("epoch-1");
    let m = manifest(&d1);
    let (status, _, body) = api_get(&http, "/v1/epochs/1").await;
    assert_eq!(status, 200, "{body}");
    let e: EpochSummary = serde_json::from_value(body).unwrap();
    let root = m.root.clone().unwrap();
    assert_eq!(
        (
            e.epoch,
            e.root,
            e.root_sum,
            e.leaves,
            e.budget,
            e.distributed,
            e.devices,
            e.wallets
        ),
        (1, Some(root.hash), 2 * BUDGET, 2, BUDGET, BUDGET, 3, 2)
    );
    assert_eq!(e.manifest_hash, read(&d1.join("manifest_hash")).trim());
    assert_eq!(
        (e.window_start, e.window_end),
        (m.window.start, m.window.end)
    );
    assert_eq!(e.chain, None);
    let files: Vec<(String, String)> = e
        .files
        .iter()
        .map(|f| (f.name.clone(), f.url.clone()))
        .collect();
    assert_eq!(files.len(), 7, "{files:?}");
    assert!(files.contains(&("wallets.csv".into(), "/v1/epochs/1/wallets.csv".into())));
    assert_eq!(
        e.files
            .iter()
            .find(|f| f.name == "devices.csv")
            .unwrap()
            .sha256,
        m.outputs["devices.csv"]
    );

    // Every refusal, by reason.
    for (path, status, reason) in [
        (format!("/v1/wallets/{w1}"), 503, "chain_unavailable"),
        ("/v1/wallets/notakey".to_owned(), 400, "bad_wallet"),
        ("/v1/wallets/notakey/rewards".to_owned(), 400, "bad_wallet"),
        (
            format!("/v1/wallets/{w1}/rewards?limit=0"),
            400,
            "bad_limit",
        ),
        (
            format!("/v1/wallets/{w1}/rewards?limit=1001"),
            400,
            "bad_limit",
        ),
        (
            format!("/v1/wallets/{w1}/rewards?cursor=1"),
            400,
            "bad_cursor",
        ),
        ("/v1/epochs/01".to_owned(), 400, "bad_epoch"),
        ("/v1/epochs/9".to_owned(), 404, "epoch_not_found"),
    ] {
        let (got, _, body) = api_get(&http, &path).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(reason)),
            "{path}: {body}"
        );
    }
    let (status, _, doc) = api_get(&http, "/v1/openapi.json").await;
    assert_eq!((status, doc["openapi"].as_str()), (200, Some("3.1.0")));

    http.stop().await;
    store.close().await;
    db.cleanup().await;
}

async fn a_directory_without_a_record_is_adopted_not_rewritten(backend: Backend) {
    let db = TestDb::new(backend);
    let start_ts = now() - EPOCH_SECS - 600;
    let settings = settings_for(&db, start_ts);
    let store = db.store().await;
    store
        .insert_all(&epoch0_reports(start_ts), 0)
        .await
        .unwrap();
    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    let first = publisher.publish_due(now()).await.unwrap();
    let dir = publisher.epochs_dir().join("epoch-0");
    let before = snapshot(&dir);
    // Simulate a crash after the rename and before the record.
    if let Store::Sqlite(p) = &store {
        sqlx::query("DELETE FROM published_epochs")
            .execute(p)
            .await
            .unwrap();
    }
    if let Store::Postgres(p) = &store {
        sqlx::query("DELETE FROM published_epochs")
            .execute(p)
            .await
            .unwrap();
    }
    // A report that would change the result if the epoch were recomputed.
    store
        .insert_all(&[hb(start_ts, 2, 0, 0, 99)], 0)
        .await
        .unwrap();
    let adopted = publisher.publish_due(now()).await.unwrap();
    assert_eq!(adopted.len(), 1);
    assert_eq!(
        (
            adopted[0].root_hash,
            adopted[0].root_sum,
            adopted[0].manifest_hash
        ),
        (
            first[0].root_hash,
            first[0].root_sum,
            first[0].manifest_hash
        ),
        "{backend:?}"
    );
    assert_eq!(snapshot(&dir), before);
    store.close().await;
    db.cleanup().await;
}

/// With a chain registry, the task publishes an epoch only once the registry sync has read the
/// chain past the epoch's end (`registry-synced-at`), and `oracle_epoch_lag` counts the epochs
/// due and not yet published while it waits.
async fn waits_for_a_registry_sync_past_the_end(backend: Backend) {
    let (db, settings, store, http) = two_past_epochs(backend).await;

    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    let end = |n| publisher.schedule().window(n).unwrap().end;
    let synced_at = synced_at_path(&settings.registry_csv());
    // The sync's history: every device onboarded long before, never transferred.
    let rows: Vec<_> = load_registry_csv(&settings.registry_csv())
        .unwrap()
        .devices()
        .iter()
        .map(|d| {
            let h = History {
                onboarded_at: 0,
                owner_since: 0,
                prev_owner: d.owner,
                decommissioned_at: 0,
                prev_location: d.location,
                location_since: 0,
            };
            (*d, h)
        })
        .collect();
    let history = history_csv(&rows);
    std::fs::write(history_path(&settings.registry_csv()), &history).unwrap();
    // What the sync writes after a read at `t` with nothing final: the frozen registries, then
    // its time.
    let sync = |t: i64| {
        sync_files(&settings, history.as_bytes(), t, 0);
        std::fs::write(&synced_at, synced_at_line(t, 0)).unwrap();
    };
    let lag = || publisher.metrics().lag.get();
    let last = || publisher.metrics().last_published.get();

    // The last sync read the chain one second before epoch 0 ended: nothing is published.
    sync(end(0) - 1);
    assert_eq!(publisher.publish_next(now()).await.unwrap(), None);
    assert_eq!((lag(), last()), (2, -1), "{backend:?}");
    assert!(store.published_epochs().await.unwrap().is_empty());

    // A sync at epoch 0's end releases epoch 0 only.
    sync(end(0));
    let published = publisher.publish_due(now()).await.unwrap();
    assert_eq!(
        published.iter().map(|p| p.epoch).collect::<Vec<_>>(),
        [0],
        "{backend:?}"
    );
    assert_eq!((lag(), last()), (1, 0), "{backend:?}");

    // A sync past epoch 1's end releases it; nothing is left behind.
    sync(end(1) + 5);
    let published = publisher.publish_due(now()).await.unwrap();
    assert_eq!(
        published.iter().map(|p| p.epoch).collect::<Vec<_>>(),
        [1],
        "{backend:?}"
    );
    assert_eq!((lag(), last()), (0, 1), "{backend:?}");
    // The same files as an oracle that never waited.
    let d0 = publisher.epochs_dir().join("epoch-0");
    let d1 = publisher.epochs_dir().join("epoch-1");
    assert_eq!(
        read(&d0.join("wallets.csv")),
        wallets_csv(&[(1, 751, 0, 751), (2, 250, 0, 250)])
    );
    assert_eq!(
        read(&d1.join("wallets.csv")),
        wallets_csv(&[(1, 0, 751, 751), (2, 1001, 250, 1251)])
    );

    http.stop().await;
    store.close().await;
    db.cleanup().await;
}

/// Two oracles whose registry syncs read the chain at different times after epoch 0's end: one
/// 1 s after it, one 100 s after it. Between the two reads the chain changed: device 1 was
/// transferred from wallet 1 to wallet 3 (at +30 s), device 4 was onboarded (+50 s) and device 2
/// decommissioned (+60 s). The later oracle's ingest had accepted device 4's reports, one of them
/// timestamped inside epoch 0. Both publish epoch 0 from the registry as it stood at its end
/// (device 1 still wallet 1's, device 2 active, no device 4), and their inputs and published
/// files are byte for byte the same, so their votes match.
async fn lagging_syncs_publish_the_same_epoch(backend: Backend) {
    let start_ts = now() - 2 * EPOCH_SECS - 600;
    let end0 = start_ts + EPOCH_SECS;
    let mut oracles = Vec::new();
    for (synced, saw_changes) in [(end0 + 100, true), (end0 + 1, false)] {
        let db = TestDb::new(backend);
        let settings = settings_for(&db, start_ts);
        let mut csv = registry_csv();
        let onboarded = start_ts - 10;
        let mut rows = base_history(onboarded);
        if saw_changes {
            let d = device(4, wallet(2), cell(0.0, 0.0), DeviceKind::Connectivity);
            csv.push_str(&format!(
                "{},{},{},{:x},connectivity,active\n",
                d.key, d.owner, d.maker, d.location
            ));
            let h = History {
                onboarded_at: end0 + 50,
                owner_since: end0 + 50,
                prev_owner: wallet(2),
                decommissioned_at: 0,
                prev_location: d.location,
                location_since: end0 + 50,
            };
            rows.push((d, h));
            rows[0].0.owner = wallet(3);
            rows[0].1.owner_since = end0 + 30;
            rows[1].0.status = DeviceStatus::Decommissioned;
            rows[1].1.decommissioned_at = end0 + 60;
        }
        rows.sort_by_key(|(d, _)| d.key);
        // The ingest's registry when the reports arrived; the sync's read after the changes.
        let registry = settings.registry_csv();
        std::fs::write(&registry, csv).unwrap();
        let store = db.store().await;
        let http = Http::start(&settings, store.clone()).await;
        let mut reports = epoch0_reports(start_ts);
        reports.extend(epoch1_reports(start_ts));
        if saw_changes {
            // One inside epoch 0 (before its onboarding), one in epoch 1 (after it).
            reports.push(hb(start_ts, 4, 0, 1, 1));
            reports.push(hb(start_ts, 4, 1, 0, 2));
        }
        post(&http.client, &http.base, &reports).await;
        assert_eq!(store.count().await.unwrap(), 6 + 2 * u64::from(saw_changes));
        let history = history_csv(&rows);
        std::fs::write(history_path(&registry), &history).unwrap();
        sync_files(&settings, history.as_bytes(), synced, 0);
        std::fs::write(synced_at_path(&registry), synced_at_line(synced, 0)).unwrap();

        let publisher = Publisher::new(&settings, store.clone()).unwrap();
        // Neither sync is past epoch 1's end: epoch 0 only.
        let published = publisher.publish_due(now()).await.unwrap();
        assert_eq!(published.len(), 1, "{backend:?}");
        let dir = publisher.epochs_dir().join("epoch-0");
        assert_eq!(
            read(&dir.join("wallets.csv")),
            wallets_csv(&[(1, 751, 0, 751), (2, 250, 0, 250)])
        );
        let files = |d: &Path| -> Vec<(String, Vec<u8>)> {
            snapshot(d).into_iter().map(|(n, b, _)| (n, b)).collect()
        };
        let p = &published[0];
        oracles.push((
            (p.root_hash, p.root_sum, p.manifest_hash),
            files(&dir),
            files(&publisher.inputs_dir().join("epoch-0")),
        ));
        http.stop().await;
        store.close().await;
        db.cleanup().await;
    }
    let (ahead, behind) = (&oracles[0], &oracles[1]);
    assert_eq!(
        ahead.0, behind.0,
        "{backend:?}: root, sum and manifest hash"
    );
    assert_eq!(ahead.1, behind.1, "{backend:?}: published files");
    assert_eq!(ahead.2, behind.2, "{backend:?}: input files");
}

/// The history rows of [`registry_csv`]'s devices 1-3 (owners wallet 1, 2, 1), all onboarded at
/// `onboarded` and never transferred or decommissioned.
fn base_history(onboarded: i64) -> Vec<(depin_oracle::registry::Device, History)> {
    [(1u8, 1u8), (2, 2), (3, 1)]
        .into_iter()
        .map(|(n, owner)| {
            let d = device(n, wallet(owner), cell(0.0, 0.0), DeviceKind::Connectivity);
            let h = History {
                onboarded_at: onboarded,
                owner_since: onboarded,
                prev_owner: wallet(owner),
                decommissioned_at: 0,
                prev_location: d.location,
                location_since: onboarded,
            };
            (d, h)
        })
        .collect()
}

/// The registry files of a sync: devices 1-3 onboarded before epoch 0 (owners wallet 1, 2, 1),
/// device 2 handed from wallet 2 along `owners` (each with its transfer time); the history, and
/// the sync's time and final-epoch count.
fn write_sync(settings: &Settings, owners: &[(u8, i64)], onboarded: i64, synced: (i64, u64)) {
    let mut rows = base_history(onboarded);
    for (owner, at) in owners {
        rows[1].1.prev_owner = rows[1].0.owner;
        rows[1].0.owner = wallet(*owner);
        rows[1].1.owner_since = *at;
    }
    let registry = settings.registry_csv();
    std::fs::write(&registry, registry_csv()).unwrap();
    let history = history_csv(&rows);
    std::fs::write(history_path(&registry), &history).unwrap();
    sync_files(settings, history.as_bytes(), synced.0, synced.1);
    std::fs::write(
        synced_at_path(&registry),
        synced_at_line(synced.0, synced.1),
    )
    .unwrap();
}

/// The epoch registries a sync that read `history` at `time`, with `final_epochs` final,
/// freezes (`registry::sync::freeze_epochs`, as `oracle serve` runs it).
fn sync_files(settings: &Settings, history: &[u8], time: i64, final_epochs: u64) {
    depin_oracle::registry::sync::freeze_epochs(
        &settings.registry_csv(),
        history,
        time,
        final_epochs,
        settings.epoch.start_ts,
        settings.epoch.epoch_secs as i64,
    )
    .unwrap();
}

/// An epoch's registry is frozen the first time the epoch task can rebuild it, and a later sync
/// cannot change it: oracle A first reads the chain 5 s after epoch 1's end (nothing final),
/// publishes epoch 0 and freezes epoch 1's registry; device 2 then changes hands twice (wallet
/// 2 → 3 at +10 s, 3 → 4 at +20 s, the second once epoch 1 is final), and A publishes epoch 1
/// after a sync that sees both: byte for byte what oracle B, which never saw the transfers,
/// publishes (wallet 2 paid for epoch 1). Oracle C first reads the chain after both transfers,
/// with epoch 1 final: device 2's owner at the ends cannot be read, and it refuses to publish
/// rather than pay wallet 3.
async fn a_frozen_registry_outlives_later_transfers(backend: Backend) {
    let start_ts = now() - 2 * EPOCH_SECS - 600;
    let end1 = start_ts + 2 * EPOCH_SECS;
    let onboarded = start_ts - 10;
    let transfers = [(3u8, end1 + 10), (4, end1 + 20)];
    let mut published = Vec::new();
    for (oracle, first, later) in [
        ("A", (end1 + 5, 0), Some((end1 + 30, 2))),
        ("B", (end1 + 1, 0), None),
    ] {
        let db = TestDb::new(backend);
        let settings = settings_for(&db, start_ts);
        let store = db.store().await;
        let mut reports = epoch0_reports(start_ts);
        reports.extend(epoch1_reports(start_ts));
        store.insert_all(&reports, 0).await.unwrap();
        write_sync(&settings, &[], onboarded, first);
        let publisher = Publisher::new(&settings, store.clone()).unwrap();
        assert_eq!(
            publisher.publish_next(now()).await.unwrap().unwrap().epoch,
            0
        );
        if let Some(synced) = later {
            write_sync(&settings, &transfers, onboarded, synced);
        }
        assert_eq!(
            publisher.publish_next(now()).await.unwrap().unwrap().epoch,
            1
        );
        let dir = publisher.epochs_dir().join("epoch-1");
        let wallets = read(&dir.join("wallets.csv"));
        assert!(
            !wallets.contains(&wallet(3).to_string()) && !wallets.contains(&wallet(4).to_string()),
            "{oracle} {backend:?}: {wallets}"
        );
        let files = |d: &Path| -> Vec<(String, Vec<u8>)> {
            snapshot(d).into_iter().map(|(n, b, _)| (n, b)).collect()
        };
        published.push((files(&dir), files(&publisher.inputs_dir().join("epoch-1"))));
        // The next pass removes the frozen copies of the epochs published and final (A's sync
        // saw epochs 0 and 1 final); B's stay until they are final (the sync would freeze them
        // again).
        assert_eq!(publisher.publish_next(now()).await.unwrap(), None);
        let frozen = settings.registry_csv().with_file_name("registry-epochs");
        let kept = std::fs::read_dir(&frozen).unwrap().count();
        assert_eq!(kept, if later.is_some() { 0 } else { 2 }, "{oracle}");
        store.close().await;
        db.cleanup().await;
    }
    assert_eq!(published[0], published[1], "{backend:?}: A and B differ");

    let db = TestDb::new(backend);
    let settings = settings_for(&db, start_ts);
    let store = db.store().await;
    write_sync(&settings, &transfers, onboarded, (end1 + 30, 2));
    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    let err = publisher.publish_next(now()).await.unwrap_err().to_string();
    assert!(
        err.contains(&format!("device {} changed hands since", key(2))),
        "{backend:?}: {err}"
    );
    assert!(!publisher.epochs_dir().join("epoch-0").exists());
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_epoch_registry_outlives_later_transfers_and_an_unknowable_owner_is_refused() {
    for b in backends() {
        a_frozen_registry_outlives_later_transfers(b).await;
    }
}

/// `update_location` in the middle of epoch 0: device 1, asserted at the base cell, moves to a
/// cell about 11 km north and reports its GPS fixes there from the start. Epoch 0 started
/// before the move, so it is scored at the old cell: the fixes are 11 km off, `location_mismatch`
/// (multiplier 0), nothing earned. From epoch 1 on the new cell counts: the same fixes at its
/// centre are fully trusted, 2 hours × 1000 × no_speedtest 0.5 = 1000. Device 2 (one heartbeat
/// an hour, no fix: location_unverified) earns 375 for its one hour in each. Budgets of 1001:
/// epoch 0 all to device 2; epoch 1 split 1000 : 375, exactly 728 and 273.
/// The sync read the chain after epoch 1's end with nothing final, as every oracle would.
async fn a_moved_device_is_scored_at_its_new_cell_from_the_next_epoch(backend: Backend) {
    let db = TestDb::new(backend);
    let start_ts = now() - 2 * EPOCH_SECS - 600;
    let settings = settings_for(&db, start_ts);
    let (old, new) = (cell(0.0, 0.0), cell(0.1, 0.0));
    let moved_at = start_ts + EPOCH_SECS / 2;
    let mut rows = base_history(start_ts - 10);
    rows[0].0.location = new;
    rows[0].1.prev_location = old;
    rows[0].1.location_since = moved_at;
    let history = history_csv(&rows);
    let registry = settings.registry_csv();
    std::fs::write(history_path(&registry), &history).unwrap();
    let synced = start_ts + 2 * EPOCH_SECS + 5;
    sync_files(&settings, history.as_bytes(), synced, 0);
    std::fs::write(synced_at_path(&registry), synced_at_line(synced, 0)).unwrap();

    let at_new = || heartbeat(Some(fix_at_cell(new)));
    let at = |epoch: i64, hour: i64| start_ts + epoch * EPOCH_SECS + hour * 3600 + 60;
    let reports = vec![
        signed(1, at(0, 0), 1, at_new()),
        signed(1, at(0, 1), 2, at_new()),
        signed(1, at(1, 0), 3, at_new()),
        signed(1, at(1, 1), 4, at_new()),
        hb(start_ts, 2, 0, 0, 1),
        hb(start_ts, 2, 1, 0, 2),
    ];
    let store = db.store().await;
    store.insert_all(&reports, 0).await.unwrap();
    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    let published = publisher.publish_due(now()).await.unwrap();
    assert_eq!(published.len(), 2, "{backend:?}");

    // The frozen registries: epoch 0 at the old cell, epoch 1 at the new one.
    let frozen = |n: u64| {
        read(
            &registry
                .with_file_name("registry-epochs")
                .join(format!("epoch-{n}.csv")),
        )
    };
    assert!(frozen(0).contains(&format!(
        "{},{},{},{old:x},",
        key(1),
        wallet(1),
        rows[0].0.maker
    )));
    assert!(frozen(1).contains(&format!(
        "{},{},{},{new:x},",
        key(1),
        wallet(1),
        rows[0].0.maker
    )));

    // devices.csv: device → (score, reward, reasons).
    let scored = |n: u64| -> Vec<(String, u64, u64, String)> {
        let dir = publisher.epochs_dir().join(format!("epoch-{n}"));
        let mut out: Vec<_> = read(&dir.join("devices.csv"))
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.splitn(5, ',').collect();
                (
                    f[0].to_owned(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                    f[4].to_owned(),
                )
            })
            .collect();
        out.sort();
        out
    };
    let row = |n: u8, rows: &[(String, u64, u64, String)]| {
        rows.iter()
            .find(|r| r.0 == key(n).to_string())
            .cloned()
            .unwrap_or_else(|| panic!("device {n} not scored: {rows:?}"))
    };
    let e0 = scored(0);
    let d1 = row(1, &e0);
    assert_eq!((d1.1, d1.2), (0, 0), "{backend:?}: {e0:?}");
    assert!(d1.3.contains("location_mismatch"), "{backend:?}: {e0:?}");
    assert_eq!((row(2, &e0).1, row(2, &e0).2), (375, 1001), "{backend:?}");
    let e1 = scored(1);
    let d1 = row(1, &e1);
    assert_eq!((d1.1, d1.2), (1000, 728), "{backend:?}: {e1:?}");
    assert!(!d1.3.contains("location"), "{backend:?}: {e1:?}");
    assert_eq!((row(2, &e1).1, row(2, &e1).2), (375, 273), "{backend:?}");
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_device_is_scored_at_its_new_cell_from_the_epoch_after_the_update() {
    for b in backends() {
        a_moved_device_is_scored_at_its_new_cell_from_the_next_epoch(b).await;
    }
}

/// The epoch task streams the window's rows into reports.jsonl a chunk at a time: with more
/// rows than several chunks, inserted in reverse order and mixed with rows of an unregistered
/// device and of the next epoch, the file holds exactly the registered devices' reports of the
/// epoch, by timestamp, then device bytes, then nonce, and the manifest hashes exactly that
/// file.
async fn a_large_epoch_streams_whole_and_in_order(backend: Backend) {
    let db = TestDb::new(backend);
    let start_ts = now() - EPOCH_SECS - 600;
    let settings = settings_for(&db, start_ts);
    let store = db.store().await;
    const PER_DEVICE: u64 = 3000;
    let mut epoch0: Vec<SignedReport> = Vec::new();
    for n in 1..=3u8 {
        for k in 1..=PER_DEVICE {
            epoch0.push(signed(n, start_ts + 60 + k as i64, k, heartbeat(None)));
        }
    }
    let mut all = epoch0.clone();
    // Device 4 is not in the registry; device 1's reports of epoch 1 are outside the window.
    all.extend((1..=40u64).map(|k| signed(4, start_ts + 100 + k as i64, k, heartbeat(None))));
    all.extend((1..=5u64).map(|k| hb(start_ts, 1, 1, 0, PER_DEVICE + k)));
    all.reverse();
    for batch in all.chunks(500) {
        store.insert_all(batch, 0).await.unwrap();
    }

    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    let published = publisher.publish_due(now()).await.unwrap();
    assert_eq!(published.len(), 1, "{backend:?}");

    epoch0.sort_by(|a, b| {
        (a.report.timestamp, a.report.device.0, a.report.nonce).cmp(&(
            b.report.timestamp,
            b.report.device.0,
            b.report.nonce,
        ))
    });
    let mut expected = String::new();
    for r in &epoch0 {
        expected.push_str(&r.to_json().unwrap());
        expected.push('\n');
    }
    let file = publisher.inputs_dir().join("epoch-0").join("reports.jsonl");
    let written = read(&file);
    assert_eq!(written.lines().count(), 9000, "{backend:?}");
    assert!(written == expected, "{backend:?}: reports.jsonl differs");
    let m = manifest(&publisher.epochs_dir().join("epoch-0"));
    assert_eq!(
        m.inputs["reports.jsonl"],
        transparency::sha256_hex(expected.as_bytes()),
        "{backend:?}"
    );
    assert_eq!(
        (m.reports.scored, m.reports.rejected.len(), m.distributed),
        (9000, 0, BUDGET),
        "{backend:?}"
    );
    assert!(!publisher.inputs_dir().join("epoch-0.tmp").exists());
    store.close().await;
    db.cleanup().await;
}

/// The rewards program's network with epochs `0..=epoch` minted under `settings`' schedule:
/// what it checks a root for `epoch` against (`Network::root_budget`).
fn network_minted_through(settings: &Settings, epoch: u64) -> rewards::state::Network {
    use rewards::state::{EmissionParams, FinalRoot, MintWindow, Network};
    let emission = EmissionParams {
        start_ts: settings.epoch.start_ts,
        epoch_secs: settings.epoch.epoch_secs,
        initial_epoch_emission: settings.epoch.initial_epoch_emission,
        halving_interval_epochs: settings.epoch.halving_interval_epochs,
    };
    let minted = emission.schedule().cumulative_emission(epoch + 1).unwrap();
    Network {
        version: 1,
        bump: 0,
        mint_bump: 0,
        vault_bump: 0,
        decimals: 6,
        authority: Default::default(),
        mint: Default::default(),
        token_program: Default::default(),
        rewards_vault: Default::default(),
        max_supply: u64::MAX,
        total_minted: minted,
        emission,
        mint_window: MintWindow {
            window_secs: 1,
            threshold: u64::MAX,
            last_ts: 0,
            amount: 0,
        },
        epochs_minted: epoch + 1,
        cumulative_budget: minted,
        total_claimed: 0,
        voided_roots: 0,
        total_burned: 0,
        onboard_fee: 0,
        location_fee: 0,
        dispute_secs: 0,
        timelock_secs: 0,
        input_secs: 0,
        changes_proposed: 0,
        final_root: FinalRoot::default(),
        created_at: 0,
        collateral_authority_bump: 0,
        genesis_supply: 0,
        reserved: [0; 95],
    }
}

/// Idle epochs and halvings: the emission halves every two epochs (1001, 1001, 500, 500, 250,
/// 250, 125) and devices earn in epochs 1, 4 and 5 only. Each budget is the emission so far less
/// what the earlier epochs gave out: an idle epoch distributes nothing and its emission is
/// carried (epoch 0's into epoch 1, epochs 2 and 3's into epoch 4, across the halving), so every
/// root's total is within the rewards program's `root_budget` for its epoch, and exactly it
/// once a device has earned in that epoch. By hand:
///
/// ```text
/// epoch  emission  carried  budget  distributed  unspent  root total  root_budget
///   0      1001        0     1001          0      1001          0        1001
///   1      1001     1001     2002       2002         0       2002        2002
///   2       500        0      500          0       500       2002        2502
///   3       500      500     1000          0      1000       2002        3002
///   4       250     1000     1250       1250         0       3252        3252
///   5       250        0      250        250         0       3502        3502
///   6       125        0      125          0       125       3502        3627
/// ```
async fn budgets_follow_the_schedule_across_idle_epochs_and_halvings(backend: Backend) {
    let db = TestDb::new(backend);
    let start_ts = now() - 7 * EPOCH_SECS - 600;
    let mut settings = settings_for(&db, start_ts);
    settings.epoch.halving_interval_epochs = 2;
    let store = db.store().await;
    let mut reports = Vec::new();
    for epoch in [1i64, 4, 5] {
        let nonce = 100 * epoch as u64;
        reports.push(hb(start_ts, 1, epoch, 0, nonce));
        reports.push(hb(start_ts, 2, epoch, 1, nonce));
    }
    store.insert_all(&reports, 0).await.unwrap();
    let publisher = Publisher::new(&settings, store.clone()).unwrap();
    let published = publisher.publish_due(now()).await.unwrap();
    assert_eq!(published.len(), 7, "{backend:?}");
    let expected: [(u64, u64, u64, u64, u64, u64, u64); 7] = [
        (1001, 0, 1001, 0, 1001, 0, 1001),
        (1001, 1001, 2002, 2002, 0, 2002, 2002),
        (500, 0, 500, 0, 500, 2002, 2502),
        (500, 500, 1000, 0, 1000, 2002, 3002),
        (250, 1000, 1250, 1250, 0, 3252, 3252),
        (250, 0, 250, 250, 0, 3502, 3502),
        (125, 0, 125, 0, 125, 3502, 3627),
    ];
    let mut previous: Option<PathBuf> = None;
    for (e, record) in published.iter().enumerate() {
        let epoch = e as u64;
        let dir = publisher.epochs_dir().join(format!("epoch-{e}"));
        verify_epoch_dir(&dir, previous.as_deref()).unwrap();
        let m = manifest(&dir);
        let root_budget = network_minted_through(&settings, epoch)
            .root_budget(epoch)
            .unwrap();
        assert_eq!(
            (
                m.emission,
                m.carried,
                m.budget,
                m.distributed,
                m.unspent,
                record.root_sum,
                root_budget
            ),
            expected[e],
            "{backend:?}: epoch {e}"
        );
        assert!(record.root_sum <= root_budget, "{backend:?}: epoch {e}");
        if m.distributed > 0 {
            assert_eq!(record.root_sum, root_budget, "{backend:?}: epoch {e}");
        }
        // Nothing is lost: what the roots gave out and what is carried on is the emission so far.
        assert_eq!(
            record.root_sum + m.unspent,
            root_budget,
            "{backend:?}: epoch {e}"
        );
        previous = Some(dir);
    }
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_carry_idle_epochs_forward_across_halvings_within_the_root_budget() {
    for b in backends() {
        budgets_follow_the_schedule_across_idle_epochs_and_halvings(b).await;
    }
}

/// An epoch task whose emission settings are unset refuses to start, naming the settings.
#[test]
fn the_emission_schedule_must_be_set() {
    let mut s = Settings::default();
    s.epoch.halving_interval_epochs = 2;
    let err = depin_oracle::epoch::publish::emission_schedule(&s.epoch).unwrap_err();
    assert_eq!(
        err.to_string(),
        "epoch settings: epoch.initial_epoch_emission = 0, epoch.halving_interval_epochs = 2: \
         invalid emission schedule (initial_epoch_emission 0, halving_interval_epochs 2): \
         initial_epoch_emission must be at least 1; set them to the network's emission schedule \
         (the rewards program's Network.emission)"
    );
    s.epoch.initial_epoch_emission = 1001;
    s.epoch.halving_interval_epochs = 0;
    assert!(depin_oracle::epoch::publish::emission_schedule(&s.epoch).is_err());
}

/// The fixed `epoch.budget` of earlier versions is gone: a settings file that still has it is
/// refused at start, naming the key, rather than silently running with another budget.
#[test]
// figment::Jail closures return figment::Error, which is large; that is its API.
#[allow(clippy::result_large_err)]
fn the_old_fixed_budget_setting_is_refused() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("oracle.toml", "[epoch]\nbudget = 1001\n")?;
        let err = Settings::load(Some(Path::new("oracle.toml"))).unwrap_err();
        assert!(
            err.to_string().contains("unknown field: found `budget`"),
            "{err}"
        );
        jail.create_file(
            "oracle.toml",
            "[epoch]\ninitial_epoch_emission = 1001\nhalving_interval_epochs = 730\n",
        )?;
        let s = Settings::load(Some(Path::new("oracle.toml"))).unwrap();
        assert_eq!(
            depin_oracle::epoch::publish::emission_schedule(&s.epoch).unwrap(),
            depin_formats::params::HalvingSchedule {
                initial_epoch_emission: 1001,
                halving_interval_epochs: 730
            }
        );
        Ok(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_epoch_of_many_stream_chunks_is_written_whole_and_in_order() {
    for b in backends() {
        a_large_epoch_streams_whole_and_in_order(b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracles_whose_registry_syncs_lag_differently_publish_the_same_epoch() {
    for b in backends() {
        lagging_syncs_publish_the_same_epoch(b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_epoch_task_waits_for_a_registry_sync_past_the_epochs_end() {
    for b in backends() {
        waits_for_a_registry_sync_past_the_end(b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_past_epoch_is_published_exactly_and_never_rewritten() {
    for b in backends() {
        past_epoch_is_published_once(b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_epochs_are_caught_up_in_order_with_totals_carried_over() {
    for b in backends() {
        missed_epochs_are_caught_up_in_order(b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rewards_api_answers_from_the_published_epochs() {
    for b in backends() {
        the_rewards_api_serves_the_published_epochs(b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_epoch_directory_without_a_record_is_adopted() {
    for b in backends() {
        a_directory_without_a_record_is_adopted_not_rewritten(b).await;
    }
}

#[test]
fn the_schedule_refuses_partial_slots() {
    let mut s = Settings::default();
    s.epoch.epoch_secs = 5400;
    let err = Schedule::new(&s.epoch).unwrap_err();
    assert!(
        err.to_string()
            .contains("multiple of epoch.uptime_slot_secs = 3600"),
        "{err}"
    );
    s.epoch.epoch_secs = 0;
    assert!(Schedule::new(&s.epoch).is_err());
    // One-minute epochs of 5 s slots (the local demo) are whole; a 0 s slot is not a slot.
    s.epoch.epoch_secs = 60;
    s.epoch.uptime_slot_secs = 5;
    let short = Schedule::new(&s.epoch).unwrap();
    assert_eq!(short.window(2).unwrap().hours(), 12);
    assert_eq!(short.window(2).unwrap().slot_secs, 5);
    s.epoch.uptime_slot_secs = 7;
    assert!(Schedule::new(&s.epoch).is_err());
    s.epoch.uptime_slot_secs = 0;
    let err = Schedule::new(&s.epoch).unwrap_err();
    assert!(
        err.to_string()
            .contains("uptime_slot_secs = 0 must be at least 1"),
        "{err}"
    );
    s.epoch.uptime_slot_secs = 3600;
    s.epoch.epoch_secs = 7200;
    s.epoch.start_ts = 1000;
    s.epoch.close_delay = Duration::from_secs(60);
    let sch = Schedule::new(&s.epoch).unwrap();
    assert_eq!(sch.due_at(0).unwrap(), 1000 + 7200 + 60);
    assert_eq!(sch.due_count(1000 + 7200 + 59), 0);
    assert_eq!(sch.due_count(1000 + 7200 + 60), 1);
    assert_eq!(sch.due_count(1000 + 3 * 7200 + 60), 3);
    assert_eq!(sch.due_count(0), 0);
}

/// `oracle serve` with the epoch task on, as a real process: reports posted over HTTP for an
/// epoch that ends a few seconds later are published when it closes; a restarted process does
/// not rewrite it.
async fn serve_publishes(backend: Backend) {
    let db = TestDb::new(backend);
    let start_ts = now() - EPOCH_SECS + 4;
    let settings = settings_for(&db, start_ts);
    let log = db.dir.path().join("serve.log");
    let spawn = || {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_oracle"));
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(&settings.storage.data_dir)
            .env("DEPIN_ORACLE__SERVER__LISTEN", "127.0.0.1:0")
            .env("DEPIN_ORACLE__INGEST__MAX_PAST_SKEW", "100h")
            .env("DEPIN_ORACLE__EPOCH__ENABLED", "true")
            .env("DEPIN_ORACLE__EPOCH__START_TS", start_ts.to_string())
            .env("DEPIN_ORACLE__EPOCH__EPOCH_SECS", EPOCH_SECS.to_string())
            .env("DEPIN_ORACLE__EPOCH__CLOSE_DELAY", "0s")
            .env(
                "DEPIN_ORACLE__EPOCH__INITIAL_EPOCH_EMISSION",
                BUDGET.to_string(),
            )
            .env(
                "DEPIN_ORACLE__EPOCH__HALVING_INTERVAL_EPOCHS",
                HALVING.to_string(),
            )
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)
                    .unwrap(),
            )
            .kill_on_drop(true);
        if backend == Backend::Postgres {
            cmd.env("DEPIN_ORACLE__STORAGE__URL", &db.settings.url)
                .env("DEPIN_ORACLE__STORAGE__SCHEMA", &db.settings.schema);
        }
        cmd.spawn().unwrap()
    };
    async fn base_of(child: &mut tokio::process::Child) -> String {
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("oracle serve printed nothing in 30 s")
            .unwrap()
            .unwrap_or_default();
        first.strip_prefix("listening on ").unwrap().to_owned()
    }
    let stop = |child: &tokio::process::Child| {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id().unwrap() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
    };

    let mut child = spawn();
    let base = base_of(&mut child).await;
    let client = reqwest::Client::new();
    post(&client, &base, &epoch0_reports(start_ts)).await;
    assert!(
        now() < start_ts + EPOCH_SECS,
        "the test machine is too slow"
    );
    let dir: PathBuf = settings.storage.data_dir.join("epochs").join("epoch-0");
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while !dir.join("manifest_hash").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{backend:?}: epoch-0 not published in 90 s: {}",
            read(&log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let v = verify_epoch_dir(&dir, None).unwrap();
    assert_eq!(v.root_sum, BUDGET);
    assert_eq!(
        read(&dir.join("wallets.csv")),
        wallets_csv(&[(1, 751, 0, 751), (2, 250, 0, 250)])
    );
    // The directory is renamed into place before the database record and the gauges: wait
    // for the gauge rather than read it once.
    loop {
        let metrics = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains("oracle_epoch_last_published 0") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop(&child);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{}", read(&log));

    // Restarted: epoch 0 is not recomputed.
    let before = snapshot(&dir);
    let mut child = spawn();
    let _base = base_of(&mut child).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop(&child);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{}", read(&log));
    assert_eq!(snapshot(&dir), before);
    let store = db.store().await;
    assert_eq!(store.published_epochs().await.unwrap().len(), 1);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_the_epoch_task() {
    for b in backends() {
        serve_publishes(b).await;
    }
}

/// published_epochs on both backends: a second record of the same epoch changes nothing, a
/// missing root is NULL, and a value above i64::MAX is refused rather than wrapped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_epoch_records_are_written_once() {
    for b in backends() {
        let db = TestDb::new(b);
        let store = db.store().await;
        let first = PublishedEpoch {
            epoch: 0,
            root_hash: None,
            root_sum: 0,
            leaves: 0,
            manifest_hash: [7; 32],
            published_at: 1,
        };
        let second = PublishedEpoch {
            epoch: 1,
            root_hash: Some([9; 32]),
            root_sum: i64::MAX as u64,
            leaves: i64::MAX as u64,
            manifest_hash: [8; 32],
            published_at: 2,
        };
        assert!(store.record_epoch(&first).await.unwrap());
        assert!(store.record_epoch(&second).await.unwrap());
        let again = PublishedEpoch {
            root_sum: 5,
            ..second.clone()
        };
        assert!(!store.record_epoch(&again).await.unwrap(), "{b:?}");
        let too_big = PublishedEpoch {
            epoch: 2,
            root_sum: u64::MAX,
            ..second.clone()
        };
        assert!(store.record_epoch(&too_big).await.is_err());
        let too_many = PublishedEpoch {
            epoch: 2,
            leaves: u64::MAX,
            ..second.clone()
        };
        assert!(matches!(
            store.record_epoch(&too_many).await,
            Err(depin_oracle::store::StoreError::Range("leaves"))
        ));
        assert_eq!(
            store.published_epochs().await.unwrap(),
            vec![first, second],
            "{b:?}"
        );
        store.close().await;
        db.cleanup().await;
    }
}
