//! Oracles that agree whatever the devices reach (issue 22; docs/oracle-agreement.md), end to
//! end on the local network.
//!
//! A validator with the programs, initialised by `migrations/localnet.toml` (20 s epochs, a 5 s
//! dispute window, `input_secs` 3 s) and real `oracle serve` processes with `agreement.enabled`,
//! each with its own database and key, the epoch task and the submitter. Four devices report
//! every second over HTTP, but never to every oracle:
//!
//! - `three_oracles_agree_through_one_way_delivery_an_outage_and_a_withheld_set` (seats 0, 1, 2,
//!   two to post): in epoch e0 each report reaches exactly one oracle; in e1 oracle 2 is down
//!   (killed) for the first third of the epoch and each report reaches a random non-empty subset
//!   of the oracles that are up; in e2 each report again reaches one oracle, and oracle 2
//!   commits its set but serves it to nobody (`DEPIN_ORACLE_WITHHOLD_SETS_FROM`). Every epoch's
//!   root becomes final, every oracle publishes byte-identical files, and the union holds
//!   exactly the reports of e0 and e1, and in e2 exactly those that reached oracle 0 or 1 (the
//!   withheld set is left out by all three alike).
//! - `two_oracles_agree_when_each_report_reaches_one_of_them_and_a_stuck_network_is_flagged`
//!   (seats 0 and 1, both needed); then oracle 1 goes down for good, and oracle 0 reports the
//!   stuck network (a WARN naming the epoch, `oracle_submit_root_overdue_seconds` above 0) once
//!   the next epoch is `submit.overdue_after` past its end without a root.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::oracles::{
    Common, LogsOnPanic, OracleProc, airdrop, free_port, network, start_oracle, unix_now, wait_for,
    workspace_root,
};
use common::{cell, fix_at_cell, heartbeat, key, signed, speedtest, wallet};
use depin_client::accounts::{cluster_time, fetch};
use depin_client::builders::rewards_ix;
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_formats::report::SignedReport;
use depin_formats::transparency::{
    DEVICES_CSV, EPOCHS_DIR, MANIFEST_HASH, MANIFEST_JSON, REPORTS_JSONL, WALLETS_CSV,
    epoch_dir_name,
};
use depin_localnet::{Localnet, LocalnetConfig, deployer};
use rewards::state::{EpochInputs, Network, ProposalStatus, RootProposal};

const EPOCH_SECS: u64 = 20;
const SLOT_SECS: u64 = 5;
const DISPUTE_SECS: u64 = 5;
const BOND: u64 = 1_000_000_000;
/// Devices 1..=4, owned by wallets 1..=4.
const DEVICES: [u8; 4] = [1, 2, 3, 4];

/// The two tests run one after the other: each runs a validator, oracles and a fleet in real
/// time, and two at once on a small machine miss their epochs.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One report the fleet sent: its key and the oracles that acknowledged it.
#[derive(Clone, Debug)]
struct Sent {
    timestamp: i64,
    device: u8,
    nonce: u64,
    to: Vec<usize>,
}

/// Which oracles a report goes to, among those up (`up`, never empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// Exactly one: `up[nonce % up.len()]`.
    One,
    /// A non-empty subset drawn from the nonce.
    Subset,
}

fn targets(route: Route, nonce: u64, up: &[usize]) -> Vec<usize> {
    let n = up.len() as u64;
    match route {
        Route::One => vec![up[usize::try_from(nonce % n).unwrap()]],
        Route::Subset => {
            // splitmix64 of the nonce: a fixed, well-spread draw of 1..2^n.
            let mut z = nonce.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let bits = (z ^ (z >> 31)) % ((1 << n) - 1) + 1;
            up.iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, o)| *o)
                .collect()
        }
    }
}

fn registry_csv() -> String {
    let mut csv = String::from("device,owner,maker,location,kind,status\n");
    for n in DEVICES {
        csv.push_str(&format!(
            "{},{},{},{:x},connectivity,active\n",
            key(n),
            wallet(n),
            wallet(200),
            cell(0.01 * f64::from(n), 0.0)
        ));
    }
    csv
}

