//! `POST /v1/onboard` and `GET /v1/health`. The checks of a signing request, in order; the
//! first that fails answers with its status and stable reason, and nothing is recorded:
//!
//! ```text
//!  decode the code (400 OnboardingError::reason) and the message (400 bad_message)
//!  ─► the owner's signature over the message (403 bad_owner_signature): only the wallet the
//!     code names spends its code and its budget
//!  ─► the device's signature for this deployment (400 bad_signature | invalid_device_key)
//!  ─► a device this maker provisioned, in <state_dir>/devices.txt (403 unknown_device)
//!  ─► expiry by this service's clock (422 code_expired | code_too_long)
//!  ─► depin_client::onboarding::check_message with this maker's key (422 Refusal::reason)
//!  ─► this maker's account on chain is approved and active (409 maker_not_approved)
//!  ─► the device has no account yet (409 device_already_onboarded)
//!  ─► under the store's lock: never signed for before (409 code_already_used), the owner's and
//!     the global budget (429 owner_rate_limited | rate_limited, Retry-After), then recorded
//!     and fsynced
//!  ─► sign the message's bytes: 200 {"signature", "maker"}
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use depin_client::Sender;
use depin_client::builders::rewards_ix;
use depin_client::maker_api::{self, ErrorBody, OnboardAnswer, OnboardRequest};
use depin_client::onboarding::{check_message, device_onboarded, maker_active};
use depin_client::solana_pubkey::Pubkey;
use depin_formats::onboarding::{MAX_VALIDITY_SECS, OnboardingCode, REWARDS_PROGRAM_ID};
use depin_formats::rate_limit::RateLimiter;
use ed25519_dalek::{Signer as _, SigningKey};

use crate::devices::Provisioned;
use crate::settings::Settings;
use crate::store::{RecordError, UsedCodes};

/// A refusal: status, stable reason, a sentence, and for 429 when to retry.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub reason: &'static str,
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl Refused {
    fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            reason,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// `value` as a JSON body with `status`.
fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.reason.to_string(),
            message: self.message,
        };
        let mut response = json(self.status, &body);
        if let Some(after) = self.retry_after {
            // Whole seconds, rounded up, at least 1.
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// The service's state.
pub struct Service {
    key: SigningKey,
    maker: Pubkey,
    sender: Sender,
    used: Arc<UsedCodes>,
    devices: Provisioned,
    per_owner: RateLimiter<[u8; 32]>,
    global: RateLimiter<()>,
    request_timeout: Duration,
}

impl Service {
    /// The service for `settings`, signing with `key`, recording in `used`.
    #[must_use]
    pub fn new(settings: &Settings, key: SigningKey, used: Arc<UsedCodes>) -> Self {
        let maker = Pubkey::new_from_array(key.verifying_key().to_bytes());
        Self {
            key,
            maker,
            sender: Sender::new(
                settings.rpc_url.clone(),
                depin_client::SendConfig::default(),
            ),
            used,
            devices: Provisioned::new(&settings.state_dir),
            per_owner: RateLimiter::new(settings.per_owner, settings.rate_window),
            global: RateLimiter::new(settings.global, settings.rate_window),
            request_timeout: settings.request_timeout,
        }
    }

    /// The maker's key.
    #[must_use]
    pub const fn maker(&self) -> &Pubkey {
        &self.maker
    }
}

/// The HTTP API over `service`, taking bodies of at most `max_body_bytes`.
pub fn router(service: Arc<Service>, max_body_bytes: usize) -> Router {
    Router::new()
        .route(maker_api::ONBOARD_PATH, post(onboard))
        .route("/v1/health", get(health))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(service)
}

async fn health(State(s): State<Arc<Service>>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({
            "status": "ok", "maker": s.maker.to_string(), "signed": s.used.len(),
        }),
    )
}

async fn onboard(State(s): State<Arc<Service>>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return Refused::new(e.status(), "body_too_large", e.body_text()).into_response();
        }
    };
    let result = match tokio::time::timeout(s.request_timeout, sign_request(&s, &body)).await {
        Ok(r) => r,
        Err(_) => Err(Refused::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took over {:?}", s.request_timeout),
        )),
    };
    match result {
        Ok(answer) => json(StatusCode::OK, &answer),
        Err(refused) => {
            tracing::info!(reason = refused.reason, message = %refused.message, "refused");
            refused.into_response()
        }
    }
}

