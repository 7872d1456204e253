//! The AMM the treasury's buyback trades in: `spl-token-swap` 3.0.0 (built from the crate
//! registry into `target/deploy/spl_token_swap.so`). Its accounts and instructions are encoded
//! here by hand, byte for byte as `spl_token_swap` packs them: the 1.x-era instruction crate
//! cannot share a build with the rest of the workspace. Used by the LiteSVM tests (through the
//! harness), the migrations (the local network's pool) and the CLI's buyback.

use anchor_lang::prelude::{AccountMeta, Pubkey, pubkey};
use anchor_lang::solana_program::instruction::Instruction;

use super::TokenProgram;

/// spl-token-swap's own `declare_id!`.
pub const SWAP_PROGRAM_ID: Pubkey = pubkey!("SwapsVeCiPHMUAtzQWZw7RjsKjgCjhwU55QGu4U1Szw");

/// `SwapVersion::LATEST_LEN`: one version byte plus `SwapV1::LEN` (323).
pub const SWAP_ACCOUNT_LEN: usize = 324;

/// The pool's fees: 0.25% to liquidity providers, 0.05% to the pool owner (the usual SPL
/// constant-product settings), no withdrawal or host fees.
pub const FEES: [u64; 8] = [25, 10_000, 5, 10_000, 0, 0, 0, 0];

/// A constant-product pool between `mint_a` and `mint_b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    pub swap: Pubkey,
    pub authority: Pubkey,
    pub mint_a: Pubkey,
    pub mint_b: Pubkey,
    pub vault_a: Pubkey,
    pub vault_b: Pubkey,
    pub pool_mint: Pubkey,
    pub fee_account: Pubkey,
    pub token_program: TokenProgram,
}

/// The swap account's authority PDA.
pub fn swap_authority(swap: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[swap.as_ref()], &SWAP_PROGRAM_ID).0
}

fn key_at(data: &[u8], offset: usize) -> Option<Pubkey> {
    let bytes: [u8; 32] = data.get(offset..offset + 32)?.try_into().ok()?;
    Some(Pubkey::new_from_array(bytes))
}

impl Pool {
    /// Reads an initialised swap account (`SwapVersion::SwapV1`): version, is_initialized, bump,
    /// then token program, vault A, vault B, pool mint, mint A, mint B, fee account.
    pub fn parse(swap: Pubkey, data: &[u8]) -> Option<Self> {
        if data.len() != SWAP_ACCOUNT_LEN || data[0] != 1 || data[1] != 1 {
            return None;
        }
        Some(Self {
            swap,
            authority: swap_authority(&swap),
            token_program: TokenProgram::from_owner(&key_at(data, 3)?)?,
            vault_a: key_at(data, 35)?,
            vault_b: key_at(data, 67)?,
            pool_mint: key_at(data, 99)?,
            mint_a: key_at(data, 131)?,
            mint_b: key_at(data, 163)?,
            fee_account: key_at(data, 195)?,
        })
    }

    /// The treasury's buyback venue for `coin` in this pool: the pool and its two reserves
    /// (`coin`'s, and the other side's: the network token's). `None` if `coin` is neither side.
    pub fn venue(&self, coin: &Pubkey) -> Option<treasury::state::Venue> {
        let (quote_reserve, token_reserve) = if *coin == self.mint_a {
            (self.vault_a, self.vault_b)
        } else if *coin == self.mint_b {
            (self.vault_b, self.vault_a)
        } else {
            return None;
        };
        Some(treasury::state::Venue {
            pool: self.swap,
            quote_reserve,
            token_reserve,
        })
    }

