//! Program tests: each protocol program's instructions, run as built SBF in LiteSVM.
//! One module per capability; shared helpers live in `harness`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod rewards_initialize;
mod staking_initialize;
mod treasury_initialize;
mod workspace;
