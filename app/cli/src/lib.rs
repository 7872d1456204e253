//! The `depin` CLI's commands, as a library so the developer tool (`depin-dev`, app/dev) reuses
//! them (the simulator's buyback and payments are the same code an operator runs).
//!
//! Everything here speaks JSON-RPC through `depin-client`; nothing links a validator, LiteSVM or
//! the oracle engine.
pub mod commands;

use std::path::PathBuf;

use anyhow::{Context, Result};
use depin_client::Sender;
use depin_client::solana_keypair::Keypair;
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer as _;

/// The multi-threaded tokio runtime the network commands run on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the tokio runtime")
}

/// Where to send and who signs, with the Solana CLI's conventions. The flags are global, so
/// they may follow a nested subcommand (`depin gov propose rewards dispute-secs 5 -u l`).
#[derive(clap::Args)]
pub struct ClusterArgs {
    /// JSON-RPC URL or moniker (localhost, devnet, testnet, mainnet-beta; or l, d, t, m).
    /// Default: `json_rpc_url` in ~/.config/solana/cli/config.yml, else localhost.
    #[arg(long, short = 'u', global = true)]
    pub url: Option<String>,
    /// Keypair file that signs and pays (commands that only read load none). Default:
    /// `keypair_path` in the Solana CLI config, else ~/.config/solana/id.json.
    #[arg(long, short = 'k', global = true)]
    pub keypair: Option<PathBuf>,
    /// Priority fee in micro-lamports per compute unit.
    #[arg(long, default_value_t = 0, global = true)]
    pub priority_fee: u64,
}

impl ClusterArgs {
    /// The sender and the signer these flags name.
    ///
    /// # Errors
    ///
    /// An unknown `--url` moniker, or a keypair file that cannot be read.
    pub fn connect(&self) -> Result<(Sender, Keypair)> {
        Ok(depin_client::cluster::connect(
            self.url.as_deref(),
            self.keypair.as_deref(),
            self.priority_fee,
        )?)
    }

    /// The sender these flags name, for a command that only reads: no keypair is loaded, so
    /// none is needed.
    ///
    /// # Errors
    ///
    /// An unknown `--url` moniker.
    pub fn reader(&self) -> Result<Sender> {
        Ok(depin_client::cluster::reader(
            self.url.as_deref(),
            self.priority_fee,
        )?)
    }

    /// For a command that reads about one wallet: that wallet when it is named, else the
    /// keypair's (loaded only then).
    ///
    /// # Errors
    ///
    /// An unknown `--url` moniker, or (with no wallet named) a keypair file that cannot be read.
    pub fn reader_about(&self, wallet: Option<Pubkey>) -> Result<(Sender, Pubkey)> {
        match wallet {
            Some(wallet) => Ok((self.reader()?, wallet)),
            None => self.connect().map(|(sender, me)| (sender, me.pubkey())),
        }
    }
}

/// How a command prints: text for a person, or with `--json` exactly one JSON document on
/// stdout (an error then is `{"error": "<reason>"}` on stdout and a non-zero exit: `main.rs`).
/// Every command flattens this one flag.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct Output {
    /// Print exactly one JSON document on stdout; an error is {"error": "<reason>"} with a
    /// non-zero exit.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Output {
    /// `value` as one JSON document when `--json`, else `text()`.
    pub fn print(self, value: &serde_json::Value, text: impl FnOnce()) {
        if self.json {
            println!("{value}");
        } else {
            text();
        }
    }
}

/// An error whose details the command has already printed (its `--json` document, or a line
/// per failure on stderr): `main` exits non-zero with this message on stderr and prints no
/// second JSON document.
#[derive(Debug)]
pub struct Reported(pub String);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reported {}

/// Base units as whole tokens with all decimals.
#[must_use]
pub fn tokens(amount: u64, decimals: u8) -> String {
    let unit = 10u64.pow(u32::from(decimals));
    if decimals == 0 {
        return amount.to_string();
    }
    format!(
        "{}.{:0width$}",
        amount / unit,
        amount % unit,
        width = usize::from(decimals)
    )
}
