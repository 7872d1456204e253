//! The oracles: real `oracle serve` processes on SQLite, one per seat, each with its own data
//! folder, log and HTTP ingest, syncing its registry from the chain, closing epochs and putting
//! roots on-chain with its own key.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_formats::transparency::{EPOCHS_DIR, epoch_dir_name};

/// The uptime slot of the simulated network: five per 15 s epoch.
pub const SLOT_SECS: u64 = 3;

/// How old a report may be when an oracle takes it, and so how long after its end an epoch
/// closes: room to sign and deliver one slot of the fleet's reports to both oracles, about a
/// second per thousand devices on this machine, plus a margin.
#[must_use]
pub fn skew_secs(devices: usize) -> u64 {
    4 + u64::try_from(devices / 1_000).unwrap_or(u64::MAX / 2)
}

/// One running oracle.
pub struct Oracle {
    pub seat: usize,
    pub keypair: Keypair,
    pub data_dir: PathBuf,
    pub url: String,
    child: Child,
}

impl Drop for Oracle {
    fn drop(&mut self) {
        // A run that fails half-way must not leave oracles behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What every oracle is configured with.
pub struct OracleParams<'a> {
    pub root: &'a Path,
    pub out: &'a Path,
    pub rpc_url: &'a str,
    /// The network's emission schedule (`Network.emission`): the epochs' times, and the amounts
    /// each epoch's budget follows from (its emission plus what earlier epochs did not give out).
    pub start_ts: i64,
    pub epoch_secs: u64,
    pub initial_epoch_emission: u64,
    pub halving_interval_epochs: u64,
    /// [`skew_secs`] for the fleet.
    pub skew_secs: u64,
    /// Each seat's HTTP port, chosen before any starts, so that each knows its peers' URLs
    /// for the agreement on the epochs' inputs.
    pub ports: Vec<u16>,
}

/// A port free on the loopback now.
///
/// # Errors
///
/// No port can be bound.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn settings(p: &OracleParams<'_>, seat: usize, data_dir: &Path, key: &Path) -> String {
    let port = p.ports.get(seat).copied().unwrap_or(0);
    let peers: Vec<String> = p
        .ports
        .iter()
        .enumerate()
        .filter(|(s, _)| *s != seat)
        .map(|(_, port)| format!("\"http://127.0.0.1:{port}\""))
        .collect();
    format!(
        r#"# Written by `depin-dev sim`: oracle seat settings for the local network.
[server]
listen = "127.0.0.1:{port}"
max_batch_reports = 4096
max_body_bytes = 4194304
shutdown_grace = "2s"

[ingest]
# Reports are sent as they are made; an epoch closes when the oldest report it takes is due.
max_past_skew = "{skew}s"
max_future_skew = "5s"
# The simulator relays every device's reports from one address: no per-address budget.
peer_rate_limit_reports = 0

[storage]
data_dir = {data_dir:?}

[registry]
source = "chain"
sync_interval = "1s"

[epoch]
enabled = true
start_ts = {start_ts}
epoch_secs = {epoch_secs}
uptime_slot_secs = {SLOT_SECS}
close_delay = "{skew}s"
# The network's emission schedule: each epoch's budget is its emission plus the emission of the
# earlier epochs that no device earned (carried forward).
initial_epoch_emission = {initial_epoch_emission}
halving_interval_epochs = {halving_interval_epochs}
retry_interval = "2s"

[submit]
enabled = true
rpc_urls = [{rpc_url:?}]
keypair = {key:?}
poll_interval = "1s"
retry_interval = "2s"

[agreement]
# Each device reaches only some of the oracles: they agree on every epoch's input on-chain
# (docs/oracle-agreement.md) and score the union of their report sets.
enabled = true
peers = [{peers}]
fetch_timeout = "10s"
{web}"#,
        web = web_section(p),
        start_ts = p.start_ts,
        epoch_secs = p.epoch_secs,
        initial_epoch_emission = p.initial_epoch_emission,
        halving_interval_epochs = p.halving_interval_epochs,
        rpc_url = p.rpc_url,
        skew = p.skew_secs,
        peers = peers.join(", "),
    )
}

/// The web app's build (`app/web/dist`, by `app/web/scripts/setup`), when there is one.
pub fn web_dir(root: &Path) -> Option<PathBuf> {
    let dir = root.join("app/web/dist");
    dir.join("index.html").is_file().then_some(dir)
}

/// The web app's section when it is built: every seat serves it at `/`, reading the chain
/// through the local validator.
fn web_section(p: &OracleParams<'_>) -> String {
    let Some(dir) = web_dir(p.root) else {
        return String::new();
    };
    format!(
        "\n[web]\n# The web app (app/web), on this oracle's origin.\ndir = {dir:?}\nrpc_url = {:?}\n",
        p.rpc_url
    )
}

