//! The slashable offences in this oracle's published epochs, and its approval of each slash
//! (docs/staking.md, "Slashing"):
//!
//! ```text
//! GET /v1/offences   {"oracle", "set_version", "threshold", "offences": [Approval, ...]}
//!
//!  published epochs ── aligned windows of 3 (cached once complete: they never change)
//!    └─ depin_formats::offences::detect ── findings, in (window, offence, device) order
//!         └─ the position that held the device's collateral while the offender owned it
//!            (Device::position, or prev_position once transferred: a device changes hands
//!            again only once the window and a grace are final, so every oracle reads the same)
//!              └─ per position, in that order: a finding with a SlashRecord (staking's
//!                 ["slash", position, evidence_hash], created by propose_slash) is done; the
//!                 first without one is approved at the position's current slash nonce, once
//!                 the roots of its window's epochs are final on-chain; the rest wait
//! ```
//!
//! An approval is this oracle's ed25519 signature over the slash message
//! (`depin_client::slash::message`); `depin slash propose` gathers a quorum of them and submits
//! `propose_slash`. An oracle that submits (`submit.enabled`) also records its own approvals on
//! chain (`approve_slash`) after each rebuild, on a task of their own, and proposes once the
//! recorded seats reach the threshold ([`Offences::submit_own`]): no crank is needed. The
//! amount is the offence's, capped at the staking config's `max_slash_bps`. The program refuses
//! a second proposal of the same evidence against a position, so an offence is slashed at most
//! once whatever is signed; honest oracles, with the same published epochs and the same chain,
//! approve the same message.

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
use depin_client::accounts::{FetchError, fetch, fetch_migrated};
use depin_client::builders::{rewards_ix, staking_ix};
use depin_client::slash::{self, Unslashable};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signer::Signer;
use depin_formats::offences::{
    Approval, ApprovalStatus, Finding, Listing, PublishedEpoch, WINDOW_EPOCHS, detect,
};
use depin_formats::transparency::{DEVICES_CSV, MANIFEST_HASH, parse_devices_csv};
use rewards::state::Network;
use staking::state::{Position, SlashRecord, StakingConfig};

use crate::ingest::Rejection;
use crate::ingest::epochs::EpochFiles;

