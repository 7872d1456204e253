//! The epoch engine: exact values, byte-identical output, the split's properties, cumulative
//! totals that never decrease, wallets that keep their leaf index from epoch to epoch.

// Test helpers outside #[test] functions may unwrap too (clippy.toml only exempts the tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

    // The budget: epoch 3's emission and the 749_625 the epochs before it did not give out
    // (the emission of epochs 0..3, 751_125, less the previous totals, 1_500).
    assert_eq!(
        (r.config.emission, r.config.carried, r.config.budget),
        (250_375, 749_625, 1_000_000)
    );
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
    // Leaf index order: the previous totals' wallets in their order (W1, W9), then the wallets
    // new this epoch by bytes (W2, W5, W6, W7).
    let order: Vec<Pubkey> = r.wallets.iter().map(|x| x.wallet).collect();
    assert_eq!(order, [1, 9, 2, 5, 6, 7].map(wallet));
    // The root is the merkle-sum root of (wallet, cumulative) in that order.
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
        // Not previous_wallets.csv: its order is the leaf order the wallets keep
        // (`leaf_order_is_kept_across_three_epochs`).
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
        w.previous
    );
    // No previous either: no wallets, no root, and the whole emission of epochs 0..=3 is
    // carried on (4 × 250_375).
    w.previous.clear();
    w.rebudget();
    let r = run_world(&w);
    assert_eq!((r.distributed, r.unspent), (0, 1_001_500));
    assert!(r.wallets.is_empty());
    assert_eq!(r.root, None);
}

#[test]
fn previous_totals_are_checked() {
    let w = EpochWorld::new();
    let registry = Registry::new(w.devices.clone()).unwrap();
    let dup = vec![(wallet(1), 1), (wallet(2), 1), (wallet(1), 2)];
    assert!(matches!(
        epoch::run(&w.config, &registry, EpochReports::default(), dup),
        Err(epoch::EpochError::DuplicatePrevious(d)) if d == wallet(1)
    ));
    // A zero total can be neither kept (rows are nonzero) nor dropped (indices are kept).
    let zero = vec![(wallet(1), 1), (wallet(2), 0)];
    assert!(matches!(
        epoch::run(&w.config, &registry, EpochReports::default(), zero),
        Err(epoch::EpochError::ZeroPrevious(z)) if z == wallet(2)
    ));
    // From the file, a repeat anywhere is refused with its line.
    let mut repeated = EpochWorld::new();
    repeated.previous = vec![(wallet(1), 1), (wallet(9), 1), (wallet(1), 1)];
    let tmp = tempfile::tempdir().unwrap();
    repeated.write_inputs(tmp.path());
    assert_eq!(
        inputs::load(tmp.path()).unwrap_err().to_string(),
        format!(
            "previous_wallets.csv: wallets.csv line 4: wallet {} repeats line 2",
            wallet(1)
        )
    );
    // Previous totals above the emission so far cannot have been given out: refused before
    // anything is computed. (So no cumulative total can overflow in a run; rollup still checks.)
    let overflow = vec![(wallet(1), u64::MAX)];
    let reports = EpochReports::from_reports(w.reports.iter().map(|r| r.report.clone()));
    assert!(matches!(
        epoch::run(&w.config, &registry, reports, overflow.clone()),
        Err(epoch::EpochError::Budget(
            epoch::BudgetError::PreviousExceedsEmission {
                epoch: 3,
                previous: u64::MAX,
                emitted: 751_125
            }
        ))
    ));
    assert!(matches!(
        epoch::rollup(&device_rows(&[(1, 1)]), overflow),
        Err(epoch::EpochError::CumulativeOverflow(_))
    ));
}

