//! The rewards API's JSON (docs/api.md): what an oracle serves under `/v1/wallets` and
//! `/v1/epochs/{n}`, and what the CLI, the simulator and the web app read. One home for the
//! shapes, so the server and its clients cannot drift apart.
//!
//! Token amounts and scores are u64 and travel as decimal **strings** (JavaScript's numbers
//! lose precision above 2^53, about 9 billion tokens of 6 decimals); epochs, counts and leaf
//! indexes are JSON numbers. Keys are base58, hashes lowercase hex. Readers ignore fields they
//! do not know, so an oracle may add fields without breaking deployed clients.

use serde::{Deserialize, Serialize};

/// A u64 as a decimal string in JSON.
pub mod decimal {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `n` as a decimal string.
    ///
    /// # Errors
    ///
    /// The serializer's.
    pub fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(n)
    }

    /// Reads a canonical decimal string (no sign, no leading zero but "0").
    ///
    /// # Errors
    ///
    /// Not a string, or not a canonical u64.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        let canonical = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && (text == "0" || !text.starts_with('0'));
        canonical
            .then(|| text.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a decimal u64")))
    }
}

/// The latest final root on chain (the rewards program's `Network.final_root`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalRoot {
    /// The last epoch the root covers (`epochs - 1`).
    pub epoch: u64,
    /// Epochs `0..epochs` are final.
    pub epochs: u64,
    /// The merkle-sum root hash, hex.
    pub root: String,
    /// The root's sum: every wallet's cumulative reward.
    #[serde(with = "decimal")]
    pub total: u64,
    /// The tree's leaf count.
    pub leaves: u64,
    /// sha256 of that epoch's manifest.json, hex.
    pub manifest_hash: String,
}

/// One sibling on a leaf's path to the root, leaf first (the claim instruction's `ProofNode`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofStep {
    /// The sibling's hash, hex.
    pub hash: String,
    /// The sibling's sum.
    #[serde(with = "decimal")]
    pub sum: u64,
    /// The sibling is the left child.
    pub is_left: bool,
}

/// A wallet's leaf in the final root, with its proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leaf {
    /// The leaf's index (the wallet's row in that epoch's wallets.csv).
    pub index: u64,
    /// The wallet's cumulative reward: the leaf's amount.
    #[serde(with = "decimal")]
    pub cumulative: u64,
    pub proof: Vec<ProofStep>,
}

/// One reason a device earned less (devices.csv's `reasons`, docs/transparency.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    pub code: String,
    /// How many reports, hours or units it concerns.
    pub count: u64,
    /// What it means for the reward (`Reason::meaning`); empty for a code this build does not
    /// know.
    pub meaning: String,
}

/// What a device scored and earned in one epoch (a devices.csv row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReward {
    pub epoch: u64,
    pub device: String,
    #[serde(with = "decimal")]
    pub score: u64,
    #[serde(with = "decimal")]
    pub reward: u64,
    /// Every rejection or discount, sorted by code; empty when none.
    pub reasons: Vec<ReasonCount>,
    /// The epoch is covered by the final root (its reward can be claimed).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// `GET /v1/wallets/{wallet}`: what a wallet has earned, claimed and may claim now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletSummary {
    pub wallet: String,
    /// None before the first final root.
    pub final_root: Option<FinalRoot>,
    /// The wallet's cumulative reward in the final root (0 without a leaf).
    #[serde(with = "decimal")]
    pub cumulative: u64,
    /// Paid so far (the wallet's claim record on chain).
    #[serde(with = "decimal")]
    pub claimed: u64,
    /// `cumulative - claimed`: what one claim pays now.
    #[serde(with = "decimal")]
    pub claimable: u64,
    /// The leaf and its proof; None when the wallet has no leaf in the final root.
    pub leaf: Option<Leaf>,
    /// The wallet's devices in the final root's last epoch, by device key bytes.
    pub devices: Vec<DeviceReward>,
}

/// `GET /v1/wallets/{wallet}/rewards`: one page of a wallet's devices' per-epoch rows, newest
/// epoch first, then by device key bytes descending (the index's order, read backwards).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardsPage {
    pub wallet: String,
    pub rows: Vec<DeviceReward>,
    /// The `cursor` of the next page; None on the last.
    pub next: Option<String>,
}

/// A published file of an epoch and where to fetch it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochFile {
    pub name: String,
    /// sha256 of its bytes, hex (as manifest.json records it).
    pub sha256: String,
    /// Path on this oracle (`/v1/epochs/{n}/{name}`).
    pub url: String,
}

