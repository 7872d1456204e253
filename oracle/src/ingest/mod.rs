//! The HTTP ingest: devices post signed reports; each is acknowledged only after its database
//! transaction commits, and every refusal is a 4xx with a machine-readable reason that stores
//! nothing. Routes, statuses and reasons are documented in `docs/oracle.md`.
//!
//! ```text
//! POST /v1/reports{,/batch} ─► content type (415)
//!   ─► the address's budget of failed requests, checked (429 peer_rate_limited, unread)
//!   ─► declared length (413, unread)
//!   ─► the body within server.body_timeout (408 body_timeout), at most max_body (413)
//!   ─► decode (400) ─► registry (403) ─► timestamp window (422) ─► duplicate in batch (409)
//!   ─► the client address's budget of reports, taken (429 peer_rate_limited, Retry-After)
//!   ─► each device's budget, checked (429 rate_limited, Retry-After)
//!   ─► a verification turn, addresses whose last request was stored first (turns)
//!   ─► ed25519 batch verify, stopping at the first bad report (401/400; one failure taken
//!      from the address's budget of them)
//!   ─► each device's budget, taken ─► writer permit (429 overloaded, Retry-After)
//!   ─► the writer (store::writer): one group commit with the other waiting requests, this
//!      request's batch in its own savepoint (409 replayed_nonce on UNIQUE(device, nonce))
//!   ─► commit ─► 200
//! ```
//!
//! Both budgets are consulted before any signature work. Device keys are public, so anyone can
//! name a device: a device's budget is taken only once its reports verify (a forged batch
//! waiting for its verification turn holds none of it) and given back when they are not stored
//! (a full queue, a replay). The client address's budget is taken first and kept once its
//! reports were verified: a flood of forged batches spends its sender's budget, never an honest
//! device's. An address may also send only `peer_failed_requests` requests that fail
//! verification per window: an honest device never does, and past it the address is refused
//! before any signature work, so a flood of forged batches costs that many verifications per
//! address, not its whole report budget. The writer permit is taken only once the request is
//! verified, so a flood of forged batches never holds it.
//!
//! A batch is all-or-nothing: the first bad report refuses the whole batch, and the error body
//! carries its `index`.
//!
//! The same server serves the published epochs read-only (`GET /v1/epochs`,
//! `GET /v1/epochs/{n}/{file}`: [`epochs`]), the files watchers fetch from their peers.

pub mod epochs;
pub mod limits;
pub mod metrics;
pub mod turns;
pub mod wire;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use depin_formats::keys::Pubkey;
use depin_formats::report::{KeyCache, ReportError, SignedReport, verify_until_first_failure};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::registry::DeviceStatus;
use crate::registry::shared::DeviceRegistry;
use crate::settings::Settings;
use crate::store::writer::{WriteError, Writer};
use crate::store::{Inserted, Store};
use epochs::EpochFiles;
pub use limits::RateLimiter;
pub use metrics::Metrics;
use wire::DecodeError;

/// Every reason the ingest can answer with, and its status (besides the report decode reasons
/// of [`ReportError::REASONS`], which are 400 except `bad_signature`, 401).
pub const INGEST_REASONS: [(&str, u16); 16] = [
    ("unsupported_media_type", 415),
    ("bad_body", 400),
    ("body_too_large", 413),
    ("batch_too_large", 413),
    ("empty_batch", 400),
    ("unknown_device", 403),
    ("device_decommissioned", 403),
    ("stale_timestamp", 422),
    ("future_timestamp", 422),
    ("replayed_nonce", 409),
    ("rate_limited", 429),
    ("peer_rate_limited", 429),
    ("overloaded", 429),
    ("storage_unavailable", 503),
    ("body_timeout", 408),
    ("not_found", 404),
];

