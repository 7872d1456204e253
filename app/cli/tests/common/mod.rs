//! What the CLI's local-validator tests share: the `depin` binary run against a cluster, keypair
//! files, owners funded from the genesis supply, and oracle seats putting roots on-chain through
//! the oracle's submitter.
#![allow(dead_code)] // each test binary uses its part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use depin_client::Sender;
use depin_client::builders::{
    TokenProgram, associated_token_address, create_associated_token_account_idempotent, rewards_ix,
    transfer_checked,
};
use depin_client::solana_keypair::{Keypair, read_keypair_file, write_keypair_file};
use depin_client::solana_signer::Signer;
use depin_oracle::chain::submit::{Progress, Submitter};
use depin_oracle::settings::StorageSettings;
use depin_oracle::store::{PublishedEpoch, Store};
use serde_json::Value;

/// The network token's program under migrations/localnet.toml.
pub const TP: TokenProgram = TokenProgram::SplToken;

/// The repository.
pub fn root() -> PathBuf {
    depin_localnet::workspace_root().expect("no Anchor.toml above CARGO_MANIFEST_DIR")
}

/// The `depin` binary against one cluster.
pub struct Cli {
    pub url: String,
}

impl Cli {
    /// `depin <args> -u <url> -k <keypair>`.
    pub fn run(&self, keypair: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_depin"))
            .args(args)
            .args(["-u", &self.url, "-k"])
            .arg(keypair)
            .output()
            .unwrap()
    }

    /// Runs `args` with `--json`, which must succeed, and parses its output: one JSON value, or
    /// one per line (the last is returned).
    pub fn json(&self, keypair: &Path, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.run(keypair, &all);
        assert!(
            out.status.success(),
            "depin {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            let stdout = String::from_utf8_lossy(&out.stdout);
            serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
        })
    }

    /// Runs a command that must fail; returns its stderr.
    pub fn refused(&self, keypair: &Path, args: &[&str]) -> String {
        let out = self.run(keypair, args);
        assert!(!out.status.success(), "depin {args:?} should have failed");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// A sibling binary of `depin` in the same target directory (cargo gives a test only its own
/// package's binaries): `depin-maker`, `depin-agent`. Build them first:
/// `cargo build -p depin-maker -p depin-agent --bins`.
pub fn sibling_binary(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_depin")).with_file_name(name);
    assert!(
        path.exists(),
        "{} is missing: build it first (cargo build -p depin-maker -p depin-agent --bins)",
        path.display()
    );
    path
}

/// A running `depin-maker serve` process (killed on drop).
pub struct MakerService {
    pub url: String,
    pub state_dir: PathBuf,
    child: std::process::Child,
}

impl MakerService {
    /// `depin-maker serve` on a free loopback port against `rpc_url`, with the key file `key`
    /// (mode 0600), the state directory `state_dir` and extra `DEPIN_MAKER__*` settings; its log
    /// goes to `<state_dir>.log`.
    pub fn start(rpc_url: &str, key: &Path, state_dir: &Path, env: &[(&str, &str)]) -> Self {
        use std::io::BufRead as _;
        let mut child = Command::new(sibling_binary("depin-maker"))
            .arg("serve")
            .env("DEPIN_MAKER__LISTEN", "127.0.0.1:0")
            .env("DEPIN_MAKER__RPC_URL", rpc_url)
            .env("DEPIN_MAKER__KEYPAIR", key)
            .env("DEPIN_MAKER__STATE_DIR", state_dir)
            .envs(env.iter().map(|(k, v)| (format!("DEPIN_MAKER__{k}"), *v)))
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(state_dir.with_extension("log")).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("depin-maker serve printed {line:?}"));
        Self {
            url: format!("http://{addr}"),
            state_dir: state_dir.to_path_buf(),
            child,
        }
    }
}

impl MakerService {
    /// `depin-maker provision --device <device>` on this service's state directory: the maker
    /// made this device, and the running service signs for it from now on.
    pub fn provision(&self, device: &anchor_lang::prelude::Pubkey) {
        let out = Command::new(sibling_binary("depin-maker"))
            .args(["provision", "--device", &device.to_string()])
            .env("DEPIN_MAKER__STATE_DIR", &self.state_dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for MakerService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `src` copied to `dir/name` with mode 0600 (a key file the maker service accepts).
pub fn private_copy(src: &Path, dir: &Path, name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::copy(src, &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// The onboarding code a device key held by the test prints for `owner` (a connectivity device,
/// valid for an hour).
pub fn code_for(device: &Keypair, owner: &Pubkey) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    depin_client::onboarding::local_code(
        device,
        owner,
        rewards_ix::DeviceKind::Connectivity,
        i64::try_from(now).unwrap() + 3600,
    )
    .encode()
}

/// Writes `keypair` to `dir/name`.
pub fn keypair_file(dir: &Path, name: &str, keypair: &Keypair) -> PathBuf {
    let path = dir.join(name);
    write_keypair_file(keypair, &path).unwrap();
    path
}

/// 1 SOL for fees and `tokens` network tokens from the genesis account.
pub async fn fund_owner(sender: &Sender, deployer: &Keypair, owner: &Pubkey, tokens: u64) {
    let mint = rewards_ix::mint_pda().0;
    let ata = associated_token_address(owner, &mint, TP);
    let ixs = [
        anchor_lang::solana_program::system_instruction::transfer(
            &deployer.pubkey(),
            owner,
            1_000_000_000,
        ),
        create_associated_token_account_idempotent(&deployer.pubkey(), owner, &mint, TP),
        transfer_checked(
            TP,
            &rewards_ix::genesis_pda().0,
            &mint,
            &ata,
            &deployer.pubkey(),
            tokens,
            6,
        ),
    ];
    sender.send("fund", &ixs, deployer, &[]).await.unwrap();
}

/// Oracle seats `0..n` of the localnet set (`keys/localnet-oracle-<i>.json`), each given 5 SOL
/// for its votes, and a fresh oracle store under `dir` for their submitters.
pub async fn oracle_seats(
    sender: &Sender,
    deployer: &Keypair,
    n: usize,
    dir: &Path,
) -> (Vec<Keypair>, Store) {
    let store = Store::connect(&StorageSettings {
        data_dir: dir.to_path_buf(),
        ..StorageSettings::default()
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let mut oracles = Vec::with_capacity(n);
    for i in 0..n {
        let key = read_keypair_file(root().join(format!("keys/localnet-oracle-{i}.json"))).unwrap();
        let fund = anchor_lang::solana_program::system_instruction::transfer(
            &deployer.pubkey(),
            &key.pubkey(),
            5_000_000_000,
        );
        sender
            .send("fund oracle", &[fund], deployer, &[])
            .await
            .unwrap();
        oracles.push(key);
    }
    (oracles, store)
}

/// Votes `published` (extending `base`) through the oracles' submitters, one round a second,
/// until its root is final; panics at `deadline`.
pub async fn post_until_final(
    sender: &Sender,
    oracles: &[Keypair],
    store: &Store,
    published: &PublishedEpoch,
    base: Option<&PublishedEpoch>,
    deadline: Instant,
) {
    loop {
        assert!(
            Instant::now() < deadline,
            "epoch {} not final in time",
            published.epoch
        );
        for o in oracles {
            let mut s = Submitter::new(sender, o, store);
            if s.advance(published, base).await.unwrap() == Progress::Final {
                return;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
