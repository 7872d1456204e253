//! Shared helpers for the oracle's integration tests: deterministic keys, places at known
//! distances, report builders and a small world.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod backends;
pub mod oracles;

use depin_formats::keys::{Pubkey, pubkey_of};
use depin_formats::params::{EpochConfig, EpochWindow, HalvingSchedule, ScoringParams};
use depin_formats::report::{
    Beacon, Heartbeat, JobReceipt, Location, Payload, Report, SignedReport, Speedtest, Witness,
};
use depin_oracle::registry::{Device, DeviceKind, DeviceStatus, Registry};
use depin_oracle::verify::{BeaconIndex, Context, Observation};
use ed25519_dalek::SigningKey;
use h3o::{LatLng, Resolution};

/// 2026-01-01T00:00:00Z.
pub const START: i64 = 1_767_225_600;
pub const END: i64 = START + 24 * 3600;
pub const FREQ: u32 = 915_000;
pub const TX: i16 = 270;

pub fn window() -> EpochWindow {
    EpochWindow::new(START, END).unwrap()
}

/// A deterministic signing key: seed `[n; 32]` (n >= 1).
pub fn signer(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

pub fn key(n: u8) -> Pubkey {
    pubkey_of(&signer(n))
}

/// A wallet key that needs no signer.
pub fn wallet(n: u8) -> Pubkey {
    let mut k = [0u8; 32];
    k[0] = 0xEE;
    k[1] = n;
    Pubkey(k)
}

/// San Francisco; every place in the tests is an offset from here.
pub const BASE_LAT: f64 = 37.7749;
pub const BASE_LON: f64 = -122.4194;

/// The resolution-12 cell at `(BASE + dlat, BASE + dlon)`.
pub fn cell(dlat: f64, dlon: f64) -> u64 {
    u64::from(
        LatLng::new(BASE_LAT + dlat, BASE_LON + dlon)
            .unwrap()
            .to_cell(Resolution::Twelve),
    )
}

/// A position fix at `(BASE + dlat, BASE + dlon)`.
pub fn fix(dlat: f64, dlon: f64) -> Location {
    #[allow(clippy::cast_possible_truncation)]
    Location {
        lat_e7: ((BASE_LAT + dlat) * 1e7).round() as i32,
        lon_e7: ((BASE_LON + dlon) * 1e7).round() as i32,
    }
}

/// The fix at the centre of the device's asserted cell.
pub fn fix_at_cell(cell: u64) -> Location {
    let ll = LatLng::from(h3o::CellIndex::try_from(cell).unwrap());
    #[allow(clippy::cast_possible_truncation)]
    Location {
        lat_e7: (ll.lat() * 1e7).round() as i32,
        lon_e7: (ll.lng() * 1e7).round() as i32,
    }
}

pub fn device(n: u8, owner: Pubkey, location: u64, kind: DeviceKind) -> Device {
    Device {
        key: key(n),
        owner,
        maker: wallet(200),
        location,
        kind,
        status: DeviceStatus::Active,
    }
}

pub fn obs(timestamp: i64, nonce: u64, payload: Payload) -> Observation {
    Observation {
        timestamp,
        nonce,
        payload,
    }
}

pub fn heartbeat(location: Option<Location>) -> Payload {
    Payload::Heartbeat(Heartbeat { location })
}

pub fn speedtest(download_kbps: u32, upload_kbps: u32, latency_ms: u32) -> Payload {
    Payload::Speedtest(Speedtest {
        download_kbps,
        upload_kbps,
        latency_ms,
    })
}

pub fn beacon(beacon_id: u64) -> Payload {
    Payload::Beacon(Beacon {
        beacon_id,
        tx_power_ddbm: TX,
        frequency_khz: FREQ,
    })
}

pub fn witness(beaconer: Pubkey, beacon_id: u64, rssi_ddbm: i16) -> Payload {
    Payload::Witness(Box::new(Witness {
        beaconer,
        beacon_id,
        rssi_ddbm,
        frequency_khz: FREQ,
    }))
}

pub fn receipt(device: &Pubkey, job_id: u64, units: u64, customer: &SigningKey) -> Payload {
    Payload::JobReceipt(Box::new(JobReceipt::signed(
        device, job_id, units, customer,
    )))
}

/// One heartbeat in each of the 24 hours, nonces `base..base+24`.
pub fn full_day(base_nonce: u64, location: Option<Location>) -> Vec<Observation> {
    (0..24)
        .map(|h| {
            obs(
                START + h * 3600 + 60,
                base_nonce + h as u64,
                heartbeat(location),
            )
        })
        .collect()
}

/// A signed report.
pub fn signed(signer_n: u8, timestamp: i64, nonce: u64, payload: Payload) -> SignedReport {
    Report {
        device: key(signer_n),
        timestamp,
        nonce,
        payload,
    }
    .sign(&signer(signer_n))
}

/// The verifier test world (device numbers are signer seeds):
///
/// | n  | owner | place                  | kind         | status         |
/// |----|-------|------------------------|--------------|----------------|
/// | 1  | W1    | base                   | connectivity | active         | (the device under test)
/// | 2  | W2    | 0.045° north (~5 km)   | connectivity | active         |
/// | 3  | W2    | 0.0009° north (~88 m)  | connectivity | active         |
/// | 4  | W3    | 1.8° north (~200 km)   | connectivity | active         |
/// | 5  | W1    | 0.045° east (~4 km)    | connectivity | active         | (same owner as 1)
/// | 6  | W4    | 0.045° south (~5 km)   | connectivity | decommissioned |
/// | 7  | W5    | 0.09° north (~10 km)   | connectivity | active         |
/// | 8  | W6    | 0.09° south (~10 km)   | connectivity | active         |
/// | 20 | W7    | base                   | compute      | active         |
///
/// Devices 2..=8 each reported beacons 1, 2 and 3 (27 dBm EIRP, 915 MHz).
pub struct World {
    pub registry: Registry,
    pub beacons: BeaconIndex,
    pub params: ScoringParams,
    pub customers: Vec<Pubkey>,
}

pub const CUSTOMER: u8 = 30;
pub const STRANGER: u8 = 31;

impl World {
    pub fn new() -> Self {
        let c = DeviceKind::Connectivity;
        let mut decommissioned = device(6, wallet(4), cell(-0.045, 0.0), c);
        decommissioned.status = DeviceStatus::Decommissioned;
        let devices = vec![
            device(1, wallet(1), cell(0.0, 0.0), c),
            device(2, wallet(2), cell(0.045, 0.0), c),
            device(3, wallet(2), cell(0.0009, 0.0), c),
            device(4, wallet(3), cell(1.8, 0.0), c),
            device(5, wallet(1), cell(0.0, 0.045), c),
            decommissioned,
            device(7, wallet(5), cell(0.09, 0.0), c),
            device(8, wallet(6), cell(-0.09, 0.0), c),
            device(20, wallet(7), cell(0.0, 0.0), DeviceKind::Compute),
        ];
        let registry = Registry::new(devices).unwrap();
        let mut all = Vec::new();
        for n in [2u8, 3, 4, 5, 6, 7, 8] {
            let beacons: Vec<Observation> = (1..=3)
                .map(|id| obs(START + 100 * id as i64, 1000 + id, beacon(id)))
                .collect();
            BeaconIndex::collect(key(n), &beacons, &mut all);
        }
        Self {
            registry,
            beacons: BeaconIndex::new(all),
            params: ScoringParams::default(),
            customers: vec![key(CUSTOMER)],
        }
    }

    pub fn ctx(&self) -> Context<'_> {
        Context {
            window: window(),
            registry: &self.registry,
            beacons: &self.beacons,
            params: &self.params,
            customers: &self.customers,
        }
    }

    pub fn device(&self, n: u8) -> Device {
        *self.registry.get(&key(n)).unwrap().0
    }
}

