//! Real `oracle serve` processes on a local network, for the end-to-end tests: each with its own
//! data directory, database, `registry.csv` and key, the epoch task and the submitter.

use std::future::Future;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use depin_client::Sender;
use depin_client::accounts::fetch;
use depin_client::builders::rewards_ix;
use depin_client::solana_keypair::Keypair;
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer;
use depin_formats::transparency::{
    EPOCHS_DIR, MANIFEST_HASH, WALLETS_CSV, WalletRow, epoch_dir_name, parse_wallets_csv,
};
use rewards::state::Network;

pub fn workspace_root() -> PathBuf {
    depin_localnet::workspace_root().expect("no Anchor.toml above CARGO_MANIFEST_DIR")
}

pub fn unix_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// Polls `probe` every 250 ms until it gives a value; fails after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn network(sender: &Sender) -> Network {
    fetch::<Network>(sender, "network", &rewards_ix::network_pda().0)
        .await
        .unwrap()
        .unwrap()
}

pub async fn airdrop(sender: &Sender, to: &Pubkey, lamports: u64) {
    let signature = sender.rpc().request_airdrop(to, lamports).await.unwrap();
    wait_for("airdrop", Duration::from_secs(20), || async {
        sender
            .rpc()
            .confirm_transaction(&signature)
            .await
            .unwrap()
            .then_some(())
    })
    .await;
}

pub fn write_keypair(path: &Path, key: &Keypair) {
    std::fs::write(
        path,
        serde_json::to_string(&key.to_bytes().to_vec()).unwrap(),
    )
    .unwrap();
}

/// A published epoch as the claims read it: its wallets.csv and the vote it makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub csv: String,
    pub rows: Vec<WalletRow>,
    pub args: rewards_ix::VoteRootArgs,
}

/// A running `oracle serve`, killed when dropped.
pub struct OracleProc {
    pub name: String,
    pub key: Pubkey,
    pub data: PathBuf,
    pub url: String,
    pub child: Child,
}

impl Drop for OracleProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OracleProc {
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(self.data.join("oracle.log")) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// Its published epoch `n`: the wallets.csv rows and the vote they make.
    pub fn published(&self, n: u64) -> Option<Published> {
        let dir = self.data.join(EPOCHS_DIR).join(epoch_dir_name(n));
        let csv = std::fs::read(dir.join(WALLETS_CSV)).ok()?;
        let hash = std::fs::read_to_string(dir.join(MANIFEST_HASH)).ok()?;
        let rows = parse_wallets_csv(&csv).unwrap();
        // An epoch without a wallet votes the empty root: zero hash, total and leaves.
        let root = depin_formats::tree::root(&rows)
            .unwrap()
            .map_or(([0; 32], 0), |r| (r.hash, r.sum));
        let manifest_hash: [u8; 32] = hex::decode(hash.trim()).unwrap().try_into().unwrap();
        let args = rewards_ix::VoteRootArgs {
            epoch: n,
            root: root.0,
            total: root.1,
            leaves: u64::try_from(rows.len()).unwrap(),
            manifest_hash,
        };
        let csv = String::from_utf8(csv).unwrap();
        Some(Published { csv, rows, args })
    }

    /// Its published epoch `n`, once it is there.
    pub async fn wait_published(&self, n: u64, timeout: Duration) -> Published {
        let what = format!("oracle {}'s epoch {n}", self.name);
        wait_for(&what, timeout, || async { self.published(n) }).await
    }

    /// `GET /metrics`, the sample named `line` (e.g. `oracle_watch_frauds_found_total{...}`).
    pub async fn metric(&self, line: &str) -> Option<u64> {
        let text = reqwest::get(format!("{}/metrics", self.url))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix(line)?.strip_prefix(' ')?.parse().ok())
    }

    /// Stops it at once (SIGKILL), as a crash or a power cut would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What every oracle of a test shares.