/// `oracle serve` with `<data_dir>/oracle.toml`, logging to `<data_dir>/oracle.log` (a new
/// log each start).
fn spawn(data_dir: &Path) -> Result<Child> {
    let config = data_dir.join("oracle.toml");
    let log_path = data_dir.join("oracle.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    Command::new(oracle_binary()?)
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().context("log file")?)
        .stderr(log)
        .spawn()
        .context("starting oracle serve")
}

/// The address `oracle serve` printed ("listening on http://ADDR") in its log.
fn listening(log: &Path) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(log)
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("listening on "))
        .map(str::to_string)
}

/// The `oracle` binary next to this one (cargo builds both into the same folder).
fn oracle_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("where is this binary?")?;
    let bin = exe.with_file_name("oracle");
    if !bin.is_file() {
        bail!(
            "{} is missing: build the workspace first (cargo build --workspace)",
            bin.display()
        );
    }
    Ok(bin)
}

impl Oracle {
    /// Starts seat `seat` (key `keys/localnet-oracle-<seat>.json`) and waits for its HTTP ingest.
    pub fn start(p: &OracleParams<'_>, seat: usize) -> Result<Self> {
        let key = p.root.join(format!("keys/localnet-oracle-{seat}.json"));
        let keypair =
            read_keypair_file(&key).map_err(|e| anyhow!("oracle key {}: {e}", key.display()))?;
        let data_dir = p.out.join(format!("oracle-{seat}"));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let config = data_dir.join("oracle.toml");
        std::fs::write(&config, settings(p, seat, &data_dir, &key))
            .with_context(|| format!("writing {}", config.display()))?;
        let child = spawn(&data_dir)?;
        let mut oracle = Self {
            seat,
            keypair,
            data_dir,
            url: String::new(),
            child,
        };
        oracle.url = oracle.await_listening()?;
        Ok(oracle)
    }

    /// Starts it again after [`Oracle::stop`], with the same settings (and so the same URL); the
    /// first run's log becomes `oracle.log.1`.
    ///
    /// # Errors
    ///
    /// As [`Oracle::start`].
    pub fn restart(&mut self) -> Result<()> {
        // The first run's log is kept beside the new one.
        let log = self.data_dir.join("oracle.log");
        std::fs::rename(&log, self.data_dir.join("oracle.log.1"))
            .with_context(|| format!("keeping {}", log.display()))?;
        self.child = spawn(&self.data_dir)?;
        self.url = self.await_listening()?;
        Ok(())
    }

    /// The URL `oracle serve` says it listens on, within 30 s.
    fn await_listening(&mut self) -> Result<String> {
        let log_path = self.data_dir.join("oracle.log");
        let seat = self.seat;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(url) = listening(&log_path) {
                return Ok(url);
            }
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "oracle {seat} exited ({status}) before listening; see {}",
                    log_path.display()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "oracle {seat} did not listen within 30 s; see {}",
                    log_path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Devices in the registry the oracle last synced from the chain.
    pub fn registered(&self) -> usize {
        std::fs::read_to_string(self.data_dir.join("registry.csv"))
            .map(|s| s.lines().count().saturating_sub(1))
            .unwrap_or(0)
    }

    /// Where the oracle published epoch `n`.
    pub fn epoch_dir(&self, n: u64) -> PathBuf {
        self.data_dir.join(EPOCHS_DIR).join(epoch_dir_name(n))
    }

    /// The epochs it has published so far (`<data_dir>/epochs/epoch-<n>`; a folder still being
    /// written is named `epoch-<n>.tmp`).
    pub fn published_epochs(&self) -> Result<Vec<u64>> {
        let dir = self.data_dir.join(EPOCHS_DIR);
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut epochs = Vec::new();
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let name = entry?.file_name();
            if let Some(n) = name.to_str().and_then(|n| n.strip_prefix("epoch-"))
                && let Ok(n) = n.parse::<u64>()
                && epoch_dir_name(n) == name.to_string_lossy()
            {
                epochs.push(n);
            }
        }
        epochs.sort_unstable();
        Ok(epochs)
    }

    /// Stops it with SIGTERM (a graceful shutdown), SIGKILL after 10 s.
    pub fn stop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The ingest's counters from `/metrics`: accepted reports, and refusals by reason.
    pub async fn metrics(&self, http: &reqwest::Client) -> Result<(u64, BTreeMap<String, u64>)> {
        let text = http
            .get(format!("{}/metrics", self.url))
            .send()
            .await?
            .text()
            .await?;
        let mut accepted = 0;
        let mut rejected = BTreeMap::new();
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("oracle_reports_accepted_total ") {
                accepted = v.trim().parse().unwrap_or(0);
            } else if let Some(rest) = line.strip_prefix("oracle_ingest_rejected_total{reason=\"")
                && let Some((reason, value)) = rest.split_once("\"} ")
            {
                rejected.insert(reason.to_string(), value.trim().parse().unwrap_or(0));
            }
        }
        Ok((accepted, rejected))
    }
}
