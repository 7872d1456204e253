//! The local network over real JSON-RPC (`solana-client`): the protocol's programs answer at their
//! ids, `rewards::initialize_network` lands and its `Network` account reads back exactly, the
//! transaction and its program logs come back from `getTransaction`, and a restart on the same
//! ledger folder finds everything where it was.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anchor_lang::{AccountDeserialize, InstructionData, ToAccountMetas};
use depin_localnet::solana_client::nonblocking::rpc_client::RpcClient;
use depin_localnet::solana_client::rpc_config::{RpcTransactionConfig, UiTransactionEncoding};
use depin_localnet::solana_commitment_config::CommitmentConfig;
use depin_localnet::solana_keypair::Keypair;
use depin_localnet::solana_pubkey::Pubkey;
use depin_localnet::solana_signer::Signer;
use depin_localnet::{
    DEPLOYER_LAMPORTS, GENESIS_TOKEN_PROGRAMS, Localnet, LocalnetConfig, PROTOCOL_PROGRAMS,
    deployer,
};
use rewards::constants::{MINT_SEED, NETWORK_SEED, ORACLE_SET_SEED, REWARDS_VAULT_SEED};
use rewards::instructions::InitializeNetworkArgs;
use rewards::state::{EmissionParams, FinalRoot, MintWindow, Network};
use solana_instruction::Instruction;
use solana_transaction::Transaction;

const SPL_TOKEN: Pubkey = GENESIS_TOKEN_PROGRAMS[0].1;
const BPF_LOADER_UPGRADEABLE: Pubkey =
    Pubkey::from_str_const("BPFLoaderUpgradeab1e11111111111111111111111");
const PAYER_LAMPORTS: u64 = 10_000_000_000;
/// 10 billion tokens with 6 decimals.
const MAX_SUPPLY: u64 = 10_000_000_000_000_000;
/// `network_args`: max_supply / 4 / 730.
const EPOCH_EMISSION: u64 = 3_424_657_534_246;
/// 2026-01-01T00:00:00Z.
const START_TS: i64 = 1_767_225_600;

fn workspace_root() -> PathBuf {
    depin_localnet::workspace_root()
        .expect("no Anchor.toml above CARGO_MANIFEST_DIR; set DEPIN_ROOT")
}

fn pda(seed: &[u8]) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seed], &rewards::ID)
}

/// `network_args` from tests/harness/builders/rewards_ix.rs, for 6 decimals and 10^10 tokens.
fn network_args(authority: Pubkey) -> InitializeNetworkArgs {
    InitializeNetworkArgs {
        authority,
        decimals: 6,
        max_supply: MAX_SUPPLY,
        genesis_supply: 0,
        emission: EmissionParams {
            start_ts: START_TS,
            epoch_secs: 86_400,
            initial_epoch_emission: EPOCH_EMISSION,
            halving_interval_epochs: 730,
        },
        mint_window_secs: 86_400,
        mint_window_threshold: 2 * EPOCH_EMISSION,
        dispute_secs: 4 * 3_600,
        onboard_fee: 0,
        location_fee: 0,
        timelock_secs: 3_600,
        input_secs: 600,
        oracle_set: None,
    }
}

fn initialize_network_ix(payer: Pubkey, upgrade_authority: Pubkey) -> Instruction {
    let accounts = rewards::accounts::InitializeNetwork {
        payer,
        upgrade_authority,
        this_program: rewards::ID,
        program_data: Pubkey::find_program_address(
            &[rewards::ID.as_ref()],
            &BPF_LOADER_UPGRADEABLE,
        )
        .0,
        network: pda(NETWORK_SEED).0,
        mint: pda(MINT_SEED).0,
        rewards_vault: pda(REWARDS_VAULT_SEED).0,
        genesis_owner: upgrade_authority,
        genesis_account: pda(b"genesis").0,
        oracle_set: pda(ORACLE_SET_SEED).0,
        token_program: SPL_TOKEN,
        system_program: anchor_lang::system_program::ID,
        event_authority: pda(b"__event_authority").0,
        program: rewards::ID,
    };
    Instruction {
        program_id: rewards::ID,
        accounts: accounts.to_account_metas(None),
        data: rewards::instruction::InitializeNetwork {
            args: network_args(upgrade_authority),
        }
        .data(),
    }
}

