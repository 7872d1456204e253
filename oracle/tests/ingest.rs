//! The HTTP ingest, end to end: a real server on an ephemeral port, a real HTTP client, a real
//! SQLite file (and PostgreSQL when DEPIN_TEST_POSTGRES_URL is set). Every refusal has its exact
//! status and reason and stores nothing; accepted reports are stored exactly and acknowledged
//! only after their commit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::backends::{Backend, TestDb, backends};
use common::*;
use depin_formats::report::SignedReport;
use depin_oracle::ingest::Ingest;
use depin_oracle::registry::{DeviceKind, DeviceStatus, Registry};
use depin_oracle::server;
use depin_oracle::settings::Settings;
use depin_oracle::store::Store;
use depin_oracle::supervisor::{Supervisor, SupervisorError};
use serde_json::{Value, json};

const JSON: &str = "application/json";
const BIN: &str = "application/octet-stream";
const MAX_BODY: usize = 64 * 1024;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Devices 1..=5 active, 6 decommissioned, 20 a compute node. 40 is not registered.
fn registry() -> Registry {
    let c = DeviceKind::Connectivity;
    let mut devices: Vec<_> = (1..=6)
        .map(|n| device(n, wallet(n), cell(0.0, 0.0), c))
        .collect();
    devices[5].status = DeviceStatus::Decommissioned;
    devices.push(device(20, wallet(7), cell(0.0, 0.0), DeviceKind::Compute));
    Registry::new(devices).unwrap()
}

struct Server {
    base: String,
    ingest: Arc<Ingest>,
    client: reqwest::Client,
    db: TestDb,
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<Result<(), SupervisorError>>,
}

struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

