//! Two colluding oracles of three, end to end on the local network (issue 21's last test).
//!
//! A validator with the programs, initialised by `migrations/localnet.toml` (three oracles, two
//! to post, a 1 SOL bond, 40 % to the challenger) with 20 s epochs and a 10 s dispute window.
//! Five real `oracle serve` processes (this crate's binary, built with `test-failpoints`), each
//! with its own database, the same `registry.csv`, the epoch task and the submitter; five
//! devices report to all of them over HTTP:
//!
//! - seats 0 and 1 collude: `DEPIN_ORACLE_DISHONEST` moves [`AMOUNT`] from wallet V's earlier
//!   total to wallet B's in every epoch once V holds more than that;
//! - seat 2 is honest and runs the watcher (`watch.enabled`, the other four as peers);
//! - oracles A and B are honest and not seated yet.
//!
//! The devices report in two epochs, e0 (the first with an uptime slot left once the oracles
//! run: epoch 0, unless the machine is slow) and e1. Epoch e0 (V, B and C's devices report) is
//! honest everywhere and becomes final. In epoch e1 V's device is offline and D's is new: the
//! colluders post a root that lowers V and raises B (total and leaf count unchanged, every sum
//! consistent). The watcher proves the decrease inside the
//! window: the root is voided, both colluders' bonds are slashed to the rent, the challenger gets
//! exactly its share. Governance (the deployer) then proposes the set {2, A, B}; the program's
//! timelock is at least an hour, which a test cannot wait, so once a full snapshot holds the
//! proposal the validator is restarted warped to a slot that moves its clock an hour ahead
//! (`depin_localnet::warp_slot_for_clock_jump`; the oracles keep running and reconnect). The
//! rotation is applied, the honest oracles post epoch e1's honest root, it becomes final (the
//! warped clock runs at about half speed: the window takes some 20 s), and every wallet claims
//! exactly its cumulative total in the honest oracle's wallets.csv. About two minutes, most of
//! it the epochs and the wait for the snapshot.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::oracles::{
    Common, LogsOnPanic, airdrop, network, start_oracle, unix_now, wait_for, workspace_root,
    write_keypair,
};
use common::{cell, fix_at_cell, heartbeat, key, signed, speedtest, wallet};
use depin_client::accounts::{cluster_time, fetch};
use depin_client::builders::{self, TokenProgram, rewards_ix};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_localnet::{Localnet, LocalnetConfig, deployer, warp_slot_for_clock_jump};
use rewards::state::{Network, OracleBond, OracleSet, PendingChange, ProposalStatus, RootProposal};
use serde_json::Value;

const EPOCH_SECS: u64 = 20;
const SLOT_SECS: u64 = 5;
const DISPUTE_SECS: u64 = 10;
/// The set's bond and the challenger's share (migrations/localnet.toml).
const BOND: u64 = 1_000_000_000;
const CHALLENGER_BPS: u64 = 4_000;
/// What the colluders move from V's total to B's, base units (far below V's epoch-0 share).
const AMOUNT: u64 = 1_000_000_000;
/// How far the restart moves the cluster clock: past the one-hour timelock, with a margin.
const CLOCK_JUMP_SECS: u64 = 3_600 + 120;
const INCINERATOR: Pubkey = Pubkey::from_str_const("1nc1nerator11111111111111111111111111111111");

async fn oracle_set(sender: &Sender) -> OracleSet {
    fetch::<OracleSet>(sender, "oracle set", &rewards_ix::oracle_set_pda().0)
        .await
        .unwrap()
        .unwrap()
}

async fn proposal(sender: &Sender, key: &Pubkey) -> Option<RootProposal> {
    fetch::<RootProposal>(sender, "proposal", key)
        .await
        .unwrap()
}

/// One device of the fleet: its signer seed, owner and the epochs it reports in.
struct Device {
    n: u8,
    owner: depin_formats::keys::Pubkey,
    epochs: std::ops::RangeInclusive<u64>,
}

