//! The submitter against a real validator over JSON-RPC (the in-process `solana-test-validator`
//! with the built programs, initialised by `migrations/localnet.toml`: three oracles, two to
//! post, 60 s epochs, a 20 s dispute window).
//!
//! Oracle 0 runs as the real `oracle submit` binary and is killed (`DEPIN_ORACLE_FAILPOINT`)
//! right after each step it takes: crank, bond, intent, vote, finalize. Each restart carries on
//! from what the chain and its database say, so epoch 0's root is cranked, voted and finalized
//! exactly once. Oracle 1 runs in-process through the library. Then a wallet claims exactly its
//! leaf of the root, and the registry sync follows a device from onboarding (collateral sent
//! from the genesis supply) to decommissioning.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use depin_client::accounts::fetch;
use depin_client::builders::{self, TokenProgram, rewards_ix};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_localnet::{Localnet, LocalnetConfig, deployer};
use depin_oracle::chain::submit::{Progress, SubmitTask};
use depin_oracle::settings::Settings;
use depin_oracle::store::{PublishedEpoch, Store};
use rewards::state::{Network, OracleBond, ProposalStatus, RootProposal};

/// Epoch 0's emission under migrations/localnet.toml.
const EPOCH_EMISSION: u64 = 3_424_657_534_246;
/// The set's bond, lamports.
const BOND: u64 = 1_000_000_000;

fn root() -> PathBuf {
    depin_localnet::workspace_root().expect("no Anchor.toml above CARGO_MANIFEST_DIR")
}

fn oracle_key(i: usize) -> PathBuf {
    root().join(format!("keys/localnet-oracle-{i}.json"))
}

/// What the lossy proxy shares between requests.
#[derive(Clone)]
struct Proxy {
    /// The lost transaction's signature, once there is one.
    lost: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    client: reqwest::Client,
    validator: String,
}

async fn proxy_request(
    axum::extract::State(proxy): axum::extract::State<Proxy>,
    body: axum::body::Bytes,
) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    use base64::Engine as _;
    let json = [("content-type", "application/json")];
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
    if request["method"] == "sendTransaction" {
        let wire = base64::engine::general_purpose::STANDARD
            .decode(request["params"][0].as_str().unwrap())
            .unwrap();
        // One signature (compact-u16 length 1), then its 64 bytes.
        assert_eq!(wire[0], 1);
        let signature = bs58::encode(&wire[1..65]).into_string();
        let mut lost = proxy.lost.lock().unwrap();
        if lost.get_or_insert_with(|| signature.clone()) == &signature {
            let answer = serde_json::json!({
                "jsonrpc": "2.0", "result": signature, "id": request["id"]
            });
            return (json, serde_json::to_vec(&answer).unwrap());
        }
    }
    let answer = proxy
        .client
        .post(&proxy.validator)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    (json, answer.to_vec())
}

/// A JSON-RPC proxy in front of the validator that loses one transaction: the first
/// `sendTransaction` it sees, and every resend of those same signed bytes, is answered as a
/// node would (the signature) but never forwarded. Everything else goes to the validator. The
/// sender can only get that transaction in by waiting for its blockhash to expire and
/// re-signing. Returns the proxy's URL and the lost signature, once there is one.
async fn lossy_proxy(
    validator: String,
) -> (String, std::sync::Arc<std::sync::Mutex<Option<String>>>) {
    let proxy = Proxy {
        lost: std::sync::Arc::default(),
        client: reqwest::Client::new(),
        validator,
    };
    let lost = std::sync::Arc::clone(&proxy.lost);
    let app = axum::Router::new()
        .route("/", axum::routing::post(proxy_request))
        .with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, lost)
}

/// No RPC server listens here: a dead first URL, for the failover.
const DEAD_RPC_URL: &str = "http://127.0.0.1:1";
/// Oracle 1's priority fee, micro-lamports per compute unit.
const PRIORITY_FEE: u64 = 777;

