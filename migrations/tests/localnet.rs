//! `migrations/localnet.toml` applied to a real local validator over JSON-RPC: the first run
//! initialises everything (the oracle set is proposed through the timelock), the accounts read
//! back exactly as configured, a second run sends nothing and says so, a config that differs
//! from the chain is reported field by field with nothing sent, and a key that is not the
//! authority is refused by name before anything is sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::PathBuf;

use depin_client::accounts::fetch;
use depin_client::builders::{governance, rewards_ix, staking_ix, treasury_ix};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_localnet::{Localnet, LocalnetConfig, deployer};
use depin_migrations::{Config, MigrateError, Outcome, migrate};

fn workspace_root() -> PathBuf {
    depin_localnet::workspace_root()
        .expect("no Anchor.toml above CARGO_MANIFEST_DIR; set DEPIN_ROOT")
}

const STEPS: [&str; 14] = [
    "rewards: initialize_network",
    "rewards: oracle set",
    "rewards: approve_maker localnet-maker",
    "rewards: create_lookup_table",
    "tokens: create USDC mint",
    "governance: create_realm",
    "staking: initialize_staking",
    "staking: initialize_revenue",
    "governance: create_governance",
    "governance: fund the native treasury",
    "treasury: initialize_treasury",
    "amm: create the token/USDC pool",
    "treasury: add_stablecoin USDC",
    "treasury: initialize_credits",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn localnet_toml_applies_once_and_then_changes_nothing() {
    let root = workspace_root();
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start(LocalnetConfig::for_tests(
        dir.path().join("ledger"),
        root.join("target/deploy"),
    ))
    .await
    .unwrap();
    let config = Config::load(&root.join("migrations/localnet.toml")).unwrap();
    // The first URL is dead (nothing listens on port 1): the sender fails over to the validator
    // on its first call and stays there.
    let sender =
        Sender::new("http://127.0.0.1:1", SendConfig::default()).with_fallbacks([net.rpc_url()]);
    let deployer = deployer();
    let me = deployer.pubkey();

    // Lamports sent to the lookup table record's address before the table exists (anyone can)
    // do not stop the migration, nor make its table look missing or wrong afterwards.
    let prefund = anchor_lang::solana_program::system_instruction::transfer(
        &me,
        &rewards_ix::lookup_table_record_pda().0,
        1_000_000,
    );
    sender
        .send(
            "pre-fund the lookup table record",
            &[prefund],
            &deployer,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        depin_client::lookup_table::network_table(&sender)
            .await
            .unwrap(),
        None
    );

    // ---- First run: everything is sent.
    let first = migrate(&config, &sender, &deployer).await.unwrap();
    eprintln!("first run:\n{first}");
    assert_eq!(sender.failovers(), 1);
    assert_eq!(sender.rpc().url(), net.rpc_url());
    let names: Vec<&str> = first.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, STEPS);
    for step in &first.steps {
        if step.name == "rewards: oracle set" {
            // Installed by initialize_network itself.
            assert_eq!(step.outcome, Outcome::Unchanged);
        } else {
            assert!(
                matches!(step.outcome, Outcome::Applied { .. }),
                "{}: {:?}",
                step.name,
                step.outcome
            );
        }
    }
    assert_eq!(first.applied(), 13);

    // ---- What landed, exactly.
    let rpc = sender.rpc();
    let network = fetch::<rewards::state::Network>(rpc, "network", &rewards_ix::network_pda().0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(network.authority, me);
    assert_eq!(network.decimals, 6);
    assert_eq!(network.max_supply, 10_000_000_000_000_000);
    assert_eq!(network.emission.epoch_secs, 15);
    assert_eq!(network.emission.initial_epoch_emission, 3_424_657_534_246);
    assert_eq!(network.emission.halving_interval_epochs, 730);
    assert_eq!(network.mint_window.window_secs, 45);
    assert_eq!(network.mint_window.threshold, 3 * 3_424_657_534_246);
    assert_eq!(network.dispute_secs, 5);
    assert_eq!(network.timelock_secs, 3_600);
    // The network's lookup table: frozen, the network's accounts first.
    let table = depin_client::lookup_table::network_table(rpc)
        .await
        .unwrap()
        .expect("the migration creates the lookup table");
    assert_eq!(table.addresses.len(), 13);
    assert_eq!(
        table.addresses[..4],
        [
            rewards_ix::network_pda().0,
            network.mint,
            network.rewards_vault,
            network.token_program
        ]
    );
    // The genesis supply, 100 million tokens, is all that exists, in the deployer's genesis
    // account.
    assert_eq!(
        (network.genesis_supply, network.total_minted),
        (100_000_000_000_000, 100_000_000_000_000)
    );
    let genesis = rpc.get_account(&rewards_ix::genesis_pda().0).await.unwrap();
    assert_eq!(
        genesis.owner,
        depin_client::builders::TokenProgram::SplToken.id()
    );
    assert_eq!(&genesis.data[32..64], me.as_ref());
    // 100M minted at genesis, 10M of which went into the local network's AMM pool.
    assert_eq!(
        u64::from_le_bytes(genesis.data[64..72].try_into().unwrap()),
        90_000_000_000_000
    );
    // "now": the cluster's clock read just before initialize_network was sent, so at most a few
    // seconds before the network's own creation time (400 ms slots).
    assert!(
        (network.created_at - 10..=network.created_at).contains(&network.emission.start_ts),
        "start {} created {}",
        network.emission.start_ts,
        network.created_at
    );
    // The genesis oracle set is in place at once; nothing is queued.
    assert_eq!(network.changes_proposed, 0);
    let oracle = |i: usize| {
        read_keypair_file(root.join(format!("keys/localnet-oracle-{i}.json")))
            .unwrap()
            .pubkey()
    };
    let set =
        fetch::<rewards::state::OracleSet>(rpc, "oracle set", &rewards_ix::oracle_set_pda().0)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        (
            set.count,
            set.threshold,
            set.set_version,
            set.bond,
            set.challenger_bps
        ),
        (3, 2, 1, 1_000_000_000, 4_000)
    );
    assert_eq!(
        set.seats[..3].iter().map(|s| s.key).collect::<Vec<_>>(),
        vec![oracle(0), oracle(1), oracle(2)]
    );
    let maker_key = read_keypair_file(root.join("keys/localnet-maker-0.json"))
        .unwrap()
        .pubkey();
    let maker = fetch::<rewards::state::Maker>(rpc, "maker", &rewards_ix::maker_pda(&maker_key).0)
        .await
        .unwrap()
        .unwrap();
    assert!(maker.active);
    assert_eq!(maker.key, maker_key);

    let usdc: Keypair = read_keypair_file(root.join("keys/localnet-usdc-mint.json")).unwrap();
    let usdc = usdc.pubkey();
    let usdc_account = rpc.get_account(&usdc).await.unwrap();
    assert_eq!(usdc_account.owner, anchor_spl::token::ID);
    assert_eq!(usdc_account.data.len(), 82);
    // COption<Pubkey> mint authority = the deployer; decimals at byte 44.
    assert_eq!(usdc_account.data[0..4], [1, 0, 0, 0]);
    assert_eq!(usdc_account.data[4..36], me.to_bytes());
    assert_eq!(usdc_account.data[44], 6);

    let staking =
        fetch::<staking::state::StakingConfig>(rpc, "staking", &staking_ix::config_pda().0)
            .await
            .unwrap()
            .unwrap();
    // The DAO: the realm weighs votes with the staking program, and the governance of the
    // staking config is its authority; its native treasury pays the rent of what it proposes.
    let realm = governance::realm_pda("DePIN");
    let dao = governance::governance_pda(&realm, &staking_ix::config_pda().0);
    assert_eq!((staking.authority, staking.realm), (dao, realm));
    let realm_config = rpc
        .get_account_data(&governance::realm_config_pda(&realm))
        .await
        .unwrap();
    assert_eq!(
        governance::community_addin(&realm_config),
        Some(staking::ID)
    );
    assert_eq!(
        rpc.get_account(&dao).await.unwrap().owner,
        governance::GOVERNANCE_PROGRAM_ID
    );
    let treasury_lamports = rpc
        .get_balance(&governance::native_treasury_pda(&dao))
        .await
        .unwrap();
    assert_eq!(treasury_lamports, 100_000_000);
    assert_eq!(staking.stake_mint, rewards_ix::mint_pda().0);
    assert_eq!(staking.max_lockup_secs, 126_144_000);
    assert_eq!(staking.max_multiplier_bps, 1_000_000);
    assert_eq!(staking.min_device_collateral, 500_000_000);
    assert_eq!(staking.revenue_mint, usdc);
    assert_eq!(staking.revenue_vault, staking_ix::revenue_vault_pda().0);

    let treasury =
        fetch::<treasury::state::Treasury>(rpc, "treasury", &treasury_ix::treasury_pda().0)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(treasury.authority, me);
    assert_eq!(
        (
            treasury.split.buyback_bps,
            treasury.split.stakers_bps,
            treasury.split.operations_bps
        ),
        (6_000, 3_000, 1_000)
    );
    assert_eq!(treasury.network_mint, rewards_ix::mint_pda().0);
    assert_eq!(treasury.credits_mint, treasury_ix::credits_mint_pda().0);
    assert_eq!(treasury.credits_per_usd, 100_000);
    let coin = fetch::<treasury::state::Stablecoin>(
        rpc,
        "stablecoin",
        &treasury_ix::stablecoin_pda(&usdc).0,
    )
    .await
    .unwrap()
    .unwrap();
    assert!(coin.enabled);
    assert_eq!(coin.mint, usdc);
    assert_eq!(coin.decimals, 6);
    assert_eq!(coin.buyback_cap_per_epoch, 1_000_000_000_000);
    // The local network's pool, created and pinned: 10M tokens against 1M USDC, at the keys
    // derived from the coin's symbol, the migration's LP tokens held by the deployer.
    let pool = depin_migrations::localnet_pool("USDC", rewards_ix::mint_pda().0, usdc);
    assert_eq!(
        (
            coin.venue.pool,
            coin.venue.quote_reserve,
            coin.venue.token_reserve
        ),
        (pool.swap, pool.vault_b, pool.vault_a)
    );
    let swap = rpc.get_account(&pool.swap).await.unwrap();
    assert_eq!(swap.owner, depin_client::builders::amm::SWAP_PROGRAM_ID);
    assert_eq!(
        depin_client::builders::amm::Pool::parse(pool.swap, &swap.data),
        Some(pool)
    );
    let balance_of = |key| async move {
        rpc.get_token_account_balance(&key)
            .await
            .unwrap()
            .amount
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(balance_of(pool.vault_a).await, 10_000_000_000_000);
    assert_eq!(balance_of(pool.vault_b).await, 1_000_000_000_000);
    let lp = depin_migrations::pool_keypair("USDC", "lp").pubkey();
    assert!(balance_of(lp).await > 0);
    assert_eq!(coin.stakers_destination, staking_ix::revenue_vault_pda().0);
    assert_eq!(coin.total_received, 0);
    let credits = rpc
        .get_account(&treasury_ix::credits_mint_pda().0)
        .await
        .unwrap();
    assert_eq!(credits.owner, anchor_spl::token_2022::ID);

    // ---- Second run: nothing sent, and it says so.
    let balance = rpc.get_balance(&me).await.unwrap();
    let second = migrate(&config, &sender, &deployer).await.unwrap();
    eprintln!("second run:\n{second}");
    assert_eq!(second.applied(), 0);
    assert!(second.in_sync());
    let names: Vec<&str> = second.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, STEPS);
    assert!(
        second
            .to_string()
            .ends_with("Nothing to do: the cluster already matches the config.")
    );
    assert_eq!(
        rpc.get_balance(&me).await.unwrap(),
        balance,
        "no fee was paid"
    );

    // ---- A new oracle set: proposed through the timelock once, then pending.
    let mut rotated = config.clone();
    rotated.oracles.keys.pop();
    let third = migrate(&rotated, &sender, &deployer).await.unwrap();
    assert_eq!(third.applied(), 1);
    assert!(
        matches!(third.steps[1].outcome, Outcome::Applied { .. }),
        "{:?}",
        third.steps[1]
    );
    let pending =
        fetch::<rewards::state::PendingChange>(rpc, "pending change", &rewards_ix::change_pda(0).0)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        pending.update,
        rewards_ix::ParamUpdate::OracleSet {
            oracles: vec![oracle(0), oracle(1)],
            threshold: 2,
            bond: 1_000_000_000,
            challenger_bps: 4_000,
        }
    );
    assert_eq!(pending.eta, pending.proposed_at + 3_600);
    let fourth = migrate(&rotated, &sender, &deployer).await.unwrap();
    assert_eq!(fourth.applied(), 0);
    let Outcome::Pending { detail } = &fourth.steps[1].outcome else {
        panic!("oracle set: {:?}", fourth.steps[1]);
    };
    assert!(
        detail.starts_with("change #0 proposed; it can be applied in "),
        "{detail}"
    );
    assert!(
        detail.ends_with(&format!(
            "(at unix time {}): run the migration again then",
            pending.eta
        )),
        "{detail}"
    );
    let balance = rpc.get_balance(&me).await.unwrap();

    // ---- A config that differs from the chain: reported, nothing sent.
    let mut changed = config.clone();
    changed.network.dispute_secs = 30;
    changed.staking.cooldown_secs = 86_400;
    let third = migrate(&changed, &sender, &deployer).await.unwrap();
    assert_eq!(third.applied(), 0);
    assert_eq!(
        third.steps[0].outcome,
        Outcome::Differs {
            fields: vec!["network.dispute_secs: on-chain 5, config 30".to_string()]
        }
    );
    let staking_step = third
        .steps
        .iter()
        .find(|s| s.name == "staking: initialize_staking")
        .unwrap();
    assert_eq!(
        staking_step.outcome,
        Outcome::Differs {
            fields: vec!["staking.cooldown_secs: on-chain 604800, config 86400".to_string()]
        }
    );
    assert_eq!(
        rpc.get_balance(&me).await.unwrap(),
        balance,
        "no fee was paid"
    );

    // ---- A new maker, but run by a key that is not the network authority: refused by name
    // (the oracle set's pending rotation needs no signature: it waits).
    let stranger = Keypair::new();
    let mut more = rotated.clone();
    let new_maker = Keypair::new().pubkey();
    more.makers.push(depin_migrations::config::MakerConfig {
        name: "second".into(),
        key: new_maker.to_string(),
    });
    more.network.authority = me.to_string();
    more.treasury.authority = me.to_string();
    for role in [
        &mut more.treasury.payment_operator,
        &mut more.treasury.service_operator,
        &mut more.treasury.operations_owner,
    ] {
        *role = me.to_string();
    }
    let err = migrate(&more, &sender, &stranger).await.unwrap_err();
    let MigrateError::NeedsSigner {
        step, field, key, ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(step, "rewards: approve_maker second");
    assert_eq!(*field, "network.authority");
    assert_eq!(key, &me.to_string());
    assert!(
        fetch::<rewards::state::Maker>(rpc, "maker", &rewards_ix::maker_pda(&new_maker).0)
            .await
            .unwrap()
            .is_none()
    );
    net.shutdown().await;
}
