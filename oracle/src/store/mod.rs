//! Durable report storage over sqlx: embedded SQLite by default, PostgreSQL for operators who
//! outgrow one machine. Both have the same tables and columns (`migrations/sqlite`,
//! `migrations/postgres`) and behave the same; the store tests run every case on both.
//!
//! Durability: [`Store::insert_all`] returns only after its transaction has committed. SQLite
//! runs in WAL mode with `synchronous=FULL` by default (a commit is fsynced before it returns,
//! so it survives power loss); `normal` is available and documented as weaker.

pub mod rewards;
pub mod writer;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use depin_formats::keys::{Pubkey, Sig};
use depin_formats::report::{BINARY_VERSION, HEADER_LEN, ReportError, SignedReport};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, Row};

use crate::settings::{SqliteSync, StorageSettings};

/// SQLite migrations, embedded in the binary.
pub static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
/// PostgreSQL migrations, embedded in the binary.
pub static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// SQLite's `cache_size` per connection: negative means KiB (64 MiB).
const SQLITE_CACHE_KIB: &str = "-65536";

/// The SQLite file inside `data_dir`.
pub const SQLITE_FILE: &str = "oracle.db";

/// A storage failure (not a refusal of the input: those are [`Inserted::Replayed`]).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("creating {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unsupported storage url {0:?}: use sqlite://<path> or postgres://...")]
    Url(String),
    #[error("invalid postgres schema name {0:?}: use [a-z_][a-z0-9_]*")]
    Schema(String),
    #[error("a stored value is out of range: {0}")]
    Range(&'static str),
}

/// The outcome of [`Store::insert_all`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Every report is committed.
    Committed,
    /// The report at `index` has a (device, nonce) already stored (or earlier in the same
    /// call); the transaction was rolled back and nothing was stored. `stored` is the signature
    /// of the report stored for that (device, nonce) (None when the repeat was within the
    /// refused batch itself): the same signature means the same report, since ed25519
    /// signatures are deterministic.
    Replayed { index: usize, stored: Option<Sig> },
}

/// One stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub id: i64,
    pub device: Pubkey,
    pub ts: i64,
    pub nonce: u64,
    pub kind: u8,
    pub payload: Vec<u8>,
    pub signature: Sig,
    /// Unix milliseconds of the commit.
    pub received_at: i64,
}

impl StoredReport {
    /// Rebuilds the signed report from the row (the exact binary form the device signed).
    ///
    /// # Errors
    ///
    /// The row does not decode (it was not written by this store).
    pub fn to_signed(&self) -> Result<SignedReport, ReportError> {
        let mut b = Vec::with_capacity(HEADER_LEN + self.payload.len() + 64);
        b.push(BINARY_VERSION);
        b.extend_from_slice(&self.device.0);
        b.extend_from_slice(&self.ts.to_le_bytes());
        b.extend_from_slice(&self.nonce.to_le_bytes());
        b.push(self.kind);
        b.extend_from_slice(&self.payload);
        b.extend_from_slice(&self.signature.0);
        SignedReport::from_binary(&b)
    }
}

/// The report store.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The u64 nonce as the i64 with the same bits (both databases lack an unsigned 64-bit type).
#[must_use]
pub const fn nonce_to_db(nonce: u64) -> i64 {
    i64::from_le_bytes(nonce.to_le_bytes())
}

/// Inverse of [`nonce_to_db`].
#[must_use]
pub const fn nonce_from_db(nonce: i64) -> u64 {
    u64::from_le_bytes(nonce.to_le_bytes())
}

fn valid_schema(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && s.len() <= 63
}