/// The devices, in real time, until epoch `last` is over: every second each device signs a
/// heartbeat at its cell (and a speed test in its first second of an epoch) and sends it to the
/// oracles `route(epoch)` picks among those whose URL is set in `urls` (None: down). Returns
/// every report with the oracles that acknowledged it.
async fn run_fleet(
    urls: Arc<Mutex<Vec<Option<String>>>>,
    start_ts: i64,
    last: u64,
    route: impl Fn(u64) -> Route + Send + 'static,
) -> Vec<Sent> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut nonce = 0u64;
    let mut sent = Vec::new();
    let mut speedtested = BTreeSet::new();
    loop {
        let now = unix_now();
        let epoch = u64::try_from((now - start_ts).max(0)).unwrap() / EPOCH_SECS;
        if epoch > last {
            return sent;
        }
        let live: Vec<(usize, String)> = urls
            .lock()
            .unwrap()
            .iter()
            .enumerate()
            .filter_map(|(i, u)| u.clone().map(|u| (i, u)))
            .collect();
        let up: Vec<usize> = live.iter().map(|(i, _)| *i).collect();
        for n in DEVICES {
            let mut payloads = vec![heartbeat(Some(fix_at_cell(cell(0.01 * f64::from(n), 0.0))))];
            if speedtested.insert((n, epoch)) {
                payloads.push(speedtest(200_000, 50_000, 20));
            }
            for payload in payloads {
                nonce += 1;
                let report = signed(n, now, nonce, payload).to_binary();
                let mut to = Vec::new();
                for o in targets(route(epoch), nonce, &up) {
                    let url = &live.iter().find(|(i, _)| *i == o).unwrap().1;
                    let posted = http
                        .post(format!("{url}/v1/reports"))
                        .header("content-type", "application/octet-stream")
                        .body(report.clone())
                        .send()
                        .await;
                    // An oracle being killed may drop the request: then it did not get it.
                    if posted.is_ok_and(|r| r.status() == 200) {
                        to.push(o);
                    }
                }
                sent.push(Sent {
                    timestamp: now,
                    device: n,
                    nonce,
                    to,
                });
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The files an oracle published for epoch `n`: the four outputs and the input reports.
fn files(o: &OracleProc, n: u64) -> Vec<(String, Vec<u8>)> {
    let out = o.data.join(EPOCHS_DIR).join(epoch_dir_name(n));
    let inputs = o.data.join("epoch-inputs").join(epoch_dir_name(n));
    let read = |dir: &Path, name: &str| (name.to_owned(), std::fs::read(dir.join(name)).unwrap());
    vec![
        read(&out, WALLETS_CSV),
        read(&out, DEVICES_CSV),
        read(&out, MANIFEST_JSON),
        read(&out, MANIFEST_HASH),
        read(&inputs, REPORTS_JSONL),
    ]
}

/// The `(device, nonce)` of every line of `reports.jsonl`.
fn union_keys(reports: &[u8]) -> BTreeSet<(u8, u64)> {
    std::str::from_utf8(reports)
        .unwrap()
        .lines()
        .map(|l| {
            let r = SignedReport::from_json(l.as_bytes()).unwrap().report;
            let n = DEVICES.into_iter().find(|n| key(*n) == r.device).unwrap();
            (n, r.nonce)
        })
        .collect()
}

/// The reports of epoch `n` that reached at least one oracle in `from`.
fn expected(sent: &[Sent], start_ts: i64, n: u64, from: &[usize]) -> BTreeSet<(u8, u64)> {
    let start = start_ts + i64::try_from(n * EPOCH_SECS).unwrap();
    let end = start + i64::try_from(EPOCH_SECS).unwrap();
    sent.iter()
        .filter(|s| (start..end).contains(&s.timestamp) && s.to.iter().any(|o| from.contains(o)))
        .map(|s| (s.device, s.nonce))
        .collect()
}

/// Waits for epoch `n`'s root to be final, then checks that every oracle published the same
/// files, that the final root is theirs, and that their input is exactly `want`.
async fn check_epoch(sender: &Sender, oracles: &[OracleProc], n: u64, want: &BTreeSet<(u8, u64)>) {
    wait_for(
        &format!("epoch {n} final"),
        Duration::from_secs(90),
        || async { (network(sender).await.final_root.epochs > n).then_some(()) },
    )
    .await;
    let first = oracles[0].wait_published(n, Duration::from_secs(30)).await;
    let reference = files(&oracles[0], n);
    for o in &oracles[1..] {
        o.wait_published(n, Duration::from_secs(30)).await;
        for ((name, theirs), (_, ours)) in files(o, n).iter().zip(&reference) {
            assert!(
                theirs == ours,
                "epoch {n}: oracle {}'s {name} differs from oracle {}'s",
                o.name,
                oracles[0].name
            );
        }
    }
    // The root that became final for epoch n is the oracles' (no rotation, no void: set
    // version 1, round 0).
    let key = rewards_ix::proposal_pda(1, 0, &first.args).0;
    let proposal: RootProposal = fetch(sender, "proposal", &key).await.unwrap().unwrap();
    assert_eq!(
        proposal.status,
        ProposalStatus::Final,
        "epoch {n}'s final root is the oracles' published one"
    );
    let union = union_keys(&reference[4].1);
    assert_eq!(union.len(), want.len(), "epoch {n}: reports in the union");
    assert_eq!(
        &union, want,
        "epoch {n}: the union is exactly the reports expected"
    );
}

struct Net {
    _dir: tempfile::TempDir,
    _net: Localnet,
    sender: Sender,
    rpc_url: String,
    network: Network,
    dir: std::path::PathBuf,
}

/// A local network initialised by the localnet migration with `seats` of its oracles (all
/// needed to post when two, two when three), funded.
async fn start_network(seats: usize) -> (Net, Vec<Keypair>) {
    let dir = tempfile::tempdir().unwrap();
    let deploy = workspace_root().join("target/deploy");
    let net = Localnet::start(LocalnetConfig::for_tests(
        dir.path().join("ledger"),
        &deploy,
    ))
    .await
    .unwrap();
    let rpc_url = net.rpc_url();
    let sender = Sender::new(rpc_url.clone(), SendConfig::default());
    let keys: Vec<Keypair> = (0..seats)
        .map(|i| {
            read_keypair_file(workspace_root().join(format!("keys/localnet-oracle-{i}.json")))
                .unwrap()
        })
        .collect();
    for k in &keys {
        airdrop(&sender, &k.pubkey(), 10 * BOND).await;
    }
    let mut config =
        depin_migrations::Config::load(&workspace_root().join("migrations/localnet.toml")).unwrap();
    config.network.epoch_secs = EPOCH_SECS;
    config.network.dispute_secs = DISPUTE_SECS;
    config.oracles.keys.truncate(seats);
    config.oracles.threshold = 2;
    depin_migrations::migrate(&config, &sender, &deployer())
        .await
        .unwrap();
    let network = network(&sender).await;
    assert_eq!(network.input_secs, 3);
    let path = dir.path().to_path_buf();
    (
        Net {
            _dir: dir,
            _net: net,
            sender,
            rpc_url,
            network,
            dir: path,
        },
        keys,
    )
}

fn common<'a>(net: &'a Net) -> Common<'a> {
    Common {
        dir: &net.dir,
        agreement: true,
        rpc_url: net.rpc_url.clone(),
        network: &net.network,
        registry: registry_csv(),
        slot_secs: SLOT_SECS,
        close_delay_secs: 2,
    }
}

/// `peers = [...]` of the agreement: every oracle's URL but `me`'s.
fn peers(ports: &[u16], me: usize) -> String {
    let urls: Vec<String> = ports
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != me)
        .map(|(_, p)| format!("\"http://127.0.0.1:{p}\""))
        .collect();
    format!("peers = [{}]\n", urls.join(", "))
}

