//! The treasury program's `buy_claim` as this program calls it (docs/treasury.md, "Claims in
//! stablecoin"): its discriminator and account order.
//!
//! Built by hand: the program crates do not link each other. The program tests
//! (`tests/programs/rewards/stable_claims.rs`) pin the discriminator and the account list
//! against the treasury crate, so they cannot drift.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;

use crate::constants::{STABLE_CLAIM_BUMP, STABLE_CLAIM_SEED, TREASURY_PROGRAM_ID};

/// `treasury::buy_claim(args: BuyClaimArgs { amount: u64, min_stable_out: u64 })`.
pub const BUY_CLAIM_DISCRIMINATOR: [u8; 8] = [168, 110, 230, 142, 141, 246, 67, 232];

/// Which of `buy_claim`'s accounts are writable, in order; the first (the claim authority)
/// alone signs.
pub const BUY_CLAIM_WRITABLE: [bool; 16] = [
    false, true, true, true, false, false, true, true, true, false, false, false, false, false,
    false, false,
];

/// `buy_claim` over its 16 account keys, in the treasury's order.
pub fn buy_claim_ix(keys: [Pubkey; 16], amount: u64, min_stable_out: u64) -> Instruction {
    let mut data = Vec::with_capacity(24);
    data.extend_from_slice(&BUY_CLAIM_DISCRIMINATOR);
    data.extend_from_slice(&amount.to_le_bytes());
    data.extend_from_slice(&min_stable_out.to_le_bytes());
    let accounts = keys
        .iter()
        .zip(BUY_CLAIM_WRITABLE)
        .enumerate()
        .map(|(i, (key, writable))| {
            if writable {
                AccountMeta::new(*key, i == 0)
            } else {
                AccountMeta::new_readonly(*key, i == 0)
            }
        })
        .collect();
    Instruction {
        program_id: TREASURY_PROGRAM_ID,
        accounts,
        data,
    }
}

/// The accounts of `buy_claim`, in the treasury's order (its event authority and program
/// last, as `#[event_cpi]` appends them).
pub struct BuyClaimAccounts<'info> {
    pub claim_authority: AccountInfo<'info>,
    pub treasury: AccountInfo<'info>,
    pub stablecoin: AccountInfo<'info>,
    pub vault: AccountInfo<'info>,
    pub stable_mint: AccountInfo<'info>,
    pub claimant: AccountInfo<'info>,
    pub destination: AccountInfo<'info>,
    pub network_mint: AccountInfo<'info>,
    pub bought: AccountInfo<'info>,
    pub price_update: AccountInfo<'info>,
    pub pool_quote_reserve: AccountInfo<'info>,
    pub pool_token_reserve: AccountInfo<'info>,
    pub stable_token_program: AccountInfo<'info>,
    pub network_token_program: AccountInfo<'info>,
    pub event_authority: AccountInfo<'info>,
    pub program: AccountInfo<'info>,
}

impl<'info> BuyClaimAccounts<'info> {
    /// The accounts in order.
    fn ordered(&self) -> [&AccountInfo<'info>; 16] {
        [
            &self.claim_authority,
            &self.treasury,
            &self.stablecoin,
            &self.vault,
            &self.stable_mint,
            &self.claimant,
            &self.destination,
            &self.network_mint,
            &self.bought,
            &self.price_update,
            &self.pool_quote_reserve,
            &self.pool_token_reserve,
            &self.stable_token_program,
            &self.network_token_program,
            &self.event_authority,
            &self.program,
        ]
    }

    /// The instruction: `amount` claimed tokens for at least `min_stable_out`.
    pub fn instruction(&self, amount: u64, min_stable_out: u64) -> Instruction {
        buy_claim_ix(
            self.ordered().map(|info| info.key()),
            amount,
            min_stable_out,
        )
    }

    /// Calls `buy_claim`, signed by the `["stable_claim"]` PDA.
    pub fn invoke(&self, amount: u64, min_stable_out: u64) -> Result<()> {
        let ix = self.instruction(amount, min_stable_out);
        let infos: Vec<AccountInfo<'info>> = self.ordered().map(Clone::clone).to_vec();
        let bump = [STABLE_CLAIM_BUMP];
        let seeds: &[&[u8]] = &[STABLE_CLAIM_SEED, &bump];
        invoke_signed(&ix, &infos, &[seeds])?;
        Ok(())
    }
}
