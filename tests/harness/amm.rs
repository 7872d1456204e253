//! The real AMM the treasury's buyback trades in: `spl-token-swap` 3.0.0, built from the crate
//! registry by `scripts/build-sbf` (tests/amm). Its accounts and instructions are encoded by
//! hand in `depin_client::builders::amm` (the 1.x-era instruction crate cannot share a build
//! with LiteSVM 0.16); this module creates pools inside the SVM.
use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::{ProgramSpec, TestEnv, TokenProgram, expect_ok};

pub use depin_client::builders::amm::{
    FEES, Pool, SWAP_ACCOUNT_LEN, SWAP_PROGRAM_ID, expected_swap, swap_authority, swap_data,
};

pub const SPL_TOKEN_SWAP: ProgramSpec = ProgramSpec {
    id: SWAP_PROGRAM_ID,
    name: "spl_token_swap",
    dirs: &["tests/amm/src", "tests/amm/Cargo.toml"],
};

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
    a: (Pubkey, u64),
    b: (Pubkey, u64),
    key: &mut dyn FnMut() -> Keypair,
) -> Pool {
    let mut mint = |env: &mut TestEnv, mint: &Pubkey, vault: &Pubkey, amount: u64| {
        crate::mint_to(env, token_program, mint, mint_authority, vault, amount)
    };
    create_pool_funded(env, token_program, a, b, &mut mint, key)
}

/// A pool whose two vaults `fund(env, mint, vault, amount)` fills before it is initialised (by a
/// mint, or by a transfer when the mint's authority is a program's PDA).
pub fn create_pool_funded(
    env: &mut TestEnv,
    token_program: TokenProgram,
    (mint_a, amount_a): (Pubkey, u64),
    (mint_b, amount_b): (Pubkey, u64),
    fund: &mut dyn FnMut(&mut TestEnv, &Pubkey, &Pubkey, u64),
    key: &mut dyn FnMut() -> Keypair,
) -> Pool {
    use crate::{create_mint_at, create_token_account_at};
    use anchor_lang::solana_program::system_instruction;
    let swap = key();
    let authority = swap_authority(&swap.pubkey());
    let vault_a = create_token_account_at(env, token_program, &mint_a, &authority, &key());
    let vault_b = create_token_account_at(env, token_program, &mint_b, &authority, &key());
    fund(env, &mint_a, &vault_a, amount_a);
    fund(env, &mint_b, &vault_b, amount_b);
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
    let pool = Pool {
        swap: swap.pubkey(),
        authority,
        mint_a,
        mint_b,
        vault_a,
        vault_b,
        pool_mint,
        fee_account,
        token_program,
    };
    expect_ok(env.send(&[create, pool.initialize_ix(lp)], &[&swap]));
    pool
}
