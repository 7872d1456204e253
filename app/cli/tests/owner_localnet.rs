//! The owner's commands, run as the real `depin` binary against a local validator over JSON-RPC
//! after `migrations/localnet.toml`: `device onboard` (from devices' onboarding codes, co-signed
//! by a real `depin-maker serve` process holding the localnet maker's key) `| list |
//! update-location | transfer | decommission` and
//! `rewards status | claim`, with exact values, and their refusals by name with nothing sent.
//! The first owners' collateral comes from the genesis supply; two oracles put epoch 0's root
//! on-chain through the oracle's submitter.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::Path;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use depin_client::accounts::fetch;
use depin_client::builders::{associated_token_address, rewards_ix, staking_ix};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_formats::transparency::WalletRow;
use depin_localnet::{Localnet, LocalnetConfig, deployer};
use depin_oracle::store::PublishedEpoch;
use serde_json::Value;

mod common;
use common::*;

/// `min_device_collateral` in migrations/localnet.toml.
const COLLATERAL: u64 = 500_000_000;
/// Epoch 0's emission under migrations/localnet.toml.
const EPOCH_EMISSION: u64 = 3_424_657_534_246;
/// The H3 cell the devices assert, as the CLI takes it, and a neighbour a device moves to.
const CELL: &str = "8928308ae03ffff";
const MOVED: &str = "8928308ae07ffff";

/// `device onboard` arguments: a device's onboarding code, the maker service, a location.
fn onboard_args<'a>(code: &'a str, maker_url: &'a str, location: &'a str) -> Vec<&'a str> {
    vec![
        "device",
        "onboard",
        "--code",
        code,
        "--maker-url",
        maker_url,
        "--location",
        location,
    ]
}

async fn token_balance(sender: &Sender, owner: &Pubkey) -> u64 {
    let ata = associated_token_address(owner, &rewards_ix::mint_pda().0, TP);
    sender
        .rpc()
        .get_token_account_balance(&ata)
        .await
        .unwrap()
        .amount
        .parse()
        .unwrap()
}

