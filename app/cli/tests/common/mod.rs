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
