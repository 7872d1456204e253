//! `oracle watch`'s engine against a real validator over JSON-RPC (the in-process
//! `solana-test-validator` with the built programs, initialised by `migrations/localnet.toml`
//! with 60 s epochs and a 30 s dispute window: three oracles, two to post).
//!
//! Epoch 0: oracles 0 and 1 post an honest root; the watcher checks it and sends nothing; it
//! becomes final. Epoch 1: the same two post a root that lowers wallet A and raises wallet B
//! (total up, sums consistent, one wallet appended) and withhold its files. The watcher, whose
//! own files (the honest oracle's) do not rebuild the posted root and whose peer answers 404,
//! reports it unverifiable and demands leaf 0 (the base leaf of wallet A, which it protects);
//! it signs with the third oracle's key, which voted the honest root, so it also contests the
//! posted one (`contest_root`).
//! The colluders then publish their files; at the
//! next pass the watcher answers its own demand by walking the existing probe from the root
//! (extended, not re-opened), opens the base probe, proves the decrease, and both voters are
//! slashed.
//!
//! A second network: epoch 0's root is voted with the honest rows' hash and count but a total
//! below their sum. The watcher's own files show it; it proves `InconsistentSum` at the root.
//!
//! A third: epoch 0's root credits the epoch to the wrong wallet (same total, files published,
//! nothing provable), posted before the honest oracle has published its own. The watcher waits;
//! once its own root is out it counts the misallocation and contests the root (seat 2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use depin_client::accounts::{cluster_time, fetch};
use depin_client::builders::{TokenProgram, rewards_ix};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_formats::transparency::{WalletRow, write_wallets_csv};
use depin_localnet::{Localnet, LocalnetConfig, deployer};
use depin_oracle::ingest::{self, Ingest};
use depin_oracle::registry::Registry;
use depin_oracle::settings::{Settings, StorageSettings, WatchPeer};
use depin_oracle::store::Store;
use depin_oracle::watch::Watcher;
use rewards::state::{Network, OracleBond, OracleSet, ProposalStatus, RootProposal};

const BOND: u64 = 1_000_000_000;
const EPOCH_SECS: u64 = 60;
const DISPUTE_SECS: u64 = 30;

fn root() -> PathBuf {
    depin_localnet::workspace_root().expect("no Anchor.toml above CARGO_MANIFEST_DIR")
}

async fn network(sender: &Sender) -> Network {
    fetch::<Network>(sender, "network", &rewards_ix::network_pda().0)
        .await
        .unwrap()
        .unwrap()
}

async fn proposal(sender: &Sender, key: &Pubkey) -> RootProposal {
    fetch::<RootProposal>(sender, "proposal", key)
        .await
        .unwrap()
        .unwrap()
}

