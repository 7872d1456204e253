//! The agent's health: counters kept while it runs, written atomically to
//! `<state_dir>/status.json` every tick, and printed by `depin-agent status`.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The status file's name in the state directory.
pub const STATUS_FILE: &str = "status.json";

/// One oracle's view.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleStatus {
    pub url: String,
    /// Reports in the spool this oracle has not acknowledged.
    pub queue_depth: u64,
    /// Reports it acknowledged (stored, or 409: stored before) since the agent started.
    pub acknowledged: u64,
    /// Of those, reports the oracle had stored before (409 `replayed_nonce`: an earlier answer
    /// was lost).
    pub already_stored: u64,
    /// Reports dropped for it as too old (over `max_age` here, or 422 `stale_timestamp`).
    pub expired: u64,
    /// Reports dropped because it holds another report under the same nonce (409
    /// `replayed_nonce` naming another signature): this device's nonce was used twice.
    #[serde(default)]
    pub conflicts: u64,
    /// Reports dropped as ahead of its clock (422 `future_timestamp`: this device's clock was
    /// set back since they were made).
    #[serde(default)]
    pub future: u64,
    /// Requests it refused with a 4xx other than 409/422/429.
    pub refused: u64,
    /// Failed requests of any kind.
    pub failures: u64,
    /// Unix milliseconds of its last acknowledgement.
    pub last_ack_ms: Option<u64>,
    /// Its last error, if the last request failed.
    pub last_error: Option<String>,
}

/// What status.json holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub device: String,
    pub pid: u32,
    pub started_ms: u64,
    /// Unix milliseconds of this write.
    pub updated_ms: u64,
    /// Set by the agent's last write when it stops cleanly (SIGTERM/Ctrl-C).
    pub stopped_ms: Option<u64>,
    /// The agent's tick: a status older than a few ticks means the agent is not running.
    pub tick_ms: u64,
    /// Reports made and written to the spool since the agent started.
    pub generated: u64,
    /// Reports that could not be made durable (the nonce mark or the spool could not be
    /// written, e.g. a full disk): skipped, never sent.
    #[serde(default)]
    pub unspooled: u64,
    pub next_nonce: u64,
    pub oracles: Vec<OracleStatus>,
}

/// Unix milliseconds now.
#[must_use]
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Status {
    /// Writes status.json atomically for readers (not fsynced: it is rewritten every tick).
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn write(&self, state_dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fsutil::replace(&state_dir.join(STATUS_FILE), &json, 0o600)
    }

    /// Reads status.json.
    ///
    /// # Errors
    ///
    /// Missing (the agent never ran) or unreadable.
    pub fn read(state_dir: &Path) -> std::io::Result<Self> {
        let path = state_dir.join(STATUS_FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("{}: {e} (has `depin-agent run` started?)", path.display()),
            )
        })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))
    }

    /// Whether it is older than three ticks plus two seconds at `now_ms`: the agent is not
    /// running (or is stuck).
    #[must_use]
    pub fn stale(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.updated_ms) > self.tick_ms.saturating_mul(3).saturating_add(2000)
    }

    /// Whether the agent is running: not stopped, and not stale.
    #[must_use]
    pub fn running(&self, now_ms: u64) -> bool {
        self.stopped_ms.is_none() && !self.stale(now_ms)
    }

    /// The human form of `depin-agent status`.
    #[must_use]
    pub fn render(&self, now_ms: u64) -> String {
        let ago = |ms: u64| {
            humantime::format_duration(std::time::Duration::from_secs(
                now_ms.saturating_sub(ms) / 1000,
            ))
            .to_string()
        };
        let mut out = format!("device     {}\n", self.device);
        if let Some(at) = self.stopped_ms {
            out.push_str(&format!(
                "state      stopped {} ago (pid {})\n",
                ago(at),
                self.pid
            ));
        } else if self.stale(now_ms) {
            out.push_str(&format!(
                "state      NOT RUNNING (status written {} ago by pid {})\n",
                ago(self.updated_ms),
                self.pid
            ));
        } else {
            out.push_str(&format!(
                "state      running (pid {}, up {})\n",
                self.pid,
                ago(self.started_ms)
            ));
        }
        out.push_str(&format!(
            "generated  {} reports (next nonce {})\n",
            self.generated, self.next_nonce
        ));
        if self.unspooled > 0 {
            out.push_str(&format!(
                "UNSPOOLED  {} reports could not be written (disk full?): skipped\n",
                self.unspooled
            ));
        }
        for o in &self.oracles {
            out.push_str(&format!(
                "oracle     {}\n  queued {}  acknowledged {} ({} already stored)  expired {}  conflicts {}  future {}  refused {}  failures {}  last ack {}\n",
                o.url,
                o.queue_depth,
                o.acknowledged,
                o.already_stored,
                o.expired,
                o.conflicts,
                o.future,
                o.refused,
                o.failures,
                o.last_ack_ms.map_or_else(|| "never".to_string(), |t| format!("{} ago", ago(t))),
            ));
            if let Some(e) = &o.last_error {
                out.push_str(&format!("  last error: {e}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_staleness() {
        let tmp = tempfile::tempdir().unwrap();
        let s = Status {
            device: "D".into(),
            pid: 7,
            started_ms: 1_000,
            updated_ms: 10_000,
            stopped_ms: None,
            tick_ms: 1_000,
            generated: 3,
            unspooled: 0,
            next_nonce: 9,
            oracles: vec![OracleStatus {
                url: "http://a".into(),
                queue_depth: 2,
                ..OracleStatus::default()
            }],
        };
        s.write(tmp.path()).unwrap();
        assert_eq!(Status::read(tmp.path()).unwrap(), s);
        assert!(!s.stale(15_000));
        assert!(s.running(15_000));
        let stopped = Status {
            stopped_ms: Some(10_000),
            ..s.clone()
        };
        assert!(!stopped.running(10_000));
        assert!(
            stopped
                .render(12_000)
                .contains("state      stopped 2s ago (pid 7)")
        );
        assert!(s.stale(15_001));
        assert!(
            s.render(20_000)
                .contains("NOT RUNNING (status written 10s ago by pid 7)")
        );
    }
}
