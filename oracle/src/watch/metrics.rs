//! The watcher's Prometheus metrics (registered in `/metrics` when `oracle serve` runs the watch
//! task; `oracle watch --once` prints them).

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

/// The `kind` labels of the fraud counters.
pub const FRAUD_KINDS: [&str; 4] = ["decrease", "duplicate", "inconsistent_sum", "unanswered"];

/// What the watcher saw and did.
#[derive(Debug, Clone)]
pub struct WatchMetrics {
    /// Posted proposals whose check is complete (files fetched, every fraud looked for).
    pub proposals_checked: IntCounter,
    /// Frauds found in the files or in the probes, by kind ([`FRAUD_KINDS`]); each counted
    /// once per proposal.
    pub frauds: IntCounterVec,
    /// Evidence transactions that landed, by instruction (`open_probe`, `extend_probe`,
    /// `demand_probe`, `prove_fraud`).
    pub transactions: IntCounterVec,
    /// Fraud proofs of this watcher that voided a root, by kind.
    pub proofs: IntCounterVec,
    /// Availability demands this watcher opened.
    pub demands_opened: IntCounter,
    /// Availability demands this watcher answered (a probe walked to its leaf).
    pub demands_answered: IntCounter,
    /// Posted roots that no source's files rebuild.
    pub unverifiable: IntCounter,
    /// Posted roots that differ from this oracle's own published root with no provable fraud
    /// (a misallocation of the epoch's emission: not provable on-chain).
    pub misallocations: IntCounter,
    /// Posted roots this watcher's oracle contested (`contest_root`): it voted another root and
    /// no files rebuild this one.
    pub contests: IntCounter,
    /// Proposals whose handling failed in a pass (retried at the next poll).
    pub failures: IntCounter,
}

impl WatchMetrics {
    /// # Errors
    ///
    /// Only on a programming error (an invalid metric name).
    pub fn new() -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| IntCounter::new(name, help);
        let by = |name: &str, help: &str, label: &str| {
            IntCounterVec::new(Opts::new(name, help), &[label])
        };
        Ok(Self {
            proposals_checked: counter(
                "oracle_watch_proposals_checked_total",
                "Posted root proposals the watcher checked completely.",
            )?,
            frauds: by(
                "oracle_watch_frauds_found_total",
                "Frauds the watcher found, by kind.",
                "kind",
            )?,
            transactions: by(
                "oracle_watch_transactions_total",
                "Watcher transactions that landed, by instruction.",
                "instruction",
            )?,
            proofs: by(
                "oracle_watch_proofs_landed_total",
                "Fraud proofs of the watcher that voided a root, by kind.",
                "kind",
            )?,
            demands_opened: counter(
                "oracle_watch_demands_opened_total",
                "Availability demands the watcher opened.",
            )?,
            demands_answered: counter(
                "oracle_watch_demands_answered_total",
                "Availability demands the watcher answered.",
            )?,
            unverifiable: counter(
                "oracle_watch_unverifiable_roots_total",
                "Posted roots that no peer's files (nor this oracle's) rebuild.",
            )?,
            misallocations: counter(
                "oracle_watch_misallocations_total",
                "Posted roots that differ from this oracle's own with no provable fraud.",
            )?,
            contests: counter(
                "oracle_watch_contests_total",
                "Posted roots this oracle contested: it voted another, no files rebuild this one.",
            )?,
            failures: counter(
                "oracle_watch_failures_total",
                "Proposals whose handling failed in a pass (retried at the next poll).",
            )?,
        })
    }

    /// Registers every metric in `registry`.
    ///
    /// # Errors
    ///
    /// A metric of the same name is already registered.
    pub fn register(&self, registry: &Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.proposals_checked.clone()))?;
        registry.register(Box::new(self.frauds.clone()))?;
        registry.register(Box::new(self.transactions.clone()))?;
        registry.register(Box::new(self.proofs.clone()))?;
        registry.register(Box::new(self.demands_opened.clone()))?;
        registry.register(Box::new(self.demands_answered.clone()))?;
        registry.register(Box::new(self.unverifiable.clone()))?;
        registry.register(Box::new(self.misallocations.clone()))?;
        registry.register(Box::new(self.contests.clone()))?;
        registry.register(Box::new(self.failures.clone()))?;
        Ok(())
    }

    /// One line per counter, for `oracle watch --once`.
    #[must_use]
    pub fn summary(&self) -> String {
        let by = |vec: &IntCounterVec, labels: &[&str]| {
            labels
                .iter()
                .map(|l| format!("{} {l}", vec.with_label_values(&[*l]).get()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "checked: {} proposal(s); unverifiable: {}; misallocations: {}\n\
             frauds found: {}\n\
             sent: {}\n\
             proofs landed: {}\n\
             demands: {} opened, {} answered; contests: {}; failures: {}",
            self.proposals_checked.get(),
            self.unverifiable.get(),
            self.misallocations.get(),
            by(&self.frauds, &FRAUD_KINDS),
            by(
                &self.transactions,
                &["open_probe", "extend_probe", "demand_probe", "prove_fraud"]
            ),
            by(&self.proofs, &FRAUD_KINDS),
            self.demands_opened.get(),
            self.demands_answered.get(),
            self.contests.get(),
            self.failures.get(),
        )
    }
}