fn device_rows(v: &Value) -> Vec<(String, String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["device"].as_str().unwrap().to_owned(),
                d["owner"].as_str().unwrap().to_owned(),
                d["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn owners_onboard_move_and_retire_devices_and_claim_their_rewards() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let net = Localnet::start(LocalnetConfig::for_tests(
        d.join("ledger"),
        root().join("target/deploy"),
    ))
    .await
    .unwrap();
    let cli = Cli { url: net.rpc_url() };
    let sender = Sender::new(net.rpc_url(), SendConfig::default());
    let deployer = deployer();
    let config = depin_migrations::Config::load(&root().join("migrations/localnet.toml")).unwrap();
    depin_migrations::migrate(&config, &sender, &deployer)
        .await
        .unwrap();

    // Alice stakes two devices' collateral, Bob one (locked for an hour); Carol stakes nothing.
    // Their tokens come from the genesis supply.
    let (alice, bob, carol) = (Keypair::new(), Keypair::new(), Keypair::new());
    fund_owner(&sender, &deployer, &alice.pubkey(), 2 * COLLATERAL).await;
    fund_owner(&sender, &deployer, &bob.pubkey(), COLLATERAL).await;
    fund_owner(&sender, &deployer, &carol.pubkey(), COLLATERAL).await;
    let (alice_key, bob_key, carol_key) = (
        keypair_file(d, "alice.json", &alice),
        keypair_file(d, "bob.json", &bob),
        keypair_file(d, "carol.json", &carol),
    );
    let locked = cli.json(&alice_key, &["stake", "lock", "--amount", "1000000000"]);
    assert_eq!(locked["amount"].as_u64(), Some(2 * COLLATERAL));
    assert_eq!(
        locked["position"].as_str(),
        Some(
            staking_ix::position_pda(&alice.pubkey(), 0)
                .0
                .to_string()
                .as_str()
        )
    );
    cli.json(
        &bob_key,
        &[
            "stake",
            "lock",
            "--amount",
            "500000000",
            "--lockup-secs",
            "3600",
        ],
    );
    cli.json(&bob_key, &["stake", "extend", "--lockup-secs", "7200"]);
    let bob_status = cli.json(&bob_key, &["stake", "status"]);
    assert_eq!(
        (
            bob_status["kind"].as_str(),
            bob_status["amount"].as_u64(),
            bob_status["lockup_secs"].as_u64()
        ),
        (Some("cliff"), Some(COLLATERAL), Some(7200))
    );
    let err = cli.refused(&bob_key, &["stake", "unlock"]);
    assert!(err.contains("position #0 is a cliff lock"), "{err}");
    let err = cli.refused(&bob_key, &["stake", "withdraw"]);
    assert!(err.contains("position #0 has 0 cooling down"), "{err}");
    let err = cli.refused(&carol_key, &["stake", "status"]);
    assert!(err.contains("has no staking position #0"), "{err}");
    assert_eq!(token_balance(&sender, &alice.pubkey()).await, 0);
    // The localnet maker's service, holding its key (a private copy of the repository's file).
    let maker_key = private_copy(&root().join("keys/localnet-maker-0.json"), d, "maker.json");
    let maker = MakerService::start(&net.rpc_url(), &maker_key, &d.join("maker"), &[]);
    let devices: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    for device in &devices {
        maker.provision(&device.pubkey());
    }
    let codes: Vec<String> = devices
        .iter()
        .map(|k| code_for(k, &alice.pubkey()))
        .collect();

    // ---- device onboard: from the devices' codes, co-signed by the maker service
    for code in &codes {
        let out = cli.json(&alice_key, &onboard_args(code, &maker.url, CELL));
        assert!(out["signature"].is_string());
        assert_eq!(out["collateral_added"].as_u64(), Some(0));
    }
    // The same device again: the maker service refuses it by name.
    let err = cli.refused(&alice_key, &onboard_args(&codes[0], &maker.url, CELL));
    assert!(err.contains("device_already_onboarded"), "{err}");
    // Alice's code in Carol's wallet: refused by name before anything is asked or sent.
    let spare = code_for(&Keypair::new(), &alice.pubkey());
    let err = cli.refused(&carol_key, &onboard_args(&spare, &maker.url, CELL));
    assert!(
        err.contains(&format!(
            "wrong_owner: the code onboards to {}, not to the signer {}",
            alice.pubkey(),
            carol.pubkey()
        )),
        "{err}"
    );
    let err = cli.refused(&alice_key, &onboard_args(&spare, &maker.url, "not-hex"));
    assert!(
        err.contains("--location \"not-hex\" is not a hex H3 cell index"),
        "{err}"
    );

    // ---- device list
    let (a, b) = (alice.pubkey().to_string(), bob.pubkey().to_string());
    let dev = |i: usize| devices[i].pubkey().to_string();
    let mut expected = vec![
        (dev(0), a.clone(), "active".to_owned()),
        (dev(1), a.clone(), "active".to_owned()),
    ];
    expected.sort();
    let listed = cli.json(&alice_key, &["device", "list", "--owner", &a]);
    let mut rows_listed = device_rows(&listed);
    rows_listed.sort();
    assert_eq!(rows_listed, expected);
    assert_eq!(listed[0]["location"], CELL);
    assert_eq!(listed[0]["kind"], "connectivity");
    assert_eq!(
        device_rows(&cli.json(&alice_key, &["device", "list", "--owner", &b])),
        vec![]
    );

    // ---- device update-location (device 1; the localnet's location fee is 0): once; the same
    // cell, a second move in the epoch, another owner and a bad cell are refused by name.
    let device1 = dev(1);
    let update = |location: &'static str| -> [&str; 6] {
        [
            "device",
            "update-location",
            "--device",
            device1.as_str(),
            "--location",
            location,
        ]
    };
    let out = cli.json(&alice_key, &update(MOVED));
    assert_eq!(
        (
            out["old_location"].as_str(),
            out["location"].as_str(),
            out["fee"].as_u64()
        ),
        (Some(CELL), Some(MOVED), Some(0))
    );
    let account: rewards::state::Device = fetch(
        &sender,
        "device",
        &rewards_ix::device_pda(&devices[1].pubkey()).0,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        (
            format!("{:x}", account.location),
            format!("{:x}", account.prev_location)
        ),
        (MOVED.to_owned(), CELL.to_owned())
    );
    let err = cli.refused(&alice_key, &update(MOVED));
    assert!(err.contains(&format!("is at {MOVED} already")), "{err}");
    let err = cli.refused(&alice_key, &update(CELL));
    assert!(err.contains("moved in this epoch already"), "{err}");
    let err = cli.refused(&bob_key, &update(CELL));
    assert!(
        err.contains(&format!("belongs to {a}, not to the signer {b}")),
        "{err}"
    );
    let err = cli.refused(&alice_key, &update("8928308ae03fff8"));
    assert!(
        err.contains("--location \"8928308ae03fff8\" is not a hex H3 cell index"),
        "{err}"
    );

    // ---- device transfer (device 1 to Bob) and decommission (device 0)
    cli.json(
        &alice_key,
        &[
            "device",
            "transfer",
            "--device",
            &dev(1),
            "--new-owner-keypair",
            bob_key.to_str().unwrap(),
        ],
    );
    let err = cli.refused(&alice_key, &["device", "decommission", "--device", &dev(1)]);
    assert!(
        err.contains(&format!("belongs to {b}, not to the signer {a}")),
        "{err}"
    );
    cli.json(&alice_key, &["device", "decommission", "--device", &dev(0)]);
    let mut expected = vec![
        (dev(0), a.clone(), "decommissioned".to_owned()),
        (dev(1), b.clone(), "active".to_owned()),
    ];
    expected.sort();
    let mut all = device_rows(&cli.json(&alice_key, &["device", "list"]));
    all.sort();
    assert_eq!(all, expected);
    // The collateral followed the devices: Alice's position binds none now, Bob's one.
    let bound = |v: Value| v["bound_devices"].as_u64();
    assert_eq!(bound(cli.json(&alice_key, &["stake", "status"])), Some(0));
    assert_eq!(bound(cli.json(&bob_key, &["stake", "status"])), Some(1));

    // ---- epoch 0's root: Alice earns 1,000,000,000,000, Bob the rest; two oracles post it.
    let alice_earned = 1_000_000_000_000u64;
    let bob_earned = EPOCH_EMISSION - alice_earned;
    let mut rows = vec![
        WalletRow {
            wallet: depin_formats::keys::Pubkey(alice.pubkey().to_bytes()),
            epoch_reward: alice_earned,
            previous: 0,
            cumulative: alice_earned,
        },
        WalletRow {
            wallet: depin_formats::keys::Pubkey(bob.pubkey().to_bytes()),
            epoch_reward: bob_earned,
            previous: 0,
            cumulative: bob_earned,
        },
    ];
    rows.sort_by_key(|r| r.wallet);
    let mut csv = Vec::new();
    depin_formats::transparency::write_wallets_csv(&mut csv, &rows).unwrap();
    let wallets_csv = d.join("wallets.csv");
    std::fs::write(&wallets_csv, &csv).unwrap();
    let root_node = depin_formats::tree::root(&rows).unwrap().unwrap();
    let published = PublishedEpoch {
        epoch: 0,
        root_hash: Some(root_node.hash),
        root_sum: root_node.sum,
        leaves: 2,
        manifest_hash: [5; 32],
        published_at: 0,
    };
    let (oracles, store) = oracle_seats(&sender, &deployer, 2, &d.join("oracle")).await;
    // Before the root is final, there is nothing to claim against.
    let status = cli.json(&alice_key, &["rewards", "status"]);
    assert_eq!(
        (status["final_epochs"].as_u64(), status["claimed"].as_u64()),
        (Some(0), Some(0))
    );
    let err = cli.refused(
        &alice_key,
        &[
            "rewards",
            "claim",
            "--wallets",
            wallets_csv.to_str().unwrap(),
        ],
    );
    assert!(err.contains("but the final root on-chain is"), "{err}");

    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    post_until_final(&sender, &oracles, &store, &published, None, deadline).await;
    let network =
        fetch::<rewards::state::Network>(&sender, "network", &rewards_ix::network_pda().0)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        (network.final_root.epochs, network.final_root.total),
        (1, EPOCH_EMISSION)
    );
    store.close().await;

    // ---- the rewards API over epoch 0's files: Bob's exact summary, its proof the chain's
    let api = serve_api(
        &d.join("api"),
        &csv,
        &[
            (devices[0].pubkey(), alice.pubkey(), alice_earned),
            (devices[1].pubkey(), bob.pubkey(), bob_earned),
        ],
        &sender,
    )
    .await;
    let bob_summary =
        depin_client::rewards_api::wallet_summary(&reqwest::Client::new(), &api, &bob.pubkey())
            .await
            .unwrap();
    let alice_leaf = depin_formats::tree::tree(&rows).unwrap().unwrap();
    let alice_index = rows
        .iter()
        .position(|r| r.wallet.0 == alice.pubkey().to_bytes());
    let alice_node = alice_leaf.leaf(alice_index.unwrap()).unwrap();
    let bob_index = 1 - alice_index.unwrap();
    assert_eq!(
        serde_json::to_value(&bob_summary).unwrap(),
        serde_json::json!({
            "wallet": b,
            "final_root": {
                "epoch": 0, "epochs": 1, "root": hex::encode(root_node.hash),
                "total": EPOCH_EMISSION.to_string(), "leaves": 2,
                "manifest_hash": hex::encode([5u8; 32]),
            },
            "cumulative": bob_earned.to_string(),
            "claimed": "0",
            "claimable": bob_earned.to_string(),
            "leaf": {
                "index": bob_index,
                "cumulative": bob_earned.to_string(),
                "proof": [{
                    "hash": hex::encode(alice_node.hash),
                    "sum": alice_earned.to_string(),
                    "is_left": alice_index == Some(0),
                }],
            },
            "devices": [{
                "epoch": 0, "device": dev(1), "score": "1", "reward": bob_earned.to_string(),
                "reasons": [], "final": true,
            }],
        })
    );

    // ---- rewards status and claim: proofs from the API, and from the file
    let wallets_arg = wallets_csv.to_str().unwrap();
    let status = cli.json(&alice_key, &["rewards", "status", "--api", &api]);
    assert_eq!(status["earned"].as_u64(), Some(alice_earned));
    assert_eq!(status["claimed"].as_u64(), Some(0));
    assert_eq!(status["claimable"].as_u64(), Some(alice_earned));
    assert_eq!(token_balance(&sender, &alice.pubkey()).await, 0);
    // ---- One command claims for several wallets, paid by Carol (a claim needs no wallet's
    // signature): Alice and Bob are paid exactly what they earned, Carol (no leaf) has nothing
    // to claim, and the report says so wallet by wallet.
    let c = carol.pubkey().to_string();
    let carol_sol = sender.rpc().get_balance(&carol.pubkey()).await.unwrap();
    let multi = cli.json(
        &carol_key,
        &[
            "rewards", "claim", "--api", &api, "--wallet", &a, "--wallet", &b, "--wallet", &c,
        ],
    );
    let claims = multi["claims"].as_array().unwrap();
    let reported: Vec<_> = claims
        .iter()
        .map(|r| {
            (
                r["wallet"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
                r["amount"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        reported,
        [
            (a.clone(), "claimed".to_owned(), Some(alice_earned)),
            (b.clone(), "claimed".to_owned(), Some(bob_earned)),
            (c.clone(), "nothing".to_owned(), None),
        ]
    );
    assert!(
        claims[2]["reason"]
            .as_str()
            .unwrap()
            .contains("has no leaf in the final root"),
        "{multi}"
    );
    assert_eq!(
        (multi["total_claimed"].as_u64(), multi["refused"].as_u64()),
        (Some(EPOCH_EMISSION), Some(0))
    );
    assert_eq!(token_balance(&sender, &alice.pubkey()).await, alice_earned);
    assert_eq!(token_balance(&sender, &bob.pubkey()).await, bob_earned);
    assert_eq!(token_balance(&sender, &carol.pubkey()).await, COLLATERAL);
    // Carol paid the fees and the claim records' rent.
    assert!(sender.rpc().get_balance(&carol.pubkey()).await.unwrap() < carol_sol);
    // Again, one wallet: nothing left, nothing sent, refused by name.
    let err = cli.refused(&alice_key, &["rewards", "claim", "--wallets", wallets_arg]);
    assert!(
        err.contains(&format!(
            "nothing to claim (earned {alice_earned}, already claimed {alice_earned})"
        )),
        "{err}"
    );
    // Again, several: each has nothing to claim; that is not a failure.
    let again = cli.json(
        &carol_key,
        &[
            "rewards",
            "claim",
            "--wallets",
            wallets_arg,
            "--wallet",
            &a,
            "--wallet",
            &b,
        ],
    );
    assert_eq!(
        (again["total_claimed"].as_u64(), again["refused"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        again["claims"][1]["reason"],
        format!("wallet {b}: nothing to claim (earned {bob_earned}, already claimed {bob_earned})")
    );
    // With --json, a failure is one JSON error object on stdout and a non-zero exit.
    let out = cli.run(&carol_key, &["rewards", "claim", "--json"]);
    assert!(!out.status.success());
    let error: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        error,
        serde_json::json!({"error": "say where the proof comes from: --api <oracle URL> or --wallets <wallets.csv>"})
    );
    // Carol earned nothing (by the file and by the API); an altered file is refused before
    // anything is sent.
    let err = cli.refused(&carol_key, &["rewards", "claim", "--wallets", wallets_arg]);
    assert!(err.contains("has no leaf in the final root"), "{err}");
    let err = cli.refused(&carol_key, &["rewards", "claim", "--api", &api]);
    assert!(
        err.contains("has no leaf in the final root (the rewards API"),
        "{err}"
    );
    let err = cli.refused(&carol_key, &["rewards", "claim"]);
    assert!(
        err.contains("--api <oracle URL> or --wallets <wallets.csv>"),
        "{err}"
    );
    rows[0].cumulative += 1;
    rows[0].epoch_reward += 1;
    let mut altered = Vec::new();
    depin_formats::transparency::write_wallets_csv(&mut altered, &rows).unwrap();
    let altered_csv = d.join("altered.csv");
    std::fs::write(&altered_csv, &altered).unwrap();
    let err = cli.refused(
        &bob_key,
        &[
            "rewards",
            "claim",
            "--wallets",
            altered_csv.to_str().unwrap(),
        ],
    );
    assert!(err.contains("but the final root on-chain is"), "{err}");
}

/// An oracle's rewards API over epoch 0 as this test published it (`wallets.csv` as `csv`, and
/// a devices.csv of `devices`: (device, owner, reward), one score point each) on its own store,
/// reading the chain through `sender`; returns its base URL.
async fn serve_api(
    dir: &Path,
    csv: &[u8],
    devices: &[(Pubkey, Pubkey, u64)],
    sender: &Sender,
) -> String {
    use depin_formats::keys::Pubkey as Key;
    use depin_formats::transparency::DEVICES_HEADER;
    let epoch = dir.join("epochs").join("epoch-0");
    std::fs::create_dir_all(&epoch).unwrap();
    std::fs::write(epoch.join("wallets.csv"), csv).unwrap();
    let mut listed: Vec<(Key, Key, u64)> = devices
        .iter()
        .map(|(d, o, r)| (Key(d.to_bytes()), Key(o.to_bytes()), *r))
        .collect();
    listed.sort();
    let mut text = format!("{DEVICES_HEADER}\n");
    for (device, owner, reward) in &listed {
        text.push_str(&format!("{device},{owner},1,{reward},\n"));
    }
    std::fs::write(epoch.join("devices.csv"), text).unwrap();
    let storage = depin_oracle::settings::StorageSettings {
        data_dir: dir.to_path_buf(),
        ..Default::default()
    };
    let store = depin_oracle::store::Store::connect(&storage).await.unwrap();
    store.migrate().await.unwrap();
    let chain = Sender::new(sender.rpc().url(), SendConfig::default());
    let state = depin_oracle::api::ApiState::new(dir, store, Some(chain));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = depin_oracle::api::router(std::sync::Arc::new(state));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}
