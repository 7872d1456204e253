//! Shared by the agent's integration tests: a real `oracle serve` on SQLite, started and killed
//! as a process, and its stored reports read back from its database.
//!
//! The `oracle` binary: cargo gives a test only its own package's binaries
//! (`CARGO_BIN_EXE_depin-agent`), so the tests take `oracle` from the same target directory
//! (`target/debug/oracle`, next to `depin-agent`). `cargo test --workspace` (scripts/test) builds
//! it before any test runs; to run these tests alone, build it first:
//!
//! ```text
//! cargo build -p depin-oracle --bin oracle && cargo test -p depin-agent --tests
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use depin_formats::keys::Pubkey;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// An H3 cell (resolution 12) for the registry row.
const CELL: &str = "8c283082a30d9ff";

pub fn oracle_binary() -> PathBuf {
    let agent = PathBuf::from(env!("CARGO_BIN_EXE_depin-agent"));
    let sibling = agent.with_file_name("oracle");
    // The bench's release build may use the debug oracle: it measures the agent.
    let debug = agent
        .parent()
        .and_then(Path::parent)
        .map(|target| target.join("debug").join("oracle"));
    let bin = [Some(sibling.clone()), debug]
        .into_iter()
        .flatten()
        .find(|b| b.is_file());
    bin.unwrap_or_else(|| {
        panic!(
            "{} is missing: build it first (cargo build -p depin-oracle --bin oracle)",
            sibling.display()
        )
    })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `oracle serve` on SQLite with its own data directory and a fixed port.
pub struct Oracle {
    pub dir: PathBuf,
    pub port: u16,
    child: Option<Child>,
    starts: u32,
}

impl Oracle {
    /// `ingest`: lines of the `[ingest]` section.
    pub fn new(root: &Path, n: usize, device: &Pubkey, ingest: &str) -> Self {
        Self::with_server(root, n, device, "", ingest)
    }

    /// [`Oracle::new`] with more lines in the `[server]` section.
    pub fn with_server(root: &Path, n: usize, device: &Pubkey, server: &str, ingest: &str) -> Self {
        let dir = root.join(format!("oracle-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        std::fs::write(
            dir.join("oracle.toml"),
            format!(
                r#"[server]
listen = "127.0.0.1:{port}"
shutdown_grace = "1s"
{server}

[ingest]
{ingest}
[storage]
data_dir = {dir:?}
"#
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("registry.csv"),
            format!(
                "device,owner,maker,location,kind,status\n{device},{},{},{CELL},connectivity,active\n",
                Pubkey([7; 32]),
                Pubkey([8; 32])
            ),
        )
        .unwrap();
        Self {
            dir,
            port,
            child: None,
            starts: 0,
        }
    }

    pub async fn start(&mut self) {
        self.starts += 1;
        let log =
            std::fs::File::create(self.dir.join(format!("oracle-{}.log", self.starts))).unwrap();
        let mut child = Command::new(oracle_binary())
            .args(["serve", "--config"])
            .arg(self.dir.join("oracle.toml"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("oracle serve printed nothing in 30 s")
            .unwrap()
            .unwrap_or_default();
        assert_eq!(
            first,
            format!("listening on http://127.0.0.1:{}", self.port)
        );
        self.child = Some(child);
    }

    pub async fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().await.unwrap();
    }

    /// Its ingest's base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every stored report, in arrival order: (nonce, the report's binary encoding).
    pub async fn stored(&self) -> Vec<(u64, Vec<u8>)> {
        use sqlx::Row as _;
        let url = format!("sqlite://{}?mode=ro", self.dir.join("oracle.db").display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let rows = sqlx::query(
            "SELECT device, ts, nonce, kind, payload, signature FROM reports ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows.iter()
            .map(|r| {
                let nonce = u64::from_ne_bytes(r.get::<i64, _>("nonce").to_ne_bytes());
                let mut bin = vec![1u8];
                bin.extend_from_slice(&r.get::<Vec<u8>, _>("device"));
                bin.extend_from_slice(&r.get::<i64, _>("ts").to_le_bytes());
                bin.extend_from_slice(&nonce.to_le_bytes());
                bin.push(u8::try_from(r.get::<i64, _>("kind")).unwrap());
                bin.extend_from_slice(&r.get::<Vec<u8>, _>("payload"));
                bin.extend_from_slice(&r.get::<Vec<u8>, _>("signature"));
                (nonce, bin)
            })
            .collect()
    }
}
