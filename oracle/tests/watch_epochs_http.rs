//! The published epochs over HTTP (`GET /v1/epochs`, `GET /v1/epochs/{n}/{file}`), the files a
//! watcher fetches from its peers: a real server on an ephemeral port and a real client. Every
//! published file comes back byte for byte as immutable; anything else is refused with its exact
//! status and reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use common::backends::{Backend, TestDb};
use depin_oracle::ingest::{self, Ingest};
use depin_oracle::registry::Registry;
use depin_oracle::settings::Settings;
use serde_json::Value;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

struct Server {
    base: String,
    client: reqwest::Client,
    _db: TestDb,
}

struct Reply {
    status: u16,
    content_type: Option<String>,
    cache_control: Option<String>,
    length: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The refusal's status and reason.
    fn refusal(&self) -> (u16, String) {
        let json = self.json();
        assert!(json["detail"].is_string(), "{json}");
        (self.status, json["error"].as_str().unwrap().to_owned())
    }
}

impl Server {
    async fn start(db: TestDb) -> Self {
        let store = db.store().await;
        let mut settings = Settings::default();
        settings.storage = db.settings.clone();
        let ingest =
            Arc::new(Ingest::new(&settings, store, Arc::new(Registry::default())).unwrap());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, ingest::router(ingest)).await.unwrap();
        });
        Self {
            base,
            client: reqwest::Client::new(),
            _db: db,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (content_type, cache_control, length) = (
            header("content-type"),
            header("cache-control"),
            header("content-length"),
        );
        Reply {
            status: resp.status().as_u16(),
            content_type,
            cache_control,
            length,
            body: resp.bytes().await.unwrap().to_vec(),
        }
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Epoch 0 with every file and its inputs (reports.jsonl larger than one streamed chunk);
/// epoch 12 without inputs; things that are not published epochs beside them.
fn publish(data: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let reports: Vec<u8> = (0..20_000u32)
        .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
        .collect();
    let files: Vec<(&'static str, Vec<u8>)> = vec![
        ("manifest.json", b"{\"epoch\":0}".to_vec()),
        ("manifest_hash", b"ab\n".to_vec()),
        (
            "wallets.csv",
            b"wallet,epoch_reward,previous_cumulative,cumulative\n".to_vec(),
        ),
        (
            "devices.csv",
            b"device,owner,score,reward,reasons\n".to_vec(),
        ),
        ("params.json", b"{\"epoch\":0,\"budget\":1}".to_vec()),
        (
            "registry.csv",
            b"device,owner,maker,location,kind,status\n".to_vec(),
        ),
        ("reports.jsonl", reports),
    ];
    for (name, bytes) in &files {
        let dir = if matches!(*name, "params.json" | "registry.csv" | "reports.jsonl") {
            "epoch-inputs"
        } else {
            "epochs"
        };
        write(&data.join(dir).join("epoch-0").join(name), bytes);
    }
    write(&data.join("epochs/epoch-12/wallets.csv"), b"w12");
    write(
        &data.join("epochs/epoch-3.tmp/wallets.csv"),
        b"half-written",
    );
    write(&data.join("epochs/epoch-007/wallets.csv"), b"not canonical");
    write(&data.join("epochs/epoch-5"), b"a file, not a directory");
    write(&data.join("oracle.db.secret"), b"never served");
    files
}

#[tokio::test]
async fn published_files_are_served_byte_for_byte_as_immutable() {
    let db = TestDb::new(Backend::Sqlite);
    let files = publish(&db.settings.data_dir);
    let server = Server::start(db).await;

    let listing = server.get("/v1/epochs").await;
    assert_eq!(listing.status, 200);
    assert_eq!(listing.json(), serde_json::json!({"epochs": [0, 12]}));
    assert_eq!(listing.cache_control.as_deref(), Some("no-cache"));

    for (name, bytes) in &files {
        let reply = server.get(&format!("/v1/epochs/0/{name}")).await;
        assert_eq!(reply.status, 200, "{name}");
        assert_eq!(&reply.body, bytes, "{name}");
        assert_eq!(reply.cache_control.as_deref(), Some(IMMUTABLE), "{name}");
        assert_eq!(reply.length, Some(bytes.len().to_string()), "{name}");
        let expected = match name.rsplit('.').next() {
            Some("json") => "application/json",
            Some("csv") => "text/csv; charset=utf-8",
            Some("jsonl") => "application/jsonl",
            _ => "text/plain; charset=utf-8",
        };
        assert_eq!(reply.content_type.as_deref(), Some(expected), "{name}");
    }
    let w12 = server.get("/v1/epochs/12/wallets.csv").await;
    assert_eq!((w12.status, w12.body), (200, b"w12".to_vec()));
}

#[tokio::test]
async fn missing_epochs_and_files_are_404_and_bad_input_400() {
    let db = TestDb::new(Backend::Sqlite);
    publish(&db.settings.data_dir);
    let server = Server::start(db).await;
    let cases: [(&str, u16, &str); 15] = [
        ("/v1/epochs/1/wallets.csv", 404, "epoch_not_found"),
        ("/v1/epochs/3/wallets.csv", 404, "epoch_not_found"),
        ("/v1/epochs/5/wallets.csv", 404, "epoch_not_found"),
        ("/v1/epochs/12/devices.csv", 404, "file_not_found"),
        ("/v1/epochs/12/params.json", 404, "file_not_found"),
        ("/v1/epochs/12/previous_wallets.csv", 404, "file_not_found"),
        ("/v1/epochs/007/wallets.csv", 400, "bad_epoch"),
        ("/v1/epochs/-1/wallets.csv", 400, "bad_epoch"),
        ("/v1/epochs/x/wallets.csv", 400, "bad_epoch"),
        (
            "/v1/epochs/18446744073709551616/wallets.csv",
            400,
            "bad_epoch",
        ),
        ("/v1/epochs/0/oracle.db", 400, "bad_file"),
        ("/v1/epochs/0/WALLETS.CSV", 400, "bad_file"),
        ("/v1/epochs/0/..%2F..%2Foracle.db.secret", 400, "bad_file"),
        ("/v1/epochs/0/.wallets.csv", 400, "bad_file"),
        ("/v1/epochs/0/wallets.csv/x", 404, "not_found"),
    ];
    for (path, status, reason) in cases {
        let reply = server.get(path).await;
        assert_eq!(reply.refusal(), (status, reason.to_owned()), "{path}");
        assert_eq!(reply.cache_control, None, "{path}: a refusal is not cached");
    }
    // The epoch "18446744073709551615" parses and is simply not published.
    let max = server
        .get("/v1/epochs/18446744073709551615/wallets.csv")
        .await;
    assert_eq!(max.refusal(), (404, "epoch_not_found".to_owned()));
}

#[tokio::test]
async fn an_oracle_without_epochs_lists_none() {
    let server = Server::start(TestDb::new(Backend::Sqlite)).await;
    let listing = server.get("/v1/epochs").await;
    assert_eq!(listing.status, 200);
    assert_eq!(listing.json(), serde_json::json!({"epochs": []}));
}
