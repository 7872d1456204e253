//! The slashable offences in this oracle's published epochs, and its approval of each slash
//! (docs/staking.md, "Slashing"):
//!
//! ```text
//! GET /v1/offences   {"oracle", "set_version", "threshold", "offences": [Approval, ...]}
//!
//!  published epochs ── aligned windows of 3 (cached once complete: they never change)
//!    └─ depin_formats::offences::detect ── findings, in (window, offence, device) order
//!         └─ each device's Device account: same owner as at the offence? ── its position
//!              └─ per position, in that order, the k-th finding is approved only at the
//!                 position's slash nonce k (so each offence is slashed at most once, and a
//!                 slash that governance overturned is not proposed again)
//! ```
//!
//! An approval is this oracle's ed25519 signature over the slash message
//! (`depin_client::slash::message`); `depin slash propose` gathers a quorum of them and submits
//! `propose_slash`. The amount is the offence's, capped at the staking config's
//! `max_slash_bps`. Every oracle reaches the same findings (from the agreed epochs) and the same
//! nonces (from the chain), so honest oracles approve the same message.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use depin_client::Sender;
use depin_client::accounts::fetch;
use depin_client::builders::staking_ix;
use depin_client::slash::{self, Unslashable};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer;
use depin_formats::offences::{
    Approval, ApprovalStatus, Finding, Listing, PublishedEpoch, WINDOW_EPOCHS, detect,
};
use depin_formats::transparency::{DEVICES_CSV, MANIFEST_HASH, parse_devices_csv};
use staking::state::{Position, StakingConfig};

use crate::ingest::Rejection;
use crate::ingest::epochs::EpochFiles;

/// How long one answer is reused: the route reads the chain, and anyone may call it.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// Every reason the route answers with, and its status.
pub const OFFENCE_REASONS: [(&str, u16); 1] = [("offences_unavailable", 503)];

/// The offences route's state.
pub struct Offences {
    files: EpochFiles,
    /// The RPC and the oracle's key; None when the oracle has neither (`submit.rpc_urls`, its
    /// keypair): it then answers 503.
    chain: Option<(Sender, Keypair)>,
    unavailable: String,
    /// The findings of each complete window, by its first epoch.
    windows: Mutex<BTreeMap<u64, Arc<Vec<Finding>>>>,
    last: tokio::sync::Mutex<Option<(Instant, Arc<Vec<u8>>)>>,
}

impl Offences {
    /// Over the epochs under `data_dir`, approving with `chain` (or answering 503 with
    /// `unavailable` as the reason).
    #[must_use]
    pub fn new(data_dir: &Path, chain: Result<(Sender, Keypair), String>) -> Self {
        let (chain, unavailable) = match chain {
            Ok(c) => (Some(c), String::new()),
            Err(why) => (None, why),
        };
        Self {
            files: EpochFiles::new(data_dir),
            chain,
            unavailable,
            windows: Mutex::new(BTreeMap::new()),
            last: tokio::sync::Mutex::new(None),
        }
    }

    /// From the oracle's settings: its data directory, `submit.rpc_urls` and its keypair.
    #[must_use]
    pub fn from_settings(settings: &crate::settings::Settings) -> Self {
        let chain = crate::chain::submit::sender_for(&settings.submit)
            .map_err(|e| format!("no chain to read: {e}"))
            .and_then(|sender| {
                let path = settings.oracle_keypair();
                depin_client::solana_keypair::read_keypair_file(&path)
                    .map(|key| (sender, key))
                    .map_err(|e| format!("no oracle key to sign with ({}): {e}", path.display()))
            });
        Self::new(&settings.storage.data_dir, chain)
    }

    /// Every finding in the published epochs, in (window, offence, device) order.
    ///
    /// # Errors
    ///
    /// A published epoch's files cannot be read or parsed.
    pub fn findings(&self) -> Result<Vec<Finding>, String> {
        let published = self.files.published().map_err(|e| e.to_string())?;
        let have = |n: u64| published.binary_search(&n).is_ok();
        let mut all = Vec::new();
        for &start in published.iter().filter(|n| *n % WINDOW_EPOCHS == 0) {
            if !(1..WINDOW_EPOCHS).all(|i| start.checked_add(i).is_some_and(have)) {
                continue;
            }
            let cached = self.cached(start);
            let found = match cached {
                Some(found) => found,
                None => {
                    let found = Arc::new(self.detect_window(start)?);
                    if let Ok(mut w) = self.windows.lock() {
                        w.insert(start, Arc::clone(&found));
                    }
                    found
                }
            };
            all.extend(found.iter().cloned());
        }
        Ok(all)
    }