/// Unix seconds now, by this service's clock.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The checks (module docs), then the signature.
async fn sign_request(s: &Arc<Service>, body: &[u8]) -> Result<OnboardAnswer, Refused> {
    let bad = |reason, message: String| Refused::new(StatusCode::BAD_REQUEST, reason, message);
    let request: OnboardRequest = serde_json::from_slice(body).map_err(|e| {
        bad(
            "bad_request",
            format!("the body is not {{\"code\", \"message\", \"owner_signature\"}}: {e}"),
        )
    })?;
    let code = OnboardingCode::decode(&request.code).map_err(|e| bad(e.reason(), e.to_string()))?;
    let (message, bytes) =
        maker_api::decode_message(&request.message).map_err(|e| bad("bad_message", e))?;
    check_owner_signature(&code, &request.owner_signature, &bytes)?;
    code.verify(&REWARDS_PROGRAM_ID)
        .map_err(|e| bad(e.reason(), e.to_string()))?;
    check_provisioned(s, &code)?;
    check_expiry(&code, now())?;
    check_message(&message, &s.maker, &code)
        .map_err(|e| Refused::new(StatusCode::UNPROCESSABLE_ENTITY, e.reason(), e.to_string()))?;
    check_chain(s, &code).await?;
    let at = now();
    let owner = code.onboarding.owner.0;
    let service = Arc::clone(s);
    let recorded = tokio::task::spawn_blocking(move || {
        service.used.record_once(&code, at, || service.admit(owner))
    })
    .await
    .map_err(|e| Refused::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let used = recorded.map_err(|e| match e {
        RecordError::AlreadyUsed(device) => Refused::new(
            StatusCode::CONFLICT,
            "code_already_used",
            format!(
                "this maker signed for this code before (device {}): a code is signed for once; \
                 ask the device for a new one",
                device
            ),
        ),
        RecordError::Refused(r) => r,
        RecordError::Store(e) => Refused::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "store_failed",
            e.to_string(),
        ),
    })?;
    let signature = s.key.sign(&bytes);
    tracing::info!(device = %used.device, owner = %used.owner, "signed an onboarding");
    Ok(OnboardAnswer {
        signature: depin_client::solana_signature::Signature::from(signature.to_bytes())
            .to_string(),
        maker: s.maker.to_string(),
    })
}

/// `bad_owner_signature` unless `signature` (base58) is the code's owner's over `bytes`: so only
/// the wallet a code names can spend the code and that wallet's budget here.
fn check_owner_signature(
    code: &OnboardingCode,
    signature: &str,
    bytes: &[u8],
) -> Result<(), Refused> {
    let owner = code.onboarding.owner;
    let refused = |why: &str| {
        Refused::new(
            StatusCode::FORBIDDEN,
            "bad_owner_signature",
            format!("owner_signature must be the code's owner's ({owner}) over the message: {why}"),
        )
    };
    let signature: [u8; 64] = bs58::decode(signature.trim())
        .into_vec()
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| refused("not a base58 signature"))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&owner.0)
        .map_err(|_| refused("the owner is not a valid key"))?;
    key.verify_strict(bytes, &ed25519_dalek::Signature::from_bytes(&signature))
        .map_err(|_| refused("it does not verify"))
}

/// `unknown_device` unless this maker provisioned the code's device (its `devices.txt`).
fn check_provisioned(s: &Service, code: &OnboardingCode) -> Result<(), Refused> {
    let device = code.onboarding.device;
    match s.devices.contains(&device.0) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Refused::new(
            StatusCode::FORBIDDEN,
            "unknown_device",
            format!(
                "device {device} is not one this maker provisioned: a maker vouches only for                  hardware it made (depin-maker provision)"
            ),
        )),
        Err(e) => {
            tracing::error!(error = %e, "the provisioned devices could not be read");
            Err(Refused::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "devices_unreadable",
                "the maker's list of provisioned devices could not be read",
            ))
        }
    }
}

