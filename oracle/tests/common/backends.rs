//! Fresh storage for each test: a SQLite file in its own temp dir always, and a fresh
//! PostgreSQL schema when `DEPIN_TEST_POSTGRES_URL` is set (scripts/test sets it). An unreachable
//! server with the variable set fails the test loudly; it never silently skips.

use std::sync::atomic::{AtomicU32, Ordering};

use depin_oracle::settings::StorageSettings;
use depin_oracle::store::Store;

pub const POSTGRES_URL_VAR: &str = "DEPIN_TEST_POSTGRES_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite, plus PostgreSQL when the variable is set.
pub fn backends() -> Vec<Backend> {
    let mut b = vec![Backend::Sqlite];
    if postgres_url().is_some() {
        b.push(Backend::Postgres);
    }
    b
}

pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub backend: Backend,
    pub settings: StorageSettings,
    pub dir: tempfile::TempDir,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A schema name unique to this process and call.
pub fn unique_schema() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = StorageSettings {
            data_dir: dir.path().join("data"),
            max_connections: 4,
            ..StorageSettings::default()
        };
        if backend == Backend::Postgres {
            settings.url = postgres_url().expect("DEPIN_TEST_POSTGRES_URL");
            settings.schema = unique_schema();
        }
        Self {
            backend,
            settings,
            dir,
        }
    }

    /// Connects and migrates; panics loudly if the server is unreachable.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.settings).await.unwrap_or_else(|e| {
            panic!(
                "{:?} store at {:?} (schema {:?}) unreachable: {e} \
                 ({POSTGRES_URL_VAR} is set, so the PostgreSQL tests must run: start it with \
                 scripts/postgres)",
                self.backend, self.settings.url, self.settings.schema
            )
        });
        store.migrate().await.unwrap();
        store
    }

    /// Drops the PostgreSQL schema (SQLite's temp dir goes with `self`).
    pub async fn cleanup(self) {
        if self.backend == Backend::Postgres {
            let mut s = self.settings.clone();
            s.schema = String::new();
            let store = Store::connect(&s).await.unwrap();
            if let Store::Postgres(pool) = &store {
                sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.settings.schema))
                    .execute(pool)
                    .await
                    .unwrap();
            }
            store.close().await;
        }
    }
}
