//! The demo's reward path: after genesis, governance installs three oracles through the
//! timelock, they bond, a maker is approved, the owners stake one device's collateral per device
//! and their simulated devices are onboarded (binding that collateral); then, epoch by
//! epoch, the emission is cranked, the devices send signed heartbeats and speed tests, the
//! oracle's own epoch engine scores them and writes the transparency files, two oracles vote
//! the root, it is finalized after the dispute window, and an auto-claim crank pays every wallet.
//!
//! Everything on-chain runs as the built SBF programs in LiteSVM; the off-chain half is the
//! `depin-oracle` library, through the same input files `oracle epoch run` reads, so every epoch
//! the demo writes can be checked with `oracle epoch verify`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use depin_oracle::epoch::EpochConfig;
use depin_oracle::inputs::{
    self, PARAMS_JSON, PREVIOUS_WALLETS_CSV, REGISTRY_CSV, REGISTRY_HEADER, REPORTS_JSONL,
};
use depin_oracle::report::{Heartbeat, Payload, Report, Speedtest};
use depin_oracle::transparency::{self, WALLETS_CSV};
use depin_oracle::verify::EpochWindow;
use ed25519_dalek::SigningKey;
use harness::builders::rewards_ix::*;
use harness::builders::staking_ix;
use harness::litesvm::types::TransactionMetadata;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::{
    Instruction, TestEnv, TokenProgram, create_mint_at, create_token_account_at, read_mint, rewards,
};
use rewards::state::Network;

/// An H3 cell (San Francisco, resolution 9) every simulated device asserts.
const CELL: u64 = 0x0892_8308_ae03_ffff;
const BOND_LAMPORTS: u64 = 1_000_000_000;
const HOUR: i64 = 3_600;

/// What the reward path does.
pub struct Options {
    pub token_program: TokenProgram,
    pub epochs: u64,
    pub devices: u8,
    pub owners: u8,
    /// Where the oracle's inputs and transparency files go (created fresh).
    pub out: PathBuf,
}

/// One epoch, as the demo prints it.
pub struct EpochLine {
    pub epoch: u64,
    pub minted: u64,
    pub devices_earning: usize,
    pub reports: u64,
    pub root_total: u64,
    pub claimed: u64,
    pub vault: u64,
    pub supply: u64,
    pub manifest_hash: String,
    pub dir: PathBuf,
}

/// One owner at the end.
pub struct OwnerLine {
    pub wallet: Pubkey,
    pub devices: usize,
    /// Network tokens locked in the owner's staking position (its devices' collateral).
    pub staked: u64,
    pub cumulative: u64,
    pub balance: u64,
}

/// The simulated world: keys are derived from fixed seeds, so every run is the same.
struct World {
    owners: Vec<Keypair>,
    owner_accounts: Vec<Pubkey>,
    /// Each owner's staking position (id 0), holding its devices' collateral.
    positions: Vec<Pubkey>,
    devices: Vec<Keypair>,
    oracles: Vec<Keypair>,
    maker: Keypair,
}

fn send(
    env: &mut TestEnv,
    what: &str,
    ixs: &[Instruction],
    signers: &[&Keypair],
) -> Result<TransactionMetadata> {
    env.svm.expire_blockhash();
    env.send(ixs, signers)
        .map_err(|f| anyhow!("{what} failed: {:?}\n{}", f.err, f.meta.pretty_logs()))
}

fn network(env: &TestEnv) -> Network {
    env.anchor_account(&network_pda().0)
}

fn keypair(tag: u8, i: u8) -> Keypair {
    let mut seed = [tag; 32];
    seed[31] = i;
    Keypair::new_from_array(seed)
}

fn oracle_key(k: &Pubkey) -> depin_oracle::keys::Pubkey {
    depin_oracle::keys::Pubkey(k.to_bytes())
}

fn airdrop(env: &mut TestEnv, to: &Pubkey, lamports: u64) -> Result<()> {
    env.svm
        .airdrop(to, lamports)
        .map_err(|e| anyhow!("airdrop to {to}: {e:?}"))?;
    Ok(())
}

