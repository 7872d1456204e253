//! `depin gov propose | list | apply | cancel`, run as the real binary against a local validator
//! over JSON-RPC: a change of each program proposed, listed with its exact parameter, value,
//! proposer, ETA and status, refused by name when applied too early or signed by another key
//! (nothing sent), one cancelled; then, the validator restarted with its clock warped past the
//! timelock, each applied with its exact effect on chain. Last, the staking authority handed to
//! the DAO: `propose` refuses the deployer by name, and `--print-instruction` prints exactly the
//! instruction a DAO proposal carries.
//!
//! The localnet config's staking and treasury timelocks are two days, more than one warp moves
//! the clock (`depin_localnet::warp_slot_for_clock_jump`): this test migrates with both at an
//! hour (the programs' minimum, the rewards timelock's value there) and the staking authority
//! the deployer, so one warp of an hour covers every program.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use depin_client::accounts::{cluster_time, fetch};
use depin_client::builders::{governance, rewards_ix, staking_ix, treasury_ix};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_localnet::{Localnet, LocalnetConfig, deployer, warp_slot_for_clock_jump};
use serde_json::{Value, json};

use common::{Cli, keypair_file, root};

/// An hour and two minutes: past every ETA proposed here.
const CLOCK_JUMP_SECS: u64 = 3_600 + 120;

