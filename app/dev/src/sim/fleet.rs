//! The simulated fleet: owners, devices with real ed25519 keys at distinct H3 cells, and the
//! faults a real network sees. Everything is derived from one seed, so a run is repeatable.
//!
//! The device side is the device agent's own code (`depin_agent::make::Maker`): each device
//! signs its reports with the agent's report maker, its nonces counted in memory
//! (`depin_agent::nonce::Counter`); the epochs phase sends them with the agent's uplink. What
//! is simulated here is only what a device measures and its faults.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use depin_agent::make::Maker;
use depin_agent::nonce::Counter;
use depin_client::solana_keypair::Keypair;
use depin_formats::keys::{Pubkey, pubkey_of};
use depin_formats::report::{
    Beacon, Heartbeat, Location, Payload, SignedReport, Speedtest, Witness,
};
use ed25519_dalek::SigningKey;
use h3o::{LatLng, Resolution};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What is wrong with a device, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Healthy,
    /// Silent for `slots` uptime slots from slot `from` of every epoch (a power cut, a
    /// router reboot): fewer uptime slots, `uptime_partial`.
    Offline {
        from: u64,
        slots: u64,
    },
    /// Loses each report with probability 3/10 (a flaky uplink).
    Flaky,
    /// Its GPS fixes are 40 km from the cell it asserted (`location_mismatch`).
    Spoofer,
    /// Beacons and then witnesses its own beacon (`self_witness`).
    SelfWitness,
    /// Runs speed tests below the poorest tier (`speedtest_fail`).
    SlowBackhaul,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Offline { .. } => "offline for part of each epoch",
            Self::Flaky => "flaky uplink",
            Self::Spoofer => "spoofed location",
            Self::SelfWitness => "witnesses itself",
            Self::SlowBackhaul => "slow backhaul",
        }
    }
}

pub struct Owner {
    pub keypair: Keypair,
    /// Indices into [`Fleet::devices`].
    pub devices: Vec<usize>,
}

pub struct Device {
    pub keypair: Keypair,
    /// The device key, as its reports name it.
    key: Pubkey,
    /// The agent's report maker: the device key and its nonces.
    maker: Maker<Counter>,
    pub owner: usize,
    /// The asserted H3 cell (resolution 9).
    pub cell: u64,
    centre: Location,
    pub fault: Fault,
}

pub struct Fleet {
    pub owners: Vec<Owner>,
    pub devices: Vec<Device>,
    rng: StdRng,
}

fn keypair(rng: &mut StdRng) -> Keypair {
    let mut seed = [0u8; 32];
    rng.fill(&mut seed);
    Keypair::new_from_array(seed)
}

fn e7(degrees: f64) -> i32 {
    // Degrees are within ±180, so the product is within i32.
    #[allow(clippy::cast_possible_truncation)]
    let v = (degrees * 1e7).round() as i32;
    v
}