impl Server {
    async fn start(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDb::new(backend);
        let store = db.store().await;
        let mut settings = Settings::default();
        settings.storage = db.settings.clone();
        settings.server.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        settings.server.max_body_bytes = MAX_BODY;
        settings.server.max_batch_reports = 100;
        tweak(&mut settings);
        let ingest = Arc::new(Ingest::new(&settings, store, Arc::new(registry())).unwrap());
        let listener = tokio::net::TcpListener::bind(settings.server.listen)
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut supervisor = Supervisor::new();
        let served = Arc::clone(&ingest);
        let grace = settings.server.shutdown_grace;
        supervisor.add("ingest-http", move |shutdown| {
            server::serve_http(listener, served, shutdown, grace)
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(supervisor.run(async move {
            let _ = stopped.await;
        }));
        Self {
            base,
            ingest,
            client: reqwest::Client::new(),
            db,
            stop,
            done,
        }
    }

    async fn post(&self, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Reply {
        let mut req = self.client.post(format!("{}{path}", self.base)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        Reply {
            status,
            retry_after,
            body,
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    fn store(&self) -> &Store {
        self.ingest.store()
    }

    /// What the store holds, as signed reports in arrival order.
    async fn stored(&self) -> Vec<SignedReport> {
        self.store()
            .all()
            .await
            .unwrap()
            .iter()
            .map(|r| r.to_signed().unwrap())
            .collect()
    }

    async fn shutdown(self) {
        self.stop.send(()).unwrap();
        self.done.await.unwrap().unwrap();
        self.ingest.store().close().await;
        self.db.cleanup().await;
    }
}

fn json_of(r: &SignedReport) -> Vec<u8> {
    r.to_json().unwrap().into_bytes()
}

fn json_batch(rs: &[SignedReport]) -> Vec<u8> {
    format!(
        "[{}]",
        rs.iter()
            .map(|r| r.to_json().unwrap())
            .collect::<Vec<_>>()
            .join(",")
    )
    .into_bytes()
}

fn bin_batch(rs: &[SignedReport]) -> Vec<u8> {
    rs.iter().flat_map(SignedReport::to_binary).collect()
}

/// `count` heartbeats naming `device` with nonces from `first`, each carrying the signature of
/// another report: well formed, registered, in the window, forged.
fn forged(device: u8, t: i64, first: u64, count: u64) -> Vec<SignedReport> {
    (0..count)
        .map(|i| {
            let mut r = signed(device, t, first + i, heartbeat(None));
            r.signature = signed(device + 1, t, i, heartbeat(None)).signature;
            r
        })
        .collect()
}

/// Every one of `lines` is a whole line of the `/metrics` text.
fn has_lines(metrics: &str, lines: &[&str]) {
    for line in lines {
        assert!(
            metrics.lines().any(|l| l == *line),
            "{line} not in\n{metrics}"
        );
    }
}

fn ok(reply: &Reply, accepted: usize) {
    assert_eq!(
        (reply.status, &reply.body),
        (200, &json!({ "accepted": accepted })),
        "{}",
        reply.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_reports_are_stored_exactly_and_acked_after_commit() {
    for backend in backends() {
        let s = Server::start(backend, |_| {}).await;
        // A second, independent connection: a report it can see was committed.
        let observer = s.db.store().await;
        let t = now();
        let r1 = signed(1, t, 1, heartbeat(None));
        let r2 = signed(2, t - 60, 1, heartbeat(Some(fix(0.001, 0.0))));
        let batch_json = vec![
            signed(1, t - 1, 2, speedtest(200_000, 20_000, 20)),
            signed(2, t - 2, 2, beacon(9)),
            signed(3, t - 3, 1, witness(key(2), 9, -900)),
        ];
        let dev20 = key(20);
        let batch_bin = vec![
            signed(4, t, 7, heartbeat(Some(fix(0.0, 0.0)))),
            signed(20, t, 1, receipt(&dev20, 5, 1_000, &signer(CUSTOMER))),
            signed(4, t + 60, 8, speedtest(1, 2, 3)),
        ];
        let steps: Vec<(&str, &str, Vec<u8>, usize)> = vec![
            ("/v1/reports", JSON, json_of(&r1), 1),
            ("/v1/reports", BIN, r2.to_binary(), 1),
            ("/v1/reports/batch", JSON, json_batch(&batch_json), 3),
            ("/v1/reports/batch", BIN, bin_batch(&batch_bin), 3),
        ];
        let mut expected_count = 0;
        for (path, ct, body, n) in steps {
            let reply = s.post(path, Some(ct), body).await;
            ok(&reply, n);
            expected_count += n as u64;
            // Acknowledged => committed: visible to another connection at once.
            assert_eq!(
                observer.count().await.unwrap(),
                expected_count,
                "{backend:?}"
            );
        }
        let mut expected = vec![r1, r2];
        expected.extend(batch_json);
        expected.extend(batch_bin);
        assert_eq!(s.stored().await, expected, "{backend:?}");
        let rows = s.store().all().await.unwrap();
        assert!(
            rows.windows(2)
                .all(|w| w[0].received_at <= w[1].received_at)
        );
        observer.close().await;
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_refused_with_exact_reasons_and_store_nothing() {
    for backend in backends() {
        let s = Server::start(backend, |_| {}).await;
        let t = now();
        let first = signed(1, t, 1, heartbeat(None));
        ok(&s.post("/v1/reports", Some(JSON), json_of(&first)).await, 1);

        let mut forged = signed(1, t, 2, heartbeat(None));
        forged.report.nonce = 3;
        let good = |n: u64| signed(2, t, n, heartbeat(None));
        let mut truncated = good(10).to_binary();
        truncated.pop();
        let mut bad_kind = good(11).to_binary();
        bad_kind[49] = 9;
        let mut bad_version = good(12).to_binary();
        bad_version[0] = 2;
        let too_many: Vec<_> = (100..201).map(good).collect();
        let mut batch_bin_tail = bin_batch(&[good(20), good(21)]);
        batch_bin_tail.extend_from_slice(&[1, 2, 3]);

        #[rustfmt::skip]
        type Case = (&'static str, &'static str, Option<&'static str>, Vec<u8>, u16, &'static str, Option<u64>);
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("bad signature", "/v1/reports", Some(JSON), json_of(&forged), 401, "bad_signature", None),
            ("bad signature, binary", "/v1/reports", Some(BIN), forged.to_binary(), 401, "bad_signature", None),
            ("unknown device", "/v1/reports", Some(JSON), json_of(&signed(40, t, 1, heartbeat(None))), 403, "unknown_device", None),
            ("decommissioned device", "/v1/reports", Some(JSON), json_of(&signed(6, t, 1, heartbeat(None))), 403, "device_decommissioned", None),
            ("stale timestamp", "/v1/reports", Some(JSON), json_of(&signed(2, t - 7200, 1, heartbeat(None))), 422, "stale_timestamp", None),
            ("future timestamp", "/v1/reports", Some(JSON), json_of(&signed(2, t + 3600, 1, heartbeat(None))), 422, "future_timestamp", None),
            ("replayed nonce", "/v1/reports", Some(JSON), json_of(&first), 409, "replayed_nonce", None),
            ("replayed nonce, binary", "/v1/reports", Some(BIN), first.to_binary(), 409, "replayed_nonce", None),
            ("replayed nonce, new payload", "/v1/reports", Some(JSON), json_of(&signed(1, t, 1, speedtest(1, 1, 1))), 409, "replayed_nonce", None),
            ("oversized body", "/v1/reports", Some(JSON), vec![b' '; MAX_BODY + 1], 413, "body_too_large", None),
            ("oversized batch body", "/v1/reports/batch", Some(BIN), vec![0; MAX_BODY + 1], 413, "body_too_large", None),
            ("malformed JSON", "/v1/reports", Some(JSON), b"{\"device\":".to_vec(), 400, "malformed_json", None),
            ("JSON unknown key", "/v1/reports", Some(JSON), json_of(&good(13)).iter().copied().take_while(|b| *b != b'}').chain(*b",\"x\":1}}").collect(), 400, "malformed_json", None),
            ("malformed binary", "/v1/reports", Some(BIN), truncated.clone(), 400, "malformed_binary", None),
            ("binary unknown kind", "/v1/reports", Some(BIN), bad_kind, 400, "unknown_payload_kind", None),
            ("binary bad version", "/v1/reports", Some(BIN), bad_version, 400, "unsupported_version", None),
            ("JSON body sent as binary", "/v1/reports", Some(BIN), json_of(&good(14)), 400, "unsupported_version", None),
            ("wrong content type", "/v1/reports", Some("text/plain"), json_of(&good(15)), 415, "unsupported_media_type", None),
            ("no content type", "/v1/reports", None, json_of(&good(16)), 415, "unsupported_media_type", None),
            ("batch: bad signature at 2", "/v1/reports/batch", Some(JSON), json_batch(&[good(30), good(31), forged.clone(), good(32)]), 401, "bad_signature", Some(2)),
            ("batch: unknown device at 1", "/v1/reports/batch", Some(BIN), bin_batch(&[good(33), signed(40, t, 1, heartbeat(None))]), 403, "unknown_device", Some(1)),
            ("batch: stored nonce at 1", "/v1/reports/batch", Some(JSON), json_batch(&[good(34), first.clone()]), 409, "replayed_nonce", Some(1)),
            ("batch: repeated nonce at 2", "/v1/reports/batch", Some(BIN), bin_batch(&[good(35), good(36), good(35)]), 409, "replayed_nonce", Some(2)),
            ("batch: malformed JSON at 0", "/v1/reports/batch", Some(JSON), b"[{\"device\":1},{}]".to_vec(), 400, "malformed_json", Some(0)),
            ("batch: not an array", "/v1/reports/batch", Some(JSON), json_of(&good(37)), 400, "malformed_json", None),
            ("batch: truncated binary at 2", "/v1/reports/batch", Some(BIN), batch_bin_tail, 400, "malformed_binary", Some(2)),
            ("batch: future timestamp at 1", "/v1/reports/batch", Some(JSON), json_batch(&[good(38), signed(3, t + 3600, 1, heartbeat(None))]), 422, "future_timestamp", Some(1)),
            ("batch: empty", "/v1/reports/batch", Some(JSON), b"[]".to_vec(), 400, "empty_batch", None),
            ("batch: empty binary", "/v1/reports/batch", Some(BIN), Vec::new(), 400, "empty_batch", None),
            ("batch: over 100 reports", "/v1/reports/batch", Some(BIN), bin_batch(&too_many), 413, "batch_too_large", None),
            ("batch: wrong content type", "/v1/reports/batch", Some("application/x-www-form-urlencoded"), bin_batch(&[good(39)]), 415, "unsupported_media_type", None),
        ];
        for (name, path, ct, body, status, reason, index) in cases {
            let reply = s.post(path, ct, body).await;
            assert_eq!(
                (
                    reply.status,
                    reply.body["error"].as_str(),
                    reply.body["index"].as_u64()
                ),
                (status, Some(reason), index),
                "{backend:?} {name}: {}",
                reply.body
            );
            assert!(reply.body["detail"].is_string(), "{name}");
            // A 409 for a stored (device, nonce) names the stored report's signature, whatever
            // was sent (the same report or a new payload); a repeat within the request has none.
            let stored = (reason == "replayed_nonce" && !name.contains("repeated"))
                .then(|| first.signature.to_string());
            assert_eq!(
                reply.body["stored_signature"].as_str(),
                stored.as_deref(),
                "{backend:?} {name}"
            );
            assert_eq!(reply.retry_after, None, "{name}");
            assert_eq!(
                s.store().count().await.unwrap(),
                1,
                "{backend:?} {name}: stored something"
            );
        }
        assert_eq!(s.stored().await, vec![first], "{backend:?}");
        // The nonces of refused reports were not burned.
        ok(
            &s.post(
                "/v1/reports/batch",
                Some(JSON),
                json_batch(&[good(30), good(35)]),
            )
            .await,
            2,
        );
        let (_, metrics) = s.get("/metrics").await;
        has_lines(
            &metrics,
            &[
                "oracle_reports_accepted_total 3",
                "oracle_ingest_rejected_total{reason=\"bad_signature\"} 3",
                "oracle_ingest_rejected_total{reason=\"replayed_nonce\"} 5",
                "oracle_ingest_rejected_total{reason=\"unsupported_media_type\"} 3",
                "oracle_ingest_request_duration_seconds_count{route=\"/v1/reports\"} 19",
            ],
        );
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_over_its_rate_limit_gets_429_with_retry_after() {
    for backend in backends() {
        let s = Server::start(backend, |c| {
            c.ingest.rate_limit_reports = 3;
            c.ingest.rate_limit_window = std::time::Duration::from_secs(3600);
        })
        .await;
        let t = now();
        for n in 1..=3 {
            ok(
                &s.post(
                    "/v1/reports",
                    Some(BIN),
                    signed(1, t, n, heartbeat(None)).to_binary(),
                )
                .await,
                1,
            );
        }
        let reply = s
            .post(
                "/v1/reports",
                Some(BIN),
                signed(1, t, 4, heartbeat(None)).to_binary(),
            )
            .await;
        assert_eq!(
            (reply.status, reply.body["error"].as_str()),
            (429, Some("rate_limited"))
        );
        // 3 per hour: the next slot opens 1200 s after the first report (less the time the
        // test took since, rounded up to whole seconds).
        let wait: u64 = reply.retry_after.as_deref().unwrap().parse().unwrap();
        assert!((1190..=1200).contains(&wait), "Retry-After {wait}");
        // Other devices have their own budgets; a batch that would overdraw one is refused
        // whole, at the first report of the device over its limit.
        ok(
            &s.post(
                "/v1/reports",
                Some(BIN),
                signed(2, t, 1, heartbeat(None)).to_binary(),
            )
            .await,
            1,
        );
        let batch = [
            signed(3, t, 1, heartbeat(None)),
            signed(2, t, 2, heartbeat(None)),
            signed(2, t, 3, heartbeat(None)),
            signed(2, t, 4, heartbeat(None)),
        ];
        let reply = s
            .post("/v1/reports/batch", Some(JSON), json_batch(&batch))
            .await;
        assert_eq!(
            (
                reply.status,
                reply.body["error"].as_str(),
                reply.body["index"].as_u64()
            ),
            (429, Some("rate_limited"), Some(1))
        );
        assert_eq!(s.store().count().await.unwrap(), 4);
        // Device 3 was not charged for the refused batch.
        ok(
            &s.post("/v1/reports/batch", Some(JSON), json_batch(&batch[..3]))
                .await,
            3,
        );
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_writer_queue_gets_429_overloaded_with_retry_after() {
    for backend in backends() {
        let s = Server::start(backend, |c| {
            c.server.max_pending_writes = 2;
            c.server.retry_after = std::time::Duration::from_secs(3);
        })
        .await;
        let t = now();
        let held = s
            .ingest
            .writer_permits()
            .acquire_many_owned(2)
            .await
            .unwrap();
        let r = signed(1, t, 1, heartbeat(None));
        for (path, ct, body) in [
            ("/v1/reports", JSON, json_of(&r)),
            (
                "/v1/reports/batch",
                BIN,
                bin_batch(std::slice::from_ref(&r)),
            ),
        ] {
            let reply = s.post(path, Some(ct), body).await;
            assert_eq!(
                (
                    reply.status,
                    reply.body["error"].as_str(),
                    reply.retry_after.as_deref()
                ),
                (429, Some("overloaded"), Some("3"))
            );
        }
        assert_eq!(s.store().count().await.unwrap(), 0);
        drop(held);
        ok(&s.post("/v1/reports", Some(JSON), json_of(&r)).await, 1);
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_waits_for_a_verification_turn_and_is_then_stored() {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let s = Server::start(Backend::Sqlite, |_| {}).await;
    assert_eq!(s.ingest.verifier_permits().available_permits(), cores);
    s.shutdown().await;

    let s = Server::start(Backend::Sqlite, |c| c.ingest.verify_threads = 1).await;
    let permits = s.ingest.verifier_permits();
    assert_eq!(permits.available_permits(), 1);
    let held = Arc::clone(&permits).acquire_owned().await.unwrap();
    let t = now();
    let batch = [
        signed(1, t, 1, heartbeat(None)),
        signed(2, t, 1, heartbeat(None)),
    ];
    let reply = {
        let waiting = s.post("/v1/reports/batch", Some(BIN), bin_batch(&batch));
        tokio::pin!(waiting);
        // The batch waits for the turn held above: no answer, nothing stored, no error.
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(500), &mut waiting)
                .await
                .is_err()
        );
        assert_eq!(s.store().count().await.unwrap(), 0);
        // A single report is verified on the request's own task and does not wait.
        ok(
            &s.post(
                "/v1/reports",
                Some(JSON),
                json_of(&signed(3, t, 1, heartbeat(None))),
            )
            .await,
            1,
        );
        drop(held);
        waiting.await
    };
    ok(&reply, 2);
    assert_eq!(s.store().count().await.unwrap(), 3);
    assert_eq!(permits.available_permits(), 1);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_metrics_and_unknown_routes() {
    let s = Server::start(Backend::Sqlite, |_| {}).await;
    assert_eq!(s.get("/healthz").await, (200, "ok\n".to_owned()));
    let reply = s.post("/v1/nope", Some(JSON), Vec::new()).await;
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (404, Some("not_found"))
    );
    ok(
        &s.post(
            "/v1/reports",
            Some(JSON),
            json_of(&signed(1, now(), 1, heartbeat(None))),
        )
        .await,
        1,
    );
    let (status, metrics) = s.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("# TYPE oracle_reports_accepted_total counter"));
    assert!(
        metrics
            .lines()
            .any(|l| l == "oracle_reports_accepted_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "oracle_ingest_request_duration_seconds_bucket{route=\"/v1/reports\",le=\"0.0005\"}"
    ));
    s.shutdown().await;
}

/// A flood of forged batches (bad signatures, naming a registered device: device keys are
/// public) from one address, as fast as one connection goes, while an honest device posts from
/// another address (127.0.0.2): every honest report is stored within a second; the flood's
/// first 8 batches (its address's budget: 800 reports) are refused `bad_signature` after one
/// verification each, every later one `peer_rate_limited` before any signature work; and the
/// named device's budget is untouched (its own full batch is stored afterwards).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_forged_batches_keeps_no_honest_report_out() {
    let s = Arc::new(
        Server::start(Backend::Sqlite, |c| {
            c.ingest.peer_rate_limit_reports = 800;
        })
        .await,
    );
    let t = now();
    let forged_batch = move |k: u64| bin_batch(&forged(2, t, 1_000_000 + k * 100, 100));
    let flood = {
        let s = Arc::clone(&s);
        tokio::spawn(async move {
            let mut answers = Vec::new();
            let started = std::time::Instant::now();
            let mut k = 0;
            while started.elapsed() < std::time::Duration::from_secs(3) {
                let reply = s
                    .post("/v1/reports/batch", Some(BIN), forged_batch(k))
                    .await;
                answers.push((
                    reply.status,
                    reply.body["error"].as_str().unwrap_or("").to_owned(),
                ));
                k += 1;
            }
            answers
        })
    };
    let honest = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let mut slowest = std::time::Duration::ZERO;
    for n in 1..=25u64 {
        let sent = std::time::Instant::now();
        let resp = honest
            .post(format!("{}/v1/reports", s.base))
            .header("content-type", BIN)
            .body(signed(1, t, n, heartbeat(None)).to_binary())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "honest report {n}");
        slowest = slowest.max(sent.elapsed());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        slowest < std::time::Duration::from_secs(1),
        "the slowest honest report took {slowest:?}"
    );
    let answers = flood.await.unwrap();
    assert!(answers.len() > 8, "{} flood batches", answers.len());
    let first: Vec<_> = answers[..8]
        .iter()
        .map(|(st, r)| (*st, r.as_str()))
        .collect();
    assert_eq!(first, vec![(401, "bad_signature"); 8]);
    for (status, reason) in &answers[8..] {
        assert_eq!((*status, reason.as_str()), (429, "peer_rate_limited"));
    }
    // The forged batches named device 2: its budget is whole.
    let own: Vec<SignedReport> = (1..=100)
        .map(|n| signed(2, t, n, heartbeat(None)))
        .collect();
    let resp = honest
        .post(format!("{}/v1/reports/batch", s.base))
        .header("content-type", BIN)
        .body(bin_batch(&own))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(s.store().count().await.unwrap(), 125);
    Arc::into_inner(s).unwrap().shutdown().await;
}

/// An address whose requests failed signature verification `peer_failed_requests` times is
/// refused before any signature work until its budget of failures refills, even for a good
/// batch; the failures cost exactly that many verifications; another address is unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_keeps_failing_verification_is_refused_before_any_signature_work() {
    let s = Server::start(Backend::Sqlite, |c| {
        c.ingest.peer_rate_limit_reports = 0;
        c.ingest.peer_failed_requests = 3;
    })
    .await;
    let t = now();
    let mut answers = Vec::new();
    for k in 0..6 {
        let reply = s
            .post(
                "/v1/reports/batch",
                Some(BIN),
                bin_batch(&forged(2, t, 100 * k, 100)),
            )
            .await;
        answers.push((
            reply.status,
            reply.body["error"].as_str().unwrap_or("").to_owned(),
        ));
        if k >= 3 {
            assert!(reply.retry_after.is_some(), "batch {k}: no Retry-After");
        }
    }
    let answers: Vec<(u16, &str)> = answers.iter().map(|(st, r)| (*st, r.as_str())).collect();
    assert_eq!(
        answers,
        [
            [(401, "bad_signature"); 3].as_slice(),
            &[(429, "peer_rate_limited"); 3]
        ]
        .concat()
    );
    // Even a good batch from that address waits for the budget to refill.
    let good: Vec<SignedReport> = (1..=10).map(|n| signed(1, t, n, heartbeat(None))).collect();
    let reply = s
        .post("/v1/reports/batch", Some(BIN), bin_batch(&good))
        .await;
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (429, Some("peer_rate_limited"))
    );
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("signatures failed")),
        "{}",
        reply.body
    );
    // Another address is served.
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 3]))
        .build()
        .unwrap();
    let resp = other
        .post(format!("{}/v1/reports/batch", s.base))
        .header("content-type", BIN)
        .body(bin_batch(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (_, metrics) = s.get("/metrics").await;
    has_lines(
        &metrics,
        &[
            "oracle_ingest_rejected_total{reason=\"bad_signature\"} 3",
            "oracle_ingest_rejected_total{reason=\"peer_rate_limited\"} 4",
            "oracle_reports_accepted_total 10",
        ],
    );
    s.shutdown().await;
}

/// Forged batches sent side by side from one address all pass the check before their bodies;
/// once each has its verification turn the address's failures are checked again, so only the
/// budget's worth are verified and the rest are refused without signature work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_batches_sent_side_by_side_cost_only_the_failure_budget() {
    let s = Arc::new(
        Server::start(Backend::Sqlite, |c| {
            c.ingest.peer_rate_limit_reports = 0;
            c.ingest.peer_failed_requests = 3;
            c.ingest.verify_threads = 1;
        })
        .await,
    );
    let t = now();
    let turn = s.ingest.verifier_permits().acquire_owned().await.unwrap();
    let sent: Vec<_> = (0..8u64)
        .map(|k| {
            let s = Arc::clone(&s);
            let body = bin_batch(&forged(2, t, 1_000 + 100 * k, 100));
            tokio::spawn(async move { s.post("/v1/reports/batch", Some(BIN), body).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(turn);
    let mut answers = std::collections::BTreeMap::new();
    for r in sent {
        let reply = r.await.unwrap();
        let key = (
            reply.status,
            reply.body["error"].as_str().unwrap_or("").to_owned(),
        );
        *answers.entry(key).or_insert(0) += 1;
    }
    assert_eq!(
        answers.into_iter().collect::<Vec<_>>(),
        vec![
            ((401, "bad_signature".to_owned()), 3),
            ((429, "peer_rate_limited".to_owned()), 5)
        ]
    );
    Arc::into_inner(s).unwrap().shutdown().await;
}

/// Verification turns go first to addresses whose last request was stored: a forged batch from a
/// new address, queued first, is verified only after a batch from an address that had already
/// sent a genuine one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_good_address_is_verified_before_a_new_one_queued_ahead_of_it() {
    let s = Arc::new(Server::start(Backend::Sqlite, |c| c.ingest.verify_threads = 1).await);
    let t = now();
    let from = |last: u8| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 0, last]))
            .build()
            .unwrap()
    };
    let (known, new) = (from(4), from(5));
    let post = |client: reqwest::Client, body: Vec<u8>| {
        let url = format!("{}/v1/reports/batch", s.base);
        tokio::spawn(async move {
            let resp = client
                .post(url)
                .header("content-type", BIN)
                .body(body)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), std::time::Instant::now())
        })
    };
    let genuine = |first: u64| {
        let reports: Vec<SignedReport> = (first..first + 10)
            .map(|n| signed(1, t, n, heartbeat(None)))
            .collect();
        bin_batch(&reports)
    };
    assert_eq!(post(known.clone(), genuine(1)).await.unwrap().0, 200);

    // Each answer then comes right after its verification: the genuine batch finds the writer
    // queue full (429 overloaded) instead of waiting for a commit.
    let full = s
        .ingest
        .writer_permits()
        .acquire_many_owned(64)
        .await
        .unwrap();
    let turn = s.ingest.verifier_permits().acquire_owned().await.unwrap();
    let forged = post(new, bin_batch(&forged(2, t, 1_000, 100)));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let good = post(known, genuine(11));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!forged.is_finished() && !good.is_finished());
    drop(turn);
    let (good, forged) = (good.await.unwrap(), forged.await.unwrap());
    drop(full);
    assert_eq!((good.0, forged.0), (429, 401));
    assert!(
        good.1 < forged.1,
        "the known address's batch was verified first"
    );
    assert_eq!(s.store().count().await.unwrap(), 10);
    Arc::into_inner(s).unwrap().shutdown().await;
}

/// Raw HTTP/1.1 on a TCP connection, as a slow or idle client holds one.
mod raw {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    pub async fn connect(base: &str) -> TcpStream {
        TcpStream::connect(base.trim_start_matches("http://"))
            .await
            .unwrap()
    }

