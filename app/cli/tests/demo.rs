//! The README's main command, end to end: `depin demo` deploys the built programs, runs genesis
//! and the reward path with simulated devices, and every number it reports is checked here,
//! along with the oracle's transparency files it wrote.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::process::Command;

use serde_json::Value;

/// `network_args` for 10 billion tokens with 6 decimals: max_supply / 4 / 730.
const EPOCH_EMISSION: u64 = 3_424_657_534_246;
/// The genesis supply: 1 % of the 10 billion token cap, minted when the network is created.
/// The owners' first collateral is sent from it, so it is in the supply before any epoch.
const GENESIS_SUPPLY: u64 = 100_000_000 * 1_000_000;
/// Genesis `min_device_collateral`: 500 tokens with 6 decimals.
const COLLATERAL: u64 = 500_000_000;

fn demo(out: &std::path::Path, extra: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_depin"))
        .args(["demo", "--json", "--epochs", "3", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("run depin demo");
    assert!(
        output.status.success(),
        "depin demo failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("demo prints JSON")
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("a number")
}

#[test]
fn the_demo_pays_every_epoch_to_the_owners_and_its_files_verify() {
    let out = tempfile::tempdir().unwrap();
    let report = demo(out.path(), &[]);

    let genesis = report["genesis"].as_array().unwrap();
    // Seven accounts, plus the genesis account.
    assert_eq!(genesis.len(), 8);

    let epochs = report["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 3);
    for (e, row) in epochs.iter().enumerate() {
        let n = e as u64 + 1;
        assert_eq!(u(&row["epoch"]), e as u64);
        assert_eq!(u(&row["minted"]), EPOCH_EMISSION);
        // Two of the ten devices are down all epoch (one in five); the rest earn.
        assert_eq!(u(&row["devices_earning"]), 8);
        // The whole budget is distributed and the auto-claim pays all of it.
        assert_eq!(u(&row["root_total"]), n * EPOCH_EMISSION);
        assert_eq!(u(&row["claimed"]), EPOCH_EMISSION);
        assert_eq!(u(&row["vault"]), 0);
        assert_eq!(u(&row["supply"]), n * EPOCH_EMISSION + GENESIS_SUPPLY);
    }
    assert_eq!(
        epochs.iter().map(|r| u(&r["reports"])).collect::<Vec<_>>(),
        [157, 159, 148]
    );

    let owners = report["owners"].as_array().unwrap();
    assert_eq!(owners.len(), 4);
    assert_eq!(
        owners.iter().map(|o| u(&o["devices"])).collect::<Vec<_>>(),
        [3, 3, 2, 2]
    );
    for o in owners {
        assert_eq!(u(&o["balance"]), u(&o["cumulative"]));
        // Each device's collateral is staked (and bound: onboarding would fail otherwise).
        assert_eq!(u(&o["staked"]), u(&o["devices"]) * COLLATERAL);
    }
    assert_eq!(
        owners.iter().map(|o| u(&o["balance"])).sum::<u64>(),
        3 * EPOCH_EMISSION
    );

    // Every epoch's transparency files verify from the files alone, each against the last.
    for (e, row) in epochs.iter().enumerate() {
        let dir = out.path().join(format!("epoch-{e}"));
        let previous = (e > 0).then(|| out.path().join(format!("epoch-{}", e - 1)));
        let verified =
            depin_oracle::transparency::verify_epoch_dir(&dir, previous.as_deref()).unwrap();
        assert_eq!(
            row["manifest_hash"].as_str().unwrap(),
            verified.manifest_hash
        );
        assert_eq!(verified.root_sum, (e as u64 + 1) * EPOCH_EMISSION);
    }
}

#[test]
fn the_demo_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut ra = demo(a.path(), &["--token-2022"]);
    let mut rb = demo(b.path(), &["--token-2022"]);
    for r in [&mut ra, &mut rb] {
        for row in r["epochs"].as_array_mut().unwrap() {
            row.as_object_mut().unwrap().remove("dir");
        }
    }
    assert_eq!(ra["epochs"], rb["epochs"]);
    assert_eq!(ra["owners"], rb["owners"]);
}