/// How long one answer is reused: the route reads the chain, and anyone may call it.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// How often `oracle serve` rebuilds the listing on its own ([`Offences::run`]), so that each
/// finding's charge is read, and kept, soon after its window is published.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);

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
    /// The position each finding was first charged to.
    charges: Charges,
    /// The last answer and when it was built.
    last: Mutex<Option<(Instant, Arc<Vec<u8>>)>>,
    /// Held by the one request rebuilding the answer.
    refreshing: tokio::sync::Mutex<()>,
    /// Whether [`Offences::run`] submits this oracle's approvals ([`Offences::submit_own`]).
    submits: bool,
    /// Held by the one submission running ([`Offences::run`] starts one per rebuild at most).
    submitting: Arc<tokio::sync::Mutex<()>>,
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
            charges: Charges::open(data_dir),
            last: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            submits: false,
            submitting: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Whether [`Offences::run`] also submits this oracle's approvals on chain.
    #[must_use]
    pub fn submitting(mut self, submits: bool) -> Self {
        self.submits = submits;
        self
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
        Self::new(&settings.storage.data_dir, chain).submitting(settings.submit.enabled)
    }

    /// Whether this oracle can approve (it has an RPC and its key).
    #[must_use]
    pub fn can_approve(&self) -> bool {
        self.chain.is_some()
    }

    /// Rebuilds the listing every [`REFRESH_EVERY`] until `shutdown`, so that each finding's
    /// charge is kept while every oracle still reads the same one (`oracle serve`'s `offences`
    /// task; only when [`Offences::can_approve`]); an oracle that submits then records its
    /// approvals and proposes the slashes they complete ([`Offences::submit_own`]).
    ///
    /// # Errors
    ///
    /// Never: a failed rebuild is logged and retried.
    pub async fn run(
        self: Arc<Self>,
        mut shutdown: crate::supervisor::Shutdown,
    ) -> Result<(), crate::supervisor::TaskError> {
        loop {
            if let Err(e) = self.listing_json().await {
                tracing::warn!(
                    error = e,
                    "rebuilding the offences listing failed; retrying"
                );
            } else if self.submits {
                self.spawn_submission();
            }
            tokio::select! {
                () = shutdown.requested() => return Ok(()),
                () = tokio::time::sleep(REFRESH_EVERY) => {}
            }
        }
    }

    /// Starts [`Offences::submit_own`] on a task of its own unless one is still running, so a
    /// slow send never delays the next rebuild (which keeps each finding's charge read in time).
    fn spawn_submission(self: &Arc<Self>) {
        let Ok(turn) = Arc::clone(&self.submitting).try_lock_owned() else {
            return;
        };
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let _turn = turn;
            match this.submit_own().await {
                Ok(sent) => sent
                    .iter()
                    .for_each(|s| tracing::info!(sent = %s, "slashing")),
                Err(e) => tracing::warn!(error = %e, "submitting slash approvals failed"),
            }
        });
    }

    /// Records each slash this oracle approves on chain: its own signature in `approve_slash`
    /// unless its seat is already recorded (for the current set version and slash nonce), then
    /// `propose_slash` with the recorded approvals once their unslashed seats reach the
    /// threshold. Every oracle doing so proposes each slash with no crank; two racing to
    /// propose cost the loser a refused transaction. Returns a line per transaction sent; an
    /// offence that fails is logged and the others go on.
    ///
    /// # Errors
    ///
    /// The listing or the chain's oracle set and staking config cannot be read.
    pub async fn submit_own(self: &Arc<Self>) -> Result<Vec<String>, String> {
        let Some((sender, key)) = &self.chain else {
            return Ok(Vec::new());
        };
        let json = self.listing_json().await.map_err(str::to_owned)?;
        let listing: Listing = serde_json::from_slice(&json).map_err(|e| e.to_string())?;
        let mine: Vec<&Approval> = listing
            .offences
            .iter()
            .filter(|a| a.status == ApprovalStatus::Approved)
            .collect();
        if mine.is_empty() {
            return Ok(Vec::new());
        }
        let set = slash::oracle_set(sender).await.map_err(|e| e.to_string())?;
        let config: StakingConfig =
            fetch_migrated(sender, "staking config", &staking_ix::config_pda().0)
                .await
                .map_err(|e| e.to_string())?;
        let mut sent = Vec::new();
        for approval in mine {
            match submit_one(sender, key, (&set, config.slash_domain), approval).await {
                Ok(lines) => sent.extend(lines),
                Err(e) => tracing::warn!(
                    evidence = %approval.evidence_hash,
                    error = %e,
                    "submitting a slash approval failed"
                ),
            }
        }
        Ok(sent)
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

    /// The listing, as JSON bytes: reused for [`FRESH_FOR`]. One request at a time rebuilds
    /// it; the others meanwhile get the previous one (if any), so callers never queue on the
    /// chain reads. Errors are logged in full and answered with a fixed detail.
    async fn listing_json(self: &Arc<Self>) -> Result<Arc<Vec<u8>>, &'static str> {
        const NO_CHAIN: &str = "this oracle has no RPC or no key to approve slashes with";
        let Some((sender, key)) = &self.chain else {
            tracing::warn!(why = %self.unavailable, "offences unavailable");
            return Err(NO_CHAIN);
        };
        let fresh = |max: Duration| {
            self.last.lock().ok().and_then(|last| {
                last.as_ref()
                    .filter(|(at, _)| at.elapsed() < max)
                    .map(|(_, json)| Arc::clone(json))
            })
        };
        if let Some(json) = fresh(FRESH_FOR) {
            return Ok(json);
        }
        let _turn = match self.refreshing.try_lock() {
            Ok(turn) => turn,
            Err(_) => match fresh(Duration::MAX) {
                Some(stale) => return Ok(stale),
                None => self.refreshing.lock().await,
            },
        };
        let this = Arc::clone(self);
        let findings = tokio::task::spawn_blocking(move || this.findings())
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r)
            .map_err(|e| {
                tracing::error!(error = %e, "reading the published epochs for offences failed");
                "reading the published epochs failed"
            })?;
        let listing = approve(sender, key, &self.charges, findings)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "reading the chain for offences failed");
                "reading the chain failed"
            })?;
        let json = Arc::new(serde_json::to_vec(&listing).map_err(|_| "serialization failed")?);
        if let Ok(mut last) = self.last.lock() {
            *last = Some((Instant::now(), Arc::clone(&json)));
        }
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
    /// The deployment's slash domain (`StakingConfig::slash_domain`).
    domain: [u8; 32],
    /// Epochs whose roots are final on-chain (`0..final_epochs`): only offences in them are
    /// approved, never one in an epoch whose root may still be voided.
    final_epochs: u64,
}