    /// `Initialize` (constant product, [`FEES`]): the swap account (signer, already allocated
    /// to the program), its vaults funded and owned by the authority, the pool mint (authority:
    /// the swap authority, no supply), the fee account and the depositor's LP account.
    pub fn initialize_ix(&self, lp_account: Pubkey) -> Instruction {
        let mut data = vec![0u8];
        for f in FEES {
            data.extend_from_slice(&f.to_le_bytes());
        }
        data.push(0); // CurveType::ConstantProduct
        data.extend_from_slice(&[0u8; 32]); // its calculator packs no parameters
        Instruction {
            program_id: SWAP_PROGRAM_ID,
            accounts: vec![
                AccountMeta::new(self.swap, true),
                AccountMeta::new_readonly(self.authority, false),
                AccountMeta::new_readonly(self.vault_a, false),
                AccountMeta::new_readonly(self.vault_b, false),
                AccountMeta::new(self.pool_mint, false),
                AccountMeta::new_readonly(self.fee_account, false),
                AccountMeta::new(lp_account, false),
                AccountMeta::new_readonly(self.token_program.id(), false),
            ],
            data,
        }
    }

    /// The accounts of `Swap` selling `source`'s mint for `destination`'s, in the program's order.
    pub fn swap_accounts(
        &self,
        user_authority: Pubkey,
        source: Pubkey,
        destination: Pubkey,
        a_to_b: bool,
    ) -> Vec<AccountMeta> {
        let (swap_source, swap_destination) = if a_to_b {
            (self.vault_a, self.vault_b)
        } else {
            (self.vault_b, self.vault_a)
        };
        vec![
            AccountMeta::new_readonly(self.swap, false),
            AccountMeta::new_readonly(self.authority, false),
            AccountMeta::new_readonly(user_authority, false),
            AccountMeta::new(source, false),
            AccountMeta::new(swap_source, false),
            AccountMeta::new(swap_destination, false),
            AccountMeta::new(destination, false),
            AccountMeta::new(self.pool_mint, false),
            AccountMeta::new(self.fee_account, false),
            AccountMeta::new_readonly(self.token_program.id(), false),
        ]
    }

    /// A standalone `Swap` instruction (the user signs).
    pub fn swap_ix(
        &self,
        user: Pubkey,
        source: Pubkey,
        destination: Pubkey,
        a_to_b: bool,
        amount_in: u64,
        minimum_out: u64,
    ) -> Instruction {
        let mut accounts = self.swap_accounts(user, source, destination, a_to_b);
        accounts[2].is_signer = true;
        Instruction {
            program_id: SWAP_PROGRAM_ID,
            accounts,
            data: swap_data(amount_in, minimum_out),
        }
    }
}

/// `SwapInstruction::Swap { amount_in, minimum_amount_out }` packed.
pub fn swap_data(amount_in: u64, minimum_out: u64) -> Vec<u8> {
    let mut data = vec![1u8];
    data.extend_from_slice(&amount_in.to_le_bytes());
    data.extend_from_slice(&minimum_out.to_le_bytes());
    data
}

/// What spl-token-swap takes and pays for `amount_in` against reserves `(reserve_in,
/// reserve_out)` with [`FEES`], as `(taken, out)`: the trading and owner fees come off the input
/// (each at least 1 when non-zero), the rest is swapped on x*y=k with the new output reserve
/// rounded up (spl-math's `checked_ceil_div`, which may also shrink the input actually taken).
pub fn expected_swap(reserve_in: u64, reserve_out: u64, amount_in: u64) -> (u64, u64) {
    let fee = |num: u128, den: u128| {
        let f = u128::from(amount_in) * num / den;
        if f == 0 { 1 } else { f }
    };
    let fees = fee(25, 10_000) + fee(5, 10_000);
    let (ri, ro) = (u128::from(reserve_in), u128::from(reserve_out));
    let invariant = ri * ro;
    let mut new_in = ri + (u128::from(amount_in) - fees);
    let mut new_out = invariant / new_in;
    if invariant % new_in > 0 {
        new_out += 1;
        new_in = invariant / new_out + u128::from(invariant % new_out > 0);
    }
    let taken = new_in - ri + fees;
    // taken <= amount_in and out < reserve_out: both fit.
    (
        u64::try_from(taken).unwrap_or(u64::MAX),
        u64::try_from(ro - new_out).unwrap_or(u64::MAX),
    )
}
