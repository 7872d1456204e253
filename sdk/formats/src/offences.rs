//! Slashable offences (issue 23, item 6): what a device's owner may lose collateral for, decided
//! from the published epochs alone (devices.csv and each epoch's manifest hash), so every oracle
//! reaches the same verdict from the files the oracles agreed on, and anyone can check it.
//!
//! ```text
//!  offence            reasons in devices.csv                  epochs   slash
//!  witness_fraud      self_witness or same_owner_witness      3        10 %
//!  location_spoofing  location_mismatch                       3         5 %
//! ```
//!
//! An offence needs its reasons in every epoch of a window of consecutive epochs aligned to its
//! length (epochs 0–2, 3–5, ...): a device caught for six epochs in a row commits it twice, and
//! no epoch counts towards two findings. A finding names the device, its owner and the window's
//! epochs with their manifest hashes; its evidence document is canonical JSON, and the slash
//! message the oracles sign binds the evidence's SHA-256.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::keys::Pubkey;
use crate::reasons::Reason;
use crate::transparency::{PublishedDevice, TransparencyError, canonical_json};

/// The `format` field of an evidence document.
pub const EVIDENCE_FORMAT: &str = "depin-offence-v1";

/// How many consecutive epochs make one offence (every offence's window).
pub const WINDOW_EPOCHS: u64 = 3;

/// A slashable offence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Offence {
    /// The device witnessed its own beacons, or those of a device of the same owner.
    WitnessFraud,
    /// The device's reports place it away from its asserted cell.
    LocationSpoofing,
}

impl Offence {
    pub const ALL: [Self; 2] = [Self::WitnessFraud, Self::LocationSpoofing];

    /// The stable code in evidence documents and the CLI.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::WitnessFraud => "witness_fraud",
            Self::LocationSpoofing => "location_spoofing",
        }
    }

    /// The devices.csv reasons that show it (any one of them in an epoch counts).
    #[must_use]
    pub const fn reasons(self) -> &'static [Reason] {
        match self {
            Self::WitnessFraud => &[Reason::SelfWitness, Reason::SameOwnerWitness],
            Self::LocationSpoofing => &[Reason::LocationMismatch],
        }
    }

    /// How many consecutive epochs make one offence.
    #[must_use]
    pub const fn epochs(self) -> u64 {
        WINDOW_EPOCHS
    }

    /// The slash, in basis points of the position's tokens (within staking's `max_slash_bps`).
    #[must_use]
    pub const fn amount_bps(self) -> u16 {
        match self {
            Self::WitnessFraud => 1_000,
            Self::LocationSpoofing => 500,
        }
    }

    /// Whether a devices.csv `reasons` field (`code:count;...`) shows this offence.
    #[must_use]
    pub fn shown_by(self, reasons: &str) -> bool {
        reasons
            .split(';')
            .filter_map(|entry| entry.split_once(':'))
            .any(|(code, count)| count != "0" && self.reasons().iter().any(|r| r.code() == code))
    }
}

/// An oracle's answer to `GET /v1/offences`: every offence in its published epochs, each with
/// its approval status (docs/staking.md, "Slashing").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The oracle's key (base58).
    pub oracle: String,
    /// The oracle set version its signatures are made under.
    pub set_version: u32,
    /// Signatures `propose_slash` needs.
    pub threshold: u8,
    pub offences: Vec<Approval>,
}

/// One offence as an oracle lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// SHA-256 of `evidence` (lowercase hex): the slash message's `evidence_hash`.
    pub evidence_hash: String,
    /// The evidence document, canonical JSON ([`Finding::evidence`]).
    pub evidence: String,
    pub offence: String,
    pub device: String,
    /// The device's owner in the offence's epochs.
    pub owner: String,
    /// The window's first epoch.
    pub first_epoch: u64,
    /// The slash: the offence's, capped at the staking config's `max_slash_bps`.
    pub amount_bps: u16,
    pub set_version: u32,
    /// The staking position charged (the one holding the device's collateral).
    pub position: Option<String>,
    /// The position's slash nonce this offence is approved at.
    pub slash_nonce: Option<u64>,
    pub status: ApprovalStatus,
    /// Why, for every status but `approved`.
    pub detail: String,
    /// The oracle's ed25519 signature over the slash message (base58), when approved.
    pub signature: Option<String>,
}

