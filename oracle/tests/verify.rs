//! Every verifier rule, table-driven, with exact scores and reasons.

// Test helpers outside #[test] functions may unwrap too (clippy.toml only exempts the tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::*;
use depin_formats::keys::Pubkey;
use depin_formats::params::ScoringParams;
use depin_formats::reasons::{Reason, Reasons};
use depin_formats::report::{JobReceipt, Payload};
use depin_oracle::registry::{self, distance_m};
use depin_oracle::verify::{self, Observation};

struct Case {
    name: &'static str,
    device: u8,
    observations: Vec<Observation>,
    params: fn(&mut ScoringParams),
    score: u64,
    reasons: &'static str,
}

fn no_change(_: &mut ScoringParams) {}

fn day_plus(extra: Vec<Observation>) -> Vec<Observation> {
    let mut o = full_day(0, None);
    o.extend(extra);
    o
}

fn day_with_fix(dlat: f64, extra: Vec<Observation>) -> Vec<Observation> {
    let mut o = full_day(0, Some(fix(dlat, 0.0)));
    o.extend(extra);
    o
}

const T: i64 = START + 7200;

fn good_speedtest(nonce: u64) -> Observation {
    obs(T, nonce, speedtest(200_000, 20_000, 20))
}

fn run(world: &World, case: &Case) -> (u64, String) {
    let mut params = world.params.clone();
    (case.params)(&mut params);
    let ctx = verify::Context {
        params: &params,
        ..world.ctx()
    };
    let mut observations = case.observations.clone();
    let pre = verify::prepare(&mut observations, &ctx.window);
    let v = verify::score_device(&world.device(case.device), &observations, pre, &ctx);
    (v.score, v.reasons.render())
}

