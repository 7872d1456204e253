//! Onboarding without shared keys (issue 25, item 2), with three processes holding three keys
//! against a local validator over JSON-RPC: the device agent (`depin-agent init` makes the
//! device key in its state directory and `onboarding-code` prints its code), the maker service
//! (`depin-maker init` makes the maker key in its own; governance approves that public key), and
//! the owner's `depin device onboard` (the owner's wallet file). No file holding a secret is
//! read by any process but its holder.
//!
//! Exact outcomes: the device account, the fee burned, the collateral staked in the same
//! transaction (a new position, and a top-up of an existing one), the maker's used-code store.
//! Refusals by name with nothing stored (no device account, balances and the store unchanged):
//! a maker service whose key is not an approved maker, a code signed for once already, an
//! owner short of collateral; a transaction the program would refuse is refused in simulation
//! before the maker spends the code. Then each refusal of the maker service over real loopback
//! HTTP.
//!
//! `depin-maker` and `depin-agent` are taken from beside `depin` in the target directory:
//! `cargo build -p depin-maker -p depin-agent --bins` first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::Path;
use std::process::Command;

use anchor_lang::prelude::Pubkey;
use depin_client::accounts::{fetch, token_balance};
use depin_client::builders::{TokenProgram, associated_token_address, rewards_ix, staking_ix};
use depin_client::maker_api::{self, OnboardRequest, encode_message};
use depin_client::onboarding::{Onboard, local_code};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_message::{Hash, Message};
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_localnet::{Localnet, LocalnetConfig, deployer};
use rewards::state::{DeviceKind, DeviceStatus};
use serde_json::Value;

use common::*;

/// `min_device_collateral` in migrations/localnet.toml.
const COLLATERAL: u64 = 500_000_000;
/// The onboarding fee this test migrates with (localnet.toml's is 0).
const FEE: u64 = 25_000_000;
const CELL: &str = "8928308ae03ffff";
const CELL_U64: u64 = 0x0892_8308_ae03_ffff;

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// Runs a sibling binary with `args`; it must succeed; its stdout, trimmed.
fn run(binary: &str, args: &[&str]) -> String {
    let out = Command::new(sibling_binary(binary))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{binary} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A device agent with its own state directory (its key made there by `depin-agent init`).
struct Agent {
    config: std::path::PathBuf,
    device: Pubkey,
}

impl Agent {
    /// A code valid for an hour.
    fn code(&self, owner: &Pubkey) -> String {
        self.code_valid_for(owner, "1h")
    }

    fn init(dir: &Path, name: &str) -> Self {
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "state_dir = \"{}\"\noracles = [\"http://127.0.0.1:9\"]\n",
                dir.join(name).display()
            ),
        )
        .unwrap();
        let device = run(
            "depin-agent",
            &["--config", config.to_str().unwrap(), "init"],
        )
        .parse()
        .unwrap();
        Self { config, device }
    }

    /// `depin-agent onboarding-code --owner <owner> --valid-for <valid_for> --no-qr` (the same
    /// owner and expiry make the same code: ed25519 is deterministic).
    fn code_valid_for(&self, owner: &Pubkey, valid_for: &str) -> String {
        run(
            "depin-agent",
            &[
                "--config",
                self.config.to_str().unwrap(),
                "onboarding-code",
                "--owner",
                &owner.to_string(),
                "--valid-for",
                valid_for,
                "--no-qr",
            ],
        )
    }
}