impl Device {
    /// Its cell: ~1 km apart, north of the test world's base.
    fn cell(&self) -> u64 {
        cell(0.01 * f64::from(self.n), 0.0)
    }
}

/// The fleet, reporting in epochs `first` and `first + 1`. V's device reports in `first` only
/// (its owner never claimed: the colluders' target); D's in `first + 1` only (a wallet appended
/// by the lie and by the honest root alike).
fn fleet(first: u64) -> Vec<Device> {
    let d = |n, w, epochs| Device {
        n,
        owner: wallet(w),
        epochs,
    };
    let (e0, e1) = (first, first + 1);
    vec![
        d(1, V, e0..=e0),
        d(2, B, e0..=e1),
        d(3, C, e0..=e1),
        d(4, C, e0..=e1),
        d(5, D, e1..=e1),
    ]
}
const V: u8 = 1;
const B: u8 = 2;
const C: u8 = 3;
const D: u8 = 4;

fn solana_key(k: depin_formats::keys::Pubkey) -> Pubkey {
    Pubkey::new_from_array(k.0)
}

fn registry_csv(fleet: &[Device]) -> String {
    let mut csv = String::from("device,owner,maker,location,kind,status\n");
    for d in fleet {
        csv.push_str(&format!(
            "{},{},{},{:x},connectivity,active\n",
            key(d.n),
            d.owner,
            wallet(200),
            d.cell()
        ));
    }
    csv
}

