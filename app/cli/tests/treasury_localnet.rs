//! `depin pay` and `depin treasury report`, run as the real binary against a local validator
//! over JSON-RPC after `migrations/localnet.toml`: a customer's USDC payment lands split exactly
//! (60 / 30 / 10 with the dust to buyback), the report shows it, and a bad reference is refused
//! by name with nothing stored. Then service credits: a customer burns network tokens for
//! credits at the genesis price feed's conservative price, the service operator consumes some,
//! each refusal (a wrong operator, more than the balance) is named with nothing changed, and the
//! report's supply counts the burn.
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
use depin_localnet::{GenesisAccount, Localnet, LocalnetConfig, PYTH_RECEIVER, deployer};

mod common;

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
    let config = depin_migrations::Config::load(&root.join("migrations/localnet.toml")).unwrap();
    let net = Localnet::start(LocalnetConfig {
        genesis_accounts: vec![price_feed(&config)],
        ..LocalnetConfig::for_tests(dir.path().join("ledger"), root.join("target/deploy"))
    })
    .await
    .unwrap();
    let url = net.rpc_url();
    let sender = Sender::new(url.clone(), SendConfig::default());
    let deployer = deployer();
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

    credits(&url, &sender, &deployer, &customer, dir.path(), genesis).await;
    net.shutdown().await;
}

/// The genesis price feed `depin-dev localnet` writes: $0.10 (EMA) with a confidence of
/// $0.0001, published now, for the config's feed id.
fn price_feed(config: &depin_migrations::Config) -> GenesisAccount {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    GenesisAccount {
        address: depin_client::cluster::LOCALNET_PRICE_UPDATE,
        owner: PYTH_RECEIVER,
        data: depin_client::pyth::price_update_data(depin_client::pyth::Price {
            feed_id: hex::decode(&config.treasury.price_feed_id)
                .unwrap()
                .try_into()
                .unwrap(),
            ema_price: 10_000_000,
            ema_conf: 10_000,
            exponent: -8,
            publish_time: i64::try_from(now).unwrap(),
            verification: depin_client::pyth::VerificationLevel::Full,
        }),
    }
}

/// `depin credits buy | consume | balance` against the migrated cluster at `url`.
async fn credits(
    url: &str,
    sender: &Sender,
    deployer: &Keypair,
    customer: &Keypair,
    dir: &Path,
    genesis: u64,
) {
    let cli = common::Cli {
        url: url.to_owned(),
    };
    let customer_key = dir.join("customer.json");
    let operator_key = common::keypair_file(dir, "operator.json", deployer);
    let c = customer.pubkey().to_string();
    common::fund_owner(sender, deployer, &customer.pubkey(), 100_000_000).await;

    // 10 tokens at the conservative price, $0.10 - $0.0001 = $0.0999, and 100,000 credits per
    // dollar: 10 x 0.0999 x 100,000 = 99,900 credits.
    let bought = cli.json(&customer_key, &["credits", "buy", "--amount", "10000000"]);
    assert_eq!(
        (
            bought["burned"].as_u64(),
            bought["credits"].as_u64(),
            bought["balance"].as_u64()
        ),
        (Some(10_000_000), Some(99_900), Some(99_900))
    );
    let tokens = associated_token_address(
        &customer.pubkey(),
        &depin_client::builders::rewards_ix::mint_pda().0,
        TokenProgram::SplToken,
    );
    let held = || async {
        sender
            .rpc()
            .get_token_account_balance(&tokens)
            .await
            .unwrap()
            .amount
    };
    assert_eq!(held().await, "90000000");
    // More tokens than the customer holds: refused by name, nothing sent.
    let err = cli.refused(&customer_key, &["credits", "buy", "--amount", "90000001"]);
    assert!(
        err.contains("holds 90000000 network token base units"),
        "{err}"
    );

    // The balance only reads: no keypair is loaded.
    let missing = Path::new("/nonexistent/keypair.json");
    let balance = |want: serde_json::Value| {
        let got = cli.json(missing, &["credits", "balance", "--wallet", &c]);
        assert_eq!(got, want);
    };
    let account = bought["account"].as_str().unwrap().to_owned();
    let expect = |credits: u64, consumed: u64| {
        serde_json::json!({
            "wallet": c, "account": account, "credits": credits, "credits_per_usd": 100_000,
            "total_minted": 99_900, "total_consumed": consumed, "tokens_burned": 10_000_000,
        })
    };
    balance(expect(99_900, 0));

    // Only the service operator consumes credits; never more than the customer holds. Both
    // refused by name before anything is sent: nothing changes.
    let err = cli.refused(
        &customer_key,
        &["credits", "consume", "--customer", &c, "--amount", "5"],
    );
    assert!(
        err.contains(&format!(
            "the treasury's service operator is {}, not the signer {c}",
            deployer.pubkey()
        )),
        "{err}"
    );
    let err = cli.refused(
        &operator_key,
        &["credits", "consume", "--customer", &c, "--amount", "99901"],
    );
    assert!(
        err.contains(&format!("--amount 99901: customer {c} holds 99900 credits")),
        "{err}"
    );
    // The refusal as JSON: one error object on stdout, a non-zero exit.
    let out = cli.run(
        &operator_key,
        &[
            "credits",
            "consume",
            "--customer",
            &c,
            "--amount",
            "99901",
            "--json",
        ],
    );
    assert!(!out.status.success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        serde_json::json!({"error": format!("--amount 99901: customer {c} holds 99900 credits")})
    );
    balance(expect(99_900, 0));

    let consumed = cli.json(
        &operator_key,
        &[
            "credits",
            "consume",
            "--customer",
            &c,
            "--amount",
            "900",
            "--reference",
            "job-7",
        ],
    );
    assert_eq!(
        (
            consumed["consumed"].as_u64(),
            consumed["balance"].as_u64(),
            consumed["reference"].as_str()
        ),
        (Some(900), Some(99_000), Some("job-7"))
    );
    balance(expect(99_000, 900));

    // The supply story counts the credits burn.
    let usdc = usdc();
    let report = cli.json(missing, &["treasury", "report", "--mint", &usdc]);
    assert_eq!(
        report["supply"],
        serde_json::json!({
            "minted": genesis, "supply": genesis - 10_000_000, "untracked_burns": 0,
            "burned": { "total": 10_000_000, "onboarding_fees": 0, "buybacks": 0,
                        "credits": 10_000_000, "slashes": 0 },
        })
    );
}

fn usdc() -> String {
    read_keypair_file(workspace_root().join("keys/localnet-usdc-mint.json"))
        .unwrap()
        .pubkey()
        .to_string()
}
