//! The epoch engine: exact values, byte-identical output, the split's properties, cumulative
//! totals that never decrease.

// Test helpers outside #[test] functions may unwrap too (clippy.toml only exempts the tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use depin_formats::keys::Pubkey;
use depin_formats::reasons::Reasons;
use depin_formats::transparency::{self, DeviceRow, EpochResult, WalletRow};
use depin_oracle::epoch::audit::verify_epoch_dir;
use depin_oracle::epoch::{self, EpochReports, inputs};
use depin_oracle::registry::{DeviceKind, Registry};
use proptest::prelude::*;

fn run_world(w: &EpochWorld) -> EpochResult {
    let registry = Registry::new(w.devices.clone()).unwrap();
    let reports = EpochReports::from_reports(w.reports.iter().map(|r| r.report.clone()));
    epoch::run(&w.config, &registry, reports, w.previous.clone()).unwrap()
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    [
        "devices.csv",
        "wallets.csv",
        "manifest.json",
        "manifest_hash",
    ]
    .into_iter()
    .map(|f| (f.to_owned(), std::fs::read(dir.join(f)).unwrap()))
    .collect()
}

/// Runs the world through the loaders and the writer, as `epoch run` does.
fn write_world(w: &EpochWorld) -> BTreeMap<String, Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    w.write_inputs(&tmp.path().join("in"));
    let loaded = inputs::load(&tmp.path().join("in")).unwrap();
    let result = epoch::run(
        &loaded.config,
        &loaded.registry,
        loaded.reports,
        loaded.previous,
    )
    .unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let written =
        transparency::write_epoch(&out, &result, &loaded.hashes, &loaded.rejected).unwrap();
    verify_epoch_dir(&written.dir, None).unwrap();
    files(&written.dir)
}

#[test]
fn world_epoch_exact_values() {
    let w = EpochWorld::new();
    let r = run_world(&w);
    let by_device: BTreeMap<Pubkey, &DeviceRow> = r.devices.iter().map(|d| (d.device, d)).collect();
    let row = |n: u8| {
        let d = by_device[&key(n)];
        (d.score, d.reasons.render())
    };
    // 1: 24h + 3 witnesses (location corroborated) = 24_300; one witness implausible.
    assert_eq!(row(1), (24_300, "witness_rssi_implausible:1".to_owned()));
    // 2: 24h, degraded x0.5, unverified x0.75.
    assert_eq!(
        row(2),
        (
            9000,
            "location_unverified:1;speedtest_degraded:1".to_owned()
        )
    );
    assert_eq!(
        row(3),
        (
            4500,
            "location_unverified:1;no_speedtest:1;uptime_partial:12".to_owned()
        )
    );
    assert_eq!(row(4), (0, "no_heartbeats:1".to_owned()));
    assert_eq!(row(5), (0, "location_mismatch:1;no_speedtest:1".to_owned()));
    assert_eq!(row(6), (0, "device_decommissioned:1".to_owned()));
    assert_eq!(
        row(7),
        (9000, "location_unverified:1;no_speedtest:1".to_owned())
    );
    assert_eq!(row(20), (42_000, "receipt_unknown_customer:1".to_owned()));

    // Σ scores = 24_300 + 9000 + 4500 + 9000 + 9000 + 42_000 = 97_800.
    assert_eq!(r.total_score, 97_800);
    assert_eq!((r.distributed, r.unspent), (1_000_000, 0));
    let rewards: u64 = r.devices.iter().map(|d| d.reward).sum();
    assert_eq!(rewards, 1_000_000);
    // 1_000_000 * 24_300 / 97_800 = 248_466.26 -> 248_466 (+0: small remainder).
    assert_eq!(by_device[&key(1)].reward, 248_466);
    // 1_000_000 * 42_000 / 97_800 = 429_447.85 -> 429_448 (largest remainder gets a unit).
    assert_eq!(by_device[&key(20)].reward, 429_448);
    assert_eq!(r.reports_unknown_device, 24);

    // Wallets: device 1 and 5 belong to W1 (previous 500); W9 only has a previous total.
    let wallets: BTreeMap<Pubkey, WalletRow> = r.wallets.iter().map(|x| (x.wallet, *x)).collect();
    assert_eq!(
        wallets[&wallet(1)],
        WalletRow {
            wallet: wallet(1),
            epoch_reward: 248_466,
            previous: 500,
            cumulative: 248_966
        }
    );
    assert_eq!(wallets[&wallet(9)].cumulative, 1000);
    assert!(
        !wallets.contains_key(&wallet(3)),
        "offline device's owner earned nothing"
    );
    // The root is the merkle-sum root of (wallet, cumulative) sorted by wallet.
    let leaves: Vec<([u8; 32], u64)> = r
        .wallets
        .iter()
        .map(|x| (x.wallet.0, x.cumulative))
        .collect();
    let root = merkle_sum::Tree::new(&leaves).unwrap().root();
    assert_eq!(r.root, Some(root));
    assert_eq!(root.sum, 1_000_000 + 500 + 1000);
}