/// `code_expired` when `now` is past the code's expiry, `code_too_long` when it is valid for
/// longer than the program takes.
fn check_expiry(code: &OnboardingCode, now: i64) -> Result<(), Refused> {
    let expires_at = code.onboarding.expires_at;
    if code.expired(now) {
        return Err(Refused::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "code_expired",
            format!("the code expired at {expires_at} (now {now}): ask the device for a new one"),
        ));
    }
    if expires_at > now.saturating_add(MAX_VALIDITY_SECS) {
        return Err(Refused::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "code_too_long",
            format!(
                "the code is valid until {expires_at}, more than {MAX_VALIDITY_SECS} s from now \
                 ({now}): the program refuses it"
            ),
        ));
    }
    Ok(())
}

/// This maker is approved and active, and the device is not onboarded yet.
async fn check_chain(s: &Service, code: &OnboardingCode) -> Result<(), Refused> {
    // The detail (which may name the RPC URL and its key) goes to the log, not to the caller.
    let rpc = |e: depin_client::accounts::FetchError| {
        tracing::warn!(error = %e, "reading the chain failed");
        Refused::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "rpc_unavailable",
            "the maker service could not read the chain; try again later",
        )
    };
    if !maker_active(&s.sender, &s.maker).await.map_err(rpc)? {
        let maker_account = rewards_ix::maker_pda(&s.maker).0;
        return Err(Refused::new(
            StatusCode::CONFLICT,
            "maker_not_approved",
            format!(
                "this service's maker key {} is not an approved, active maker on this network \
                 (no active maker account at {maker_account})",
                s.maker
            ),
        ));
    }
    let device = Pubkey::new_from_array(code.onboarding.device.0);
    if device_onboarded(&s.sender, &device).await.map_err(rpc)? {
        let device_account = rewards_ix::device_pda(&device).0;
        return Err(Refused::new(
            StatusCode::CONFLICT,
            "device_already_onboarded",
            format!("device {device} is onboarded already ({device_account})"),
        ));
    }
    Ok(())
}

impl Service {
    /// Takes one signature from the owner's budget and the global one, both or neither.
    fn admit(&self, owner: [u8; 32]) -> Result<(), Refused> {
        let now = Instant::now();
        let limited = |reason, who: &str, after: Duration| Refused {
            status: StatusCode::TOO_MANY_REQUESTS,
            reason,
            message: format!("{who}: retry in {} s", after.as_secs().max(1)),
            retry_after: Some(after),
        };
        self.per_owner
            .fits(&[(owner, 1)], now)
            .map_err(|(_, after)| {
                limited(
                    "owner_rate_limited",
                    "too many onboardings for this owner",
                    after,
                )
            })?;
        self.global
            .take(&[((), 1)], now)
            .map_err(|(_, after)| limited("rate_limited", "too many onboardings", after))?;
        if let Err((_, after)) = self.per_owner.take(&[(owner, 1)], now) {
            self.global.give_back(&[((), 1)]);
            return Err(limited(
                "owner_rate_limited",
                "too many onboardings for this owner",
                after,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use depin_formats::keys::Pubkey as Key;
    use depin_formats::onboarding::{DeviceKind, Onboarding};

    fn code(expires_at: i64) -> OnboardingCode {
        Onboarding::sign(
            &SigningKey::from_bytes(&[1; 32]),
            Key([2; 32]),
            DeviceKind::Connectivity,
            expires_at,
            &REWARDS_PROGRAM_ID,
        )
    }

    #[test]
    fn expiry_bounds() {
        let now = 1_800_000_000;
        assert!(check_expiry(&code(now), now).is_ok());
        assert!(check_expiry(&code(now + MAX_VALIDITY_SECS), now).is_ok());
        assert_eq!(
            check_expiry(&code(now - 1), now).unwrap_err().reason,
            "code_expired"
        );
        assert_eq!(
            check_expiry(&code(now + MAX_VALIDITY_SECS + 1), now)
                .unwrap_err()
                .reason,
            "code_too_long"
        );
    }
}
