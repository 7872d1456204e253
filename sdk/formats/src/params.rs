//! `params.json`, what one epoch is run with, and the parameters `manifest.json` embeds: the
//! epoch's budget (its emission and what earlier epochs carried over, under the emission
//! schedule), window, the allowed customers and every scoring threshold. Plain data and the
//! checks that make a parameter set valid; the scoring and the budget's derivation are the
//! oracle's.

use serde::{Deserialize, Serialize};

use crate::keys::Pubkey;

/// What one epoch is run with, besides the registry, the reports and the previous totals.
/// This is the `params.json` input file.
///
/// The budget is what the rewards program lets the epoch's root give out: the emission of
/// epochs `0..=epoch` less what the previous epochs gave out (the previous epoch's Σ
/// cumulative). So `budget = emission + carried`, where `carried` is the emission of earlier
/// epochs that no device earned (an epoch without earnings distributes nothing, and its
/// emission goes to the next epoch in which someone earns). The engine and `epoch verify`
/// re-derive all three from `emission_schedule` and the previous totals, and refuse a mismatch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochConfig {
    pub epoch: u64,
    /// Tokens to distribute, base units: `emission + carried`.
    pub budget: u64,
    /// This epoch's emission under `emission_schedule`, base units.
    pub emission: u64,
    /// The emission of epochs `0..epoch` not given out by the previous epochs: that emission
    /// less the previous epoch's Σ cumulative (0 for epoch 0), base units.
    pub carried: u64,
    /// The network's emission schedule (the rewards program's `Network.emission`; its start and
    /// epoch length are the window's).
    pub emission_schedule: HalvingSchedule,
    pub window: EpochWindow,
    /// Customers whose job receipts count (any order; sorted by the engine).
    #[serde(default)]
    pub customers: Vec<Pubkey>,
    /// Scoring parameters; [`ScoringParams::default`] when absent.
    #[serde(default)]
    pub scoring: ScoringParams,
}

/// The amounts of the network's emission schedule: epoch `e` emits
/// `initial_epoch_emission >> (e / halving_interval_epochs)` (zero after 64 halvings). The same
/// two numbers as the rewards program's `EmissionParams`, whose math (`rewards::math::emission`)
/// is the one the oracle uses; the schedule's start and epoch length are the epoch window's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HalvingSchedule {
    /// Emission of each epoch before the first halving, base units (> 0).
    pub initial_epoch_emission: u64,
    /// The emission halves every this many epochs (> 0).
    pub halving_interval_epochs: u64,
}

/// Seconds per uptime slot on a production network: an hour.
pub const HOUR_SECONDS: i64 = 3600;

fn default_slot_secs() -> i64 {
    HOUR_SECONDS
}

fn is_an_hour(secs: &i64) -> bool {
    *secs == HOUR_SECONDS
}

/// The epoch's time window, `[start, end)` in unix seconds, a whole number of uptime slots.
///
/// A device's uptime is the number of slots with at least one heartbeat. A slot is an hour
/// (the default, and what `params.json` means when it does not say); a short-epoch network,
/// such as the one-minute epochs of the local demo, uses shorter slots so that an epoch still
/// has several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochWindow {
    pub start: i64,
    pub end: i64,
    /// Length of an uptime slot in seconds; omitted from JSON when it is an hour.
    #[serde(default = "default_slot_secs", skip_serializing_if = "is_an_hour")]
    pub slot_secs: i64,
}

/// A window that is empty or not a whole number of slots.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid epoch window [{start}, {end}): must be non-empty and a whole number of {slot_secs} s \
     uptime slots"
)]
pub struct WindowError {
    pub start: i64,
    pub end: i64,
    pub slot_secs: i64,
}

impl EpochWindow {
    /// A window of hour slots.
    ///
    /// # Errors
    ///
    /// [`WindowError`] unless `start < end` and `end - start` is a whole number of hours.
    pub fn new(start: i64, end: i64) -> Result<Self, WindowError> {
        Self::with_slots(start, end, HOUR_SECONDS)
    }