/// A deterministic permutation (xorshift-driven Fisher-Yates).
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

#[test]
fn output_files_are_byte_identical_across_runs_and_input_orders() {
    let w = EpochWorld::new();
    let first = write_world(&w);
    assert_eq!(write_world(&w), first, "second run");
    for seed in [1u64, 2, 3, 0xDEAD_BEEF] {
        let mut shuffled = EpochWorld::new();
        shuffle(&mut shuffled.reports, seed);
        shuffle(&mut shuffled.devices, seed.wrapping_mul(7));
        shuffle(&mut shuffled.previous, seed);
        shuffled.config.customers.reverse();
        let got = write_world(&shuffled);
        // The input files differ (order), so their hashes in the manifest do; every output
        // table is identical.
        assert_eq!(got["devices.csv"], first["devices.csv"], "seed {seed}");
        assert_eq!(got["wallets.csv"], first["wallets.csv"], "seed {seed}");
    }
    // With the same input files, the manifest and its hash are identical too.
    let again = write_world(&EpochWorld::new());
    assert_eq!(again["manifest.json"], first["manifest.json"]);
    assert_eq!(again["manifest_hash"], first["manifest_hash"]);
    // And the engine result itself is order-independent.
    let mut shuffled = EpochWorld::new();
    shuffle(&mut shuffled.reports, 99);
    shuffle(&mut shuffled.devices, 98);
    assert_eq!(run_world(&shuffled).devices, run_world(&w).devices);
}

#[test]
fn zero_total_score_spends_nothing_and_keeps_previous_totals() {
    let mut w = EpochWorld::new();
    w.reports.clear();
    let r = run_world(&w);
    assert_eq!(r.total_score, 0);
    assert_eq!((r.distributed, r.unspent), (0, 1_000_000));
    assert!(r.devices.iter().all(|d| d.reward == 0));
    assert_eq!(
        r.wallets
            .iter()
            .map(|x| (x.wallet, x.cumulative))
            .collect::<Vec<_>>(),
        {
            let mut p = w.previous.clone();
            p.sort();
            p
        }
    );
    // No previous either: no wallets, no root.
    w.previous.clear();
    let r = run_world(&w);
    assert!(r.wallets.is_empty());
    assert_eq!(r.root, None);
}

#[test]
fn previous_totals_are_checked() {
    let w = EpochWorld::new();
    let registry = Registry::new(w.devices.clone()).unwrap();
    let dup = vec![(wallet(1), 1), (wallet(1), 2)];
    assert!(matches!(
        epoch::run(&w.config, &registry, EpochReports::default(), dup),
        Err(epoch::EpochError::DuplicatePrevious(_))
    ));
    let overflow = vec![(wallet(1), u64::MAX)];
    let reports = EpochReports::from_reports(w.reports.iter().map(|r| r.report.clone()));
    assert!(matches!(
        epoch::run(&w.config, &registry, reports, overflow),
        Err(epoch::EpochError::CumulativeOverflow(_))
    ));
}

#[test]
fn second_epoch_builds_on_the_first() {
    let w = EpochWorld::new();
    let first = run_world(&w);
    let mut second = EpochWorld::new();
    second.config.epoch = 4;
    second.previous = first
        .wallets
        .iter()
        .map(|x| (x.wallet, x.cumulative))
        .collect();
    // Only device 20 works in epoch 4.
    second.reports.retain(|r| r.report.device == key(20));
    let r = run_world(&second);
    assert_eq!(r.wallets.len(), first.wallets.len());
    for (a, b) in first.wallets.iter().zip(&r.wallets) {
        assert_eq!(a.wallet, b.wallet);
        assert_eq!(b.previous, a.cumulative);
        assert!(b.cumulative >= a.cumulative);
    }
    assert_eq!(r.root.unwrap().sum, first.root.unwrap().sum + 1_000_000);
}

fn device_rows(rewards: &[(u8, u64)]) -> Vec<DeviceRow> {
    rewards
        .iter()
        .enumerate()
        .map(|(i, (owner, reward))| DeviceRow {
            device: Pubkey([i as u8; 32]),
            owner: wallet(*owner),
            score: *reward,
            reward: *reward,
            reasons: Reasons::default(),
        })
        .collect()
}

