//! Program tests: each protocol program's instructions, run as built SBF in LiteSVM.
//! One folder per program (`rewards/`, `staking/`, `treasury/`), one module per capability in
//! each; `workspace` checks the workspace's own promises. Shared helpers live in `harness`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code
#![allow(clippy::result_large_err)] // LiteSVM's TransactionResult, as the harness returns it

mod rewards;
mod staking;
mod treasury;
mod workspace;
