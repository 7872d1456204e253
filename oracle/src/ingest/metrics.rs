//! Prometheus metrics of the ingest (`GET /metrics`).

use std::time::Duration;

use crate::store::writer::GroupObserver;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry,
    TextEncoder,
};

/// The ingest's counters and histograms, in their own registry.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    accepted: IntCounter,
    rejected: IntCounterVec,
    latency: HistogramVec,
    groups: IntCounter,
    group_reports: Histogram,
}

impl Metrics {
    /// Creates and registers every metric.
    ///
    /// # Errors
    ///
    /// Only on a programming error (a duplicate or invalid metric name).
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let accepted = IntCounter::new(
            "oracle_reports_accepted_total",
            "Reports committed to storage and acknowledged.",
        )?;
        let rejected = IntCounterVec::new(
            Opts::new(
                "oracle_ingest_rejected_total",
                "Ingest requests refused, by machine-readable reason.",
            ),
            &["reason"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "oracle_ingest_request_duration_seconds",
                "Ingest request latency, by route.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["route"],
        )?;
        let groups = IntCounter::new(
            "oracle_commit_groups_total",
            "Group commits: transactions of the report writer, each holding one or more requests.",
        )?;
        let group_reports = Histogram::with_opts(
            HistogramOpts::new(
                "oracle_commit_group_reports",
                "Reports stored per group commit.",
            )
            .buckets(vec![
                1.0, 10.0, 100.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0,
            ]),
        )?;
        registry.register(Box::new(accepted.clone()))?;
        registry.register(Box::new(groups.clone()))?;
        registry.register(Box::new(group_reports.clone()))?;
        registry.register(Box::new(rejected.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Self {
            registry,
            accepted,
            rejected,
            latency,
            groups,
            group_reports,
        })
    }

    pub fn accepted(&self, n: usize) {
        self.accepted.inc_by(u64::try_from(n).unwrap_or(u64::MAX));
    }

    pub fn rejected(&self, reason: &str) {
        self.rejected.with_label_values(&[reason]).inc();
    }

    pub fn observe(&self, route: &str, elapsed: Duration) {
        self.latency
            .with_label_values(&[route])
            .observe(elapsed.as_secs_f64());
    }

    /// The registry `/metrics` renders (other tasks register their metrics here).
    #[must_use]
    pub const fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The Prometheus text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

impl GroupObserver for Metrics {
    fn group(&self, _batches: usize, reports: usize) {
        self.groups.inc();
        #[allow(clippy::cast_precision_loss, reason = "a histogram sample")]
        self.group_reports.observe(reports as f64);
    }
}