/// A refused request: status, reason, detail, and for a batch the index of the first bad
/// report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: StatusCode,
    pub reason: &'static str,
    pub detail: String,
    pub index: Option<usize>,
    pub retry_after: Option<Duration>,
    /// 409 `replayed_nonce`: the signature (base58) of the report stored for that (device,
    /// nonce).
    pub stored_signature: Option<String>,
    /// Refused before its body was read: the connection ends with the answer.
    pub body_unread: bool,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
    /// 409 `replayed_nonce`: the signature (base58) of the report stored for that (device,
    /// nonce); absent when the repeat is within the request itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    stored_signature: Option<&'a str>,
}

impl Rejection {
    pub(crate) fn new(status: StatusCode, reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            reason,
            detail: detail.into(),
            index: None,
            retry_after: None,
            stored_signature: None,
            body_unread: false,
        }
    }

    fn unread(mut self) -> Self {
        self.body_unread = true;
        self
    }

    fn at(mut self, index: Option<usize>) -> Self {
        self.index = index;
        self
    }

    fn report(error: &ReportError) -> Self {
        let status = match error {
            ReportError::BadSignature => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, error.reason(), error.to_string())
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&ErrorBody {
            error: self.reason,
            detail: &self.detail,
            index: self.index,
            stored_signature: self.stored_signature.as_deref(),
        })
        .unwrap_or_default();
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if let Some(after) = self.retry_after {
            // Whole seconds, rounded up, at least 1.
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        // A body left unread (too large, or too slow) ends the connection: say so, so that no
        // client reuses it for its next request.
        if self.body_unread || matches!(self.reason, "body_too_large" | "body_timeout") {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// The ingest's shared state.
pub struct Ingest {
    store: Store,
    writer: Writer,
    keys: Arc<KeyCache>,
    registry: Arc<dyn DeviceRegistry>,
    limiter: RateLimiter,
    /// The budget of each client address.
    peers: RateLimiter<std::net::IpAddr>,
    /// Each client address's budget of requests that failed signature verification.
    failures: RateLimiter<std::net::IpAddr>,
    writers: Arc<Semaphore>,
    verifiers: turns::Turns,
    metrics: Metrics,
    max_past_skew: i64,
    max_future_skew: i64,
    max_batch: usize,
    max_body: usize,
    body_timeout: Duration,
    http: crate::server::HttpLimits,
    retry_after: Duration,
    epochs: EpochFiles,
    offences: Arc<crate::offences::Offences>,
    api: Arc<crate::api::ApiState>,
    web: crate::settings::WebSettings,
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn unix_now() -> i64 {
    secs(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

impl Ingest {
    /// The ingest over `store` and `registry`, with the limits in `settings`.
    ///
    /// # Errors
    ///
    /// Only if the metrics cannot be registered (a programming error).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (it spawns the report writer, [`Writer`]).
    pub fn new(
        settings: &Settings,
        store: Store,
        registry: Arc<dyn DeviceRegistry>,
    ) -> Result<Self, prometheus::Error> {
        let metrics = Metrics::new()?;
        let writer = Writer::spawn(
            store.clone(),
            settings.server.max_pending_writes,
            metrics.clone(),
        );
        Ok(Self {
            writer,
            keys: Arc::new(KeyCache::default()),
            registry,
            limiter: RateLimiter::new(
                settings.ingest.rate_limit_reports,
                settings.ingest.rate_limit_window,
            ),
            peers: RateLimiter::new(
                settings.ingest.peer_rate_limit_reports,
                settings.ingest.rate_limit_window,
            ),
            failures: RateLimiter::new(
                settings.ingest.peer_failed_requests,
                settings.ingest.rate_limit_window,
            ),
            writers: Arc::new(Semaphore::new(settings.server.max_pending_writes)),
            verifiers: turns::Turns::new(
                verify_threads(settings.ingest.verify_threads),
                settings.ingest.rate_limit_window,
            ),
            metrics,
            max_past_skew: secs(settings.ingest.max_past_skew),
            max_future_skew: secs(settings.ingest.max_future_skew),
            max_batch: settings.server.max_batch_reports,
            max_body: settings.server.max_body_bytes,
            body_timeout: settings.server.body_timeout,
            http: crate::server::HttpLimits {
                header_timeout: settings.server.header_timeout,
                max_connections: settings.server.max_connections.max(1),
                max_connections_per_address: settings.server.max_connections_per_address.max(1),
            },
            retry_after: settings.server.retry_after,
            epochs: EpochFiles::new(&settings.storage.data_dir),
            offences: Arc::new(crate::offences::Offences::from_settings(settings)),
            api: Arc::new(crate::api::ApiState::new(
                &settings.storage.data_dir,
                store.clone(),
                crate::chain::submit::sender_for(&settings.submit).ok(),
            )),
            web: settings.web.clone(),
            store,
        })
    }

    /// The rewards API this ingest serves (`oracle serve` also indexes new epochs on its own).
    #[must_use]
    pub fn api(&self) -> Arc<crate::api::ApiState> {
        Arc::clone(&self.api)
    }

    /// The slash approvals this ingest serves (`oracle serve` also refreshes them on its own).
    #[must_use]
    pub fn offences(&self) -> Arc<crate::offences::Offences> {
        Arc::clone(&self.offences)
    }

    /// The semaphore in front of the writer (tests hold its permits to simulate a full queue).
    #[must_use]
    pub fn writer_permits(&self) -> Arc<Semaphore> {
        Arc::clone(&self.writers)
    }

    /// The turns at batch verification (tests hold them to see a batch wait for its turn).
    #[must_use]
    pub fn verifier_permits(&self) -> Arc<Semaphore> {
        self.verifiers.permits()
    }

    /// The limits the HTTP server holds each connection to.
    #[must_use]
    pub const fn http_limits(&self) -> crate::server::HttpLimits {
        self.http
    }

    /// The store reports go to.
    #[must_use]
    pub const fn store(&self) -> &Store {
        &self.store
    }

    /// The metrics.
    #[must_use]
    pub const fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Checks and stores the body of one request; returns the number of reports committed.
    async fn ingest(
        &self,
        headers: &HeaderMap,
        body: Body,
        batch: bool,
        peer: Option<std::net::IpAddr>,
    ) -> Result<usize, Rejection> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let Some(encoding) = wire::encoding_of(content_type) else {
            return Err(Rejection::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "content type {:?}: use application/json or application/octet-stream",
                    content_type.unwrap_or("")
                ),
            ));
        };
        if let Some(ip) = peer {
            self.failed_too_often(ip).map_err(Rejection::unread)?;
        }
        let body = self.read_body(headers, body).await?;
        let reports: Arc<[SignedReport]> = if batch {
            let reports = wire::decode_batch(encoding, &body, self.max_batch)
                .map_err(|DecodeError { index, error }| Rejection::report(&error).at(index))?;
            if reports.is_empty() {
                return Err(Rejection::new(
                    StatusCode::BAD_REQUEST,
                    "empty_batch",
                    "a batch holds at least one report",
                ));
            }
            if reports.len() > self.max_batch {
                return Err(Rejection::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "batch_too_large",
                    format!("a batch holds at most {} reports", self.max_batch),
                ));
            }
            reports.into()
        } else {
            Arc::new([wire::decode_one(encoding, &body).map_err(|e| Rejection::report(&e))?])
        };
        let at = |i: usize| batch.then_some(i);
        let charged = self.check(&reports, at, peer).await?;
        // Backpressure: bounded verified work in front of the writer.
        let Ok(_permit) = Arc::clone(&self.writers).try_acquire_owned() else {
            self.limiter.give_back(&charged);
            let mut r = Rejection::new(
                StatusCode::TOO_MANY_REQUESTS,
                "overloaded",
                "the writer queue is full; retry later",
            );
            r.retry_after = Some(self.retry_after);
            return Err(r);
        };
        let stored = self.writer.insert(Arc::clone(&reports)).await;
        if !matches!(stored, Ok(Inserted::Committed)) {
            self.limiter.give_back(&charged);
        }
        match stored {
            Ok(Inserted::Committed) => {
                if let Some(ip) = peer {
                    self.verifiers.verified(ip, true, Instant::now());
                }
                Ok(reports.len())
            }
            Ok(Inserted::Replayed { index, stored }) => {
                let mut r = replayed(&reports, index).at(at(index));
                r.stored_signature = stored.map(|s| s.to_string());
                Err(r)
            }
            Err(e) => {
                if matches!(e, WriteError::Stopped) {
                    tracing::error!("storing reports failed: the writer has stopped");
                }
                Err(Rejection::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the report store failed; nothing was stored, retry later",
                ))
            }
        }
    }

    /// The request body: refused at once, unread, if its declared length is over the limit;
    /// read within `body_timeout` and at most `max_body` bytes.
    async fn read_body(&self, headers: &HeaderMap, body: Body) -> Result<Bytes, Rejection> {
        let too_large = || {
            Rejection::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("request body over {} bytes", self.max_body),
            )
        };
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_body as u64) {
            return Err(too_large());
        }
        let read = async {
            let mut stream = body.into_data_stream();
            let mut bytes = Vec::new();
            while let Some(chunk) = futures_util::TryStreamExt::try_next(&mut stream)
                .await
                .map_err(|e| Rejection::new(StatusCode::BAD_REQUEST, "bad_body", e.to_string()))?
            {
                if bytes.len() + chunk.len() > self.max_body {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(Bytes::from(bytes))
        };
        tokio::time::timeout(self.body_timeout, read)
            .await
            .map_err(|_| {
                Rejection::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    format!(
                        "the request body did not arrive within {:?}",
                        self.body_timeout
                    ),
                )
            })?
    }

    /// Registry, timestamp window, duplicates, the budgets, signatures: everything but storage.
    /// Returns what each device's budget was charged (given back if nothing is stored).
    async fn check(
        &self,
        reports: &Arc<[SignedReport]>,
        at: impl Fn(usize) -> Option<usize>,
        peer: Option<std::net::IpAddr>,
    ) -> Result<Vec<(Pubkey, u32)>, Rejection> {
        let now = unix_now();
        let mut seen = HashSet::with_capacity(reports.len());
        for (i, r) in reports.iter().enumerate() {
            let device = r.report.device;
            match self.registry.status(&device) {
                None => {
                    return Err(Rejection::new(
                        StatusCode::FORBIDDEN,
                        "unknown_device",
                        format!("device {device} is not registered"),
                    )
                    .at(at(i)));
                }
                Some(DeviceStatus::Decommissioned) => {
                    return Err(Rejection::new(
                        StatusCode::FORBIDDEN,
                        "device_decommissioned",
                        format!("device {device} is decommissioned"),
                    )
                    .at(at(i)));
                }
                Some(DeviceStatus::Active) => {}
            }
            let ts = r.report.timestamp;
            if ts < now.saturating_sub(self.max_past_skew) {
                return Err(Rejection::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "stale_timestamp",
                    format!(
                        "timestamp {ts} is more than {}s before {now}",
                        self.max_past_skew
                    ),
                )
                .at(at(i)));
            }
            if ts > now.saturating_add(self.max_future_skew) {
                return Err(Rejection::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "future_timestamp",
                    format!(
                        "timestamp {ts} is more than {}s after {now}",
                        self.max_future_skew
                    ),
                )
                .at(at(i)));
            }
            if !seen.insert((device, r.report.nonce)) {
                return Err(replayed(reports, i).at(at(i)));
            }
        }
        let demands = self.charge(reports, &at, peer)?;
        let verified = self.verify(reports, &at, peer).await;
        if let Some(ip) = peer {
            let now = Instant::now();
            // A signature or key that does not verify (not a refusal before the work).
            if let Err(r) = &verified
                && matches!(r.status, StatusCode::UNAUTHORIZED | StatusCode::BAD_REQUEST)
            {
                // Trust is earned only once a request is stored (a replayed genuine report
                // verifies too), and lost at once.
                self.verifiers.verified(ip, false, now);
                let _ = self.failures.take(&[(ip, 1)], now);
            }
        }
        verified?;
        // Taken only now: a forged batch naming a device, waiting for its verification turn,
        // must not hold that device's budget meanwhile.
        let pairs: Vec<(Pubkey, u32)> = demands.iter().map(|(_, d, n)| (*d, *n)).collect();
        self.limiter
            .take(&pairs, Instant::now())
            .map_err(|over| rate_limited(&demands, over, &at))?;
        Ok(pairs)
    }

    /// Before the body is read: whether `ip` has spent its budget of requests that failed
    /// signature verification (an honest device never sends one).
    fn failed_too_often(&self, ip: std::net::IpAddr) -> Result<(), Rejection> {
        self.failures
            .fits(&[(ip, 1)], Instant::now())
            .map_err(|(_, wait)| {
                let mut r = Rejection::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "peer_rate_limited",
                    format!("{ip} sent too many requests whose signatures failed"),
                );
                r.retry_after = Some(wait);
                r
            })
    }

    /// Before any signature work: charges the client address's budget, and checks that each
    /// device's budget holds the request (it is taken once the signatures verify). Returns each
    /// device's demand: the index of its first report, the device, its report count.
    fn charge(
        &self,
        reports: &[SignedReport],
        at: impl Fn(usize) -> Option<usize>,
        peer: Option<std::net::IpAddr>,
    ) -> Result<Vec<(usize, Pubkey, u32)>, Rejection> {
        let count = u32::try_from(reports.len()).unwrap_or(u32::MAX);
        let now = Instant::now();
        if let Some(ip) = peer
            && let Err((_, wait)) = self.peers.take(&[(ip, count)], now)
        {
            let mut r = Rejection::new(
                StatusCode::TOO_MANY_REQUESTS,
                "peer_rate_limited",
                format!("{ip} is over its report budget"),
            );
            r.retry_after = Some(wait);
            return Err(r);
        }
        let mut demand: BTreeMap<Pubkey, (usize, u32)> = BTreeMap::new();
        for (i, r) in reports.iter().enumerate() {
            let e = demand.entry(r.report.device).or_insert((i, 0));
            e.1 = e.1.saturating_add(1);
        }
        let mut demands: Vec<(usize, Pubkey, u32)> =
            demand.into_iter().map(|(d, (i, n))| (i, d, n)).collect();
        demands.sort_unstable();
        let pairs: Vec<(Pubkey, u32)> = demands.iter().map(|(_, d, n)| (*d, *n)).collect();
        if let Err(over) = self.limiter.fits(&pairs, now) {
            // No signature work was done: the address is not charged either.
            if let Some(ip) = peer {
                self.peers.give_back(&[(ip, count)]);
            }
            return Err(rate_limited(&demands, over, &at));
        }
        Ok(demands)
    }

    /// The signatures, stopping at the first bad one. Large batches are CPU work: kept off the
    /// async workers, and at most `verify_threads` batches at once, in arrival order, the batches
    /// of addresses whose last request was stored before the others ([`turns`]). Unbounded,
    /// every waiting batch would share the cores and all would finish together, late, reaching
    /// the writer in one burst while the cores then idle; in turn, the first batches reach the
    /// writer early and it commits them while the next are verified.
    async fn verify(
        &self,
        reports: &Arc<[SignedReport]>,
        at: impl Fn(usize) -> Option<usize>,
        peer: Option<std::net::IpAddr>,
    ) -> Result<(), Rejection> {
        let verdict = if reports.len() == 1 {
            verify_until_first_failure(reports, &self.keys)
        } else {
            // Addresses whose last request was stored go first (`turns`). Once the turn is
            // ours, the address's failures are checked again: requests sent side by side all
            // passed the check before their bodies, and the first to fail ends the rest.
            let _turn = self.verifiers.turn(peer).await;
            if let Some(ip) = peer {
                self.failed_too_often(ip)?;
            }
            let (owned, keys) = (Arc::clone(reports), Arc::clone(&self.keys));
            tokio::task::spawn_blocking(move || verify_until_first_failure(&owned, &keys))
                .await
                .map_err(|e| {
                    Rejection::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "storage_unavailable",
                        format!("verification task failed: {e}"),
                    )
                })?
        };
        verdict.map_err(|(i, e)| Rejection::report(&e).at(at(i)))
    }
}

