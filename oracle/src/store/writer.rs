//! The ingest's single writer, with group commit.
//!
//! Every ingest request hands its verified batch to one writer task over a bounded channel and
//! waits for the outcome. The writer takes the first waiting batch, then every other batch
//! already queued (up to [`GROUP_MAX_REPORTS`] reports), stores them with
//! [`Store::insert_group`] in one transaction, and answers each request only after that
//! transaction has committed. Under load one commit (one fsync, one pass over the replay
//! index's pages) serves many requests; with a single request in flight it is an ordinary
//! transaction and adds no wait.
//!
//! ```text
//! request ─► verified batch ─► channel ─► writer: [batch, batch, ...] ─► BEGIN
//!   ─► SAVEPOINT / INSERT ... / RELEASE per batch ─► COMMIT ─► each request's outcome
//! ```
//!
//! The writer ends when every [`Writer`] handle is dropped, after it has answered the batches
//! already queued. A request whose client went away still has its batch committed (its
//! answer is dropped); a batch is never half stored.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use depin_formats::report::SignedReport;
use tokio::sync::{mpsc, oneshot};

use super::{Inserted, Store, StoreError};

/// Most reports one group commit gathers (a single larger batch still goes alone).
pub const GROUP_MAX_REPORTS: usize = 4_096;

type Reply = Result<Inserted, Arc<StoreError>>;

struct Job {
    reports: Arc<[SignedReport]>,
    reply: oneshot::Sender<Reply>,
}

/// A handle to the writer task (cheap to clone).
#[derive(Clone, Debug)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// Why a batch was not stored.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The group's transaction failed; nothing of it is stored.
    #[error("{0}")]
    Store(Arc<StoreError>),
    /// The writer task is gone (it panicked, or the service is stopping).
    #[error("the report writer has stopped")]
    Stopped,
}

/// Sees each group commit: for the metrics, and for tests.
pub trait GroupObserver: Send + Sync + 'static {
    /// A group's transaction begins.
    fn started(&self, _batches: usize, _reports: usize) {}
    /// A group has committed.
    fn group(&self, batches: usize, reports: usize);
}

impl GroupObserver for () {
    fn group(&self, _: usize, _: usize) {}
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Writer {
    /// Spawns the writer task on the current tokio runtime, with room for `queue` waiting
    /// batches.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    #[must_use]
    pub fn spawn(store: Store, queue: usize, observer: impl GroupObserver) -> Self {
        let (jobs, rx) = mpsc::channel(queue.max(1));
        tokio::spawn(run(store, rx, observer));
        Self { jobs }
    }

    /// Batches waiting for the writer (not counting the group being committed).
    #[must_use]
    pub fn queued(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }

    /// Stores `reports` all-or-nothing (grouped with whatever else is waiting) and returns
    /// once the transaction holding them has committed.
    ///
    /// # Errors
    ///
    /// The group's transaction failed, or the writer has stopped: nothing of `reports` is
    /// stored.
    pub async fn insert(&self, reports: Arc<[SignedReport]>) -> Result<Inserted, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { reports, reply })
            .await
            .map_err(|_| WriteError::Stopped)?;
        answer
            .await
            .map_err(|_| WriteError::Stopped)?
            .map_err(WriteError::Store)
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>, observer: impl GroupObserver) {
    while let Some(first) = rx.recv().await {
        let mut rows = first.reports.len();
        let mut group = vec![first];
        while rows < GROUP_MAX_REPORTS {
            match rx.try_recv() {
                Ok(job) => {
                    rows = rows.saturating_add(job.reports.len());
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        observer.started(group.len(), rows);
        let batches: Vec<&[SignedReport]> = group.iter().map(|j| &*j.reports).collect();
        let result = store.insert_group(&batches, unix_ms()).await;
        drop(batches);
        match result {
            Ok(outcomes) => {
                observer.group(group.len(), rows);
                for (job, outcome) in group.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, batches = group.len(), rows, "group commit failed");
                let e = Arc::new(e);
                for job in group {
                    let _ = job.reply.send(Err(Arc::clone(&e)));
                }
            }
        }
    }
    tracing::debug!("report writer stopped");
}
