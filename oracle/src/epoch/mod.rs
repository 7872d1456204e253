//! The epoch engine: deterministic and integer-only.
//!
//! ```text
//! params ──budget────> budget = emission + carried, re-derived from the emission schedule and
//!                      the previous totals (budget::check; a mismatch is refused)
//! reports ──prepare──> per-device observations (sorted, nonce-deduplicated, in window)
//!         ──beacons──> BeaconIndex
//!         ──score────> Verdict per registry device (verify::score_device)
//!         ──split────> reward per device, Σ == budget (split::split)
//!         ──rollup───> per owner wallet: epoch reward, previous, cumulative = previous + epoch,
//!                      in leaf index order: the previous totals' wallets in their order, then
//!                      the new wallets by bytes
//!         ──tree─────> merkle-sum root over (wallet, cumulative) in that order
//!                      (depin_formats::tree::root)
//! ```
//!
//! Every phase is a public function so that the benchmark can time them; [`run`] chains them.
//! Nothing depends on the order of the inputs but the previous totals: the registry, each
//! device's observations and the device groups are all sorted canonically first. The previous
//! totals (previous_wallets.csv) are the previous epoch's leaf order, which the wallets keep: a
//! wallet keeps its leaf index for ever (`docs/merkle-sum.md`, section 9). The result, its rows
//! and the tree are the shared formats of `depin_formats` (`transparency`, `tree`).
//!
//! Around the engine: [`inputs`] reads an `epoch run` input directory, [`publish`] is the epoch
//! task of `serve` (store → inputs → engine → files), [`audit`] is `epoch verify`, [`budget`]
//! derives each epoch's budget from the emission schedule (unspent emission is carried forward).

pub mod audit;
pub mod budget;
#[cfg(feature = "test-failpoints")]
pub mod dishonest;
pub mod inputs;
pub mod publish;
pub mod split;
pub mod union;

use std::collections::{HashMap, HashSet};

use depin_formats::keys::Pubkey;
use depin_formats::params::{EpochConfig, EpochWindow, ParamsError, WindowError};
use depin_formats::reasons::Reasons;
use depin_formats::report::Report;
use depin_formats::transparency::{DeviceRow, EpochResult, WalletRow};
use merkle_sum::MerkleSumError;
use rayon::prelude::*;

use crate::registry::{DeviceStatus, Registry};
use crate::verify::{self, BeaconIndex, Context, Observation, Verdict};

pub use budget::{Budget, BudgetError};
pub use split::{Split, SplitError, split};

/// Why an epoch could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum EpochError {
    #[error(transparent)]
    Window(#[from] WindowError),
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error("params.json: {0}")]
    Budget(#[from] BudgetError),
    #[error("wallet {0} appears twice in the previous totals")]
    DuplicatePrevious(Pubkey),
    #[error(
        "wallet {0} has a zero cumulative in the previous totals (a published wallet never has)"
    )]
    ZeroPrevious(Pubkey),
    #[error("cumulative total of wallet {0} overflows u64")]
    CumulativeOverflow(Pubkey),
    #[error("the previous totals sum to more than u64")]
    PreviousOverflow,
    #[error("merkle-sum tree: {0}")]
    Merkle(#[from] MerkleSumError),
}

/// One device's reports for the epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceReports {
    pub device: Pubkey,
    pub observations: Vec<Observation>,
}

/// The epoch's (signature-verified) reports, grouped by device, sorted by device key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochReports {
    groups: Vec<DeviceReports>,
}

impl EpochReports {
    /// Sorts groups by device and merges groups of the same device.
    #[must_use]
    pub fn from_groups(mut groups: Vec<DeviceReports>) -> Self {
        groups.sort_by_key(|g| g.device);
        let mut merged: Vec<DeviceReports> = Vec::with_capacity(groups.len());
        for g in groups {
            match merged.last_mut() {
                Some(last) if last.device == g.device => {
                    last.observations.extend(g.observations);
                }
                _ => merged.push(g),
            }
        }
        Self { groups: merged }
    }

    /// Groups flat reports by device.
    pub fn from_reports(reports: impl IntoIterator<Item = Report>) -> Self {
        let mut by_device: HashMap<Pubkey, Vec<Observation>> = HashMap::new();
        for r in reports {
            let device = r.device;
            by_device
                .entry(device)
                .or_default()
                .push(Observation::from(r));
        }
        Self::from_groups(
            by_device
                .into_iter()
                .map(|(device, observations)| DeviceReports {
                    device,
                    observations,
                })
                .collect(),
        )
    }

