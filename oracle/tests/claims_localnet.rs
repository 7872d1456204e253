//! The rewards API's claim index against a real validator over JSON-RPC (the in-process
//! `solana-test-validator` with the built programs): claim records written into its genesis,
//! beside accounts that only look like them, are read in bulk (`getProgramAccounts` with the
//! record's size and discriminator) exactly, and every wallet's amount in the index is the one
//! its own record gives. A claim that lands through the program is read the same way in
//! `submit_localnet.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use anchor_lang::{AccountSerialize, Discriminator};
use depin_client::builders::rewards_ix;
use depin_client::solana_pubkey::Pubkey;
use depin_client::{SendConfig, Sender};
use depin_formats::keys::Pubkey as Key;
use depin_localnet::{GenesisAccount, Localnet, LocalnetConfig};
use depin_oracle::api::{ApiChain, ApiState, ClaimEntry, RpcChain};
use rewards::state::ClaimRecord;

fn root() -> PathBuf {
    depin_localnet::workspace_root().expect("no Anchor.toml above CARGO_MANIFEST_DIR")
}

fn record_data(bump: u8, claimed: u64) -> Vec<u8> {
    let mut data = Vec::new();
    ClaimRecord { bump, claimed }
        .try_serialize(&mut data)
        .unwrap();
    assert_eq!(data.len(), ClaimRecord::SIZE);
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claim_index_reads_every_claim_record_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    // Wallets 1..=24; the even ones have claimed 1,000 x their number.
    let wallets: Vec<Pubkey> = (1..=24u8)
        .map(|i| Pubkey::new_from_array([i; 32]))
        .collect();
    let mut expected = Vec::new();
    let mut genesis = Vec::new();
    for (i, w) in (1u64..).zip(&wallets) {
        if i % 2 == 0 {
            let (address, bump) = rewards_ix::claim_record_pda(w);
            expected.push(ClaimEntry {
                address: address.to_bytes(),
                bump,
                claimed: i * 1_000,
            });
            genesis.push(GenesisAccount {
                address,
                owner: rewards::ID,
                data: record_data(bump, i * 1_000),
            });
        }
    }
    // Lookalikes: a record owned by another program; a rewards account with the record's
    // discriminator one byte longer; one of its size with another discriminator.
    let bump = 254;
    genesis.push(GenesisAccount {
        address: Pubkey::new_from_array([0xa1; 32]),
        owner: staking::ID,
        data: record_data(bump, 5),
    });
    let mut longer = record_data(bump, 6);
    longer.push(0);
    genesis.push(GenesisAccount {
        address: Pubkey::new_from_array([0xa3; 32]),
        owner: rewards::ID,
        data: longer,
    });
    let mut other = record_data(bump, 7);
    other[..8].copy_from_slice(&[9; 8]);
    assert_ne!(&other[..8], ClaimRecord::DISCRIMINATOR);
    genesis.push(GenesisAccount {
        address: Pubkey::new_from_array([0xa2; 32]),
        owner: rewards::ID,
        data: other,
    });
    let mut config =
        LocalnetConfig::for_tests(dir.path().join("ledger"), root().join("target/deploy"));
    config.genesis_accounts = genesis;
    let net = Localnet::start(config).await.unwrap();
    let chain = RpcChain::new(Sender::new(net.rpc_url(), SendConfig::default()));

    let mut records = chain.claim_records().await.unwrap();
    records.sort_by_key(|r| r.address);
    expected.sort_by_key(|r| r.address);
    assert_eq!(records, expected);

    // The API over it: every wallet's amount from the index is its own record's, and a wallet
    // without a record has claimed 0.
    let storage = depin_oracle::settings::StorageSettings {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let store = depin_oracle::store::Store::connect(&storage).await.unwrap();
    let api = ApiState::new(
        dir.path(),
        store,
        Some(Sender::new(net.rpc_url(), SendConfig::default())),
    );
    let index = api.refresh_claims().await.unwrap();
    assert_eq!(index.len(), 12);
    for (i, w) in (1u64..).zip(&wallets) {
        let key = Key(w.to_bytes());
        let want = if i % 2 == 0 { i * 1_000 } else { 0 };
        assert_eq!(index.claimed(&key), want, "wallet {i}");
        assert_eq!(api.claimed(&key).await.unwrap(), want, "wallet {i}");
        let own = chain.claim_record(key).await.unwrap();
        assert_eq!(own.unwrap_or(0), want, "wallet {i}'s own record");
    }
    assert_eq!(index.claimed(&Key([200; 32])), 0);
    net.shutdown().await;
}
