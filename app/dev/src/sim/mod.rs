//! `depin sim`: the main job. A local Solana network over real JSON-RPC, the migrations, two
//! oracle processes, and a fleet of simulated devices running the whole economy:
//!
//! 1. start the in-process validator (a new ledger in `<out>/ledger`) and run
//!    `migrations/localnet.toml` (network, genesis supply, oracle set, maker, staking, treasury,
//!    USDC);
//! 2. start oracle seats 0 and 1 (`oracle serve`: SQLite, registry synced from the chain, the
//!    epoch task, the submitter);
//! 3. fund the owners from the genesis supply, lock their collateral, onboard every device
//!    through `onboard_device` (device, maker and owner sign);
//! 4. for each uptime slot of each epoch, in real time, the devices sign heartbeats (and speed
//!    tests, beacons, witnesses) and send them in batches over HTTP to both oracles, with faults;
//!    customers pay in USDC with invoice references;
//! 5. the oracles close each epoch, publish the transparency files, vote the root and finalize
//!    it after the dispute window;
//! 6. every owner claims what the last final root owes it; the treasury routes the stakers'
//!    share, the stakers claim it, and the buyback spends the buyback share through the local
//!    network's AMM pool and burns what it bought;
//! 7. conservation is checked exactly and the report printed and written to `<out>/report.json`.
//!
//! The chain's clock is the validator's: epochs take their real length (15 s on the local
//! network), so the run lasts about `epochs` × 15 s plus set-up, onboarding and the last root.

mod chain;
mod fleet;
mod oracles;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use depin_client::accounts::{fetch, token_balance};
use depin_client::builders::{
    TokenProgram, associated_token_address, create_associated_token_account_idempotent, mint_to,
    rewards_ix, staking_ix, transfer_checked, treasury_ix,
};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_localnet::{Localnet, LocalnetConfig};
use depin_oracle::report::SignedReport;
use depin_oracle::transparency::{DEVICES_CSV, WALLETS_CSV, parse_devices_csv, parse_wallets_csv};
use harness::rewards;
use rewards::state::{ClaimRecord, Network};
use serde_json::{Value, json};
use staking::state::{LockupKind, StakingConfig};
use treasury::state::{Stablecoin, Treasury};

use self::chain::{Ledger, bar, each};
use self::fleet::Fleet;
use self::oracles::{Oracle, OracleParams, SLOT_SECS};

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
}

