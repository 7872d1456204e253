//! Pyth `PriceUpdateV2` accounts, written into the SVM as the Pyth receiver program leaves them
//! after verifying a Wormhole-signed update: the real type from `pyth-solana-receiver-sdk`,
//! serialised with its discriminator and owned by the receiver program.
use anchor_lang::prelude::Pubkey;
pub use depin_client::pyth::{Price, VerificationLevel, price_update_data};
pub use pyth_solana_receiver_sdk::ID as RECEIVER;
use solana_account::Account;

use crate::TestEnv;

/// Writes a `PriceUpdateV2` at `address`, owned by `owner` (normally the receiver program).
pub fn set_price_update(env: &mut TestEnv, address: Pubkey, owner: Pubkey, p: Price) {
    let data = price_update_data(p);
    let account = Account {
        lamports: env.rent_exempt(data.len()),
        data,
        owner,
        executable: false,
        rent_epoch: 0,
    };
    env.svm.set_account(address, account).expect("set price");
}
