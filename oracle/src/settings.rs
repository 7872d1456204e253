//! Settings for `oracle serve` and `oracle migrate`: embedded defaults, then an optional TOML
//! file, then `DEPIN_ORACLE__SECTION__KEY` environment variables (each later source wins).
//!
//! Durations are humantime strings (`"30s"`, `"5m"`). Every key, its default and its variable
//! are listed in `docs/oracle.md`; `oracle/oracle.example.toml` is the documented template.
//! The settings hold no secrets today; a secret added later must skip `Serialize`/`Debug`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The environment prefix; `__` separates the section from the key.
pub const ENV_PREFIX: &str = "DEPIN_ORACLE__";

/// Everything the service reads at start-up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub ingest: IngestSettings,
    #[serde(default)]
    pub storage: StorageSettings,
    #[serde(default)]
    pub registry: RegistrySettings,
    #[serde(default)]
    pub epoch: EpochSettings,
    #[serde(default)]
    pub submit: SubmitSettings,
    #[serde(default)]
    pub watch: WatchSettings,
    /// Agreement on each epoch's input with the other oracles (docs/oracle-agreement.md).
    #[serde(default)]
    pub agreement: AgreementSettings,
    /// The web app served beside the API (app/web).
    #[serde(default)]
    pub web: WebSettings,
}

/// The web app (app/web/README.md): a static build served at `/` on the API's origin, and the
/// `GET /config.json` it starts from. Off unless `dir` is set. Nothing here is secret: the RPC
/// URL given to browsers is its own setting, never `submit.rpc_urls` (which may carry a key).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    /// The built app (`app/web/dist`); None: no web app, `/` is 404.
    pub dir: Option<PathBuf>,
    /// The JSON-RPC URL browsers read the chain from (public; it must allow CORS).
    pub rpc_url: String,
    /// Raster map tiles (`{z}/{x}/{y}` template); None: outlines on a plain background.
    pub tiles_url: Option<String>,
    /// Where a transaction link points (`{signature}` is replaced); None: the app's own view.
    pub explorer_url: Option<String>,
}

/// The HTTP listener and its request limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Largest request body, bytes; larger bodies get 413 `body_too_large`.
    pub max_body_bytes: usize,
    /// Most reports in one batch; more get 413 `batch_too_large`.
    pub max_batch_reports: usize,
    /// Requests that may wait for or hold the database writer at once; the next gets 429
    /// `overloaded` with `Retry-After`.
    pub max_pending_writes: usize,
    /// The `Retry-After` sent with 429 `overloaded`.
    #[serde(with = "humantime_serde")]
    pub retry_after: Duration,
    /// How long shutdown waits for in-flight requests to finish.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Longest wait for a request's headers, from the connection's start or the end of its last
    /// response: a client that drips its headers, or an idle keep-alive connection, is closed.
    #[serde(with = "humantime_serde")]
    pub header_timeout: Duration,
    /// Longest wait for a request's whole body once its headers are in: a client that drips or
    /// stalls its body gets 408 `body_timeout` and is closed.
    #[serde(with = "humantime_serde")]
    pub body_timeout: Duration,
    /// Open connections at once; the next one gets 503 `too_many_connections` and is closed.
    /// Lowered at start to what the process's file-descriptor limit allows (with a WARN).
    pub max_connections: usize,
    /// Open connections at once from one client address; the next one from it gets 503
    /// `too_many_connections` and is closed, so one host cannot hold every connection.
    pub max_connections_per_address: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 1 << 20,
            max_batch_reports: 4096,
            max_pending_writes: 64,
            retry_after: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
            max_connections_per_address: 256,
        }
    }
}

/// What the ingest accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSettings {
    /// Oldest accepted report timestamp, relative to the oracle's clock.
    #[serde(with = "humantime_serde")]
    pub max_past_skew: Duration,
    /// Newest accepted report timestamp, relative to the oracle's clock.
    #[serde(with = "humantime_serde")]
    pub max_future_skew: Duration,
    /// Reports one device may send per `rate_window` (a token bucket: this is also the burst).
    pub rate_limit_reports: u32,
    /// The window over which `rate_limit_reports` refills.
    #[serde(with = "humantime_serde")]
    pub rate_limit_window: Duration,
    /// Reports per `rate_limit_window` from one client address, charged before any signature
    /// work and not given back when they fail it (0: no limit). It bounds the verification work
    /// a flood of forged reports can cost; a relay that sends for many devices from one address
    /// needs it raised (or 0).
    pub peer_rate_limit_reports: u32,
    /// Requests per `rate_limit_window` from one client address whose signatures may fail
    /// verification (0: no limit). Past it the address gets `429 peer_rate_limited` before any
    /// signature work until the budget refills: an honest device never sends a bad signature,
    /// so a flood of forged batches costs at most this many verifications per address.
    pub peer_failed_requests: u32,
    /// Batches whose signatures are verified at once (each on its own blocking thread); the
    /// rest wait their turn in arrival order, those of addresses whose last request was stored
    /// first (`ingest::turns`). 0 means one per CPU core.
    pub verify_threads: usize,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            max_past_skew: Duration::from_secs(3600),
            max_future_skew: Duration::from_secs(300),
            rate_limit_reports: 600,
            rate_limit_window: Duration::from_secs(3600),
            peer_rate_limit_reports: 60_000,
            peer_failed_requests: 10,
            verify_threads: 0,
        }
    }
}

