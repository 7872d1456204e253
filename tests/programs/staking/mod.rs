//! The staking program's tests: one module per capability, on the built SBF in LiteSVM.
//! `fixture` builds the program's genesis for the others.

mod collateral;
pub(crate) mod fixture;
mod governance;
mod initialize;
mod positions;
mod props;
mod realms;
mod revenue;
mod slashing;
mod splitting;
mod voter_weight;
