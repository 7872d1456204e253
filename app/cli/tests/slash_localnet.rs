//! Slashing end to end on a local validator over JSON-RPC, with the real `depin` binary: two
//! oracles of the localnet set find the offences in their published epochs and serve their
//! approvals over HTTP (`depin_oracle::offences`, in-process); `depin slash list | propose |
//! overturn | execute` lists them, gathers the quorum's signatures into `propose_slash`, lets the
//! staking authority overturn one during its appeal window, and burns the other after it.
//!
//! The published epochs are written by the test (devices.csv and manifest_hash, as the oracle
//! publishes them): Alice's device spoofs its location in epochs 0-2, Bob's witnesses itself.
//! Alice then transfers the device to a second wallet of hers: the slash still reaches her
//! position.
//! Their roots (of no wallet) are made final on-chain by two oracles' submitters, since nothing
//! is approved before.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use depin_client::accounts::{cluster_time, fetch};
use depin_client::builders::{rewards_ix, staking_ix};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_localnet::{Localnet, LocalnetConfig, deployer};
use depin_oracle::offences::{Offences, router};
use depin_oracle::store::{PublishedEpoch, Store};
use serde_json::Value;
use staking::state::Position;

mod common;
use common::*;

/// `min_device_collateral` in migrations/localnet.toml.
const COLLATERAL: u64 = 500_000_000;
const CELL: &str = "8928308ae03ffff";
/// The appeal window of this test's staking config.
const APPEAL_SECS: u64 = 20;

