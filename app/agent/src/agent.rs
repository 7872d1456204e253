//! The running agent (`depin-agent run`): makes reports on [`crate::schedule`], writes each to the
//! spool (fsynced) before any send, and drains the spool to every oracle independently, one task
//! per oracle with its own cursor and backoff: an oracle that is down never delays another.
//! SIGTERM or Ctrl-C stops making reports, keeps sending for up to `shutdown_grace`, writes the
//! status a last time and exits 0.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use depin_formats::report::{Payload, binary_timestamp};
use tokio::sync::watch;

use crate::make::Maker;
use crate::nonce::NonceFile;
use crate::settings::Settings;
use crate::spool::Spool;
use crate::status::{OracleStatus, Status, now_ms};
use crate::uplink::{self, Backoff, Failure, Outcome};
use crate::{inbox, key, schedule};

/// State shared by the report maker, the oracle tasks and the status writer.
struct Shared {
    spool: Mutex<Spool>,
    oracles: Mutex<Vec<OracleStatus>>,
    generated: AtomicU64,
    unspooled: AtomicU64,
}

impl Shared {
    fn spool(&self) -> MutexGuard<'_, Spool> {
        self.spool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn oracles(&self) -> MutexGuard<'_, Vec<OracleStatus>> {
        self.oracles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn oracle<R>(&self, i: usize, f: impl FnOnce(&mut OracleStatus) -> R) -> Option<R> {
        self.oracles().get_mut(i).map(f)
    }
}

fn unix_now() -> i64 {
    i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX)
}