/// The position each finding was first charged to, by evidence hash: `offences/charges.csv`
/// under the data directory, one `evidence_hash,position` line each, appended and synced. A
/// device changes hands again only once its previous owner's offence window and a grace are
/// final (`rewards::state::prev_owner_kept_until`), so every oracle that reads a charge before
/// then, as `oracle serve` does within [`REFRESH_EVERY`] of publishing, reads the same one;
/// kept, it outlives later transfers, while a position's other findings wait their turn.
struct Charges {
    path: std::path::PathBuf,
    kept: Mutex<HashMap<[u8; 32], Pubkey>>,
}

impl Charges {
    fn open(data_dir: &Path) -> Self {
        let path = data_dir.join("offences").join("charges.csv");
        let kept = std::fs::read_to_string(&path)
            .map(|text| parse_charges(&text))
            .unwrap_or_default();
        Self {
            path,
            kept: Mutex::new(kept),
        }
    }

    fn get(&self, hash: &[u8; 32]) -> Option<Pubkey> {
        self.kept.lock().ok()?.get(hash).copied()
    }

    fn keep(&self, hash: [u8; 32], position: Pubkey) -> std::io::Result<()> {
        use std::io::Write;
        if self.get(&hash).is_some() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        writeln!(file, "{},{position}", hex::encode(hash))?;
        file.sync_all()?;
        if let Ok(mut kept) = self.kept.lock() {
            kept.insert(hash, position);
        }
        Ok(())
    }

    /// The position `finding` is charged to: the kept one, or [`slash::target`]'s answer, which
    /// is then kept.
    async fn charge(
        &self,
        sender: &Sender,
        finding: &Finding,
        hash: [u8; 32],
    ) -> Result<Result<(Pubkey, Position), String>, FetchError> {
        if let Some(address) = self.get(&hash) {
            return Ok(slash::position_at(sender, address)
                .await?
                .map_err(|e| e.to_string()));
        }
        let (Ok(device), Ok(owner)) = (finding.device.parse(), finding.owner.parse()) else {
            return Ok(Err("a key of the finding is not base58".to_owned()));
        };
        let target = slash::target(sender, &device, &owner).await?;
        if let Ok((address, _)) = &target
            && let Err(e) = self.keep(hash, *address)
        {
            tracing::error!(error = %e, path = %self.path.display(), "keeping a charge failed");
        }
        Ok(target.map_err(|e: Unslashable| e.to_string()))
    }
}

/// `charges.csv`'s lines; malformed ones are skipped.
fn parse_charges(text: &str) -> HashMap<[u8; 32], Pubkey> {
    text.lines()
        .filter_map(|line| {
            let (hash, position) = line.split_once(',')?;
            let hash: [u8; 32] = hex::decode(hash).ok()?.try_into().ok()?;
            Some((hash, position.trim().parse().ok()?))
        })
        .collect()
}