    fn cached(&self, start: u64) -> Option<Arc<Vec<Finding>>> {
        self.windows.lock().ok()?.get(&start).cloned()
    }

    fn detect_window(&self, start: u64) -> Result<Vec<Finding>, String> {
        let mut hashes = Vec::new();
        let mut devices = Vec::new();
        for epoch in start..start + WINDOW_EPOCHS {
            let dir = self.files.epoch_dir(epoch);
            let read = |name: &str| {
                std::fs::read(dir.join(name)).map_err(|e| format!("epoch {epoch} {name}: {e}"))
            };
            let hash = String::from_utf8_lossy(&read(MANIFEST_HASH)?)
                .trim()
                .to_owned();
            let rows = parse_devices_csv(&read(DEVICES_CSV)?)
                .map_err(|e| format!("epoch {epoch}: {e}"))?;
            hashes.push(hash);
            devices.push(rows);
        }
        let epochs: Vec<PublishedEpoch<'_>> = (start..)
            .zip(hashes.iter().zip(&devices))
            .map(|(epoch, (hash, rows))| PublishedEpoch {
                epoch,
                manifest_hash: hash,
                devices: rows,
            })
            .collect();
        Ok(detect(&epochs))
    }

    /// The listing, as JSON bytes: reused for [`FRESH_FOR`].
    async fn listing_json(&self) -> Result<Arc<Vec<u8>>, String> {
        let Some((sender, key)) = &self.chain else {
            return Err(self.unavailable.clone());
        };
        let mut last = self.last.lock().await;
        if let Some((at, json)) = last.as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return Ok(Arc::clone(json));
        }
        let findings = self.findings()?;
        let listing = approve(sender, key, findings)
            .await
            .map_err(|e| e.to_string())?;
        let json = Arc::new(serde_json::to_vec(&listing).map_err(|e| e.to_string())?);
        *last = Some((Instant::now(), Arc::clone(&json)));
        Ok(json)
    }
}

/// The chain state the approvals depend on.
struct ChainView {
    set_version: u32,
    threshold: u8,
    /// This oracle's seat, if it has an unslashed one.
    seat: Option<usize>,
    max_slash_bps: u16,
}

/// Each finding with its position, status and (when approved) this oracle's signature.
async fn approve(
    sender: &Sender,
    key: &Keypair,
    findings: Vec<Finding>,
) -> Result<Listing, depin_client::accounts::FetchError> {
    let set = slash::oracle_set(sender).await?;
    let config = fetch::<StakingConfig>(sender, "staking config", &staking_ix::config_pda().0)
        .await?
        .ok_or_else(|| depin_client::accounts::FetchError::WrongType {
            what: "staking config",
            address: staking_ix::config_pda().0,
            reason: "no account (run `depin migrate`)".into(),
        })?;
    let view = ChainView {
        set_version: set.set_version,
        threshold: set.threshold,
        seat: set.seat_of(&key.pubkey()).filter(|&s| !set.is_slashed(s)),
        max_slash_bps: config.max_slash_bps,
    };
    let mut positions: HashMap<Pubkey, (Position, u64)> = HashMap::new();
    let mut offences = Vec::with_capacity(findings.len());
    for finding in findings {
        let target = match (finding.device.parse(), finding.owner.parse()) {
            (Ok(device), Ok(owner)) => slash::target(sender, &device, &owner)
                .await?
                .map_err(|e: Unslashable| e.to_string()),
            _ => Err("a key of the finding is not base58".to_owned()),
        };
        offences.push(match target {
            Err(why) => refused(&finding, &view, &why),
            Ok((address, position)) => {
                let (position, index) = positions.entry(address).or_insert((position, 0));
                let approval = status(&finding, &view, key, &address, position, *index);
                *index += 1;
                approval
            }
        });
    }
    Ok(Listing {
        oracle: key.pubkey().to_string(),
        set_version: view.set_version,
        threshold: view.threshold,
        offences,
    })
}

fn base(finding: &Finding, view: &ChainView) -> Approval {
    Approval {
        evidence_hash: finding.evidence_hash().map(hex::encode).unwrap_or_default(),
        evidence: finding
            .evidence()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default(),
        offence: finding.offence.to_owned(),
        device: finding.device.clone(),
        owner: finding.owner.clone(),
        first_epoch: finding.epochs.first().map_or(0, |e| e.epoch),
        amount_bps: finding.amount_bps.min(view.max_slash_bps),
        set_version: view.set_version,
        position: None,
        slash_nonce: None,
        status: ApprovalStatus::Refused,
        detail: String::new(),
        signature: None,
    }
}