/// The columns of one report, ready to bind.
struct Columns {
    device: Vec<u8>,
    ts: i64,
    nonce: i64,
    kind: i16,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl Columns {
    fn of(r: &SignedReport) -> Self {
        let unsigned = r.report.encode_unsigned();
        Self {
            device: r.report.device.0.to_vec(),
            ts: r.report.timestamp,
            nonce: nonce_to_db(r.report.nonce),
            kind: i16::from(r.report.payload.kind_byte()),
            payload: unsigned.get(HEADER_LEN..).unwrap_or_default().to_vec(),
            signature: r.signature.0.to_vec(),
        }
    }
}

const INSERT_SQLITE: &str = "INSERT INTO reports (device, ts, nonce, kind, payload, signature, \
     received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device, nonce) DO NOTHING";
const INSERT_POSTGRES: &str = "INSERT INTO reports (device, ts, nonce, kind, payload, \
     signature, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (device, nonce) DO NOTHING";
const SIGNATURE_SQLITE: &str = "SELECT signature FROM reports WHERE device = ? AND nonce = ?";
const SIGNATURE_POSTGRES: &str = "SELECT signature FROM reports WHERE device = $1 AND nonce = $2";
/// Reports per multi-row `INSERT` (7 parameters each: 896 per statement, far below SQLite's
/// 32766 and PostgreSQL's 65535).
pub const INSERT_CHUNK: usize = 128;

/// `rows` tuples of `cols` parameters for a multi-row `VALUES`: `(?,?),(?,?)` for SQLite,
/// `($1,$2),($3,$4)` for PostgreSQL.
pub(crate) fn placeholders(postgres: bool, rows: usize, cols: usize) -> String {
    use std::fmt::Write as _;
    let mut sql = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        sql.push_str(if r > 0 { ",(" } else { "(" });
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            if postgres {
                let _ = write!(sql, "${}", r * cols + c + 1);
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// `INSERT INTO reports ... VALUES (..), (..) ... ON CONFLICT (device, nonce) DO NOTHING` for
/// `rows` rows.
fn multi_insert_sql(postgres: bool, rows: usize) -> String {
    format!(
        "INSERT INTO reports (device, ts, nonce, kind, payload, signature, received_at) VALUES \
         {} ON CONFLICT (device, nonce) DO NOTHING",
        placeholders(postgres, rows, 7)
    )
}

const SELECT_ALL: &str = "SELECT id, device, ts, nonce, kind, payload, signature, received_at \
     FROM reports ORDER BY id";
/// The epoch window's reports by timestamp, then arrival (SQLite); public so tests can check
/// its query plan.
pub const SELECT_WINDOW_SQLITE: &str = "SELECT id, device, ts, nonce, kind, payload, signature, \
     received_at FROM reports WHERE ts >= ? AND ts < ? ORDER BY ts, id";
/// [`SELECT_WINDOW_SQLITE`] for PostgreSQL.
pub const SELECT_WINDOW_POSTGRES: &str = "SELECT id, device, ts, nonce, kind, payload, signature, \
     received_at FROM reports WHERE ts >= $1 AND ts < $2 ORDER BY ts, id";
const INSERT_EPOCH_SQLITE: &str = "INSERT INTO published_epochs (epoch, root_hash, root_sum, \
     leaves, manifest_hash, published_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (epoch) DO NOTHING";
const INSERT_EPOCH_POSTGRES: &str = "INSERT INTO published_epochs (epoch, root_hash, root_sum, \
     leaves, manifest_hash, published_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (epoch) DO NOTHING";
const SELECT_EPOCHS: &str = "SELECT epoch, root_hash, root_sum, leaves, manifest_hash, \
     published_at FROM published_epochs ORDER BY epoch";

const INSERT_INTENT_SQLITE: &str = "INSERT INTO vote_intents (epoch, set_version, round, \
     root_hash, root_sum, leaves, manifest_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (epoch, set_version, round) DO NOTHING";
const INSERT_INTENT_POSTGRES: &str = "INSERT INTO vote_intents (epoch, set_version, round, \
     root_hash, root_sum, leaves, manifest_hash, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (epoch, set_version, round) DO NOTHING";
const SELECT_INTENT_SQLITE: &str = "SELECT root_hash, root_sum, leaves, manifest_hash FROM \
     vote_intents WHERE epoch = ? AND set_version = ? AND round = ?";
const SELECT_INTENT_POSTGRES: &str = "SELECT root_hash, root_sum, leaves, manifest_hash FROM \
     vote_intents WHERE epoch = $1 AND set_version = $2 AND round = $3";

/// A vote the submitter is about to sign: what `vote_intents` records first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteIntent {
    pub epoch: u64,
    pub set_version: u32,
    pub round: u64,
    pub root_hash: [u8; 32],
    pub root_sum: u64,
    /// The tree's leaf count.
    pub leaves: u64,
    pub manifest_hash: [u8; 32],
}

/// The outcome of [`Store::record_intent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Recorded now, or recorded before with the same root, sum, leaf count and manifest: safe
    /// to sign.
    Recorded,
    /// A different vote is already recorded for this epoch, set version and round: signing
    /// would equivocate. Carries what was recorded.
    Conflicts {
        root_hash: [u8; 32],
        root_sum: u64,
        leaves: u64,
        manifest_hash: [u8; 32],
    },
}

/// One row of `published_epochs`: an epoch the epoch task has published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedEpoch {
    pub epoch: u64,
    /// The merkle-sum root hash; `None` when no wallet has a nonzero total yet.
    pub root_hash: Option<[u8; 32]>,
    /// The root's sum (Σ cumulative); 0 with no root.
    pub root_sum: u64,
    /// The tree's leaf count (wallets.csv's rows); 0 with no root. It fixes the tree's shape
    /// and goes on-chain with the root.
    pub leaves: u64,
    /// sha256 of the epoch's manifest.json.
    pub manifest_hash: [u8; 32],
    /// Unix milliseconds of the record.
    pub published_at: i64,
}

