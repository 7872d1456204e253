//! The epoch task of `oracle serve`: at each epoch boundary, score the epoch from the stored
//! reports and publish `<data_dir>/epochs/epoch-<n>/`, once.
//!
//! ```text
//! schedule: epoch n = [start_ts + n*epoch_secs, start_ts + (n+1)*epoch_secs), due close_delay
//!           after its end; the next epoch is one past the last published_epochs row (or 0)
//!   store.reports_in_window_stream ─► reports.jsonl (streamed) ───┐
//!   registry.csv (the file the ingest loads) ─────────────────────┤ <data_dir>/epoch-inputs/
//!   params.json (epoch, budget, window, customers; canonical) ────┤   epoch-<n>/  (the exact
//!   epochs/epoch-<n-1>/wallets.csv → previous_wallets.csv ────────┘   `epoch run` input dir)
//!        budget = emission(n) + carried, carried = emission of epochs 0..n − Σ cumulative of
//!        previous_wallets.csv (budget::derive, from epoch.initial_epoch_emission and
//!        epoch.halving_interval_epochs: unspent emission is carried forward)
//!        ▼  inputs::open_reports (line by line, batch signature re-verification) → epoch::run
//!   transparency::write_epoch (depin_formats) → epochs/epoch-<n>/ → audit::verify_epoch_dir
//!        → published_epochs row
//! ```
//!
//! The engine reads exactly what `oracle epoch run --inputs <data_dir>/epoch-inputs/epoch-<n>`
//! reads, through the same functions, so anyone can recompute a published epoch byte for byte.
//!
//! Crash safety: the epoch directory is renamed into place only when complete, and the database
//! row is written after it. A row means "published, never touch it again". A directory without a
//! row (a crash between the two) is verified and adopted as it is, never recomputed or
//! overwritten. Missed epochs (the service was down) are caught up in order, each on top of the
//! previous one's wallets.csv.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use depin_formats::keys::Pubkey;
use depin_formats::params::{EpochConfig, EpochWindow, HalvingSchedule, ScoringParams};
use depin_formats::transparency::{
    self, EPOCHS_DIR, PARAMS_JSON, PREVIOUS_WALLETS_CSV, REGISTRY_CSV, REPORTS_JSONL,
    TransparencyError, WALLETS_CSV, canonical_json, epoch_dir_name, sha256_hex,
};
use futures_util::TryStreamExt;
use prometheus::{IntCounter, IntGauge};
use rayon::prelude::*;

use super::audit::{Verified, verify_epoch_dir};
use super::inputs::{self, InputError};
use super::{EpochError, budget, previous_total, run};
use crate::registry::Registry;
use crate::registry::file::{
    REGISTRY_HEADER, frozen_dir, frozen_path, history_path, parse_registry, parse_synced_at,
    registry_as_of, synced_at_path, unknowable_location, unknowable_owner,
};
use crate::settings::{EpochSettings, Settings};
use crate::store::{PublishedEpoch, Store, StoreError, StoredReport};
use crate::supervisor::{Shutdown, TaskError};

/// The input directory of each published epoch, under `<data_dir>`.
pub const INPUTS_DIR: &str = "epoch-inputs";

/// Stored reports handed from the query to the reports.jsonl writer at a time.
const STREAM_CHUNK: usize = 4096;

/// Longest single sleep of the task (so a wall-clock jump is noticed within a minute).
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// The last registry sync: the cluster time of its read, and the epochs final right after.
#[derive(Clone, Copy, Debug)]
struct Synced {
    time: i64,
    /// None in a file written by an older version.
    final_epochs: Option<u64>,
}

/// Later epochs whose input this oracle commits and acknowledges while the next epoch to
/// publish still waits for its own ([`Publisher::agree_ahead`]).
pub const AGREE_AHEAD: u64 = 4;

/// Time after which a pass starts no further later epoch's agreement and goes back to epoch
/// `n` (a withheld or trickled set can cost a fetch timeout per peer).
const AGREE_AHEAD_BUDGET: Duration = Duration::from_secs(2);