    /// A connection leaving from `127.0.0.<last>`.
    pub async fn connect_from(base: &str, last: u8) -> TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket
            .bind(std::net::SocketAddr::from(([127, 0, 0, last], 0)))
            .unwrap();
        socket
            .connect(base.trim_start_matches("http://").parse().unwrap())
            .await
            .unwrap()
    }

    /// Reads until the server closes the connection (or `limit` passes): what it sent and how
    /// long that took.
    pub async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
        let started = Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while started.elapsed() < limit {
            match tokio::time::timeout(limit - started.elapsed(), stream.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) | Err(_) => break,
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            }
        }
        (
            String::from_utf8_lossy(&got).into_owned(),
            started.elapsed(),
        )
    }

    /// One keep-alive `GET /healthz` on an open connection: the response's status line.
    pub async fn healthz(stream: &mut TcpStream) -> String {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: oracle\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&got).ends_with("ok\n") {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0, "closed: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap()
            .to_owned()
    }
}

/// Slow and idle clients cannot hold the endpoint (server.header_timeout and body_timeout 1 s):
/// headers dripped a byte every 200 ms, and an idle keep-alive connection, are closed at the
/// header timeout; a body that stalls gets 408 `body_timeout` at the body timeout; a declared
/// Content-Length over the limit gets 413 at once, before any of the body is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_closed_at_the_configured_timeouts() {
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    let s = Server::start(Backend::Sqlite, |c| {
        c.server.header_timeout = Duration::from_secs(1);
        c.server.body_timeout = Duration::from_secs(1);
    })
    .await;
    let secs = |d: Duration| d.as_secs_f64();

    // Headers dripped one byte every 200 ms: closed about a second in.
    let mut drip = raw::connect(&s.base).await;
    let dripping = tokio::spawn(async move {
        let started = std::time::Instant::now();
        for b in b"POST /v1/reports HTTP/1.1\r\nhost: oracle\r\ncontent-type: app" {
            if drip.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        started.elapsed()
    });
    let dripped = dripping.await.unwrap();
    assert!(
        secs(dripped) < 2.5,
        "the dripping client was held {dripped:?}"
    );

    // An idle keep-alive connection: closed a header timeout after its last response.
    let mut idle = raw::connect(&s.base).await;
    assert_eq!(raw::healthz(&mut idle).await, "HTTP/1.1 200 OK");
    let (_, after) = raw::until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(
        (0.8..2.5).contains(&secs(after)),
        "idle connection closed after {after:?}"
    );

    // A body that stalls half-way: 408 body_timeout at the body timeout.
    let mut stall = raw::connect(&s.base).await;
    stall
        .write_all(
            b"POST /v1/reports HTTP/1.1\r\nhost: oracle\r\ncontent-type: \
              application/octet-stream\r\ncontent-length: 1000\r\n\r\n0123456789",
        )
        .await
        .unwrap();
    let (reply, took) = raw::until_closed(&mut stall, Duration::from_secs(5)).await;
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("\"body_timeout\""), "{reply}");
    assert!((0.8..2.5).contains(&secs(took)), "408 after {took:?}");

    // A declared body far over the limit: 413 at once, none of it sent.
    let mut big = raw::connect(&s.base).await;
    big.write_all(
        format!(
            "POST /v1/reports/batch HTTP/1.1\r\nhost: oracle\r\ncontent-type: \
             application/octet-stream\r\ncontent-length: {}\r\n\r\n",
            100 * MAX_BODY
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let (reply, took) = raw::until_closed(&mut big, Duration::from_secs(5)).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("\"body_too_large\""), "{reply}");
    assert!(secs(took) < 0.5, "413 after {took:?}");
    assert_eq!(s.store().count().await.unwrap(), 0);
    s.shutdown().await;
}