fn epoch_row(
    epoch: i64,
    root_hash: Option<Vec<u8>>,
    root_sum: i64,
    leaves: i64,
    manifest_hash: Vec<u8>,
    published_at: i64,
) -> Result<PublishedEpoch, StoreError> {
    Ok(PublishedEpoch {
        epoch: u64::try_from(epoch).map_err(|_| StoreError::Range("epoch"))?,
        root_hash: root_hash
            .map(|h| {
                h.try_into()
                    .map_err(|_| StoreError::Range("root_hash length"))
            })
            .transpose()?,
        root_sum: u64::try_from(root_sum).map_err(|_| StoreError::Range("root_sum"))?,
        leaves: u64::try_from(leaves).map_err(|_| StoreError::Range("leaves"))?,
        manifest_hash: manifest_hash
            .try_into()
            .map_err(|_| StoreError::Range("manifest_hash length"))?,
        published_at,
    })
}

/// Binds one report's seven columns (and its commit time) to a query, in `INSERT` order.
/// The signature stored for the (device, nonce) of `$report`, if any, over executor `$exec`.
macro_rules! stored_signature {
    ($exec:expr, $sql:expr, $report:expr) => {{
        let c = Columns::of($report);
        let sig: Option<Vec<u8>> = sqlx::query_scalar($sql)
            .bind(c.device)
            .bind(c.nonce)
            .fetch_optional($exec)
            .await?;
        sig.and_then(|b| <[u8; 64]>::try_from(b).ok()).map(Sig)
    }};
}

macro_rules! bind_report {
    ($query:expr, $report:expr, $received_at_ms:expr) => {{
        let c = Columns::of($report);
        $query
            .bind(c.device)
            .bind(c.ts)
            .bind(c.nonce)
            .bind(c.kind)
            .bind(c.payload)
            .bind(c.signature)
            .bind($received_at_ms)
    }};
}

