//! `depin-dev`: the developer commands, which run the protocol on this machine.
//! - `localnet` runs a local Solana validator with real JSON-RPC and the programs deployed (see
//!   `localnet` and the `depin-localnet` crate) until Ctrl-C;
//! - `sim` is the main job: the local network, the migrations, two `oracle serve` processes and a
//!   simulated fleet (see `sim`).
//!
//! They link the in-process validator (agave and RocksDB), which is why they are not in the
//! owners' `depin` (app/cli).
mod idl_cases;
mod localnet;
mod sim;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "depin-dev",
    version,
    about = "DePIN reward protocol: the local network and the fleet simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main job: a local Solana network over JSON-RPC, the migrations, two oracle processes
    /// and a fleet of simulated devices: onboarding, signed reports with faults, epochs in real
    /// time, roots voted and finalized, claims, customer payments and the stakers' revenue share,
    /// then a report with exact conservation checks.
    Sim(SimArgs),
    /// Run a local Solana validator with real JSON-RPC and the programs deployed, until Ctrl-C.
    ///
    /// A new ledger gets rewards, staking and treasury from target/deploy (upgrade authority: the
    /// ledger's deployer-keypair.json) plus SPL Token, Token-2022 and ATA; an existing one is
    /// resumed as it was.
    Localnet(localnet::Args),
    /// Write the instructions wallets and cranks send, built by the sdk from a running network's
    /// accounts, for the stock Anchor client test (tests/idl-client).
    IdlCases(idl_cases::Args),
}

#[derive(clap::Args)]
struct SimArgs {
    /// Simulated devices.
    #[arg(long, default_value_t = 1_000)]
    devices: usize,
    /// Owners (devices are shared out round-robin); default: one per four devices.
    #[arg(long)]
    owners: Option<usize>,
    /// Epochs to run (each takes its real length: 15 s on the local network, set by
    /// `epoch_secs` in migrations/localnet.toml).
    #[arg(long, default_value_t = 3)]
    epochs: u64,
    /// Customers paying in USDC, each once per epoch.
    #[arg(long, default_value_t = 5)]
    customers: usize,
    /// Seed of the fleet (keys, faults).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Where the ledger, the oracles' data and transparency files, treasury.json and
    /// report.json go (cleared first).
    #[arg(long, default_value = "target/sim")]
    out: PathBuf,
    /// Print the report as JSON (and no progress).
    #[arg(long)]
    json: bool,
    /// After the report, keep the local network, the oracles and the web app running (until
    /// Ctrl-C), so the printed URLs can be opened.
    #[arg(long)]
    keep_running: bool,
    /// Owners owed rewards that leave them unclaimed, to claim by hand or from the web app
    /// (their keypairs are written to <out>/owners/<wallet>.json).
    #[arg(long, default_value_t = 0)]
    leave_unclaimed: usize,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Sim(a) => sim::run(&sim::Options {
            devices: a.devices,
            owners: a.owners.unwrap_or(a.devices.div_ceil(4)),
            epochs: a.epochs,
            customers: a.customers,
            seed: a.seed,
            out: a.out,
            json: a.json,
            keep_running: a.keep_running,
            leave_unclaimed: a.leave_unclaimed,
        }),
        Command::Localnet(a) => localnet::run(a),
        Command::IdlCases(a) => idl_cases::run(a),
    }
}