/// The devices, in real time: every second each device active in the current epoch (by the
/// wall clock, as the oracles' epochs) signs a heartbeat at its cell, and a speed test in its
/// first second of an epoch; every report goes to every oracle at once (an oracle closes an
/// epoch `close_delay` after its end: all of them must hold the same reports). Until the last
/// epoch any device reports in is over. Returns the reports sent to each oracle (each one
/// accepted).
async fn run_fleet(fleet: Vec<Device>, oracles: Vec<String>, start_ts: i64) -> u64 {
    let last = fleet.iter().map(|d| *d.epochs.end()).max().unwrap_or(0);
    let http = reqwest::Client::new();
    let mut nonce = 0u64;
    let mut seen = std::collections::HashSet::new();
    let mut sent = 0;
    loop {
        let now = unix_now();
        let epoch = u64::try_from((now - start_ts).max(0)).unwrap() / EPOCH_SECS;
        if epoch > last {
            return sent;
        }
        let mut reports = Vec::new();
        for d in fleet.iter().filter(|d| d.epochs.contains(&epoch)) {
            let mut payloads = vec![heartbeat(Some(fix_at_cell(d.cell())))];
            if seen.insert((d.n, epoch)) {
                payloads.push(speedtest(200_000, 50_000, 20));
            }
            for payload in payloads {
                nonce += 1;
                reports.push((d.n, signed(d.n, now, nonce, payload).to_binary()));
            }
        }
        let mut posts = tokio::task::JoinSet::new();
        for (n, report) in &reports {
            for url in &oracles {
                let post = http
                    .post(format!("{url}/v1/reports"))
                    .header("content-type", "application/octet-stream")
                    .body(report.clone())
                    .send();
                let (n, url) = (*n, url.clone());
                posts.spawn(async move {
                    let response = post.await.unwrap();
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    assert_eq!(status, 200, "device {n} -> {url}: {body}");
                });
            }
        }
        while let Some(posted) = posts.join_next().await {
            if let Err(e) = posted {
                std::panic::resume_unwind(e.into_panic());
            }
        }
        sent += u64::try_from(reports.len()).unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A confirmed transaction as `getTransaction` (JSON) gives it: its logs, fee, block time and
/// how it changed each account's lamports.
struct Meta {
    logs: Vec<String>,
    fee: u64,
    block_time: i64,
    deltas: Vec<(Pubkey, i128)>,
}

impl Meta {
    fn delta(&self, key: &Pubkey) -> i128 {
        self.deltas
            .iter()
            .find(|(k, _)| k == key)
            .map_or(0, |(_, d)| *d)
    }
}

async fn transaction(sender: &Sender, signature: &str) -> Meta {
    use depin_client::solana_client::rpc_config::{RpcTransactionConfig, UiTransactionEncoding};
    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Json),
        commitment: Some(depin_client::solana_commitment_config::CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let signature = signature.parse().unwrap();
    let tx = wait_for("getTransaction", Duration::from_secs(10), || async {
        sender
            .rpc()
            .get_transaction_with_config(&signature, config)
            .await
            .ok()
    })
    .await;
    let tx = serde_json::to_value(tx).unwrap();
    // Whether or not the response flattens the transaction into the top level.
    let meta = if tx["meta"].is_null() {
        &tx["transaction"]["meta"]
    } else {
        &tx["meta"]
    };
    let message = if tx["transaction"]["message"].is_null() {
        &tx["transaction"]["transaction"]["message"]
    } else {
        &tx["transaction"]["message"]
    };
    let numbers = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect()
    };
    let (pre, post) = (
        numbers(&meta["preBalances"]),
        numbers(&meta["postBalances"]),
    );
    let deltas = message["accountKeys"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, k)| {
            (
                k.as_str().unwrap().parse().unwrap(),
                i128::from(post[i]) - i128::from(pre[i]),
            )
        })
        .collect();
    Meta {
        logs: meta["logMessages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect(),
        fee: meta["fee"].as_u64().unwrap(),
        block_time: tx["blockTime"].as_i64().unwrap(),
        deltas,
    }
}

/// The `prove_fraud` transaction that voided `proposal`.
async fn proof_of(sender: &Sender, proposal: &Pubkey) -> Meta {
    let signatures = sender
        .rpc()
        .get_signatures_for_address_with_config(
            proposal,
            depin_client::solana_client::rpc_client::GetConfirmedSignaturesForAddress2Config {
                commitment: Some(
                    depin_client::solana_commitment_config::CommitmentConfig::confirmed(),
                ),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    for s in signatures.iter().filter(|s| s.err.is_none()) {
        let meta = transaction(sender, &s.signature).await;
        if meta
            .logs
            .iter()
            .any(|l| l == "Program log: Instruction: ProveFraud")
        {
            return meta;
        }
        seen.push(format!("{}: {:?}", s.signature, meta.logs));
    }
    panic!(
        "no prove_fraud transaction on {proposal} among:\n{}",
        seen.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn colluders_are_voided_rotated_out_and_every_wallet_claims_its_honest_total() {
    let started = Instant::now();
    let mut phases: Vec<(&str, Duration)> = Vec::new();
    let mut mark = Instant::now();
    let mut phase = |name: &'static str| {
        phases.push((name, mark.elapsed()));
        mark = Instant::now();
    };
    let dir = tempfile::tempdir().unwrap();
    let deploy = workspace_root().join("target/deploy");
    let net = Localnet::start(LocalnetConfig::for_tests(
        dir.path().join("ledger"),
        &deploy,
    ))
    .await
    .unwrap();
    let rpc_url = net.rpc_url();
    let rpc_port: u16 = rpc_url.rsplit(':').next().unwrap().parse().unwrap();
    let sender = Sender::new(rpc_url.clone(), SendConfig::default());
    let payer = deployer();
    let seated: Vec<Keypair> = (0..3)
        .map(|i| {
            read_keypair_file(workspace_root().join(format!("keys/localnet-oracle-{i}.json")))
                .unwrap()
        })
        .collect();
    let fresh = [Keypair::new(), Keypair::new()];
    let watcher = Keypair::new();
    for k in seated.iter().chain(&fresh) {
        airdrop(&sender, &k.pubkey(), 10 * BOND).await;
    }
    airdrop(&sender, &watcher.pubkey(), BOND).await;
    phase("local network, funding");
    // Epoch 0 starts with the network, the migration's first step: the oracles start as soon
    // as it exists, while the rest of the migration (staking, treasury, the AMM pool) runs.
    let mut config =
        depin_migrations::Config::load(&workspace_root().join("migrations/localnet.toml")).unwrap();
    config.network.epoch_secs = EPOCH_SECS;
    config.network.dispute_secs = DISPUTE_SECS;
    let migration = tokio::spawn({
        let sender = Sender::new(rpc_url.clone(), SendConfig::default());
        async move { depin_migrations::migrate(&config, &sender, &deployer()).await }
    });
    let n0 = wait_for("the network account", Duration::from_secs(60), || async {
        fetch::<Network>(&sender, "network", &rewards_ix::network_pda().0)
            .await
            .ok()
            .flatten()
    })
    .await;
    phase("network created");

    // ---- The oracles: the colluders, the fresh ones, then the honest seat with its watcher.
    let c = Common {
        dir: dir.path(),
        agreement: false,
        slot_secs: SLOT_SECS,
        close_delay_secs: 4,
        rpc_url: rpc_url.clone(),
        network: &n0,
        registry: registry_csv(&fleet(0)),
    };
    let lie = (
        "DEPIN_ORACLE_DISHONEST",
        format!("{}:{AMOUNT}:{}", wallet(V), wallet(B)),
    );
    let mut oracles = vec![
        start_oracle(
            &c,
            "colluder-0",
            &seated[0],
            0,
            "",
            std::slice::from_ref(&lie),
        ),
        start_oracle(&c, "colluder-1", &seated[1], 0, "", &[lie]),
        start_oracle(&c, "fresh-a", &fresh[0], 0, "", &[]),
        start_oracle(&c, "fresh-b", &fresh[1], 0, "", &[]),
    ];
    let watcher_key = dir.path().join("watcher-keypair.json");
    write_keypair(&watcher_key, &watcher);
    let peers: Vec<String> = oracles
        .iter()
        .map(|o| format!("{{ url = {:?} }}", o.url))
        .collect();
    let watch = format!(
        "\n[watch]\nenabled = true\nkeypair = {watcher_key:?}\npeers = [{}]\npoll_interval = \
         \"500ms\"\nfetch_timeout = \"5s\"\n",
        peers.join(", ")
    );
    oracles.push(start_oracle(&c, "honest", &seated[2], 0, &watch, &[]));
    let logs = LogsOnPanic::of(&oracles);
    let (colluders, honest) = (&oracles[..2], &oracles[4]);
    // The devices report in the first epoch with an uptime slot left (epoch 0 unless the
    // machine is slow; the epochs before it distribute nothing) and the next one.
    let since_start = u64::try_from(unix_now() - n0.emission.start_ts).unwrap();
    let first = (since_start + SLOT_SECS) / EPOCH_SECS;
    let (e0, e1) = (first, first + 1);
    eprintln!("collusion_localnet: the devices report in epochs {e0} and {e1}");
    let urls = oracles.iter().map(|o| o.url.clone()).collect();
    let devices = tokio::spawn(run_fleet(fleet(first), urls, n0.emission.start_ts));
    migration.await.unwrap().unwrap();
    phase("oracles, migration");

    // ---- Epoch e0: honest everywhere, final (after the idle epochs before it, if any).
    wait_for("epoch e0 final", Duration::from_secs(90), || async {
        (network(&sender).await.final_root.epochs > e0).then_some(())
    })
    .await;
    for idle in 0..e0 {
        let published = honest.published(idle).unwrap();
        assert!(published.rows.is_empty(), "epoch {idle}: no wallet");
    }
    let honest0 = honest.published(e0).unwrap();
    let n = network(&sender).await;
    assert_eq!(
        (n.final_root.root, n.final_root.total, n.final_root.leaves),
        (honest0.args.root, honest0.args.total, honest0.args.leaves),
        "epoch {e0}'s final root is the honest oracle's"
    );
    for o in &oracles {
        assert_eq!(
            o.wait_published(e0, Duration::from_secs(30)).await,
            honest0,
            "oracle {} published another epoch {e0}",
            o.name
        );
    }
    let wallets0: Vec<_> = honest0.rows.iter().map(|r| r.wallet).collect();
    assert_eq!(
        wallets0,
        [wallet(V), wallet(B), wallet(C)],
        "epoch {e0}'s leaves"
    );
    phase("first earning epoch final");

    // ---- Epoch e1: the colluders' root lowers V by AMOUNT and raises B by AMOUNT.
    let lying = wait_for(
        "the colluders' epoch e1",
        Duration::from_secs(60),
        || async { colluders[0].published(e1).zip(colluders[1].published(e1)) },
    )
    .await;
    assert_eq!(lying.0, lying.1, "both colluders published the same lie");
    let lying = lying.0;
    let honest1 = wait_for("the honest epoch e1", Duration::from_secs(30), || async {
        honest.published(e1)
    })
    .await;
    assert_eq!(
        honest1.rows.iter().map(|r| r.wallet).collect::<Vec<_>>(),
        [wallet(V), wallet(B), wallet(C), wallet(D)],
        "epoch {e1} appends D"
    );
    let v0 = honest0.rows[0].cumulative;
    assert_eq!(honest1.rows[0].epoch_reward, 0, "V's device was offline");
    assert!(v0 > AMOUNT, "V earned {v0} in epoch {e0}");
    let mut expected = honest1.rows.clone();
    expected[0].previous -= AMOUNT;
    expected[0].cumulative -= AMOUNT;
    expected[1].previous += AMOUNT;
    expected[1].cumulative += AMOUNT;
    assert_eq!(
        lying.rows, expected,
        "the lie: V less AMOUNT, B more, nothing else"
    );
    assert_eq!(
        (lying.args.total, lying.args.leaves),
        (honest1.args.total, honest1.args.leaves)
    );
    assert_ne!(lying.args.root, honest1.args.root);
    for o in &oracles[2..] {
        assert_eq!(
            o.wait_published(e1, Duration::from_secs(30)).await,
            honest1,
            "oracle {}",
            o.name
        );
    }

    // ---- The watcher proves V's decrease inside the window: voided, both voters slashed.
    let lie_key = rewards_ix::proposal_pda(1, 0, &lying.args).0;
    let voided = wait_for("the lie voided", Duration::from_secs(60), || async {
        proposal(&sender, &lie_key)
            .await
            .filter(|p| p.status == ProposalStatus::Voided)
    })
    .await;
    assert_eq!(voided.votes, 0b011, "posted by the colluders' two votes");
    assert_eq!(
        voided.voters[..3],
        [seated[0].pubkey(), seated[1].pubkey(), Pubkey::default()],
        "the proposal records the colluders, whom the proof slashes"
    );
    assert_eq!(
        voided.dispute_ends,
        voided.posted_at + i64::try_from(DISPUTE_SECS).unwrap()
    );
    let proof = proof_of(&sender, &lie_key).await;
    assert!(
        proof.block_time <= voided.dispute_ends,
        "proven at {} after the window ended at {}",
        proof.block_time,
        voided.dispute_ends
    );
    let share = 2 * BOND * CHALLENGER_BPS / 10_000;
    assert_eq!(
        proof.delta(&watcher.pubkey()),
        i128::from(share) - i128::from(proof.fee),
        "the challenger gets {CHALLENGER_BPS} bps of both bonds, less the proof's fee"
    );
    assert_eq!(proof.fee, 5_000, "one signature, no priority fee");
    assert_eq!(
        proof.delta(&INCINERATOR),
        i128::from(2 * BOND - share),
        "the rest is burned"
    );
    let bond_rent = sender
        .rpc()
        .get_minimum_balance_for_rent_exemption(OracleBond::SIZE)
        .await
        .unwrap();
    for o in &seated[..2] {
        let key = rewards_ix::bond_pda(&o.pubkey()).0;
        let bond = fetch::<OracleBond>(&sender, "bond", &key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bond.amount, 0, "{}'s bond", o.pubkey());
        assert_eq!(
            sender.rpc().get_balance(&key).await.unwrap(),
            bond_rent,
            "{}'s bond record keeps exactly its rent",
            o.pubkey()
        );
        assert_eq!(proof.delta(&key), -i128::from(BOND));
    }
    assert_eq!(oracle_set(&sender).await.slashed, 0b011);
    assert_eq!(network(&sender).await.voided_roots, 1, "a new voting round");
    // Counted once the watcher's sender has seen its transaction confirmed.
    wait_for(
        "the honest oracle's watcher counting its proof",
        Duration::from_secs(10),
        || async {
            let landed = honest
                .metric("oracle_watch_proofs_landed_total{kind=\"decrease\"}")
                .await;
            (landed == Some(1)).then_some(())
        },
    )
    .await;
    assert_eq!(
        network(&sender).await.final_root.epochs,
        e1,
        "no root for epoch {e1} yet"
    );
    assert!(devices.await.unwrap() > 0, "the devices reported");
    phase("next epoch: the lie posted and voided");

    // ---- Governance rotates the set to the honest oracle and the two fresh ones. The
    // timelock (an hour at least) refuses it now.
    let honest_set = vec![seated[2].pubkey(), fresh[0].pubkey(), fresh[1].pubkey()];
    let id = network(&sender).await.changes_proposed;
    let update = rewards_ix::ParamUpdate::OracleSet {
        oracles: honest_set.clone(),
        threshold: 2,
        bond: BOND,
        challenger_bps: u16::try_from(CHALLENGER_BPS).unwrap(),
    };
    let proposed = sender
        .send(
            "propose_change",
            &[rewards_ix::propose_change_ix(
                payer.pubkey(),
                payer.pubkey(),
                id,
                update,
            )],
            &payer,
            &[],
        )
        .await
        .unwrap();
    let change = fetch::<PendingChange>(&sender, "change", &rewards_ix::change_pda(id).0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change.eta, change.proposed_at + 3_600);
    let apply = || rewards_ix::apply_change_ix(id, payer.pubkey());
    let early = sender
        .send("apply_change", &[apply()], &payer, &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(early.contains("TimelockActive"), "{early}");

    // ---- An hour later: restart the validator warped ahead, from a snapshot that holds the
    // proposal (a warp drops whatever landed after the last full snapshot).
    wait_for(
        "a full snapshot holding the proposal",
        Duration::from_secs(90),
        || async {
            let s = sender.rpc().get_highest_snapshot_slot().await.ok()?;
            (s.full >= proposed.slot).then_some(())
        },
    )
    .await;
    phase("a snapshot holding the proposal");
    let slot = sender.rpc().get_slot().await.unwrap();
    let epoch_len = sender
        .rpc()
        .get_epoch_schedule()
        .await
        .unwrap()
        .slots_per_epoch;
    let warp = warp_slot_for_clock_jump(CLOCK_JUMP_SECS, slot, epoch_len).unwrap();
    net.shutdown().await;
    let net = Localnet::start(LocalnetConfig {
        rpc_port,
        warp_slot: Some(warp),
        ..LocalnetConfig::for_tests(dir.path().join("ledger"), &deploy)
    })
    .await
    .unwrap();
    assert!(net.resumed());
    assert_eq!(net.rpc_url(), rpc_url, "the oracles' RPC URL");
    // The clock moves at the validator's first vote after the restart, which under load (the
    // whole suite on two cores) can take well over a minute.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let now = cluster_time(&sender).await.unwrap_or_default();
        if now >= change.eta {
            break;
        }
        let slot = sender.rpc().get_slot().await.unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "the clock past the ETA {}: not within 300 s (clock {now} at slot {slot}, warp {warp})",
            change.eta
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    phase("an hour later: the warped restart");
    sender
        .send("apply_change", &[apply()], &payer, &[])
        .await
        .unwrap();
    let set = oracle_set(&sender).await;
    assert_eq!(
        (set.set_version, set.threshold, set.slashed),
        (2, 2, 0),
        "rotated"
    );
    assert_eq!(
        set.seats[..3].iter().map(|s| s.key).collect::<Vec<_>>(),
        honest_set
    );

    // ---- The honest oracles post epoch e1's honest root; it becomes final.
    wait_for("epoch e1 final", Duration::from_secs(90), || async {
        (network(&sender).await.final_root.epochs > e1).then_some(())
    })
    .await;
    let n = network(&sender).await;
    assert_eq!(
        (
            n.final_root.root,
            n.final_root.total,
            n.final_root.leaves,
            n.final_root.manifest_hash
        ),
        (
            honest1.args.root,
            honest1.args.total,
            honest1.args.leaves,
            honest1.args.manifest_hash
        ),
        "epoch {e1}'s final root is the honest one"
    );
    let posted = proposal(
        &sender,
        &rewards_ix::proposal_pda(2, n.voided_roots, &honest1.args).0,
    )
    .await
    .expect("the honest proposal of set version 2");
    assert_eq!(posted.status, ProposalStatus::Final);
    assert!(posted.votes.count_ones() >= 2, "{:b}", posted.votes);
    for (seat, voter) in posted.voters.iter().enumerate().take(3) {
        let voted = posted.votes & (1 << seat) != 0;
        assert_eq!(
            *voter,
            if voted {
                honest_set[seat]
            } else {
                Pubkey::default()
            },
            "seat {seat} of the rotated set"
        );
    }
    phase("rotation, honest root final");

    // ---- Every wallet claims exactly its honest cumulative total.
    let tree = depin_formats::tree::tree(&honest1.rows).unwrap().unwrap();
    let mint = rewards_ix::mint_pda().0;
    let tp = TokenProgram::SplToken;
    for (i, row) in honest1.rows.iter().enumerate() {
        let owner = solana_key(row.wallet);
        let ata = builders::associated_token_address(&owner, &mint, tp);
        let create = builders::create_associated_token_account_idempotent(
            &payer.pubkey(),
            &owner,
            &mint,
            tp,
        );
        let claim = rewards_ix::claim(
            rewards_ix::claim_accounts(payer.pubkey(), owner, ata, tp),
            rewards_ix::ClaimArgs {
                cumulative_amount: row.cumulative,
                proof: rewards_ix::proof_nodes(&tree.proof(i).unwrap()),
            },
        );
        sender
            .send("claim", &[create, claim], &payer, &[])
            .await
            .unwrap();
        let balance = sender.rpc().get_token_account_balance(&ata).await.unwrap();
        assert_eq!(
            balance.amount,
            row.cumulative.to_string(),
            "wallet {} (leaf {i})",
            row.wallet
        );
    }
    let claimed: u64 = honest1.rows.iter().map(|r| r.cumulative).sum();
    assert_eq!(claimed, honest1.args.total);
    assert_eq!(network(&sender).await.total_claimed, claimed);
    phase("claims");

    drop(logs);
    drop(oracles);
    phase("oracles stopped");
    net.shutdown().await;
    phase("local network stopped");
    for (name, d) in &phases {
        eprintln!("collusion_localnet: {name}: {:.1} s", d.as_secs_f64());
    }
    eprintln!(
        "collusion_localnet: total {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
