//! The connectivity verifier (hotspots): uptime from heartbeats, speedtest tiers, location
//! trust and witness proof-of-coverage.
//!
//! ```text
//! base  = uptime_hours * points_per_uptime_hour + min(valid_witnesses, max_witnesses) * points_per_witness
//! score = floor(base * speed_multiplier_bps * location_multiplier_bps / 10_000^2)     (u128)
//! ```
//!
//! * uptime_hours: distinct uptime slots of the epoch with at least one heartbeat (a slot is an
//!   hour unless the window says otherwise: `EpochWindow::slot_secs`; 0 slots: score 0,
//!   `no_heartbeats`; each missing slot: `uptime_partial`).
//! * speed multiplier: the floor of the mean of the tier multipliers of the epoch's speedtests
//!   (`no_speedtest` uses `no_speedtest_multiplier`).
//! * location multiplier: from the lower median distance between the heartbeats' position fixes
//!   and the asserted cell centre; with no fix, full if at least `location_min_witnesses`
//!   witnesses passed the geometry checks (the witness geometry corroborates the cell), else
//!   `location_unverified`.
//! * a witness is valid if: not of its own beacon (`self_witness`) nor of a device of the same
//!   owner (`same_owner_witness`); the beaconer is registered (`witness_unknown_beaconer`) and
//!   active (`witness_beaconer_inactive`) and reported that beacon (`witness_unknown_beacon`);
//!   not a repeat of an accepted witness (`witness_duplicate`); heard on the beacon's frequency
//!   (`witness_frequency_mismatch`); the asserted cells are between the minimum and maximum
//!   distance apart (`witness_too_close`, `witness_too_far`); and the RSSI is at most
//!   `tx_power - FSPL(distance, frequency) + margin` (`witness_rssi_implausible`).

use std::collections::BTreeSet;

use depin_formats::keys::Pubkey;
use depin_formats::params::{BPS_DENOM, Bps, ScoringParams, SpeedtestTier};
use depin_formats::reasons::{Reason, Reasons};
use depin_formats::report::{Payload, Speedtest, Witness};

use super::math::fspl_ddb;
use depin_formats::count_u64;

use super::{Context, Observation, Verdict, Verifier};
use crate::registry::{Device, DeviceKind, DeviceStatus, distance_m, latlng_of};

/// Scores hotspots. See the module documentation for the formula.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnectivityVerifier;

/// The tier multiplier of one speedtest and the discount reason, if any.
#[must_use]
pub fn speedtest_tier(p: &ScoringParams, s: &Speedtest) -> (Bps, Option<Reason>) {
    let meets = |t: &SpeedtestTier| {
        s.download_kbps >= t.min_download_kbps
            && s.upload_kbps >= t.min_upload_kbps
            && s.latency_ms <= t.max_latency_ms
    };
    if meets(&p.speedtest_acceptable) {
        (p.speedtest_acceptable.multiplier, None)
    } else if meets(&p.speedtest_degraded) {
        (
            p.speedtest_degraded.multiplier,
            Some(Reason::SpeedtestDegraded),
        )
    } else if meets(&p.speedtest_poor) {
        (p.speedtest_poor.multiplier, Some(Reason::SpeedtestPoor))
    } else {
        (p.speedtest_fail_multiplier, Some(Reason::SpeedtestFail))
    }
}

/// Checks one witness by `device` (whose asserted cell centre is `own_center`), given the
/// witnesses already accepted. `Ok` means valid.
///
/// # Errors
///
/// The rejection reason.
pub fn check_witness(
    device: &Device,
    own_center: h3o::LatLng,
    w: &Witness,
    accepted: &BTreeSet<(Pubkey, u64)>,
    ctx: &Context<'_>,
) -> Result<(), Reason> {
    let p = ctx.params;
    if w.beaconer == device.key {
        return Err(Reason::SelfWitness);
    }
    let (beaconer, beaconer_center) = ctx
        .registry
        .get(&w.beaconer)
        .ok_or(Reason::WitnessUnknownBeaconer)?;
    if beaconer.owner == device.owner {
        return Err(Reason::SameOwnerWitness);
    }
    if beaconer.status != DeviceStatus::Active {
        return Err(Reason::WitnessBeaconerInactive);
    }
    let beacon = ctx
        .beacons
        .get(&w.beaconer, w.beacon_id)
        .ok_or(Reason::WitnessUnknownBeacon)?;
    if accepted.contains(&(w.beaconer, w.beacon_id)) {
        return Err(Reason::WitnessDuplicate);
    }
    if beacon.frequency_khz != w.frequency_khz {
        return Err(Reason::WitnessFrequencyMismatch);
    }
    let distance = distance_m(own_center, beaconer_center);
    if distance < p.witness_min_distance_m {
        return Err(Reason::WitnessTooClose);
    }
    if distance > p.witness_max_distance_m {
        return Err(Reason::WitnessTooFar);
    }
    let fspl = fspl_ddb(distance, w.frequency_khz).ok_or(Reason::WitnessRssiImplausible)?;
    let max_rssi = i64::from(beacon.tx_power_ddbm)
        .saturating_sub(fspl)
        .saturating_add(p.witness_rssi_margin_ddb);
    if i64::from(w.rssi_ddbm) > max_rssi {
        return Err(Reason::WitnessRssiImplausible);
    }
    Ok(())
}