/// The engine refuses a params.json whose budget does not follow from the emission schedule
/// and the previous totals, naming the amount and both values.
#[test]
fn a_budget_the_schedule_does_not_give_is_refused() {
    let w = EpochWorld::new();
    let registry = Registry::new(w.devices.clone()).unwrap();
    let run = |c: &depin_formats::params::EpochConfig| {
        epoch::run(c, &registry, EpochReports::default(), w.previous.clone())
            .unwrap_err()
            .to_string()
    };
    let mut c = w.config.clone();
    c.carried += 1;
    c.budget += 1;
    assert_eq!(
        run(&c),
        "params.json: epoch 3: carried is 749626, but the emission of epochs 0..3 (751125) \
         less the previous epochs' total (1500) is 749625"
    );
    let mut c = w.config.clone();
    c.budget -= 1;
    assert_eq!(
        run(&c),
        "params.json: epoch 3: budget is 999999, but emission + carried is 1000000"
    );
    let mut c = w.config.clone();
    c.emission_schedule.halving_interval_epochs = 2;
    assert_eq!(
        run(&c),
        "params.json: epoch 3: emission is 250375, the emission schedule gives 125187"
    );
    // From the input directory too, as `epoch run` reads it.
    let tmp = tempfile::tempdir().unwrap();
    let mut wrong = EpochWorld::new();
    wrong.config.carried -= 10;
    wrong.config.budget -= 10;
    wrong.write_inputs(tmp.path());
    let loaded = inputs::load(tmp.path()).unwrap();
    let err = epoch::run(
        &loaded.config,
        &loaded.registry,
        loaded.reports,
        loaded.previous,
    )
    .unwrap_err();
    assert!(err.to_string().contains("carried is 749615"), "{err}");
}

/// An epoch in which no device earns gives out nothing; the next epoch in which devices earn
/// gives out both emissions. The roots' totals are then exactly the emission so far.
#[test]
fn an_idle_epoch_is_carried_into_the_next() {
    let mut idle = EpochWorld::new();
    idle.config = config(0, 0);
    idle.previous.clear();
    idle.reports.clear();
    let r0 = run_world(&idle);
    assert_eq!(
        (r0.config.budget, r0.distributed, r0.unspent),
        (250_375, 0, 250_375)
    );
    assert_eq!(r0.root, None);

    let mut busy = EpochWorld::new();
    busy.config = config(1, 0);
    busy.previous.clear();
    let r1 = run_world(&busy);
    assert_eq!(
        (
            r1.config.emission,
            r1.config.carried,
            r1.config.budget,
            r1.distributed,
            r1.unspent
        ),
        (250_375, 250_375, 500_750, 500_750, 0)
    );
    assert_eq!(r1.root.unwrap().sum, 2 * 250_375);
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
    // Epoch 3 gave out its whole budget: epoch 4 has its own emission and nothing carried.
    second.rebudget();
    assert_eq!(
        (
            second.config.emission,
            second.config.carried,
            second.config.budget
        ),
        (250_375, 0, 250_375)
    );
    // Only device 20 works in epoch 4.
    second.reports.retain(|r| r.report.device == key(20));
    let r = run_world(&second);
    assert_eq!(r.wallets.len(), first.wallets.len());
    for (a, b) in first.wallets.iter().zip(&r.wallets) {
        assert_eq!(a.wallet, b.wallet);
        assert_eq!(b.previous, a.cumulative);
        assert!(b.cumulative >= a.cumulative);
    }
    assert_eq!(r.root.unwrap().sum, first.root.unwrap().sum + 250_375);
    assert_eq!(r.root.unwrap().sum, 5 * 250_375);
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
        previous in prop::collection::btree_map(0u8..12, 1u64..1_000_000_000, 0..12),
        seed in any::<u64>(),
    ) {
        let devices = device_rows(&earned);
        let mut prev: Vec<(Pubkey, u64)> = previous.iter().map(|(w, c)| (wallet(*w), *c)).collect();
        shuffle(&mut prev, seed | 1);
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
        // The previous wallets keep their indices; the new ones follow, ascending by bytes.
        let kept: Vec<Pubkey> = rows.iter().take(prev.len()).map(|r| r.wallet).collect();
        prop_assert_eq!(kept, prev.iter().map(|p| p.0).collect::<Vec<_>>());
        prop_assert!(rows[prev.len()..].windows(2).all(|p| p[0].wallet < p[1].wallet));
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

/// The repository's root (the crate is `oracle/`), read at run time as the merkle-sum vectors
/// test does: one target dir serves several checkouts.
fn repo_root() -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    crate_dir.parent().unwrap().to_path_buf()
}

