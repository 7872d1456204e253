//! `depin`: the protocol's command-line tool.
//!
//! Commands so far:
//! - `demo` deploys the three programs (as built SBF) into an in-process Solana runtime (LiteSVM),
//!   initialises the network, staking and the treasury, then runs the reward path for a few
//!   epochs with simulated devices (see `reward_path`) and prints what happened;
//! - `localnet` runs a local Solana validator with real JSON-RPC and the programs deployed (see
//!   `localnet` and the `depin-localnet` crate) until Ctrl-C;
//! - `migrate` initialises a cluster over JSON-RPC from a config file (`depin-migrations`);
//! - `device onboard | transfer | decommission | list` and `rewards status | claim` (`owner`);
//! - `pay` and `treasury report` (`treasury`).
//!
//! - `stake lock | extend | unlock | unstake | withdraw | claim-revenue | status` (`stake`).
//!
//! Still to come: `treasury buyback`, and the fleet simulator on the local network.
mod localnet;
mod migrate;
mod owner;
mod reward_path;
mod sim;
mod stake;
mod treasury;

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};

use anchor_lang::prelude::Pubkey;
use harness::builders::{GenesisParams, genesis};
use harness::solana_signer::Signer;
use harness::{PROTOCOL_PROGRAMS, TestEnv, TokenProgram};