/// The emission schedule of the epoch tests: 250,375 per epoch, no halving in sight. After the
/// `EpochWorld`'s previous totals (1,500 in all), epoch 3's budget is the emission of epochs
/// 0..=3 less them: 4 × 250,375 − 1,500 = 1,000,000 (emission 250,375, carried 749,625).
pub const EMISSION: HalvingSchedule = HalvingSchedule {
    initial_epoch_emission: 250_375,
    halving_interval_epochs: 1_000_000,
};

/// A params.json value for the CLI and epoch tests: epoch `epoch` under [`EMISSION`], after the
/// previous epochs gave out `previous` in total.
pub fn config(epoch: u64, previous: u64) -> EpochConfig {
    let b = depin_oracle::epoch::budget::derive(&EMISSION, epoch, previous).unwrap();
    EpochConfig {
        epoch,
        budget: b.budget,
        emission: b.emission,
        carried: b.carried,
        emission_schedule: EMISSION,
        window: window(),
        customers: vec![key(CUSTOMER)],
        scoring: ScoringParams::default(),
    }
}

/// A whole epoch's inputs: the `World` devices plus reports covering each situation.
pub struct EpochWorld {
    pub config: EpochConfig,
    pub devices: Vec<Device>,
    pub reports: Vec<SignedReport>,
    pub previous: Vec<(Pubkey, u64)>,
}