/// `scripts/merkle-sum-verify.py --epoch <dir> [--previous <previous>]`: the independent
/// verifier of the leaf order (python3, which scripts/test installs).
fn python_verify(dir: &Path, previous: Option<&Path>) -> Output {
    let mut args = vec![
        repo_root()
            .join("scripts/merkle-sum-verify.py")
            .into_os_string(),
        "--epoch".into(),
        dir.as_os_str().to_owned(),
    ];
    if let Some(p) = previous {
        args.extend(["--previous".into(), p.as_os_str().to_owned()]);
    }
    Command::new("python3")
        .args(args)
        .output()
        .expect("python3 runs scripts/merkle-sum-verify.py (scripts/test installs it)")
}

/// Publishes `w` as `epoch run` does, on top of the published epoch `previous` (its
/// wallets.csv, byte for byte, is the previous_wallets.csv input; the budget follows from its
/// total), and audits it against it.
fn publish_world(w: &mut EpochWorld, input: &Path, out: &Path, previous: Option<&Path>) -> PathBuf {
    w.previous = match previous {
        Some(p) => transparency::parse_wallets_csv(&std::fs::read(p.join("wallets.csv")).unwrap())
            .unwrap()
            .iter()
            .map(|r| (r.wallet, r.cumulative))
            .collect(),
        None => Vec::new(),
    };
    w.rebudget();
    w.write_inputs(input);
    let previous_csv = input.join("previous_wallets.csv");
    match previous {
        Some(p) => std::fs::copy(p.join("wallets.csv"), &previous_csv).map(|_| ()),
        None => std::fs::remove_file(&previous_csv),
    }
    .unwrap();
    let loaded = inputs::load(input).unwrap();
    let result = epoch::run(
        &loaded.config,
        &loaded.registry,
        loaded.reports,
        loaded.previous,
    )
    .unwrap();
    std::fs::create_dir_all(out).unwrap();
    let written =
        transparency::write_epoch(out, &result, &loaded.hashes, &loaded.rejected).unwrap();
    verify_epoch_dir(&written.dir, previous).unwrap();
    written.dir
}

fn wallet_order(dir: &Path) -> Vec<Pubkey> {
    let rows =
        transparency::parse_wallets_csv(&std::fs::read(dir.join("wallets.csv")).unwrap()).unwrap();
    rows.iter().map(|r| r.wallet).collect()
}

/// A wallet key that sorts before every `wallet(n)` (`[0xEE, n, 0, ..]`): `[0, b, 0, ..]`.
fn low_wallet(b: u8) -> Pubkey {
    let mut k = [0u8; 32];
    k[1] = b;
    Pubkey(k)
}