/// Where an offence stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// Signed: ready to propose once a quorum of oracles has signed it.
    Approved,
    /// Proposed and in its appeal window.
    Proposed,
    /// Proposed earlier, then executed or overturned.
    Done,
    /// Waits for earlier offences against the same position.
    Queued,
    /// Not signed: this oracle has no unslashed seat.
    Unsigned,
    /// Cannot be charged (the device changed owner, or is not onboarded).
    Refused,
}

impl ApprovalStatus {
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Proposed => "proposed",
            Self::Done => "done",
            Self::Queued => "queued",
            Self::Unsigned => "unsigned",
            Self::Refused => "refused",
        }
    }
}

/// One published epoch: its number, its manifest hash (lowercase hex, as in `manifest_hash`)
/// and its devices.csv rows.
#[derive(Clone, Copy, Debug)]
pub struct PublishedEpoch<'a> {
    pub epoch: u64,
    pub manifest_hash: &'a str,
    pub devices: &'a [PublishedDevice],
}

/// An offence found in the published epochs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub format: &'static str,
    pub offence: &'static str,
    pub device: String,
    pub owner: String,
    /// The window's epochs, ascending, each with its manifest hash.
    pub epochs: Vec<EvidenceEpoch>,
    pub amount_bps: u16,
}

/// An epoch of a finding's window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceEpoch {
    pub epoch: u64,
    pub manifest_hash: String,
}

impl Finding {
    /// The evidence document (canonical JSON of the finding).
    ///
    /// # Errors
    ///
    /// Never in practice (the finding holds no float); a serialization failure otherwise.
    pub fn evidence(&self) -> Result<Vec<u8>, TransparencyError> {
        canonical_json(self)
    }

    /// SHA-256 of the evidence document: the `evidence_hash` of the slash message.
    ///
    /// # Errors
    ///
    /// As [`Finding::evidence`].
    pub fn evidence_hash(&self) -> Result<[u8; 32], TransparencyError> {
        Ok(Sha256::digest(self.evidence()?).into())
    }
}