async fn wait_until(sender: &Sender, unix: i64) {
    while cluster_time(sender).await.unwrap() < unix {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn airdrop(sender: &Sender, to: &Pubkey, lamports: u64) {
    let signature = sender.rpc().request_airdrop(to, lamports).await.unwrap();
    for _ in 0..100 {
        if sender.rpc().confirm_transaction(&signature).await.unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("airdrop to {to} not confirmed");
}

/// Cranks until `epoch` is minted (each epoch is minted once it has started).
async fn mint_through(sender: &Sender, payer: &Keypair, epoch: u64) {
    while network(sender).await.epochs_minted <= epoch {
        let ix = rewards_ix::crank_epoch(rewards_ix::crank_epoch_accounts(TokenProgram::SplToken));
        if sender.send("crank_epoch", &[ix], payer, &[]).await.is_err() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// The vote of `rows` (wallet, cumulative) for `epoch`.
fn vote_args(epoch: u64, rows: &[(Pubkey, u64)]) -> rewards_ix::VoteRootArgs {
    let leaves: Vec<([u8; 32], u64)> = rows.iter().map(|(w, a)| (w.to_bytes(), *a)).collect();
    let tree = merkle_sum::Tree::new(&leaves).unwrap();
    rewards_ix::VoteRootArgs {
        epoch,
        root: tree.root().hash,
        total: tree.root().sum,
        leaves: leaves.len() as u64,
        manifest_hash: [u8::try_from(epoch).unwrap() + 1; 32],
    }
}

/// Oracles `voters` vote `args` (after the epoch's end); returns the proposal's address.
async fn post(sender: &Sender, voters: &[&Keypair], args: &rewards_ix::VoteRootArgs) -> Pubkey {
    let round = network(sender).await.voided_roots;
    for oracle in voters {
        let accounts = rewards_ix::vote_root_accounts_in(oracle.pubkey(), 1, round, args);
        let ix = rewards_ix::vote_root(accounts, args.clone());
        sender.send("vote_root", &[ix], oracle, &[]).await.unwrap();
    }
    rewards_ix::proposal_pda(1, round, args).0
}

/// Writes `<data>/epochs/epoch-<n>/wallets.csv` (only the file the watcher reads).
fn publish(data: &Path, epoch: u64, rows: &[(Pubkey, u64)]) {
    let dir = data.join(format!("epochs/epoch-{epoch}"));
    std::fs::create_dir_all(&dir).unwrap();
    let rows: Vec<WalletRow> = rows
        .iter()
        .map(|(w, a)| WalletRow {
            wallet: depin_formats::keys::Pubkey(w.to_bytes()),
            epoch_reward: *a,
            previous: 0,
            cumulative: *a,
        })
        .collect();
    let mut bytes = Vec::new();
    write_wallets_csv(&mut bytes, &rows).unwrap();
    std::fs::write(dir.join("wallets.csv"), bytes).unwrap();
}

/// The colluders' oracle HTTP server over `data` (the real routes); returns its base URL.
async fn serve_files(data: &Path) -> String {
    let storage = StorageSettings {
        data_dir: data.to_path_buf(),
        ..StorageSettings::default()
    };
    std::fs::create_dir_all(data).unwrap();
    let store = Store::connect(&storage).await.unwrap();
    store.migrate().await.unwrap();
    let settings = Settings {
        storage,
        ..Settings::default()
    };
    let ingest = Arc::new(Ingest::new(&settings, store, Arc::new(Registry::default())).unwrap());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, ingest::router(ingest)).await.unwrap();
    });
    url
}

/// The watcher: its own data dir (the honest oracle's files), one peer, its own funded key.
fn watcher(dir: &Path, rpc: String, peer: String, key: &Keypair, watched: &[Pubkey]) -> Watcher {
    let key_path = dir.join("watcher-keypair.json");
    std::fs::write(
        &key_path,
        serde_json::to_string(&key.to_bytes().to_vec()).unwrap(),
    )
    .unwrap();
    let mut settings = Settings::default();
    settings.storage.data_dir = dir.join("watcher");
    settings.submit.rpc_urls = vec![rpc];
    settings.watch.keypair = key_path;
    settings.watch.peers = vec![WatchPeer { url: peer }];
    settings.watch.fetch_timeout = Duration::from_secs(5);
    settings.watch.demand_wallets = watched.iter().map(ToString::to_string).collect();
    settings.watch.demand_sample = 0;
    settings.watch.contest_after_passes = 1;
    Watcher::new(&settings).unwrap()
}

fn sent(w: &Watcher, instruction: &str) -> u64 {
    w.metrics()
        .transactions
        .with_label_values(&[instruction])
        .get()
}

/// A local network as `migrations/localnet.toml` sets it up, with 60 s epochs, oracles 0 and 1
/// bonded, and a funded watcher key.
struct Setup {
    dir: tempfile::TempDir,
    _net: Localnet,
    rpc_url: String,
    sender: Sender,
    payer: Keypair,
    oracles: Vec<Keypair>,
    key: Keypair,
    start: i64,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start(LocalnetConfig::for_tests(
        dir.path().join("ledger"),
        root().join("target/deploy"),
    ))
    .await
    .unwrap();
    let sender = Sender::new(net.rpc_url(), SendConfig::default());
    let payer = deployer();
    let mut config =
        depin_migrations::Config::load(&root().join("migrations/localnet.toml")).unwrap();
    config.network.epoch_secs = EPOCH_SECS;
    config.network.dispute_secs = DISPUTE_SECS;
    depin_migrations::migrate(&config, &sender, &payer)
        .await
        .unwrap();
    let oracles: Vec<Keypair> = (0..3)
        .map(|i| read_keypair_file(root().join(format!("keys/localnet-oracle-{i}.json"))).unwrap())
        .collect();
    let key = Keypair::new();
    for o in &oracles {
        airdrop(&sender, &o.pubkey(), 10 * BOND).await;
        let ix = rewards_ix::post_bond(rewards_ix::post_bond_accounts(o.pubkey()), BOND);
        sender.send("post_bond", &[ix], o, &[]).await.unwrap();
    }
    airdrop(&sender, &key.pubkey(), BOND).await;
    let start = network(&sender).await.emission.start_ts;
    Setup {
        rpc_url: net.rpc_url(),
        dir,
        _net: net,
        sender,
        payer,
        oracles,
        key,
        start,
    }
}

/// Both bonds of `oracles` are gone and their seats are marked slashed.
async fn assert_slashed(sender: &Sender, oracles: &[&Keypair]) {
    for o in oracles {
        let bond = fetch::<OracleBond>(sender, "bond", &rewards_ix::bond_pda(&o.pubkey()).0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bond.amount, 0, "{}", o.pubkey());
    }
    let set = fetch::<OracleSet>(sender, "oracle set", &rewards_ix::oracle_set_pda().0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(set.slashed, 0b011);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_withheld_decrease_is_demanded_then_proven_and_both_voters_are_slashed() {
    let Setup {
        dir,
        _net,
        rpc_url,
        sender,
        payer,
        oracles,
        key: _,
        start,
    } = setup().await;
    let colluders = [&oracles[0], &oracles[1]];

    let (a, b, c) = (
        Pubkey::new_from_array([0xA1; 32]),
        Pubkey::new_from_array([0xB2; 32]),
        Pubkey::new_from_array([0xC3; 32]),
    );
    let epoch0 = [(a, 1_000), (b, 2_000)];
    let honest1 = [(a, 1_200), (b, 2_000), (c, 100)];
    // A lowered by 500, B raised by 600: the total still grows, every sum is consistent.
    let lying1 = [(a, 500), (b, 2_600), (c, 100)];
    let own = dir.path().join("watcher");
    publish(&own, 0, &epoch0);
    publish(&own, 1, &honest1);
    let theirs = dir.path().join("colluders");
    publish(&theirs, 0, &epoch0);
    let peer = serve_files(&theirs).await;
    // The watcher protects wallet A (base leaf 0) and draws no random leaves.
    // The watcher runs with the honest oracle's key (seat 2), protects wallet A (base leaf 0)
    // and draws no random leaves.
    let key = oracles[2].insecure_clone();
    let mut w = watcher(dir.path(), rpc_url, peer, &key, &[a]);

    // ---- Epoch 0: an honest root, checked, nothing sent; then final.
    mint_through(&sender, &payer, 0).await;
    wait_until(&sender, start + EPOCH_SECS as i64).await;
    let honest = post(&sender, &colluders, &vote_args(0, &epoch0)).await;
    assert_eq!(
        proposal(&sender, &honest).await.status,
        ProposalStatus::Posted
    );
    let report = w.pass().await.unwrap();
    assert_eq!((report.proposals, report.failures), (1, 0));
    let m = w.metrics();
    assert_eq!(m.proposals_checked.get(), 1);
    for ix in ["open_probe", "extend_probe", "demand_probe", "prove_fraud"] {
        assert_eq!(sent(&w, ix), 0, "{ix}");
    }
    wait_until(&sender, proposal(&sender, &honest).await.dispute_ends).await;
    let ix = rewards_ix::finalize_root(rewards_ix::finalize_root_accounts(honest));
    sender
        .send("finalize_root", &[ix], &payer, &[])
        .await
        .unwrap();
    assert_eq!(network(&sender).await.final_root.epochs, 1);

    // ---- Epoch 1: the lie, posted with its files withheld.
    mint_through(&sender, &payer, 1).await;
    wait_until(&sender, start + 2 * EPOCH_SECS as i64).await;
    let lie = post(&sender, &colluders, &vote_args(1, &lying1)).await;
    // The honest oracle votes its own root: its dissent is on record.
    post(&sender, &[&oracles[2]], &vote_args(1, &honest1)).await;
    let posted = proposal(&sender, &lie).await;
    assert_eq!(posted.status, ProposalStatus::Posted);
    let report = w.pass().await.unwrap();
    assert_eq!((report.proposals, report.failures), (1, 0));
    assert_eq!(w.metrics().unverifiable.get(), 1);
    assert_eq!(w.metrics().demands_opened.get(), 1);
    assert_eq!(sent(&w, "demand_probe"), 1);
    // Seat 2 voted another root and no files rebuild this one: contested, so it could become
    // final only twice the governance timelock after its window.
    assert_eq!(
        (w.metrics().contests.get(), sent(&w, "contest_root")),
        (1, 1)
    );
    let contested = proposal(&sender, &lie).await;
    let hold = 2 * i64::try_from(network(&sender).await.timelock_secs).unwrap();
    assert_eq!(
        (contested.contested, contested.contest_ends),
        (0b100, contested.dispute_ends + hold)
    );
    let demanded = rewards_ix::probe_pda(&lie, rewards_ix::ProbeSide::Posted, 0).0;
    let probe = fetch::<rewards::state::Probe>(&sender, "probe", &demanded)
        .await
        .unwrap()
        .unwrap();
    assert!(probe.demand.is_some() && probe.leaf.is_none(), "{probe:?}");
    assert_eq!(proposal(&sender, &lie).await.open_demands, 1);

    // ---- The colluders publish (the demand forces them to, or be voided): the watcher
    // answers the demand, proves the decrease at leaf 0, and both voters are slashed.
    publish(&theirs, 1, &lying1);
    let before = sender.rpc().get_balance(&key.pubkey()).await.unwrap();
    let report = w.pass().await.unwrap();
    assert_eq!((report.proposals, report.failures), (1, 0));
    let m = w.metrics();
    assert_eq!(m.demands_answered.get(), 1);
    assert_eq!(m.frauds.with_label_values(&["decrease"]).get(), 1);
    assert_eq!(m.proofs.with_label_values(&["decrease"]).get(), 1);
    // The posted probe was extended from the root (its one step to the leaf), not re-opened;
    // the base probe was opened straight to its leaf (a two-leaf tree: one step).
    assert_eq!(
        ["open_probe", "extend_probe", "demand_probe", "prove_fraud"].map(|ix| sent(&w, ix)),
        [1, 1, 1, 1]
    );
    assert_eq!(m.misallocations.get(), 0);
    let voided = proposal(&sender, &lie).await;
    assert_eq!(
        (voided.status, voided.open_demands),
        (ProposalStatus::Voided, 0)
    );
    assert_slashed(&sender, &colluders).await;
    // The challenger's share of the two bonds (40 %), and its own demand deposit back, less
    // the fees and the base probe's rent.
    let after = sender.rpc().get_balance(&key.pubkey()).await.unwrap();
    assert!(after > before + 790_000_000, "{before} -> {after}");

    // A voided root is no longer posted: the next pass sees nothing to do.
    let report = w.pass().await.unwrap();
    assert_eq!((report.proposals, report.failures), (0, 0));
}

/// Epoch 0: oracles 0 and 1 vote the root hash and leaf count of the honest rows, with a total
/// 1,000 below their sum (under the budget whatever the rows). The watcher's own files rebuild
/// the hash and count but not the total: it opens a probe at the root and proves
/// `InconsistentSum` with the root's two children; both voters are slashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_understated_total_is_proven_inconsistent_at_the_root() {
    let Setup {
        dir,
        _net,
        rpc_url,
        sender,
        payer,
        oracles,
        key,
        start,
    } = setup().await;
    let rows = [
        (Pubkey::new_from_array([0xA1; 32]), 1_000),
        (Pubkey::new_from_array([0xB2; 32]), 2_000),
        (Pubkey::new_from_array([0xC3; 32]), 3_000),
    ];
    publish(&dir.path().join("watcher"), 0, &rows);
    let peer = serve_files(&dir.path().join("nobody")).await;
    let mut w = watcher(dir.path(), rpc_url, peer, &key, &[]);
    let mut args = vote_args(0, &rows);
    assert_eq!(args.total, 6_000);
    args.total -= 1_000;
    mint_through(&sender, &payer, 0).await;
    wait_until(&sender, start + EPOCH_SECS as i64).await;
    let colluders = [&oracles[0], &oracles[1]];
    let lie = post(&sender, &colluders, &args).await;

    let report = w.pass().await.unwrap();
    assert_eq!((report.proposals, report.failures), (1, 0));
    let m = w.metrics();
    assert_eq!(m.frauds.with_label_values(&["inconsistent_sum"]).get(), 1);
    assert_eq!(m.proofs.with_label_values(&["inconsistent_sum"]).get(), 1);
    assert_eq!(
        ["open_probe", "extend_probe", "demand_probe", "prove_fraud"].map(|ix| sent(&w, ix)),
        [1, 0, 0, 1]
    );
    assert_eq!(m.unverifiable.get(), 0);
    let voided = proposal(&sender, &lie).await;
    assert_eq!(voided.status, ProposalStatus::Voided);
    assert_slashed(&sender, &colluders).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_misallocation_posted_before_the_honest_root_is_contested_once_it_appears() {
    let Setup {
        dir,
        _net,
        rpc_url,
        sender,
        payer,
        oracles,
        key: _,
        start,
    } = setup().await;
    let (a, b) = (
        Pubkey::new_from_array([0xA1; 32]),
        Pubkey::new_from_array([0xB2; 32]),
    );
    let honest = [(a, 500), (b, 500)];
    let misallocated = [(a, 100), (b, 900)];
    let theirs = dir.path().join("colluders");
    publish(&theirs, 0, &misallocated);
    let peer = serve_files(&theirs).await;
    let seat = oracles[2].insecure_clone();
    let mut w = watcher(dir.path(), rpc_url, peer, &seat, &[]);
    mint_through(&sender, &payer, 0).await;
    wait_until(&sender, start + EPOCH_SECS as i64).await;
    let colluders = [&oracles[0], &oracles[1]];
    let root = post(&sender, &colluders, &vote_args(0, &misallocated)).await;

    // The honest oracle has not published epoch 0 yet: nothing to compare, nothing settled.
    let report = w.pass().await.unwrap();
    assert_eq!((report.proposals, report.failures), (1, 0));
    let m = w.metrics();
    assert_eq!(
        (
            m.proposals_checked.get(),
            m.misallocations.get(),
            m.contests.get()
        ),
        (0, 0, 0)
    );
    assert_eq!(proposal(&sender, &root).await.contested, 0);

    // Its own root appears: a misallocation, contested by seat 2, then settled.
    publish(&dir.path().join("watcher"), 0, &honest);
    let report = w.pass().await.unwrap();
    assert_eq!((report.proposals, report.failures), (1, 0));
    let m = w.metrics();
    assert_eq!(
        (
            m.proposals_checked.get(),
            m.misallocations.get(),
            m.contests.get()
        ),
        (1, 1, 1)
    );
    let p = proposal(&sender, &root).await;
    let hold = 2 * i64::try_from(network(&sender).await.timelock_secs).unwrap();
    assert_eq!(
        (p.contested, p.contest_ends),
        (0b100, p.dispute_ends + hold)
    );
    w.pass().await.unwrap();
    assert_eq!(sent(&w, "contest_root"), 1);
    assert_eq!(w.metrics().misallocations.get(), 1);
}