/// Past `server.max_connections` (4), a new connection gets 503 `too_many_connections` and is
/// closed, while a client already connected keeps being served on its connection; once one
/// closes, a new connection is served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_new_connections_are_refused_and_open_ones_keep_working() {
    use std::time::Duration;
    let s = Server::start(Backend::Sqlite, |c| {
        c.server.max_connections = 4;
        c.server.header_timeout = Duration::from_secs(30);
    })
    .await;
    let mut honest = raw::connect(&s.base).await;
    assert_eq!(raw::healthz(&mut honest).await, "HTTP/1.1 200 OK");
    let mut hogs = Vec::new();
    for _ in 0..3 {
        hogs.push(raw::connect(&s.base).await);
    }
    // Let the server accept all four before the fifth arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut late = raw::connect(&s.base).await;
    let (reply, took) = raw::until_closed(&mut late, Duration::from_secs(5)).await;
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(reply.contains("\"too_many_connections\""), "{reply}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(raw::healthz(&mut honest).await, "HTTP/1.1 200 OK");
    drop(hogs.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut next = raw::connect(&s.base).await;
    assert_eq!(raw::healthz(&mut next).await, "HTTP/1.1 200 OK");
    drop((honest, next, hogs));
    s.shutdown().await;
}

/// One address may hold only `max_connections_per_address` connections: its next one is
/// refused 503 while another address still connects, and a closed one frees its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_hold_every_connection() {
    use std::time::Duration;
    let s = Server::start(Backend::Sqlite, |c| {
        c.server.max_connections_per_address = 2;
        c.server.header_timeout = Duration::from_secs(30);
    })
    .await;
    let mut first = raw::connect_from(&s.base, 7).await;
    assert_eq!(raw::healthz(&mut first).await, "HTTP/1.1 200 OK");
    let second = raw::connect_from(&s.base, 7).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = raw::connect_from(&s.base, 7).await;
    let (reply, took) = raw::until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(
        reply.contains("\"too_many_connections\"") && reply.contains("this address"),
        "{reply}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    let mut elsewhere = raw::connect_from(&s.base, 8).await;
    assert_eq!(raw::healthz(&mut elsewhere).await, "HTTP/1.1 200 OK");
    assert_eq!(raw::healthz(&mut first).await, "HTTP/1.1 200 OK");
    drop(second);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = raw::connect_from(&s.base, 7).await;
    assert_eq!(raw::healthz(&mut again).await, "HTTP/1.1 200 OK");
    drop((first, again, elsewhere));
    s.shutdown().await;
}

/// A forged batch naming device 2 waits for its verification turn (the only turn is held):
/// meanwhile device 2's whole budget is still its own, and its genuine report is stored. The
/// forged batch is then refused `bad_signature`, and device 2's budget is charged only for the
/// report it stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forged_batch_waiting_to_be_verified_holds_no_device_budget() {
    let s = Arc::new(
        Server::start(Backend::Sqlite, |c| {
            c.ingest.verify_threads = 1;
            c.ingest.rate_limit_reports = 100;
        })
        .await,
    );
    let t = now();
    let turn = s.ingest.verifier_permits().acquire_owned().await.unwrap();
    let forged = forged(2, t, 1_000, 100);
    let waiting = {
        let s = Arc::clone(&s);
        tokio::spawn(async move {
            s.post("/v1/reports/batch", Some(BIN), bin_batch(&forged))
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "the forged batch waits for its turn"
    );
    ok(
        &s.post(
            "/v1/reports",
            Some(BIN),
            signed(2, t, 1, heartbeat(None)).to_binary(),
        )
        .await,
        1,
    );
    drop(turn);
    let reply = waiting.await.unwrap();
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (401, Some("bad_signature"))
    );
    // 99 of device 2's 100 are left: a batch of 99 is stored, one more report is not.
    let own: Vec<SignedReport> = (2..=100)
        .map(|n| signed(2, t, n, heartbeat(None)))
        .collect();
    ok(
        &s.post("/v1/reports/batch", Some(BIN), bin_batch(&own))
            .await,
        99,
    );
    let reply = s
        .post(
            "/v1/reports",
            Some(BIN),
            signed(2, t, 101, heartbeat(None)).to_binary(),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (429, Some("rate_limited"))
    );
    Arc::into_inner(s).unwrap().shutdown().await;
}
