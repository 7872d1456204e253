//! Program tests: each protocol program's instructions, run as built SBF in LiteSVM.
//! One module per capability; shared helpers live in `harness`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code
#![allow(clippy::result_large_err)] // LiteSVM's TransactionResult, as the harness returns it

mod rewards_claim_to_position;
mod rewards_claims;
mod rewards_devices;
mod rewards_epochs;
mod rewards_fixture;
mod rewards_fraud;
mod rewards_governance;
mod rewards_initialize;
mod rewards_props;
mod rewards_roots;
mod rewards_staking_interface;
mod staking_collateral;
mod staking_fixture;
mod staking_initialize;
mod staking_positions;
mod staking_props;
mod staking_revenue;
mod staking_slashing;
mod staking_voter_weight;
mod treasury_buyback;
mod treasury_credits;
mod treasury_fixture;
mod treasury_governance;
mod treasury_initialize;
mod treasury_props;
mod treasury_revenue;
mod treasury_staking;
mod workspace;
