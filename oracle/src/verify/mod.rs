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
//! score (distances are rounded to meters as they leave h3o, see
//! [`crate::registry::distance_m`]). The parameters ([`ScoringParams`], [`EpochWindow`]) and the
//! reason codes ([`Reasons`]) are data of the published files, in `depin_formats`.

pub mod compute;
pub mod connectivity;
pub mod math;

use depin_formats::keys::Pubkey;
use depin_formats::params::{EpochWindow, ScoringParams};
use depin_formats::reasons::{Reason, Reasons};
use depin_formats::report::{Beacon, Payload, Report};

use crate::registry::{Device, DeviceKind, DeviceStatus, Registry};

pub use compute::ComputeVerifier;
pub use connectivity::ConnectivityVerifier;

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