    /// A window of `slot_secs` slots.
    ///
    /// # Errors
    ///
    /// [`WindowError`] unless `slot_secs > 0`, `start < end` and `end - start` is a multiple of
    /// `slot_secs`.
    pub fn with_slots(start: i64, end: i64, slot_secs: i64) -> Result<Self, WindowError> {
        let w = Self {
            start,
            end,
            slot_secs,
        };
        w.validate()?;
        Ok(w)
    }

    /// # Errors
    ///
    /// See [`EpochWindow::with_slots`].
    pub fn validate(&self) -> Result<(), WindowError> {
        let err = WindowError {
            start: self.start,
            end: self.end,
            slot_secs: self.slot_secs,
        };
        let len = self.end.checked_sub(self.start).ok_or(err.clone())?;
        if self.slot_secs <= 0 || len <= 0 || len % self.slot_secs != 0 {
            return Err(err);
        }
        Ok(())
    }

    /// Whether `timestamp` is inside the window.
    #[must_use]
    pub const fn contains(&self, timestamp: i64) -> bool {
        self.start <= timestamp && timestamp < self.end
    }

    /// The slot of the epoch `timestamp` falls in (0-based), if inside the window.
    #[must_use]
    pub fn hour_of(&self, timestamp: i64) -> Option<u64> {
        if !self.contains(timestamp) || self.slot_secs <= 0 {
            return None;
        }
        u64::try_from(timestamp.checked_sub(self.start)? / self.slot_secs).ok()
    }

    /// Number of slots in the window.
    #[must_use]
    pub fn hours(&self) -> u64 {
        if self.slot_secs <= 0 {
            return 0;
        }
        self.end
            .checked_sub(self.start)
            .and_then(|l| u64::try_from(l / self.slot_secs).ok())
            .unwrap_or(0)
    }
}

/// The basis-point denominator: 10_000 bps = 1.0.
pub const BPS_DENOM: u64 = 10_000;

/// A multiplier in basis points, `0..=10_000` (validated where parameters are loaded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bps(pub u16);

impl Bps {
    /// 1.0.
    pub const ONE: Self = Self(10_000);
    /// 0.
    pub const ZERO: Self = Self(0);

    /// `floor(x * bps / 10_000)` (rounds against the device).
    #[must_use]
    pub fn apply(self, x: u128) -> u128 {
        x.saturating_mul(u128::from(self.0)) / u128::from(BPS_DENOM)
    }

    /// Whether the value is at most 1.0.
    #[must_use]
    pub const fn is_valid(self) -> bool {
        self.0 <= 10_000
    }
}

/// Minimum quality of one speedtest tier: a test is in the tier if it meets all three bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeedtestTier {
    pub min_download_kbps: u32,
    pub min_upload_kbps: u32,
    pub max_latency_ms: u32,
    /// The multiplier a test in this tier contributes.
    pub multiplier: Bps,
}

/// The scoring parameters. All integers; multipliers in basis points. The defaults are listed
/// in `docs/transparency.md` and are what `ScoringParams::default()` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringParams {
    // --- connectivity: uptime ---
    /// Points per distinct epoch hour with at least one heartbeat. Default 1000.
    pub points_per_uptime_hour: u64,

    // --- connectivity: speedtests (tiers checked best first; below `poor` = fail) ---
    /// Default: >= 100 Mbps down, >= 10 Mbps up, <= 50 ms; x1.0.
    pub speedtest_acceptable: SpeedtestTier,
    /// Default: >= 50 Mbps down, >= 5 Mbps up, <= 100 ms; x0.5.
    pub speedtest_degraded: SpeedtestTier,
    /// Default: >= 25 Mbps down, >= 2 Mbps up, <= 200 ms; x0.25.
    pub speedtest_poor: SpeedtestTier,
    /// Multiplier of a test below every tier. Default 0.
    pub speedtest_fail_multiplier: Bps,
    /// Multiplier when the device ran no speedtest in the epoch. Default 0.5.
    pub no_speedtest_multiplier: Bps,

    // --- connectivity: location trust ---
    /// Median distance (reported fix to asserted cell centre) up to which trust is full.
    /// Default 200 m.
    pub location_full_trust_max_m: u64,
    /// Up to this distance trust is partial; beyond it the location is a mismatch.
    /// Default 1000 m.
    pub location_partial_trust_max_m: u64,
    /// Default 0.5.
    pub location_partial_trust_multiplier: Bps,
    /// Default 0.
    pub location_mismatch_multiplier: Bps,
    /// With no position fix, this many valid witnesses corroborate the asserted cell (full
    /// trust). Default 3.
    pub location_min_witnesses: u64,
    /// No fix and too few valid witnesses. Default 0.75.
    pub location_unverified_multiplier: Bps,

    // --- connectivity: witnesses (proof of coverage) ---
    /// Points per valid witness. Default 100.
    pub points_per_witness: u64,
    /// Valid witnesses counted per device per epoch. Default 20.
    pub max_witnesses: u64,
    /// Minimum distance between the asserted cells of witness and beaconer. Default 300 m.
    pub witness_min_distance_m: u64,
    /// Maximum distance between them. Default 100 km.
    pub witness_max_distance_m: u64,
    /// Allowance above the free-space bound `tx_power - FSPL` (antenna gains, fading), deci-dB.
    /// Default 100 (10 dB).
    pub witness_rssi_margin_ddb: i64,

    // --- compute ---
    /// Points per unit of work in a valid job receipt. Default 1.
    pub points_per_compute_unit: u64,
    /// Units counted per device per epoch. Default 1_000_000_000.
    pub max_compute_units: u64,
}

