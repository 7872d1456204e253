//! `depin-dev sim`: the main job. A local Solana network over real JSON-RPC, the migrations, two
//! oracle processes, and a fleet of simulated devices running the whole economy. [`simulate`]
//! runs one [`Sim`] method per phase, each named as in the report's `phases`:
//!
//! ```text
//! phase                        method                          file
//! local network + migrations   Sim::start_network, migrate     setup.rs
//! oracles                      Sim::start_oracles              setup.rs
//! onboard                      Sim::onboard                    onboard.rs
//! epochs (real time)           Sim::run_epochs                 epochs.rs
//! final roots                  Sim::wait_final                 epochs.rs
//! claims                       Sim::claim_all                  claims.rs
//! treasury                     Sim::revenue, Sim::buyback      treasury.rs
//! governance                   Sim::vote                       governance.rs
//! conservation checks          Sim::checks                     checks.rs, published.rs
//! metrics + compute units      Sim::report                     report.rs (print.rs: the tables)
//! ```
//!
//! 1. start the in-process validator (a new ledger in `<out>/ledger`) and run
//!    `migrations/localnet.toml` (network, genesis supply, oracle set, maker, staking, treasury,
//!    USDC);
//! 2. start oracle seats 0 and 1 (`oracle serve`: SQLite, registry synced from the chain, the
//!    epoch task, the submitter);
//! 3. fund the owners from the genesis supply, lock their collateral, onboard every device
//!    through `onboard_device` (the device's code, then maker and owner sign), fund the customers;
//! 4. for each uptime slot of each epoch, in real time, the devices sign heartbeats (and speed
//!    tests, beacons, witnesses) and send each, in batches over HTTP, to a random non-empty subset
//!    of the oracles (which agree on every epoch's input on-chain), with faults;
//!    customers pay in USDC with invoice references;
//! 5. the oracles close each epoch, publish the transparency files, vote the root and finalize
//!    it after the dispute window;
//! 6. every owner claims what the last final root owes it; the treasury routes the stakers'
//!    share, the stakers claim it, and the buyback spends the buyback share through the local
//!    network's AMM pool and burns what it bought;
//! 7. the owners vote in the DAO (a realm weighing votes with the staking program): a proposal
//!    to stream revenue over a day passes and queues that staking change through its timelock;
//! 8. the oracles stop, conservation is checked exactly, every epoch the oracles published is
//!    listed (its budget: its emission plus what the earlier epochs did not give out, and
//!    whether the claims covered it) along with where every minted token is (claimed, owed,
//!    given out by a root not final yet, carried in the rewards vault, genesis, burned), and
//!    the report is printed and written to `<out>/report.json`.
//!
//! The chain's clock is the validator's: epochs take their real length (15 s on the local
//! network), so the run lasts about `epochs` × 15 s plus set-up, onboarding and the last root.

mod chain;
mod checks;
mod claims;
mod epochs;
mod fleet;
mod governance;
mod onboard;
mod oracles;
mod print;
mod published;
mod report;
mod setup;
mod treasury;

use std::path::PathBuf;
use std::time::Instant;

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use depin_client::accounts::fetch;
use depin_client::builders::{TokenProgram, rewards_ix};
use depin_client::solana_keypair::Keypair;
use depin_client::{Sender, builders::staking_ix};
use depin_localnet::Localnet;
use rewards::math::emission::EmissionSchedule;
use rewards::state::Network;
use serde_json::{Value, json};

use self::chain::Ledger;
use self::fleet::Fleet;
use self::oracles::Oracle;

/// What to simulate.
pub struct Options {
    pub devices: usize,
    pub owners: usize,
    pub epochs: u64,
    pub customers: usize,
    pub seed: u64,
    /// Cleared first; gets the ledger, the oracles' folders (transparency files under
    /// `oracle-<seat>/epochs/`), `treasury.json` and `report.json`.
    pub out: PathBuf,
    pub json: bool,
    /// Leave the network, the oracles and the web app running after the report, until Ctrl-C.
    pub keep_running: bool,
    /// Owners owed rewards that do not claim (their keypairs go to `<out>/owners/`).
    pub leave_unclaimed: usize,
}