proptest! {
    #[test]
    fn split_is_exact_bounded_and_monotone(
        budget in any::<u64>(),
        scores in prop::collection::vec(prop_oneof![Just(0u64), 0u64..1000, any::<u64>()], 0..40),
    ) {
        let keys: Vec<Pubkey> = (0..scores.len()).map(|i| Pubkey([(i * 37 % 251) as u8; 32])).collect();
        let s = epoch::split(budget, &scores, &keys).unwrap();
        let total: u128 = scores.iter().map(|x| u128::from(*x)).sum();
        let sum: u128 = s.rewards.iter().map(|x| u128::from(*x)).sum();
        if total == 0 {
            prop_assert_eq!(sum, 0);
            prop_assert_eq!(s.unspent, budget);
        } else {
            prop_assert_eq!(sum, u128::from(budget));
            prop_assert_eq!(s.unspent, 0);
        }
        for (i, (score, reward)) in scores.iter().zip(&s.rewards).enumerate() {
            if let Some(floor) = (u128::from(budget) * u128::from(*score)).checked_div(total) {
                // reward ∈ {floor(share), floor(share) + 1}: within 1 of the exact share.
                prop_assert!(u128::from(*reward) == floor || u128::from(*reward) == floor + 1);
                if *score == 0 { prop_assert_eq!(*reward, 0); }
            }
            for (other_score, other_reward) in scores.iter().zip(&s.rewards).skip(i + 1) {
                if score > other_score { prop_assert!(reward >= other_reward); }
                if score < other_score { prop_assert!(reward <= other_reward); }
            }
        }
    }

    #[test]
    fn split_ignores_input_order(
        budget in any::<u64>(),
        scores in prop::collection::vec(0u64..100, 1..30),
        seed in any::<u64>(),
    ) {
        let keys: Vec<Pubkey> = (0..scores.len()).map(|i| Pubkey([i as u8; 32])).collect();
        let s = epoch::split(budget, &scores, &keys).unwrap();
        let mut pairs: Vec<(Pubkey, u64, u64)> =
            keys.iter().zip(&scores).zip(&s.rewards).map(|((k, sc), r)| (*k, *sc, *r)).collect();
        shuffle(&mut pairs, seed | 1);
        let (k2, s2): (Vec<Pubkey>, Vec<u64>) = pairs.iter().map(|(k, sc, _)| (*k, *sc)).unzip();
        let again = epoch::split(budget, &s2, &k2).unwrap();
        for ((_, _, r), r2) in pairs.iter().zip(&again.rewards) {
            prop_assert_eq!(r, r2);
        }
    }

    #[test]
    fn cumulative_never_decreases(
        earned in prop::collection::vec((0u8..12, 0u64..1_000_000), 0..30),
        previous in prop::collection::btree_map(0u8..12, 0u64..1_000_000_000, 0..12),
    ) {
        let devices = device_rows(&earned);
        let prev: Vec<(Pubkey, u64)> = previous.iter().map(|(w, c)| (wallet(*w), *c)).collect();
        let rows = epoch::rollup(&devices, prev.clone()).unwrap();
        let by_wallet: BTreeMap<Pubkey, WalletRow> = rows.iter().map(|r| (r.wallet, *r)).collect();
        for (w, c) in &prev {
            if *c > 0 {
                let row = by_wallet.get(w);
                prop_assert!(row.is_some(), "wallet with a previous total kept");
                prop_assert!(row.unwrap().cumulative >= *c);
                prop_assert_eq!(row.unwrap().previous, *c);
            }
        }
        for r in &rows {
            prop_assert_eq!(r.cumulative, r.previous + r.epoch_reward);
            prop_assert!(r.cumulative > 0);
        }
        prop_assert!(rows.windows(2).all(|p| p[0].wallet < p[1].wallet));
        let epoch_total: u64 = rows.iter().map(|r| r.epoch_reward).sum();
        prop_assert_eq!(epoch_total, earned.iter().map(|(_, r)| r).sum::<u64>());
    }
}

#[test]
fn kinds_share_one_budget() {
    // Sanity: both verifiers' points compete for the same budget (documented).
    let w = EpochWorld::new();
    let r = run_world(&w);
    let compute: u64 = r
        .devices
        .iter()
        .zip(Registry::new(w.devices.clone()).unwrap().devices())
        .filter(|(_, d)| d.kind == DeviceKind::Compute)
        .map(|(row, _)| row.reward)
        .sum();
    assert_eq!(compute, 429_448);
}