/// Why an epoch could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("epoch settings: {0}")]
    Settings(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("inputs: {0}")]
    Inputs(#[from] InputError),
    #[error("engine: {0}")]
    Epoch(#[from] EpochError),
    #[error("transparency files: {0}")]
    Transparency(#[from] TransparencyError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("epoch {epoch}: {message}")]
    Inconsistent { epoch: u64, message: String },
    #[error("the epoch computation stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("agreement on the epoch's input: {0}")]
    Agree(#[from] crate::agree::AgreeError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The epoch schedule: epoch `n` is `[start + n * len, start + (n + 1) * len)`, due `delay`
/// seconds after its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub start_ts: i64,
    pub epoch_secs: i64,
    pub close_delay: i64,
    /// Uptime slot length (an hour unless `epoch.uptime_slot_secs` says otherwise).
    pub slot_secs: i64,
}

impl Schedule {
    /// # Errors
    ///
    /// [`PublishError::Settings`] unless `epoch_secs` is a nonzero whole number of uptime
    /// slots (`uptime_slot_secs`, an hour by default).
    pub fn new(s: &EpochSettings) -> Result<Self, PublishError> {
        let slot_secs = i64::try_from(s.uptime_slot_secs)
            .ok()
            .filter(|l| *l > 0)
            .ok_or_else(|| {
                PublishError::Settings(format!(
                    "epoch.uptime_slot_secs = {} must be at least 1",
                    s.uptime_slot_secs
                ))
            })?;
        let epoch_secs = i64::try_from(s.epoch_secs)
            .ok()
            .filter(|l| *l > 0 && l % slot_secs == 0)
            .ok_or_else(|| {
                PublishError::Settings(format!(
                    "epoch.epoch_secs = {} must be a nonzero multiple of epoch.uptime_slot_secs \
                     = {slot_secs}",
                    s.epoch_secs
                ))
            })?;
        let close_delay = i64::try_from(s.close_delay.as_secs())
            .map_err(|_| PublishError::Settings("epoch.close_delay is too long".to_owned()))?;
        Ok(Self {
            start_ts: s.start_ts,
            epoch_secs,
            close_delay,
            slot_secs,
        })
    }

    /// The window of epoch `n`.
    ///
    /// # Errors
    ///
    /// [`PublishError::Settings`] if the window's end overflows i64.
    pub fn window(&self, n: u64) -> Result<EpochWindow, PublishError> {
        let overflow = || PublishError::Settings(format!("epoch {n}: window overflows"));
        let start = i64::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(self.epoch_secs))
            .and_then(|o| o.checked_add(self.start_ts))
            .ok_or_else(overflow)?;
        let end = start.checked_add(self.epoch_secs).ok_or_else(overflow)?;
        EpochWindow::with_slots(start, end, self.slot_secs)
            .map_err(|e| PublishError::Settings(e.to_string()))
    }

    /// When epoch `n` may be computed: `close_delay` after its end.
    ///
    /// # Errors
    ///
    /// See [`Schedule::window`].
    pub fn due_at(&self, n: u64) -> Result<i64, PublishError> {
        Ok(self.window(n)?.end.saturating_add(self.close_delay))
    }

    /// How many epochs are due at `now` (epochs `0..count`).
    #[must_use]
    pub fn due_count(&self, now: i64) -> u64 {
        let since = now
            .saturating_sub(self.close_delay)
            .saturating_sub(self.start_ts);
        if since < self.epoch_secs {
            return 0;
        }
        u64::try_from(since / self.epoch_secs).unwrap_or(0)
    }
}

/// The emission schedule's amounts in `s`, checked as the rewards program checks them.
///
/// # Errors
///
/// [`PublishError::Settings`] if `epoch.initial_epoch_emission` or
/// `epoch.halving_interval_epochs` is zero (unset), or the lifetime emission overflows u64.
pub fn emission_schedule(s: &EpochSettings) -> Result<HalvingSchedule, PublishError> {
    let schedule = HalvingSchedule {
        initial_epoch_emission: s.initial_epoch_emission,
        halving_interval_epochs: s.halving_interval_epochs,
    };
    budget::validate(&schedule).map_err(|e| {
        PublishError::Settings(format!(
            "epoch.initial_epoch_emission = {}, epoch.halving_interval_epochs = {}: {e}; set them \
             to the network's emission schedule (the rewards program's Network.emission)",
            s.initial_epoch_emission, s.halving_interval_epochs
        ))
    })?;
    Ok(schedule)
}

/// Metrics of the epoch task (registered in the ingest's `/metrics` registry by `serve`).
#[derive(Clone, Debug)]
pub struct EpochMetrics {
    /// Epochs due but not yet published.
    pub lag: IntGauge,
    /// The last published epoch (-1: none).
    pub last_published: IntGauge,
    /// Failed publication attempts.
    pub failures: IntCounter,
}

impl EpochMetrics {
    /// # Errors
    ///
    /// Only on a programming error (an invalid metric name).
    pub fn new() -> Result<Self, prometheus::Error> {
        let last_published = IntGauge::new(
            "oracle_epoch_last_published",
            "The last epoch published by the epoch task (-1: none yet).",
        )?;
        last_published.set(-1);
        Ok(Self {
            lag: IntGauge::new(
                "oracle_epoch_lag",
                "Epochs whose close time has passed but that are not yet published.",
            )?,
            last_published,
            failures: IntCounter::new(
                "oracle_epoch_failures_total",
                "Failed epoch publication attempts (each is retried).",
            )?,
        })
    }

    /// Registers every metric in `registry`.
    ///
    /// # Errors
    ///
    /// A metric of the same name is already registered.
    pub fn register(&self, registry: &prometheus::Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.lag.clone()))?;
        registry.register(Box::new(self.last_published.clone()))?;
        registry.register(Box::new(self.failures.clone()))?;
        Ok(())
    }
}

