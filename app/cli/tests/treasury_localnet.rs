//! `depin pay` and `depin treasury report`, run as the real binary against a local validator
//! over JSON-RPC after `migrations/localnet.toml`: a customer's USDC payment lands split exactly
//! (60 / 30 / 10 with the dust to buyback), the report shows it, and a bad reference is refused
//! by name with nothing stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};
use std::process::Command;

use depin_client::accounts::fetch;
use depin_client::builders::{
    TokenProgram, associated_token_address, create_associated_token_account_idempotent, mint_to,
    treasury_ix,
};
use depin_client::solana_keypair::{Keypair, read_keypair_file, write_keypair_file};
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_localnet::{Localnet, LocalnetConfig, deployer};

fn workspace_root() -> PathBuf {
    depin_localnet::workspace_root()
        .expect("no Anchor.toml above CARGO_MANIFEST_DIR; set DEPIN_ROOT")
}

fn depin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_depin"))
        .args(args)
        .output()
        .unwrap()
}

fn keypair_file(dir: &Path, name: &str, keypair: &Keypair) -> String {
    let path = dir.join(name);
    write_keypair_file(keypair, &path).unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_customer_pays_in_usdc_and_the_report_shows_the_split() {
    let root = workspace_root();
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start(LocalnetConfig::for_tests(
        dir.path().join("ledger"),
        root.join("target/deploy"),
    ))
    .await
    .unwrap();
    let url = net.rpc_url();
    let sender = Sender::new(url.clone(), SendConfig::default());
    let deployer = deployer();
    let config = depin_migrations::Config::load(&root.join("migrations/localnet.toml")).unwrap();
    depin_migrations::migrate(&config, &sender, &deployer)
        .await
        .unwrap();

    // A customer with SOL for fees and 5 USDC (the deployer is the local USDC's mint authority).
    let usdc = read_keypair_file(root.join("keys/localnet-usdc-mint.json"))
        .unwrap()
        .pubkey();
    let customer = Keypair::new();
    let tokens = associated_token_address(&customer.pubkey(), &usdc, TokenProgram::SplToken);
    let fund = anchor_lang::solana_program::system_instruction::transfer(
        &deployer.pubkey(),
        &customer.pubkey(),
        1_000_000_000,
    );
    sender
        .send(
            "fund the customer",
            &[
                fund,
                create_associated_token_account_idempotent(
                    &deployer.pubkey(),
                    &customer.pubkey(),
                    &usdc,
                    TokenProgram::SplToken,
                ),
                mint_to(
                    TokenProgram::SplToken,
                    &usdc,
                    &tokens,
                    &deployer.pubkey(),
                    5_000_000,
                ),
            ],
            &deployer,
            &[],
        )
        .await
        .unwrap();
    let key = keypair_file(dir.path(), "customer.json", &customer);
    let usdc_arg = usdc.to_string();

    // ---- Pay 1.000001 USDC.
    let out = depin(&[
        "pay",
        "--mint",
        &usdc_arg,
        "--amount",
        "1000001",
        "--reference",
        "INV-2026-0042",
        "-u",
        &url,
        "-k",
        &key,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let paid: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(paid["amount"], 1_000_001);
    assert_eq!(paid["reference"], "INV-2026-0042");
    assert_eq!(paid["mint"], usdc_arg);

    let coin = fetch::<treasury::state::Stablecoin>(
        sender.rpc(),
        "stablecoin",
        &treasury_ix::stablecoin_pda(&usdc).0,
    )
    .await
    .unwrap()
    .unwrap();
    // 30 % and 10 % rounded down; the dust goes to buyback.
    assert_eq!(
        (
            coin.buckets.buyback,
            coin.buckets.stakers,
            coin.buckets.operations
        ),
        (600_001, 300_000, 100_000)
    );
    assert_eq!((coin.total_received, coin.payments), (1_000_001, 1));
    let balance = sender
        .rpc()
        .get_token_account_balance(&tokens)
        .await
        .unwrap();
    assert_eq!(balance.amount, "3999999");

    // ---- A reference over 32 bytes: refused by name, nothing sent.
    let long = "X".repeat(33);
    let out = depin(&[
        "pay",
        "--mint",
        &usdc_arg,
        "--amount",
        "5",
        "--reference",
        &long,
        "-u",
        &url,
        "-k",
        &key,
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--reference must be 1 to 32 bytes of text, got 33 bytes"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ---- More than the customer holds: the program refuses it in preflight, nothing lands.
    let out = depin(&[
        "pay",
        "--mint",
        &usdc_arg,
        "--amount",
        "4000000",
        "--reference",
        "INV-2",
        "-u",
        &url,
        "-k",
        &key,
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("treasury: pay was refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // ---- The report: it only reads, so a keypair that does not exist is never loaded.
    let out = depin(&[
        "treasury",
        "report",
        "--mint",
        &usdc_arg,
        "-u",
        &url,
        "--json",
        "-k",
        "/nonexistent/keypair.json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let genesis = config.network.genesis_supply;
    assert_eq!(
        report,
        serde_json::json!({
            "split_bps": { "buyback": 6000, "stakers": 3000, "operations": 1000 },
            "total_bought_burned": 0,
            "coins": [{
                "mint": usdc_arg, "payments": 1, "received": 1_000_001,
                "buckets": { "buyback": 600_001, "stakers": 300_000, "operations": 100_000 },
                "bought_back": 0, "routed_to_stakers": 0, "swept_to_operations": 0,
            }],
            // The genesis supply, nothing burned yet.
            "supply": {
                "minted": genesis, "supply": genesis, "untracked_burns": 0,
                "burned": { "total": 0, "onboarding_fees": 0, "buybacks": 0, "credits": 0,
                            "slashes": 0 },
            },
        })
    );
    net.shutdown().await;
}