/// (program, id, param, value, proposer, status) of each listed change.
fn rows(listed: &Value) -> Vec<(String, u64, String, String, String, String)> {
    listed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_owned();
            (
                s("program"),
                c["id"].as_u64().unwrap(),
                s("param"),
                s("value"),
                s("proposer"),
                s("status"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_of_each_program_wait_out_their_timelock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let deploy = root().join("target/deploy");
    let net = Localnet::start(LocalnetConfig::for_tests(d.join("ledger"), &deploy))
        .await
        .unwrap();
    let url = net.rpc_url();
    let rpc_port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let sender = Sender::new(url.clone(), SendConfig::default());
    let deployer = deployer();
    let mut config =
        depin_migrations::Config::load(&root().join("migrations/localnet.toml")).unwrap();
    config.staking.authority = "deployer".into();
    config.staking.timelock_secs = 3_600;
    config.treasury.timelock_secs = 3_600;
    assert_eq!(config.network.timelock_secs, 3_600);
    depin_migrations::migrate(&config, &sender, &deployer)
        .await
        .unwrap();
    let dao = config.governance.as_ref().unwrap().dao();

    let cli = Cli { url: url.clone() };
    let dk = keypair_file(d, "deployer.json", &deployer);
    let stranger = Keypair::new();
    let sk = keypair_file(d, "stranger.json", &stranger);
    let missing = Path::new("/nonexistent/keypair.json");
    let (me, them) = (deployer.pubkey().to_string(), stranger.pubkey().to_string());
    let dao_arg = dao.to_string();

    // ---- One change of each program, and a second rewards change to cancel.
    let proposals = [
        &["rewards", "onboard-fee", "7"][..],
        &["staking", "appeal-secs", "60"],
        &["staking", "authority", &dao_arg],
        &["treasury", "credits-per-usd", "200000"],
        &["rewards", "dispute-secs", "4"],
    ];
    let mut proposed = Vec::new();
    for p in proposals {
        let args: Vec<&str> = ["gov", "propose"]
            .iter()
            .copied()
            .chain(p.iter().copied())
            .collect();
        let out = cli.json(&dk, &args);
        assert_eq!(out["timelock_secs"].as_u64(), Some(3_600), "{out}");
        proposed.push(out);
    }
    let id = |i: usize| proposed[i]["id"].as_u64().unwrap();
    let eta = |i: usize| proposed[i]["eta"].as_i64().unwrap();
    // Each program counts its own changes.
    assert_eq!(
        (id(0), id(1), id(2), id(3), id(4)),
        (id(0), 0, 1, 0, id(0) + 1)
    );

    // ---- The list (reads only: no keypair): every change, its value, proposer and status.
    let listed = cli.json(missing, &["gov", "list"]);
    let row = |p: &str, i: u64, param: &str, value: &str| {
        (
            p.to_owned(),
            i,
            param.to_owned(),
            value.to_owned(),
            me.clone(),
            "pending".to_owned(),
        )
    };
    assert_eq!(
        rows(&listed),
        [
            row("rewards", id(0), "onboard-fee", "fee: 7"),
            row("rewards", id(4), "dispute-secs", "secs: 4"),
            row("staking", 0, "appeal-secs", "secs: 60"),
            row("staking", 1, "authority", &format!("authority: {dao}")),
            row("treasury", 0, "credits-per-usd", "rate: 200000"),
        ]
    );
    let first = &listed["changes"][0];
    assert_eq!(first["eta"].as_i64(), Some(eta(0)));
    assert_eq!(first["proposed_at"].as_i64(), Some(eta(0) - 3_600));
    assert_eq!(
        first["address"].as_str(),
        Some(rewards_ix::change_pda(id(0)).0.to_string().as_str())
    );
    let treasury_only = cli.json(missing, &["gov", "list", "treasury"]);
    assert_eq!(treasury_only["changes"].as_array().unwrap().len(), 1);

    // ---- Too early, and the wrong signer: refused by name, nothing sent.
    let err = cli.refused(&dk, &["gov", "apply", "rewards", &id(0).to_string()]);
    assert!(
        err.contains(&format!(
            "rewards change #{} may be applied from {}",
            id(0),
            eta(0)
        )) && err.contains("its timelock is still running"),
        "{err}"
    );
    let out = cli.run(&dk, &["gov", "apply", "treasury", "0", "--json"]);
    assert!(!out.status.success());
    let error: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("its timelock is still running"),
        "{error}"
    );
    let err = cli.refused(&sk, &["gov", "propose", "treasury", "credits-per-usd", "1"]);
    assert!(
        err.contains(&format!(
            "the treasury authority is {me}, not the signer {them}"
        )),
        "{err}"
    );
    let cancel_id = id(4).to_string();
    let err = cli.refused(&sk, &["gov", "cancel", "rewards", &cancel_id]);
    assert!(
        err.contains(&format!(
            "the rewards authority is {me}, not the signer {them}"
        )),
        "{err}"
    );
    let network = || async {
        fetch::<rewards::state::Network>(&sender, "network", &rewards_ix::network_pda().0)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(network().await.onboard_fee, 0);

    // ---- Cancel by the change's address; it is gone.
    let address = proposed[4]["address"].as_str().unwrap();
    let cancelled = cli.json(&dk, &["gov", "cancel", "rewards", address]);
    assert_eq!(
        (cancelled["id"].as_u64(), cancelled["param"].as_str()),
        (Some(id(4)), Some("dispute-secs"))
    );
    let last_slot = cancelled["slot"].as_u64().unwrap();
    assert_eq!(
        rows(&cli.json(missing, &["gov", "list", "rewards"])).len(),
        1
    );
    let err = cli.refused(&dk, &["gov", "apply", "rewards", &cancel_id]);
    assert!(
        err.contains(&format!("no pending rewards change {cancel_id}")),
        "{err}"
    );

    // ---- An hour later: the validator restarted with its clock warped ahead, from a snapshot
    // holding every proposal (a warp drops what landed after the last full snapshot).
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let full = sender
            .rpc()
            .get_highest_snapshot_slot()
            .await
            .map(|s| s.full)
            .unwrap_or_default();
        if full >= last_slot {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no full snapshot past slot {last_slot}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
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
        ..LocalnetConfig::for_tests(d.join("ledger"), &deploy)
    })
    .await
    .unwrap();
    assert_eq!(net.rpc_url(), url);
    let due = (0..4).map(eta).max().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while cluster_time(&sender).await.unwrap_or_default() < due {
        assert!(
            Instant::now() < deadline,
            "the clock not past {due} in 300 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let listed = cli.json(missing, &["gov", "list"]);
    let statuses: Vec<_> = rows(&listed).into_iter().map(|r| r.5).collect();
    assert_eq!(statuses, ["ready"; 4]);

    // ---- Anyone applies them (the stranger pays the fee; rent goes back to the proposer).
    let fund = anchor_lang::solana_program::system_instruction::transfer(
        &deployer.pubkey(),
        &stranger.pubkey(),
        100_000_000,
    );
    sender.send("fund", &[fund], &deployer, &[]).await.unwrap();
    for (program, i) in [
        ("rewards", id(0)),
        ("staking", 0),
        ("staking", 1),
        ("treasury", 0),
    ] {
        let applied = cli.json(&sk, &["gov", "apply", program, &i.to_string()]);
        assert_eq!(applied["id"].as_u64(), Some(i), "{applied}");
    }
    assert_eq!(network().await.onboard_fee, 7);
    let staking: staking::state::StakingConfig =
        fetch(&sender, "staking config", &staking_ix::config_pda().0)
            .await
            .unwrap()
            .unwrap();
    assert_eq!((staking.appeal_secs, staking.authority), (60, dao));
    let treasury: treasury::state::Treasury =
        fetch(&sender, "treasury", &treasury_ix::treasury_pda().0)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(treasury.credits_per_usd, 200_000);
    assert_eq!(cli.json(missing, &["gov", "list"])["changes"], json!([]));
    // Applied once: a replay finds nothing.
    let err = cli.refused(&sk, &["gov", "apply", "treasury", "0"]);
    assert!(err.contains("no pending treasury change 0"), "{err}");

    // ---- Staking is now the DAO's: the deployer is refused by name, and --print-instruction
    // gives the instruction a DAO proposal carries (the DAO's native treasury proposes).
    let err = cli.refused(&dk, &["gov", "propose", "staking", "appeal-secs", "30"]);
    assert!(
        err.contains(&format!(
            "the staking authority is {dao} (an spl-governance DAO), not the signer {me}"
        )),
        "{err}"
    );
    let printed = cli.json(
        missing,
        &[
            "gov",
            "propose",
            "staking",
            "appeal-secs",
            "30",
            "--print-instruction",
        ],
    );
    let ix = staking_ix::propose_change_ix(
        governance::native_treasury_pda(&dao),
        dao,
        2,
        staking::state::StakingUpdate::AppealSecs(30),
    );
    let accounts: Vec<_> = ix
        .accounts
        .iter()
        .map(|a| {
            json!({"pubkey": a.pubkey.to_string(), "is_signer": a.is_signer,
                "is_writable": a.is_writable})
        })
        .collect();
    use base64::Engine as _;
    assert_eq!(
        printed,
        json!({
            "program": "staking", "id": 2,
            "instruction": {
                "program_id": staking::ID.to_string(),
                "accounts": accounts,
                "data": base64::engine::general_purpose::STANDARD.encode(&ix.data),
            },
        })
    );
    net.shutdown().await;
}