    /// The groups, sorted by device.
    #[must_use]
    pub fn groups(&self) -> &[DeviceReports] {
        &self.groups
    }

    /// Total number of reports.
    #[must_use]
    pub fn report_count(&self) -> u64 {
        self.groups
            .iter()
            .map(|g| depin_formats::count_u64(g.observations.len()))
            .fold(0u64, u64::saturating_add)
    }
}

/// The output of [`prepare`]: observations and pre-verifier reasons aligned with the registry.
#[derive(Debug, Default)]
pub struct Prepared {
    pub observations: Vec<Vec<Observation>>,
    pub reasons: Vec<Reasons>,
    /// Reports whose device is not in the registry (not scored).
    pub unknown_device_reports: u64,
}

/// Phase 1: moves each group to its registry slot and runs [`verify::prepare`] on it.
#[must_use]
pub fn prepare(registry: &Registry, reports: EpochReports, window: &EpochWindow) -> Prepared {
    let mut observations: Vec<Vec<Observation>> = vec![Vec::new(); registry.len()];
    let mut unknown: u64 = 0;
    for g in reports.groups {
        match registry.position(&g.device) {
            Some(i) => {
                if let Some(slot) = observations.get_mut(i) {
                    *slot = g.observations;
                }
            }
            None => {
                unknown = unknown.saturating_add(depin_formats::count_u64(g.observations.len()))
            }
        }
    }
    let reasons = observations
        .par_iter_mut()
        .map(|o| verify::prepare(o, window))
        .collect();
    Prepared {
        observations,
        reasons,
        unknown_device_reports: unknown,
    }
}

/// Phase 2: the beacons of every active device.
#[must_use]
pub fn beacons(registry: &Registry, prepared: &Prepared) -> BeaconIndex {
    let mut all = Vec::new();
    for (device, obs) in registry.devices().iter().zip(&prepared.observations) {
        if device.status == DeviceStatus::Active {
            BeaconIndex::collect(device.key, obs, &mut all);
        }
    }
    BeaconIndex::new(all)
}

/// Phase 3: one verdict per registry device, in registry order.
#[must_use]
pub fn score(registry: &Registry, prepared: Prepared, ctx: &Context<'_>) -> Vec<Verdict> {
    let Prepared {
        observations,
        reasons,
        ..
    } = prepared;
    registry
        .devices()
        .par_iter()
        .zip(observations.par_iter())
        .zip(reasons.into_par_iter())
        .map(|((device, obs), pre)| verify::score_device(device, obs, pre, ctx))
        .collect()
}

/// Phase 4: the exact split, and the device rows.
///
/// # Errors
///
/// [`EpochError::Split`] (cannot happen for consistent inputs).
pub fn split_rewards(
    registry: &Registry,
    verdicts: Vec<Verdict>,
    budget: u64,
) -> Result<(Vec<DeviceRow>, Split), EpochError> {
    let scores: Vec<u64> = verdicts.iter().map(|v| v.score).collect();
    let keys: Vec<Pubkey> = registry.devices().iter().map(|d| d.key).collect();
    let split = split::split(budget, &scores, &keys)?;
    let rows = registry
        .devices()
        .iter()
        .zip(verdicts)
        .zip(&split.rewards)
        .map(|((d, v), reward)| DeviceRow {
            device: d.key,
            owner: d.owner,
            score: v.score,
            reward: *reward,
            reasons: v.reasons,
        })
        .collect();
    Ok((rows, split))
}

/// Phase 5: rolls device rewards up to owner wallets and adds them to the previous cumulative
/// totals. The rows are in leaf index order: every wallet of `previous`, in its order (a wallet
/// keeps its index for ever), then the wallets that earned for the first time, ascending by
/// wallet bytes. Every row's cumulative total is nonzero.
///
/// # Errors
///
/// [`EpochError::DuplicatePrevious`], [`EpochError::ZeroPrevious`] (a previous row could neither
/// be kept nor dropped), [`EpochError::CumulativeOverflow`].
pub fn rollup(
    devices: &[DeviceRow],
    previous: Vec<(Pubkey, u64)>,
) -> Result<Vec<WalletRow>, EpochError> {
    let mut earned = earned_per_wallet(devices)?;
    let mut seen: HashSet<Pubkey> = HashSet::with_capacity(previous.len());
    let mut rows = Vec::with_capacity(previous.len().saturating_add(earned.len()));
    for (wallet, prev) in previous {
        if !seen.insert(wallet) {
            return Err(EpochError::DuplicatePrevious(wallet));
        }
        if prev == 0 {
            return Err(EpochError::ZeroPrevious(wallet));
        }
        let epoch_reward = earned.remove(&wallet).unwrap_or(0);
        rows.push(wallet_row(wallet, epoch_reward, prev)?);
    }
    let mut new: Vec<(Pubkey, u64)> = earned.into_iter().collect();
    new.sort_unstable_by_key(|n| n.0);
    for (wallet, epoch_reward) in new {
        rows.push(wallet_row(wallet, epoch_reward, 0)?);
    }
    Ok(rows)
}