/// SOL each owner and customer gets for fees and rent.
const OWNER_LAMPORTS: u64 = 50_000_000;

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn say(quiet: bool, line: impl AsRef<str>) {
    if !quiet {
        eprintln!("{}", line.as_ref());
    }
}

/// Runs the simulation, writes `<out>/report.json`, prints the report, and fails if a
/// conservation check failed.
pub fn run(o: &Options) -> Result<()> {
    if o.devices == 0 || o.owners == 0 || o.epochs == 0 {
        bail!("--devices, --owners and --epochs must each be at least 1");
    }
    if o.owners > o.devices {
        bail!("--owners {} is more than --devices {}", o.owners, o.devices);
    }
    let runtime = depin_cli::runtime()?;
    let (report, net, seats) = runtime.block_on(simulate(o))?;
    let path = o.out.join("report.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("writing {}", path.display()))?;
    if o.json {
        println!("{report}");
    } else {
        print::print_report(&report);
    }
    print_urls(o, &seats, &net.rpc_url())?;
    let mut seats = seats;
    if o.keep_running {
        // The checks stopped the oracles (nothing moves while the chain is read): start them
        // again, on the same ports.
        for s in &mut seats {
            s.restart()?;
        }
        runtime.block_on(until_stopped(o.json))?;
    }
    drop(seats);
    // The validator flushes its ledger on the way out (tens of seconds after a large run), so
    // the ledger can be resumed with `depin-dev localnet --ledger <out>/ledger`.
    say(
        o.json,
        format!(
            "Stopping the local network (ledger: {}) ...",
            net.ledger().display()
        ),
    );
    runtime.block_on(net.shutdown());
    let failed: Vec<String> = report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["ok"] != Value::Bool(true))
        .map(|c| format!("{}: {}", c["check"], c["detail"]))
        .collect();
    if !failed.is_empty() {
        bail!("conservation checks failed:\n  {}", failed.join("\n  "));
    }
    Ok(())
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM, both listened for before saying so: a parent that
/// started this in the background (where SIGINT starts ignored) stops it either way.
async fn until_stopped(quiet: bool) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    say(quiet, "Running until Ctrl-C (or SIGTERM) ...");
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    Ok(())
}