pub struct Common<'a> {
    pub dir: &'a Path,
    /// Whether the oracles agree on each epoch's input (`agreement.enabled`).
    pub agreement: bool,
    pub rpc_url: String,
    pub network: &'a Network,
    pub registry: String,
    /// `epoch.uptime_slot_secs`.
    pub slot_secs: u64,
    /// `epoch.close_delay`, seconds.
    pub close_delay_secs: u64,
}

/// A port free on the loopback now (to give an oracle a known address before it starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `oracle serve` for `key` in `<dir>/<name>` (again, on the same data, if it ran
/// before) on `port` (0: any) and waits for its HTTP address. `extra` is appended to its TOML.
pub fn start_oracle(
    c: &Common<'_>,
    name: &str,
    key: &Keypair,
    port: u16,
    extra: &str,
    env: &[(&str, String)],
) -> OracleProc {
    let data = c.dir.join(name);
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("registry.csv"), &c.registry).unwrap();
    let key_path = data.join("oracle-keypair.json");
    write_keypair(&key_path, key);
    let e = &c.network.emission;
    let config = data.join("oracle.toml");
    std::fs::write(
        &config,
        format!(
            r#"[server]
listen = "127.0.0.1:{port}"
shutdown_grace = "1s"

[storage]
data_dir = {data:?}

[epoch]
enabled = true
start_ts = {start_ts}
epoch_secs = {epoch_secs}
uptime_slot_secs = {slot_secs}
close_delay = "{close_delay}s"
initial_epoch_emission = {emission}
halving_interval_epochs = {halving}
retry_interval = "1s"

[submit]
enabled = true
rpc_urls = [{rpc:?}]
keypair = {key_path:?}
poll_interval = "500ms"
retry_interval = "1s"

[agreement]
enabled = {agreement}
fetch_timeout = "5s"
{extra}"#,
            start_ts = e.start_ts,
            epoch_secs = e.epoch_secs,
            slot_secs = c.slot_secs,
            close_delay = c.close_delay_secs,
            emission = e.initial_epoch_emission,
            halving = e.halving_interval_epochs,
            rpc = c.rpc_url,
            agreement = c.agreement,
        ),
    )
    .unwrap();
    // Appended, so that a restarted oracle's log keeps its first life.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("oracle.log"))
        .unwrap();
    let lives_before = count_listening(&data);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oracle"));
    cmd.args(["serve", "--config"])
        .arg(&config)
        .current_dir(&data)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut oracle = OracleProc {
        name: name.to_owned(),
        key: key.pubkey(),
        data,
        url: String::new(),
        child: cmd.spawn().unwrap(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = oracle.log();
        let urls: Vec<&str> = log
            .lines()
            .filter_map(|l| l.strip_prefix("listening on "))
            .collect();
        if urls.len() > lives_before {
            oracle.url = urls[urls.len() - 1].to_owned();
            return oracle;
        }
        if let Some(status) = oracle.child.try_wait().unwrap() {
            panic!("oracle {name} exited ({status}):\n{log}");
        }
        assert!(
            Instant::now() < deadline,
            "oracle {name} did not listen within 30 s:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn count_listening(data: &Path) -> usize {
    std::fs::read_to_string(data.join("oracle.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("listening on "))
        .count()
}

/// On a failure, the end of every oracle's log (the temporary directory goes with the test):
/// each oracle's name and data directory.
pub struct LogsOnPanic(pub Vec<(String, PathBuf)>);

impl LogsOnPanic {
    pub fn of(oracles: &[OracleProc]) -> Self {
        Self(
            oracles
                .iter()
                .map(|o| (o.name.clone(), o.data.clone()))
                .collect(),
        )
    }
}

impl Drop for LogsOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for (name, data) in &self.0 {
                let log = std::fs::read_to_string(data.join("oracle.log")).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(60)..].join("\n");
                eprintln!("---- oracle {name}, last lines:\n{tail}");
            }
        }
    }
}