/// Where reports are stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSettings {
    /// Directory for the SQLite database (`oracle.db`) when `url` is empty.
    pub data_dir: PathBuf,
    /// Empty: SQLite in `data_dir`. `sqlite://<path>` or `postgres://user@host:port/db`.
    pub url: String,
    /// PostgreSQL only: the schema to use (created if missing); empty means `public`.
    pub schema: String,
    /// Connection pool size.
    pub max_connections: u32,
    /// How long to wait for a database connection (at start-up and per request).
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// SQLite only: `full` (default: a commit survives power loss) or `normal` (survives a
    /// crash of the process, may lose the last commits on power loss; faster).
    pub sqlite_synchronous: SqliteSync,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./oracle-data"),
            url: String::new(),
            schema: String::new(),
            max_connections: 8,
            connect_timeout: Duration::from_secs(10),
            sqlite_synchronous: SqliteSync::Full,
        }
    }
}

/// SQLite's `synchronous` pragma in WAL mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqliteSync {
    Full,
    Normal,
}

/// The device registry: a CSV file, or synced from the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrySettings {
    /// Where the registry comes from: `csv` (the file below, read once at start) or `chain`
    /// (the rewards program's `Device` accounts over `submit.rpc_urls`, re-read every
    /// `sync_interval` and written to the file below for the epoch task).
    pub source: RegistrySource,
    /// A `registry.csv` (the epoch input format). Empty: `<data_dir>/registry.csv`. A missing
    /// file is an empty registry (every device is `unknown_device`), with a warning.
    pub csv: PathBuf,
    /// With `source = "chain"`: how often to re-read the devices.
    #[serde(with = "humantime_serde")]
    pub sync_interval: Duration,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self {
            source: RegistrySource::Csv,
            csv: PathBuf::new(),
            sync_interval: Duration::from_secs(30),
        }
    }
}

/// Where the device registry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrySource {
    /// `registry.csv`, read once at start.
    Csv,
    /// The rewards program's accounts, re-read periodically.
    Chain,
}

/// The epoch task of `oracle serve`: epoch `n` covers
/// `[start_ts + n * epoch_secs, start_ts + (n + 1) * epoch_secs)` and is published to
/// `<data_dir>/epochs/epoch-<n>/` once `close_delay` has passed after its end. `start_ts`,
/// `epoch_secs`, `initial_epoch_emission` and `halving_interval_epochs` are the network's
/// emission schedule, as on-chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EpochSettings {
    /// Whether `serve` runs the epoch task (off by default: the schedule must be chosen).
    pub enabled: bool,
    /// Start of epoch 0, unix seconds.
    pub start_ts: i64,
    /// Length of every epoch, seconds: a nonzero whole number of uptime slots.
    pub epoch_secs: u64,
    /// Length of an uptime slot, seconds (a device's uptime is the number of slots with a
    /// heartbeat): an hour on a production network; shorter for short demo epochs.
    pub uptime_slot_secs: u64,
    /// How long after an epoch's end the task waits before computing it, so that late reports
    /// (up to `ingest.max_past_skew` old) still count. Reports that arrive later are stored but
    /// never scored.
    #[serde(with = "humantime_serde")]
    pub close_delay: Duration,
    /// The network's emission schedule (the rewards program's `Network.emission`, whose
    /// `start_ts` and `epoch_secs` are the two above): each epoch's emission before the first
    /// halving, base units. With `halving_interval_epochs` it sets every epoch's budget: its
    /// emission plus the earlier epochs' emission that no device earned (carried forward).
    /// Must be set (nonzero) when the epoch task runs.
    pub initial_epoch_emission: u64,
    /// The emission halves every this many epochs. Must be set (nonzero) when the epoch task
    /// runs.
    pub halving_interval_epochs: u64,
    /// Customers whose job receipts count (base58 keys).
    pub customers: Vec<depin_formats::keys::Pubkey>,
    /// After a failed attempt (database unreachable, disk full), wait this long and retry.
    #[serde(with = "humantime_serde")]
    pub retry_interval: Duration,
}

