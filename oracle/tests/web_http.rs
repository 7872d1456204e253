//! The web app beside the API (`[web]`), over a real server and client: the build at `/`, its
//! gzip siblings, `GET /config.json` with exactly what the page needs and nothing secret, and
//! `GET /v1/cells/{cell}` (an H3 outline as GeoJSON, any origin). Without `web.dir`, `/` is the
//! ingest's 404.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use common::backends::{Backend, TestDb};
use depin_oracle::ingest::{self, Ingest};
use depin_oracle::registry::Registry;
use depin_oracle::settings::{Settings, WebSettings};
use serde_json::{Value, json};

async fn serve(db: &TestDb, web: WebSettings) -> String {
    let mut settings = Settings::default();
    settings.storage = db.settings.clone();
    settings.submit.rpc_urls = vec!["http://127.0.0.1:8899/?api-key=SECRET".to_owned()];
    settings.web = web;
    let store = db.store().await;
    let ingest = Arc::new(Ingest::new(&settings, store, Arc::new(Registry::default())).unwrap());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, ingest::router(ingest)).await.unwrap();
    });
    base
}

/// A build: an index, a script and its gzip sibling (its bytes need not be real gzip: the
/// server sends the sibling as it is).
fn build(dir: &std::path::Path) -> PathBuf {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>depin</title>",
    )
    .unwrap();
    std::fs::write(dist.join("app.js"), "console.log(1)").unwrap();
    std::fs::write(dist.join("app.js.gz"), b"gz-bytes").unwrap();
    std::fs::write(dist.join("app-KA7RQHAT.js"), "console.log(2)").unwrap();
    dist
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("origin", "http://elsewhere")
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap()
}

/// `GET path` over a bare HTTP/1.1 connection (an HTTP client would inflate gzip on its own):
/// the head, lowercase, and the body as sent.
async fn raw_get(base: &str, path: &str, encoding: &str) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\naccept-encoding: {encoding}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&reply[..split]).to_lowercase();
    (head, reply[split + 4..].to_vec())
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_build_its_config_and_cell_outlines_are_served() {
    let db = TestDb::new(Backend::Sqlite);
    let tmp = tempfile::tempdir().unwrap();
    let web = WebSettings {
        dir: Some(build(tmp.path())),
        rpc_url: "http://127.0.0.1:8899".to_owned(),
        tiles_url: None,
        explorer_url: Some("https://explorer.example/tx/{signature}".to_owned()),
    };
    let base = serve(&db, web).await;

    let index = get(&format!("{base}/")).await;
    assert_eq!(index.status(), 200);
    assert_eq!(header(&index, "content-type").as_deref(), Some("text/html"));
    // Never framed by another page, never sniffed, no referrer; the page revalidated, a hashed
    // file of the build cached for a year.
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", "frame-ancestors 'none'"),
        ("referrer-policy", "no-referrer"),
        ("vary", "accept-encoding"),
        ("cache-control", "no-cache"),
    ] {
        assert_eq!(header(&index, name).as_deref(), Some(value), "{name}");
    }
    let hashed = get(&format!("{base}/app-KA7RQHAT.js")).await;
    assert_eq!(hashed.status(), 200);
    assert_eq!(
        header(&hashed, "cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header(&hashed, "x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(
        index.text().await.unwrap(),
        "<!doctype html><title>depin</title>"
    );
    let (head, body) = raw_get(&base, "/app.js", "identity").await;
    assert!(!head.contains("content-encoding"), "{head}");
    assert_eq!(body, b"console.log(1)");
    let (head, body) = raw_get(&base, "/app.js", "gzip").await;
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert_eq!(body, b"gz-bytes");
    // Anything else, under the API or not, any method, is the ingest's JSON 404; a path out of
    // the build (sent as is, not normalised by a client) too.
    for path in ["/missing.js", "/v1/unknown"] {
        let r = get(&format!("{base}{path}")).await;
        assert_eq!(r.status(), 404, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "not_found", "{path}");
    }
    let post = reqwest::Client::new()
        .post(format!("{base}/v1/unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 404);
    for path in ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/..%2fCargo.toml"] {
        let (head, _) = raw_get(&base, path, "identity").await;
        assert!(head.starts_with("http/1.1 404"), "{path}: {head}");
    }

    // The page's settings: the public RPC URL, never the submitter's (with its key).
    let config = get(&format!("{base}/config.json")).await;
    assert_eq!(
        header(&config, "cache-control").as_deref(),
        Some("no-cache")
    );
    assert_eq!(
        header(&config, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
    let body: Value = config.json().await.unwrap();
    assert_eq!(
        body,
        json!({"rpc_url": "http://127.0.0.1:8899", "api_url": "", "tiles_url": null,
               "explorer_url": "https://explorer.example/tx/{signature}"})
    );

    let cell = get(&format!("{base}/v1/cells/8928308ae03ffff")).await;
    assert_eq!(cell.status(), 200);
    assert_eq!(
        header(&cell, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(
        header(&cell, "cache-control").as_deref(),
        Some("public, max-age=86400, immutable")
    );
    assert_eq!(
        header(&cell, "content-type").as_deref(),
        Some("application/geo+json")
    );
    // Byte for byte (a parse would round the last digit of some coordinates).
    let expected = depin_oracle::api::cell_feature("8928308ae03ffff").unwrap();
    assert_eq!(cell.text().await.unwrap(), expected.to_string());
    let bad = get(&format!("{base}/v1/cells/8928308AE03FFFF")).await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"], "bad_cell");
    db.cleanup().await;
}

#[tokio::test]
async fn without_a_build_the_root_is_the_ingests_404() {
    let db = TestDb::new(Backend::Sqlite);
    let base = serve(&db, WebSettings::default()).await;
    for path in ["/", "/config.json", "/app.js"] {
        let r = get(&format!("{base}{path}")).await;
        assert_eq!(r.status(), 404, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "not_found", "{path}");
    }
    db.cleanup().await;
}