#[derive(Parser)]
#[command(
    name = "depin",
    version,
    about = "DePIN reward protocol: owners, operators, treasury"
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
    Sim {
        /// Simulated devices.
        #[arg(long, default_value_t = 1_000)]
        devices: usize,
        /// Owners (devices are shared out round-robin); default: one per four devices.
        #[arg(long)]
        owners: Option<usize>,
        /// Epochs to run (each takes its real length: 60 s on the local network).
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
    },
    /// Deploy the programs into an in-process runtime, initialise them, and print what was created.
    Demo {
        /// Put the network token under Token-2022 instead of SPL Token.
        #[arg(long)]
        token_2022: bool,
        /// Token decimals.
        #[arg(long, default_value_t = 6)]
        decimals: u8,
        /// Maximum supply, in whole tokens.
        #[arg(long, default_value_t = 10_000_000_000)]
        max_supply: u64,
        /// Epochs of the reward path to run after genesis (0: genesis only).
        #[arg(long, default_value_t = 3)]
        epochs: u64,
        /// Simulated devices.
        #[arg(long, default_value_t = 10)]
        devices: u8,
        /// Simulated owners (devices are shared out round-robin).
        #[arg(long, default_value_t = 4)]
        owners: u8,
        /// Where the oracle's inputs and transparency files go (cleared first).
        #[arg(long, default_value = "target/demo")]
        out: PathBuf,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Run a local Solana validator with real JSON-RPC and the programs deployed, until Ctrl-C.
    ///
    /// A new ledger gets rewards, staking and treasury from target/deploy (upgrade authority: the
    /// ledger's deployer-keypair.json) plus SPL Token, Token-2022 and ATA; an existing one is
    /// resumed as it was.
    Localnet {
        /// The ledger folder (default: target/localnet in the repository).
        #[arg(long)]
        ledger: Option<PathBuf>,
        /// JSON-RPC port; PubSub (WebSocket) listens on the next one.
        #[arg(long, default_value_t = depin_localnet::DEFAULT_RPC_PORT)]
        rpc_port: u16,
        /// Faucet port (requestAirdrop).
        #[arg(long, default_value_t = depin_localnet::DEFAULT_FAUCET_PORT)]
        faucet_port: u16,
        /// Where rewards.so, staking.so and treasury.so are (default: target/deploy in the
        /// repository); read only when a new ledger is created.
        #[arg(long)]
        programs: Option<PathBuf>,
        /// Delete the ledger first and start from a new genesis (redeploys the programs).
        #[arg(long)]
        reset: bool,
    },
    /// A customer pays for service in an accepted stablecoin, from its associated token account;
    /// the treasury splits it into buyback, stakers and operations.
    Pay {
        /// The stablecoin's mint.
        #[arg(long)]
        mint: Pubkey,
        /// Amount in the coin's base units (USDC: 1,000,000 = 1 USDC).
        #[arg(long)]
        amount: u64,
        /// The invoice reference (1 to 32 bytes of text), echoed in the payment's event.
        #[arg(long)]
        reference: String,
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Devices: onboard, transfer, decommission, list.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Rewards: what a wallet has earned and claimed, and claims.
    Rewards {
        #[command(subcommand)]
        command: RewardsCommand,
    },
    /// Staking: lock, extend, unlock, unstake, withdraw, claim revenue, status.
    Stake {
        #[command(subcommand)]
        command: StakeCommand,
    },
    /// The treasury: the buyback-and-burn crank and the transparency report.
    Treasury {
        #[command(subcommand)]
        command: TreasuryCommand,
    },
    /// Initialise a cluster from a config file (migrations/localnet.toml by default),
    /// idempotently: what exists and matches is left alone, what differs is reported, only what
    /// is missing is sent.
    Migrate {
        /// The deployment config.
        #[arg(long, default_value = "migrations/localnet.toml")]
        config: PathBuf,
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Register a device owned by the signer: the device and an approved maker co-sign, and
    /// one device's collateral is bound in the signer's staking position.
    Onboard {
        /// The device's keypair (it signs the device's reports).
        #[arg(long)]
        device_keypair: PathBuf,
        /// The maker's keypair (an approved maker co-signs every onboarding).
        #[arg(long)]
        maker_keypair: PathBuf,
        /// Asserted location: an H3 cell index in hex.
        #[arg(long)]
        location: String,
        /// What the device does.
        #[arg(long, value_enum, default_value_t = Kind::Connectivity)]
        kind: Kind,
        /// The signer's staking position that holds the collateral.
        #[arg(long, default_value_t = 0)]
        position_id: u64,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Give a device to a new owner (both sign); its collateral moves to their position.
    Transfer {
        #[arg(long)]
        device: Pubkey,
        /// The new owner's keypair (they co-sign and must have collateral staked).
        #[arg(long)]
        new_owner_keypair: PathBuf,
        /// The new owner's staking position for the collateral.
        #[arg(long, default_value_t = 0)]
        new_position_id: u64,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Retire a device for good; its collateral is released.
    Decommission {
        #[arg(long)]
        device: Pubkey,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Every registered device, or one owner's.
    List {
        #[arg(long)]
        owner: Option<Pubkey>,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Kind {
    Connectivity,
    Compute,
}

#[derive(Subcommand)]
enum RewardsCommand {
    /// The final root on-chain and a wallet's claimed amount; with --wallets, what it earned
    /// and may claim now.
    Status {
        /// Default: the signer's key.
        #[arg(long)]
        wallet: Option<Pubkey>,
        /// The oracle's wallets.csv of the latest final epoch.
        #[arg(long)]
        wallets: Option<PathBuf>,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Claim everything the final root owes a wallet (all of its devices at once). Anyone may
    /// send it; the tokens go only to the wallet's own token account.
    Claim {
        /// The oracle's wallets.csv of the latest final epoch (its root is checked against the
        /// chain before anything is sent).
        #[arg(long)]
        wallets: PathBuf,
        /// Default: the signer's key.
        #[arg(long)]
        wallet: Option<Pubkey>,
        /// Pay into the signer's staking position with this id instead (time-locked).
        #[arg(long)]
        to_position: Option<u64>,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum StakeCommand {
    /// Lock network tokens from the signer's token account: creates position --id, or adds to
    /// it if it exists (its lock is unchanged).
    Lock {
        /// Base units.
        #[arg(long)]
        amount: u64,
        /// Lock length in seconds (0: unlocked, e.g. plain device collateral).
        #[arg(long, default_value_t = 0)]
        lockup_secs: u64,
        /// A constant lock (no decay until `stake unlock`) instead of a cliff.
        #[arg(long)]
        constant: bool,
        #[arg(long, default_value_t = 0)]
        id: u64,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Lengthen a position's lock to --lockup-secs from now.
    Extend {
        #[arg(long, default_value_t = 0)]
        id: u64,
        #[arg(long)]
        lockup_secs: u64,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// A constant lock starts to run down.
    Unlock {
        #[arg(long, default_value_t = 0)]
        id: u64,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Move unlocked tokens into the cooldown.
    Unstake {
        #[arg(long, default_value_t = 0)]
        id: u64,
        #[arg(long)]
        amount: u64,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Cooled-down tokens back to the signer's token account (default: all of them).
    Withdraw {
        #[arg(long, default_value_t = 0)]
        id: u64,
        #[arg(long)]
        amount: Option<u64>,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// The position's share of the stakers' revenue, to the signer's token account.
    ClaimRevenue {
        #[arg(long, default_value_t = 0)]
        id: u64,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
    /// A position's numbers.
    Status {
        /// Default: the signer.
        #[arg(long)]
        owner: Option<Pubkey>,
        #[arg(long, default_value_t = 0)]
        id: u64,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TreasuryCommand {
    /// The buyback-and-burn crank (anyone): spends a coin's buyback bucket on the network token
    /// through its pinned AMM pool, bounded by the Pyth price, and burns every token bought.
    Buyback {
        /// The stablecoin whose bucket to spend.
        #[arg(long)]
        mint: Pubkey,
        /// The Pyth `PriceUpdateV2` account of the pinned feed (default: the local network's).
        #[arg(long, default_value_t = depin_localnet::PRICE_UPDATE_ACCOUNT)]
        price_update: Pubkey,
        /// Most stablecoin base units to spend (default: the bucket, up to the epoch cap).
        #[arg(long)]
        amount: Option<u64>,
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Each coin's revenue: payments, the three buckets, and what was bought back, routed to
    /// stakers and swept to operations; and the treasury's burn total.
    Report {
        /// The stablecoin mints to report (repeat for several).
        #[arg(long = "mint", required = true)]
        mints: Vec<Pubkey>,
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The multi-threaded tokio runtime the network commands run on.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the tokio runtime")
}

/// Where to send and who signs, with the Solana CLI's conventions.
#[derive(clap::Args)]
struct ClusterArgs {
    /// JSON-RPC URL or moniker (localhost, devnet, testnet, mainnet-beta; or l, d, t, m).
    /// Default: `json_rpc_url` in ~/.config/solana/cli/config.yml, else localhost.
    #[arg(long, short = 'u')]
    url: Option<String>,
    /// Keypair file that signs and pays. Default: `keypair_path` in the Solana CLI config, else
    /// ~/.config/solana/id.json.
    #[arg(long, short = 'k')]
    keypair: Option<PathBuf>,
    /// Priority fee in micro-lamports per compute unit.
    #[arg(long, default_value_t = 0)]
    priority_fee: u64,
}

struct Created {
    what: &'static str,
    address: Pubkey,
    owner: Pubkey,
    bytes: usize,
    lamports: u64,
    cu: u64,
}

fn run_demo(
    env: &mut TestEnv,
    token_program: TokenProgram,
    decimals: u8,
    max_supply_tokens: u64,
) -> Result<Vec<Created>> {
    let max_supply = 10u64
        .checked_pow(u32::from(decimals))
        .and_then(|unit| unit.checked_mul(max_supply_tokens))
        .ok_or_else(|| {
            anyhow!("--max-supply {max_supply_tokens} with {decimals} decimals overflows u64")
        })?;
    let deployer = env.deployer.insecure_clone();
    let params = GenesisParams {
        token_program,
        governance: deployer.pubkey(),
        decimals,
        max_supply,
        // 1 % of the cap, owned by governance: the first owners' collateral comes from here.
        genesis_supply: max_supply / 100,
        start_ts: env.now(),
    };
    let mut created = Vec::new();
    for step in genesis(env, &params) {
        let meta = env.send(&[step.ix], &[&deployer]).map_err(|f| {
            anyhow!(
                "{}::{} failed: {:?}\n{}",
                step.program,
                step.instruction,
                f.err,
                f.meta.pretty_logs()
            )
        })?;
        for (what, address) in step.created {
            let account = env
                .account(&address)
                .with_context(|| format!("{what} {address} was not created"))?;
            created.push(Created {
                what,
                address,
                owner: account.owner,
                bytes: account.data.len(),
                lamports: account.lamports,
                cu: meta.compute_units_consumed,
            });
        }
    }
    Ok(created)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Sim {
            devices,
            owners,
            epochs,
            customers,
            seed,
            out,
            json,
        } => sim::run(&sim::Options {
            devices,
            owners: owners.unwrap_or(devices.div_ceil(4)),
            epochs,
            customers,
            seed,
            out,
            json,
        })?,
        Command::Migrate {
            config,
            cluster,
            json,
        } => migrate::run(&config, &cluster, json)?,
        Command::Pay {
            mint,
            amount,
            reference,
            cluster,
            json,
        } => treasury::pay(&cluster, mint, amount, &reference, json)?,
        Command::Device { command } => match command {
            DeviceCommand::Onboard {
                device_keypair,
                maker_keypair,
                location,
                kind,
                position_id,
                cluster,
                json,
            } => owner::onboard(
                &cluster,
                &device_keypair,
                &maker_keypair,
                &location,
                match kind {
                    Kind::Connectivity => harness::rewards::state::DeviceKind::Connectivity,
                    Kind::Compute => harness::rewards::state::DeviceKind::Compute,
                },
                position_id,
                json,
            )?,
            DeviceCommand::Transfer {
                device,
                new_owner_keypair,
                new_position_id,
                cluster,
                json,
            } => owner::transfer(&cluster, device, &new_owner_keypair, new_position_id, json)?,
            DeviceCommand::Decommission {
                device,
                cluster,
                json,
            } => owner::decommission(&cluster, device, json)?,
            DeviceCommand::List {
                owner,
                cluster,
                json,
            } => owner::list(&cluster, owner, json)?,
        },
        Command::Stake { command } => match command {
            StakeCommand::Lock {
                amount,
                lockup_secs,
                constant,
                id,
                cluster,
                json,
            } => stake::lock(
                &cluster,
                stake::Lock {
                    id,
                    amount,
                    lockup_secs,
                    constant,
                },
                json,
            )?,
            StakeCommand::Extend {
                id,
                lockup_secs,
                cluster,
                json,
            } => stake::extend(&cluster, id, lockup_secs, json)?,
            StakeCommand::Unlock { id, cluster, json } => stake::unlock(&cluster, id, json)?,
            StakeCommand::Unstake {
                id,
                amount,
                cluster,
                json,
            } => stake::unstake(&cluster, id, amount, json)?,
            StakeCommand::Withdraw {
                id,
                amount,
                cluster,
                json,
            } => stake::withdraw(&cluster, id, amount, json)?,
            StakeCommand::ClaimRevenue { id, cluster, json } => {
                stake::claim_revenue(&cluster, id, json)?
            }
            StakeCommand::Status {
                owner,
                id,
                cluster,
                json,
            } => stake::status(&cluster, owner, id, json)?,
        },
        Command::Rewards { command } => match command {
            RewardsCommand::Status {
                wallet,
                wallets,
                cluster,
                json,
            } => owner::status(&cluster, wallet, wallets.as_deref(), json)?,
            RewardsCommand::Claim {
                wallets,
                wallet,
                to_position,
                cluster,
                json,
            } => owner::claim(&cluster, wallet, &wallets, to_position, json)?,
        },
        Command::Treasury {
            command:
                TreasuryCommand::Buyback {
                    mint,
                    price_update,
                    amount,
                    cluster,
                    json,
                },
        } => treasury::buyback_command(&cluster, mint, price_update, amount, json)?,
        Command::Treasury {
            command:
                TreasuryCommand::Report {
                    mints,
                    cluster,
                    json,
                },
        } => treasury::report(&cluster, &mints, json)?,
        Command::Localnet {
            ledger,
            rpc_port,
            faucet_port,
            programs,
            reset,
        } => {
            let root = harness::workspace_root();
            let mut config = depin_localnet::LocalnetConfig::new(
                ledger.unwrap_or_else(|| root.join("target/localnet")),
            );
            config.rpc_port = rpc_port;
            config.faucet_port = faucet_port;
            config.programs_dir = programs.unwrap_or_else(|| root.join("target/deploy"));
            config.genesis_accounts = vec![localnet::price_feed(&root, sim::unix_now())?];
            localnet::run(config, reset)?;
        }
        Command::Demo {
            token_2022,
            decimals,
            max_supply,
            epochs,
            devices,
            owners,
            out,
            json,
        } => {
            let tp = if token_2022 {
                TokenProgram::Token2022
            } else {
                TokenProgram::SplToken
            };
            let mut env = TestEnv::new();
            let created = run_demo(&mut env, tp, decimals, max_supply)?;
            let genesis_rows: Vec<_> = created
                .iter()
                .map(|c| serde_json::json!({
                    "account": c.what, "address": c.address.to_string(), "owner": c.owner.to_string(),
                    "bytes": c.bytes, "lamports": c.lamports, "instruction_cu": c.cu,
                }))
                .collect();
            if !json {
                println!("Programs deployed (in-process LiteSVM, built SBF from target/deploy):");
                for spec in PROTOCOL_PROGRAMS {
                    println!("  {:<9} {}", spec.name, spec.id);
                }
                println!(
                    "\n{:<20} {:<45} {:<45} {:>6} {:>10} {:>7}",
                    "account", "address", "owner", "bytes", "lamports", "CU"
                );
                for c in &created {
                    println!(
                        "{:<20} {:<45} {:<45} {:>6} {:>10} {:>7}",
                        c.what, c.address, c.owner, c.bytes, c.lamports, c.cu
                    );
                }
            }
            if epochs > 0 {
                let governance = env.deployer.insecure_clone();
                let options = reward_path::Options {
                    token_program: tp,
                    epochs,
                    devices,
                    owners,
                    out: out.clone(),
                };
                let (lines, owners) = reward_path::run(&mut env, &governance, &options)?;
                if json {
                    let epochs: Vec<_> = lines
                        .iter()
                        .map(|l| serde_json::json!({
                            "epoch": l.epoch, "minted": l.minted, "reports": l.reports,
                            "devices_earning": l.devices_earning, "root_total": l.root_total,
                            "claimed": l.claimed, "vault": l.vault, "supply": l.supply,
                            "manifest_hash": l.manifest_hash, "dir": l.dir.display().to_string(),
                        }))
                        .collect();
                    let owners: Vec<_> = owners
                        .iter()
                        .map(|o| {
                            serde_json::json!({
                                "wallet": o.wallet.to_string(), "devices": o.devices,
                                "staked": o.staked,
                                "cumulative": o.cumulative, "balance": o.balance,
                            })
                        })
                        .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&serde_json::json!({
                            "genesis": genesis_rows, "epochs": epochs, "owners": owners,
                        }))?
                    );
                } else {
                    print_reward_path(&lines, &owners, &out, decimals);
                }
            } else if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "genesis": genesis_rows }))?
                );
            }
        }
    }
    Ok(())
}

/// Base units as whole tokens with all decimals.
fn tokens(amount: u64, decimals: u8) -> String {
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

fn print_reward_path(
    lines: &[reward_path::EpochLine],
    owners: &[reward_path::OwnerLine],
    out: &std::path::Path,
    decimals: u8,
) {
    println!(
        "\nReward path: 3 oracles (2 to post) installed through the timelock and bonded, a maker \
         approved, each owner's collateral sent from the genesis supply and staked, {} devices \
         onboarded, each binding one device's \
         collateral; per epoch: crank, signed reports scored by the oracle's epoch engine, 2 \
         votes, the dispute window, finalize, and an auto-claim for every wallet.",
        owners.iter().map(|o| o.devices).sum::<usize>()
    );
    println!(
        "\n{:>5} {:>24} {:>8} {:>8} {:>24} {:>24} {:>24} {:>24}  manifest_hash",
        "epoch",
        "minted",
        "reports",
        "earning",
        "root total (cumulative)",
        "claimed",
        "vault",
        "supply"
    );
    for l in lines {
        println!(
            "{:>5} {:>24} {:>8} {:>8} {:>24} {:>24} {:>24} {:>24}  {}",
            l.epoch,
            tokens(l.minted, decimals),
            l.reports,
            l.devices_earning,
            tokens(l.root_total, decimals),
            tokens(l.claimed, decimals),
            tokens(l.vault, decimals),
            tokens(l.supply, decimals),
            &l.manifest_hash[..16],
        );
    }
    println!(
        "\n{:<45} {:>7} {:>24} {:>24} {:>24}",
        "owner wallet", "devices", "staked (collateral)", "earned (cumulative)", "balance"
    );
    for o in owners {
        println!(
            "{:<45} {:>7} {:>24} {:>24} {:>24}",
            o.wallet,
            o.devices,
            tokens(o.staked, decimals),
            tokens(o.cumulative, decimals),
            tokens(o.balance, decimals)
        );
    }
    if let Some(last) = lines.last() {
        println!(
            "\nThe oracle's transparency files are in {}/epoch-<n>/. Check one from its files alone:\n  \
             cargo run -p depin-oracle --bin oracle -- epoch verify {}",
            out.display(),
            last.dir.display()
        );
    }
}