impl Default for EpochSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            start_ts: 0,
            epoch_secs: 86_400,
            uptime_slot_secs: 3_600,
            close_delay: Duration::from_secs(3600),
            initial_epoch_emission: 0,
            halving_interval_epochs: 0,
            customers: Vec::new(),
            retry_interval: Duration::from_secs(30),
        }
    }
}

/// The submitter (`oracle submit`, and the submit task of `oracle serve`): puts each published
/// epoch's root on-chain through the rewards program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubmitSettings {
    /// Whether `serve` runs the submit task (off by default: it needs a funded oracle key).
    pub enabled: bool,
    /// JSON-RPC URLs, in failover order: a transport failure moves to the next one.
    pub rpc_urls: Vec<String>,
    /// This oracle's keypair file (Solana JSON: 64 numbers). Empty:
    /// `<data_dir>/oracle-keypair.json`. It pays the fees and the bond, and signs the votes.
    pub keypair: PathBuf,
    /// Priority fee, micro-lamports per compute unit (0: none).
    pub priority_fee: u64,
    /// While waiting on the chain (votes, the dispute window), look again this often.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// After a failed attempt (RPC down, a refused transaction), wait this long and retry.
    #[serde(with = "humantime_serde")]
    pub retry_interval: Duration,
    /// When the next epoch to become final has no posted root this long after its end, the
    /// network is stuck: a WARN with the proposals and their votes each pass, and
    /// `oracle_submit_root_overdue_seconds` above 0 (alert on it).
    #[serde(with = "humantime_serde")]
    pub overdue_after: Duration,
}

impl Default for SubmitSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            rpc_urls: vec!["http://127.0.0.1:8899".to_owned()],
            keypair: PathBuf::new(),
            priority_fee: 0,
            poll_interval: Duration::from_secs(2),
            retry_interval: Duration::from_secs(10),
            overdue_after: Duration::from_secs(30 * 60),
        }
    }
}

/// Agreement on each epoch's input (docs/oracle-agreement.md): the epoch task commits this
/// oracle's report set on-chain, fetches and acknowledges the other seats' sets, and computes
/// the epoch from the union of the sets the chain includes, so every honest oracle scores the
/// same reports whichever oracle each device reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgreementSettings {
    /// Whether the epoch task agrees on its input (it needs `submit.rpc_urls` and the oracle
    /// key). Off: each epoch is computed from this oracle's own store only, which oracles
    /// voting together must never do (one missed report splits their votes).
    pub enabled: bool,
    /// The other oracles' HTTP base URLs, asked in turn for a set by its hash
    /// (`GET <url>/v1/report-sets/<n>/<hash>`). Empty: `watch.peers`.
    pub peers: Vec<String>,
    /// Longest set this oracle fetches (and so acknowledges), bytes.
    pub max_set_bytes: u64,
    /// Longest wait for one set from a peer.
    #[serde(with = "humantime_serde")]
    pub fetch_timeout: Duration,
}

impl Default for AgreementSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            peers: Vec::new(),
            // About 14 million reports at some 300 bytes each.
            max_set_bytes: 4 << 30,
            fetch_timeout: Duration::from_secs(300),
        }
    }
}

