//! PDA seeds and protocol limits. Seeds live here and nowhere else.

use anchor_lang::prelude::{Pubkey, pubkey};

/// Seed of the treasury config PDA: `["treasury"]`.
pub const TREASURY_SEED: &[u8] = b"treasury";
/// Seed of an allowed stablecoin's PDA: `["stablecoin", mint]`. It owns that coin's vault and the
/// account the buyback receives network tokens into, and signs the buyback's swap.
pub const STABLECOIN_SEED: &[u8] = b"stablecoin";
/// Seed of a stablecoin's revenue vault (a token account): `["vault", mint]`.
pub const VAULT_SEED: &[u8] = b"vault";
/// Seed of the token account a buyback receives network tokens into: `["bought", mint]`.
pub const BOUGHT_SEED: &[u8] = b"bought";
/// Seed of the service-credits mint (Token-2022, NonTransferable): `["credits"]`.
pub const CREDITS_SEED: &[u8] = b"credits";
/// Seed of a queued parameter change: `["change", id_le]`. The timelock's bounds and grace period
/// are `depin_common::timelock`'s.
pub const CHANGE_SEED: &[u8] = b"change";

/// Layout version written into new `Treasury` accounts (2: `last_price_publish_time`).
pub const TREASURY_VERSION: u8 = 2;
/// Layout version written into new `Stablecoin` accounts (2: the venue's reserves).
pub const STABLECOIN_VERSION: u8 = 2;

/// The oldest price update accepted, at most: 1 hour.
pub const MAX_PRICE_AGE_CAP_SECS: u64 = 3_600;
/// The widest confidence interval governance may allow: 10% of the price.
pub const MAX_CONF_CAP_BPS: u16 = 1_000;
/// The largest confidence multiple `k` (in bps of one interval): 5.
pub const MAX_CONF_MULTIPLE_BPS: u32 = 50_000;
/// The largest slippage allowance on the buyback: 20%.
pub const MAX_SLIPPAGE_CAP_BPS: u16 = 2_000;
/// Buyback epochs (for the per-epoch cap) last from 1 hour to 30 days.
pub const MIN_BUYBACK_EPOCH_SECS: u64 = 3_600;
pub const MAX_BUYBACK_EPOCH_SECS: u64 = 30 * 86_400;
/// Service credits have no decimals: 1 credit is the smallest unit of service.
pub const CREDITS_DECIMALS: u8 = 0;
/// The most bytes a swap instruction forwarded by the buyback may carry.
pub const MAX_SWAP_DATA_LEN: usize = 256;

/// The Pyth Solana Receiver program, which owns `PriceUpdateV2` accounts.
pub const PYTH_RECEIVER_ID: Pubkey = pyth_solana_receiver_sdk::ID;
/// The staking program; the stakers' share is routed to its revenue vault.
pub const STAKING_PROGRAM_ID: Pubkey = pubkey!("AtbUXJf62DoLaxEaZgGJp1AQbhGruJ4N2WcHrtfS1dwF");
/// The staking program's config PDA seed: its revenue vault belongs to this PDA.
pub const STAKING_CONFIG_SEED: &[u8] = b"config";

/// The rewards program (its id is checked against `rewards::ID` by the program tests; the
/// program crates do not link each other): its `["stable_claim"]` PDA is the only signer
/// `buy_claim` accepts.
pub const REWARDS_PROGRAM_ID: Pubkey = pubkey!("5yruxM2F78Bw4EKcCp1oR1MxrETSAJWWLfchwBwK7Btc");
/// Seed of the rewards program's PDA that signs `buy_claim` (rewards'
/// `STABLE_CLAIM_SEED`): `["stable_claim"]`.
pub const STABLE_CLAIM_SEED: &[u8] = b"stable_claim";
/// The rewards program's `["stable_claim"]` PDA, derived at compile time (and checked by a unit
/// test): only `rewards::claim_in_stablecoin` signs with it, so only claimed tokens are ever
/// sold to a buyback bucket.
pub const STABLE_CLAIM_AUTHORITY: Pubkey = Pubkey::new_from_array(
    anchor_lang::derive_program_address(&[STABLE_CLAIM_SEED], &REWARDS_PROGRAM_ID.to_bytes()).0,
);

/// The treasury config's address: the PDA `["treasury"]` (checked by a unit test). Hot paths
/// check this constant instead of re-deriving the PDA (a `create_program_address` costs ~1,500 CU).
pub const TREASURY_ADDRESS: Pubkey = pubkey!("C2Z1pNS58TeoWZ8vDhJANdAqoGJf52hgj1cZuJxwKcJC");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn treasury_address_is_the_pda() {
        let (pda, _) = Pubkey::find_program_address(&[TREASURY_SEED], &crate::ID);
        assert_eq!(TREASURY_ADDRESS, pda, "TREASURY_ADDRESS must be {pda}");
    }

    #[test]
    fn stable_claim_authority_is_the_rewards_pda() {
        let (pda, _) = Pubkey::find_program_address(&[STABLE_CLAIM_SEED], &REWARDS_PROGRAM_ID);
        assert_eq!(
            STABLE_CLAIM_AUTHORITY, pda,
            "STABLE_CLAIM_AUTHORITY must be {pda}"
        );
    }
}