/// `depin slash list --oracle <url> --json` (no cluster flags).
fn list(oracle: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_depin"))
        .args(["slash", "list", "--oracle", oracle, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The manifest hash of epoch `n` in this test.
fn manifest(epoch: u64) -> [u8; 32] {
    let mut hash = [0u8; 32];
    hash[24..].copy_from_slice(&(epoch + 1).to_be_bytes());
    hash
}

/// Epochs 0-2 as an oracle publishes them: `rows` are (device, owner, reasons).
fn publish(data: &Path, rows: &[(Pubkey, Pubkey, &str)]) {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|(device, _, _)| device.to_bytes());
    for epoch in 0..3 {
        let dir = data.join("epochs").join(format!("epoch-{epoch}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut csv = String::from("device,owner,score,reward,reasons\n");
        for (device, owner, reasons) in &rows {
            csv.push_str(&format!("{device},{owner},0,0,{reasons}\n"));
        }
        std::fs::write(dir.join("devices.csv"), csv).unwrap();
        std::fs::write(
            dir.join("manifest_hash"),
            hex::encode(manifest(epoch)) + "\n",
        )
        .unwrap();
    }
}

/// Serves `GET /v1/offences` for oracle seat `seat` over `data`; returns its URL and the
/// oracle's offences (to submit its approvals as `oracle serve` does).
async fn serve_oracle(url: &str, data: &Path, key: Keypair) -> (String, Arc<Offences>) {
    let sender = Sender::new(url.to_owned(), SendConfig::default());
    let offences = Arc::new(Offences::new(data, Ok((sender, key))).submitting(true));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::clone(&offences);
    tokio::spawn(async move { axum::serve(listener, router(served)).await });
    (format!("http://{addr}"), offences)
}

/// Epochs 0-2 final on-chain, each with the root of no wallet: `oracles` vote it through their
/// submitters, and one finalizes it after the dispute window.
async fn finalize_epochs(oracles: &[Keypair], sender: &Sender, store: &Store) {
    // Each vote names the epoch it extends (the previous one's root of nothing).
    let mut base: Option<PublishedEpoch> = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    for epoch in 0..3 {
        let published = PublishedEpoch {
            epoch,
            root_hash: None,
            root_sum: 0,
            leaves: 0,
            manifest_hash: manifest(epoch),
            published_at: 0,
        };
        post_until_final(sender, oracles, store, &published, base.as_ref(), deadline).await;
        base = Some(published);
    }
}

async fn position(sender: &Sender, owner: &Pubkey) -> Position {
    fetch::<Position>(sender, "position", &staking_ix::position_pda(owner, 0).0)
        .await
        .unwrap()
        .unwrap()
}

async fn supply(sender: &Sender) -> u64 {
    let mint = rewards_ix::mint_pda().0;
    sender
        .rpc()
        .get_token_supply(&mint)
        .await
        .unwrap()
        .amount
        .parse()
        .unwrap()
}

/// (status, offence, position, nonce, amount) of each listed offence.
fn rows(listing: &Value) -> Vec<(String, String, String, u64, u64)> {
    listing["offences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["status"].as_str().unwrap().to_owned(),
                a["offence"].as_str().unwrap().to_owned(),
                a["position"].as_str().unwrap_or("-").to_owned(),
                a["slash_nonce"].as_u64().unwrap_or(u64::MAX),
                a["amount_bps"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spoofer_is_slashed_after_the_appeal_window_and_an_overturned_slash_burns_nothing() {
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
    let mut config =
        depin_migrations::Config::load(&root().join("migrations/localnet.toml")).unwrap();
    // The deployer is the staking authority here (the DAO's vote is `depin sim`'s), with a short
    // appeal window.
    config.staking.authority = "deployer".into();
    config.staking.appeal_secs = APPEAL_SECS;
    depin_migrations::migrate(&config, &sender, &deployer)
        .await
        .unwrap();
    let deployer_key = keypair_file(d, "deployer.json", &deployer);

    // Alice binds two devices' collateral, Bob one; each onboards through the CLI.
    let (alice, bob) = (Keypair::new(), Keypair::new());
    fund_owner(&sender, &deployer, &alice.pubkey(), 2 * COLLATERAL).await;
    fund_owner(&sender, &deployer, &bob.pubkey(), COLLATERAL).await;
    let alice_key = keypair_file(d, "alice.json", &alice);
    let bob_key = keypair_file(d, "bob.json", &bob);
    // The localnet maker's service co-signs each onboarding (a private copy of its key).
    let maker_key = private_copy(&root().join("keys/localnet-maker-0.json"), d, "maker.json");
    let maker = MakerService::start(&net.rpc_url(), &maker_key, &d.join("maker"), &[]);
    let devices: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    for device in &devices {
        maker.provision(&device.pubkey());
    }
    for (i, (owner, owner_key, tokens)) in [
        (&alice, &alice_key, 2 * COLLATERAL),
        (&bob, &bob_key, COLLATERAL),
    ]
    .into_iter()
    .enumerate()
    {
        let amount = tokens.to_string();
        cli.json(owner_key, &["stake", "lock", "--amount", &amount]);
        let mine: &[usize] = if i == 0 { &[0, 1] } else { &[2] };
        for &n in mine {
            let code = code_for(&devices[n], &owner.pubkey());
            cli.json(
                owner_key,
                &[
                    "device",
                    "onboard",
                    "--code",
                    &code,
                    "--maker-url",
                    &maker.url,
                    "--location",
                    CELL,
                ],
            );
        }
    }

    // Two oracle seats of the localnet set (threshold 2 of 3) publish the same epochs.
    let rows_published = [
        (devices[0].pubkey(), alice.pubkey(), "location_mismatch:3"),
        (devices[1].pubkey(), alice.pubkey(), ""),
        (devices[2].pubkey(), bob.pubkey(), "self_witness:1"),
    ];
    let (keys, store) = oracle_seats(&sender, &deployer, 2, &d.join("submit")).await;
    let (mut oracles, mut submitters) = (Vec::new(), Vec::new());
    for (seat, key) in keys.iter().enumerate() {
        let data = d.join(format!("oracle-{seat}"));
        publish(&data, &rows_published);
        let (url, offences) = serve_oracle(&net.rpc_url(), &data, key.insecure_clone()).await;
        oracles.push(url);
        submitters.push(offences);
    }
    let alice_position = staking_ix::position_pda(&alice.pubkey(), 0).0.to_string();
    let bob_position = staking_ix::position_pda(&bob.pubkey(), 0).0.to_string();

    // ---- list: nothing is approved before the window's roots are final; then both offences
    // are, at nonce 0 of their positions.
    let listing = list(&oracles[0]);
    let waiting: Vec<(String, String)> = listing["offences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["status"].as_str().unwrap().into(),
                a["detail"].as_str().unwrap().into(),
            )
        })
        .collect();
    let not_final = "epoch 2's root is not final on-chain yet (0 final)".to_owned();
    assert_eq!(
        waiting,
        [
            ("queued".to_owned(), not_final.clone()),
            ("queued".to_owned(), not_final)
        ]
    );
    finalize_epochs(&keys, &sender, &store).await;
    store.close().await;
    // The escape attempt: once the window is over (epoch 3 or later: epochs 0-2 paid Alice),
    // Alice hands her spoofing device to a second wallet of hers, Carol, before proposing
    // starts. The offence stays charged to Alice's position (the device's `prev_position`),
    // whose released collateral stays liable until the window and a 3-epoch grace are final
    // (6 epochs; 3 are) and cannot be unstaked.
    let carol = Keypair::new();
    fund_owner(&sender, &deployer, &carol.pubkey(), COLLATERAL).await;
    let carol_key = keypair_file(d, "carol.json", &carol);
    cli.json(
        &carol_key,
        &["stake", "lock", "--amount", &COLLATERAL.to_string()],
    );
    let device_0 = devices[0].pubkey().to_string();
    cli.json(
        &alice_key,
        &[
            "device",
            "transfer",
            "--device",
            &device_0,
            "--new-owner-keypair",
            carol_key.to_str().unwrap(),
        ],
    );
    let err = cli.refused(
        &alice_key,
        &["stake", "unstake", "--amount", &COLLATERAL.to_string()],
    );
    assert!(
        err.contains("1 bound device(s) and 1 released device(s) that stay liable for offences"),
        "{err}"
    );
    let network: rewards::state::Network = fetch(&sender, "network", &rewards_ix::network_pda().0)
        .await
        .unwrap()
        .unwrap();
    let device: rewards::state::Device = fetch(
        &sender,
        "device",
        &rewards_ix::device_pda(&devices[0].pubkey()).0,
    )
    .await
    .unwrap()
    .unwrap();
    let c = network
        .emission
        .schedule()
        .epoch_at(device.owner_since)
        .unwrap();
    assert!(c >= 3, "transferred in epoch {c}");
    let a = position(&sender, &alice.pubkey()).await;
    assert_eq!(
        (
            a.liable_devices,
            a.liable_until_epochs,
            network.final_root.epochs
        ),
        (1, rewards::state::prev_owner_kept_until(c), 3)
    );

    tokio::time::sleep(Duration::from_secs(3)).await; // past the oracles' 2 s answer cache
    let listing = list(&oracles[0]);
    assert_eq!(listing["threshold"].as_u64(), Some(2));
    assert_eq!(
        rows(&listing),
        vec![
            (
                "approved".into(),
                "witness_fraud".into(),
                bob_position.clone(),
                0,
                1_000
            ),
            (
                "approved".into(),
                "location_spoofing".into(),
                alice_position.clone(),
                0,
                500
            ),
        ]
    );
    let spoofing = listing["offences"][1]["evidence_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let fraud = listing["offences"][0]["evidence_hash"]
        .as_str()
        .unwrap()
        .to_owned();

    // ---- propose: one oracle is not a quorum; two are.
    let err = cli.refused(
        &deployer_key,
        &[
            "slash",
            "propose",
            "--oracle",
            &oracles[0],
            "--evidence",
            &spoofing,
        ],
    );
    assert!(
        err.contains("1 valid approval(s) at slash nonce 0"),
        "{err}"
    );
    let proposed = cli.json(
        &deployer_key,
        &[
            "slash",
            "propose",
            "--oracle",
            &oracles[0],
            "--oracle",
            &oracles[1],
            "--evidence",
            &spoofing,
        ],
    );
    // One document: what was proposed, and what failed.
    assert_eq!(proposed["failed"], serde_json::json!([]));
    let proposed = &proposed["proposed"][0];
    assert_eq!(
        (
            proposed["amount_bps"].as_u64(),
            proposed["signers"].as_u64(),
            proposed["evidence_hash"].as_str()
        ),
        (Some(500), Some(2), Some(spoofing.as_str()))
    );
    let a = position(&sender, &alice.pubkey()).await;
    let pending = a.pending_slash.unwrap();
    // 5 % of Alice's 1,000 tokens.
    assert_eq!((pending.amount, a.slash_nonce), (50_000_000, 1));
    assert_eq!(hex::encode(pending.evidence_hash), spoofing);
    let err = cli.refused(
        &deployer_key,
        &["slash", "execute", "--position", &alice_position],
    );
    assert!(err.contains("appeal window of position"), "{err}");

    // ---- the rest: Bob's offence (Alice's is proposed).
    tokio::time::sleep(Duration::from_secs(3)).await; // past the oracles' 2 s answer cache
    let statuses: Vec<String> = rows(&list(&oracles[1])).into_iter().map(|r| r.0).collect();
    assert_eq!(statuses, ["approved", "proposed"]);
    // The oracles submit it themselves, as `oracle serve` does after each rebuild when it
    // submits: the first records its approval (1 of 2); the second's completes the quorum, so
    // it proposes with the record and its own signature in one transaction.
    let fraud_hash: [u8; 32] = hex::decode(&fraud).unwrap().try_into().unwrap();
    let bob_address = staking_ix::position_pda(&bob.pubkey(), 0).0;
    let sent = submitters[0].submit_own().await.unwrap();
    assert_eq!(sent, [format!("approved {fraud} against {bob_address}")]);
    let pda = staking_ix::slash_approval_pda(&bob_address, &fraud_hash, 1_000).0;
    let recorded: staking::state::SlashApproval = fetch(&sender, "slash approval", &pda)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (recorded.approvals.count_ones(), recorded.slash_nonce),
        (1, 0)
    );
    assert_eq!(position(&sender, &bob.pubkey()).await.pending_slash, None);
    let sent = submitters[1].submit_own().await.unwrap();
    assert_eq!(sent, [format!("proposed {fraud} against {bob_address}")]);
    assert!(
        !depin_client::accounts::exists(&sender, "slash approval", &pda)
            .await
            .unwrap()
    );
    assert_eq!(
        position(&sender, &bob.pubkey())
            .await
            .pending_slash
            .map(|p| (p.amount, p.evidence_hash)),
        Some((50_000_000, fraud_hash))
    );

    // ---- overturn: only the staking authority, within the window.
    let err = cli.refused(
        &bob_key,
        &["slash", "overturn", "--position", &bob_position],
    );
    assert!(err.contains("the staking authority is"), "{err}");
    cli.json(
        &deployer_key,
        &["slash", "overturn", "--position", &bob_position],
    );
    let b = position(&sender, &bob.pubkey()).await;
    assert_eq!((b.pending_slash, b.slashed, b.slash_nonce), (None, 0, 1));
    // The double slash: Bob's overturned offence again, freshly signed by the quorum at nonce 1,
    // over JSON-RPC: refused by its slash record (SlashAlreadyProposed, 7058).
    let hash = fraud_hash;
    let set_version = u32::try_from(listing["set_version"].as_u64().unwrap()).unwrap();
    let config: staking::state::StakingConfig =
        fetch(&sender, "staking config", &staking_ix::config_pda().0)
            .await
            .unwrap()
            .unwrap();
    let msg = depin_client::slash::message(
        config.slash_domain,
        &bob_address,
        1_000,
        hash,
        set_version,
        1,
    );
    let sigs: Vec<([u8; 32], [u8; 64])> = keys
        .iter()
        .map(|k| (k.pubkey().to_bytes(), *k.sign_message(&msg).as_array()))
        .collect();
    let args = staking::instructions::ProposeSlashArgs {
        amount_bps: 1_000,
        evidence_hash: hash,
    };
    let ixs = depin_client::slash::propose_ixs(deployer.pubkey(), bob_address, args, &msg, &sigs);
    let err = sender
        .send("propose_slash", &ixs, &deployer, &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("0x1b92"), "{err}");

    // ---- a quorum gathered over two transactions, each at the packet's limit, over JSON-RPC.
    // Bob's second offence, signed by both oracles and seven outsiders (valid signatures the
    // precompile verifies and the program does not count): `approve_slash` carries five and
    // records the two seats, `propose_slash` carries the record and four more and proposes.
    let second = [0x5e; 32];
    let msg = depin_client::slash::message(
        config.slash_domain,
        &bob_address,
        1_000,
        second,
        set_version,
        1,
    );
    let outsiders: Vec<Keypair> = (0..7).map(|_| Keypair::new()).collect();
    let sigs: Vec<([u8; 32], [u8; 64])> = keys
        .iter()
        .chain(&outsiders)
        .map(|k| (k.pubkey().to_bytes(), *k.sign_message(&msg).as_array()))
        .collect();
    let args = staking::instructions::ProposeSlashArgs {
        amount_bps: 1_000,
        evidence_hash: second,
    };
    let txs = depin_client::slash::proposal_txs(
        deployer.pubkey(),
        bob_address,
        &args,
        &msg,
        &sigs,
        false,
    );
    assert_eq!(txs.len(), 2);
    // One signature more than an approval carries does not fit a packet: 1,266 bytes, refused
    // by the sender before anything is sent (fraud_rpc.rs shows the validator refusing such a
    // transaction itself).
    let mut oversized = txs[0].clone();
    let mut six = sigs[..5].to_vec();
    six.push(sigs[8]);
    oversized[0] = depin_client::builders::ed25519::shared_message_ix(&six, &msg);
    let err = sender
        .send("approve_slash", &oversized, &deployer, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, depin_client::SendError::TooLarge { size: 1_266, .. }),
        "{err}"
    );
    sender
        .send("approve_slash", &txs[0], &deployer, &[])
        .await
        .unwrap();
    let approval = staking_ix::slash_approval_pda(&bob_address, &second, 1_000).0;
    let recorded: staking::state::SlashApproval = fetch(&sender, "slash approval", &approval)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((recorded.approvals, recorded.slash_nonce), (0b11, 1));
    sender
        .send("propose_slash", &txs[1], &deployer, &[])
        .await
        .unwrap();
    let b = position(&sender, &bob.pubkey()).await;
    assert_eq!(
        b.pending_slash.map(|p| (p.evidence_hash, p.amount)),
        Some((second, COLLATERAL / 10))
    );
    assert!(
        !depin_client::accounts::exists(&sender, "slash approval", &approval)
            .await
            .unwrap()
    );
    cli.json(
        &deployer_key,
        &["slash", "overturn", "--position", &bob_position],
    );

    // ---- execute after the appeal window: Alice's burns, Bob's has nothing to burn.
    let before = supply(&sender).await;
    let ends = pending.appeal_ends;
    while cluster_time(&sender).await.unwrap() < ends {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let burned = cli.json(
        &deployer_key,
        &["slash", "execute", "--position", &alice_position],
    );
    assert_eq!(burned["burned"].as_u64(), Some(50_000_000));
    let a = position(&sender, &alice.pubkey()).await;
    assert_eq!(
        (a.pending_slash, a.slashed, a.amount),
        (None, 50_000_000, 2 * COLLATERAL - 50_000_000)
    );
    assert_eq!(supply(&sender).await, before - 50_000_000);
    let err = cli.refused(
        &deployer_key,
        &["slash", "execute", "--position", &bob_position],
    );
    assert!(err.contains("has no pending slash"), "{err}");
    assert_eq!(position(&sender, &bob.pubkey()).await.amount, COLLATERAL);

    // ---- nothing is proposed twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let statuses: Vec<String> = rows(&list(&oracles[0])).into_iter().map(|r| r.0).collect();
    assert_eq!(statuses, ["done", "done"]);
    let out = cli.run(
        &deployer_key,
        &[
            "slash",
            "propose",
            "--oracle",
            &oracles[0],
            "--oracle",
            &oracles[1],
        ],
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "no approved offence to propose"
    );
}
