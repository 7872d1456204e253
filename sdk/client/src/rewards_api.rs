//! The oracle's rewards API from the client side (docs/api.md): a wallet's summary over HTTP,
//! turned into a claim only after its proof folds up to the final root read from the chain.
//! The API is a convenience, never trusted: a wrong or stale answer is refused before sending.

use anchor_lang::prelude::Pubkey;
use depin_formats::api::{ApiError, WalletSummary, verify_leaf};
use rewards::state::FinalRoot;

use crate::builders::rewards_ix::{ClaimArgs, proof_nodes};

/// Why a summary could not be had or used.
#[derive(Debug, thiserror::Error)]
pub enum RewardsApiError {
    #[error("rewards API {url}: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("rewards API {url}: {status} {error}: {detail}")]
    Refused {
        url: String,
        status: u16,
        error: String,
        detail: String,
    },
    #[error("rewards API {url}: not a wallet summary: {reason}")]
    Decode { url: String, reason: String },
    #[error("rewards API answered for final root {api} but the chain's is {chain}: retry")]
    OtherRoot { api: String, chain: String },
    #[error("rewards API: wallet {wallet}: {reason}")]
    BadProof { wallet: Pubkey, reason: String },
}

/// The most bytes read of an answer (a summary lists the wallet's devices).
pub const MAX_ANSWER_BYTES: usize = 16 << 20;

/// `GET {base}/v1/wallets/{wallet}`.
///
/// # Errors
///
/// The request fails, the API refuses (its reason and detail), or the body is not a summary.
pub async fn wallet_summary(
    http: &reqwest::Client,
    base: &str,
    wallet: &Pubkey,
) -> Result<WalletSummary, RewardsApiError> {
    let url = format!("{}/v1/wallets/{wallet}", base.trim_end_matches('/'));
    let http_err = |source| RewardsApiError::Http {
        url: url.clone(),
        source,
    };
    let mut response = http.get(&url).send().await.map_err(http_err)?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http_err)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            return Err(RewardsApiError::Decode {
                url,
                reason: format!("the answer is over {MAX_ANSWER_BYTES} bytes"),
            });
        }
    }
    if !status.is_success() {
        let refusal: Option<ApiError> = serde_json::from_slice(&body).ok();
        return Err(RewardsApiError::Refused {
            url,
            status: status.as_u16(),
            error: refusal
                .as_ref()
                .map_or_else(String::new, |r| r.error.clone()),
            detail: refusal
                .map_or_else(|| String::from_utf8_lossy(&body).into_owned(), |r| r.detail),
        });
    }
    serde_json::from_slice(&body).map_err(|e| RewardsApiError::Decode {
        url,
        reason: e.to_string(),
    })
}

/// The claim a summary supports against `fin` (the final root read from the chain): the
/// wallet's cumulative amount and its proof, after the proof folds up to `fin`. None when the
/// wallet has no leaf.
///
/// # Errors
///
/// The summary is for another final root, or its proof does not give `fin`.
pub fn claim_args(
    summary: &WalletSummary,
    wallet: &Pubkey,
    fin: &FinalRoot,
) -> Result<Option<ClaimArgs>, RewardsApiError> {
    let chain = hex::encode(fin.root);
    let api = summary
        .final_root
        .as_ref()
        .map_or_else(|| "none".to_owned(), |f| f.root.clone());
    if api != chain && fin.epochs > 0 {
        return Err(RewardsApiError::OtherRoot { api, chain });
    }
    let Some(leaf) = &summary.leaf else {
        return Ok(None);
    };
    let proof = verify_leaf(&wallet.to_bytes(), leaf, &fin.root, fin.total).map_err(|reason| {
        RewardsApiError::BadProof {
            wallet: *wallet,
            reason,
        }
    })?;
    Ok(Some(ClaimArgs {
        cumulative_amount: leaf.cumulative,
        proof: proof_nodes(&proof),
    }))
}