impl Default for ScoringParams {
    fn default() -> Self {
        Self {
            points_per_uptime_hour: 1000,
            speedtest_acceptable: SpeedtestTier {
                min_download_kbps: 100_000,
                min_upload_kbps: 10_000,
                max_latency_ms: 50,
                multiplier: Bps(10_000),
            },
            speedtest_degraded: SpeedtestTier {
                min_download_kbps: 50_000,
                min_upload_kbps: 5_000,
                max_latency_ms: 100,
                multiplier: Bps(5_000),
            },
            speedtest_poor: SpeedtestTier {
                min_download_kbps: 25_000,
                min_upload_kbps: 2_000,
                max_latency_ms: 200,
                multiplier: Bps(2_500),
            },
            speedtest_fail_multiplier: Bps(0),
            no_speedtest_multiplier: Bps(5_000),
            location_full_trust_max_m: 200,
            location_partial_trust_max_m: 1000,
            location_partial_trust_multiplier: Bps(5_000),
            location_mismatch_multiplier: Bps(0),
            location_min_witnesses: 3,
            location_unverified_multiplier: Bps(7_500),
            points_per_witness: 100,
            max_witnesses: 20,
            witness_min_distance_m: 300,
            witness_max_distance_m: 100_000,
            witness_rssi_margin_ddb: 100,
            points_per_compute_unit: 1,
            max_compute_units: 1_000_000_000,
        }
    }
}

/// An inconsistent parameter set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scoring parameters: {0}")]
pub struct ParamsError(pub &'static str);

impl ScoringParams {
    /// Checks multipliers are at most 1.0 and ranges are ordered.
    ///
    /// # Errors
    ///
    /// [`ParamsError`] naming the first inconsistency.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let multipliers = [
            self.speedtest_acceptable.multiplier,
            self.speedtest_degraded.multiplier,
            self.speedtest_poor.multiplier,
            self.speedtest_fail_multiplier,
            self.no_speedtest_multiplier,
            self.location_partial_trust_multiplier,
            self.location_mismatch_multiplier,
            self.location_unverified_multiplier,
        ];
        if !multipliers.iter().all(|m| m.is_valid()) {
            return Err(ParamsError("a multiplier is above 10000 bps"));
        }
        if self.location_full_trust_max_m > self.location_partial_trust_max_m {
            return Err(ParamsError(
                "location_full_trust_max_m exceeds location_partial_trust_max_m",
            ));
        }
        if self.witness_min_distance_m > self.witness_max_distance_m {
            return Err(ParamsError(
                "witness_min_distance_m exceeds witness_max_distance_m",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bps_apply_floors() {
        assert_eq!(Bps(5000).apply(3), 1);
        assert_eq!(Bps::ONE.apply(7), 7);
        assert_eq!(Bps::ZERO.apply(7), 0);
        assert!(!Bps(10_001).is_valid());
    }
}