/// `depin-maker init` with its own state directory; returns the key file and the public key.
fn maker_init(dir: &Path, name: &str) -> (std::path::PathBuf, Pubkey) {
    let state = dir.join(name);
    let key = state.join("maker-key.json");
    let out = Command::new(sibling_binary("depin-maker"))
        .arg("init")
        .env("DEPIN_MAKER__STATE_DIR", &state)
        .env("DEPIN_MAKER__KEYPAIR", &key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pubkey = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (key, pubkey)
}

fn onboard_args<'a>(code: &'a str, maker_url: &'a str) -> Vec<&'a str> {
    vec![
        "device",
        "onboard",
        "--code",
        code,
        "--maker-url",
        maker_url,
        "--location",
        CELL,
    ]
}

/// What a refusal must leave unchanged: the owner's tokens and the device's (absent) account.
async fn balance(sender: &Sender, owner: &Pubkey) -> u64 {
    let ata = associated_token_address(owner, &rewards_ix::mint_pda().0, TP);
    token_balance(sender, &ata).await
}

async fn device_account(sender: &Sender, device: &Pubkey) -> Option<rewards::state::Device> {
    fetch(sender, "device", &rewards_ix::device_pda(device).0)
        .await
        .unwrap()
}

async fn position(sender: &Sender, owner: &Pubkey) -> Option<staking::state::Position> {
    fetch(sender, "position", &staking_ix::position_pda(owner, 0).0)
        .await
        .unwrap()
}

async fn total_burned(sender: &Sender) -> u64 {
    fetch::<rewards::state::Network>(sender, "network", &rewards_ix::network_pda().0)
        .await
        .unwrap()
        .unwrap()
        .total_burned
}

fn used_codes(state_dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(state_dir.join("used-codes.log")).unwrap_or_default();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[1].to_owned(), f[2].to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn onboarding_with_three_processes_and_three_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The maker service makes its key in its own state directory; so does a second one, which
    // governance never approves.
    let (maker_key, maker) = maker_init(d, "maker");
    let (rogue_key, rogue_maker) = maker_init(d, "rogue");

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
    config.network.onboard_fee = FEE;
    // Governance (the network authority) approves the maker service's public key.
    config.makers.push(depin_migrations::config::MakerConfig {
        name: "test-maker".to_owned(),
        key: maker.to_string(),
    });
    depin_migrations::migrate(&config, &sender, &deployer)
        .await
        .unwrap();
    let service = MakerService::start(&net.rpc_url(), &maker_key, &d.join("maker"), &[]);
    let rogue = MakerService::start(&net.rpc_url(), &rogue_key, &d.join("rogue"), &[]);

    // Owners: Alice has exactly the fee and one device's collateral, no position; Bob half the
    // collateral staked already and exactly the rest and the fee; Carol one token short; Dave
    // plenty.
    let (alice, bob, carol, dave) = (
        Keypair::new(),
        Keypair::new(),
        Keypair::new(),
        Keypair::new(),
    );
    fund_owner(&sender, &deployer, &alice.pubkey(), FEE + COLLATERAL).await;
    fund_owner(&sender, &deployer, &bob.pubkey(), FEE + COLLATERAL).await;
    fund_owner(&sender, &deployer, &carol.pubkey(), FEE + COLLATERAL - 1).await;
    fund_owner(&sender, &deployer, &dave.pubkey(), 2 * (FEE + COLLATERAL)).await;
    let alice_key = keypair_file(d, "alice.json", &alice);
    let bob_key = keypair_file(d, "bob.json", &bob);
    let carol_key = keypair_file(d, "carol.json", &carol);
    let dave_key = keypair_file(d, "dave.json", &dave);
    let erin = Keypair::new();
    fund_owner(&sender, &deployer, &erin.pubkey(), FEE + COLLATERAL).await;
    let erin_key = keypair_file(d, "erin.json", &erin);
    let half = (COLLATERAL / 2).to_string();
    cli.json(&bob_key, &["stake", "lock", "--amount", half.as_str()]);

    // ---- Alice: a new position with the collateral, the fee burned, in one transaction.
    let agent_a = Agent::init(d, "agent-a");
    service.provision(&agent_a.device);
    let code_a = agent_a.code(&alice.pubkey());
    let burned = total_burned(&sender).await;
    let out = cli.json(&alice_key, &onboard_args(&code_a, &service.url));
    assert_eq!(
        (
            out["device"].as_str(),
            out["maker"].as_str(),
            out["collateral_added"].as_u64(),
            out["fee"].as_u64()
        ),
        (
            Some(agent_a.device.to_string().as_str()),
            Some(maker.to_string().as_str()),
            Some(COLLATERAL),
            Some(FEE)
        )
    );
    let account = device_account(&sender, &agent_a.device).await.unwrap();
    let alice_position = staking_ix::position_pda(&alice.pubkey(), 0).0;
    assert_eq!(
        (
            account.device,
            account.owner,
            account.maker,
            account.kind,
            account.status,
            account.location,
            account.position
        ),
        (
            agent_a.device,
            alice.pubkey(),
            maker,
            DeviceKind::Connectivity,
            DeviceStatus::Active,
            CELL_U64,
            alice_position
        )
    );
    let p = position(&sender, &alice.pubkey()).await.unwrap();
    assert_eq!((p.amount, p.bound_devices), (COLLATERAL, 1));
    assert_eq!(balance(&sender, &alice.pubkey()).await, 0);
    assert_eq!(total_burned(&sender).await, burned + FEE);
    assert_eq!(
        used_codes(&service.state_dir),
        vec![(agent_a.device.to_string(), alice.pubkey().to_string())]
    );

    // ---- Bob: the missing half added to his position in the same transaction.
    let agent_b = Agent::init(d, "agent-b");
    service.provision(&agent_b.device);
    let out = cli.json(
        &bob_key,
        &onboard_args(&agent_b.code(&bob.pubkey()), &service.url),
    );
    assert_eq!(
        out["collateral_added"].as_u64(),
        Some(COLLATERAL - COLLATERAL / 2)
    );
    let p = position(&sender, &bob.pubkey()).await.unwrap();
    assert_eq!((p.amount, p.bound_devices), (COLLATERAL, 1));
    assert_eq!(balance(&sender, &bob.pubkey()).await, 0);
    assert_eq!(total_burned(&sender).await, burned + 2 * FEE);
    assert_eq!(used_codes(&service.state_dir).len(), 2);

    // ---- Refusals, by name, with nothing stored.
    // A maker service whose key governance never approved.
    let agent_d = Agent::init(d, "agent-d");
    service.provision(&agent_d.device);
    rogue.provision(&agent_d.device);
    let code_d = agent_d.code(&dave.pubkey());
    let dave_tokens = balance(&sender, &dave.pubkey()).await;
    let err = cli.refused(&dave_key, &onboard_args(&code_d, &rogue.url));
    assert!(
        err.contains(&format!(
            "maker_not_approved: the service at {} signs as {rogue_maker}, which is not an \
             approved, active maker",
            rogue.url
        )),
        "{err}"
    );
    // The service itself refuses it too, by the same name, and records nothing.
    let asked = ask(
        &rogue.url,
        &code_d,
        &owner_message(&code_d, &rogue_maker, &dave.pubkey()),
        &dave,
    )
    .await;
    assert_eq!(
        (asked.0, asked.1["error"].as_str()),
        (409, Some("maker_not_approved"))
    );
    assert!(device_account(&sender, &agent_d.device).await.is_none());
    assert_eq!(balance(&sender, &dave.pubkey()).await, dave_tokens);
    assert!(position(&sender, &dave.pubkey()).await.is_none());
    assert_eq!(used_codes(&rogue.state_dir), vec![]);

    // A code the maker signed for once already (its owner asked and never sent): the same code
    // again is refused, whoever presents it.
    let message = owner_message(&code_d, &maker, &dave.pubkey());
    let first = ask(&service.url, &code_d, &message, &dave).await;
    assert_eq!(first.0, 200, "{}", first.1);
    let stored = used_codes(&service.state_dir);
    assert_eq!(stored.len(), 3);
    let err = cli.refused(&dave_key, &onboard_args(&code_d, &service.url));
    assert!(err.contains("(409 code_already_used)"), "{err}");
    assert!(device_account(&sender, &agent_d.device).await.is_none());
    assert_eq!(balance(&sender, &dave.pubkey()).await, dave_tokens);
    assert_eq!(used_codes(&service.state_dir), stored);
    // A fresh code from the device (another expiry) goes through.
    let fresh = agent_d.code_valid_for(&dave.pubkey(), "2h");
    assert_ne!(fresh, code_d);
    let out = cli.json(&dave_key, &onboard_args(&fresh, &service.url));
    assert_eq!(out["collateral_added"].as_u64(), Some(COLLATERAL));
    assert!(device_account(&sender, &agent_d.device).await.is_some());

    // A transaction the program would refuse (a lock longer than staking's longest) is refused
    // in simulation, before the maker is asked: the code is not spent, and goes through after.
    let agent_e = Agent::init(d, "agent-e");
    service.provision(&agent_e.device);
    let code_e = agent_e.code(&erin.pubkey());
    let stored = used_codes(&service.state_dir);
    let mut too_long = onboard_args(&code_e, &service.url);
    too_long.extend(["--lockup-secs", "126144001"]);
    let err = cli.refused(&erin_key, &too_long);
    assert!(
        err.contains("rewards: onboard_device was refused") && err.contains("InvalidLockup"),
        "{err}"
    );
    assert_eq!(used_codes(&service.state_dir), stored);
    assert!(position(&sender, &erin.pubkey()).await.is_none());
    let out = cli.json(&erin_key, &onboard_args(&code_e, &service.url));
    assert_eq!(out["collateral_added"].as_u64(), Some(COLLATERAL));

    // An owner one token short of the fee and the collateral: refused before the maker is asked.
    let agent_c = Agent::init(d, "agent-c");
    service.provision(&agent_c.device);
    let stored = used_codes(&service.state_dir);
    let err = cli.refused(
        &carol_key,
        &onboard_args(&agent_c.code(&carol.pubkey()), &service.url),
    );
    assert!(
        err.contains(&format!(
            "insufficient_collateral: {} holds {} network tokens, the onboarding needs {} (fee \
             {FEE} + collateral still needed {COLLATERAL})",
            carol.pubkey(),
            FEE + COLLATERAL - 1,
            FEE + COLLATERAL
        )),
        "{err}"
    );
    assert!(device_account(&sender, &agent_c.device).await.is_none());
    assert_eq!(
        balance(&sender, &carol.pubkey()).await,
        FEE + COLLATERAL - 1
    );
    assert!(position(&sender, &carol.pubkey()).await.is_none());
    assert_eq!(used_codes(&service.state_dir), stored);
    // With --json, the refusal is one JSON error object.
    let out = cli.run(
        &carol_key,
        &[
            onboard_args(&agent_c.code(&carol.pubkey()), &service.url),
            vec!["--json"],
        ]
        .concat(),
    );
    assert!(!out.status.success());
    let error: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .starts_with("insufficient_collateral"),
        "{error}"
    );
    drop(service);
    drop(rogue);

    http_refusals(
        d,
        &net.rpc_url(),
        &maker_key,
        &maker,
        &agent_a,
        &alice,
        &dave,
    )
    .await;
}

