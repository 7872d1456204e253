//! Proof-of-work verifiers: each turns one device's reports for the epoch into an integer score
//! and the reasons for every rejection or discount.
//!
//! ```text
//!   registry entry ─┐
//!   observations ───┼──> Verifier::verify ──> Verdict { score, reasons }
//!   Context ────────┘     (connectivity | compute, chosen by the device's kind)
//!   (window, registry, beacons, params, customers)
//! ```
//!
//! Verifiers are pure functions of their inputs: no clock, no I/O, no floating point in any
//! score (distances are rounded to meters as they leave h3o, see [`registry::distance_m`]).

pub mod compute;
pub mod connectivity;
pub mod params;
pub mod registry;

use serde::{Deserialize, Serialize};

use crate::keys::Pubkey;
use crate::report::{Beacon, Payload, Report};

pub use compute::ComputeVerifier;
pub use connectivity::ConnectivityVerifier;
pub use params::{ScoringParams, SpeedtestTier};
pub use registry::{Device, DeviceKind, DeviceStatus, Registry};

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

/// A verified report without its device key (the key is the group it is stored under).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Observation {
    pub timestamp: i64,
    pub nonce: u64,
    pub payload: Payload,
}

impl From<Report> for Observation {
    fn from(r: Report) -> Self {
        Self {
            timestamp: r.timestamp,
            nonce: r.nonce,
            payload: r.payload,
        }
    }
}

/// Why a device earned less. The string of each is stable (it is in devices.csv).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    // Shared (applied before any verifier).
    DeviceDecommissioned,
    ReportOutsideEpoch,
    DuplicateNonce,
    UnexpectedReport,
    // Connectivity: uptime and speed.
    NoHeartbeats,
    UptimePartial,
    NoSpeedtest,
    SpeedtestDegraded,
    SpeedtestPoor,
    SpeedtestFail,
    // Connectivity: location.
    LocationPartialTrust,
    LocationMismatch,
    LocationUnverified,
    // Connectivity: witnesses.
    WitnessUnknownBeaconer,
    WitnessBeaconerInactive,
    SelfWitness,
    SameOwnerWitness,
    WitnessUnknownBeacon,
    WitnessFrequencyMismatch,
    WitnessTooClose,
    WitnessTooFar,
    WitnessRssiImplausible,
    WitnessDuplicate,
    WitnessOverCap,
    // Compute.
    NoJobReceipts,
    ReceiptZeroUnits,
    ReceiptUnknownCustomer,
    ReceiptBadSignature,
    ReceiptDuplicate,
    ReceiptUnitsCapped,
}

impl Reason {
    /// The stable code written to devices.csv.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::DeviceDecommissioned => "device_decommissioned",
            Self::ReportOutsideEpoch => "report_outside_epoch",
            Self::DuplicateNonce => "duplicate_nonce",
            Self::UnexpectedReport => "unexpected_report",
            Self::NoHeartbeats => "no_heartbeats",
            Self::UptimePartial => "uptime_partial",
            Self::NoSpeedtest => "no_speedtest",
            Self::SpeedtestDegraded => "speedtest_degraded",
            Self::SpeedtestPoor => "speedtest_poor",
            Self::SpeedtestFail => "speedtest_fail",
            Self::LocationPartialTrust => "location_partial_trust",
            Self::LocationMismatch => "location_mismatch",
            Self::LocationUnverified => "location_unverified",
            Self::WitnessUnknownBeaconer => "witness_unknown_beaconer",
            Self::WitnessBeaconerInactive => "witness_beaconer_inactive",
            Self::SelfWitness => "self_witness",
            Self::SameOwnerWitness => "same_owner_witness",
            Self::WitnessUnknownBeacon => "witness_unknown_beacon",
            Self::WitnessFrequencyMismatch => "witness_frequency_mismatch",
            Self::WitnessTooClose => "witness_too_close",
            Self::WitnessTooFar => "witness_too_far",
            Self::WitnessRssiImplausible => "witness_rssi_implausible",
            Self::WitnessDuplicate => "witness_duplicate",
            Self::WitnessOverCap => "witness_over_cap",
            Self::NoJobReceipts => "no_job_receipts",
            Self::ReceiptZeroUnits => "receipt_zero_units",
            Self::ReceiptUnknownCustomer => "receipt_unknown_customer",
            Self::ReceiptBadSignature => "receipt_bad_signature",
            Self::ReceiptDuplicate => "receipt_duplicate",
            Self::ReceiptUnitsCapped => "receipt_units_capped",
        }
    }
}

/// Reasons with a count each (how many reports, hours or units they concern), kept sorted by
/// code. A small vector: most devices have zero to three.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reasons(Vec<(Reason, u64)>);

impl Reasons {
    /// Adds `count` occurrences of `reason` (a zero count records nothing).
    pub fn add(&mut self, reason: Reason, count: u64) {
        if count == 0 {
            return;
        }
        match self
            .0
            .binary_search_by(|(r, _)| r.code().cmp(reason.code()))
        {
            Ok(i) => {
                if let Some((_, c)) = self.0.get_mut(i) {
                    *c = c.saturating_add(count);
                }
            }
            Err(i) => self.0.insert(i, (reason, count)),
        }
    }

    /// Adds one occurrence.
    pub fn push(&mut self, reason: Reason) {
        self.add(reason, 1);
    }

    /// Merges `other` in.
    pub fn extend(&mut self, other: &Self) {
        for (r, c) in &other.0 {
            self.add(*r, *c);
        }
    }

    /// `(reason, count)` sorted by code.
    #[must_use]
    pub fn entries(&self) -> &[(Reason, u64)] {
        &self.0
    }