/// Where to look: the web app (served by oracle 0, when `app/web/dist` is built), each
/// oracle's API and the validator's JSON-RPC; printed, and written to `<out>/urls.json`.
fn print_urls(o: &Options, seats: &[oracles::Oracle], rpc_url: &str) -> Result<()> {
    let built = repository_root().is_ok_and(|root| oracles::web_dir(&root).is_some());
    let web = seats
        .first()
        .filter(|_| built)
        .map(|s| format!("{}/", s.url));
    let apis: Vec<String> = seats
        .iter()
        .map(|s| format!("{}/v1/openapi.json", s.url))
        .collect();
    let urls = serde_json::json!({ "web": web, "apis": apis, "rpc": rpc_url });
    let path = o.out.join("urls.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&urls)?)
        .with_context(|| format!("writing {}", path.display()))?;
    let web_line = web.map_or_else(
        || "Web app: not built (run app/web/scripts/setup, then this again)".to_string(),
        |url| format!("Web app: {url}"),
    );
    say(
        o.json,
        format!(
            "\n{web_line}\nRewards API: {}\nJSON-RPC: {rpc_url}",
            apis.join(" ")
        ),
    );
    Ok(())
}

/// The phases in order, in the report's words. `bench/examples/network.rs` reads them by name.
async fn simulate(o: &Options) -> Result<(Value, Localnet, Vec<oracles::Oracle>)> {
    let mut sim = Sim::start_network(o).await?.migrate().await?;
    sim.phases.end("local network + migrations");
    sim.start_oracles().await?;
    sim.phases.end("oracles");
    sim.onboard().await?;
    sim.phases.end("onboard");
    let traffic = sim.run_epochs().await?;
    sim.phases.end("epochs (real time)");
    let fin = sim.wait_final(traffic.last_epoch).await?;
    sim.phases.end("final roots");
    let claims = sim.claim_all(&fin.network).await?;
    sim.phases.end("claims");
    let coin = sim.revenue().await?;
    let buyback = sim.buyback(&coin).await?;
    sim.claim_revenue().await?;
    sim.phases.end("treasury");
    let vote = sim.vote().await?;
    sim.phases.end("governance");
    let checked = sim
        .checks(&fin.network, &claims, &traffic, &buyback)
        .await?;
    sim.phases.end("conservation checks");
    let report = sim.report(&fin, &traffic, &buyback, checked, vote).await?;
    Ok((report, sim.net, sim.seats))
}

/// The simulation under way: the local network and the clients that talk to it, what the
/// migration put on-chain, the oracles, the fleet, and the phases' timings so far.
struct Sim<'a> {
    o: &'a Options,
    /// `--json`: no progress on stderr.
    quiet: bool,
    /// The repository (keys, migrations, programs).
    root: PathBuf,
    /// `o.out`, canonical.
    out: PathBuf,
    net: Localnet,
    url: String,
    sender: Sender,
    /// The localnet's deployer: pays for most transactions and holds the genesis supply.
    deployer: Keypair,
    http: reqwest::Client,
    /// Every transaction the simulation landed, by kind.
    ledger: Ledger,
    /// The network as the migration left it.
    chain: Chain,
    /// The maker that co-signs every onboarding (`keys/localnet-maker-0.json`).
    maker: Keypair,
    seats: Vec<Oracle>,
    fleet: Fleet,
    customers: Vec<Keypair>,
    phases: Phases,
    /// When the local network was up (the validator's pace is measured from here).
    chain_started: Instant,
}

/// What the phases need from the chain after the migration.
struct Chain {
    /// The network account after the migration.
    n0: Network,
    schedule: EmissionSchedule,
    /// The network token and its token program.
    mint: Pubkey,
    tp: TokenProgram,
    /// The local network's USDC mint (SPL Token).
    usdc: Pubkey,
    supply_before: u64,
    /// Tokens each device binds from its owner's position.
    collateral: u64,
}

/// Wall time by phase.
struct Phases {
    started: Instant,
    mark: Instant,
    done: Vec<(&'static str, f64)>,
}

impl Phases {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            mark: Instant::now(),
            done: Vec::new(),
        }
    }

    /// Phase `name` ends now.
    fn end(&mut self, name: &'static str) {
        self.done.push((name, self.mark.elapsed().as_secs_f64()));
        self.mark = Instant::now();
    }

    /// The report's `phases`.
    fn json(&self) -> Vec<Value> {
        self.done
            .iter()
            .map(|(p, s)| json!({"phase": p, "secs": s}))
            .collect()
    }
}

/// The repository: `$DEPIN_ROOT`, else the nearest folder above the current one that holds
/// `Anchor.toml`.
pub fn repository_root() -> Result<PathBuf> {
    if let Some(root) = std::env::var_os("DEPIN_ROOT") {
        return Ok(PathBuf::from(root));
    }
    let cwd = std::env::current_dir().context("the current folder")?;
    cwd.ancestors()
        .find(|d| d.join("Anchor.toml").is_file())
        .map(std::path::Path::to_path_buf)
        .ok_or_else(|| {
            anyhow!(
                "run from the repository (no Anchor.toml in or above {}), or set DEPIN_ROOT",
                cwd.display()
            )
        })
}

/// The rewards network account.
async fn network(sender: &Sender) -> Result<Network> {
    fetch::<Network>(sender, "network", &rewards_ix::network_pda().0)
        .await?
        .ok_or_else(|| anyhow!("no network account: did the migration run?"))
}

/// Owner `owner`'s staking position (id 0), which binds its devices' collateral.
fn position(owner: &Pubkey) -> Pubkey {
    staking_ix::position_pda(owner, 0).0
}