/// An oracle's data dir and settings file, with epoch 0 published in its database. Oracle 1
/// lists a dead RPC URL before the live one and sets a priority fee.
async fn oracle_home(dir: &Path, i: usize, rpc_url: &str, epoch: &PublishedEpoch) -> PathBuf {
    let data = dir.join(format!("oracle-{i}"));
    std::fs::create_dir_all(&data).unwrap();
    let config = data.join("oracle.toml");
    let (urls, fee) = if i == 1 {
        (format!("{DEAD_RPC_URL:?}, {rpc_url:?}"), PRIORITY_FEE)
    } else {
        (format!("{rpc_url:?}"), 0)
    };
    std::fs::write(
        &config,
        format!(
            "[storage]\ndata_dir = {data:?}\n\n[submit]\nrpc_urls = [{urls}]\nkeypair = \
             {key:?}\npoll_interval = \"500ms\"\npriority_fee = {fee}\n",
            key = oracle_key(i),
        ),
    )
    .unwrap();
    let store = Store::connect(&settings(&config).storage).await.unwrap();
    store.migrate().await.unwrap();
    assert!(store.record_epoch(epoch).await.unwrap());
    store.close().await;
    config
}

fn settings(config: &Path) -> Settings {
    Settings::load(Some(config)).unwrap()
}