/// The first epoch with an uptime slot left from now.
fn first_epoch(network: &Network) -> u64 {
    let since_start = u64::try_from(unix_now() - network.emission.start_ts).unwrap();
    (since_start + SLOT_SECS) / EPOCH_SECS
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_oracles_agree_through_one_way_delivery_an_outage_and_a_withheld_set() {
    let _serial = SERIAL.lock().await;
    let (net, keys) = start_network(3).await;
    let c = common(&net);
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let start = |i: usize, env: &[(&str, String)]| {
        start_oracle(
            &c,
            &format!("oracle-{i}"),
            &keys[i],
            ports[i],
            &peers(&ports, i),
            env,
        )
    };
    let mut oracles: Vec<OracleProc> = (0..3).map(|i| start(i, &[])).collect();
    let _logs = LogsOnPanic::of(&oracles);
    let e0 = first_epoch(&net.network);
    let (e1, e2) = (e0 + 1, e0 + 2);
    eprintln!("agreement_localnet: epochs {e0}, {e1}, {e2}");
    let urls = Arc::new(Mutex::new(
        oracles
            .iter()
            .map(|o| Some(o.url.clone()))
            .collect::<Vec<_>>(),
    ));
    let start_ts = net.network.emission.start_ts;
    let fleet = tokio::spawn(run_fleet(Arc::clone(&urls), start_ts, e2, move |e| {
        if e == e1 { Route::Subset } else { Route::One }
    }));

    // Oracle 2 is down for a third of e1 (once e0's inputs are closed with its set, so that the
    // outage costs e1 only), then comes back withholding its sets from e2 on.
    let e1_start = start_ts + i64::try_from(e1 * EPOCH_SECS).unwrap();
    wait_for(
        "e0's inputs closed with all three sets",
        Duration::from_secs(120),
        || async {
            let x: EpochInputs = fetch(&net.sender, "inputs", &rewards_ix::inputs_pda(e0).0)
                .await
                .ok()??;
            let now = cluster_time(&net.sender).await.ok()?;
            (x.is_closed(now) && x.included() == 0b111).then_some(())
        },
    )
    .await;
    urls.lock().unwrap()[2] = None;
    oracles[2].kill();
    let down_at = unix_now();
    let lag = down_at - cluster_time(&net.sender).await.unwrap();
    eprintln!(
        "agreement_localnet: e0's inputs closed {} s into e1 (the cluster clock {lag} s behind)",
        down_at - e1_start
    );
    assert!(down_at >= e1_start, "the outage is in e1");
    // A third of the epoch, or less when e0's inputs closed late (the local cluster's clock runs
    // a few seconds behind the wall clock), so that oracle 2 is back 2 s before e1 ends.
    let e1_end = e1_start + i64::try_from(EPOCH_SECS).unwrap();
    let back = (down_at + i64::try_from(EPOCH_SECS / 3).unwrap()).min(e1_end - 2);
    assert!(
        back - down_at >= 2,
        "an outage of at least 2 s fits in e1 (it ends {} s after e0's inputs closed)",
        e1_end - down_at
    );
    wait_for("a third of e1", Duration::from_secs(30), || async {
        (unix_now() >= back).then_some(())
    })
    .await;
    oracles[2] = start(2, &[("DEPIN_ORACLE_WITHHOLD_SETS_FROM", e2.to_string())]);
    urls.lock().unwrap()[2] = Some(oracles[2].url.clone());
    assert!(unix_now() < e1_end, "oracle 2 is back before e1 ends");

    let sent = fleet.await.unwrap();
    let all = [0, 1, 2];
    check_epoch(
        &net.sender,
        &oracles,
        e0,
        &expected(&sent, start_ts, e0, &all),
    )
    .await;
    check_epoch(
        &net.sender,
        &oracles,
        e1,
        &expected(&sent, start_ts, e1, &all),
    )
    .await;
    let honest = expected(&sent, start_ts, e2, &[0, 1]);
    assert!(
        honest.len() < expected(&sent, start_ts, e2, &all).len(),
        "some reports of e2 reached oracle 2 only"
    );
    check_epoch(&net.sender, &oracles, e2, &honest).await;
    // On-chain: oracle 2's set of e2 is committed, held by it alone, and left out.
    let inputs: EpochInputs = fetch(&net.sender, "inputs", &rewards_ix::inputs_pda(e2).0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (inputs.committed, inputs.sets[2].held_by, inputs.included()),
        (0b111, 0b100, 0b011)
    );
    for o in &oracles[..2] {
        let failures = o.metric("oracle_inputs_fetch_failures_total").await;
        assert!(
            failures.is_some_and(|f| f >= 1),
            "oracle {}: {failures:?}",
            o.name
        );
    }
    // A seat whose vote or finalize arrives after the others' (oracle 2, back late) logs no
    // error for it.
    for o in &oracles {
        let log = o.log();
        let errors: Vec<&str> = log
            .lines()
            .filter(|l| {
                l.contains(r#""ERROR""#) && (l.contains("vote_root") || l.contains("finalize_root"))
            })
            .collect();
        assert!(
            errors.is_empty(),
            "oracle {} logged vote or finalize errors:\n{}",
            o.name,
            errors.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_oracles_agree_when_each_report_reaches_one_of_them_and_a_stuck_network_is_flagged() {
    let _serial = SERIAL.lock().await;
    let (net, keys) = start_network(2).await;
    let c = common(&net);
    let ports: Vec<u16> = (0..2).map(|_| free_port()).collect();
    let oracles: Vec<OracleProc> = (0..2)
        .map(|i| {
            let env = [("DEPIN_ORACLE__SUBMIT__OVERDUE_AFTER", "3s".to_owned())];
            start_oracle(
                &c,
                &format!("oracle-{i}"),
                &keys[i],
                ports[i],
                &peers(&ports, i),
                &env,
            )
        })
        .collect();
    let _logs = LogsOnPanic::of(&oracles);
    let e0 = first_epoch(&net.network);
    let urls = Arc::new(Mutex::new(
        oracles
            .iter()
            .map(|o| Some(o.url.clone()))
            .collect::<Vec<_>>(),
    ));
    let start_ts = net.network.emission.start_ts;
    let sent = run_fleet(urls, start_ts, e0, |_| Route::One).await;
    let want = expected(&sent, start_ts, e0, &[0, 1]);
    assert!(want.iter().all(|k| {
        sent.iter()
            .any(|s| (s.device, s.nonce) == *k && s.to.len() == 1)
    }));
    check_epoch(&net.sender, &oracles, e0, &want).await;

    // Oracle 1 goes down for good: no root can post for the next epoch. Once that epoch is
    // `submit.overdue_after` (3 s here) past its end, oracle 0 says the network is stuck.
    let mut oracles = oracles;
    oracles[1].kill();
    let stuck = wait_for("the overdue metric", Duration::from_secs(60), || async {
        oracles[0]
            .metric("oracle_submit_root_overdue_seconds")
            .await
            .filter(|secs| *secs > 3)
    })
    .await;
    let end = start_ts + i64::try_from((e0 + 2) * EPOCH_SECS).unwrap();
    assert!(
        unix_now() - end >= i64::try_from(stuck).unwrap() - 2,
        "{stuck} s overdue"
    );
    let log = oracles[0].log();
    let epoch_field = format!(r#""epoch":{}"#, e0 + 1);
    assert!(
        log.lines().any(|l| l.contains(r#""WARN""#)
            && l.contains("the network is stuck")
            && l.contains(&epoch_field)),
        "no stuck-network warning:\n{log}"
    );
}