/// Governance (the deployer) installs the oracles through the timelock; they bond; a maker is
/// approved; owners get token accounts; devices are onboarded, round-robin over the owners.
fn set_up(env: &mut TestEnv, governance: &Keypair, opts: &Options) -> Result<World> {
    let payer = env.payer.pubkey();
    let world = World {
        owners: (0..opts.owners).map(|i| keypair(0xa0, i)).collect(),
        owner_accounts: Vec::new(),
        positions: Vec::new(),
        devices: (0..opts.devices).map(|i| keypair(0xd0, i)).collect(),
        oracles: (0..3).map(|i| keypair(0x0c, i)).collect(),
        maker: keypair(0x3a, 0),
    };
    let update = ParamUpdate::OracleSet {
        oracles: world.oracles.iter().map(Signer::pubkey).collect(),
        threshold: 2,
        bond: BOND_LAMPORTS,
        challenger_bps: 4_000,
    };
    let id = network(env).changes_proposed;
    send(
        env,
        "propose_change (oracle set)",
        &[propose_change_ix(payer, governance.pubkey(), id, update)],
        &[governance],
    )?;
    let eta = env
        .anchor_account::<rewards::state::PendingChange>(&change_pda(id).0)
        .eta;
    env.warp_to_timestamp(eta);
    send(env, "apply_change", &[apply_change_ix(id, payer)], &[])?;
    for oracle in &world.oracles {
        airdrop(env, &oracle.pubkey(), 2 * BOND_LAMPORTS)?;
        send(
            env,
            "post_bond",
            &[post_bond(
                post_bond_accounts(oracle.pubkey()),
                BOND_LAMPORTS,
            )],
            &[oracle],
        )?;
    }
    send(
        env,
        "approve_maker",
        &[approve_maker_ix(
            payer,
            governance.pubkey(),
            world.maker.pubkey(),
        )],
        &[governance],
    )?;
    let mut world = world;
    for (i, owner) in world.owners.iter().enumerate() {
        airdrop(env, &owner.pubkey(), 1_000_000_000)?;
        let account = keypair(0xac, u8::try_from(i)?);
        world.owner_accounts.push(create_token_account_at(
            env,
            opts.token_program,
            &mint_pda().0,
            &owner.pubkey(),
            &account,
        ));
    }
    // Staking's revenue (stablecoin) mint must exist before the first position.
    let usd = create_mint_at(
        env,
        opts.token_program,
        &governance.pubkey(),
        6,
        &keypair(0x5d, 0),
    );
    send(
        env,
        "initialize_revenue",
        &[staking_ix::initialize_revenue(
            staking_ix::initialize_revenue_accounts(
                payer,
                governance.pubkey(),
                usd,
                opts.token_program,
            ),
        )],
        &[governance],
    )?;
    // Each owner stakes one device's collateral per device it will onboard, sent to it by
    // governance from the genesis supply.
    let decimals = env
        .anchor_account::<rewards::state::Network>(&network_pda().0)
        .decimals;
    let min = env
        .anchor_account::<staking::state::StakingConfig>(&staking_ix::config_pda().0)
        .min_device_collateral;
    for (i, owner) in world.owners.iter().enumerate() {
        let devices = (0..world.devices.len())
            .filter(|d| d % world.owners.len() == i)
            .count();
        let collateral = min
            .checked_mul(u64::try_from(devices)?)
            .ok_or_else(|| anyhow!("collateral overflows u64"))?;
        let source = world.owner_accounts[i];
        let grant = depin_client::builders::transfer_checked(
            opts.token_program,
            &genesis_pda().0,
            &mint_pda().0,
            &source,
            &governance.pubkey(),
            collateral,
            decimals,
        );
        send(env, "transfer (genesis)", &[grant], &[governance])?;
        let ix = staking_ix::stake(
            staking_ix::stake_accounts(owner.pubkey(), 0, mint_pda().0, source, opts.token_program),
            staking_ix::StakeArgs {
                id: 0,
                kind: staking_ix::LockupKind::Cliff,
                lockup_secs: 0,
                amount: collateral,
            },
        );
        send(env, "stake (collateral)", &[ix], &[owner])?;
        world
            .positions
            .push(staking_ix::position_pda(&owner.pubkey(), 0).0);
    }
    for (i, device) in world.devices.iter().enumerate() {
        let owner = &world.owners[i % world.owners.len()];
        let ix = onboard_device(
            onboard_device_accounts(
                payer,
                owner.pubkey(),
                device.pubkey(),
                world.maker.pubkey(),
                world.owner_accounts[i % world.owners.len()],
                opts.token_program,
                world.positions[i % world.owners.len()],
            ),
            OnboardDeviceArgs {
                kind: DeviceKind::Connectivity,
                location: CELL,
            },
        );
        send(env, "onboard_device", &[ix], &[owner, device, &world.maker])?;
    }
    Ok(world)
}