/// Each finding with its position, status and (when approved) this oracle's signature.
async fn approve(
    sender: &Sender,
    key: &Keypair,
    charges: &Charges,
    findings: Vec<Finding>,
) -> Result<Listing, FetchError> {
    let set = slash::oracle_set(sender).await?;
    let config: StakingConfig =
        fetch_migrated(sender, "staking config", &staking_ix::config_pda().0).await?;
    let network: Network =
        fetch_migrated(sender, "rewards network", &rewards_ix::network_pda().0).await?;
    let view = ChainView {
        final_epochs: network.final_root.epochs,
        set_version: set.set_version,
        threshold: set.threshold,
        seat: set.seat_of(&key.pubkey()).filter(|&s| !set.is_slashed(s)),
        max_slash_bps: config.max_slash_bps,
        domain: config.slash_domain,
    };
    // Per position: its account, and whether a finding without a record came before.
    let mut positions: HashMap<Pubkey, (Position, bool)> = HashMap::new();
    let mut offences = Vec::with_capacity(findings.len());
    for finding in findings {
        let Ok(hash) = finding.evidence_hash() else {
            offences.push(refused(
                &finding,
                &view,
                "the evidence cannot be serialized",
            ));
            continue;
        };
        let (address, position) = match charges.charge(sender, &finding, hash).await? {
            Err(why) => {
                offences.push(refused(&finding, &view, &why));
                continue;
            }
            Ok(t) => t,
        };
        let record = staking_ix::slash_record_pda(&address, &hash).0;
        let recorded = fetch::<SlashRecord>(sender, "slash record", &record)
            .await?
            .is_some();
        let (position, open_seen) = positions.entry(address).or_insert((position, false));
        let first_open = !recorded && !*open_seen;
        *open_seen |= !recorded;
        let charge = Charge {
            address: &address,
            position,
            hash,
            recorded,
            first_open,
        };
        offences.push(status(&finding, &view, key, &charge));
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

/// A finding's position and what the chain says about it.
struct Charge<'a> {
    address: &'a Pubkey,
    position: &'a Position,
    hash: [u8; 32],
    /// Its `SlashRecord` exists: it was proposed.
    recorded: bool,
    /// The first finding against the position (in finding order) that was never proposed.
    first_open: bool,
}

/// The status of a finding charged to a position: only the first never proposed is approved,
/// at the position's current slash nonce, once its epochs are final.
fn status(finding: &Finding, view: &ChainView, key: &Keypair, c: &Charge<'_>) -> Approval {
    let mut a = base(finding, view);
    a.position = Some(c.address.to_string());
    let pending = c.position.pending_slash.as_ref();
    (a.status, a.detail) = if c.recorded && pending.is_some_and(|p| p.evidence_hash == c.hash) {
        (ApprovalStatus::Proposed, "in its appeal window".to_owned())
    } else if c.recorded {
        (
            ApprovalStatus::Done,
            "proposed (then executed or overturned)".to_owned(),
        )
    } else if !c.first_open {
        (
            ApprovalStatus::Queued,
            "an earlier offence against this position comes first".to_owned(),
        )
    } else if pending.is_some() {
        (
            ApprovalStatus::Queued,
            "waits for the pending slash".to_owned(),
        )
    } else if let Some(last) = finding.epochs.last().map(|e| e.epoch)
        && last >= view.final_epochs
    {
        (
            ApprovalStatus::Queued,
            format!(
                "epoch {last}'s root is not final on-chain yet ({} final)",
                view.final_epochs
            ),
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
        let nonce = c.position.slash_nonce;
        let message = slash::message(
            view.domain,
            c.address,
            a.amount_bps,
            c.hash,
            view.set_version,
            nonce,
        );
        a.slash_nonce = Some(nonce);
        a.signature = Some(key.sign_message(&message).to_string());
        (ApprovalStatus::Approved, String::new())
    };
    a
}

/// This oracle's approval of `a` recorded on chain if its seat is not yet, then the proposal if
/// the recorded seats reach the threshold; a line per transaction sent.
async fn submit_one(
    sender: &Sender,
    key: &Keypair,
    (set, domain): (&rewards::state::OracleSet, [u8; 32]),
    a: &Approval,
) -> Result<Vec<String>, String> {
    let (Some(position), Some(nonce)) = (&a.position, a.slash_nonce) else {
        return Ok(Vec::new());
    };
    let Some(seat) = set.seat_of(&key.pubkey()).filter(|&s| !set.is_slashed(s)) else {
        return Ok(Vec::new());
    };
    let position: Pubkey = position
        .parse()
        .map_err(|_| format!("position {position} is not base58"))?;
    let hash: [u8; 32] = hex::decode(&a.evidence_hash)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("evidence hash {} is not 32 bytes of hex", a.evidence_hash))?;
    let args = staking::instructions::ProposeSlashArgs {
        amount_bps: a.amount_bps,
        evidence_hash: hash,
    };
    let message = slash::message(
        domain,
        &position,
        a.amount_bps,
        hash,
        set.set_version,
        nonce,
    );
    let recorded = slash::recorded(sender, set, &position, &args, nonce)
        .await
        .map_err(|e| e.to_string())?;
    let seats = recorded.count();
    let own: Vec<slash::OracleSignature> = if !recorded.has(seat) {
        let signature = key.sign_message(&message);
        vec![(key.pubkey().to_bytes(), *signature.as_array())]
    } else {
        Vec::new()
    };
    if seats + own.len() < usize::from(set.threshold) {
        if own.is_empty() {
            return Ok(Vec::new());
        }
        let ixs = slash::approve_ixs(key.pubkey(), position, &args, &message, &own);
        sender
            .send("approve_slash", &ixs, key, &[])
            .await
            .map_err(|e| e.to_string())?;
        return Ok(vec![format!(
            "approved {} against {position}",
            a.evidence_hash
        )]);
    }
    // The quorum is complete (with this oracle's seat, if it was missing): one transaction.
    let txs = slash::proposal_txs(
        key.pubkey(),
        position,
        &args,
        &message,
        &own,
        recorded.exists,
    );
    for ixs in &txs {
        sender
            .send("propose_slash", ixs, key, &[])
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(vec![format!(
        "proposed {} against {position}",
        a.evidence_hash
    )])
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
        Err(detail) => Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "offences_unavailable",
            detail,
        )
        .into_response(),
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
    async fn without_a_chain_the_route_answers_503_without_its_internals() {
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
            (
                Some("offences_unavailable"),
                Some("this oracle has no RPC or no key to approve slashes with")
            )
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
            liable_devices: 0,
            liable_until_epochs: 0,
            reserved: [0; 52],
        }
    }

    fn finding() -> Finding {
        let dir = tempfile::tempdir().unwrap();
        for e in 0..3 {
            publish(dir.path(), e, &[(1, "location_mismatch:1")]);
        }
        offences(dir.path()).findings().unwrap().remove(0)
    }

    /// A kept charge survives a restart; a second one for the same evidence changes nothing;
    /// malformed lines are skipped.
    #[test]
    fn charges_are_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let (p1, p2) = (Pubkey::new_unique(), Pubkey::new_unique());
        let charges = Charges::open(dir.path());
        assert_eq!(charges.get(&[1; 32]), None);
        charges.keep([1; 32], p1).unwrap();
        charges.keep([1; 32], p2).unwrap();
        charges.keep([2; 32], p2).unwrap();
        let file = dir.path().join("offences").join("charges.csv");
        let mut text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text,
            format!(
                "{},{p1}\n{},{p2}\n",
                hex::encode([1; 32]),
                hex::encode([2; 32])
            )
        );
        text.push_str("zz,not-a-key\n");
        std::fs::write(&file, text).unwrap();
        let reopened = Charges::open(dir.path());
        assert_eq!(
            (reopened.get(&[1; 32]), reopened.get(&[2; 32])),
            (Some(p1), Some(p2))
        );
        assert_eq!(reopened.kept.lock().unwrap().len(), 2);
    }

    /// The rewards program keeps a device's previous owner through the offence window these
    /// findings use.
    #[test]
    fn the_programs_offence_window_is_the_formats() {
        assert_eq!(rewards::constants::OFFENCE_WINDOW_EPOCHS, WINDOW_EPOCHS);
    }

    /// Only the first finding against a position that was never proposed is approved, at the
    /// position's current nonce, once its epochs are final; the amount is capped at the
    /// config's maximum and the signature covers exactly that message.
    #[test]
    fn approval_goes_to_the_first_finding_never_proposed() {
        let f = finding();
        let hash = f.evidence_hash().unwrap();
        let oracle = Keypair::new();
        let view = |seat: Option<usize>, max_slash_bps: u16| ChainView {
            final_epochs: 3,
            set_version: 3,
            threshold: 2,
            seat,
            max_slash_bps,
            domain: [6; 32],
        };
        let at = Pubkey::new_unique();
        let st = |v: &ChainView, p: &Position, recorded: bool, first_open: bool| {
            let charge = Charge {
                address: &at,
                position: p,
                hash,
                recorded,
                first_open,
            };
            status(&f, v, &oracle, &charge)
        };
        let verifies = |a: &Approval, bps: u16, nonce: u64| {
            let signature: depin_client::solana_signature::Signature =
                a.signature.as_deref().unwrap().parse().unwrap();
            signature.verify(
                oracle.pubkey().as_ref(),
                &slash::message([6; 32], &at, bps, hash, 3, nonce),
            )
        };
        // Signed for another deployment's domain, it does not verify.
        let elsewhere = |a: &Approval| {
            let signature: depin_client::solana_signature::Signature =
                a.signature.as_deref().unwrap().parse().unwrap();
            signature.verify(
                oracle.pubkey().as_ref(),
                &slash::message([7; 32], &at, 500, hash, 3, 4),
            )
        };
        let v = view(Some(1), 5_000);
        let approved = st(&v, &position(4, None), false, true);
        assert_eq!(
            (approved.status, approved.slash_nonce, approved.amount_bps),
            (ApprovalStatus::Approved, Some(4), 500)
        );
        assert!(verifies(&approved, 500, 4));
        assert!(!elsewhere(&approved));
        assert_eq!(approved.evidence_hash, hex::encode(hash));
        let detail = |a: Approval| (a.status, a.detail, a.signature);
        assert_eq!(
            detail(st(&v, &position(0, None), false, false)),
            (
                ApprovalStatus::Queued,
                "an earlier offence against this position comes first".into(),
                None
            )
        );
        assert_eq!(
            st(&v, &position(1, Some(hash)), true, false).status,
            ApprovalStatus::Proposed
        );
        assert_eq!(
            st(&v, &position(1, None), true, false).status,
            ApprovalStatus::Done
        );
        assert_eq!(
            st(&v, &position(2, Some([1; 32])), true, false).status,
            ApprovalStatus::Done
        );
        assert_eq!(
            detail(st(&v, &position(1, Some([1; 32])), false, true)),
            (
                ApprovalStatus::Queued,
                "waits for the pending slash".into(),
                None
            )
        );
        assert_eq!(
            st(&view(None, 5_000), &position(0, None), false, true).status,
            ApprovalStatus::Unsigned
        );
        // Epoch 2's root is not final yet: nothing is signed.
        let early = ChainView {
            final_epochs: 2,
            ..view(Some(0), 5_000)
        };
        assert_eq!(
            detail(st(&early, &position(0, None), false, true)),
            (
                ApprovalStatus::Queued,
                "epoch 2's root is not final on-chain yet (2 final)".into(),
                None
            )
        );
        // Capped: 300 bps signed, not the offence's 500.
        let capped = st(&view(Some(0), 300), &position(0, None), false, true);
        assert_eq!(capped.amount_bps, 300);
        assert!(verifies(&capped, 300, 0));
    }
}
