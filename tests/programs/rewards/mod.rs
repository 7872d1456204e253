//! The rewards program's tests: one module per capability, on the built SBF in LiteSVM.
//! `fixture` builds the program's genesis for the others.

mod claim_to_position;
mod claims;
mod contest;
mod devices;
mod epochs;
pub(crate) mod fixture;
mod fraud;
mod governance;
mod initialize;
mod inputs;
mod lookup_table;
mod props;
mod roots;
mod stable_claims;
mod staking_interface;
