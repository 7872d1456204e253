//! Every scoring threshold, in one struct, serialized into each epoch's manifest.

use serde::{Deserialize, Serialize};

use crate::math::Bps;

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