/// Runs until SIGTERM/SIGINT.
///
/// # Errors
///
/// Another agent holds the state directory's lock; the key, the nonce file or the spool cannot
/// be used at the start, or the last status.json cannot be written.
pub async fn run(settings: Settings) -> Result<()> {
    if settings.oracles.is_empty() {
        bail!("no oracles configured: set `oracles` (DEPIN_AGENT__ORACLES)");
    }
    let dir = settings.state_dir.clone();
    let key = key::load(&dir)?;
    // Held until `run` returns: a second agent on this directory would reuse nonces.
    let _lock = crate::fsutil::lock_state(&dir)?;
    let device = key::device(&key).to_string();
    let nonces = NonceFile::open(
        &dir,
        settings.nonce_block,
        u64::try_from(unix_now()).unwrap_or(0),
    )
    .context("nonce file")?;
    let mut maker = Maker::new(key, nonces);
    let spool = Spool::open(&dir, &settings.oracles, settings.segment_records).context("spool")?;
    let client = uplink::client(settings.request_timeout).context("HTTP client")?;
    let shared = Arc::new(Shared {
        oracles: Mutex::new(
            settings
                .oracles
                .iter()
                .map(|u| OracleStatus {
                    url: u.clone(),
                    ..OracleStatus::default()
                })
                .collect(),
        ),
        spool: Mutex::new(spool),
        generated: AtomicU64::new(0),
        unspooled: AtomicU64::new(0),
    });
    let (end_tx, end_rx) = watch::channel(shared.spool().end());
    let (stop_tx, stop_rx) = watch::channel(false);
    tracing::info!(%device, oracles = settings.oracles.len(), next_nonce = maker.nonces().peek(), "agent started");
    let mut tasks = tokio::task::JoinSet::new();
    for (i, url) in settings.oracles.iter().enumerate() {
        tasks.spawn(drain(
            Arc::clone(&shared),
            settings.clone(),
            i,
            url.clone(),
            client.clone(),
            end_rx.clone(),
            stop_rx.clone(),
        ));
    }
    let started_ms = now_ms();
    let status = |maker: &Maker<NonceFile>| Status {
        device: device.clone(),
        pid: std::process::id(),
        started_ms,
        updated_ms: now_ms(),
        stopped_ms: None,
        tick_ms: u64::try_from(settings.tick.as_millis()).unwrap_or(u64::MAX),
        generated: shared.generated.load(Ordering::Relaxed),
        unspooled: shared.unspooled.load(Ordering::Relaxed),
        next_nonce: maker.nonces().peek(),
        oracles: {
            let spool = shared.spool();
            let mut all = shared.oracles().clone();
            for o in &mut all {
                o.queue_depth = spool.depth(&o.url);
            }
            all
        },
    };
    let mut heartbeat = tokio::time::interval(settings.interval);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut speed = tokio::time::interval(settings.speedtest_every);
    speed.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut tick = tokio::time::interval(settings.tick);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut speed_test: Option<tokio::task::JoinHandle<Option<Result<Payload, String>>>> = None;
    loop {
        tokio::select! {
            _ = heartbeat.tick() => {
                enqueue(&shared, &mut maker, &end_tx, schedule::heartbeat(&settings));
            }
            _ = speed.tick(), if !settings.speedtest_command.is_empty() => {
                // A task: ticks and signals are not delayed while the command runs.
                if speed_test.is_some() {
                    tracing::warn!("the previous speed test still runs: this one is skipped");
                } else {
                    let (command, timeout) = (settings.speedtest_command.clone(), settings.request_timeout);
                    speed_test = Some(tokio::spawn(async move { schedule::speedtest(&command, timeout).await }));
                }
            }
            done = async {
                match speed_test.as_mut() {
                    Some(task) => task.await,
                    None => std::future::pending().await,
                }
            }, if speed_test.is_some() => {
                speed_test = None;
                match done {
                    Ok(Some(Ok(p))) => { enqueue(&shared, &mut maker, &end_tx, p); }
                    Ok(Some(Err(e))) => tracing::warn!(error = %e, "speed test failed"),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "speed test task failed"),
                }
            }
            _ = tick.tick() => {
                take_inbox(&dir, &shared, &mut maker, &end_tx)?;
                if let Err(e) = status(&maker).write(&dir) {
                    tracing::warn!(error = %e, "writing status.json");
                }
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    tracing::info!(grace = ?settings.shutdown_grace, "stopping: no new reports; sending what is buffered");
    if let Some(task) = speed_test.take() {
        // Its command is killed with it.
        task.abort();
    }
    let _ = stop_tx.send(true);
    let all_done = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(settings.shutdown_grace, all_done)
        .await
        .is_err()
    {
        tasks.abort_all();
    }
    let last = Status {
        stopped_ms: Some(now_ms()),
        ..status(&maker)
    };
    last.write(&dir)?;
    tracing::info!("stopped");
    Ok(())
}

/// Makes one report, writes it to the spool (fsynced) and wakes the oracle tasks. A report that
/// cannot be made durable (the nonce mark or the spool cannot be written: a full disk) is
/// logged, counted (`unspooled`) and skipped: the agent goes on, and its drains free the disk.
/// Returns whether the report is durable.
fn enqueue(
    shared: &Shared,
    maker: &mut Maker<NonceFile>,
    end_tx: &watch::Sender<u64>,
    payload: Payload,
) -> bool {
    let kind = payload.kind_name();
    let made = maker
        .make(payload, unix_now())
        .context("reserving a nonce")
        .and_then(|report| {
            let index = shared
                .spool()
                .append(&report.to_binary())
                .context("writing the spool")?;
            Ok((report, index))
        });
    let (report, index) = match made {
        Ok(m) => m,
        Err(e) => {
            shared.unspooled.fetch_add(1, Ordering::Relaxed);
            tracing::error!(kind, error = %format!("{e:#}"), "a report could not be made durable: skipped");
            return false;
        }
    };
    shared.generated.fetch_add(1, Ordering::Relaxed);
    let _ = end_tx.send(index.saturating_add(1));
    tracing::info!(
        nonce = report.report.nonce,
        kind,
        ts = report.report.timestamp,
        index,
        "report made"
    );
    true
}

/// Signs and spools every waiting inbox file, removing each after its report is durable (a file
/// whose report could not be made durable waits for the next tick).
fn take_inbox(
    dir: &Path,
    shared: &Shared,
    maker: &mut Maker<NonceFile>,
    end_tx: &watch::Sender<u64>,
) -> Result<()> {
    for path in inbox::pending(dir).unwrap_or_default() {
        match inbox::read(&path) {
            Ok(payload) => {
                if !enqueue(shared, maker, end_tx, payload) {
                    break;
                }
                inbox::remove(&path).with_context(|| format!("removing {}", path.display()))?;
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "refusing an inbox file");
                let _ = inbox::refuse(&path);
            }
        }
    }
    Ok(())
}

/// A wait after a failure, cut short by the stop: true to try again (once more at once when the
/// stop comes during the wait), false to end the task (the stop came before a failure: this
/// oracle failed during the shutdown grace).
async fn pause(delay: std::time::Duration, stop_rx: &mut watch::Receiver<bool>) -> bool {
    if *stop_rx.borrow_and_update() {
        return false;
    }
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        _ = stop_rx.changed() => {}
    }
    true
}