impl Store {
    /// Opens the store `settings` name (creating the SQLite file and its directory, or the
    /// PostgreSQL schema, if missing). Does not migrate: see [`Store::migrate`].
    ///
    /// # Errors
    ///
    /// A bad url or schema name, an unreachable server, an unwritable directory.
    pub async fn connect(settings: &StorageSettings) -> Result<Self, StoreError> {
        let url = settings.url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Self::connect_postgres(url, settings).await;
        }
        let path = if url.is_empty() {
            std::fs::create_dir_all(&settings.data_dir).map_err(|source| StoreError::Io {
                path: settings.data_dir.clone(),
                source,
            })?;
            settings.data_dir.join(SQLITE_FILE)
        } else if let Some(p) = url.strip_prefix("sqlite://") {
            let path = PathBuf::from(p);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            path
        } else {
            return Err(StoreError::Url(url.to_owned()));
        };
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match settings.sqlite_synchronous {
                SqliteSync::Full => SqliteSynchronous::Full,
                SqliteSync::Normal => SqliteSynchronous::Normal,
            })
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // The write path's B-trees (the (device, nonce) replay index above all) stay in
            // memory: 64 MiB of page cache per connection instead of SQLite's 2 MiB.
            .pragma("cache_size", SQLITE_CACHE_KIB)
            // Checkpoint the write-ahead log every 16,384 pages (64 MiB) instead of 1,000: an
            // index page rewritten by many commits is copied into the database once per
            // checkpoint, not once per commit (with this schema on a 2-core machine: 23,000 to
            // 35,000 rows/s in 500-row transactions).
            .pragma("wal_autocheckpoint", "16384");
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.connect_timeout)
            .connect_with(options)
            .await?;
        Ok(Self::Sqlite(pool))
    }

    async fn connect_postgres(url: &str, settings: &StorageSettings) -> Result<Self, StoreError> {
        let schema = settings.schema.as_str();
        let mut options = PgConnectOptions::from_str(url)?;
        if !schema.is_empty() {
            if !valid_schema(schema) {
                return Err(StoreError::Schema(schema.to_owned()));
            }
            let mut conn = tokio::time::timeout(
                settings.connect_timeout,
                sqlx::PgConnection::connect_with(&options),
            )
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.connect_timeout)
            .connect_with(options)
            .await?;
        Ok(Self::Postgres(pool))
    }

    /// `sqlite` or `postgres`.
    #[must_use]
    pub const fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Applies the pending migrations of this backend (idempotent).
    ///
    /// # Errors
    ///
    /// A migration fails, or the applied ones differ from the embedded ones.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Self::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// Stores every report in one transaction, or none: a (device, nonce) already stored, or
    /// repeated within `reports`, rolls everything back and names the first such index.
    /// Returns only after the commit (the caller may then acknowledge).
    ///
    /// This is [`Store::insert_group`] of one batch.
    ///
    /// # Errors
    ///
    /// A database failure (nothing is stored).
    pub async fn insert_all(
        &self,
        reports: &[SignedReport],
        received_at_ms: i64,
    ) -> Result<Inserted, StoreError> {
        let mut outcomes = self.insert_group(&[reports], received_at_ms).await?;
        Ok(outcomes.pop().unwrap_or(Inserted::Committed))
    }

    /// Group commit: stores several batches (one per ingest request) in **one** transaction,
    /// so one commit (one fsync) serves them all, and returns each batch's outcome in order.
    ///
    /// Each batch stays all-or-nothing on its own: it runs inside a savepoint, and a batch
    /// with a (device, nonce) already stored (by an earlier transaction, an earlier batch of
    /// this group, or earlier in the same batch) is rolled back to its savepoint alone and
    /// gets [`Inserted::Replayed`] with the first such index; the other batches commit. The
    /// outcome is the one the batches would get committed one after another, in order.
    ///
    /// Rows go in multi-row `INSERT`s of up to [`INSERT_CHUNK`] reports; only when a chunk
    /// skips a row as a conflict is the batch redone row by row to name the index (the rare
    /// path).
    ///
    /// # Errors
    ///
    /// A database failure: the whole transaction is rolled back and nothing of any batch is
    /// stored.
    pub async fn insert_group(
        &self,
        batches: &[&[SignedReport]],
        received_at_ms: i64,
    ) -> Result<Vec<Inserted>, StoreError> {
        macro_rules! group {
            ($pool:expr, $postgres:expr, $single:expr, $signature:expr) => {{
                let mut tx = $pool.begin().await?;
                let mut outcomes = Vec::with_capacity(batches.len());
                for reports in batches {
                    sqlx::query("SAVEPOINT batch").execute(&mut *tx).await?;
                    let mut outcome = Inserted::Committed;
                    for chunk in reports.chunks(INSERT_CHUNK) {
                        let sql = multi_insert_sql($postgres, chunk.len());
                        let mut q = sqlx::query(&sql);
                        for r in chunk {
                            q = bind_report!(q, r, received_at_ms);
                        }
                        let done = q.execute(&mut *tx).await?;
                        if usize::try_from(done.rows_affected()).ok() != Some(chunk.len()) {
                            // Some row of this batch conflicts: undo the batch, find the
                            // first conflicting index row by row, undo that too.
                            sqlx::query("ROLLBACK TO SAVEPOINT batch")
                                .execute(&mut *tx)
                                .await?;
                            let mut first = None;
                            for (i, r) in reports.iter().enumerate() {
                                let one = bind_report!(sqlx::query($single), r, received_at_ms)
                                    .execute(&mut *tx)
                                    .await?;
                                if one.rows_affected() == 0 {
                                    first = Some((i, r));
                                    break;
                                }
                            }
                            // No conflict row by row (it cannot differ, but if it did): the
                            // rows just inserted one by one are the whole batch; keep them.
                            if let Some((index, r)) = first {
                                sqlx::query("ROLLBACK TO SAVEPOINT batch")
                                    .execute(&mut *tx)
                                    .await?;
                                let stored = stored_signature!(&mut *tx, $signature, r);
                                outcome = Inserted::Replayed { index, stored };
                            }
                            break;
                        }
                    }
                    sqlx::query("RELEASE SAVEPOINT batch")
                        .execute(&mut *tx)
                        .await?;
                    outcomes.push(outcome);
                }
                tx.commit().await?;
                outcomes
            }};
        }
        Ok(match self {
            Self::Sqlite(pool) => group!(pool, false, INSERT_SQLITE, SIGNATURE_SQLITE),
            Self::Postgres(pool) => group!(pool, true, INSERT_POSTGRES, SIGNATURE_POSTGRES),
        })
    }

    /// [`Store::insert_all`] one statement per row: the same outcome, and the index of the
    /// first conflict when there is one.
    ///
    /// # Errors
    ///
    /// A database failure (nothing is stored).
    pub async fn insert_rows(
        &self,
        reports: &[SignedReport],
        received_at_ms: i64,
    ) -> Result<Inserted, StoreError> {
        macro_rules! rows {
            ($pool:expr, $sql:expr, $signature:expr) => {{
                let mut tx = $pool.begin().await?;
                for (index, r) in reports.iter().enumerate() {
                    let done = bind_report!(sqlx::query($sql), r, received_at_ms)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() == 0 {
                        tx.rollback().await?;
                        let stored = stored_signature!($pool, $signature, r);
                        return Ok(Inserted::Replayed { index, stored });
                    }
                }
                tx.commit().await?;
            }};
        }
        match self {
            Self::Sqlite(pool) => rows!(pool, INSERT_SQLITE, SIGNATURE_SQLITE),
            Self::Postgres(pool) => rows!(pool, INSERT_POSTGRES, SIGNATURE_POSTGRES),
        }
        Ok(Inserted::Committed)
    }

    /// Number of stored reports.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = match self {
            Self::Sqlite(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM reports")
                    .fetch_one(p)
                    .await?
            }
            Self::Postgres(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM reports")
                    .fetch_one(p)
                    .await?
            }
        };
        u64::try_from(n).map_err(|_| StoreError::Range("count"))
    }

    /// Every stored report, in arrival order.
    ///
    /// # Errors
    ///
    /// A database failure, or a row this store could not have written.
    pub async fn all(&self) -> Result<Vec<StoredReport>, StoreError> {
        match self {
            Self::Sqlite(p) => sqlx::query(SELECT_ALL)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| {
                    row(
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                        r.try_get(6)?,
                        r.try_get(7)?,
                    )
                })
                .collect(),
            Self::Postgres(p) => sqlx::query(SELECT_ALL)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| {
                    row(
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                        r.try_get(6)?,
                        r.try_get(7)?,
                    )
                })
                .collect(),
        }
    }

    /// The stored reports with `start <= ts < end`, ordered by timestamp, then arrival (`id`):
    /// the order of the `reports_ts` index, so a window of any size is read without a sort.
    /// Reports of the same second are in arrival order, which differs between oracles; the
    /// epoch task puts each second's reports in canonical order (device bytes, then nonce)
    /// itself, holding one second's reports at a time.
    ///
    /// # Errors
    ///
    /// A database failure, or a row this store could not have written.
    pub async fn reports_in_window(
        &self,
        start: i64,
        end: i64,
    ) -> Result<Vec<StoredReport>, StoreError> {
        self.reports_in_window_stream(start, end)
            .try_collect()
            .await
    }

    /// [`Store::reports_in_window`] as a stream, read from one query (one snapshot) a row at a
    /// time, so that an epoch of any size is never held whole.
    pub fn reports_in_window_stream(
        &self,
        start: i64,
        end: i64,
    ) -> BoxStream<'_, Result<StoredReport, StoreError>> {
        macro_rules! fetch {
            ($pool:expr, $sql:expr) => {
                sqlx::query($sql)
                    .bind(start)
                    .bind(end)
                    .fetch($pool)
                    .map(|r| {
                        let r = r?;
                        row(
                            r.try_get(0)?,
                            r.try_get(1)?,
                            r.try_get(2)?,
                            r.try_get(3)?,
                            r.try_get(4)?,
                            r.try_get(5)?,
                            r.try_get(6)?,
                            r.try_get(7)?,
                        )
                    })
                    .boxed()
            };
        }
        match self {
            Self::Sqlite(p) => fetch!(p, SELECT_WINDOW_SQLITE),
            Self::Postgres(p) => fetch!(p, SELECT_WINDOW_POSTGRES),
        }
    }

    /// Records a published epoch. Returns `false` (and changes nothing) if the epoch already
    /// has a record.
    ///
    /// # Errors
    ///
    /// A database failure, or an epoch, root sum or leaf count above `i64::MAX`.
    pub async fn record_epoch(&self, e: &PublishedEpoch) -> Result<bool, StoreError> {
        let epoch = i64::try_from(e.epoch).map_err(|_| StoreError::Range("epoch"))?;
        let root_sum = i64::try_from(e.root_sum).map_err(|_| StoreError::Range("root_sum"))?;
        let leaves = i64::try_from(e.leaves).map_err(|_| StoreError::Range("leaves"))?;
        let root_hash = e.root_hash.map(|h| h.to_vec());
        let manifest_hash = e.manifest_hash.to_vec();
        let done = match self {
            Self::Sqlite(p) => sqlx::query(INSERT_EPOCH_SQLITE)
                .bind(epoch)
                .bind(root_hash)
                .bind(root_sum)
                .bind(leaves)
                .bind(manifest_hash)
                .bind(e.published_at)
                .execute(p)
                .await?
                .rows_affected(),
            Self::Postgres(p) => sqlx::query(INSERT_EPOCH_POSTGRES)
                .bind(epoch)
                .bind(root_hash)
                .bind(root_sum)
                .bind(leaves)
                .bind(manifest_hash)
                .bind(e.published_at)
                .execute(p)
                .await?
                .rows_affected(),
        };
        Ok(done == 1)
    }

    /// Every published epoch, by epoch number.
    ///
    /// # Errors
    ///
    /// A database failure, or a row this store could not have written.
    pub async fn published_epochs(&self) -> Result<Vec<PublishedEpoch>, StoreError> {
        macro_rules! fetch {
            ($pool:expr) => {
                sqlx::query(SELECT_EPOCHS)
                    .fetch_all($pool)
                    .await?
                    .iter()
                    .map(|r| {
                        epoch_row(
                            r.try_get(0)?,
                            r.try_get(1)?,
                            r.try_get(2)?,
                            r.try_get(3)?,
                            r.try_get(4)?,
                            r.try_get(5)?,
                        )
                    })
                    .collect()
            };
        }
        match self {
            Self::Sqlite(p) => fetch!(p),
            Self::Postgres(p) => fetch!(p),
        }
    }

    /// Records the intent to sign `v` (committed before this returns), unless an intent for the
    /// same epoch, set version and round exists, in which case that one is compared with `v`.
    ///
    /// # Errors
    ///
    /// A database failure, or a value above `i64::MAX`.
    pub async fn record_intent(&self, v: &VoteIntent, now_ms: i64) -> Result<Intent, StoreError> {
        let epoch = i64::try_from(v.epoch).map_err(|_| StoreError::Range("epoch"))?;
        let set_version = i64::from(v.set_version);
        let round = i64::try_from(v.round).map_err(|_| StoreError::Range("round"))?;
        let root_sum = i64::try_from(v.root_sum).map_err(|_| StoreError::Range("root_sum"))?;
        let leaves = i64::try_from(v.leaves).map_err(|_| StoreError::Range("leaves"))?;
        macro_rules! record {
            ($pool:expr, $insert:expr, $select:expr) => {{
                sqlx::query($insert)
                    .bind(epoch)
                    .bind(set_version)
                    .bind(round)
                    .bind(v.root_hash.to_vec())
                    .bind(root_sum)
                    .bind(leaves)
                    .bind(v.manifest_hash.to_vec())
                    .bind(now_ms)
                    .execute($pool)
                    .await?;
                let row = sqlx::query($select)
                    .bind(epoch)
                    .bind(set_version)
                    .bind(round)
                    .fetch_one($pool)
                    .await?;
                intent_row(
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                )?
            }};
        }
        let (root_hash, root_sum, leaves, manifest_hash) = match self {
            Self::Sqlite(p) => record!(p, INSERT_INTENT_SQLITE, SELECT_INTENT_SQLITE),
            Self::Postgres(p) => record!(p, INSERT_INTENT_POSTGRES, SELECT_INTENT_POSTGRES),
        };
        let recorded = (root_hash, root_sum, leaves, manifest_hash);
        if recorded == (v.root_hash, v.root_sum, v.leaves, v.manifest_hash) {
            Ok(Intent::Recorded)
        } else {
            Ok(Intent::Conflicts {
                root_hash,
                root_sum,
                leaves,
                manifest_hash,
            })
        }
    }

    /// Closes the pool, waiting for connections to finish (SQLite checkpoints its WAL).
    pub async fn close(&self) {
        match self {
            Self::Sqlite(p) => p.close().await,
            Self::Postgres(p) => p.close().await,
        }
    }
}