/// Every offence the published `epochs` show, in (window, offence, device) order (the order the
/// oracles approve them in). `epochs` may
/// come in any order and with gaps; only complete aligned windows of consecutive epochs count.
#[must_use]
pub fn detect(epochs: &[PublishedEpoch<'_>]) -> Vec<Finding> {
    let mut sorted: Vec<&PublishedEpoch<'_>> = epochs.iter().collect();
    sorted.sort_by_key(|e| e.epoch);
    sorted.dedup_by_key(|e| e.epoch);
    let mut findings = Vec::new();
    for offence in Offence::ALL {
        let k = offence.epochs();
        for window in sorted.windows(usize::try_from(k).unwrap_or(usize::MAX)) {
            let first = window[0].epoch;
            let consecutive = window.iter().zip(first..).all(|(e, n)| e.epoch == n);
            if first % k != 0 || !consecutive {
                continue;
            }
            findings.extend(in_window(offence, window));
        }
    }
    // Stable: within a window, offences keep `Offence::ALL`'s order and devices theirs.
    findings.sort_by_key(|f| f.epochs.first().map(|e| e.epoch));
    findings
}

/// The devices showing `offence` in every epoch of `window`.
fn in_window(offence: Offence, window: &[&PublishedEpoch<'_>]) -> Vec<Finding> {
    let Some((first, rest)) = window.split_first() else {
        return Vec::new();
    };
    first
        .devices
        .iter()
        .filter(|d| offence.shown_by(&d.reasons))
        .filter(|d| {
            rest.iter().all(|e| {
                e.devices
                    .binary_search_by(|row| row.device.cmp(&d.device))
                    .is_ok_and(|i| offence.shown_by(&e.devices[i].reasons))
            })
        })
        .map(|d| finding(offence, d.device, d.owner, window))
        .collect()
}

fn finding(
    offence: Offence,
    device: Pubkey,
    owner: Pubkey,
    window: &[&PublishedEpoch<'_>],
) -> Finding {
    Finding {
        format: EVIDENCE_FORMAT,
        offence: offence.code(),
        device: device.to_string(),
        owner: owner.to_string(),
        epochs: window
            .iter()
            .map(|e| EvidenceEpoch {
                epoch: e.epoch,
                manifest_hash: e.manifest_hash.to_string(),
            })
            .collect(),
        amount_bps: offence.amount_bps(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Pubkey {
        Pubkey([b; 32])
    }

    fn row(device: u8, reasons: &str) -> PublishedDevice {
        PublishedDevice {
            device: key(device),
            owner: key(100 + device),
            score: 1,
            reward: 1,
            reasons: reasons.to_string(),
        }
    }

    /// Epochs `0..n`, device 1 showing `reasons(epoch)`, device 2 always clean.
    fn epochs(
        n: u64,
        reasons: impl Fn(u64) -> &'static str,
    ) -> Vec<(u64, String, Vec<PublishedDevice>)> {
        (0..n)
            .map(|e| {
                (
                    e,
                    format!("{e:064x}"),
                    vec![row(1, reasons(e)), row(2, "uptime_partial:3")],
                )
            })
            .collect()
    }

    fn run(epochs: &[(u64, String, Vec<PublishedDevice>)]) -> Vec<Finding> {
        let published: Vec<PublishedEpoch<'_>> = epochs
            .iter()
            .map(|(epoch, hash, devices)| PublishedEpoch {
                epoch: *epoch,
                manifest_hash: hash,
                devices,
            })
            .collect();
        detect(&published)
    }

    #[test]
    fn three_epochs_in_an_aligned_window_make_one_offence() {
        let found = run(&epochs(3, |_| "self_witness:2;uptime_partial:1"));
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!((f.offence, f.amount_bps), ("witness_fraud", 1_000));
        assert_eq!(
            (f.device.clone(), f.owner.clone()),
            (key(1).to_string(), key(101).to_string())
        );
        let window: Vec<u64> = f.epochs.iter().map(|e| e.epoch).collect();
        assert_eq!(window, vec![0, 1, 2]);
        assert_eq!(f.epochs[2].manifest_hash, format!("{:064x}", 2));
    }

    #[test]
    fn a_gap_an_unaligned_run_or_two_epochs_are_no_offence() {
        assert!(run(&epochs(2, |_| "self_witness:1")).is_empty());
        // Epochs 1-3 flagged: the windows 0-2 and 3-5 are each incomplete.
        assert!(
            run(&epochs(6, |e| if (1..=3).contains(&e) {
                "self_witness:1"
            } else {
                ""
            }))
            .is_empty()
        );
        // A missing epoch breaks the window.
        let mut gap = epochs(3, |_| "self_witness:1");
        gap.remove(1);
        assert!(run(&gap).is_empty());
    }

    #[test]
    fn six_epochs_make_two_offences_and_each_reason_counts() {
        let found = run(&epochs(6, |e| {
            if e % 2 == 0 {
                "same_owner_witness:1"
            } else {
                "self_witness:4"
            }
        }));
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].epochs[0].epoch, found[1].epochs[0].epoch), (0, 3));
        let spoof = run(&epochs(3, |_| "location_mismatch:12"));
        assert_eq!(
            (spoof.len(), spoof[0].offence, spoof[0].amount_bps),
            (1, "location_spoofing", 500)
        );
    }

    #[test]
    fn the_evidence_is_canonical_and_its_hash_binds_every_field() {
        let f = &run(&epochs(3, |_| "self_witness:1"))[0];
        let text = String::from_utf8(f.evidence().unwrap()).unwrap();
        assert!(
            text.starts_with("{\"amount_bps\":1000,\"device\":"),
            "{text}"
        );
        let mut other = f.clone();
        other.epochs[1].manifest_hash = "00".repeat(32);
        assert_ne!(f.evidence_hash().unwrap(), other.evidence_hash().unwrap());
    }

    #[test]
    fn reasons_are_matched_by_code_not_by_substring() {
        assert!(!Offence::WitnessFraud.shown_by("no_self_witness_here:1"));
        assert!(!Offence::WitnessFraud.shown_by("self_witness:0"));
        assert!(Offence::WitnessFraud.shown_by("location_mismatch:1;self_witness:1"));
    }
}