/// Where an epoch's root stands on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainStatus {
    /// The latest final root is this epoch's, with this oracle's root.
    Final,
    /// Final, and a later final root carries its amounts on.
    Superseded,
    /// Not final yet (being voted on, in its dispute window, or not proposed).
    Pending,
    /// The final root for this epoch differs from the one this oracle published.
    Disagrees,
}

/// `GET /v1/epochs/{n}`: a published epoch, its files, its root and its on-chain status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochSummary {
    pub epoch: u64,
    /// The root this oracle published: hash hex; None when no wallet had earned.
    pub root: Option<String>,
    #[serde(with = "decimal")]
    pub root_sum: u64,
    pub leaves: u64,
    pub manifest_hash: String,
    #[serde(with = "decimal")]
    pub budget: u64,
    #[serde(with = "decimal")]
    pub distributed: u64,
    pub devices: u64,
    pub wallets: u64,
    /// Unix seconds.
    pub window_start: i64,
    pub window_end: i64,
    pub files: Vec<EpochFile>,
    /// None when this oracle cannot read the chain.
    pub chain: Option<ChainStatus>,
}

/// Every refusal's body: a stable machine-readable reason and a human detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
    pub detail: String,
}

/// `reasons` as devices.csv writes it (`code:count;...`) into entries; an entry that does not
/// parse is kept with count 0 rather than dropped.
#[must_use]
pub fn parse_reasons(text: &str) -> Vec<ReasonCount> {
    text.split(';')
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let (code, count) = entry.rsplit_once(':').unwrap_or((entry, ""));
            ReasonCount {
                code: code.to_owned(),
                count: count.parse().unwrap_or(0),
                meaning: crate::reasons::Reason::from_code(code)
                    .map_or("", crate::reasons::Reason::meaning)
                    .to_owned(),
            }
        })
        .collect()
}

/// The claim's proof nodes from the API's steps.
///
/// # Errors
///
/// A hash that is not 32 bytes of hex.
pub fn proof_siblings(steps: &[ProofStep]) -> Result<Vec<merkle_sum::Sibling>, String> {
    steps
        .iter()
        .map(|s| {
            let hash: [u8; 32] = hex::decode(&s.hash)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("proof hash {:?} is not 32 bytes of hex", s.hash))?;
            Ok(merkle_sum::Sibling {
                node: merkle_sum::Node { hash, sum: s.sum },
                is_left: s.is_left,
            })
        })
        .collect()
}

/// Checks a summary's leaf against a root read from the chain itself (never the API's word):
/// the leaf of `(wallet, cumulative)` folds up through the proof to `root` and `total`.
/// Returns the proof, ready for the claim.
///
/// # Errors
///
/// A malformed hash, or a proof that does not give the root.
pub fn verify_leaf(
    wallet: &[u8; 32],
    leaf: &Leaf,
    root: &[u8; 32],
    total: u64,
) -> Result<merkle_sum::Proof, String> {
    let proof = merkle_sum::Proof {
        siblings: proof_siblings(&leaf.proof)?,
    };
    let root = merkle_sum::Node {
        hash: *root,
        sum: total,
    };
    merkle_sum::verify(wallet, leaf.cumulative, &proof, &root)
        .map_err(|e| format!("the proof does not give the final root: {e}"))?;
    Ok(proof)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_travel_as_canonical_decimal_strings() {
        let step = ProofStep {
            hash: "00".repeat(32),
            sum: u64::MAX,
            is_left: true,
        };
        let json = serde_json::to_string(&step).unwrap();
        assert!(json.contains("\"sum\":\"18446744073709551615\""), "{json}");
        assert_eq!(serde_json::from_str::<ProofStep>(&json).unwrap(), step);
        for bad in ["\"01\"", "\"-1\"", "\"\"", "1", "\"18446744073709551616\""] {
            let text = format!("{{\"hash\":\"\",\"sum\":{bad},\"is_left\":false}}");
            assert!(serde_json::from_str::<ProofStep>(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn reasons_parse_into_code_and_count() {
        assert_eq!(parse_reasons(""), []);
        assert_eq!(
            parse_reasons("no_speedtest:1;uptime_partial:3;new_code:2"),
            [
                ReasonCount {
                    code: "no_speedtest".into(),
                    count: 1,
                    meaning: "no speed test in the epoch: the score is reduced".into(),
                },
                ReasonCount {
                    code: "uptime_partial".into(),
                    count: 3,
                    meaning: "hours of the epoch without a heartbeat (count = hours)".into(),
                },
                ReasonCount {
                    code: "new_code".into(),
                    count: 2,
                    meaning: String::new(),
                }
            ]
        );
        for r in crate::reasons::Reason::ALL {
            assert_eq!(crate::reasons::Reason::from_code(r.code()), Some(r));
            assert!(!r.meaning().is_empty(), "{r:?}");
        }
    }
}