/// Publishes due epochs from the store.
#[derive(Debug)]
pub struct Publisher {
    store: Store,
    schedule: Schedule,
    /// The emission schedule's amounts: each epoch's budget follows from them.
    emission: HalvingSchedule,
    customers: Vec<Pubkey>,
    registry_csv: PathBuf,
    epochs_dir: PathBuf,
    inputs_dir: PathBuf,
    retry_interval: Duration,
    metrics: EpochMetrics,
    /// With `agreement.enabled`: the input is the union of the sets the chain includes.
    agreement: Option<crate::agree::Agreement>,
    /// Passes of [`Publisher::agree_ahead`]: where each starts, in turn.
    ahead_passes: std::sync::atomic::AtomicU64,
}

fn unix_now() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn unix_now_ms() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn decode32(epoch: u64, what: &str, hex_str: &str) -> Result<[u8; 32], PublishError> {
    hex::decode(hex_str)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| PublishError::Inconsistent {
            epoch,
            message: format!("{what} {hex_str:?} is not 32 bytes of hex"),
        })
}

/// `<dir>.tmp`, empty (whatever a crashed attempt left there is removed).
fn fresh_tmp_dir(dir: &Path) -> Result<PathBuf, PublishError> {
    let mut tmp = dir.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    Ok(tmp)
}

/// Writes and fsyncs each file into `dir`.
fn write_files(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), PublishError> {
    for (name, bytes) in files {
        let path = dir.join(name);
        let mut f = std::fs::File::create(&path).map_err(io_err(&path))?;
        std::io::Write::write_all(&mut f, bytes).map_err(io_err(&path))?;
        f.sync_all().map_err(io_err(&path))?;
    }
    Ok(())
}

/// Renames the complete `tmp` to `dir`, replacing an older `dir`.
fn rename_into_place(tmp: &Path, dir: &Path) -> Result<(), PublishError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io_err(dir))?;
    }
    std::fs::rename(tmp, dir).map_err(io_err(dir))
}

/// fsyncs a directory, so that a rename inside it survives a power loss.
fn sync_dir(dir: &Path) -> Result<(), PublishError> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_err(dir))
}

