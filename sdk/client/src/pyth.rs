//! Pyth `PriceUpdateV2` account data, as the Pyth receiver program leaves it after verifying a
//! Wormhole-signed update: the real type from `pyth-solana-receiver-sdk`, serialised with its
//! discriminator. A local network writes one into its genesis (it has no receiver program or
//! Wormhole), and the program tests write them into the SVM.
use anchor_lang::AccountSerialize;
use anchor_lang::prelude::Pubkey;
pub use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2};

/// A price as a test or a local network describes it (`ema_price x 10^exponent` USD per token).
#[derive(Clone, Copy, Debug)]
pub struct Price {
    pub feed_id: [u8; 32],
    pub ema_price: i64,
    pub ema_conf: u64,
    pub exponent: i32,
    pub publish_time: i64,
    pub verification: VerificationLevel,
}

/// The account data of a fully verified `PriceUpdateV2` for `p` (discriminator included,
/// `PriceUpdateV2::LEN` bytes); the local network writes one into its genesis.
pub fn price_update_data(p: Price) -> Vec<u8> {
    let update = PriceUpdateV2 {
        write_authority: Pubkey::new_from_array([0x77; 32]),
        verification_level: p.verification,
        price_message: PriceFeedMessage {
            feed_id: p.feed_id,
            // The spot price differs from the EMA on purpose: the treasury must use the EMA.
            price: p.ema_price.saturating_mul(2),
            conf: p.ema_conf,
            exponent: p.exponent,
            publish_time: p.publish_time,
            prev_publish_time: p.publish_time - 1,
            ema_price: p.ema_price,
            ema_conf: p.ema_conf,
        },
        posted_slot: 1,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    // Serialising into a Vec cannot fail.
    let _ = update.try_serialize(&mut data);
    data.resize(PriceUpdateV2::LEN, 0);
    data
}