/// The watcher (`oracle watch`, and the watch task of `oracle serve`): checks every posted root
/// against the published files (this oracle's and its peers'), proves frauds on-chain, demands a
/// leaf of a root nobody's files rebuild, and answers the demands on roots whose tree it holds
/// (`watch`, docs/oracle.md "Watching roots").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    /// Whether `serve` runs the watch task (off by default: it needs a funded key).
    pub enabled: bool,
    /// JSON-RPC URLs in failover order. Empty: `submit.rpc_urls`.
    pub rpc_urls: Vec<String>,
    /// The keypair that pays the watcher's fees, demand deposits and probe rent, and receives
    /// the challenger's share of slashed bonds and the deposits of answered demands. Empty: the
    /// oracle's keypair (`submit.keypair`, after its default).
    pub keypair: PathBuf,
    /// Oracles whose published epochs (`GET <url>/v1/epochs/<n>/wallets.csv`) to fetch.
    pub peers: Vec<WatchPeer>,
    /// Look at the chain this often.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// Wallets this watcher protects: on a posted root that no source's files rebuild, the
    /// leaf each one holds in the base (the final root the proposal extends) is demanded.
    /// Base58 keys; a wallet not in the base has nothing a root could lower.
    pub demand_wallets: Vec<String>,
    /// Leaves demanded on such a root as well (indices below the base's leaf count).
    pub demand_indices: Vec<u64>,
    /// And this many more, drawn at random (a fresh draw per proposal, secret to this process)
    /// from the base's leaves: colluders cannot tell which leaves a watcher will look at.
    pub demand_sample: u32,
    /// Most bytes read from one peer's wallets.csv (a larger one is refused unread).
    pub max_file_bytes: u64,
    /// Most lamports deposited for one demand (the deposit doubles with every 256 demands open
    /// on a root; past this the watcher opens none on it and relies on the contest).
    pub max_demand_deposit: u64,
    /// Passes in a row a posted root must stay unverifiable (no source's files rebuild it)
    /// before this watcher contests it, when it signs with a seat of the set that did not vote
    /// for it: a peer down for a moment must not hold an honest root for two timelocks.
    pub contest_after_passes: u32,
    /// Whether to contest a root whose files rebuild it but that differs from this oracle's own
    /// with no provable fraud (a misallocation, which no proof can show). While oracles can
    /// still disagree on their inputs (a missed report), an honest root may be contested by an
    /// honest oracle: it then waits two timelocks.
    pub contest_misallocations: bool,
    /// Compute-unit limit of each watcher transaction (a compute-budget instruction).
    pub compute_unit_limit: u32,
    /// Longest wait for one file from a peer.
    #[serde(with = "humantime_serde")]
    pub fetch_timeout: Duration,
}

/// One peer of the watcher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchPeer {
    /// The peer oracle's HTTP base URL, e.g. `http://oracle-2.example:8080`.
    pub url: String,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            rpc_urls: Vec::new(),
            keypair: PathBuf::new(),
            peers: Vec::new(),
            poll_interval: Duration::from_secs(10),
            demand_wallets: Vec::new(),
            demand_indices: Vec::new(),
            demand_sample: 2,
            // 2^24 wallets at about 130 bytes a row, with room to spare.
            max_file_bytes: 4 << 30,
            max_demand_deposit: crate::watch::demands::DEFAULT_MAX_DEPOSIT,
            contest_after_passes: 3,
            contest_misallocations: true,
            compute_unit_limit: 200_000,
            fetch_timeout: Duration::from_secs(60),
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("settings: {0}")]
pub struct SettingsError(#[from] Box<figment::Error>);

impl Settings {
    /// Defaults, then `file` (if given; it must exist), then the process environment.
    ///
    /// # Errors
    ///
    /// A missing or malformed file, an unknown key, or a value of the wrong type.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::figment(file, Env::prefixed(ENV_PREFIX).split("__"))
    }

    fn figment(file: Option<&Path>, env: Env) -> Result<Self, SettingsError> {
        // Env::split lowercases the key path: DEPIN_ORACLE__SERVER__LISTEN -> server.listen.
        let mut f = Figment::from(Serialized::defaults(Self::default()));
        if let Some(path) = file {
            f = f.merge(Toml::file_exact(path));
        }
        Ok(f.merge(env).extract().map_err(Box::new)?)
    }

    /// The oracle keypair path, after applying the default.
    #[must_use]
    pub fn oracle_keypair(&self) -> PathBuf {
        if self.submit.keypair.as_os_str().is_empty() {
            self.storage.data_dir.join("oracle-keypair.json")
        } else {
            self.submit.keypair.clone()
        }
    }

    /// The watcher's keypair path, after applying the default (the oracle's).
    #[must_use]
    pub fn watch_keypair(&self) -> PathBuf {
        if self.watch.keypair.as_os_str().is_empty() {
            self.oracle_keypair()
        } else {
            self.watch.keypair.clone()
        }
    }

    /// The watcher's RPC URLs, after applying the default (`submit.rpc_urls`).
    #[must_use]
    pub fn watch_rpc_urls(&self) -> &[String] {
        if self.watch.rpc_urls.is_empty() {
            &self.submit.rpc_urls
        } else {
            &self.watch.rpc_urls
        }
    }

    /// The registry CSV path, after applying the default.
    #[must_use]
    pub fn registry_csv(&self) -> PathBuf {
        if self.registry.csv.as_os_str().is_empty() {
            self.storage.data_dir.join("registry.csv")
        } else {
            self.registry.csv.clone()
        }
    }
}
