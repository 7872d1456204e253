//! The treasury program's tests: one module per capability, on the built SBF in LiteSVM.
//! `fixture` builds the program's genesis for the others.

mod buyback;
mod credits;
pub(crate) mod fixture;
mod governance;
mod initialize;
mod props;
mod revenue;
mod staking;
