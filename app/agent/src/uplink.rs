//! Sending reports to one oracle: `POST <base>/v1/reports/batch` with binary reports, and the
//! rules for its answers (`docs/oracle.md`). [`send_batch`] needs no spool: it takes any reports
//! (one device's or many), and says for each whether the oracle has it.
//!
//! | answer | meaning here |
//! |---|---|
//! | 200 | every report of the request is stored |
//! | 409 `replayed_nonce` at `index` i, `stored_signature` = report i's signature | the oracle stored report i before (an earlier answer was lost): acknowledged; the rest are sent again |
//! | 409 `replayed_nonce` at `index` i, another or no `stored_signature` | the oracle stored **another** report under this device's nonce: [`Outcome::Conflict`], not acknowledged, dropped; the rest are sent again |
//! | 422 `stale_timestamp` at `index` i | report i is too old for the oracle: expired, dropped; the rest are sent again |
//! | 422 `future_timestamp` at `index` i | report i is ahead of the oracle's clock (this device's clock was set back since): [`Outcome::Future`], dropped; the rest are sent again |
//! | 429 | wait `Retry-After` ([`Failure::RetryAfter`]) |
//! | 5xx, 408, a connection error or timeout | [`Failure::Transient`]: back off |
//! | 413 `batch_too_large` / `body_too_large` | [`Failure::Refused`]; the agent's drain halves its batch and sends again at once |
//! | any other 4xx (e.g. 403 `unknown_device` before onboarding) | [`Failure::Refused`]: back off |
//!
//! At most [`MAX_ANSWER_BYTES`] of an answer are read.
//!
//! A batch is all-or-nothing at the oracle, so after a 409 or 422 nothing of that request was
//! stored and the remaining reports go again, in order.

use std::time::Duration;

use rand::Rng as _;
use serde::Deserialize;

/// What became of one report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored by this request.
    Stored,
    /// Stored before (409 `replayed_nonce` naming this report's signature).
    AlreadyStored,
    /// Too old for the oracle (422 `stale_timestamp`), or older than `max_age` here.
    Expired,
    /// The oracle holds another report under this device and nonce (409 `replayed_nonce` with
    /// another `stored_signature`, or none): this report is not stored and never will be.
    Conflict,
    /// Too far ahead of the oracle's clock (422 `future_timestamp`): never accepted once the
    /// device's clock was set back, so dropped.
    Future,
}

impl Outcome {
    /// Whether the oracle has the report.
    #[must_use]
    pub const fn acknowledged(self) -> bool {
        matches!(self, Self::Stored | Self::AlreadyStored)
    }
}

/// Why a request did not settle every report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 429: try again after this long.
    RetryAfter(Option<Duration>, String),
    /// 5xx, 408, connection errors, timeouts.
    Transient(String),
    /// Any other refusal: status, reason, detail.
    Refused(u16, String, String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::RetryAfter(d, reason) => write!(f, "429 {reason} (retry after {d:?})"),
            Self::Transient(e) => write!(f, "{e}"),
            Self::Refused(status, reason, detail) => write!(f, "{status} {reason}: {detail}"),
        }
    }
}

/// The outcome of each report (`None`: not settled because of `failure`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchResult {
    pub outcomes: Vec<Option<Outcome>>,
    pub failure: Option<Failure>,
}

impl BatchResult {
    /// How many leading reports are settled (a cursor may pass them).
    #[must_use]
    pub fn settled_prefix(&self) -> usize {
        self.outcomes.iter().take_while(|o| o.is_some()).count()
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    detail: String,
    index: Option<usize>,
    /// 409 `replayed_nonce`: the signature (base58) of the report the oracle stored.
    stored_signature: Option<String>,
}

/// The most bytes of an answer read: an oracle's answers are small JSON bodies; the rest of a
/// longer one is not read.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The answer's body, at most `cap` bytes of it.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> reqwest::Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        if out.len() >= cap {
            break;
        }
    }
    Ok(out)
}

/// The signature (base58) of a binary report: its last 64 bytes.
fn signature_of(report: &[u8]) -> Option<String> {
    let start = report.len().checked_sub(64)?;
    report.get(start..).map(|s| bs58::encode(s).into_string())
}