fn refused(finding: &Finding, view: &ChainView, why: &str) -> Approval {
    Approval {
        detail: why.to_owned(),
        ..base(finding, view)
    }
}

/// The status of the `index`-th finding charged to `position` (in finding order).
fn status(
    finding: &Finding,
    view: &ChainView,
    key: &Keypair,
    address: &Pubkey,
    position: &Position,
    index: u64,
) -> Approval {
    let mut a = base(finding, view);
    a.position = Some(address.to_string());
    a.slash_nonce = Some(index);
    let nonce = position.slash_nonce;
    let pending = position.pending_slash.as_ref();
    let hash = finding.evidence_hash().unwrap_or_default();
    (a.status, a.detail) = if index + 1 == nonce && pending.is_some_and(|p| p.evidence_hash == hash)
    {
        (ApprovalStatus::Proposed, "in its appeal window".to_owned())
    } else if index < nonce {
        (
            ApprovalStatus::Done,
            "proposed (then executed or overturned)".to_owned(),
        )
    } else if index > nonce {
        let earlier = index - nonce;
        (
            ApprovalStatus::Queued,
            format!("{earlier} earlier offence(s) against this position come first"),
        )
    } else if pending.is_some() {
        (
            ApprovalStatus::Queued,
            "waits for the pending slash".to_owned(),
        )
    } else if view.seat.is_none() {
        (
            ApprovalStatus::Unsigned,
            format!(
                "this oracle has no unslashed seat in oracle set version {}",
                view.set_version
            ),
        )
    } else {
        let message = slash::message(address, a.amount_bps, hash, view.set_version, index);
        a.signature = Some(key.sign_message(&message).to_string());
        (ApprovalStatus::Approved, String::new())
    };
    a
}

/// `GET /v1/offences` over `offences`.
pub fn router(offences: Arc<Offences>) -> Router {
    Router::new()
        .route("/v1/offences", get(list))
        .with_state(offences)
}