impl Publisher {
    /// The task over `store`, with the schedule, emission schedule and paths of `settings`.
    ///
    /// # Errors
    ///
    /// An invalid schedule or emission schedule, or metrics that cannot be created.
    pub fn new(settings: &Settings, store: Store) -> Result<Self, PublishError> {
        let e = &settings.epoch;
        let mut customers = e.customers.clone();
        customers.sort_unstable();
        customers.dedup();
        Ok(Self {
            store,
            schedule: Schedule::new(e)?,
            emission: emission_schedule(e)?,
            customers,
            registry_csv: settings.registry_csv(),
            epochs_dir: settings.storage.data_dir.join(EPOCHS_DIR),
            inputs_dir: settings.storage.data_dir.join(INPUTS_DIR),
            retry_interval: e.retry_interval,
            metrics: EpochMetrics::new().map_err(|e| PublishError::Settings(e.to_string()))?,
            agreement: if settings.agreement.enabled {
                Some(
                    crate::agree::Agreement::new(settings)
                        .map_err(|e| PublishError::Settings(format!("agreement: {e}")))?,
                )
            } else {
                None
            },
            ahead_passes: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The agreement's metrics, when it runs.
    #[must_use]
    pub fn agreement_metrics(&self) -> Option<&crate::agree::AgreeMetrics> {
        self.agreement
            .as_ref()
            .map(crate::agree::Agreement::metrics)
    }

    /// `<data_dir>/epochs`.
    #[must_use]
    pub fn epochs_dir(&self) -> &Path {
        &self.epochs_dir
    }

    /// `<data_dir>/epoch-inputs`.
    #[must_use]
    pub fn inputs_dir(&self) -> &Path {
        &self.inputs_dir
    }

    /// The task's metrics.
    #[must_use]
    pub const fn metrics(&self) -> &EpochMetrics {
        &self.metrics
    }

    /// The schedule.
    #[must_use]
    pub const fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The next epoch to publish: one past the last recorded epoch, or 0. The records must be
    /// exactly `0..k` (they are written in order).
    ///
    /// # Errors
    ///
    /// A database failure, or a gap in the records.
    pub async fn next_epoch(&self) -> Result<u64, PublishError> {
        let published = self.store.published_epochs().await?;
        let mut next = 0u64;
        for p in &published {
            if p.epoch != next {
                return Err(PublishError::Inconsistent {
                    epoch: next,
                    message: format!(
                        "published_epochs has epoch {} but not epoch {next}",
                        p.epoch
                    ),
                });
            }
            next = next.saturating_add(1);
        }
        Ok(next)
    }

    /// Publishes every epoch due at `now` that is not yet published, in order.
    ///
    /// # Errors
    ///
    /// The first failure (the epochs before it stay published).
    pub async fn publish_due(&self, now: i64) -> Result<Vec<PublishedEpoch>, PublishError> {
        let mut done = Vec::new();
        while let Some(p) = self.publish_next(now).await? {
            done.push(p);
        }
        Ok(done)
    }

    /// Publishes the next epoch if it is due at `now`.
    ///
    /// # Errors
    ///
    /// See [`Publisher::publish_due`].
    pub async fn publish_next(&self, now: i64) -> Result<Option<PublishedEpoch>, PublishError> {
        let n = self.next_epoch().await?;
        // Below the final count too: the sync freezes every epoch from it on, published or not.
        let synced = self.registry_synced_at()?;
        let finals = synced.and_then(|s| s.final_epochs);
        self.prune_frozen(finals.map_or(0, |f| f.min(n)));
        let due = self.schedule.due_count(now);
        self.metrics
            .lag
            .set(i64::try_from(due.saturating_sub(n)).unwrap_or(i64::MAX));
        if self.schedule.due_at(n)? > now {
            return Ok(None);
        }
        if let Some(synced) = synced {
            let end = self.schedule.window(n)?.end;
            if synced.time < end {
                // A registry read before the epoch's end may miss devices onboarded just before
                // it, which another oracle's may hold: wait for a sync past the end.
                tracing::debug!(
                    epoch = n,
                    synced = synced.time,
                    end,
                    "waiting for the registry sync"
                );
                return Ok(None);
            }
            if !history_path(&self.registry_csv).exists() {
                tracing::debug!(epoch = n, "waiting for the registry sync's history file");
                return Ok(None);
            }
        }
        let Some(published) = self.publish(n).await? else {
            self.agree_ahead(n, now).await?;
            return Ok(None);
        };
        self.metrics
            .last_published
            .set(i64::try_from(n).unwrap_or(i64::MAX));
        self.metrics
            .lag
            .set(i64::try_from(due.saturating_sub(n).saturating_sub(1)).unwrap_or(i64::MAX));
        Ok(Some(published))
    }

    /// With the registry synced from the chain: the cluster time of the sync's last read and
    /// the epochs final right after it (None for a registry from a file, which has no such time).
    fn registry_synced_at(&self) -> Result<Option<Synced>, PublishError> {
        let history = history_path(&self.registry_csv);
        let synced = synced_at_path(&self.registry_csv);
        let never = Synced {
            time: i64::MIN,
            final_epochs: None,
        };
        match std::fs::read_to_string(&synced) {
            Ok(text) => Ok(Some(
                parse_synced_at(&text)
                    .map_or(never, |(time, final_epochs)| Synced { time, final_epochs }),
            )),
            // A chain registry that has not written its time yet is not past any epoch.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(history.exists().then_some(never))
            }
            Err(source) => Err(PublishError::Io {
                path: synced,
                source,
            }),
        }
    }

    /// Computes and publishes epoch `n` (which must be the next one), then records it. None
    /// while the oracles' agreement on its input has not settled.
    async fn publish(&self, n: u64) -> Result<Option<PublishedEpoch>, PublishError> {
        std::fs::create_dir_all(&self.epochs_dir).map_err(io_err(&self.epochs_dir))?;
        let dir = self.epochs_dir.join(epoch_dir_name(n));
        let previous_dir = n
            .checked_sub(1)
            .map(|p| self.epochs_dir.join(epoch_dir_name(p)));
        if dir.exists() {
            // A crash after the rename and before the record: adopt what was published.
            let verified = verify_epoch_dir(&dir, previous_dir.as_deref())?;
            tracing::warn!(epoch = n, dir = %dir.display(),
                "epoch directory present without a record: verified and adopted as published");
            return self.record(n, &verified).await.map(Some);
        }

        let window = self.schedule.window(n)?;
        let agreed = match &self.agreement {
            None => None,
            Some(agree) => match self.agree(agree, n, window).await? {
                crate::agree::Settled::Ready(paths) => Some(paths),
                crate::agree::Settled::Waiting(why) => {
                    tracing::debug!(epoch = n, %why, "waiting for the agreement on the input");
                    return Ok(None);
                }
            },
        };
        let previous = match &previous_dir {
            Some(p) => {
                let path = p.join(WALLETS_CSV);
                Some(std::fs::read(&path).map_err(io_err(&path))?)
            }
            None => None,
        };
        let previous_totals: Vec<(Pubkey, u64)> = match &previous {
            Some(bytes) => transparency::parse_wallets_csv(bytes)
                .map_err(InputError::from)?
                .into_iter()
                .map(|w| (w.wallet, w.cumulative))
                .collect(),
            None => Vec::new(),
        };
        // What the previous epochs gave out: the budget is the rest of the emission so far.
        let given_out = previous_total(&previous_totals)?;
        let b = budget::derive(&self.emission, n, given_out).map_err(|e| {
            PublishError::Inconsistent {
                epoch: n,
                message: format!(
                    "{e} (epoch.initial_epoch_emission and epoch.halving_interval_epochs must be \
                     the network's emission schedule)"
                ),
            }
        })?;
        let config = EpochConfig {
            epoch: n,
            budget: b.budget,
            emission: b.emission,
            carried: b.carried,
            emission_schedule: self.emission,
            window,
            customers: self.customers.clone(),
            scoring: ScoringParams::default(),
        };
        let params = canonical_json(&config)?;
        let Some(registry) = self.epoch_registry(n, window)? else {
            return Ok(None);
        };
        // Only the reports of those devices: a device onboarded after the epoch's end may have
        // sent reports timestamped inside it to an oracle that had already synced it, and those
        // would make this oracle's inputs (and manifest) differ from another's.
        let scored = parse_registry(&registry).map_err(InputError::from)?;

        std::fs::create_dir_all(&self.inputs_dir).map_err(io_err(&self.inputs_dir))?;
        let input_dir = self.inputs_dir.join(epoch_dir_name(n));
        let tmp = fresh_tmp_dir(&input_dir)?;
        let started = std::time::Instant::now();
        let (scored, written) = match agreed {
            None => {
                self.stream_reports(n, window, scored, tmp.join(REPORTS_JSONL))
                    .await?
            }
            Some(sets) => (scored, union_into(n, sets, tmp.join(REPORTS_JSONL)).await?),
        };
        {
            let mut files: Vec<(&str, &[u8])> =
                vec![(PARAMS_JSON, &params), (REGISTRY_CSV, &registry)];
            if let Some(p) = &previous {
                files.push((PREVIOUS_WALLETS_CSV, p));
            }
            write_files(&tmp, &files)?;
        }
        let previous_sha256 = previous.as_deref().map(sha256_hex);
        drop(previous);
        // The registry file is written and parsed (`scored`): keep only its hash, not its
        // bytes, through the epoch (the engine's peak).
        let registry_sha256 = sha256_hex(&registry);
        drop(registry);
        rename_into_place(&tmp, &input_dir)?;
        sync_dir(&self.inputs_dir)?;
        tracing::info!(epoch = n, reports = written, dir = %input_dir.display(),
            secs = started.elapsed().as_secs_f64(), agreed = self.agreement.is_some(),
            "epoch inputs written");

        let epochs_dir = self.epochs_dir.clone();
        let verified = tokio::task::spawn_blocking(move || {
            compute_and_write(
                &epochs_dir,
                &input_dir,
                &params,
                registry_sha256,
                &scored,
                previous_sha256,
                previous_totals,
            )
        })
        .await??;
        self.record(n, &verified).await.map(Some)
    }

    /// Removes the frozen registries of the epochs before `n` (published and final).
    fn prune_frozen(&self, n: u64) {
        let Ok(entries) = std::fs::read_dir(frozen_dir(&self.registry_csv)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let epoch = name
                .to_str()
                .and_then(|s| s.strip_prefix("epoch-"))
                .and_then(|s| s.split('.').next())
                .and_then(|s| s.parse::<u64>().ok());
            // `epoch-<m>.csv` and a crash's `epoch-<m>.csv.tmp` alike.
            if epoch.is_some_and(|m| m < n)
                && let Err(e) = std::fs::remove_file(entry.path())
            {
                tracing::warn!(error = %e, file = %entry.path().display(),
                    "removing a frozen registry failed");
            }
        }
    }

    /// Epoch `n`'s registry (its `window`), or None while it must wait. With a registry from a
    /// file (no history beside it), the file as it is. With the chain sync: the registry the
    /// sync froze while `n` was not final (`registry::file::to_freeze`); if there is none and
    /// the sync says `n` is final (this oracle was not reading the chain before), rebuilt from
    /// `registry-history.csv` as it stood at the end (each cell as at the start) unless a device
    /// changed hands since the end or moved since the start, when its owner or cell then can no
    /// longer be read from the chain; otherwise None (the sync freezes it).
    ///
    /// # Errors
    ///
    /// The files cannot be read or written; or an owner that cannot be known (the epoch must
    /// come from a peer).
    fn epoch_registry(&self, n: u64, window: EpochWindow) -> Result<Option<Vec<u8>>, PublishError> {
        let (start, end) = (window.start, window.end);
        let frozen = frozen_path(&self.registry_csv, n);
        match std::fs::read(&frozen) {
            Ok(bytes) => return Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(PublishError::Io {
                    path: frozen,
                    source,
                });
            }
        }
        let history_file = history_path(&self.registry_csv);
        let history = match std::fs::read(&history_file) {
            Ok(history) => history,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return match std::fs::read(&self.registry_csv) {
                    Ok(b) => Ok(Some(b)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Ok(Some(format!("{REGISTRY_HEADER}\n").into_bytes()))
                    }
                    Err(source) => Err(PublishError::Io {
                        path: self.registry_csv.clone(),
                        source,
                    }),
                };
            }
            Err(source) => {
                return Err(PublishError::Io {
                    path: history_file,
                    source,
                });
            }
        };
        // Read after the history; the count may be older than it (the sync writes it last),
        // which only makes the epoch look less final: the safe side.
        let finals = self.registry_synced_at()?.and_then(|s| s.final_epochs);
        if finals.is_none_or(|f| f <= n) {
            tracing::debug!(
                epoch = n,
                "waiting for the registry sync to freeze the epoch's registry"
            );
            return Ok(None);
        }
        if let Some(device) = unknowable_owner(&history, end).map_err(InputError::from)? {
            return Err(PublishError::Inconsistent {
                epoch: n,
                message: format!(
                    "the epoch was final when this oracle first read the registry past its end, \
                     and device {device} changed hands since: its owner at the end cannot be \
                     read from the chain (take the epoch from a peer)"
                ),
            });
        }
        if let Some(device) = unknowable_location(&history, start, end).map_err(InputError::from)? {
            return Err(PublishError::Inconsistent {
                epoch: n,
                message: format!(
                    "the epoch was final when this oracle first read the registry past its end, \
                     and device {device} moved since its start: its cell then cannot be read \
                     from the chain (take the epoch from a peer)"
                ),
            });
        }
        let registry = registry_as_of(&history, start, end).map_err(InputError::from)?;
        drop(history);
        crate::registry::sync::write_atomically(&frozen, &registry).map_err(|e| {
            PublishError::Io {
                path: frozen.clone(),
                source: std::io::Error::other(e.to_string()),
            }
        })?;
        Ok(Some(registry))
    }