/// 429 `rate_limited` for the device at `over.0` in `demands`, with its `Retry-After`.
fn rate_limited(
    demands: &[(usize, Pubkey, u32)],
    over: (usize, Duration),
    at: impl Fn(usize) -> Option<usize>,
) -> Rejection {
    let (k, wait) = over;
    let (i, device, _) = demands.get(k).copied().unwrap_or((0, Pubkey::default(), 0));
    let mut r = Rejection::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("device {device} is over its report rate limit"),
    )
    .at(at(i));
    r.retry_after = Some(wait);
    r
}

/// `verify_threads` as set, or one per CPU core for 0.
fn verify_threads(setting: usize) -> usize {
    if setting > 0 {
        return setting;
    }
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

fn replayed(reports: &[SignedReport], index: usize) -> Rejection {
    let detail = reports.get(index).map_or_else(String::new, |r| {
        format!(
            "device {} already sent nonce {}",
            r.report.device, r.report.nonce
        )
    });
    Rejection::new(StatusCode::CONFLICT, "replayed_nonce", detail)
}

/// The ingest routes over `ingest`, the read-only routes any origin may read (CORS, GET): the
/// published epochs ([`epochs::router`]), the slash approvals ([`crate::offences::router`]) and
/// the rewards API ([`crate::api::router`]), and the web app when `web.dir` is set
/// ([`crate::web`]; anything else is 404).
pub fn router(ingest: Arc<Ingest>) -> Router {
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::HEAD]);
    let read = epochs::router(ingest.epochs.clone())
        .merge(crate::offences::router(Arc::clone(&ingest.offences)))
        .merge(crate::api::router(Arc::clone(&ingest.api)))
        .layer(cors);
    let web = ingest.web.clone();
    let routes = Router::new()
        .route("/v1/reports", post(post_one))
        .route("/v1/reports/batch", post(post_batch))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(ingest)
        .merge(read);
    match web.dir.clone() {
        // A path that is neither a route nor a file of the build (any method) is the same
        // JSON 404 as without one.
        Some(dir) => routes.fallback_service(
            crate::web::config_router(web)
                .fallback_service(
                    crate::web::files(&dir)
                        .call_fallback_on_method_not_allowed(true)
                        .fallback(axum::handler::HandlerWithoutStateExt::into_service(
                            not_found,
                        )),
                )
                .layer(axum::middleware::from_fn(crate::web::headers)),
        ),
        None => routes.fallback(not_found),
    }
}