    /// The count for `reason` (0 if absent).
    #[must_use]
    pub fn count(&self, reason: Reason) -> u64 {
        self.0
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(0, |(_, c)| *c)
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The devices.csv form: `code:count` joined by `;`, sorted by code; empty for none.
    #[must_use]
    pub fn render(&self) -> String {
        let mut s = String::new();
        for (i, (r, c)) in self.0.iter().enumerate() {
            if i > 0 {
                s.push(';');
            }
            s.push_str(r.code());
            s.push(':');
            s.push_str(&c.to_string());
        }
        s
    }
}

/// A verifier's result for one device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub score: u64,
    pub reasons: Reasons,
}

/// What a beaconer reported about one beacon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BeaconInfo {
    pub timestamp: i64,
    pub tx_power_ddbm: i16,
    pub frequency_khz: u32,
}

/// Every beacon reported in the epoch by an active device, keyed by `(beaconer, beacon_id)`.
/// When a beaconer reports one id twice, the first in canonical observation order counts.
#[derive(Clone, Debug, Default)]
pub struct BeaconIndex(Vec<((Pubkey, u64), BeaconInfo)>);

impl BeaconIndex {
    /// Builds the index from `(beaconer, observation)` pairs in any order.
    #[must_use]
    pub fn new(mut beacons: Vec<((Pubkey, u64), BeaconInfo, i64, u64)>) -> Self {
        // Canonical: by key, then by (timestamp, nonce) of the observation; keep the first.
        beacons.sort_unstable_by_key(|b| (b.0, b.2, b.3));
        beacons.dedup_by(|later, first| later.0 == first.0);
        Self(
            beacons
                .into_iter()
                .map(|(k, info, _, _)| (k, info))
                .collect(),
        )
    }

    /// Collects the beacons of one device's observations into `out` (for [`BeaconIndex::new`]).
    pub fn collect(
        beaconer: Pubkey,
        observations: &[Observation],
        out: &mut Vec<((Pubkey, u64), BeaconInfo, i64, u64)>,
    ) {
        for o in observations {
            if let Payload::Beacon(Beacon {
                beacon_id,
                tx_power_ddbm,
                frequency_khz,
            }) = o.payload
            {
                out.push((
                    (beaconer, beacon_id),
                    BeaconInfo {
                        timestamp: o.timestamp,
                        tx_power_ddbm,
                        frequency_khz,
                    },
                    o.timestamp,
                    o.nonce,
                ));
            }
        }
    }

    /// The beacon `beacon_id` of `beaconer`.
    #[must_use]
    pub fn get(&self, beaconer: &Pubkey, beacon_id: u64) -> Option<&BeaconInfo> {
        let key = (*beaconer, beacon_id);
        self.0
            .binary_search_by(|(k, _)| k.cmp(&key))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, info)| info)
    }

    /// Number of beacons.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Everything a verifier may look at besides the device's own reports.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub window: EpochWindow,
    pub registry: &'a Registry,
    pub beacons: &'a BeaconIndex,
    pub params: &'a ScoringParams,
    /// Customers whose job receipts count, sorted ascending.
    pub customers: &'a [Pubkey],
}

/// A proof-of-work verifier.
pub trait Verifier: Sync {
    /// The device kind this verifier scores.
    fn kind(&self) -> DeviceKind;

    /// Scores `device` from its `observations` (already in canonical order, deduplicated by
    /// nonce and inside the window: see [`prepare`]).
    fn verify(&self, device: &Device, observations: &[Observation], ctx: &Context<'_>) -> Verdict;
}

/// The shared first step for every device: sort its observations canonically (by nonce, then
/// timestamp, then payload), keep the first of each nonce (`duplicate_nonce` for the rest) and
/// drop those outside the window (`report_outside_epoch`). After this the order of the input
/// no longer matters.
pub fn prepare(observations: &mut Vec<Observation>, window: &EpochWindow) -> Reasons {
    let mut reasons = Reasons::default();
    observations.sort_unstable_by(|a, b| {
        (a.nonce, a.timestamp, &a.payload).cmp(&(b.nonce, b.timestamp, &b.payload))
    });
    let before = observations.len();
    observations.dedup_by(|later, first| later.nonce == first.nonce);
    reasons.add(
        Reason::DuplicateNonce,
        u64::try_from(before.saturating_sub(observations.len())).unwrap_or(u64::MAX),
    );
    let before = observations.len();
    observations.retain(|o| window.contains(o.timestamp));
    reasons.add(
        Reason::ReportOutsideEpoch,
        u64::try_from(before.saturating_sub(observations.len())).unwrap_or(u64::MAX),
    );
    reasons
}

/// Picks the verifier for `kind`.
#[must_use]
pub fn verifier_for(kind: DeviceKind) -> &'static dyn Verifier {
    match kind {
        DeviceKind::Connectivity => &ConnectivityVerifier,
        DeviceKind::Compute => &ComputeVerifier,
    }
}

/// Scores one registered device: a decommissioned device scores 0 (`device_decommissioned`);
/// otherwise its kind's verifier runs. `pre` are the reasons from [`prepare`].
#[must_use]
pub fn score_device(
    device: &Device,
    observations: &[Observation],
    pre: Reasons,
    ctx: &Context<'_>,
) -> Verdict {
    let mut reasons = pre;
    if device.status != DeviceStatus::Active {
        reasons.push(Reason::DeviceDecommissioned);
        return Verdict { score: 0, reasons };
    }
    let verdict = verifier_for(device.kind).verify(device, observations, ctx);
    reasons.extend(&verdict.reasons);
    Verdict {
        score: verdict.score,
        reasons,
    }
}

/// `usize` to `u64` (lossless on every supported target; saturates otherwise).
#[must_use]
pub(crate) fn count_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