    /// While epoch `n` waits for the agreement on its input, the next [`AGREE_AHEAD`] epochs
    /// that are already due (and past the registry sync) are committed and acknowledged too, so
    /// that an oracle held back on one epoch does not miss the later epochs' closes: their
    /// inputs then include its set and it holds theirs. Their roots still wait for `n`'s.
    /// A failure is logged; the next pass tries again.
    ///
    /// # Errors
    ///
    /// Only a schedule overflow or an unreadable sync time.
    async fn agree_ahead(&self, n: u64, now: i64) -> Result<(), PublishError> {
        let Some(agree) = &self.agreement else {
            return Ok(());
        };
        let synced = self.registry_synced_at()?;
        let mut ready = Vec::new();
        for m in n.saturating_add(1)..=n.saturating_add(AGREE_AHEAD) {
            let window = self.schedule.window(m)?;
            if self.schedule.due_at(m)? > now || synced.is_some_and(|s| s.time < window.end) {
                break;
            }
            ready.push((m, window));
        }
        if ready.is_empty() {
            return Ok(());
        }
        // Each pass starts one epoch further on, so one slow epoch cannot hold the others back.
        let pass = self
            .ahead_passes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let first = usize::try_from(pass % ready.len() as u64).unwrap_or(0);
        ready.rotate_left(first);
        // No new epoch is started once the budget is spent; one that is started runs to its end
        // (cutting it off would throw away a written set or a download).
        let started = std::time::Instant::now();
        for (m, window) in ready {
            if started.elapsed() > AGREE_AHEAD_BUDGET {
                break;
            }
            match self.agree(agree, m, window).await {
                Ok(_) => {}
                // Final and closed out: nothing to commit; the epoch task meets it in turn.
                Err(PublishError::Agree(crate::agree::AgreeError::Gone(_))) => {}
                Err(e) => tracing::warn!(epoch = m, waiting_on = n, error = %e,
                    "agreeing on a later epoch's input ahead failed; retrying on the next pass"),
            }
        }
        Ok(())
    }

