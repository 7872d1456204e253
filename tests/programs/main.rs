//! Program tests: each protocol program's instructions, run as built SBF in LiteSVM.
//! One module per capability; shared helpers live in `harness`.

mod rewards_initialize;
mod staking_initialize;
mod treasury_initialize;