#[derive(Serialize)]
struct Accepted {
    accepted: usize,
}

/// The client's address, when the server was started with connection info
/// (`server::serve_http`), by its budget key ([`limits::client_key`]); None otherwise (a router
/// driven directly).
struct Peer(Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| limits::client_key(c.0.ip())),
        ))
    }
}

async fn handle(
    ingest: &Ingest,
    route: &str,
    headers: &HeaderMap,
    body: Body,
    batch: bool,
    peer: Peer,
) -> Response {
    let started = Instant::now();
    let result = ingest.ingest(headers, body, batch, peer.0).await;
    ingest.metrics.observe(route, started.elapsed());
    match result {
        Ok(accepted) => {
            ingest.metrics.accepted(accepted);
            let body = serde_json::to_vec(&Accepted { accepted }).unwrap_or_default();
            (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response()
        }
        Err(rejection) => {
            ingest.metrics.rejected(rejection.reason);
            tracing::debug!(reason = rejection.reason, detail = %rejection.detail, "refused");
            rejection.into_response()
        }
    }
}

async fn post_one(
    State(ingest): State<Arc<Ingest>>,
    peer: Peer,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(&ingest, "/v1/reports", &headers, body, false, peer).await
}

async fn post_batch(
    State(ingest): State<Arc<Ingest>>,
    peer: Peer,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(&ingest, "/v1/reports/batch", &headers, body, true, peer).await
}

async fn metrics(State(ingest): State<Arc<Ingest>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        ingest.metrics.render(),
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn not_found() -> Response {
    Rejection::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
}