async fn airdrop(rpc: &RpcClient, to: &Pubkey, lamports: u64) {
    let signature = rpc.request_airdrop(to, lamports).await.unwrap();
    for _ in 0..100 {
        if rpc.confirm_transaction(&signature).await.unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("airdrop {signature} not confirmed in 10 s");
}

/// `getTransaction` with its logs; it may be null for a moment after confirmation, so retry.
async fn transaction_logs(
    rpc: &RpcClient,
    signature: &solana_transaction::Signature,
) -> (Vec<String>, Option<i64>, u64) {
    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Json),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let mut last_err = None;
    for _ in 0..50 {
        match rpc.get_transaction_with_config(signature, config).await {
            Ok(tx) => {
                let meta = tx.transaction.meta.expect("transaction meta");
                assert_eq!(meta.err, None);
                let logs: Option<Vec<String>> = meta.log_messages.into();
                return (logs.expect("log messages"), tx.block_time, tx.slot);
            }
            Err(e) => last_err = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("getTransaction {signature}: {last_err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn initialize_network_over_json_rpc_survives_a_restart() {
    let test_started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let config = LocalnetConfig::for_tests(
        dir.path().join("ledger"),
        workspace_root().join("target/deploy"),
    );

    // ---- First start: a new ledger.
    let net = Localnet::start(config.clone()).await.unwrap();
    eprintln!(
        "localnet: new ledger up in {:.2?} at {} / {}",
        net.startup_time(),
        net.rpc_url(),
        net.ws_url()
    );
    assert!(!net.resumed());
    assert!(net.rpc_url().starts_with("http://127.0.0.1:"));
    assert!(net.ws_url().starts_with("ws://127.0.0.1:"));
    let rpc = net.rpc_client();

    let version = rpc.get_version().await.unwrap();
    assert_eq!(version.solana_core, "4.2.2");

    // Our programs, upgradeable with the deployer as authority; the token programs from genesis.
    let deployer = deployer();
    for (name, id) in PROTOCOL_PROGRAMS {
        let program = rpc.get_account(&id).await.unwrap();
        assert!(program.executable, "{name}");
        assert_eq!(program.owner, BPF_LOADER_UPGRADEABLE, "{name}");
        let (program_data, _) =
            Pubkey::find_program_address(&[id.as_ref()], &BPF_LOADER_UPGRADEABLE);
        let data = rpc.get_account_data(&program_data).await.unwrap();
        // UpgradeableLoaderState::ProgramData { slot: u64, upgrade_authority: Option<Pubkey> }.
        assert_eq!(data[0..4], 3u32.to_le_bytes(), "{name} ProgramData tag");
        assert_eq!(data[12], 1, "{name} has an upgrade authority");
        assert_eq!(
            data[13..45],
            deployer.pubkey().to_bytes(),
            "{name} authority"
        );
        let so = std::fs::read(config.programs_dir.join(format!("{name}.so"))).unwrap();
        assert_eq!(
            data[45..],
            so[..],
            "{name} bytes are target/deploy/{name}.so"
        );
    }
    for (name, id) in GENESIS_TOKEN_PROGRAMS {
        let program = rpc.get_account(&id).await.unwrap();
        assert!(program.executable, "{name}");
    }
    assert_eq!(
        rpc.get_balance(&deployer.pubkey()).await.unwrap(),
        DEPLOYER_LAMPORTS
    );

    // A payer funded through the faucet (requestAirdrop).
    let payer = Keypair::new_from_array([0x50; 32]);
    airdrop(&rpc, &payer.pubkey(), PAYER_LAMPORTS).await;
    assert_eq!(
        rpc.get_balance(&payer.pubkey()).await.unwrap(),
        PAYER_LAMPORTS
    );

    // rewards::initialize_network, signed by the payer and the program's upgrade authority.
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(
        &[initialize_network_ix(payer.pubkey(), deployer.pubkey())],
        Some(&payer.pubkey()),
        &[&payer, &deployer],
        blockhash,
    );
    let sent = Instant::now();
    let signature = rpc.send_and_confirm_transaction(&tx).await.unwrap();
    eprintln!(
        "localnet: initialize_network confirmed in {:.2?}",
        sent.elapsed()
    );

    let (logs, block_time, slot) = transaction_logs(&rpc, &signature).await;
    eprintln!("localnet: slot {slot}, logs:\n  {}", logs.join("\n  "));
    let program = rewards::ID.to_string();
    assert_eq!(logs[0], format!("Program {program} invoke [1]"));
    assert_eq!(logs[1], "Program log: Instruction: InitializeNetwork");
    assert_eq!(logs.last().unwrap(), &format!("Program {program} success"));
    let created_at = block_time.expect("block time");

    // The Network account, field by field.
    let (network, bump) = pda(NETWORK_SEED);
    let (mint, mint_bump) = pda(MINT_SEED);
    let (vault, vault_bump) = pda(REWARDS_VAULT_SEED);
    let account = rpc.get_account(&network).await.unwrap();
    assert_eq!(account.owner, rewards::ID);
    assert_eq!(account.data.len(), Network::SIZE);
    assert_eq!(
        account.lamports,
        rpc.get_minimum_balance_for_rent_exemption(Network::SIZE)
            .await
            .unwrap()
    );
    let stored = Network::try_deserialize(&mut &account.data[..]).unwrap();
    let expected = Network {
        version: 1,
        bump,
        mint_bump,
        vault_bump,
        decimals: 6,
        authority: deployer.pubkey(),
        mint,
        token_program: SPL_TOKEN,
        rewards_vault: vault,
        max_supply: MAX_SUPPLY,
        total_minted: 0,
        emission: EmissionParams {
            start_ts: START_TS,
            epoch_secs: 86_400,
            initial_epoch_emission: EPOCH_EMISSION,
            halving_interval_epochs: 730,
        },
        mint_window: MintWindow {
            window_secs: 86_400,
            threshold: 6_849_315_068_492,
            last_ts: created_at,
            amount: 0,
        },
        epochs_minted: 0,
        cumulative_budget: 0,
        total_claimed: 0,
        voided_roots: 0,
        total_burned: 0,
        onboard_fee: 0,
        location_fee: 0,
        dispute_secs: 14_400,
        timelock_secs: 3_600,
        input_secs: 600,
        changes_proposed: 0,
        final_root: FinalRoot::default(),
        created_at,
        collateral_authority_bump: Pubkey::find_program_address(
            &[b"collateral_authority"],
            &rewards::ID,
        )
        .1,
        genesis_supply: 0,
        reserved: [0; 95],
    };
    assert_eq!(stored, expected);
    let payer_balance = rpc.get_balance(&payer.pubkey()).await.unwrap();

    // ---- Stop, and start again on the same ledger folder.
    net.shutdown().await;
    let net = Localnet::start(config.clone()).await.unwrap();
    eprintln!(
        "localnet: ledger resumed in {:.2?} at {}",
        net.startup_time(),
        net.rpc_url()
    );
    assert!(net.resumed());
    let rpc = net.rpc_client();
    let again = rpc.get_account(&network).await.unwrap();
    assert_eq!(again.data, account.data, "the Network account's bytes");
    assert_eq!(again.lamports, account.lamports);
    assert_eq!(again.owner, rewards::ID);
    assert_eq!(
        rpc.get_balance(&payer.pubkey()).await.unwrap(),
        payer_balance
    );
    // The transaction history survives too, and the faucet still pays (same mint key).
    let (logs_again, block_time_again, slot_again) = transaction_logs(&rpc, &signature).await;
    assert_eq!(
        (logs_again, block_time_again, slot_again),
        (logs, block_time, slot)
    );
    let second = Keypair::new();
    airdrop(&rpc, &second.pubkey(), 1_000_000_000).await;
    assert_eq!(
        rpc.get_balance(&second.pubkey()).await.unwrap(),
        1_000_000_000
    );
    net.shutdown().await;
    eprintln!("localnet: test took {:.2?}", test_started.elapsed());
}
