//! Background tasks under one supervisor. Each task gets a [`Shutdown`] it must watch. The
//! supervisor stops every task in reverse order of registration when the stop signal fires
//! (SIGTERM or Ctrl-C in `oracle serve`) or when any task ends on its own (a failing task stops
//! the rest); [`Supervisor::run`] returns an error if any task failed, so the exit code tells
//! the truth.
//!
//! `oracle serve` registers the HTTP ingest, the epoch task (`epoch::publish`), the registry sync
//! (`registry::sync`), the submit task (`chain::submit`), the watch task and the offences task
//! (`offences::Offences::run`).

use std::future::Future;
use std::pin::Pin;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// A task's error.
pub type TaskError = Box<dyn std::error::Error + Send + Sync>;

type TaskFuture = Pin<Box<dyn Future<Output = Result<(), TaskError>> + Send>>;
type TaskFn = Box<dyn FnOnce(Shutdown) -> TaskFuture + Send>;

/// Resolves when the supervisor asks the task to stop.
#[derive(Clone, Debug)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Waits for the stop request (returns at once if it was already made, or if the
    /// supervisor is gone).
    pub async fn requested(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Why the supervisor stopped with a failure.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("task {task} failed: {error}")]
    Failed {
        task: &'static str,
        error: TaskError,
    },
    #[error("task {0} stopped before shutdown was requested")]
    Exited(&'static str),
    #[error("task {task} panicked or was cancelled: {error}")]
    Panicked {
        task: &'static str,
        error: tokio::task::JoinError,
    },
}

/// The registered tasks.
#[derive(Default)]
pub struct Supervisor {
    tasks: Vec<(&'static str, TaskFn)>,
}

impl Supervisor {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a task. Tasks start in registration order and stop in reverse.
    pub fn add<F, Fut>(&mut self, name: &'static str, task: F)
    where
        F: FnOnce(Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), TaskError>> + Send + 'static,
    {
        self.tasks
            .push((name, Box::new(move |s| Box::pin(task(s)) as TaskFuture)));
    }

    /// Runs every task until `stop` resolves or a task ends, then stops them all in reverse
    /// order, waiting for each. Returns the first failure (a task that ends on its own before
    /// shutdown is a failure even if it returned `Ok`).
    ///
    /// # Errors
    ///
    /// The first task failure, early exit or panic.
    pub async fn run(self, stop: impl Future<Output = ()>) -> Result<(), SupervisorError> {
        let (done_tx, mut done_rx) = mpsc::channel::<usize>(self.tasks.len().max(1));
        let mut running: Vec<(&'static str, watch::Sender<bool>, JoinHandle<_>)> = Vec::new();
        for (i, (name, task)) in self.tasks.into_iter().enumerate() {
            let (tx, rx) = watch::channel(false);
            let done = done_tx.clone();
            let handle = tokio::spawn(async move {
                let result = task(Shutdown(rx)).await;
                let _ = done.send(i).await;
                result
            });
            tracing::info!(task = name, "task started");
            running.push((name, tx, handle));
        }
        drop(done_tx);
        let early = tokio::select! {
            () = stop => {
                tracing::info!("shutdown requested");
                None
            }
            Some(i) = done_rx.recv() => {
                let name = running.get(i).map_or("?", |t| t.0);
                tracing::warn!(task = name, "task ended; stopping the others");
                Some(i)
            }
        };
        let mut first_error = None;
        for (i, (name, tx, handle)) in running.into_iter().enumerate().rev() {
            let _ = tx.send(true);
            let outcome = match handle.await {
                Ok(Ok(())) if early == Some(i) => Err(SupervisorError::Exited(name)),
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(SupervisorError::Failed { task: name, error }),
                Err(error) => Err(SupervisorError::Panicked { task: name, error }),
            };
            match outcome {
                Ok(()) => tracing::info!(task = name, "task stopped"),
                Err(e) => {
                    tracing::error!(task = name, error = %e, "task failed");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    /// A task that records when it starts stopping, then stops.
    fn polite(
        name: &'static str,
        log: Arc<Mutex<Vec<&'static str>>>,
    ) -> impl FnOnce(Shutdown) -> Pin<Box<dyn Future<Output = Result<(), TaskError>> + Send>> {
        move |mut shutdown| {
            Box::pin(async move {
                shutdown.requested().await;
                log.lock().unwrap().push(name);
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn stop_signal_stops_every_task_in_reverse_order() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut s = Supervisor::new();
        s.add("a", polite("a", Arc::clone(&log)));
        s.add("b", polite("b", Arc::clone(&log)));
        s.add("c", polite("c", Arc::clone(&log)));
        s.run(tokio::time::sleep(Duration::from_millis(20)))
            .await
            .unwrap();
        assert_eq!(*log.lock().unwrap(), ["c", "b", "a"]);
    }

    #[tokio::test]
    async fn a_failing_task_stops_the_rest_and_is_reported() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut s = Supervisor::new();
        s.add("a", polite("a", Arc::clone(&log)));
        s.add("broken", |_| async {
            Err::<(), TaskError>("disk full".into())
        });
        s.add("c", polite("c", Arc::clone(&log)));
        let e = s.run(std::future::pending()).await.unwrap_err();
        assert_eq!(e.to_string(), "task broken failed: disk full");
        assert_eq!(*log.lock().unwrap(), ["c", "a"]);
    }

    #[tokio::test]
    async fn a_task_that_ends_early_is_a_failure() {
        let mut s = Supervisor::new();
        s.add("quitter", |_| async { Ok(()) });
        let e = s.run(std::future::pending()).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "task quitter stopped before shutdown was requested"
        );
    }
}
