//! The real AMM the treasury's buyback trades in: `spl-token-swap` 3.0.0, built from the crate
//! registry by `scripts/build-sbf` (tests/amm). Its instructions are encoded here by hand,
//! byte for byte as `spl_token_swap::instruction` packs them: the 1.x-era instruction crate
//! cannot share a build with LiteSVM 0.16.
use anchor_lang::prelude::{AccountMeta, Pubkey, pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::{Instruction, ProgramSpec, TestEnv, TokenProgram, expect_ok};

/// spl-token-swap's own `declare_id!`.
pub const SWAP_PROGRAM_ID: Pubkey = pubkey!("SwapsVeCiPHMUAtzQWZw7RjsKjgCjhwU55QGu4U1Szw");

pub const SPL_TOKEN_SWAP: ProgramSpec = ProgramSpec {
    id: SWAP_PROGRAM_ID,
    name: "spl_token_swap",
    dirs: &["tests/amm/src", "tests/amm/Cargo.toml"],
};

/// `SwapVersion::LATEST_LEN`: one version byte plus `SwapV1::LEN` (323).
pub const SWAP_ACCOUNT_LEN: usize = 324;

/// The pool's fees: 0.25% to liquidity providers, 0.05% to the pool owner (the usual SPL
/// constant-product settings), no withdrawal or host fees.
pub const FEES: [u64; 8] = [25, 10_000, 5, 10_000, 0, 0, 0, 0];

/// A constant-product pool between `mint_a` and `mint_b`.
#[derive(Clone, Copy, Debug)]
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

/// Creates and funds a pool with `amount_a` of A and `amount_b` of B (minted by
/// `mint_authority`). Both mints must belong to `token_program` (SPL Token: the only program
/// spl-token-swap 3.0.0 knows).
pub fn create_pool(
    env: &mut TestEnv,
    token_program: TokenProgram,
    mint_authority: &Keypair,
    a: (Pubkey, u64),
    b: (Pubkey, u64),
) -> Pool {
    create_pool_with_keys(env, token_program, mint_authority, a, b, &mut Keypair::new)
}

/// `create_pool` with its accounts' keys from `key` (fixed keys, for reproducible benches).
pub fn create_pool_with_keys(
    env: &mut TestEnv,
    token_program: TokenProgram,
    mint_authority: &Keypair,
    (mint_a, amount_a): (Pubkey, u64),
    (mint_b, amount_b): (Pubkey, u64),
    key: &mut dyn FnMut() -> Keypair,
) -> Pool {
    use crate::{create_mint_at, create_token_account_at, mint_to};
    use anchor_lang::solana_program::system_instruction;
    let swap = key();
    let (authority, _) = Pubkey::find_program_address(&[swap.pubkey().as_ref()], &SWAP_PROGRAM_ID);
    let vault_a = create_token_account_at(env, token_program, &mint_a, &authority, &key());
    let vault_b = create_token_account_at(env, token_program, &mint_b, &authority, &key());
    mint_to(
        env,
        token_program,
        &mint_a,
        mint_authority,
        &vault_a,
        amount_a,
    );
    mint_to(
        env,
        token_program,
        &mint_b,
        mint_authority,
        &vault_b,
        amount_b,
    );
    let pool_mint = create_mint_at(env, token_program, &authority, 2, &key());
    let owner = key().pubkey();
    let fee_account = create_token_account_at(env, token_program, &pool_mint, &owner, &key());
    let lp = create_token_account_at(env, token_program, &pool_mint, &owner, &key());

    let create = system_instruction::create_account(
        &env.payer.pubkey(),
        &swap.pubkey(),
        env.rent_exempt(SWAP_ACCOUNT_LEN),
        SWAP_ACCOUNT_LEN as u64,
        &SWAP_PROGRAM_ID,
    );
    let mut data = vec![0u8];
    for f in FEES {
        data.extend_from_slice(&f.to_le_bytes());
    }
    data.push(0); // CurveType::ConstantProduct
    data.extend_from_slice(&[0u8; 32]); // its calculator packs no parameters
    let init = Instruction {
        program_id: SWAP_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(swap.pubkey(), true),
            AccountMeta::new_readonly(authority, false),
            AccountMeta::new_readonly(vault_a, false),
            AccountMeta::new_readonly(vault_b, false),
            AccountMeta::new(pool_mint, false),
            AccountMeta::new_readonly(fee_account, false),
            AccountMeta::new(lp, false),
            AccountMeta::new_readonly(token_program.id(), false),
        ],
        data,
    };
    expect_ok(env.send(&[create, init], &[&swap]));
    Pool {
        swap: swap.pubkey(),
        authority,
        mint_a,
        mint_b,
        vault_a,
        vault_b,
        pool_mint,
        fee_account,
        token_program,
    }
}

impl Pool {
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
/// reserve_out)` with `FEES`, as `(taken, out)`: the trading and owner fees come off the input
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
    (
        u64::try_from(taken).unwrap(),
        u64::try_from(ro - new_out).unwrap(),
    )
}