impl Fleet {
    /// `devices` devices shared out in consecutive blocks among `owners` owners, on a grid of cells about 550 m
    /// apart around San Francisco. One device in 20 goes offline for two of the five slots of each epoch, one
    /// in 10 has a flaky uplink, one in 50 spoofs its location, one in 25 has a slow backhaul,
    /// and device 1 witnesses itself.
    pub fn new(devices: usize, owners: usize, seed: u64) -> Result<Self> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut fleet_owners: Vec<Owner> = (0..owners)
            .map(|_| Owner {
                keypair: keypair(&mut rng),
                devices: Vec::new(),
            })
            .collect();
        let mut fleet_devices = Vec::with_capacity(devices);
        for i in 0..devices {
            let kp = keypair(&mut rng);
            let signer = SigningKey::from_bytes(kp.secret_bytes());
            let row = u32::try_from(i / 40).context("too many devices")?;
            let col = u32::try_from(i % 40).context("too many devices")?;
            let at = LatLng::new(
                37.70 + f64::from(row) * 0.005,
                -122.52 + f64::from(col) * 0.005,
            )
            .context("grid point out of range")?;
            let cell = at.to_cell(Resolution::Nine);
            let centre = LatLng::from(cell);
            let fault = match i {
                1 => Fault::SelfWitness,
                _ if i % 20 == 3 => Fault::Offline {
                    from: rng.gen_range(0..3),
                    slots: 2,
                },
                _ if i % 10 == 5 => Fault::Flaky,
                _ if i % 50 == 7 => Fault::Spoofer,
                _ if i % 25 == 9 => Fault::SlowBackhaul,
                _ => Fault::Healthy,
            };
            // Owners hold consecutive devices, so an owner's devices have mixed fortunes.
            let owner = i * owners / devices;
            fleet_owners[owner].devices.push(i);
            let key = pubkey_of(&signer);
            fleet_devices.push(Device {
                keypair: kp,
                key,
                maker: Maker::new(signer, Counter(rng.gen_range(1..1 << 40))),
                owner,
                cell: u64::from(cell),
                centre: Location {
                    lat_e7: e7(centre.lat()),
                    lon_e7: e7(centre.lng()),
                },
                fault,
            });
        }
        Ok(Self {
            owners: fleet_owners,
            devices: fleet_devices,
            rng,
        })
    }

    /// Devices by fault.
    pub fn faults(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for d in &self.devices {
            *m.entry(d.fault.name()).or_insert(0) += 1;
        }
        m
    }

    /// The reports of uptime slot `slot_in_epoch` of epoch `epoch`, made at `now`: a heartbeat
    /// from every device that is up (with a position fix), and with `opening` (the first slot a
    /// device reports in an epoch) a speed test, plus device 1's beacon and its witness of that
    /// beacon.
    pub fn reports(
        &mut self,
        epoch: u64,
        slot_in_epoch: u64,
        now: i64,
        opening: bool,
    ) -> Result<Vec<SignedReport>> {
        let mut out = Vec::with_capacity(self.devices.len() + 8);
        for d in &mut self.devices {
            let up = match d.fault {
                Fault::Offline { from, slots } => !(from..from + slots).contains(&slot_in_epoch),
                Fault::Flaky => self.rng.gen_range(0..10) >= 3,
                _ => true,
            };
            if !up {
                continue;
            }
            let fix = if d.fault == Fault::Spoofer {
                Location {
                    lat_e7: d.centre.lat_e7 + 3_600_000,
                    lon_e7: d.centre.lon_e7,
                }
            } else {
                d.centre
            };
            let mut payloads = vec![Payload::Heartbeat(Heartbeat {
                location: Some(fix),
            })];
            if opening {
                payloads.push(Payload::Speedtest(if d.fault == Fault::SlowBackhaul {
                    Speedtest {
                        download_kbps: 8_000,
                        upload_kbps: 1_000,
                        latency_ms: 120,
                    }
                } else {
                    Speedtest {
                        download_kbps: 250_000,
                        upload_kbps: 50_000,
                        latency_ms: 20,
                    }
                }));
                if d.fault == Fault::SelfWitness {
                    let me = d.key;
                    payloads.push(Payload::Beacon(Beacon {
                        beacon_id: epoch,
                        tx_power_ddbm: 270,
                        frequency_khz: 915_000,
                    }));
                    payloads.push(Payload::Witness(Box::new(Witness {
                        beaconer: me,
                        beacon_id: epoch,
                        rssi_ddbm: -600,
                        frequency_khz: 915_000,
                    })));
                }
            }
            for payload in payloads {
                out.push(d.maker.make(payload, now)?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use depin_client::solana_pubkey::Pubkey;
    use depin_client::solana_signer::Signer;

    use super::*;

    #[test]
    fn a_seed_makes_the_same_fleet_and_cells_are_distinct() {
        let a = Fleet::new(120, 30, 7).unwrap_or_else(|e| unreachable!("{e}"));
        let b = Fleet::new(120, 30, 7).unwrap_or_else(|e| unreachable!("{e}"));
        let keys =
            |f: &Fleet| -> Vec<Pubkey> { f.devices.iter().map(|d| d.keypair.pubkey()).collect() };
        assert_eq!(keys(&a), keys(&b));
        let mut cells: Vec<u64> = a.devices.iter().map(|d| d.cell).collect();
        cells.sort_unstable();
        cells.dedup();
        assert_eq!(cells.len(), 120);
        assert_eq!(a.owners.iter().map(|o| o.devices.len()).sum::<usize>(), 120);
        let faults = a.faults();
        assert_eq!(faults["witnesses itself"], 1);
        assert_eq!(faults["offline for part of each epoch"], 6);
        assert_eq!(faults["flaky uplink"], 12);
        assert_eq!(faults["spoofed location"], 3);
        assert_eq!(faults["slow backhaul"], 5);
    }

    #[test]
    fn offline_devices_skip_their_slots_and_every_report_verifies() {
        let mut f = Fleet::new(40, 10, 1).unwrap_or_else(|e| unreachable!("{e}"));
        let first = f
            .reports(0, 0, 1_000, true)
            .unwrap_or_else(|e| unreachable!("{e}"));
        // Every device is up in some slot; in slot 0 each sends a heartbeat and a speed test,
        // device 1 also a beacon and a witness; the offline device (3) is down in its window.
        assert!(first.iter().all(|r| r.verify().is_ok()));
        let Fault::Offline { from, .. } = f.devices[3].fault else {
            unreachable!("device 3 is the offline one")
        };
        let in_window = f
            .reports(0, from, 1_005, false)
            .unwrap_or_else(|e| unreachable!("{e}"));
        let d3 = f.devices[3].key;
        assert!(in_window.iter().all(|r| r.report.device != d3));
    }
}