    /// Writes this oracle's own report set of epoch `n` once (the stored reports of the devices
    /// onboarded before its end), then advances the agreement on the epoch's input.
    async fn agree(
        &self,
        agree: &crate::agree::Agreement,
        n: u64,
        window: EpochWindow,
    ) -> Result<crate::agree::Settled, PublishError> {
        let sets = agree.sets();
        let own = match sets.own(n).map_err(io_err(&sets.epoch_dir(n)))? {
            Some(own) => own,
            None => {
                let Some(registry) = self.epoch_registry(n, window)? else {
                    return Ok(crate::agree::Settled::Waiting(
                        "the registry sync has not frozen the epoch's registry yet".into(),
                    ));
                };
                let scored = parse_registry(&registry).map_err(InputError::from)?;
                drop(registry);
                let tmp = sets
                    .temp_path(n, "own-set")
                    .map_err(io_err(&sets.epoch_dir(n)))?;
                let (_, written) = self.stream_reports(n, window, scored, tmp.clone()).await?;
                let own = sets
                    .record_own(n, &tmp, written)
                    .map_err(io_err(&sets.epoch_dir(n)))?;
                tracing::info!(epoch = n, reports = written, bytes = own.bytes,
                    hash = %hex::encode(own.hash), "own report set written");
                own
            }
        };
        Ok(agree.settle(n, &own).await?)
    }

