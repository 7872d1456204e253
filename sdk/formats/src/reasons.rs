//! The reason codes of `devices.csv`: why a device earned less, each with a stable code and a
//! count. The verifiers record them; the file writes and reads their text form.

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

impl Reason {
    /// Every reason, in declaration order.
    pub const ALL: [Self; 30] = [
        Self::DeviceDecommissioned,
        Self::ReportOutsideEpoch,
        Self::DuplicateNonce,
        Self::UnexpectedReport,
        Self::NoHeartbeats,
        Self::UptimePartial,
        Self::NoSpeedtest,
        Self::SpeedtestDegraded,
        Self::SpeedtestPoor,
        Self::SpeedtestFail,
        Self::LocationPartialTrust,
        Self::LocationMismatch,
        Self::LocationUnverified,
        Self::WitnessUnknownBeaconer,
        Self::WitnessBeaconerInactive,
        Self::SelfWitness,
        Self::SameOwnerWitness,
        Self::WitnessUnknownBeacon,
        Self::WitnessFrequencyMismatch,
        Self::WitnessTooClose,
        Self::WitnessTooFar,
        Self::WitnessRssiImplausible,
        Self::WitnessDuplicate,
        Self::WitnessOverCap,
        Self::NoJobReceipts,
        Self::ReceiptZeroUnits,
        Self::ReceiptUnknownCustomer,
        Self::ReceiptBadSignature,
        Self::ReceiptDuplicate,
        Self::ReceiptUnitsCapped,
    ];

    /// The reason whose code is `code`.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What the reason means for the device's reward, in a sentence an owner reads (the table
    /// of docs/transparency.md); its count is of reports unless the sentence says otherwise.
    #[must_use]
    pub const fn meaning(self) -> &'static str {
        match self {
            Self::DeviceDecommissioned => "the device is not active: score 0",
            Self::ReportOutsideEpoch => "reports timestamped outside the epoch: not counted",
            Self::DuplicateNonce => "a nonce used twice: only the first report counts",
            Self::UnexpectedReport => "reports of a kind this device's verifier does not use",
            Self::NoHeartbeats => "no heartbeat in the epoch: score 0",
            Self::UptimePartial => "hours of the epoch without a heartbeat (count = hours)",
            Self::NoSpeedtest => "no speed test in the epoch: the score is reduced",
            Self::SpeedtestDegraded => "a speed test in the degraded tier: the score is reduced",
            Self::SpeedtestPoor => "a speed test in the poor tier: the score is reduced",
            Self::SpeedtestFail => "a speed test in the failing tier: the score is reduced",
            Self::LocationPartialTrust => {
                "position fixes farther from the asserted cell than the full-trust bound"
            }
            Self::LocationMismatch => "position fixes far from the asserted cell",
            Self::LocationUnverified => "no position fix and too few valid witnesses",
            Self::WitnessUnknownBeaconer => "witnessed a beaconer that is not registered",
            Self::WitnessBeaconerInactive => "witnessed a beaconer that is not active",
            Self::SelfWitness => "witnessed its own beacon: not counted",
            Self::SameOwnerWitness => "witnessed a device of the same owner: not counted",
            Self::WitnessUnknownBeacon => "witnessed a beacon its beaconer never reported",
            Self::WitnessFrequencyMismatch => "heard a beacon on another frequency than its own",
            Self::WitnessTooClose => "witnessed a device asserted too close to it",
            Self::WitnessTooFar => "witnessed a device asserted too far from it",
            Self::WitnessRssiImplausible => "a signal stronger than free space allows",
            Self::WitnessDuplicate => "the same beacon witnessed again: not counted",
            Self::WitnessOverCap => "valid witnesses above the cap: not counted",
            Self::NoJobReceipts => "no valid job receipt: score 0",
            Self::ReceiptZeroUnits => "a job receipt of zero units: refused",
            Self::ReceiptUnknownCustomer => "a job receipt from a customer not allowed: refused",
            Self::ReceiptBadSignature => "a job receipt whose signature does not verify: refused",
            Self::ReceiptDuplicate => "the same job receipt again: refused",
            Self::ReceiptUnitsCapped => "units above the epoch's cap (count = units)",
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