impl EpochWorld {
    pub fn new() -> Self {
        let world = World::new();
        let devices = world.registry.devices().to_vec();
        let mut reports = Vec::new();
        let mut add = |n: u8, o: Vec<Observation>| {
            for x in o {
                reports.push(signed(n, x.timestamp, x.nonce, x.payload));
            }
        };
        let t = START + 7200;
        // 1: full day, good speedtest, three valid witnesses and one implausible one.
        let mut o = full_day(0, None);
        o.push(obs(t, 100, speedtest(200_000, 20_000, 20)));
        o.push(obs(t, 101, witness(key(2), 1, -900)));
        o.push(obs(t, 102, witness(key(7), 1, -900)));
        o.push(obs(t, 103, witness(key(8), 2, -900)));
        o.push(obs(t, 104, witness(key(8), 3, -400)));
        add(1, o);
        // 2 and 7 and 8: full days, beacons; 2 has a degraded speedtest.
        for n in [2u8, 7, 8] {
            let mut o = full_day(0, None);
            o.extend((1..=3).map(|id| obs(START + 100 * id as i64, 1000 + id, beacon(id))));
            if n == 2 {
                o.push(obs(t, 100, speedtest(60_000, 6_000, 80)));
            }
            add(n, o);
        }
        // 3: half a day.
        add(3, full_day(0, None).into_iter().take(12).collect());
        // 4: offline (no reports). 5: GPS fix 5 km from its cell.
        add(5, full_day(0, Some(fix(0.045, 0.045))));
        // 6: decommissioned but still reporting.
        add(6, full_day(0, None));
        // 20: compute receipts (one from a stranger).
        let dev = key(20);
        add(
            20,
            vec![
                obs(t, 1, receipt(&dev, 1, 40_000, &signer(CUSTOMER))),
                obs(t, 2, receipt(&dev, 2, 2_000, &signer(CUSTOMER))),
                obs(t, 3, receipt(&dev, 3, 9_999, &signer(STRANGER))),
            ],
        );
        // 40: not registered.
        add(40, full_day(0, None));
        Self {
            config: config(3, 1_500),
            devices,
            reports,
            previous: vec![(wallet(1), 500), (wallet(9), 1000)],
        }
    }

    /// Re-derives the config's budget, emission and carried amount for its epoch after
    /// `previous` (as the epoch task would).
    pub fn rebudget(&mut self) {
        let previous = self.previous.iter().map(|p| p.1).sum();
        let b = depin_oracle::epoch::budget::derive(
            &self.config.emission_schedule,
            self.config.epoch,
            previous,
        )
        .unwrap();
        self.config.budget = b.budget;
        self.config.emission = b.emission;
        self.config.carried = b.carried;
    }

    pub fn registry_csv(&self) -> String {
        let mut s = String::from("device,owner,maker,location,kind,status\n");
        for d in &self.devices {
            s.push_str(&format!(
                "{},{},{},{:x},{},{}\n",
                d.key,
                d.owner,
                d.maker,
                d.location,
                d.kind.as_str(),
                d.status.as_str()
            ));
        }
        s
    }

    pub fn reports_jsonl(&self) -> String {
        self.reports
            .iter()
            .map(|r| r.to_json().unwrap() + "\n")
            .collect()
    }

    /// previous_wallets.csv with `previous` in its order (the previous epoch's leaf order).
    pub fn previous_wallets_csv(&self) -> String {
        let mut s = String::from("wallet,epoch_reward,previous_cumulative,cumulative\n");
        for &(w, c) in &self.previous {
            s.push_str(&format!("{w},0,{c},{c}\n"));
        }
        s
    }

    /// Writes the `epoch run` input directory.
    pub fn write_inputs(&self, dir: &std::path::Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join("params.json"),
            serde_json::to_string_pretty(&self.config).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.join("registry.csv"), self.registry_csv()).unwrap();
        std::fs::write(dir.join("reports.jsonl"), self.reports_jsonl()).unwrap();
        std::fs::write(
            dir.join("previous_wallets.csv"),
            self.previous_wallets_csv(),
        )
        .unwrap();
    }
}