/// The previous epochs' total: Σ of the previous totals, each wallet once and nonzero.
///
/// # Errors
///
/// [`EpochError::DuplicatePrevious`], [`EpochError::ZeroPrevious`],
/// [`EpochError::PreviousOverflow`].
pub fn previous_total(previous: &[(Pubkey, u64)]) -> Result<u64, EpochError> {
    let mut seen: HashSet<Pubkey> = HashSet::with_capacity(previous.len());
    let mut total = 0u64;
    for &(wallet, cumulative) in previous {
        if !seen.insert(wallet) {
            return Err(EpochError::DuplicatePrevious(wallet));
        }
        if cumulative == 0 {
            return Err(EpochError::ZeroPrevious(wallet));
        }
        total = total
            .checked_add(cumulative)
            .ok_or(EpochError::PreviousOverflow)?;
    }
    Ok(total)
}

/// Σ reward of each owner's devices, for the owners that earned something.
fn earned_per_wallet(devices: &[DeviceRow]) -> Result<HashMap<Pubkey, u64>, EpochError> {
    let mut earned: HashMap<Pubkey, u64> = HashMap::new();
    for d in devices.iter().filter(|d| d.reward > 0) {
        let sum = earned.entry(d.owner).or_insert(0);
        *sum = sum
            .checked_add(d.reward)
            .ok_or(EpochError::CumulativeOverflow(d.owner))?;
    }
    Ok(earned)
}

fn wallet_row(wallet: Pubkey, epoch_reward: u64, previous: u64) -> Result<WalletRow, EpochError> {
    let cumulative = previous
        .checked_add(epoch_reward)
        .ok_or(EpochError::CumulativeOverflow(wallet))?;
    Ok(WalletRow {
        wallet,
        epoch_reward,
        previous,
        cumulative,
    })
}

/// Runs the whole epoch.
///
/// # Errors
///
/// Invalid window or parameters, a duplicate or zero previous total, a budget, emission or
/// carried amount that the emission schedule and the previous totals do not give
/// ([`budget::check`]), a cumulative overflow.
pub fn run(
    config: &EpochConfig,
    registry: &Registry,
    reports: EpochReports,
    previous: Vec<(Pubkey, u64)>,
) -> Result<EpochResult, EpochError> {
    config.window.validate()?;
    config.scoring.validate()?;
    budget::check(config, previous_total(&previous)?)?;
    let mut customers = config.customers.clone();
    customers.sort_unstable();
    customers.dedup();

    let total_reports = reports.report_count();
    let prepared = prepare(registry, reports, &config.window);
    let reports_unknown_device = prepared.unknown_device_reports;
    let beacon_index = beacons(registry, &prepared);
    let ctx = Context {
        window: config.window,
        registry,
        beacons: &beacon_index,
        params: &config.scoring,
        customers: &customers,
    };
    let verdicts = score(registry, prepared, &ctx);
    let (devices, split) = split_rewards(registry, verdicts, config.budget)?;
    let wallets = rollup(&devices, previous)?;
    let root = depin_formats::tree::root(&wallets)?;
    tracing::info!(
        epoch = config.epoch,
        devices = devices.len(),
        wallets = wallets.len(),
        emission = config.emission,
        carried = config.carried,
        budget = config.budget,
        distributed = split.distributed,
        unspent = split.unspent,
        "epoch computed"
    );
    Ok(EpochResult {
        config: config.clone(),
        total_score: split.total_score,
        distributed: split.distributed,
        unspent: split.unspent,
        devices,
        wallets,
        root,
        reports_scored: total_reports.saturating_sub(reports_unknown_device),
        reports_unknown_device,
    })
}
