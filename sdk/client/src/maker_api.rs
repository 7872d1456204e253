//! The maker service's HTTP API (`app/maker/README.md`): its JSON shapes, the message's wire
//! encoding, and the owner's side of `POST /v1/onboard`, which accepts the maker's answer only
//! when its signature verifies for the maker over the message asked about.
//!
//! ```text
//! POST /v1/onboard {"code": "depin-onboard:1:…", "message": "<base64 of the legacy Message>",
//!                   "owner_signature": "<base58: the code's owner's signature over the message>"}
//!   200 {"signature": "<base58>", "maker": "<base58>"}
//!   4xx {"error": "<reason>", "message": "<text>"}       (429 with Retry-After)
//! ```

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use solana_message::Message;
use solana_pubkey::Pubkey;
use solana_signature::Signature;

/// The path of the signing request.
pub const ONBOARD_PATH: &str = "/v1/onboard";
/// The most bytes a request body may hold: a 1232-byte transaction's message in base64 and a
/// code, with room to spare.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// The most bytes read of an answer.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// `POST /v1/onboard`'s body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnboardRequest {
    /// The device's onboarding code, as `depin-agent onboarding-code` prints it.
    pub code: String,
    /// base64 of the serialized legacy message the maker is asked to sign.
    pub message: String,
    /// base58 of the code's owner's signature over the message: the owner signs first, so
    /// nobody else can spend the owner's code or budget at the maker.
    pub owner_signature: String,
}

/// The maker's signature over the message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardAnswer {
    /// base58.
    pub signature: String,
    /// The maker's key, base58.
    pub maker: String,
}

/// A refusal: a stable reason and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

/// The message's bytes as a transaction carries them (what every signer signs).
#[must_use]
pub fn message_bytes(message: &Message) -> Vec<u8> {
    message.serialize()
}

/// base64 of [`message_bytes`].
#[must_use]
pub fn encode_message(message: &Message) -> String {
    base64::engine::general_purpose::STANDARD.encode(message_bytes(message))
}

/// Reads a legacy message from its base64: well formed (indexes in range) and in its canonical
/// encoding (it serializes back to the same bytes, so the bytes signed are the bytes checked).
/// The bytes are returned with it.
///
/// # Errors
///
/// A sentence saying what is wrong.
pub fn decode_message(text: &str) -> Result<(Message, Vec<u8>), String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("the message is not base64: {e}"))?;
    let message: Message = bincode::deserialize(&bytes)
        .map_err(|e| format!("not a serialized legacy transaction message: {e}"))?;
    if message.serialize() != bytes {
        return Err("the message is not in its canonical encoding".to_string());
    }
    solana_sanitize::Sanitize::sanitize(&message)
        .map_err(|e| format!("a malformed message: {e}"))?;
    Ok((message, bytes))
}

/// Why the maker service gave no usable signature.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error("maker service {url}: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The service refused, by name.
    #[error("maker service {url} refused ({status} {reason}): {message}")]
    Refused {
        url: String,
        status: u16,
        reason: String,
        message: String,
    },
    #[error("maker service {url}: {detail}")]
    BadAnswer { url: String, detail: String },
}

impl AskError {
    /// The service's reason, when it refused.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Refused { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// Asks the maker service at `base` to sign `message` for `code`; returns the signature only
/// if it verifies for `maker` (the key the message names as the maker) over the message.
///
/// # Errors
///
/// [`AskError`]: the request failed, the service refused (its reason), or the answer is not a
/// valid signature of `maker`.
pub async fn ask_maker(
    http: &reqwest::Client,
    base: &str,
    code: &str,
    message: &Message,
    owner_signature: &Signature,
    maker: &Pubkey,
) -> Result<Signature, AskError> {
    let url = format!("{}{ONBOARD_PATH}", base.trim_end_matches('/'));
    let http_err = |source| AskError::Http {
        url: url.clone(),
        source,
    };
    let body = serde_json::to_vec(&OnboardRequest {
        code: code.to_string(),
        message: encode_message(message),
        owner_signature: owner_signature.to_string(),
    })
    .map_err(|e| AskError::BadAnswer {
        url: url.clone(),
        detail: e.to_string(),
    })?;
    let mut response = http
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(http_err)?;
    let status = response.status();
    let mut answer = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http_err)? {
        answer.extend_from_slice(&chunk);
        if answer.len() > MAX_ANSWER_BYTES {
            return Err(AskError::BadAnswer {
                url,
                detail: format!("the answer is over {MAX_ANSWER_BYTES} bytes"),
            });
        }
    }
    if !status.is_success() {
        let refusal: Option<ErrorBody> = serde_json::from_slice(&answer).ok();
        return Err(AskError::Refused {
            url,
            status: status.as_u16(),
            reason: refusal
                .as_ref()
                .map_or_else(String::new, |r| r.error.clone()),
            message: refusal.map_or_else(
                || String::from_utf8_lossy(&answer).into_owned(),
                |r| r.message,
            ),
        });
    }
    let bad = |detail: String| AskError::BadAnswer {
        url: url.clone(),
        detail,
    };
    let answer: OnboardAnswer =
        serde_json::from_slice(&answer).map_err(|e| bad(format!("not an answer: {e}")))?;
    if answer.maker != maker.to_string() {
        return Err(bad(format!(
            "it signed as {}, not as the maker {maker}",
            answer.maker
        )));
    }
    let signature: Signature = answer
        .signature
        .parse()
        .map_err(|e| bad(format!("not a signature: {e}")))?;
    if !verifies(&signature, maker, &message_bytes(message)) {
        return Err(bad(format!(
            "its signature does not verify for the maker {maker} over the message"
        )));
    }
    Ok(signature)
}