/// The legacy message an owner's CLI builds for `code` (no collateral to add), any blockhash.
fn owner_message(code: &str, maker: &Pubkey, owner: &Pubkey) -> Message {
    Message::new_with_blockhash(
        &decoded_onboard(code, maker, owner).instructions(),
        Some(owner),
        &Hash::new_from_array([7; 32]),
    )
}

/// `POST /v1/onboard` with `code` and `message`, signed first by `owner`: (status, body,
/// Retry-After).
async fn ask(
    url: &str,
    code: &str,
    message: &Message,
    owner: &Keypair,
) -> (u16, Value, Option<String>) {
    let owner_signature = owner.sign_message(&maker_api::message_bytes(message));
    post(
        url,
        serde_json::to_vec(&OnboardRequest {
            code: code.to_owned(),
            message: encode_message(message),
            owner_signature: owner_signature.to_string(),
        })
        .unwrap(),
    )
    .await
}

async fn post(url: &str, body: Vec<u8>) -> (u16, Value, Option<String>) {
    let r = reqwest::Client::new()
        .post(format!("{url}{}", maker_api::ONBOARD_PATH))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = r.json().await.unwrap_or(Value::Null);
    (status, body, retry)
}

/// Each refusal of the maker service over loopback HTTP, with the approved key: its status and
/// reason; only the requests that pass every check are stored.
#[allow(clippy::too_many_arguments)]
async fn http_refusals(
    d: &Path,
    rpc_url: &str,
    maker_key: &Path,
    maker: &Pubkey,
    onboarded: &Agent,
    alice: &Keypair,
    dave: &Keypair,
) {
    let state = d.join("maker-http");
    let service = MakerService::start(
        rpc_url,
        maker_key,
        &state,
        &[
            ("PER_OWNER", "2"),
            ("GLOBAL", "3"),
            ("MAX_BODY_BYTES", "4096"),
        ],
    );
    let url = service.url.as_str();
    let owner_key = Keypair::new();
    let owner = owner_key.pubkey();
    let device = Keypair::new();
    // The devices this maker made: every one asked about below but the unknown one.
    let (second_device, third_device, other_device, last_device) = (
        Keypair::new(),
        Keypair::new(),
        Keypair::new(),
        Keypair::new(),
    );
    for made in [
        &device,
        &second_device,
        &third_device,
        &other_device,
        &last_device,
    ] {
        service.provision(&made.pubkey());
    }
    service.provision(&onboarded.device);
    let code_at = |expires_at| local_code(&device, &owner, DeviceKind::Connectivity, expires_at);
    let code = code_at(now() + 3600).encode();
    let message = owner_message(&code, maker, &owner);
    let reason =
        |r: &(u16, Value, Option<String>)| (r.0, r.1["error"].as_str().unwrap_or("").to_owned());
    let expect = |r: (u16, Value, Option<String>), status: u16, why: &str| {
        assert_eq!(reason(&r), (status, why.to_owned()), "{}", r.1);
        assert!(r.1["message"].is_string(), "{}", r.1);
    };

    // 400: the body, the code's layout, the message, the device's signature.
    expect(
        post(url, b"{\"code\": 1}".to_vec()).await,
        400,
        "bad_request",
    );
    expect(
        ask(url, "hello", &message, &owner_key).await,
        400,
        "not_an_onboarding_code",
    );
    expect(
        ask(url, "depin-onboard:1:0OIl", &message, &owner_key).await,
        400,
        "invalid_base58",
    );
    expect(
        ask(
            url,
            "depin-onboard:1:2NEpo7TZRRrLZSi2U",
            &message,
            &owner_key,
        )
        .await,
        400,
        "wrong_length",
    );
    let mut bytes = code_at(now() + 3600).to_bytes();
    bytes[64] = 7;
    let odd_kind = format!("depin-onboard:1:{}", bs58::encode(&bytes).into_string());
    expect(
        ask(url, &odd_kind, &message, &owner_key).await,
        400,
        "unknown_kind",
    );
    let request = |message: &str| {
        serde_json::to_vec(
            &serde_json::json!({"code": code, "message": message, "owner_signature": "x"}),
        )
        .unwrap()
    };
    expect(post(url, request("not base64!")).await, 400, "bad_message");
    expect(post(url, request("AAAA")).await, 400, "bad_message");
    let mut forged = code_at(now() + 3600);
    forged.signature.0[5] ^= 1;
    expect(
        ask(url, &forged.encode(), &message, &owner_key).await,
        400,
        "bad_signature",
    );
    // 403: another key's signature in the owner's place; a device this maker never made.
    expect(
        ask(url, &code, &message, &Keypair::new()).await,
        403,
        "bad_owner_signature",
    );
    let stranger = local_code(
        &Keypair::new(),
        &owner,
        DeviceKind::Connectivity,
        now() + 3600,
    )
    .encode();
    expect(
        ask(
            url,
            &stranger,
            &owner_message(&stranger, maker, &owner),
            &owner_key,
        )
        .await,
        403,
        "unknown_device",
    );
    // 422: expiry by the service's clock, then the message's check.
    let expired = code_at(now() - 10).encode();
    expect(
        ask(
            url,
            &expired,
            &owner_message(&expired, maker, &owner),
            &owner_key,
        )
        .await,
        422,
        "code_expired",
    );
    let long = code_at(now() + 8 * 86_400).encode();
    expect(
        ask(url, &long, &owner_message(&long, maker, &owner), &owner_key).await,
        422,
        "code_too_long",
    );
    let someone = Pubkey::new_unique();
    let paid_by_other = Message::new(
        &decoded_onboard(&code, maker, &owner).instructions(),
        Some(&someone),
    );
    expect(
        ask(url, &code, &paid_by_other, &owner_key).await,
        422,
        "fee_payer_not_owner",
    );
    let other_maker = owner_message(&code, &Pubkey::new_unique(), &owner);
    expect(
        ask(url, &code, &other_maker, &owner_key).await,
        422,
        "wrong_signers",
    );
    let mut ixs = decoded_onboard(&code, maker, &owner)
        .instructions()
        .to_vec();
    ixs.insert(
        0,
        anchor_lang::solana_program::instruction::Instruction::new_with_bytes(
            Pubkey::new_unique(),
            b"memo",
            vec![],
        ),
    );
    expect(
        ask(url, &code, &Message::new(&ixs, Some(&owner)), &owner_key).await,
        422,
        "unexpected_instruction",
    );
    // The device's signature over this code, then onboard_device for another kind.
    let mut ixs = decoded_onboard(&code, maker, &owner)
        .instructions()
        .to_vec();
    let compute = Onboard {
        code: local_code(&device, &owner, DeviceKind::Compute, now() + 3600),
        ..decoded_onboard(&code, maker, &owner)
    };
    ixs[1] = compute.instructions()[1].clone();
    expect(
        ask(url, &code, &Message::new(&ixs, Some(&owner)), &owner_key).await,
        422,
        "onboard_mismatch",
    );
    // 409: the chain (an onboarded device), and codes used before.
    let again = onboarded.code(&alice.pubkey());
    expect(
        ask(
            url,
            &again,
            &owner_message(&again, maker, &alice.pubkey()),
            alice,
        )
        .await,
        409,
        "device_already_onboarded",
    );
    assert_eq!(used_codes(&state), vec![]);
    // 200, then the same code: 409.
    let ok = ask(url, &code, &message, &owner_key).await;
    assert_eq!(ok.0, 200, "{}", ok.1);
    let signature: depin_client::solana_signature::Signature =
        ok.1["signature"].as_str().unwrap().parse().unwrap();
    assert!(maker_api::verifies(
        &signature,
        maker,
        &maker_api::message_bytes(&message)
    ));
    assert_eq!(ok.1["maker"].as_str(), Some(maker.to_string().as_str()));
    expect(
        ask(url, &code, &message, &owner_key).await,
        409,
        "code_already_used",
    );
    // 429: two signatures per owner, three in all (per window).
    let second = local_code(
        &second_device,
        &owner,
        DeviceKind::Connectivity,
        now() + 3600,
    )
    .encode();
    assert_eq!(
        ask(
            url,
            &second,
            &owner_message(&second, maker, &owner),
            &owner_key
        )
        .await
        .0,
        200
    );
    let third = local_code(
        &third_device,
        &owner,
        DeviceKind::Connectivity,
        now() + 3600,
    )
    .encode();
    let limited = ask(
        url,
        &third,
        &owner_message(&third, maker, &owner),
        &owner_key,
    )
    .await;
    let retry: u64 = limited.2.clone().unwrap().parse().unwrap();
    assert!((1..=1800).contains(&retry), "{retry}");
    expect(limited, 429, "owner_rate_limited");
    let other = local_code(
        &other_device,
        &dave.pubkey(),
        DeviceKind::Connectivity,
        now() + 3600,
    )
    .encode();
    assert_eq!(
        ask(
            url,
            &other,
            &owner_message(&other, maker, &dave.pubkey()),
            dave
        )
        .await
        .0,
        200
    );
    let last = local_code(
        &last_device,
        &dave.pubkey(),
        DeviceKind::Connectivity,
        now() + 3600,
    )
    .encode();
    let limited = ask(
        url,
        &last,
        &owner_message(&last, maker, &dave.pubkey()),
        dave,
    )
    .await;
    assert!(limited.2.is_some());
    expect(limited, 429, "rate_limited");
    // 413: a body over max_body_bytes.
    expect(post(url, vec![b' '; 5000]).await, 413, "body_too_large");
    // What was stored: the three signed codes, nothing refused.
    assert_eq!(
        used_codes(&state),
        vec![
            (device.pubkey().to_string(), owner.to_string()),
            (
                depin_formats::onboarding::OnboardingCode::decode(&second)
                    .unwrap()
                    .onboarding
                    .device
                    .to_string(),
                owner.to_string()
            ),
            (
                depin_formats::onboarding::OnboardingCode::decode(&other)
                    .unwrap()
                    .onboarding
                    .device
                    .to_string(),
                dave.pubkey().to_string()
            ),
        ]
    );
    let health: Value = reqwest::get(format!("{url}/v1/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        health,
        serde_json::json!({"status": "ok", "maker": maker.to_string(), "signed": 3})
    );
}

/// The `Onboard` an owner builds for `code` with `maker` (no collateral to add).
fn decoded_onboard(code: &str, maker: &Pubkey, owner: &Pubkey) -> Onboard {
    Onboard {
        code: depin_formats::onboarding::OnboardingCode::decode(code).unwrap(),
        maker: *maker,
        location: CELL_U64,
        position: staking_ix::position_pda(owner, 0).0,
        fee_source: associated_token_address(owner, &rewards_ix::mint_pda().0, TP),
        token_program: TokenProgram::SplToken,
    }
}