impl Verifier for ConnectivityVerifier {
    fn kind(&self) -> DeviceKind {
        DeviceKind::Connectivity
    }

    fn verify(&self, device: &Device, observations: &[Observation], ctx: &Context<'_>) -> Verdict {
        let p = ctx.params;
        let mut reasons = Reasons::default();
        let own_center = ctx.registry.get(&device.key).map(|(_, c)| c);
        let mut hours: Vec<u64> = Vec::new();
        let mut fixes: Vec<u64> = Vec::new();
        let mut speed_sum: u64 = 0;
        let mut speed_tests: u64 = 0;
        let mut accepted: BTreeSet<(Pubkey, u64)> = BTreeSet::new();

        for o in observations {
            match &o.payload {
                Payload::Heartbeat(h) => {
                    if let Some(hour) = ctx.window.hour_of(o.timestamp) {
                        hours.push(hour);
                    }
                    if let (Some(fix), Some(center)) = (h.location.and_then(latlng_of), own_center)
                    {
                        fixes.push(distance_m(fix, center));
                    }
                }
                Payload::Speedtest(s) => {
                    let (multiplier, reason) = speedtest_tier(p, s);
                    speed_sum = speed_sum.saturating_add(u64::from(multiplier.0));
                    speed_tests = speed_tests.saturating_add(1);
                    if let Some(r) = reason {
                        reasons.push(r);
                    }
                }
                // Beacons earn nothing themselves; they are what witnesses are checked against.
                Payload::Beacon(_) => {}
                Payload::Witness(w) => {
                    let checked = match own_center {
                        Some(center) => check_witness(device, center, w, &accepted, ctx),
                        None => Err(Reason::WitnessUnknownBeaconer),
                    };
                    match checked {
                        Ok(()) => {
                            accepted.insert((w.beaconer, w.beacon_id));
                        }
                        Err(r) => reasons.push(r),
                    }
                }
                Payload::JobReceipt(_) => reasons.push(Reason::UnexpectedReport),
            }
        }

        hours.sort_unstable();
        hours.dedup();
        let uptime_hours = count_u64(hours.len());
        if uptime_hours == 0 {
            reasons.push(Reason::NoHeartbeats);
            return Verdict { score: 0, reasons };
        }
        reasons.add(
            Reason::UptimePartial,
            ctx.window.hours().saturating_sub(uptime_hours),
        );

        let speed = match speed_sum.checked_div(speed_tests) {
            Some(mean) => Bps(u16::try_from(mean).unwrap_or(u16::MAX)),
            None => {
                reasons.push(Reason::NoSpeedtest);
                p.no_speedtest_multiplier
            }
        };

        let valid_witnesses = count_u64(accepted.len());
        let counted_witnesses = valid_witnesses.min(p.max_witnesses);
        reasons.add(Reason::WitnessOverCap, valid_witnesses - counted_witnesses);

        let location = if fixes.is_empty() {
            if valid_witnesses >= p.location_min_witnesses {
                Bps::ONE
            } else {
                reasons.push(Reason::LocationUnverified);
                p.location_unverified_multiplier
            }
        } else {
            fixes.sort_unstable();
            let median = fixes
                .get((fixes.len() - 1) / 2)
                .copied()
                .unwrap_or(u64::MAX);
            if median <= p.location_full_trust_max_m {
                Bps::ONE
            } else if median <= p.location_partial_trust_max_m {
                reasons.push(Reason::LocationPartialTrust);
                p.location_partial_trust_multiplier
            } else {
                reasons.push(Reason::LocationMismatch);
                p.location_mismatch_multiplier
            }
        };

        let base = u128::from(uptime_hours)
            .saturating_mul(u128::from(p.points_per_uptime_hour))
            .saturating_add(
                u128::from(counted_witnesses).saturating_mul(u128::from(p.points_per_witness)),
            );
        let scaled = base
            .saturating_mul(u128::from(speed.0))
            .saturating_mul(u128::from(location.0))
            / u128::from(BPS_DENOM * BPS_DENOM);
        Verdict {
            score: u64::try_from(scaled).unwrap_or(u64::MAX),
            reasons,
        }
    }
}