/// Whether `signature` is `key`'s over `bytes` (strict ed25519, as the runtime checks it).
#[must_use]
pub fn verifies(signature: &Signature, key: &Pubkey, bytes: &[u8]) -> bool {
    let Ok(sig) = <[u8; 64]>::try_from(signature.as_ref()) else {
        return false;
    };
    ed25519_dalek::VerifyingKey::from_bytes(&key.to_bytes()).is_ok_and(|vk| {
        vk.verify_strict(bytes, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    })
}

/// `GET {base}/v1/health`: the service's maker key (the owner puts it in the transaction before
/// asking for its signature).
///
/// # Errors
///
/// The request fails, or the answer names no valid key.
pub async fn maker_key(http: &reqwest::Client, base: &str) -> Result<Pubkey, AskError> {
    let url = format!("{}/v1/health", base.trim_end_matches('/'));
    let bad = |detail: String| AskError::BadAnswer {
        url: url.clone(),
        detail,
    };
    let response = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|source| AskError::Http {
            url: url.clone(),
            source,
        })?;
    let body = response.bytes().await.map_err(|source| AskError::Http {
        url: url.clone(),
        source,
    })?;
    let health: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| bad(format!("not JSON: {e}")))?;
    health["maker"]
        .as_str()
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| bad("no maker key in its health answer".to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use solana_instruction::{AccountMeta, Instruction};
    use solana_keypair::Keypair;
    use solana_signer::Signer as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    fn message(owner: &Pubkey, maker: &Pubkey) -> Message {
        let ix = Instruction::new_with_bytes(
            Pubkey::new_unique(),
            b"x",
            vec![
                AccountMeta::new(*owner, true),
                AccountMeta::new_readonly(*maker, true),
            ],
        );
        Message::new(&[ix], Some(owner))
    }

    #[test]
    fn the_message_round_trips_and_only_canonically() {
        let m = message(&Pubkey::new_unique(), &Pubkey::new_unique());
        let (back, bytes) = decode_message(&encode_message(&m)).unwrap();
        assert_eq!((back, bytes), (m.clone(), message_bytes(&m)));
        let mut trailing = message_bytes(&m);
        trailing.push(0);
        let text = base64::engine::general_purpose::STANDARD.encode(trailing);
        assert_eq!(
            decode_message(&text).unwrap_err(),
            "the message is not in its canonical encoding"
        );
        let mut bad_index = m.clone();
        bad_index.instructions[0].program_id_index = 9;
        assert!(
            decode_message(&encode_message(&bad_index))
                .unwrap_err()
                .starts_with("a malformed message")
        );
        assert!(
            decode_message("not base64!")
                .unwrap_err()
                .starts_with("the message is not base64")
        );
    }

    /// A server on loopback that answers every request with `status` and `body`.
    async fn answering(status: u16, body: String) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 8192];
                let _ = s.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(reply.as_bytes()).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn only_a_signature_of_the_maker_over_the_message_is_taken() {
        let (owner, maker) = (Pubkey::new_unique(), Keypair::new());
        let m = message(&owner, &maker.pubkey());
        let http = reqwest::Client::new();
        let answer = |signature: String, key: &Pubkey| {
            serde_json::to_string(&OnboardAnswer {
                signature,
                maker: key.to_string(),
            })
            .unwrap()
        };
        let good = maker.sign_message(&message_bytes(&m));
        let url = answering(200, answer(good.to_string(), &maker.pubkey())).await;
        assert_eq!(
            ask_maker(&http, &url, "c", &m, &Signature::default(), &maker.pubkey())
                .await
                .unwrap(),
            good
        );
        // Another message's signature, another key's, another signer named.
        let other = maker.sign_message(b"something else");
        let url = answering(200, answer(other.to_string(), &maker.pubkey())).await;
        let err = ask_maker(&http, &url, "c", &m, &Signature::default(), &maker.pubkey())
            .await
            .unwrap_err();
        assert!(
            err.to_string().ends_with(&format!(
                "its signature does not verify for the maker {} over the message",
                maker.pubkey()
            )),
            "{err}"
        );
        let stranger = Keypair::new();
        let url = answering(
            200,
            answer(
                stranger.sign_message(&message_bytes(&m)).to_string(),
                &stranger.pubkey(),
            ),
        )
        .await;
        let err = ask_maker(&http, &url, "c", &m, &Signature::default(), &maker.pubkey())
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("not as the maker {}", maker.pubkey())),
            "{err}"
        );
        // A refusal keeps its reason.
        let url = answering(
            409,
            r#"{"error":"code_already_used","message":"once"}"#.to_owned(),
        )
        .await;
        let err = ask_maker(&http, &url, "c", &m, &Signature::default(), &maker.pubkey())
            .await
            .unwrap_err();
        assert_eq!(err.reason(), Some("code_already_used"));
    }
}