/// A stored vote intent's `(root_hash, root_sum, leaves, manifest_hash)`.
fn intent_row(
    root_hash: Vec<u8>,
    root_sum: i64,
    leaves: i64,
    manifest_hash: Vec<u8>,
) -> Result<([u8; 32], u64, u64, [u8; 32]), StoreError> {
    Ok((
        root_hash
            .try_into()
            .map_err(|_| StoreError::Range("root_hash length"))?,
        u64::try_from(root_sum).map_err(|_| StoreError::Range("root_sum"))?,
        u64::try_from(leaves).map_err(|_| StoreError::Range("leaves"))?,
        manifest_hash
            .try_into()
            .map_err(|_| StoreError::Range("manifest_hash length"))?,
    ))
}

#[allow(clippy::too_many_arguments)]
fn row(
    id: i64,
    device: Vec<u8>,
    ts: i64,
    nonce: i64,
    kind: i16,
    payload: Vec<u8>,
    signature: Vec<u8>,
    received_at: i64,
) -> Result<StoredReport, StoreError> {
    Ok(StoredReport {
        id,
        device: Pubkey(
            device
                .try_into()
                .map_err(|_| StoreError::Range("device length"))?,
        ),
        ts,
        nonce: nonce_from_db(nonce),
        kind: u8::try_from(kind).map_err(|_| StoreError::Range("kind"))?,
        payload,
        signature: Sig(signature
            .try_into()
            .map_err(|_| StoreError::Range("signature length"))?),
        received_at,
    })
}
