//! The DAO program the staking program is a voter-weight addin for: `spl-governance` 4.0.0
//! (Realms), built unmodified from its source in the Rust crate registry by `scripts/build-sbf`
//! (into `target/deploy/spl_governance.so`).
//!
//! This crate only supplies the entrypoint (the library is used with `no-entrypoint`, so the
//! entrypoint is compiled with the project's SBF chain and its builtins), exactly as the
//! library's own `entrypoint.rs` does it. It is its own workspace with its own lock file: the
//! program is of the solana-program 1.18 generation, which must not mix with the protocol's.
#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;
use solana_program::account_info::AccountInfo;
use solana_program::entrypoint::ProgramResult;
use solana_program::program_error::PrintProgramError;
use solana_program::pubkey::Pubkey;
use spl_governance::error::GovernanceError;
use spl_governance::processor;

solana_program::entrypoint!(process_instruction);

fn process_instruction(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    if let Err(error) = processor::process_instruction(program_id, accounts, data) {
        error.print::<GovernanceError>();
        return Err(error);
    }
    Ok(())
}