/// The oracle's registry, read back from the device accounts on-chain.
fn registry_csv(env: &TestEnv, world: &World) -> Result<String> {
    let mut out = format!("{REGISTRY_HEADER}\n");
    for device in &world.devices {
        let d: rewards::state::Device = env.anchor_account(&device_pda(&device.pubkey()).0);
        let kind = match d.kind {
            rewards::state::DeviceKind::Connectivity => "connectivity",
            rewards::state::DeviceKind::Compute => "compute",
        };
        let status = match d.status {
            rewards::state::DeviceStatus::Active => "active",
            rewards::state::DeviceStatus::Decommissioned => "decommissioned",
        };
        out.push_str(&format!(
            "{},{},{},{:x},{kind},{status}\n",
            d.device, d.owner, d.maker, d.location
        ));
    }
    Ok(out)
}

/// Device `i`'s signed reports for `epoch`: a heartbeat for each hour it is up (one device in
/// five is down all epoch) and one speed test whose tier depends on the device.
fn reports_jsonl(world: &World, epoch: u64, window: EpochWindow) -> Result<String> {
    let mut out = String::new();
    let e = i64::try_from(epoch)?;
    for (i, device) in world.devices.iter().enumerate() {
        let signer = SigningKey::from_bytes(device.secret_bytes());
        let key = oracle_key(&device.pubkey());
        let n = i64::try_from(i)?;
        let hours_up = if i % 5 == 4 {
            0
        } else {
            24 - (n * 5 + e * 3) % 13
        };
        let mut nonce = epoch * 1_000;
        let mut push = |timestamp: i64, payload: Payload| -> Result<()> {
            nonce += 1;
            let report = Report {
                device: key,
                timestamp,
                nonce,
                payload,
            };
            out.push_str(&report.sign(&signer).to_json()?);
            out.push('\n');
            Ok(())
        };
        for hour in 0..hours_up {
            push(
                window.start + hour * HOUR + 30,
                Payload::Heartbeat(Heartbeat { location: None }),
            )?;
        }
        if hours_up > 0 {
            let (download_kbps, upload_kbps, latency_ms) = match i % 3 {
                0 => (150_000, 20_000, 20),
                1 => (60_000, 6_000, 80),
                _ => (30_000, 3_000, 150),
            };
            push(
                window.start + 600,
                Payload::Speedtest(Speedtest {
                    download_kbps,
                    upload_kbps,
                    latency_ms,
                }),
            )?;
        }
    }
    Ok(out)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Runs the reward path for `opts.epochs` epochs after genesis.
pub fn run(
    env: &mut TestEnv,
    governance: &Keypair,
    opts: &Options,
) -> Result<(Vec<EpochLine>, Vec<OwnerLine>)> {
    if opts.owners == 0 || opts.devices == 0 {
        bail!("--owners and --devices must be at least 1");
    }
    if opts.out.exists() {
        std::fs::remove_dir_all(&opts.out)
            .with_context(|| format!("clearing {}", opts.out.display()))?;
    }
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating {}", opts.out.display()))?;
    let world = set_up(env, governance, opts)?;
    let payer = env.payer.pubkey();
    let start = network(env).emission.start_ts;
    let epoch_secs = i64::try_from(network(env).emission.epoch_secs)?;
    let registry = registry_csv(env, &world)?;
    let mut lines = Vec::new();
    let mut cumulative: BTreeMap<Pubkey, u64> = BTreeMap::new();

    for epoch in 0..opts.epochs {
        let epoch_start = start + i64::try_from(epoch)? * epoch_secs;
        if env.now() < epoch_start {
            env.warp_to_timestamp(epoch_start);
        }
        let before = network(env).cumulative_budget;
        send(
            env,
            "crank_epoch",
            &[crank_epoch(crank_epoch_accounts(opts.token_program))],
            &[],
        )?;
        let minted = network(env).cumulative_budget - before;

        // The oracle: inputs as `oracle epoch run` reads them, then the engine and the files.
        let window = EpochWindow::new(epoch_start, epoch_start + epoch_secs)?;
        let input_dir = opts.out.join(format!("inputs-{epoch}"));
        std::fs::create_dir_all(&input_dir)?;
        let config = EpochConfig {
            epoch,
            budget: minted,
            window,
            customers: Vec::new(),
            scoring: Default::default(),
        };
        write(&input_dir.join(PARAMS_JSON), &serde_json::to_vec(&config)?)?;
        write(&input_dir.join(REGISTRY_CSV), registry.as_bytes())?;
        write(
            &input_dir.join(REPORTS_JSONL),
            reports_jsonl(&world, epoch, window)?.as_bytes(),
        )?;
        if epoch > 0 {
            let previous = opts
                .out
                .join(format!("epoch-{}", epoch - 1))
                .join(WALLETS_CSV);
            std::fs::copy(&previous, input_dir.join(PREVIOUS_WALLETS_CSV))
                .with_context(|| format!("copying {}", previous.display()))?;
        }
        let inputs = inputs::load(&input_dir)?;
        let reports = inputs.reports.report_count();
        let result = depin_oracle::epoch::run(
            &inputs.config,
            &inputs.registry,
            inputs.reports,
            inputs.previous,
        )?;
        let written =
            transparency::write_epoch(&opts.out, &result, &inputs.hashes, &inputs.rejected)?;
        let root = result
            .root
            .ok_or_else(|| anyhow!("epoch {epoch}: no device earned anything"))?;

        // Two of the three oracles vote once the epoch is over; the root is final after the
        // dispute window.
        let epoch_end = epoch_start + epoch_secs;
        if env.now() < epoch_end {
            env.warp_to_timestamp(epoch_end);
        }
        let vote = VoteRootArgs {
            epoch,
            root: root.hash,
            total: root.sum,
            manifest_hash: written.manifest_hash,
        };
        let set_version = env
            .anchor_account::<rewards::state::OracleSet>(&oracle_set_pda().0)
            .set_version;
        for oracle in &world.oracles[..2] {
            send(
                env,
                "vote_root",
                &[vote_root(
                    vote_root_accounts_in(
                        oracle.pubkey(),
                        set_version,
                        network(env).voided_roots,
                        &vote,
                    ),
                    vote.clone(),
                )],
                &[oracle],
            )?;
        }
        let proposal = proposal_pda(set_version, network(env).voided_roots, &vote).0;
        let ends = env
            .anchor_account::<rewards::state::RootProposal>(&proposal)
            .dispute_ends;
        env.warp_to_timestamp(ends);
        send(
            env,
            "finalize_root",
            &[finalize_root(finalize_root_accounts(proposal))],
            &[],
        )?;

        // The auto-claim crank: anyone may claim for every wallet; tokens go to each wallet.
        let tree = depin_oracle::epoch::tree(&result.wallets)?
            .ok_or_else(|| anyhow!("epoch {epoch}: no wallet earned anything"))?;
        let claimed_before = network(env).total_claimed;
        for (index, w) in result.wallets.iter().enumerate() {
            let wallet = Pubkey::new_from_array(w.wallet.to_bytes());
            let amount = w.cumulative;
            cumulative.insert(wallet, amount);
            let owner = world
                .owners
                .iter()
                .position(|o| o.pubkey() == wallet)
                .ok_or_else(|| anyhow!("wallet {wallet} is not a simulated owner"))?;
            let proof = tree
                .proof(index)
                .ok_or_else(|| anyhow!("no proof for leaf {index}"))?;
            send(
                env,
                "claim",
                &[claim(
                    claim_accounts(
                        payer,
                        wallet,
                        world.owner_accounts[owner],
                        opts.token_program,
                    ),
                    ClaimArgs {
                        cumulative_amount: amount,
                        proof: proof_nodes(&proof),
                    },
                )],
                &[],
            )?;
        }
        let n = network(env);
        lines.push(EpochLine {
            epoch,
            minted,
            devices_earning: result.devices.iter().filter(|d| d.reward > 0).count(),
            reports,
            root_total: root.sum,
            claimed: n.total_claimed - claimed_before,
            vault: n.cumulative_budget - n.total_claimed,
            supply: read_mint(env, &mint_pda().0).1.supply,
            manifest_hash: hex::encode(written.manifest_hash),
            dir: written.dir,
        });
    }

    let owners = world
        .owners
        .iter()
        .zip(&world.owner_accounts)
        .zip(&world.positions)
        .map(|((o, account), position)| OwnerLine {
            wallet: o.pubkey(),
            staked: env
                .anchor_account::<staking::state::Position>(position)
                .amount,
            devices: world
                .devices
                .iter()
                .enumerate()
                .filter(|(i, _)| world.owners[i % world.owners.len()].pubkey() == o.pubkey())
                .count(),
            cumulative: cumulative.get(&o.pubkey()).copied().unwrap_or(0),
            balance: harness::read_token_account(env, account).1.amount,
        })
        .collect();
    Ok((lines, owners))
}