/// One oracle's task: sends the spool from its cursor, in order, in batches.
async fn drain(
    shared: Arc<Shared>,
    settings: Settings,
    i: usize,
    url: String,
    client: reqwest::Client,
    mut end_rx: watch::Receiver<u64>,
    mut stop_rx: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new(settings.backoff_min, settings.backoff_max);
    let max_age = i64::try_from(settings.max_age.as_secs()).unwrap_or(i64::MAX);
    // Halved on a 413 (this oracle takes smaller batches than `batch_size`), never grown back.
    let mut batch_size = settings.batch_size;
    loop {
        let read = {
            let spool = shared.spool();
            spool.read(spool.cursor(&url), batch_size)
        };
        let records = match read {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(oracle = %url, error = %e, "reading the spool");
                if !pause(backoff.next_delay(), &mut stop_rx).await {
                    return;
                }
                continue;
            }
        };
        if records.is_empty() {
            if *stop_rx.borrow() {
                return;
            }
            end_rx.borrow_and_update();
            tokio::select! {
                _ = end_rx.changed() => {}
                _ = stop_rx.changed() => {}
                () = tokio::time::sleep(settings.tick) => {}
            }
            continue;
        }
        let started = Instant::now();
        let cutoff = unix_now().saturating_sub(max_age);
        let mut outcomes: Vec<Option<Outcome>> = records
            .iter()
            .map(|(_, b)| {
                (binary_timestamp(b).is_none_or(|ts| ts < cutoff)).then_some(Outcome::Expired)
            })
            .collect();
        let to_send: Vec<(usize, &[u8])> = records
            .iter()
            .enumerate()
            .filter(|(j, _)| outcomes.get(*j).is_some_and(Option::is_none))
            .map(|(j, (_, b))| (j, b.as_slice()))
            .collect();
        let bodies: Vec<&[u8]> = to_send.iter().map(|(_, b)| *b).collect();
        let result = if bodies.is_empty() {
            uplink::BatchResult {
                outcomes: Vec::new(),
                failure: None,
            }
        } else {
            uplink::send_batch(&client, &url, &bodies).await
        };
        for ((j, _), o) in to_send.iter().zip(&result.outcomes) {
            if let Some(slot) = outcomes.get_mut(*j) {
                *slot = *o;
            }
        }
        let settled: Vec<Outcome> = outcomes.iter().map_while(|o| *o).collect();
        if let Some(((last, _), _)) = records.iter().zip(&settled).next_back() {
            if let Err(e) = shared.spool().ack(&url, last.saturating_add(1)) {
                tracing::error!(oracle = %url, error = %e, "writing the cursor");
            }
            record_settled(&shared, i, &url, &settled, started);
        }
        match result.failure {
            None => {
                backoff.reset();
                shared.oracle(i, |s| s.last_error = None);
            }
            Some(Failure::Refused(413, reason, _))
                if batch_size > 1
                    && matches!(reason.as_str(), "batch_too_large" | "body_too_large") =>
            {
                batch_size = (batch_size / 2).max(1);
                tracing::warn!(oracle = %url, %reason, batch_size, "the oracle refused the batch's size: halved");
                shared.oracle(i, |s| s.failures = s.failures.saturating_add(1));
            }
            Some(failure) => {
                // A Retry-After is the oracle's word, but at most backoff_max.
                let delay = match &failure {
                    Failure::RetryAfter(Some(d), _) => (*d).min(settings.backoff_max),
                    _ => backoff.next_delay(),
                };
                shared.oracle(i, |s| {
                    s.failures = s.failures.saturating_add(1);
                    if matches!(failure, Failure::Refused(..)) {
                        s.refused = s.refused.saturating_add(1);
                    }
                    s.last_error = Some(failure.to_string());
                });
                tracing::warn!(oracle = %url, error = %failure, retry_in = ?delay, "send failed");
                if !pause(delay, &mut stop_rx).await {
                    return;
                }
            }
        }
    }
}

/// Counts and logs the outcomes of the reports a batch settled for oracle `i`, in its status.
fn record_settled(shared: &Shared, i: usize, url: &str, settled: &[Outcome], started: Instant) {
    let count = |f: fn(&Outcome) -> bool| settled.iter().filter(|o| f(o)).count() as u64;
    let acked = count(|o| o.acknowledged());
    let expired = count(|o| *o == Outcome::Expired);
    let already = count(|o| *o == Outcome::AlreadyStored);
    let conflicts = count(|o| *o == Outcome::Conflict);
    let future = count(|o| *o == Outcome::Future);
    if already > 0 {
        tracing::info!(oracle = %url, already, "the oracle had stored reports before (409 replayed_nonce): acknowledged");
    }
    if expired > 0 {
        tracing::warn!(oracle = %url, expired, "dropped reports too old to send");
    }
    if conflicts > 0 {
        tracing::error!(oracle = %url, conflicts, "dropped reports whose nonce the oracle holds for another report of this device (409 replayed_nonce, another signature): was this state directory copied or restored?");
    }
    if future > 0 {
        tracing::warn!(oracle = %url, future, "dropped reports ahead of the oracle's clock (422 future_timestamp): was this device's clock set back?");
    }
    shared.oracle(i, |s| {
        s.acknowledged = s.acknowledged.saturating_add(acked);
        s.already_stored = s.already_stored.saturating_add(already);
        s.expired = s.expired.saturating_add(expired);
        s.conflicts = s.conflicts.saturating_add(conflicts);
        s.future = s.future.saturating_add(future);
        if acked > 0 {
            s.last_ack_ms = Some(now_ms());
        }
    });
    tracing::debug!(oracle = %url, acked, expired, conflicts, future, took = ?started.elapsed(), "batch settled");
}