/// Wallets keep their leaf index for ever: over three published epochs each wallets.csv starts
/// with the previous one's wallets in their order (W5 keeps its index after its device moves
/// away), and a new wallet is appended at the end although its key sorts before every old one,
/// in epoch 2 even before epoch 1's new wallet. `epoch verify --previous` and the independent
/// Python verifier accept every epoch.
#[test]
fn leaf_order_is_kept_across_three_epochs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // Device 7 (W5's) goes to a new owner in epoch 1, device 8 (W6's) to another in epoch 2.
    let moves = [
        None,
        Some((7, low_wallet(0x20))),
        Some((8, low_wallet(0x10))),
    ];
    let mut dirs: Vec<PathBuf> = Vec::new();
    for epoch in 0..moves.len() {
        let mut w = EpochWorld::new();
        w.config.epoch = epoch as u64;
        for (n, owner) in moves[..=epoch].iter().flatten().copied() {
            w.devices
                .iter_mut()
                .filter(|d| d.key == key(n))
                .for_each(|d| d.owner = owner);
        }
        let input = tmp.path().join(format!("in-{epoch}"));
        dirs.push(publish_world(
            &mut w,
            &input,
            &out,
            dirs.last().map(PathBuf::as_path),
        ));
    }
    let old = [1, 2, 5, 6, 7].map(wallet).to_vec();
    let first: Vec<Pubkey> = old.iter().copied().chain([low_wallet(0x20)]).collect();
    let second: Vec<Pubkey> = first.iter().copied().chain([low_wallet(0x10)]).collect();
    assert_eq!(wallet_order(&dirs[0]), old);
    assert_eq!(wallet_order(&dirs[1]), first);
    assert_eq!(wallet_order(&dirs[2]), second);
    for (epoch, dir) in dirs.iter().enumerate() {
        let previous = epoch.checked_sub(1).map(|p| dirs[p].as_path());
        let o = python_verify(dir, previous);
        let m: transparency::Manifest =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        let root = m.root.unwrap();
        let kept = if previous.is_some() {
            ", leaf order kept"
        } else {
            ""
        };
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            format!(
                "merkle-sum-verify: {}: ok: {} leaves, root {} sum {}{kept}\n",
                dir.display(),
                root.leaves,
                root.hash,
                root.sum
            ),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(root.leaves, [5, 6, 7][epoch]);
    }
}

/// `epoch verify --previous` refuses a wallets.csv that does not keep the previous epoch's leaf
/// order, though everything else in it is consistent (files, hashes, the root over the rows in
/// their order): the leaf order check catches it, with the line and both wallets. Without
/// `--previous` a reordering passes; a dropped wallet does not, as the previous epochs' total
/// (Σ previous_cumulative) no longer gives the manifest's carried amount.
#[test]
fn the_audit_refuses_a_wallets_csv_that_moves_or_drops_a_previous_wallet() {
    let tmp = tempfile::tempdir().unwrap();
    let w = EpochWorld::new();
    let previous = tmp.path().join("epoch-2");
    std::fs::create_dir_all(&previous).unwrap();
    std::fs::write(previous.join("wallets.csv"), w.previous_wallets_csv()).unwrap();
    w.write_inputs(&tmp.path().join("in"));
    let loaded = inputs::load(&tmp.path().join("in")).unwrap();
    let honest = epoch::run(
        &loaded.config,
        &loaded.registry,
        loaded.reports,
        loaded.previous,
    )
    .unwrap();
    // Honest rows: W1, W9 (the previous epoch's, in order), then W2, W5, W6, W7.
    type Edit = fn(&mut Vec<WalletRow>);
    let (w1, w2, w5, w9) = (wallet(1), wallet(2), wallet(5), wallet(9));
    let cases: [(&str, Edit, String, Option<&str>); 3] = [
        (
            "W1 and W9 swapped",
            |rows| rows.swap(0, 1),
            format!(
                "wallets.csv line 2: wallet {w9}, but the previous epoch's wallets.csv has {w1} \
                 there (a wallet keeps its index)"
            ),
            None,
        ),
        (
            "W9 dropped (it earned nothing this epoch)",
            |rows| {
                rows.remove(1);
            },
            format!(
                "wallets.csv line 3: wallet {w2}, but the previous epoch's wallets.csv has {w9} \
                 there (a wallet keeps its index)"
            ),
            Some(
                "manifest.json: epoch 3: carried is 749625, but the emission of epochs 0..3 \
                 (751125) less the previous epochs' total (500) is 750625 (the previous epochs' \
                 total is Σ previous_cumulative of wallets.csv)",
            ),
        ),
        (
            "new wallets W2 and W5 swapped",
            |rows| rows.swap(2, 3),
            format!(
                "wallets.csv line 5: new wallet {w2} does not sort after the new wallet {w5} on \
                 the line above (new wallets are appended in ascending byte order)"
            ),
            None,
        ),
    ];
    for (i, (what, edit, message, alone)) in cases.into_iter().enumerate() {
        let mut forged = honest.clone();
        edit(&mut forged.wallets);
        forged.root = depin_formats::tree::root(&forged.wallets).unwrap();
        let out = tmp.path().join(format!("forged-{i}"));
        std::fs::create_dir_all(&out).unwrap();
        let dir = transparency::write_epoch(&out, &forged, &loaded.hashes, &loaded.rejected)
            .unwrap()
            .dir;
        match alone {
            None => {
                verify_epoch_dir(&dir, None).unwrap();
            }
            Some(m) => assert_eq!(
                verify_epoch_dir(&dir, None).unwrap_err().to_string(),
                m,
                "{what}"
            ),
        }
        let refused = verify_epoch_dir(&dir, Some(&previous)).unwrap_err();
        assert_eq!(refused.to_string(), message, "{what}");
        let o = python_verify(&dir, Some(&previous));
        assert_eq!(
            o.status.code(),
            Some(1),
            "{what}: the Python verifier refuses it too"
        );
    }
}