/// SOL each owner and customer gets for fees and rent.
const OWNER_LAMPORTS: u64 = 50_000_000;
/// SOL each oracle gets for its bond and fees.
const ORACLE_LAMPORTS: u64 = 5_000_000_000;
/// Tokens each owner locks beyond its devices' collateral (base units, 6 decimals: 100 tokens).
const EXTRA_STAKE: u64 = 100_000_000;
/// One year, the lock of every fifth owner (the others lock nothing: 1x weight).
const YEAR: u64 = 31_536_000;

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
    let runtime = crate::runtime()?;
    let (report, net) = runtime.block_on(simulate(o))?;
    let path = o.out.join("report.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("writing {}", path.display()))?;
    if o.json {
        println!("{report}");
    } else {
        print_report(&report);
    }
    // The validator flushes its ledger on the way out (tens of seconds after a large run), so
    // the ledger can be resumed with `depin localnet --ledger <out>/ledger`.
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

struct Phases {
    mark: Instant,
    done: Vec<(&'static str, f64)>,
}

impl Phases {
    fn end(&mut self, name: &'static str) {
        self.done.push((name, self.mark.elapsed().as_secs_f64()));
        self.mark = Instant::now();
    }
}

/// The repository: `$DEPIN_ROOT`, else the nearest folder above the current one that holds
/// `Anchor.toml`.
fn repository_root() -> Result<PathBuf> {
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

async fn network(sender: &Sender) -> Result<Network> {
    fetch::<Network>(sender, "network", &rewards_ix::network_pda().0)
        .await?
        .ok_or_else(|| anyhow!("no network account: did the migration run?"))
}

#[allow(clippy::too_many_lines)]
async fn simulate(o: &Options) -> Result<(Value, Localnet)> {
    let started = Instant::now();
    let quiet = o.json;
    let mut phases = Phases {
        mark: Instant::now(),
        done: Vec::new(),
    };
    let root = repository_root()?;
    if o.out.exists() {
        std::fs::remove_dir_all(&o.out).with_context(|| format!("clearing {}", o.out.display()))?;
    }
    std::fs::create_dir_all(&o.out).with_context(|| format!("creating {}", o.out.display()))?;
    let out = o.out.canonicalize()?;

    // 1. The local network and its migration.
    say(quiet, "Starting the local network ...");
    let mut localnet = LocalnetConfig::for_tests(out.join("ledger"), root.join("target/deploy"));
    localnet.genesis_accounts = vec![crate::localnet::price_feed(&root, unix_now())?];
    let net = Localnet::start(localnet).await?;
    let chain_started = Instant::now();
    let url = net.rpc_url();
    let sender = Sender::new(url.clone(), SendConfig::default());
    let deployer = depin_localnet::deployer();
    let config = depin_migrations::Config::load(&root.join("migrations/localnet.toml"))?;
    let migration = depin_migrations::migrate(&config, &sender, &deployer).await?;
    say(
        quiet,
        format!("  {url}: {} migration steps applied", migration.applied()),
    );
    phases.end("local network + migrations");

    let n0 = network(&sender).await?;
    let tp = TokenProgram::from_owner(&n0.token_program)
        .ok_or_else(|| anyhow!("unknown token program {}", n0.token_program))?;
    let mint = n0.mint;
    let supply_before = chain::supply(&sender, &mint).await?;
    let staking_config =
        fetch::<StakingConfig>(&sender, "staking config", &staking_ix::config_pda().0)
            .await?
            .ok_or_else(|| anyhow!("no staking config"))?;
    let usdc_key = root.join("keys/localnet-usdc-mint.json");
    let usdc = read_keypair_file(&usdc_key)
        .map_err(|e| anyhow!("{}: {e}", usdc_key.display()))?
        .pubkey();
    let usdc_tp = TokenProgram::SplToken;
    let maker_key = root.join("keys/localnet-maker-0.json");
    let maker =
        read_keypair_file(&maker_key).map_err(|e| anyhow!("{}: {e}", maker_key.display()))?;
    let ledger = Ledger::default();

    // 2. The oracles.
    let schedule = n0.emission.schedule();
    let params = OracleParams {
        root: &root,
        out: &out,
        rpc_url: &url,
        start_ts: n0.emission.start_ts,
        epoch_secs: n0.emission.epoch_secs,
        budget: schedule.epoch_emission(0),
        skew_secs: oracles::skew_secs(o.devices),
    };
    let mut seats = Vec::new();
    for seat in 0..2 {
        let oracle = Oracle::start(&params, seat)?;
        let ix =
            chain::transfer_lamports(deployer.pubkey(), oracle.keypair.pubkey(), ORACLE_LAMPORTS);
        ledger
            .send(&sender, "fund oracle", &[ix], &deployer, &[], || {
                "funding an oracle".to_string()
            })
            .await?;
        say(
            quiet,
            format!(
                "  oracle {seat}: {} ({})",
                oracle.url,
                oracle.keypair.pubkey()
            ),
        );
        seats.push(oracle);
    }
    phases.end("oracles");

    // 3. Owners, collateral and devices.
    let mut fleet = Fleet::new(o.devices, o.owners, o.seed)?;
    let collateral = staking_config.min_device_collateral;
    let genesis = rewards_ix::genesis_pda().0;
    let funding: Vec<(usize, u64)> = fleet
        .owners
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let n = u64::try_from(w.devices.len()).unwrap_or(u64::MAX);
            (i, n.saturating_mul(collateral).saturating_add(EXTRA_STAKE))
        })
        .collect();
    let pb = bar(funding.len(), "fund owners", quiet);
    each(funding.clone(), &pb, |(i, amount)| {
        let owner = fleet.owners[i].keypair.pubkey();
        let (sender, deployer, ledger) = (&sender, &deployer, &ledger);
        async move {
            let ata = associated_token_address(&owner, &mint, tp);
            let ixs = [
                create_associated_token_account_idempotent(&deployer.pubkey(), &owner, &mint, tp),
                transfer_checked(
                    tp,
                    &genesis,
                    &mint,
                    &ata,
                    &deployer.pubkey(),
                    amount,
                    n0.decimals,
                ),
                chain::transfer_lamports(deployer.pubkey(), owner, OWNER_LAMPORTS),
            ];
            ledger
                .send(sender, "fund owner", &ixs, deployer, &[], || {
                    format!("funding owner {owner}")
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    let pb = bar(funding.len(), "stake", quiet);
    each(funding.clone(), &pb, |(i, amount)| {
        let owner = &fleet.owners[i].keypair;
        let (sender, ledger) = (&sender, &ledger);
        async move {
            let source = associated_token_address(&owner.pubkey(), &mint, tp);
            let ix = staking_ix::stake(
                staking_ix::stake_accounts(owner.pubkey(), 0, mint, source, tp),
                staking_ix::StakeArgs {
                    id: 0,
                    kind: LockupKind::Cliff,
                    lockup_secs: if i % 5 == 0 { YEAR } else { 0 },
                    amount,
                },
            );
            ledger
                .send(sender, "stake", &[ix], owner, &[], || {
                    format!("staking for owner {}", owner.pubkey())
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    let pb = bar(fleet.devices.len(), "onboard", quiet);
    each((0..fleet.devices.len()).collect(), &pb, |d| {
        let device = &fleet.devices[d];
        let owner = &fleet.owners[device.owner].keypair;
        let (sender, deployer, ledger, maker) = (&sender, &deployer, &ledger, &maker);
        async move {
            let ix = rewards_ix::onboard_device(
                rewards_ix::onboard_device_accounts(
                    deployer.pubkey(),
                    owner.pubkey(),
                    device.keypair.pubkey(),
                    maker.pubkey(),
                    associated_token_address(&owner.pubkey(), &mint, tp),
                    tp,
                    staking_ix::position_pda(&owner.pubkey(), 0).0,
                ),
                rewards_ix::OnboardDeviceArgs {
                    kind: rewards::state::DeviceKind::Connectivity,
                    location: device.cell,
                },
            );
            ledger
                .send(
                    sender,
                    "onboard device",
                    &[ix],
                    deployer,
                    &[owner, &device.keypair, maker],
                    || format!("onboarding device {}", device.keypair.pubkey()),
                )
                .await?;
            Ok(())
        }
    })
    .await?;
    phases.end("onboard");

    // The oracles refuse reports from devices they have not synced yet.
    let deadline = Instant::now() + Duration::from_secs(60);
    while seats.iter().any(|s| s.registered() < o.devices) {
        if Instant::now() > deadline {
            bail!(
                "the oracles did not sync {} devices from the chain within 60 s (they have {:?})",
                o.devices,
                seats.iter().map(Oracle::registered).collect::<Vec<_>>()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Customers with USDC.
    let customers: Vec<Keypair> = (0..o.customers).map(|_| Keypair::new()).collect();
    let pb = bar(customers.len(), "customers", quiet);
    each(customers.iter().collect(), &pb, |c| {
        let (sender, deployer, ledger) = (&sender, &deployer, &ledger);
        async move {
            let ata = associated_token_address(&c.pubkey(), &usdc, usdc_tp);
            let ixs = [
                create_associated_token_account_idempotent(
                    &deployer.pubkey(),
                    &c.pubkey(),
                    &usdc,
                    usdc_tp,
                ),
                mint_to(usdc_tp, &usdc, &ata, &deployer.pubkey(), 1_000_000_000_000),
                chain::transfer_lamports(deployer.pubkey(), c.pubkey(), OWNER_LAMPORTS),
            ];
            ledger
                .send(sender, "fund customer", &ixs, deployer, &[], || {
                    "funding a customer".to_string()
                })
                .await?;
            Ok(())
        }
    })
    .await?;

    // 4. The epochs, in real time.
    let http = reqwest::Client::new();
    let epoch_secs = n0.emission.epoch_secs;
    let start_ts = n0.emission.start_ts;
    let slots_per_epoch = epoch_secs / SLOT_SECS;
    // The fleet reports for `epochs` epochs (a long set-up may have let earlier epochs pass with
    // no reports: their roots are empty, and final all the same).
    // It starts in the current epoch if at least half of it is left, else in the next one.
    let elapsed = u64::try_from((unix_now() - start_ts).max(0))?;
    let first_epoch = elapsed / epoch_secs + u64::from((elapsed % epoch_secs) * 2 > epoch_secs);
    let last_epoch = first_epoch + o.epochs - 1;
    let end_ts = start_ts.saturating_add(i64::try_from((last_epoch + 1) * epoch_secs)?);
    let total_slots = (last_epoch + 1) * slots_per_epoch;
    let pb = bar(usize::try_from(total_slots)?, "epochs", quiet);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{msg:>12} [{bar:40}] slot {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut last_slot: Option<u64> = None;
    let mut replay: Option<Value> = None;
    let mut sent_reports = 0u64;
    let mut missed_slots = 0u64;
    let mut payments = Vec::new();
    let mut opened = std::collections::BTreeSet::new();
    let skew_secs = oracles::skew_secs(o.devices);
    loop {
        let now = unix_now();
        if now >= end_ts {
            break;
        }
        let current = u64::try_from((now - start_ts).max(0))? / SLOT_SECS;
        if current < first_epoch * slots_per_epoch {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        // Every slot since the last one sent, so a slow tick (a busy machine) loses nothing:
        // a slot's reports carry a timestamp inside it while the oracles still take it (half
        // the skew, so the reports are still fresh when the last batch arrives).
        let from = last_slot.map_or(current, |l| l + 1);
        for slot in from..=current {
            let slot_start = start_ts + i64::try_from(slot * SLOT_SECS)?;
            let at = (slot_start + 2).min(now);
            if at < unix_now() - i64::try_from(skew_secs / 2)? {
                missed_slots += 1;
                continue;
            }
            let epoch = slot / slots_per_epoch;
            let in_epoch = slot % slots_per_epoch;
            // A device's first report of an epoch carries its speed test (and beacon).
            let opening = opened.insert(epoch);
            let reports = fleet.reports(epoch, in_epoch, at, opening);
            send_to_all(&http, &seats, &reports).await?;
            sent_reports += u64::try_from(reports.len())?;
            if replay.is_none() {
                // A replayed report: the same signed bytes again.
                if let Some(r) = reports.first() {
                    replay = Some(replay_to_all(&http, &seats, r).await?);
                }
            }
            // Each customer pays once per epoch, in the first slot the fleet reports in.
            if opening {
                let k = epoch - first_epoch;
                payments.extend(pay_all(&sender, &ledger, &customers, usdc, epoch, k).await?);
            }
            pb.set_position((slot + 1).min(total_slots));
        }
        last_slot = Some(current);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    pb.finish();
    phases.end("epochs (real time)");

    // 5. Wait for the oracles to finalize the last epoch.
    say(
        quiet,
        format!("Waiting for the root of epoch {last_epoch} to be final ..."),
    );
    // Three minutes, plus half a minute for each epoch the oracles are still behind (a large
    // fleet's onboarding leaves them a backlog of empty epochs to root one by one).
    let behind = (last_epoch + 1).saturating_sub(network(&sender).await?.final_root.epochs);
    let patience = epoch_secs + 180 + 30 * behind;
    let deadline = Instant::now() + Duration::from_secs(patience);
    let fin = loop {
        let n = network(&sender).await?;
        if n.final_root.epochs > last_epoch {
            break n;
        }
        if Instant::now() > deadline {
            bail!(
                "epoch {last_epoch} is not final after {} s (final: {} epochs); see \
                 {}/oracle-*/oracle.log",
                patience,
                n.final_root.epochs,
                out.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    phases.end("final roots");
    // The validator's pace: a slot is 400 ms nominally, and its clock, which every epoch's close
    // waits on, runs behind this machine's when slots come slower.
    let (slot, clock_behind) = chain::clock(&sender).await?;
    let chain_secs = chain_started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let validator = json!({"slots": slot, "secs": chain_secs,
        "ms_per_slot": if slot == 0 { 0.0 } else { chain_secs * 1000.0 / slot as f64 },
        "clock_behind_secs": clock_behind});

    // 6. Claims, against the last final root, from the oracle's published wallets.csv.
    let last = fin.final_root.epochs - 1;
    let wallets_path = seats[0].epoch_dir(last).join(WALLETS_CSV);
    let rows = parse_wallets_csv(
        &std::fs::read(&wallets_path)
            .with_context(|| format!("reading {}", wallets_path.display()))?,
    )?;
    let tree = depin_oracle::epoch::tree(&rows)?
        .ok_or_else(|| anyhow!("{}: no wallets earned anything", wallets_path.display()))?;
    if (tree.root().hash, tree.root().sum) != (fin.final_root.root, fin.final_root.total) {
        bail!(
            "{} does not match the final root on-chain",
            wallets_path.display()
        );
    }
    let claims: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].cumulative > 0)
        .collect();
    let pb = bar(claims.len(), "claims", quiet);
    each(claims.clone(), &pb, |i| {
        let (sender, deployer, ledger, rows, tree) = (&sender, &deployer, &ledger, &rows, &tree);
        async move {
            let wallet = Pubkey::new_from_array(rows[i].wallet.to_bytes());
            let proof = tree
                .proof(i)
                .ok_or_else(|| anyhow!("no proof for wallet {wallet}"))?;
            let ata = associated_token_address(&wallet, &mint, tp);
            let ixs = [
                create_associated_token_account_idempotent(&deployer.pubkey(), &wallet, &mint, tp),
                rewards_ix::claim(
                    rewards_ix::claim_accounts(deployer.pubkey(), wallet, ata, tp),
                    rewards_ix::ClaimArgs {
                        cumulative_amount: rows[i].cumulative,
                        proof: rewards_ix::proof_nodes(&proof),
                    },
                ),
            ];
            ledger
                .send(sender, "claim", &ixs, deployer, &[], || {
                    format!("claim for {wallet}")
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    phases.end("claims");

    // 7. The treasury: the stakers' share to staking, the stakers claim it.
    let coin_key = treasury_ix::stablecoin_pda(&usdc).0;
    let coin = fetch::<Stablecoin>(&sender, "stablecoin", &coin_key)
        .await?
        .ok_or_else(|| anyhow!("USDC is not an accepted stablecoin"))?;
    let treasury = fetch::<Treasury>(&sender, "treasury", &treasury_ix::treasury_pda().0)
        .await?
        .ok_or_else(|| anyhow!("no treasury"))?;
    let ops_ata = associated_token_address(&treasury.roles.operations_owner, &usdc, usdc_tp);
    let ixs = [
        treasury_ix::route_to_stakers(usdc, usdc_tp, coin.stakers_destination),
        staking_ix::sync_revenue_ix(),
        create_associated_token_account_idempotent(
            &deployer.pubkey(),
            &treasury.roles.operations_owner,
            &usdc,
            usdc_tp,
        ),
        treasury_ix::sweep_operations(usdc, usdc_tp, ops_ata),
    ];
    ledger
        .send(&sender, "route + sweep", &ixs, &deployer, &[], || {
            "routing revenue to the stakers".to_string()
        })
        .await?;
    // The buyback: the whole bucket through the pinned pool, priced against the genesis feed.
    let pool = depin_migrations::localnet_pool("USDC", mint, usdc);
    let reserves = (
        token_balance(&sender, &pool.vault_b).await,
        token_balance(&sender, &pool.vault_a).await,
    );
    let quote_in = coin.buckets.buyback;
    let bought = crate::treasury::buyback(
        &sender,
        &deployer,
        usdc,
        depin_localnet::PRICE_UPDATE_ACCOUNT,
        Some(quote_in),
    )
    .await
    .context("the buyback")?;
    ledger.record("buyback", &bought.landed);
    let pb = bar(fleet.owners.len(), "revenue", quiet);
    each((0..fleet.owners.len()).collect(), &pb, |i| {
        let owner = &fleet.owners[i].keypair;
        let (sender, deployer, ledger) = (&sender, &deployer, &ledger);
        async move {
            let destination = associated_token_address(&owner.pubkey(), &usdc, usdc_tp);
            let ixs = [
                create_associated_token_account_idempotent(
                    &deployer.pubkey(),
                    &owner.pubkey(),
                    &usdc,
                    usdc_tp,
                ),
                staking_ix::claim_revenue(staking_ix::claim_revenue_accounts(
                    owner.pubkey(),
                    staking_ix::position_pda(&owner.pubkey(), 0).0,
                    usdc,
                    destination,
                    usdc_tp,
                )),
            ];
            ledger
                .send(sender, "claim revenue", &ixs, deployer, &[owner], || {
                    format!("revenue claim of {}", owner.pubkey())
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    phases.end("treasury");

    // 8. Gather the report.
    let n1 = network(&sender).await?;
    let supply_after = chain::supply(&sender, &mint).await?;
    let coin = fetch::<Stablecoin>(&sender, "stablecoin", &coin_key)
        .await?
        .ok_or_else(|| anyhow!("USDC is not an accepted stablecoin"))?;
    let treasury = fetch::<Treasury>(&sender, "treasury", &treasury_ix::treasury_pda().0)
        .await?
        .ok_or_else(|| anyhow!("no treasury"))?;
    let mut checks = Vec::new();
    let mut check = |name: &str, ok: bool, detail: String| {
        checks.push(json!({"check": name, "ok": ok, "detail": detail}));
    };

    // Supply.
    let minted = n1.total_minted - n0.total_minted;
    let burned = (n1.total_burned - n0.total_burned)
        + treasury.total_bought_burned
        + treasury.total_credit_burned;
    check(
        "supply after = supply before + minted - burned",
        supply_after == supply_before + minted - burned,
        format!("{supply_after} = {supply_before} + {minted} - {burned}"),
    );

    // Claims.
    let mut claimed_total = 0u64;
    let mut mismatches = Vec::new();
    let mut earned_by_owner: BTreeMap<Pubkey, u64> = BTreeMap::new();
    for &i in &claims {
        let wallet = Pubkey::new_from_array(rows[i].wallet.to_bytes());
        let record = fetch::<ClaimRecord>(
            &sender,
            "claim record",
            &rewards_ix::claim_record_pda(&wallet).0,
        )
        .await?
        .map_or(0, |r| r.claimed);
        let held = token_balance(&sender, &associated_token_address(&wallet, &mint, tp)).await;
        if record != rows[i].cumulative || held != rows[i].cumulative {
            mismatches.push(format!(
                "{wallet}: published {}, claimed {record}, holds {held}",
                rows[i].cumulative
            ));
        }
        claimed_total += record;
        earned_by_owner.insert(wallet, rows[i].cumulative);
    }
    check(
        "every owner claimed exactly its published cumulative total",
        mismatches.is_empty(),
        if mismatches.is_empty() {
            format!("{} wallets, {claimed_total} in total", claims.len())
        } else {
            mismatches.join("; ")
        },
    );
    check(
        "claims = final root total",
        claimed_total == fin.final_root.total && n1.total_claimed == claimed_total,
        format!(
            "claimed {claimed_total}, root total {}, network total_claimed {}",
            fin.final_root.total, n1.total_claimed
        ),
    );

    // Revenue.
    let b = &coin.buckets;
    let revenue = coin.total_received;
    let split = (coin.total_bought_back + b.buyback)
        + (coin.total_routed_to_stakers + b.stakers)
        + (coin.total_swept_to_operations + b.operations);
    check(
        "revenue = buyback + stakers + operations",
        revenue == split,
        format!(
            "{revenue} = ({} + {}) + ({} + {}) + ({} + {})",
            coin.total_bought_back,
            b.buyback,
            coin.total_routed_to_stakers,
            b.stakers,
            coin.total_swept_to_operations,
            b.operations
        ),
    );
    let paid: u64 = payments.iter().filter_map(|p| p["amount"].as_u64()).sum();
    check(
        "revenue = what the customers paid",
        revenue == paid,
        format!(
            "{revenue} received, {paid} paid in {} payments",
            payments.len()
        ),
    );
    let mut revenue_claimed = 0u64;
    for w in &fleet.owners {
        revenue_claimed += token_balance(
            &sender,
            &associated_token_address(&w.keypair.pubkey(), &usdc, usdc_tp),
        )
        .await;
    }
    let revenue_vault = token_balance(&sender, &staking_ix::revenue_vault_pda().0).await;
    check(
        "stakers' claims + what stays in the revenue vault = routed to stakers",
        revenue_claimed + revenue_vault == coin.total_routed_to_stakers,
        format!(
            "{revenue_claimed} + {revenue_vault} = {}",
            coin.total_routed_to_stakers
        ),
    );

    // The buyback: what the pool's pricing says, to the base unit.
    let (taken, out_expected) =
        depin_client::builders::amm::expected_swap(reserves.0, reserves.1, quote_in);
    check(
        "buyback: spent and burned = the pool's constant-product quote",
        bought.spent == taken && bought.burned == out_expected,
        format!(
            "spent {} of {quote_in} (quote {taken}), burned {} (quote {out_expected}), \
             reserves {} USDC / {} tokens",
            bought.spent, bought.burned, reserves.0, reserves.1
        ),
    );

    // Epochs, from the transparency files.
    let mut epochs = Vec::new();
    let mut device_status: BTreeMap<String, usize> = BTreeMap::new();
    for e in 0..fin.final_root.epochs {
        let dir = seats[0].epoch_dir(e);
        let devices = parse_devices_csv(&std::fs::read(dir.join(DEVICES_CSV))?)?;
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        for d in &devices {
            for r in d.reasons.split(';').filter(|r| !r.is_empty()) {
                let code = r.split(':').next().unwrap_or(r).to_string();
                *reasons.entry(code).or_insert(0) += 1;
            }
        }
        let earning = devices.iter().filter(|d| d.reward > 0).count();
        if e + 1 == fin.final_root.epochs {
            for d in &devices {
                let status = if d.reward == 0 {
                    "no reward"
                } else if d.reasons.is_empty() {
                    "full reward"
                } else {
                    "discounted"
                };
                *device_status.entry(status.to_string()).or_insert(0) += 1;
            }
        }
        let other = seats[1].epoch_dir(e).join(WALLETS_CSV);
        let same = std::fs::read(dir.join(WALLETS_CSV))? == std::fs::read(&other)?;
        let distributed: u64 = devices.iter().map(|d| d.reward).sum();
        epochs.push(json!({
            "epoch": e, "emission": schedule.epoch_emission(e), "distributed": distributed,
            "devices_earning": earning, "devices_scored": devices.len(),
            "reasons": reasons, "oracles_agree": same,
            "files": dir.display().to_string(),
        }));
        check(
            &format!("epoch {e}: both oracles published the same wallets.csv"),
            same,
            other.display().to_string(),
        );
    }
    let mut top: Vec<(Pubkey, u64)> = earned_by_owner.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top_owners: Vec<Value> = top
        .iter()
        .take(5)
        .map(|(w, amount)| {
            let devices = fleet
                .owners
                .iter()
                .find(|x| x.keypair.pubkey() == *w)
                .map_or(0, |x| x.devices.len());
            json!({"owner": w.to_string(), "devices": devices, "earned": amount})
        })
        .collect();

    phases.end("conservation checks");

    // Ingest.
    let mut ingest = Vec::new();
    for s in &seats {
        let (accepted, rejected) = s.metrics(&http).await?;
        ingest.push(json!({"oracle": s.seat, "accepted": accepted, "rejected": rejected}));
    }

    // Compute units by instruction kind: the simulation's own transactions, and the oracles'.
    let mut cu: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (kind, sig) in ledger.samples(5) {
        let (units, _) = chain::cu_of(&http, &url, &sig).await?;
        cu.entry(kind.to_string()).or_default().push(units);
    }
    for s in &seats {
        for sig in chain::signatures_of(&http, &url, &s.keypair.pubkey()).await? {
            let (units, names) = chain::cu_of(&http, &url, &sig).await?;
            if let Some(name) = names.iter().rev().find(|n| !n.starts_with("Transfer")) {
                cu.entry(format!("oracle: {name}")).or_default().push(units);
            }
        }
    }
    let cu: Vec<Value> = cu
        .iter()
        .map(|(k, v)| {
            let n = u64::try_from(v.len()).unwrap_or(1).max(1);
            json!({"kind": k, "sampled": v.len(), "mean": v.iter().sum::<u64>() / n,
                "max": v.iter().max()})
        })
        .collect();

    let treasury_report = json!({
        "mint": usdc.to_string(), "payments": payments,
        "received": coin.total_received,
        "buckets": {"buyback": b.buyback, "stakers": b.stakers, "operations": b.operations},
        "bought_back": coin.total_bought_back, "routed_to_stakers": coin.total_routed_to_stakers,
        "swept_to_operations": coin.total_swept_to_operations,
        "stakers_claimed": revenue_claimed, "revenue_vault": revenue_vault,
        "burned_by_buybacks": treasury.total_bought_burned,
        "buyback": {"pool": bought.pool.to_string(), "spent": bought.spent,
            "burned": bought.burned, "signature": bought.landed.signature.to_string(),
            "reserves_before": {"usdc": reserves.0, "tokens": reserves.1},
            "price_update": depin_localnet::PRICE_UPDATE_ACCOUNT.to_string()},
    });
    std::fs::write(
        out.join("treasury.json"),
        serde_json::to_vec_pretty(&treasury_report)?,
    )?;

    for s in seats {
        s.stop();
    }
    phases.end("metrics + compute units");

    let report = json!({
        "rpc_url": url,
        "out": out.display().to_string(),
        "devices": {"total": o.devices, "owners": o.owners, "by_fault": fleet.faults(),
            "last_epoch": device_status},
        "epochs": epochs,
        "final_root": {"epochs": fin.final_root.epochs, "total": fin.final_root.total,
            "root": hex::encode(fin.final_root.root)},
        "top_owners": top_owners,
        "ingest": {"reports_sent_per_oracle": sent_reports, "missed_slots": missed_slots,
            "oracles": ingest,
            "replayed_report": replay},
        "treasury": treasury_report,
        "supply": {"before": supply_before, "minted": minted, "burned": burned,
            "after": supply_after},
        "claims": {"wallets": claims.len(), "total": claimed_total},
        "transactions": ledger.counts(),
        "blockhash_expiries": ledger.expiries(),
        "compute_units": cu,
        "validator": validator,
        "phases": phases.done.iter().map(|(p, s)| json!({"phase": p, "secs": s}))
            .collect::<Vec<_>>(),
        "wall_secs": started.elapsed().as_secs_f64(),
        "checks": checks,
    });
    Ok((report, net))
}

/// Every customer pays once for epoch `epoch`, the run's `k`-th (from 0): customer i pays
/// 100 USDC x (i + 1) x (k + 1), with the invoice reference `INV-<epoch>-<i>`, all at once.
async fn pay_all(
    sender: &Sender,
    ledger: &Ledger,
    customers: &[Keypair],
    usdc: Pubkey,
    epoch: u64,
    k: u64,
) -> Result<Vec<Value>> {
    let usdc_tp = TokenProgram::SplToken;
    let pays = customers.iter().enumerate().map(|(i, c)| async move {
        let amount = 100_000_000 * (u64::try_from(i)? + 1) * (k + 1);
        let reference = format!("INV-{epoch:03}-{i:04}");
        let ix = treasury_ix::pay(
            treasury_ix::pay_accounts(
                c.pubkey(),
                usdc,
                usdc_tp,
                associated_token_address(&c.pubkey(), &usdc, usdc_tp),
            ),
            treasury_ix::PayArgs {
                amount,
                reference: crate::treasury::reference(&reference)?,
            },
        );
        let landed = ledger
            .send(sender, "pay", &[ix], c, &[], || {
                format!("payment {reference}")
            })
            .await?;
        Ok::<_, anyhow::Error>(json!({"customer": c.pubkey().to_string(),
            "reference": reference, "amount": amount,
            "signature": landed.signature.to_string()}))
    });
    futures::future::join_all(pays).await.into_iter().collect()
}

/// Sends `reports` to every oracle in batches of the binary encoding; waits out 429s.
async fn send_to_all(
    http: &reqwest::Client,
    seats: &[Oracle],
    reports: &[SignedReport],
) -> Result<()> {
    for chunk in reports.chunks(4_000) {
        let body: Vec<u8> = chunk.iter().flat_map(SignedReport::to_binary).collect();
        let sends = seats
            .iter()
            .map(|s| post(http, s, "/v1/reports/batch", body.clone()));
        for r in futures::future::join_all(sends).await {
            let (status, text) = r?;
            if status != 200 {
                bail!(
                    "a batch of {} reports was refused: {status} {text}",
                    chunk.len()
                );
            }
        }
    }
    Ok(())
}

/// POSTs a binary body; retries while the oracle answers 429 (backpressure).
async fn post(
    http: &reqwest::Client,
    oracle: &Oracle,
    path: &str,
    body: Vec<u8>,
) -> Result<(u16, String)> {
    for _ in 0..30 {
        let resp = http
            .post(format!("{}{path}", oracle.url))
            .header("content-type", "application/octet-stream")
            .body(body.clone())
            .send()
            .await
            .with_context(|| format!("oracle {} at {}", oracle.seat, oracle.url))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if status != 429 {
            return Ok((status, text));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(anyhow!(
        "oracle {} stayed overloaded (429) for 15 s",
        oracle.seat
    ))
}

/// Sends an already accepted report again to every oracle; each must refuse it.
async fn replay_to_all(
    http: &reqwest::Client,
    seats: &[Oracle],
    report: &SignedReport,
) -> Result<Value> {
    let mut answers = Vec::new();
    for s in seats {
        let (status, text) = post(http, s, "/v1/reports", report.to_binary()).await?;
        let reason = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("error").cloned())
            .unwrap_or(Value::Null);
        answers.push(json!({"oracle": s.seat, "status": status, "reason": reason}));
    }
    Ok(
        json!({"device": bs58::encode(report.report.device.0).into_string(),
        "answers": answers}),
    )
}

fn tokens(base: u64) -> String {
    crate::tokens(base, 6)
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// A JSON value as plain text (strings without quotes), so it can be padded.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// The report as tables.
fn print_report(r: &Value) {
    println!(
        "\n== Simulated network: {} devices, {} owners ==",
        r["devices"]["total"], r["devices"]["owners"]
    );
    println!("devices by fault:");
    if let Some(m) = r["devices"]["by_fault"].as_object() {
        for (k, v) in m {
            println!("  {k:<32} {:>6}", text(v));
        }
    }
    println!("devices in the last epoch:");
    if let Some(m) = r["devices"]["last_epoch"].as_object() {
        for (k, v) in m {
            println!("  {k:<32} {:>6}", text(v));
        }
    }
    println!("\nrewards per epoch:");
    println!(
        "  {:>5} {:>22} {:>22} {:>8} {:>6}  discounts",
        "epoch", "emission", "distributed", "earning", "agree"
    );
    for e in r["epochs"].as_array().into_iter().flatten() {
        let reasons = e["reasons"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        println!(
            "  {:>5} {:>22} {:>22} {:>8} {:>6}  {reasons}",
            text(&e["epoch"]),
            tokens(num(&e["emission"])),
            tokens(num(&e["distributed"])),
            text(&e["devices_earning"]),
            text(&e["oracles_agree"])
        );
    }
    println!("\ntop owners:");
    for t in r["top_owners"].as_array().into_iter().flatten() {
        println!(
            "  {:<44} {:>3} devices {:>20}",
            t["owner"].as_str().unwrap_or(""),
            text(&t["devices"]),
            tokens(num(&t["earned"]))
        );
    }
    println!(
        "\nreports (sent {} to each oracle):",
        r["ingest"]["reports_sent_per_oracle"]
    );
    for o in r["ingest"]["oracles"].as_array().into_iter().flatten() {
        println!(
            "  oracle {}: accepted {}, refused {}",
            o["oracle"], o["accepted"], o["rejected"]
        );
    }
    println!(
        "  replayed report: {}",
        r["ingest"]["replayed_report"]["answers"]
    );
    let t = &r["treasury"];
    println!("\ntreasury (USDC, base units):");
    println!(
        "  payments {:>6}  received {:>16}",
        t["payments"].as_array().map_or(0, Vec::len),
        text(&t["received"])
    );
    println!(
        "  buyback bucket {:>16}  bought back {:>16}  burned {}",
        text(&t["buckets"]["buyback"]),
        text(&t["bought_back"]),
        text(&t["burned_by_buybacks"])
    );
    println!(
        "  routed to stakers {:>13}  claimed by stakers {:>13}",
        text(&t["routed_to_stakers"]),
        text(&t["stakers_claimed"])
    );
    println!(
        "  swept to operations {:>11}",
        text(&t["swept_to_operations"])
    );
    println!(
        "  buyback: {} USDC base units spent, {} tokens burned, through pool {}",
        text(&t["buyback"]["spent"]),
        tokens(num(&t["buyback"]["burned"])),
        text(&t["buyback"]["pool"])
    );
    let s = &r["supply"];
    println!(
        "\nsupply: before {}  + minted {}  - burned {}  = after {}",
        tokens(num(&s["before"])),
        tokens(num(&s["minted"])),
        tokens(num(&s["burned"])),
        tokens(num(&s["after"]))
    );
    println!(
        "claims: {} wallets, {} in total",
        r["claims"]["wallets"],
        tokens(num(&r["claims"]["total"]))
    );
    println!("\ncompute units per instruction kind:");
    println!(
        "  {:<28} {:>8} {:>8} {:>8}",
        "kind", "sampled", "mean", "max"
    );
    for c in r["compute_units"].as_array().into_iter().flatten() {
        println!(
            "  {:<28} {:>8} {:>8} {:>8}",
            text(&c["kind"]),
            text(&c["sampled"]),
            text(&c["mean"]),
            text(&c["max"])
        );
    }
    println!(
        "\ntransactions: {}  (blockhash expiries: {})",
        r["transactions"], r["blockhash_expiries"]
    );
    println!("phases:");
    for p in r["phases"].as_array().into_iter().flatten() {
        println!(
            "  {:<28} {:>7.1} s",
            p["phase"].as_str().unwrap_or(""),
            p["secs"].as_f64().unwrap_or(0.0)
        );
    }
    println!("wall time: {:.1} s", r["wall_secs"].as_f64().unwrap_or(0.0));
    let v = &r["validator"];
    println!(
        "validator: {} slots in {:.0} s ({:.0} ms per slot; 400 nominal); its clock was {} s behind \
         this machine's when the last root was final",
        v["slots"],
        v["secs"].as_f64().unwrap_or(0.0),
        v["ms_per_slot"].as_f64().unwrap_or(0.0),
        v["clock_behind_secs"]
    );
    println!("\nchecks:");
    for c in r["checks"].as_array().into_iter().flatten() {
        println!(
            "  [{}] {}: {}",
            if c["ok"] == Value::Bool(true) {
                "ok"
            } else {
                "FAILED"
            },
            c["check"].as_str().unwrap_or(""),
            c["detail"].as_str().unwrap_or("")
        );
    }
    println!("\nfiles: {}", r["out"].as_str().unwrap_or(""));
}