    /// Writes the window's stored reports of the `scored` devices to `path` as reports.jsonl,
    /// ordered by timestamp, then device bytes, then nonce, and fsyncs it. The rows stream
    /// from one query, in timestamp order, to a blocking writer thread [`STREAM_CHUNK`] at a
    /// time; the writer sorts each second's reports (arrival order within a second differs
    /// between oracles) and encodes them on every core. Only one second's reports and one
    /// chunk are held at a time, never the window. Returns the registry back and the number of
    /// reports written.
    async fn stream_reports(
        &self,
        n: u64,
        window: EpochWindow,
        scored: Registry,
        path: PathBuf,
    ) -> Result<(Registry, u64), PublishError> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<StoredReport>>(2);
        let writer = tokio::task::spawn_blocking(move || {
            let file = std::fs::File::create(&path).map_err(io_err(&path))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            let mut written = 0u64;
            // The reports of the current second, then those sorted and not yet written.
            let mut second: Vec<StoredReport> = Vec::new();
            let mut ready: Vec<StoredReport> = Vec::with_capacity(STREAM_CHUNK);
            let mut write = |ready: &mut Vec<StoredReport>| -> Result<(), PublishError> {
                let lines: Vec<String> = ready
                    .par_iter()
                    .map(|r| {
                        r.to_signed().and_then(|s| s.to_json()).map_err(|e| {
                            PublishError::Inconsistent {
                                epoch: n,
                                message: format!("stored report id {} does not decode: {e}", r.id),
                            }
                        })
                    })
                    .collect::<Result<_, _>>()?;
                ready.clear();
                for json in &lines {
                    out.write_all(json.as_bytes()).map_err(io_err(&path))?;
                    out.write_all(b"\n").map_err(io_err(&path))?;
                }
                written += lines.len() as u64;
                Ok(())
            };
            let end_second = |second: &mut Vec<StoredReport>, ready: &mut Vec<StoredReport>| {
                second.sort_unstable_by_key(|r| (r.device, r.nonce));
                ready.append(second);
            };
            while let Some(chunk) = rx.blocking_recv() {
                for r in chunk {
                    if scored.position(&r.device).is_none() {
                        continue;
                    }
                    if second.last().is_some_and(|last| last.ts != r.ts) {
                        end_second(&mut second, &mut ready);
                        if ready.len() >= STREAM_CHUNK {
                            write(&mut ready)?;
                        }
                    }
                    second.push(r);
                }
            }
            end_second(&mut second, &mut ready);
            write(&mut ready)?;
            let file = out.into_inner().map_err(|e| PublishError::Io {
                path: path.clone(),
                source: e.into_error(),
            })?;
            file.sync_all().map_err(io_err(&path))?;
            Ok::<_, PublishError>((scored, written))
        });
        let read = async {
            let mut rows = self
                .store
                .reports_in_window_stream(window.start, window.end);
            let mut chunk = Vec::with_capacity(STREAM_CHUNK);
            while let Some(r) = rows.try_next().await? {
                chunk.push(r);
                if chunk.len() == STREAM_CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(STREAM_CHUNK));
                    if tx.send(full).await.is_err() {
                        // The writer stopped: its error is the one to report.
                        return Ok(());
                    }
                }
            }
            if !chunk.is_empty() {
                let _ = tx.send(chunk).await;
            }
            Ok::<_, PublishError>(())
        }
        .await;
        drop(tx);
        let written = writer.await??;
        read?;
        Ok(written)
    }

    async fn record(&self, n: u64, v: &Verified) -> Result<PublishedEpoch, PublishError> {
        if v.epoch != n {
            return Err(PublishError::Inconsistent {
                epoch: n,
                message: format!("the epoch directory holds epoch {}", v.epoch),
            });
        }
        let published = PublishedEpoch {
            epoch: n,
            root_hash: v
                .root_hash
                .as_deref()
                .map(|h| decode32(n, "root hash", h))
                .transpose()?,
            root_sum: v.root_sum,
            leaves: depin_formats::count_u64(v.wallets),
            manifest_hash: decode32(n, "manifest hash", &v.manifest_hash)?,
            published_at: unix_now_ms(),
        };
        if !self.store.record_epoch(&published).await? {
            return Err(PublishError::Inconsistent {
                epoch: n,
                message: "already recorded by another writer".to_owned(),
            });
        }
        tracing::info!(
            epoch = n,
            root = v.root_hash.as_deref().unwrap_or("none"),
            root_sum = v.root_sum,
            manifest_hash = %v.manifest_hash,
            devices = v.devices,
            wallets = v.wallets,
            "epoch published"
        );
        Ok(published)
    }

    /// The supervised task: publishes each epoch when it is due (catching up missed ones in
    /// order) until shutdown. A failed attempt is logged, counted and retried after
    /// `retry_interval`; an epoch being computed is finished before shutdown returns.
    ///
    /// # Errors
    ///
    /// None today: failures are retried.
    pub async fn run(self, mut shutdown: Shutdown) -> Result<(), TaskError> {
        tracing::info!(
            start_ts = self.schedule.start_ts,
            epoch_secs = self.schedule.epoch_secs,
            close_delay = self.schedule.close_delay,
            initial_epoch_emission = self.emission.initial_epoch_emission,
            halving_interval_epochs = self.emission.halving_interval_epochs,
            dir = %self.epochs_dir.display(),
            "epoch task ready"
        );
        loop {
            let now = unix_now();
            let wait = match self.publish_next(now).await {
                Ok(Some(_)) => Duration::ZERO,
                Ok(None) => self.wait_for_next(now).await,
                Err(e) => {
                    self.metrics.failures.inc();
                    tracing::error!(error = %e, retry_in = ?self.retry_interval,
                        "epoch task: publication failed; will retry");
                    self.retry_interval
                }
            };
            tokio::select! {
                () = shutdown.requested() => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn wait_for_next(&self, now: i64) -> Duration {
        let due = match self.next_epoch().await {
            Ok(n) => self.schedule.due_at(n).ok(),
            Err(_) => None,
        };
        let secs = due.map_or(60, |d| d.saturating_sub(now).max(1));
        Duration::from_secs(u64::try_from(secs).unwrap_or(60)).min(MAX_SLEEP)
    }
}

/// Writes the union of the agreed report sets (`epoch::union`) to `out` and fsyncs it; returns
/// the number of reports written.
async fn union_into(n: u64, sets: Vec<PathBuf>, out: PathBuf) -> Result<u64, PublishError> {
    tokio::task::spawn_blocking(move || {
        let mut readers = Vec::with_capacity(sets.len());
        for path in &sets {
            let file = std::fs::File::open(path).map_err(io_err(path))?;
            readers.push(std::io::BufReader::with_capacity(1 << 20, file));
        }
        let file = std::fs::File::create(&out).map_err(io_err(&out))?;
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
        let stats = super::union::merge_sets(readers, &mut writer).map_err(io_err(&out))?;
        let file = writer.into_inner().map_err(|e| PublishError::Io {
            path: out.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io_err(&out))?;
        if stats.malformed + stats.out_of_order > 0 {
            tracing::warn!(
                epoch = n,
                malformed = stats.malformed,
                out_of_order = stats.out_of_order,
                "lines of the agreed sets dropped by the union"
            );
        }
        tracing::info!(
            epoch = n,
            sets = sets.len(),
            reports = stats.kept,
            duplicates = stats.duplicates,
            "union of the agreed report sets written"
        );
        Ok(stats.kept)
    })
    .await?
}

/// The CPU-bound part: the same parse and engine as `oracle epoch run` over the input
/// directory just written (reports.jsonl read line by line, never whole), then the files, then
/// a self-check with `verify_epoch_dir`. `registry` is parsed from the registry.csv whose
/// sha256 is `registry_sha256`; `previous_totals` from the previous_wallets.csv whose sha256 is
/// `previous_sha256` (none for epoch 0).
fn compute_and_write(
    epochs_dir: &Path,
    input_dir: &Path,
    params: &[u8],
    registry_sha256: String,
    registry: &Registry,
    previous_sha256: Option<String>,
    previous_totals: Vec<(Pubkey, u64)>,
) -> Result<Verified, PublishError> {
    let parsed = inputs::open_reports(&input_dir.join(REPORTS_JSONL))?;
    let mut hashes = BTreeMap::from([
        (PARAMS_JSON.to_owned(), sha256_hex(params)),
        (REGISTRY_CSV.to_owned(), registry_sha256),
        (REPORTS_JSONL.to_owned(), parsed.sha256),
    ]);
    if let Some(sha256) = previous_sha256 {
        hashes.insert(PREVIOUS_WALLETS_CSV.to_owned(), sha256);
    }
    let config = inputs::parse_params(params)?;
    let rejected = parsed.rejected;
    for (reason, count) in &rejected {
        tracing::warn!(
            epoch = config.epoch,
            reason,
            count,
            "stored reports refused by the engine"
        );
    }
    let result = run(&config, registry, parsed.reports, previous_totals)?;
    let (result, dishonest) = failpoint_dishonest(result)?;
    let written = transparency::write_epoch(epochs_dir, &result, &hashes, &rejected)?;
    sync_dir(epochs_dir)?;
    // A dishonest tree's `previous` column no longer matches the previous wallets.csv: it is
    // checked on its own (every row, the split, the tree, the budget), not against it.
    let previous_dir = config
        .epoch
        .checked_sub(1)
        .filter(|_| !dishonest)
        .map(|p| epochs_dir.join(epoch_dir_name(p)));
    Ok(verify_epoch_dir(&written.dir, previous_dir.as_deref())?)
}

/// The test-only failpoint `DEPIN_ORACLE_DISHONEST` ([`super::dishonest`]): the engine's result
/// with a wallet's earlier total moved to another's, and its root rebuilt. Returns whether it
/// applied.
#[cfg(feature = "test-failpoints")]
fn failpoint_dishonest(
    mut result: transparency::EpochResult,
) -> Result<(transparency::EpochResult, bool), PublishError> {
    use super::dishonest::Dishonest;
    let epoch = result.config.epoch;
    let failpoint = Dishonest::from_env().map_err(|e| PublishError::Settings(e.to_string()))?;
    let Some(failpoint) = failpoint else {
        return Ok((result, false));
    };
    let applied = failpoint
        .apply(&mut result.wallets)
        .map_err(|e| PublishError::Inconsistent {
            epoch,
            message: e.to_string(),
        })?;
    if applied {
        result.root = depin_formats::tree::root(&result.wallets).map_err(EpochError::from)?;
        tracing::warn!(epoch, victim = %failpoint.victim, amount = failpoint.amount,
            beneficiary = %failpoint.beneficiary,
            "test failpoint {}: publishing a dishonest tree", super::dishonest::ENV);
    }
    Ok((result, applied))
}

/// Without the `test-failpoints` feature there is no dishonest tree.
#[cfg(not(feature = "test-failpoints"))]
#[allow(clippy::unnecessary_wraps)]
fn failpoint_dishonest(
    result: transparency::EpochResult,
) -> Result<(transparency::EpochResult, bool), PublishError> {
    Ok((result, false))
}