/// `oracle submit --once`, optionally killed after `failpoint`. Returns (exit status, stdout).
fn submit_once(
    config: &Path,
    failpoint: Option<&str>,
    cwd: &Path,
) -> (std::process::ExitStatus, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oracle"));
    cmd.args(["submit", "--once", "--config"]).arg(config);
    // Any core file (of an abort, should the kill fail) lands in the temporary directory.
    cmd.current_dir(cwd).env("RUST_LOG", "warn");
    if let Some(step) = failpoint {
        cmd.env("DEPIN_ORACLE_FAILPOINT", step);
    }
    let out = cmd.output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Runs `oracle submit --once` with the failpoint and checks that it died there.
fn killed_after(config: &Path, step: &str, cwd: &Path) {
    let (status, stdout) = submit_once(config, Some(step), cwd);
    assert_eq!(
        status.signal(),
        Some(9),
        "expected a SIGKILL after {step}, got {status:?}; stdout:\n{stdout}"
    );
}

async fn network(sender: &Sender) -> Network {
    fetch::<Network>(sender, "network", &rewards_ix::network_pda().0)
        .await
        .unwrap()
        .unwrap()
}

async fn bond_of(sender: &Sender, oracle: &Keypair) -> OracleBond {
    fetch::<OracleBond>(sender, "bond", &rewards_ix::bond_pda(&oracle.pubkey()).0)
        .await
        .unwrap()
        .unwrap()
}

async fn cluster_time(sender: &Sender) -> i64 {
    depin_client::accounts::cluster_time(sender).await.unwrap()
}

async fn wait_until(sender: &Sender, unix: i64) {
    while cluster_time(sender).await < unix {
        tokio::time::sleep(Duration::from_millis(500)).await;
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

/// The compute-unit price (`SetComputeUnitPrice`) of every transaction `payer` paid for, oldest
/// first; 0 for a transaction without one.
async fn priority_fees_paid_by(sender: &Sender, payer: &Pubkey) -> Vec<u64> {
    use depin_client::solana_client::rpc_config::{RpcTransactionConfig, UiTransactionEncoding};
    let compute_budget = "ComputeBudget111111111111111111111111111111";
    let confirmed = depin_client::solana_commitment_config::CommitmentConfig::confirmed();
    let signatures = sender
        .rpc()
        .get_signatures_for_address_with_config(
            payer,
            depin_client::solana_client::rpc_client::GetConfirmedSignaturesForAddress2Config {
                commitment: Some(confirmed),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Json),
        commitment: Some(confirmed),
        max_supported_transaction_version: Some(0),
    };
    let mut fees = Vec::new();
    for s in signatures.iter().rev() {
        let signature = s.signature.parse().unwrap();
        let mut tx = None;
        for _ in 0..50 {
            if let Ok(t) = sender
                .rpc()
                .get_transaction_with_config(&signature, config)
                .await
            {
                tx = Some(t);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let tx = serde_json::to_value(tx.expect("getTransaction")).unwrap();
        // The encoded transaction, whether or not the response flattens it into the top level.
        let encoded = if tx["transaction"]["message"].is_null() {
            &tx["transaction"]["transaction"]
        } else {
            &tx["transaction"]
        };
        let message = &encoded["message"];
        let keys: Vec<&str> = message["accountKeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        if keys[0] != payer.to_string() {
            continue; // an airdrop to it
        }
        let price = message["instructions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|ix| {
                keys[usize::try_from(ix["programIdIndex"].as_u64().unwrap()).unwrap()]
                    == compute_budget
            })
            .map(|ix| {
                bs58::decode(ix["data"].as_str().unwrap())
                    .into_vec()
                    .unwrap()
            })
            .find(|data| data.first() == Some(&3))
            .map_or(0, |data| u64::from_le_bytes(data[1..9].try_into().unwrap()));
        fees.push(price);
    }
    fees
}

async fn intents(config: &Path) -> Vec<(i64, i64, i64, Vec<u8>, i64, i64)> {
    let store = Store::connect(&settings(config).storage).await.unwrap();
    let Store::Sqlite(pool) = &store else {
        panic!("sqlite expected")
    };
    let rows: Vec<(i64, i64, i64, Vec<u8>, i64, i64)> = sqlx::query_as(
        "SELECT epoch, set_version, round, root_hash, root_sum, leaves FROM vote_intents \
         ORDER BY epoch",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    store.close().await;
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_oracle_resumes_and_every_root_lands_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start(LocalnetConfig::for_tests(
        dir.path().join("ledger"),
        root().join("target/deploy"),
    ))
    .await
    .unwrap();
    let sender = Sender::new(net.rpc_url(), SendConfig::default());
    let payer = deployer();
    let config = depin_migrations::Config::load(&root().join("migrations/localnet.toml")).unwrap();
    depin_migrations::migrate(&config, &sender, &payer)
        .await
        .unwrap();
    let oracles: Vec<Keypair> = (0..2)
        .map(|i| read_keypair_file(oracle_key(i)).unwrap())
        .collect();
    for o in &oracles {
        airdrop(&sender, &o.pubkey(), 10 * BOND).await;
    }

    // Epoch 0's root: two wallets sharing the whole emission.
    let wallets = [
        Pubkey::new_from_array([0x11; 32]),
        Pubkey::new_from_array([0x22; 32]),
    ];
    let amounts = [1_000_000_000_000u64, EPOCH_EMISSION - 1_000_000_000_000];
    let leaves: Vec<([u8; 32], u64)> = wallets
        .iter()
        .zip(amounts)
        .map(|(w, a)| (w.to_bytes(), a))
        .collect();
    let tree = merkle_sum::Tree::new(&leaves).unwrap();
    let epoch = PublishedEpoch {
        epoch: 0,
        root_hash: Some(tree.root().hash),
        root_sum: EPOCH_EMISSION,
        leaves: 2,
        manifest_hash: [7; 32],
        published_at: 0,
    };
    assert_eq!(tree.root().sum, EPOCH_EMISSION);
    // Oracle 1 reaches the validator through a proxy that loses its first transaction.
    let (lossy_url, lost) = lossy_proxy(net.rpc_url()).await;
    let homes = [
        oracle_home(dir.path(), 0, &net.rpc_url(), &epoch).await,
        oracle_home(dir.path(), 1, &lossy_url, &epoch).await,
    ];
    let cwd = dir.path();

    // ---- Oracle 0, killed after each step in turn.
    let before = network(&sender).await;
    assert_eq!(before.epochs_minted, 0);
    killed_after(&homes[0], "crank", cwd);
    assert_eq!(network(&sender).await.epochs_minted, 1);
    killed_after(&homes[0], "bond", cwd);
    assert_eq!(bond_of(&sender, &oracles[0]).await.amount, BOND);
    // Before the epoch ends there is nothing to vote on yet: no intent, no transaction.
    let (status, stdout) = submit_once(&homes[0], Some("intent"), cwd);
    let ends = before.emission.start_ts + 60;
    if status.success() {
        assert!(
            stdout.contains("epoch 0: waiting: epoch 0 ends in"),
            "{stdout}"
        );
        assert!(intents(&homes[0]).await.is_empty());
        wait_until(&sender, ends).await;
        killed_after(&homes[0], "intent", cwd);
    } else {
        // A slow machine reached the end of the epoch already: that run was the kill.
        assert_eq!(status.signal(), Some(6), "{status:?}\n{stdout}");
    }
    let recorded = intents(&homes[0]).await;
    assert_eq!(
        recorded,
        vec![(0, 1, 0, tree.root().hash.to_vec(), EPOCH_EMISSION as i64, 2)]
    );
    let args = rewards_ix::VoteRootArgs {
        epoch: 0,
        root: tree.root().hash,
        total: EPOCH_EMISSION,
        leaves: 2,
        manifest_hash: [7; 32],
    };
    let proposal_key = rewards_ix::proposal_pda(1, 0, &args).0;
    let proposal = || async {
        fetch::<RootProposal>(&sender, "proposal", &proposal_key)
            .await
            .unwrap()
    };
    assert_eq!(proposal().await, None, "killed before the vote was signed");
    killed_after(&homes[0], "vote", cwd);
    let p = proposal().await.unwrap();
    assert_eq!((p.votes, p.status), (0b01, ProposalStatus::Voting));
    // A clean restart finds its vote on-chain and sends nothing.
    let (status, stdout) = submit_once(&homes[0], None, cwd);
    assert!(status.success(), "{status:?}\n{stdout}");
    assert!(
        stdout.contains("epoch 0: waiting: 1 of 2 votes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sent: 0 crank, 0 bond, 0 vote, 0 finalize"),
        "{stdout}"
    );

    // ---- Oracle 1, in-process: bonds and casts the second vote, which posts the root. Its
    // bond transaction is lost on the way; the submitter re-signs it once its blockhash has
    // expired, and it lands once.
    let store1 = Store::connect(&settings(&homes[1]).storage).await.unwrap();
    let task1 = SubmitTask::new(&settings(&homes[1]), store1.clone()).unwrap();
    let seen = task1.pass().await.unwrap();
    assert_eq!(seen.len(), 1);
    assert!(
        matches!(&seen[0], (0, Progress::Waiting(why)) if why.starts_with("the dispute window ends in")),
        "{seen:?}"
    );
    let m = task1.metrics();
    assert_eq!(
        ["crank", "bond", "vote", "finalize"].map(|k| m.transactions.with_label_values(&[k]).get()),
        [0, 1, 1, 0]
    );
    let p = proposal().await.unwrap();
    assert_eq!((p.votes, p.status), (0b11, ProposalStatus::Posted));
    // Its first RPC call failed over from the dead URL to the live one, once; it stayed there.
    assert_eq!(m.failovers.get(), 1);
    // The lost bond was re-signed once (oracle_submit_retries_total), and its lost signature
    // never reached the chain; the bond holds exactly one bond's lamports.
    assert_eq!(m.expiries.get(), 1);
    // As `/metrics` renders it.
    let exposition = depin_oracle::ingest::Metrics::new().unwrap();
    m.register(exposition.registry()).unwrap();
    let text = exposition.render();
    assert!(
        text.lines().any(|l| l == "oracle_submit_retries_total 1"),
        "{text}"
    );
    let lost = lost
        .lock()
        .unwrap()
        .clone()
        .expect("a transaction was lost");
    let status = sender
        .rpc()
        .get_signature_statuses_with_history(&[lost.parse().unwrap()])
        .await
        .unwrap();
    assert_eq!(status.value, vec![None], "the lost signature never landed");
    assert_eq!(bond_of(&sender, &oracles[1]).await.amount, BOND);
    // Each of its transactions (the bond and the vote) set its priority fee.
    assert_eq!(
        priority_fees_paid_by(&sender, &oracles[1].pubkey()).await,
        vec![PRIORITY_FEE, PRIORITY_FEE]
    );

    // ---- The dispute window passes; oracle 0 finalizes and is killed right after.
    wait_until(&sender, p.dispute_ends).await;
    killed_after(&homes[0], "finalize", cwd);
    let after = network(&sender).await;
    assert_eq!(after.final_root.epochs, 1);
    assert_eq!(after.final_root.root, tree.root().hash);
    assert_eq!(after.final_root.total, EPOCH_EMISSION);
    assert_eq!(after.final_root.manifest_hash, [7; 32]);
    assert_eq!(proposal().await.unwrap().status, ProposalStatus::Final);
    // Both oracles now see it final and send nothing more.
    let (status, stdout) = submit_once(&homes[0], None, cwd);
    assert!(status.success(), "{status:?}\n{stdout}");
    assert!(stdout.contains("final on-chain: 1 epoch(s)"), "{stdout}");
    assert!(
        stdout.contains("sent: 0 crank, 0 bond, 0 vote, 0 finalize"),
        "{stdout}"
    );
    assert_eq!(task1.pass().await.unwrap(), vec![]);
    assert_eq!(network(&sender).await.epochs_minted, 1, "cranked once");
    store1.close().await;

    // ---- A wallet claims exactly its leaf.
    let wallet = wallets[0];
    let mint = rewards_ix::mint_pda().0;
    let ata = builders::associated_token_address(&wallet, &mint, TokenProgram::SplToken);
    let create = builders::create_associated_token_account_idempotent(
        &payer.pubkey(),
        &wallet,
        &mint,
        TokenProgram::SplToken,
    );
    let claim = rewards_ix::claim(
        rewards_ix::claim_accounts(payer.pubkey(), wallet, ata, TokenProgram::SplToken),
        rewards_ix::ClaimArgs {
            cumulative_amount: amounts[0],
            proof: rewards_ix::proof_nodes(&tree.proof(0).unwrap()),
        },
    );
    sender
        .send("claim", &[create, claim], &payer, &[])
        .await
        .unwrap();
    let balance = sender.rpc().get_token_account_balance(&ata).await.unwrap();
    assert_eq!(balance.amount, amounts[0].to_string());
    // The rewards API's claim index reads it in bulk: exactly this record; the other wallet
    // has claimed nothing.
    let chain =
        depin_oracle::api::RpcChain::new(Sender::new(sender.rpc().url(), SendConfig::default()));
    let records = depin_oracle::api::ApiChain::claim_records(&chain)
        .await
        .unwrap();
    let (record, bump) = rewards_ix::claim_record_pda(&wallet);
    assert_eq!(
        records,
        vec![depin_oracle::api::ClaimEntry {
            address: record.to_bytes(),
            bump,
            claimed: amounts[0],
        }]
    );
    let index = depin_oracle::api::Claims::new(&records, None);
    let key = |w: &Pubkey| depin_formats::keys::Pubkey(w.to_bytes());
    assert_eq!(
        (
            index.claimed(&key(&wallet)),
            index.claimed(&key(&wallets[1]))
        ),
        (amounts[0], 0)
    );

    // ---- The registry sync: an owner funded from the genesis supply stakes one device's
    // collateral and onboards a device; the sync sees it, then sees it decommissioned.
    registry_follows_the_chain(&sender, &payer, dir.path()).await;
}

/// H3 cell (resolution 9) of the registry's device, and the one it moves to.
const CELL: u64 = 0x0892_8308_ae03_ffff;
const MOVED: u64 = 0x0892_8308_ae07_ffff;
/// `min_device_collateral` in migrations/localnet.toml.
const COLLATERAL: u64 = 500_000_000;

async fn registry_follows_the_chain(sender: &Sender, deployer: &Keypair, dir: &Path) {
    use depin_client::builders::staking_ix;
    use depin_oracle::registry::DeviceStatus;
    use depin_oracle::registry::file::{history_path, registry_as_of, registry_csv};
    use depin_oracle::registry::shared::{DeviceRegistry, SharedRegistry};
    use depin_oracle::registry::sync::{RegistrySync, chain_registry};

    let tp = TokenProgram::SplToken;
    let mint = rewards_ix::mint_pda().0;
    let owner = Keypair::new();
    let device = Keypair::new();
    let maker = read_keypair_file(root().join("keys/localnet-maker-0.json")).unwrap();
    airdrop(sender, &owner.pubkey(), BOND).await;
    let source = builders::associated_token_address(&owner.pubkey(), &mint, tp);
    let fund = [
        builders::create_associated_token_account_idempotent(
            &deployer.pubkey(),
            &owner.pubkey(),
            &mint,
            tp,
        ),
        builders::transfer_checked(
            tp,
            &rewards_ix::genesis_pda().0,
            &mint,
            &source,
            &deployer.pubkey(),
            COLLATERAL,
            6,
        ),
    ];
    sender
        .send("fund from genesis", &fund, deployer, &[])
        .await
        .unwrap();
    let stake = staking_ix::stake(
        staking_ix::stake_accounts(owner.pubkey(), 0, mint, source, tp),
        staking_ix::StakeArgs {
            id: 0,
            kind: staking_ix::LockupKind::Cliff,
            lockup_secs: 0,
            amount: COLLATERAL,
        },
    );
    sender.send("stake", &[stake], &owner, &[]).await.unwrap();
    let position = staking_ix::position_pda(&owner.pubkey(), 0).0;
    let onboard = depin_client::onboarding::Onboard {
        code: depin_client::onboarding::local_code(
            &device,
            &owner.pubkey(),
            rewards_ix::DeviceKind::Connectivity,
            i64::try_from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs(),
            )
            .unwrap()
                + 3_600,
        ),
        maker: maker.pubkey(),
        location: CELL,
        position,
        fee_source: source,
        token_program: tp,
    };
    sender
        .send("onboard_device", &onboard.instructions(), &owner, &[&maker])
        .await
        .unwrap();
    // The owner moves it (the localnet's location fee is 0).
    let update = rewards_ix::update_location_ix(owner.pubkey(), device.pubkey(), source, tp, MOVED);
    sender
        .send("update_location", &[update], &owner, &[])
        .await
        .unwrap();

    let key = |k: Pubkey| k.to_string();
    let expected_at = |cell: u64, status: &str| {
        format!(
            "device,owner,maker,location,kind,status\n{},{},{},{cell:x},connectivity,{status}\n",
            key(device.pubkey()),
            key(owner.pubkey()),
            key(maker.pubkey()),
        )
    };
    let expected = |status: &str| expected_at(MOVED, status);
    let registry = chain_registry(sender).await.unwrap();
    assert_eq!(registry_csv(&registry), expected("active"));

    let csv = dir.join("sync/registry.csv");
    let shared = std::sync::Arc::new(SharedRegistry::default());
    let sync = RegistrySync::new(
        Sender::new(sender.rpc().url(), SendConfig::default()),
        std::sync::Arc::clone(&shared),
        csv.clone(),
        Duration::from_secs(30),
    );
    assert_eq!(sync.once().await.unwrap(), 1);
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), expected("active"));
    let oracle_key = depin_formats::keys::Pubkey(device.pubkey().to_bytes());
    assert_eq!(shared.status(&oracle_key), Some(DeviceStatus::Active));

    let decommission =
        rewards_ix::decommission_device_ix(owner.pubkey(), device.pubkey(), position);
    sender
        .send("decommission_device", &[decommission], &owner, &[])
        .await
        .unwrap();
    assert_eq!(sync.once().await.unwrap(), 1);
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        expected("decommissioned")
    );
    assert_eq!(
        shared.status(&oracle_key),
        Some(DeviceStatus::Decommissioned)
    );
    // Beside it, the history the epochs are rebuilt from: the account's own times, so an epoch
    // that ended before the decommissioning still scores the device as active, and one that
    // started before the move at its first cell.
    let account: rewards::state::Device = depin_client::accounts::fetch(
        sender,
        "device",
        &rewards_ix::device_pda(&device.pubkey()).0,
    )
    .await
    .unwrap()
    .unwrap();
    let history = std::fs::read(history_path(&csv)).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&history).lines().nth(1).unwrap(),
        format!(
            "{},{},{},{MOVED:x},connectivity,decommissioned,{},{},{},{},{CELL:x},{}",
            key(device.pubkey()),
            key(owner.pubkey()),
            key(maker.pubkey()),
            account.onboarded_at,
            account.onboarded_at,
            key(owner.pubkey()),
            account.decommissioned_at,
            account.location_since
        )
    );

    let at = account.decommissioned_at;
    assert!(at >= account.onboarded_at);
    assert_eq!((account.location, account.prev_location), (MOVED, CELL));
    assert!(account.location_since >= account.onboarded_at);
    let moved = account.location_since;
    // An epoch that started before the move: the first cell.
    assert_eq!(
        registry_as_of(&history, moved - 1, at + 1).unwrap(),
        expected_at(CELL, "decommissioned").into_bytes()
    );
    // An epoch ending at the decommissioning second: active, unless it was also the onboarding
    // second (the cluster's clock moves in whole seconds), when the device is not in it yet.
    let before = if account.onboarded_at < at {
        expected("active")
    } else {
        "device,owner,maker,location,kind,status\n".to_owned()
    };
    assert_eq!(
        registry_as_of(&history, moved, at).unwrap(),
        before.into_bytes()
    );
    assert_eq!(
        registry_as_of(&history, moved, at + 1).unwrap(),
        expected("decommissioned").into_bytes()
    );
    // An unknown key is not in it.
    assert_eq!(shared.status(&depin_formats::keys::Pubkey([9; 32])), None);
}