async fn list(State(offences): State<Arc<Offences>>) -> Response {
    match offences.listing_json().await {
        Ok(json) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            json.as_ref().clone(),
        )
            .into_response(),
        Err(detail) => {
            tracing::warn!(%detail, "offences unavailable");
            Rejection::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "offences_unavailable",
                detail,
            )
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use depin_formats::keys::Pubkey as Key;
    use staking::state::{LockupKind, PendingSlash};

    fn key(b: u8) -> Key {
        Key([b; 32])
    }

    /// `epochs/epoch-<n>/` with devices.csv rows `(device, reasons)` (owner 9) and its hash.
    fn publish(data: &Path, epoch: u64, rows: &[(u8, &str)]) {
        let dir = data.join("epochs").join(format!("epoch-{epoch}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut csv = String::from("device,owner,score,reward,reasons\n");
        for (device, reasons) in rows {
            csv.push_str(&format!("{},{},10,0,{reasons}\n", key(*device), key(9)));
        }
        std::fs::write(dir.join(DEVICES_CSV), csv).unwrap();
        std::fs::write(dir.join(MANIFEST_HASH), format!("{:064x}\n", epoch)).unwrap();
    }

    fn offences(data: &Path) -> Offences {
        Offences::new(data, Err("no chain in this test".into()))
    }

    #[test]
    fn findings_come_from_complete_aligned_windows_only() {
        let dir = tempfile::tempdir().unwrap();
        let spoof = "location_mismatch:2";
        for e in 0..3 {
            // Device 1 spoofs in 0-2; device 2 witnesses itself in 0 and 1 only.
            let two = if e < 2 { "self_witness:1" } else { "" };
            publish(dir.path(), e, &[(1, spoof), (2, two)]);
        }
        publish(dir.path(), 3, &[(1, spoof)]);
        publish(dir.path(), 4, &[(1, spoof)]);
        let o = offences(dir.path());
        let found = o.findings().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (
                found[0].offence,
                found[0].device.clone(),
                found[0].amount_bps
            ),
            ("location_spoofing", key(1).to_string(), 500)
        );
        let epochs: Vec<(u64, String)> = found[0]
            .epochs
            .iter()
            .map(|e| (e.epoch, e.manifest_hash.clone()))
            .collect();
        assert_eq!(
            epochs,
            (0..3).map(|e| (e, format!("{e:064x}"))).collect::<Vec<_>>()
        );
        // Window 3-5 completes; window 0-2 comes from the cache (its files are gone).
        publish(dir.path(), 5, &[(1, spoof)]);
        std::fs::remove_file(dir.path().join("epochs/epoch-0").join(DEVICES_CSV)).unwrap();
        let found = o.findings().unwrap();
        let firsts: Vec<u64> = found.iter().map(|f| f.epochs[0].epoch).collect();
        assert_eq!(firsts, [0, 3]);
    }

    #[tokio::test]
    async fn without_a_chain_the_route_answers_503() {
        let dir = tempfile::tempdir().unwrap();
        let o = Arc::new(offences(dir.path()));
        let response = list(State(o)).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (v["error"].as_str(), v["detail"].as_str()),
            (Some("offences_unavailable"), Some("no chain in this test"))
        );
    }

    fn position(nonce: u64, pending: Option<[u8; 32]>) -> Position {
        Position {
            version: 1,
            bump: 255,
            kind: LockupKind::Cliff,
            bound_devices: 1,
            owner: Pubkey::new_from_array([9; 32]),
            id: 0,
            amount: 1_000,
            lockup_secs: 0,
            lock_end: 0,
            cooling: 0,
            cooldown_end: 0,
            weight: 0,
            deposited: 1_000,
            withdrawn: 0,
            slashed: 0,
            slash_nonce: nonce,
            pending_slash: pending.map(|evidence_hash| PendingSlash {
                amount_bps: 500,
                amount: 50,
                evidence_hash,
                set_version: 3,
                proposed_at: 0,
                appeal_ends: 60,
            }),
            created_at: 0,
            reserved: [0; 64],
        }
    }

    fn finding() -> Finding {
        let dir = tempfile::tempdir().unwrap();
        for e in 0..3 {
            publish(dir.path(), e, &[(1, "location_mismatch:1")]);
        }
        offences(dir.path()).findings().unwrap().remove(0)
    }

    /// The k-th finding against a position is approved only at slash nonce k; the amount is
    /// capped at the config's maximum and the signature covers exactly that message.
    #[test]
    fn approval_follows_the_position_nonce() {
        let f = finding();
        let hash = f.evidence_hash().unwrap();
        let oracle = Keypair::new();
        let view = |seat: Option<usize>, max_slash_bps: u16| ChainView {
            set_version: 3,
            threshold: 2,
            seat,
            max_slash_bps,
        };
        let at = Pubkey::new_unique();
        let st = |v: &ChainView, p: &Position, index: u64| {
            let a = status(&f, v, &oracle, &at, p, index);
            (a.status, a.detail)
        };
        let v = view(Some(1), 5_000);
        let approved = status(&f, &v, &oracle, &at, &position(0, None), 0);
        assert_eq!(
            (approved.status, approved.slash_nonce, approved.amount_bps),
            (ApprovalStatus::Approved, Some(0), 500)
        );
        let signature: depin_client::solana_signature::Signature =
            approved.signature.unwrap().parse().unwrap();
        let message = slash::message(&at, 500, hash, 3, 0);
        assert!(signature.verify(oracle.pubkey().as_ref(), &message));
        assert_eq!(approved.evidence_hash, hex::encode(hash));

        let queued = st(&v, &position(0, None), 2);
        assert_eq!(
            queued,
            (
                ApprovalStatus::Queued,
                "2 earlier offence(s) against this position come first".into()
            )
        );
        let proposed = st(&v, &position(1, Some(hash)), 0);
        assert_eq!(proposed.0, ApprovalStatus::Proposed);
        assert_eq!(st(&v, &position(1, None), 0).0, ApprovalStatus::Done);
        assert_eq!(st(&v, &position(2, Some(hash)), 0).0, ApprovalStatus::Done);
        assert_eq!(
            st(&v, &position(1, Some([1; 32])), 1),
            (ApprovalStatus::Queued, "waits for the pending slash".into())
        );
        assert_eq!(
            st(&view(None, 5_000), &position(0, None), 0).0,
            ApprovalStatus::Unsigned
        );
        // Capped: 300 bps signed, not the offence's 500.
        let capped = status(&f, &view(Some(0), 300), &oracle, &at, &position(0, None), 0);
        let signature: depin_client::solana_signature::Signature =
            capped.signature.unwrap().parse().unwrap();
        assert_eq!(capped.amount_bps, 300);
        assert!(signature.verify(
            oracle.pubkey().as_ref(),
            &slash::message(&at, 300, hash, 3, 0)
        ));
    }
}
