//! The main job, smaller: `depin-dev sim --devices 50 --epochs 2` as the real binary, which starts a
//! local validator, migrates it, runs two `oracle serve` processes and the fleet, and reports.
//! The run itself fails if a conservation check fails; this test also asserts the exact values
//! that do not depend on timing: the fleet, each epoch's budget (its emission plus what the idle
//! epochs before it carried) and its exact split, the claims against the final root, where every
//! minted token is (claimed, carried in the rewards vault, genesis, burned), the ingest counts,
//! the replayed report's refusal, every coin of revenue, and the buyback's burn to the base unit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::process::Command;

use depin_client::builders::amm;
use serde_json::{Value, json};

/// Epoch emission under migrations/localnet.toml (no halving in the first 730 epochs).
const EPOCH_EMISSION: u64 = 3_424_657_534_246;
/// The genesis supply under migrations/localnet.toml.
const GENESIS: u64 = 100_000_000_000_000;
/// What the customers pay: customer i pays 100 USDC × (i + 1) × (k + 1) in the run's k-th epoch.
fn revenue(customers: u64, epochs: u64) -> u64 {
    100_000_000 * (customers * (customers + 1) / 2) * (epochs * (epochs + 1) / 2)
}

#[test]
fn fifty_devices_two_epochs_conserve_every_token_and_every_dollar() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let output = Command::new(env!("CARGO_BIN_EXE_depin-dev"))
        .args([
            "sim",
            "--devices",
            "50",
            "--epochs",
            "2",
            "--leave-unclaimed",
            "1",
        ])
        .args(["--json", "--out"])
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "depin-dev sim failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    // The report is the last line (agave's validator prints a line or two of its own first).
    let last = stdout.lines().last().unwrap_or_default();
    let r: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(
        r,
        serde_json::from_slice::<Value>(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
    );

    // The report lists every epoch the oracles published. The claims cover the final root's
    // epochs: the fleet reports in the last two of them, from the first that has at least half
    // left after the set-up (15 s epochs: epoch 1 or 2 on this machine); any epoch before passed
    // with no reports, distributed nothing and carried its emission on. The oracles may publish
    // (and root) one more epoch while the claims and the treasury run: the fleet has stopped by
    // then, so it distributes nothing either, and carries its emission on.
    let published = r["epochs"].as_array().unwrap();
    let claimed_epochs = r["final_root"]["epochs"].as_u64().unwrap();
    let claimed = usize::try_from(claimed_epochs).unwrap();
    assert!((2..=8).contains(&claimed), "{published:?}");
    assert!(published.len() >= claimed, "{published:?}");
    let first = claimed - 2;
    // Each epoch's budget is the emission so far less what the earlier epochs gave out: an
    // idle epoch's budget grows by one emission, the first epoch the fleet reports in gives out
    // every epoch's emission up to it, and the next one its own.
    for (n, e) in published.iter().enumerate() {
        let n64 = u64::try_from(n).unwrap();
        assert_eq!(e["epoch"], n, "{e}");
        assert_eq!(e["root"] == "claimed", n < claimed, "{e}");
        let (carried, distributed) = match n {
            _ if n < first => (n64 * EPOCH_EMISSION, 0),
            _ if n == first => (n64 * EPOCH_EMISSION, (n64 + 1) * EPOCH_EMISSION),
            _ if n < claimed => (0, EPOCH_EMISSION),
            _ => ((n64 - claimed_epochs) * EPOCH_EMISSION, 0),
        };
        let budget = EPOCH_EMISSION + carried;
        assert_eq!(
            (
                &e["emission"],
                &e["carried"],
                &e["budget"],
                &e["distributed"],
                &e["unspent"]
            ),
            (
                &json!(EPOCH_EMISSION),
                &json!(carried),
                &json!(budget),
                &json!(distributed),
                &json!(budget - distributed)
            ),
            "{e}"
        );
        let total = EPOCH_EMISSION * (n64 + 1).min(claimed_epochs) * u64::from(n >= first);
        assert_eq!(e["total"], total, "{e}");
        if distributed == 0 {
            assert_eq!(e["devices_earning"], 0, "{e}");
        }
    }
    let epochs = &published[first..claimed];

    // Every conservation check ran and held.
    let checks: Vec<(&str, bool)> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap(), c["ok"].as_bool().unwrap()))
        .take(9)
        .collect();
    assert_eq!(
        checks,
        vec![
            ("supply after = supply before + minted - burned", true),
            (
                "every owner claimed exactly its published cumulative total",
                true
            ),
            ("claims + left unclaimed = final root total", true),
            ("revenue = buyback + stakers + operations", true),
            ("revenue = what the customers paid", true),
            (
                "stakers' claims + what stays in the revenue vault = routed to stakers",
                true
            ),
            (
                "buyback: spent and burned = the pool's constant-product quote",
                true
            ),
            (
                "rewards vault = minted - claimed = owed + given out, root not final + carried",
                true
            ),
            (
                "mint supply = genesis + claimed + owed + given out, root not final + carried - \
                 burned",
                true
            ),
        ]
    );
    // Both oracles published the same wallets.csv for every epoch the claims covered, and for
    // every later one both published (`oracles_agree` is null when only one did).
    let agree: Vec<String> = r["checks"].as_array().unwrap()[9..]
        .iter()
        .map(|c| format!("{} {}", c["check"].as_str().unwrap(), c["ok"]))
        .collect();
    let both: Vec<String> = published
        .iter()
        .filter(|e| e["oracles_agree"] != Value::Null)
        .map(|e| {
            format!(
                "epoch {}: both oracles published the same wallets.csv true",
                e["epoch"]
            )
        })
        .collect();
    assert_eq!(agree, both);
    assert!(
        published[..claimed]
            .iter()
            .all(|e| e["oracles_agree"] == true)
    );

    // The fleet (seed 7): 50 devices, 13 owners, and its faults.
    assert_eq!(r["devices"]["total"], 50);
    assert_eq!(r["devices"]["owners"], 13);
    assert_eq!(
        r["devices"]["by_fault"],
        json!({"flaky uplink": 5, "healthy": 38, "offline for part of each epoch": 3,
            "slow backhaul": 2, "spoofed location": 1, "witnesses itself": 1})
    );

    // The DAO vote (issue 23): every owner voted in the realm with its staked weight (owner 1
    // against), the proposal passed after its 20 s, and its transaction queued the staking
    // change through the staking timelock (applied two days later, after the run).
    let g = &r["governance"];
    assert_eq!(g["voters"], 13);
    assert_eq!(g["state"], "Completed");
    let (yes, no) = (
        g["yes_weight"].as_u64().unwrap(),
        g["no_weight"].as_u64().unwrap(),
    );
    assert!(yes > no && no > 0, "{g}");
    assert_eq!(g["queued_change"]["id"], 0);
    assert_eq!(g["queued_change"]["update"], "RevenueStreamSecs(86400)");

    // Each epoch's budget is split exactly (above), and both oracles agree.
    for (n, e) in epochs.iter().enumerate() {
        assert_eq!(e["epoch"], first + n);
        assert_eq!(e["oracles_agree"], true);
        assert_eq!(e["devices_scored"], 50);
        // The device that witnesses itself and the one spoofing its location are discounted
        // for it in every epoch.
        assert_eq!(e["reasons"]["self_witness"], 1, "epoch {n}: {e}");
        assert_eq!(e["reasons"]["location_mismatch"], 1, "epoch {n}: {e}");
        assert_eq!(e["reasons"]["speedtest_fail"], 2, "epoch {n}: {e}");
    }
    // Epoch 1 ran whole: only the offline and flaky devices miss uptime slots.
    let partial = epochs[1]["reasons"]["uptime_partial"].as_u64().unwrap();
    assert!((3..=8).contains(&partial), "{}", epochs[1]);

    // Claims: every wallet holds what the final root says, and the root gave out the emission
    // of every epoch up to it (the idle epochs' too).
    let owed = claimed_epochs * EPOCH_EMISSION;
    assert_eq!(r["final_root"]["epochs"], first + 2);
    assert_eq!(r["final_root"]["total"], owed);
    // One owner left its rewards unclaimed (--leave-unclaimed 1), its keypair in owners/.
    let left = r["claims"]["left"]["total"].as_u64().unwrap();
    assert!(left > 0, "{}", r["claims"]);
    assert_eq!(r["claims"]["total"].as_u64().unwrap() + left, owed);
    assert_eq!(r["claims"]["wallets"], 12);
    assert_eq!(r["claims"]["left"]["wallets"], 1);
    assert_eq!(r["transactions"]["claim"], 12);
    let owners: Vec<_> = std::fs::read_dir(out.join("owners")).unwrap().collect();
    assert_eq!(owners.len(), 1);
    assert_eq!(r["transactions"]["onboard device"], 50);

    // The buyback spent the whole buyback share through the fresh 10M token / 1M USDC pool,
    // and burned exactly what spl-token-swap's constant product pays for it.
    let buyback_share = revenue(5, 2) * 6 / 10;
    let (taken, bought) = amm::expected_swap(1_000_000_000_000, 10_000_000_000_000, buyback_share);
    assert_eq!(taken, buyback_share);
    assert_eq!(bought, 26_846_731_284);
    let b = &r["treasury"]["buyback"];
    assert_eq!(b["spent"], buyback_share);
    assert_eq!(b["burned"], bought);
    assert_eq!(
        b["reserves_before"],
        json!({"usdc": 1_000_000_000_000u64, "tokens": 10_000_000_000_000u64})
    );

    // Supply: the genesis supply before; minted = the epochs cranked; burned = the buyback.
    let s = &r["supply"];
    assert_eq!(s["before"], GENESIS);
    assert_eq!(s["burned"], bought);
    let minted = s["minted"].as_u64().unwrap();
    assert!(
        minted >= 2 * EPOCH_EMISSION && minted.is_multiple_of(EPOCH_EMISSION),
        "{s}"
    );
    assert_eq!(s["after"], GENESIS + minted - bought);

    // Where every minted token is: the genesis supply, the claims, what the unclaimed owner is
    // still owed, the carried emission, less the buyback's burn, is the mint's supply.
    assert_eq!(
        r["tokens"],
        json!({"minted": GENESIS + minted, "genesis": GENESIS, "rewards": minted,
            "claimed": owed - left, "owed": left, "given_out_not_final": 0,
            "carried": minted - owed,
            "burned": {"total": bought, "onboarding_fees": 0, "buybacks": bought, "credits": 0,
                "slashes": 0},
            "supply": GENESIS + minted - bought, "rewards_vault": minted - owed + left})
    );

    // The rewards vault: every token minted in the run went into it; the owners claimed (all but
    // the one left unclaimed, still owed) the emission of every epoch up to the final root's (the fleet's two and the idle ones before
    // them); what stays is the emission of the epochs minted after it, in which no device earned:
    // carried, for the next epoch in which one does. Nothing else is left in it.
    let v = &r["rewards_vault"];
    let epochs_minted = v["epochs_minted"].as_u64().unwrap();
    assert!(epochs_minted >= claimed_epochs, "{v}");
    assert_eq!(v["minted"], minted);
    assert_eq!(minted, epochs_minted * EPOCH_EMISSION);
    assert_eq!(v["claimed"], owed - left);
    assert_eq!(v["owed"], left);
    assert_eq!(v["given_out_not_final"], json!({"amount": 0, "epochs": []}));
    let carried = minted - owed;
    assert_eq!(v["balance"], carried + left);
    assert_eq!(
        v["carried"],
        json!({"amount": carried,
            "epochs": (claimed_epochs..epochs_minted).collect::<Vec<_>>()})
    );
    for e in published {
        assert_eq!(
            e["minted"],
            e["epoch"].as_u64().unwrap() < epochs_minted,
            "{e}"
        );
    }
    if carried > 0 {
        assert!(v["note"].as_str().unwrap().contains("Carried"), "{v}");
    }

    // Ingest: each report went to a random non-empty subset of the oracles (so each oracle
    // missed some, and the oracles agreed on the union all the same: oracles_agree above); each
    // oracle accepted every report it was sent, and refused only the replay.
    let signed = r["ingest"]["reports_signed"].as_u64().unwrap();
    // Two epochs of five slots: about 50 × 10 heartbeats and 50 × 2 speed tests, less the
    // offline devices' slots; at least half of that arrives even on a loaded machine.
    assert!(signed > 50 * 6, "{signed}");
    let mut copies = 0;
    for o in r["ingest"]["oracles"].as_array().unwrap() {
        let sent = o["sent"].as_u64().unwrap();
        assert!(
            sent < signed,
            "oracle {} got every report: {o}",
            o["oracle"]
        );
        assert_eq!(o["accepted"], sent, "{o}");
        assert_eq!(o["rejected"], json!({"replayed_nonce": 1}), "{o}");
        copies += sent;
    }
    assert!(
        copies >= signed,
        "every report reached an oracle: {copies} < {signed}"
    );
    assert_eq!(
        r["ingest"]["replayed_report"]["answers"],
        json!([{"oracle": 0, "status": 409, "reason": "replayed_nonce"},
               {"oracle": 1, "status": 409, "reason": "replayed_nonce"}])
    );

    // Revenue: 5 customers × 2 epochs, split 60 / 30 / 10.
    let t = &r["treasury"];
    let paid = revenue(5, 2);
    assert_eq!(paid, 4_500_000_000);
    assert_eq!(t["payments"].as_array().unwrap().len(), 10);
    assert_eq!(t["received"], paid);
    assert_eq!(t["buckets"]["buyback"], 0);
    assert_eq!(t["bought_back"], paid * 6 / 10);
    assert_eq!(t["burned_by_buybacks"], bought);
    assert_eq!(t["routed_to_stakers"], paid * 3 / 10);
    assert_eq!(t["swept_to_operations"], paid / 10);
    assert_eq!(t["buckets"]["stakers"], 0);
    assert_eq!(t["buckets"]["operations"], 0);
    let claimed = t["stakers_claimed"].as_u64().unwrap();
    assert_eq!(
        claimed + t["revenue_vault"].as_u64().unwrap(),
        paid * 3 / 10
    );
    // Each owner's share floors (and the accumulator's carry waits): a few base units at most.
    assert!(paid * 3 / 10 - claimed < 13, "{t}");

    // The transparency files are where the report says.
    for n in first..first + 2 {
        let dir = out.join(format!("oracle-0/epochs/epoch-{n}"));
        for f in ["devices.csv", "wallets.csv", "manifest.json"] {
            assert!(dir.join(f).is_file(), "{}", dir.join(f).display());
        }
    }
    assert!(out.join("treasury.json").is_file());
}
