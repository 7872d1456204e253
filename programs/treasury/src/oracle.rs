//! Reading the network token's price from a Pyth `PriceUpdateV2` account, with every check the
//! treasury relies on. The account's owner (the Pyth receiver program) and discriminator are
//! checked by its `Account<PriceUpdateV2>` type before this runs.
use anchor_lang::prelude::*;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};

use crate::error::TreasuryError;
use crate::math::price::{PriceBound, PriceError, conservative_price};
use crate::state::{PriceConfig, Treasury};

/// A checked price: the conservative bound and what it was derived from (for events).
#[derive(Clone, Copy, Debug)]
pub struct CheckedPrice {
    pub bound: PriceBound,
    pub ema_price: i64,
    pub ema_conf: u64,
    pub publish_time: i64,
}

/// [`checked_price`], and no older than the last price the treasury used, which it then becomes:
/// prices only move forward, so a caller cannot go back to a better update once a newer one was
/// used (buybacks and credit burns share the one feed and this one mark). Between that mark and
/// now a caller still chooses among the updates of the last `max_age_secs`: keep it short.
pub fn use_price(
    treasury: &mut Treasury,
    update: &PriceUpdateV2,
    now: i64,
) -> Result<CheckedPrice> {
    let price = checked_price(update, &treasury.price, now)?;
    require!(
        price.publish_time >= treasury.last_price_publish_time,
        TreasuryError::PriceOlderThanLastUsed
    );
    treasury.last_price_publish_time = price.publish_time;
    Ok(price)
}

/// The pinned feed, fully verified, no older than `max_age_secs`, confidence within bounds:
/// EMA - k x confidence.
fn checked_price(update: &PriceUpdateV2, cfg: &PriceConfig, now: i64) -> Result<CheckedPrice> {
    require!(
        update.verification_level == VerificationLevel::Full,
        TreasuryError::PriceNotVerified
    );
    let msg = &update.price_message;
    require!(msg.feed_id == cfg.feed_id, TreasuryError::WrongPriceFeed);
    let max_age = i64::try_from(cfg.max_age_secs).map_err(|_| TreasuryError::MathOverflow)?;
    require!(
        msg.publish_time.saturating_add(max_age) >= now,
        TreasuryError::StalePrice
    );
    let bound = conservative_price(
        msg.ema_price,
        msg.ema_conf,
        msg.exponent,
        cfg.conf_multiple_bps,
        cfg.max_conf_bps,
    )
    .map_err(price_error)?;
    Ok(CheckedPrice {
        bound,
        ema_price: msg.ema_price,
        ema_conf: msg.ema_conf,
        publish_time: msg.publish_time,
    })
}

/// The program error for a refused price.
pub fn price_error(e: PriceError) -> Error {
    match e {
        PriceError::ConfidenceTooWide => error!(TreasuryError::PriceTooUncertain),
        PriceError::NonPositive | PriceError::Exponent => error!(TreasuryError::InvalidPrice),
        PriceError::Overflow => error!(TreasuryError::MathOverflow),
        PriceError::EmptyPool => error!(TreasuryError::NoPoolPrice),
    }
}