/// An HTTP client for the ingest: rustls, `timeout` per request, and a new connection per
/// request (an idle kept-alive connection would be closed by the oracle's header timeout between
/// a device's batches anyway).
///
/// # Errors
///
/// The TLS backend cannot start.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .pool_max_idle_per_host(0)
        .user_agent(concat!("depin-agent/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Sends `reports` (binary encodings) to the oracle at `base` as batches, following the rules
/// above until every report is settled or a request fails.
pub async fn send_batch(client: &reqwest::Client, base: &str, reports: &[&[u8]]) -> BatchResult {
    let url = format!("{}/v1/reports/batch", base.trim_end_matches('/'));
    let mut outcomes = vec![None; reports.len()];
    // The reports of this request, by their position in `reports`.
    let mut pending: Vec<usize> = (0..reports.len()).collect();
    while !pending.is_empty() {
        let body: Vec<u8> = pending
            .iter()
            .filter_map(|&i| reports.get(i))
            .flat_map(|r| r.iter().copied())
            .collect();
        let answer = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body)
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) => {
                return BatchResult {
                    outcomes,
                    failure: Some(Failure::Transient(format!("request failed: {e}"))),
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = match read_capped(response, MAX_ANSWER_BYTES).await {
            Ok(b) => b,
            Err(e) => {
                return BatchResult {
                    outcomes,
                    failure: Some(Failure::Transient(format!("answer cut ({status}): {e}"))),
                };
            }
        };
        if status == 200 {
            for &i in &pending {
                if let Some(o) = outcomes.get_mut(i) {
                    *o = Some(Outcome::Stored);
                }
            }
            pending.clear();
            break;
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&text).ok();
        let (reason, detail, index, stored) = body.map_or_else(
            || {
                (
                    String::new(),
                    String::from_utf8_lossy(&text).into_owned(),
                    None,
                    None,
                )
            },
            |b| (b.error, b.detail, b.index, b.stored_signature),
        );
        // A single-report request's refusal concerns that report.
        let index = index.or((pending.len() == 1).then_some(0));
        let sent = index
            .and_then(|at| pending.get(at))
            .and_then(|&i| reports.get(i))
            .and_then(|r| signature_of(r));
        let settled = match (status, reason.as_str()) {
            (409, "replayed_nonce") if stored.is_some() && stored == sent => {
                Some(Outcome::AlreadyStored)
            }
            (409, "replayed_nonce") => {
                tracing::error!(%base, %detail, stored = ?stored, "the oracle holds another report under this device's nonce: this report is dropped");
                Some(Outcome::Conflict)
            }
            (422, "stale_timestamp") => Some(Outcome::Expired),
            (422, "future_timestamp") => Some(Outcome::Future),
            _ => None,
        };
        if let (Some(outcome), Some(at)) = (settled, index)
            && at < pending.len()
        {
            let i = pending.remove(at);
            if let Some(o) = outcomes.get_mut(i) {
                *o = Some(outcome);
            }
            continue;
        }
        let failure = match status {
            429 => Failure::RetryAfter(retry_after, reason),
            408 | 500..=599 => Failure::Transient(format!("{status} {reason} {detail}")),
            _ => Failure::Refused(status, reason, detail),
        };
        return BatchResult {
            outcomes,
            failure: Some(failure),
        };
    }
    BatchResult {
        outcomes,
        failure: None,
    }
}

/// Exponential backoff with full jitter: the n-th consecutive failure waits a random time in
/// `[min * 2^(n-1) / 2, min * 2^(n-1)]`, at most `max`.
#[derive(Clone, Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    #[must_use]
    pub const fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            failures: 0,
        }
    }

    /// A success: the next failure waits `min` again.
    pub const fn reset(&mut self) {
        self.failures = 0;
    }

    /// The wait after one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(20)).unwrap_or(u32::MAX);
        self.failures = self.failures.saturating_add(1);
        let cap = self.min.saturating_mul(factor).min(self.max);
        let half = cap / 2;
        let jitter =
            rand::thread_rng().gen_range(0..=u64::try_from(half.as_millis()).unwrap_or(u64::MAX));
        half.saturating_add(Duration::from_millis(jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(700));
        let ranges = [(50, 100), (100, 200), (200, 400), (350, 700), (350, 700)];
        for (lo, hi) in ranges {
            let d = b.next_delay().as_millis();
            assert!((lo..=hi).contains(&d), "{d} not in {lo}..={hi}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn settled_prefix() {
        let r = BatchResult {
            outcomes: vec![
                Some(Outcome::Stored),
                Some(Outcome::Expired),
                None,
                Some(Outcome::AlreadyStored),
            ],
            failure: Some(Failure::Transient("x".into())),
        };
        assert_eq!(r.settled_prefix(), 2);
    }
}