fn check(cases: Vec<Case>) {
    let world = World::new();
    let mut failures = Vec::new();
    for case in &cases {
        let got = run(&world, case);
        if got != (case.score, case.reasons.to_owned()) {
            failures.push(format!(
                "{}: got {got:?}, expected ({}, {:?})",
                case.name, case.score, case.reasons
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn world_geometry_is_what_the_cases_assume() {
    let w = World::new();
    let d = |a: u8, b: u8| {
        distance_m(
            w.registry.get(&key(a)).unwrap().1,
            w.registry.get(&key(b)).unwrap().1,
        )
    };
    // Whole meters between asserted cell centres (h3o haversine, rounded once).
    assert_eq!(d(1, 2), 5000);
    assert_eq!(d(1, 3), 88);
    assert_eq!(d(1, 4), 200_152);
    assert_eq!(d(1, 5), 3957);
    assert_eq!(d(1, 7), 10_005);
    assert_eq!(d(1, 8), 10_007);
}

#[test]
fn connectivity_uptime_and_speedtests() {
    check(vec![
        Case {
            name: "full day, acceptable speedtest, fix at the cell: full score",
            device: 1,
            observations: {
                let mut o = full_day(0, Some(fix_at_cell(cell(0.0, 0.0))));
                o.push(good_speedtest(100));
                o
            },
            params: no_change,
            score: 24_000,
            reasons: "",
        },
        Case {
            name: "no position fix and no witnesses: location unverified x0.75",
            device: 1,
            observations: day_plus(vec![good_speedtest(100)]),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1",
        },
        Case {
            name: "offline: no heartbeats at all",
            device: 1,
            observations: vec![good_speedtest(100)],
            params: no_change,
            score: 0,
            reasons: "no_heartbeats:1",
        },
        Case {
            name: "no reports at all",
            device: 1,
            observations: vec![],
            params: no_change,
            score: 0,
            reasons: "no_heartbeats:1",
        },
        Case {
            name: "duplicates in an hour count once",
            device: 1,
            observations: vec![
                obs(START, 1, heartbeat(None)),
                obs(START + 60, 2, heartbeat(None)),
                obs(START + 3599, 3, heartbeat(None)),
                obs(START + 5 * 3600, 4, heartbeat(None)),
                good_speedtest(100),
            ],
            params: no_change,
            // 2 hours * 1000 * 1.0 * 0.75
            score: 1500,
            reasons: "location_unverified:1;uptime_partial:22",
        },
        Case {
            name: "degraded speedtest x0.5",
            device: 1,
            observations: day_plus(vec![obs(T, 100, speedtest(60_000, 6_000, 80))]),
            params: no_change,
            score: 9000,
            reasons: "location_unverified:1;speedtest_degraded:1",
        },
        Case {
            name: "acceptable + poor: mean multiplier 0.625",
            device: 1,
            observations: day_plus(vec![
                good_speedtest(100),
                obs(T, 101, speedtest(30_000, 3_000, 150)),
            ]),
            params: no_change,
            score: 11_250,
            reasons: "location_unverified:1;speedtest_poor:1",
        },
        Case {
            name: "one bound is enough to drop a tier (latency)",
            device: 1,
            observations: day_plus(vec![obs(T, 100, speedtest(500_000, 50_000, 51))]),
            params: no_change,
            score: 9000,
            reasons: "location_unverified:1;speedtest_degraded:1",
        },
        Case {
            name: "failed speedtest: x0",
            device: 1,
            observations: day_plus(vec![obs(T, 100, speedtest(1_000, 100, 900))]),
            params: no_change,
            score: 0,
            reasons: "location_unverified:1;speedtest_fail:1",
        },
        Case {
            name: "no speedtest: x0.5",
            device: 1,
            observations: full_day(0, None),
            params: no_change,
            score: 9000,
            reasons: "location_unverified:1;no_speedtest:1",
        },
    ]);
}

#[test]
fn connectivity_location_trust() {
    check(vec![
        Case {
            name: "fix ~500 m from the cell: partial trust x0.5",
            device: 1,
            observations: day_with_fix(0.0045, vec![good_speedtest(100)]),
            params: no_change,
            score: 12_000,
            reasons: "location_partial_trust:1",
        },
        Case {
            name: "fix ~5 km from the cell: mismatch x0",
            device: 1,
            observations: day_with_fix(0.045, vec![good_speedtest(100)]),
            params: no_change,
            score: 0,
            reasons: "location_mismatch:1",
        },
        Case {
            name: "the lower median of the fixes decides (one GPS glitch is ignored)",
            device: 1,
            observations: vec![
                obs(START, 1, heartbeat(Some(fix(0.0, 0.0)))),
                obs(START + 3600, 2, heartbeat(Some(fix(0.0, 0.0)))),
                obs(START + 7200, 3, heartbeat(Some(fix(0.5, 0.0)))),
                good_speedtest(100),
            ],
            params: no_change,
            score: 3000,
            reasons: "uptime_partial:21",
        },
        Case {
            name: "no fix, but 3 valid witnesses corroborate the cell: full trust",
            device: 1,
            observations: day_plus(vec![
                good_speedtest(100),
                obs(T, 200, witness(key(2), 1, -900)),
                obs(T, 201, witness(key(7), 1, -900)),
                obs(T, 202, witness(key(8), 1, -900)),
            ]),
            params: no_change,
            // (24 * 1000 + 3 * 100) * 1.0 * 1.0
            score: 24_300,
            reasons: "",
        },
    ]);
}

#[test]
fn connectivity_witness_rules() {
    // One witness each; the rest of the day is the 18_000 baseline (x0.75 unverified location),
    // plus 100 points * 0.75 = 75 for a valid witness.
    let one = |payload: Payload| day_plus(vec![good_speedtest(100), obs(T, 200, payload)]);
    check(vec![
        Case {
            name: "valid witness at ~5 km, plausible RSSI",
            device: 1,
            observations: one(witness(key(2), 1, -900)),
            params: no_change,
            score: 18_075,
            reasons: "location_unverified:1",
        },
        Case {
            name: "self witness (own beacon)",
            device: 1,
            observations: one(witness(key(1), 1, -900)),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;self_witness:1",
        },
        Case {
            name: "witness of a device with the same owner",
            device: 1,
            observations: one(witness(key(5), 1, -900)),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;same_owner_witness:1",
        },
        Case {
            name: "too close (88 m < 300 m)",
            device: 1,
            observations: one(witness(key(3), 1, -900)),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;witness_too_close:1",
        },
        Case {
            name: "too far (200 km > 100 km)",
            device: 1,
            observations: one(witness(key(4), 1, -1300)),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;witness_too_far:1",
        },
        Case {
            name: "RSSI above the free-space bound (-50 dBm at 5 km)",
            device: 1,
            observations: one(witness(key(2), 1, -500)),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;witness_rssi_implausible:1",
        },
        Case {
            // 5000 m at 915 MHz: FSPL 105.6 dB; 27.0 - 105.6 + 10.0 = -68.6 dBm is the bound.
            name: "RSSI exactly at the bound is plausible",
            device: 1,
            observations: one(witness(key(2), 1, -686)),
            params: no_change,
            score: 18_075,
            reasons: "location_unverified:1",
        },
        Case {
            name: "RSSI one deci-dB above the bound is not",
            device: 1,
            observations: one(witness(key(2), 1, -685)),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;witness_rssi_implausible:1",
        },
        Case {
            name: "unknown beaconer",
            device: 1,
            observations: one(witness(Pubkey([0x55; 32]), 1, -900)),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;witness_unknown_beaconer:1",
        },
        Case {
            name: "beacon the beaconer never reported",
            device: 1,
            observations: one(witness(key(2), 99, -900)),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;witness_unknown_beacon:1",
        },
        Case {
            name: "decommissioned beaconer",
            device: 1,
            observations: one(witness(key(6), 1, -900)),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;witness_beaconer_inactive:1",
        },
        Case {
            name: "heard on another frequency",
            device: 1,
            observations: one(Payload::Witness(Box::new(depin_formats::report::Witness {
                beaconer: key(2),
                beacon_id: 1,
                rssi_ddbm: -900,
                frequency_khz: 868_000,
            }))),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;witness_frequency_mismatch:1",
        },
        Case {
            name: "the same beacon witnessed twice counts once",
            device: 1,
            observations: day_plus(vec![
                good_speedtest(100),
                obs(T, 200, witness(key(2), 1, -900)),
                obs(T + 1, 201, witness(key(2), 1, -910)),
            ]),
            params: no_change,
            score: 18_075,
            reasons: "location_unverified:1;witness_duplicate:1",
        },
        Case {
            name: "valid witnesses above the cap are not counted",
            device: 1,
            observations: day_plus(vec![
                good_speedtest(100),
                obs(T, 200, witness(key(2), 1, -900)),
                obs(T, 201, witness(key(2), 2, -900)),
                obs(T, 202, witness(key(7), 1, -900)),
            ]),
            params: |p| p.max_witnesses = 2,
            // 3 valid (location corroborated), 2 counted: 24_000 + 200.
            score: 24_200,
            reasons: "witness_over_cap:1",
        },
        Case {
            name: "a job receipt is not connectivity evidence",
            device: 1,
            observations: one(receipt(&key(1), 1, 10, &signer(CUSTOMER))),
            params: no_change,
            score: 18_000,
            reasons: "location_unverified:1;unexpected_report:1",
        },
    ]);
}

#[test]
fn shared_rules_before_any_verifier() {
    let mut decommissioned = World::new();
    let mut devices: Vec<_> = decommissioned.registry.devices().to_vec();
    for d in &mut devices {
        if d.key == key(1) {
            d.status = registry::DeviceStatus::Decommissioned;
        }
    }
    decommissioned.registry = registry::Registry::new(devices).unwrap();
    let case = Case {
        name: "decommissioned",
        device: 1,
        observations: day_plus(vec![good_speedtest(100)]),
        params: no_change,
        score: 0,
        reasons: "device_decommissioned:1",
    };
    assert_eq!(
        run(&decommissioned, &case),
        (0, "device_decommissioned:1".to_owned())
    );

    check(vec![Case {
        name: "a reused nonce counts once; reports outside the window are dropped",
        device: 1,
        observations: {
            let mut o = day_plus(vec![good_speedtest(100)]);
            o.push(obs(START + 10, 0, heartbeat(None))); // nonce 0 again
            o.push(obs(START - 1, 500, heartbeat(None)));
            o.push(obs(END, 501, heartbeat(None)));
            o
        },
        params: no_change,
        score: 18_000,
        reasons: "duplicate_nonce:1;location_unverified:1;report_outside_epoch:2",
    }]);
}

#[test]
fn compute_rules() {
    let dev = key(20);
    let customer = signer(CUSTOMER);
    let r = |job: u64, units: u64| obs(T, job, receipt(&dev, job, units, &customer));
    check(vec![
        Case {
            name: "two valid receipts: units summed",
            device: 20,
            observations: vec![r(1, 100), r(2, 50)],
            params: no_change,
            score: 150,
            reasons: "",
        },
        Case {
            name: "the same job twice counts once",
            device: 20,
            observations: vec![r(1, 100), obs(T, 9, receipt(&dev, 1, 100, &customer))],
            params: no_change,
            score: 100,
            reasons: "receipt_duplicate:1",
        },
        Case {
            name: "customer signed for another device",
            device: 20,
            observations: vec![r(1, 100), obs(T, 2, receipt(&key(1), 2, 500, &customer))],
            params: no_change,
            score: 100,
            reasons: "receipt_bad_signature:1",
        },
        Case {
            name: "units changed after the customer signed",
            device: 20,
            observations: vec![r(1, 100), {
                let mut forged = JobReceipt::signed(&dev, 2, 5, &customer);
                forged.units = 5000;
                obs(T, 2, Payload::JobReceipt(Box::new(forged)))
            }],
            params: no_change,
            score: 100,
            reasons: "receipt_bad_signature:1",
        },
        Case {
            name: "customer not in the allow-list",
            device: 20,
            observations: vec![
                r(1, 100),
                obs(T, 2, receipt(&dev, 2, 500, &signer(STRANGER))),
            ],
            params: no_change,
            score: 100,
            reasons: "receipt_unknown_customer:1",
        },
        Case {
            name: "zero units",
            device: 20,
            observations: vec![r(1, 100), r(2, 0)],
            params: no_change,
            score: 100,
            reasons: "receipt_zero_units:1",
        },
        Case {
            name: "units above the cap",
            device: 20,
            observations: vec![r(1, 100), r(2, 50)],
            params: |p| p.max_compute_units = 120,
            score: 120,
            reasons: "receipt_units_capped:30",
        },
        Case {
            name: "points per unit",
            device: 20,
            observations: vec![r(1, 100)],
            params: |p| p.points_per_compute_unit = 7,
            score: 700,
            reasons: "",
        },
        Case {
            name: "no valid receipt; a heartbeat is not compute evidence",
            device: 20,
            observations: vec![obs(T, 1, heartbeat(None)), r(2, 0)],
            params: no_change,
            score: 0,
            reasons: "no_job_receipts:1;receipt_zero_units:1;unexpected_report:1",
        },
    ]);
}

#[test]
fn reasons_render_sorted_with_counts() {
    let mut r = Reasons::default();
    r.add(Reason::WitnessTooFar, 2);
    r.push(Reason::NoSpeedtest);
    r.add(Reason::SelfWitness, 0);
    r.push(Reason::WitnessTooFar);
    assert_eq!(r.render(), "no_speedtest:1;witness_too_far:3");
}

#[test]
fn verdict_does_not_depend_on_observation_order() {
    let world = World::new();
    let mut observations = day_plus(vec![
        good_speedtest(100),
        obs(T, 101, speedtest(30_000, 3_000, 150)),
        obs(T, 200, witness(key(2), 1, -900)),
        obs(T, 201, witness(key(2), 1, -500)),
        obs(T, 202, witness(key(3), 1, -900)),
    ]);
    let score = |mut o: Vec<Observation>| {
        let pre = verify::prepare(&mut o, &window());
        verify::score_device(&world.device(1), &o, pre, &world.ctx())
    };
    let forward = score(observations.clone());
    observations.reverse();
    assert_eq!(score(observations), forward);
}

/// A short-epoch network (the local demo: one-minute epochs) counts uptime in slots shorter
/// than an hour: here twelve 5 s slots, of which three have a heartbeat.
#[test]
fn uptime_counts_slots_of_the_windows_length() {
    use depin_formats::params::EpochWindow;
    let world = World::new();
    let window = EpochWindow::with_slots(START, START + 60, 5).unwrap();
    assert_eq!(window.hours(), 12);
    let ctx = verify::Context {
        window,
        ..world.ctx()
    };
    let mut observations = vec![
        obs(START, 1, heartbeat(None)),
        obs(START + 4, 2, heartbeat(None)),
        obs(START + 5, 3, heartbeat(None)),
        obs(START + 59, 4, heartbeat(None)),
        obs(START + 30, 5, speedtest(200_000, 20_000, 20)),
    ];
    let pre = verify::prepare(&mut observations, &ctx.window);
    let v = verify::score_device(&world.device(1), &observations, pre, &ctx);
    // Slots 0, 1 and 11: 3 * 1000 points * 1.0 (acceptable speedtest) * 0.75 (no location fix).
    assert_eq!(
        (v.score, v.reasons.render()),
        (2250, "location_unverified:1;uptime_partial:9".to_owned())
    );
}

/// `params.json` names the slot length only when it is not an hour, so every hourly epoch's
/// files (and their hashes) are what they were; a window that is not whole slots is refused.
#[test]
fn the_window_says_its_slot_length_only_when_it_is_not_an_hour() {
    use depin_formats::params::EpochWindow;
    let hourly = EpochWindow::new(START, START + 7200).unwrap();
    assert_eq!(
        serde_json::to_string(&hourly).unwrap(),
        format!("{{\"start\":{START},\"end\":{}}}", START + 7200)
    );
    let parsed: EpochWindow =
        serde_json::from_str(&format!("{{\"start\":{START},\"end\":{}}}", START + 7200)).unwrap();
    assert_eq!(parsed, hourly);
    let short = EpochWindow::with_slots(START, START + 60, 5).unwrap();
    let json = serde_json::to_string(&short).unwrap();
    assert_eq!(
        json,
        format!(
            "{{\"start\":{START},\"end\":{},\"slot_secs\":5}}",
            START + 60
        )
    );
    assert_eq!(serde_json::from_str::<EpochWindow>(&json).unwrap(), short);
    assert!(EpochWindow::with_slots(START, START + 62, 5).is_err());
    assert!(EpochWindow::with_slots(START, START + 60, 0).is_err());
    assert!(EpochWindow::new(START, START + 60).is_err());
}