/// An operator that forgets part of the previous total (W9's 1,000) states a carried amount
/// 1,000 too high in params.json, and so gives out 1,000 more than was minted. `epoch run`
/// refuses those inputs; an epoch directory published from them anyway (every file consistent
/// with the stated budget, and the previous wallets kept at their rows) is refused by
/// `epoch verify`, with or without `--previous`, naming the amounts.
#[test]
fn the_audit_refuses_a_params_json_whose_carried_amount_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let honest = EpochWorld::new();
    let previous_dir = tmp.path().join("epoch-2");
    std::fs::create_dir_all(&previous_dir).unwrap();
    std::fs::write(
        previous_dir.join("wallets.csv"),
        honest.previous_wallets_csv(),
    )
    .unwrap();

    // params.json as if W9's 1,000 had never been given out: carried 750_625, not 749_625.
    let mut forged = EpochWorld::new();
    forged.previous = vec![(wallet(1), 500)];
    forged.rebudget();
    assert_eq!(
        (forged.config.carried, forged.config.budget),
        (750_625, 1_001_000)
    );
    let input = tmp.path().join("in");
    forged.write_inputs(&input);
    std::fs::write(
        input.join("previous_wallets.csv"),
        honest.previous_wallets_csv(),
    )
    .unwrap();
    let loaded = inputs::load(&input).unwrap();
    let refused = epoch::run(
        &loaded.config,
        &loaded.registry,
        loaded.reports,
        loaded.previous,
    )
    .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "params.json: epoch 3: carried is 750625, but the emission of epochs 0..3 (751125) \
         less the previous epochs' total (1500) is 749625"
    );

    // Published anyway: the split of the stated budget, W9 kept at its row.
    let registry = Registry::new(forged.devices.clone()).unwrap();
    let reports = EpochReports::from_reports(forged.reports.iter().map(|r| r.report.clone()));
    let mut result =
        epoch::run(&forged.config, &registry, reports, forged.previous.clone()).unwrap();
    result.wallets.insert(
        1,
        WalletRow {
            wallet: wallet(9),
            epoch_reward: 0,
            previous: 1000,
            cumulative: 1000,
        },
    );
    result.root = depin_formats::tree::root(&result.wallets).unwrap();
    assert_eq!(
        result.root.unwrap().sum,
        1_002_500,
        "1,000 above the emission"
    );
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let dir = transparency::write_epoch(&out, &result, &loaded.hashes, &loaded.rejected)
        .unwrap()
        .dir;
    let message = "manifest.json: epoch 3: carried is 750625, but the emission of epochs 0..3 \
                   (751125) less the previous epochs' total (1500) is 749625 (the previous \
                   epochs' total is Σ previous_cumulative of wallets.csv)";
    for previous in [None, Some(previous_dir.as_path())] {
        let err = verify_epoch_dir(&dir, previous).unwrap_err();
        assert_eq!(err.to_string(), message, "--previous {previous:?}");
    }
}
