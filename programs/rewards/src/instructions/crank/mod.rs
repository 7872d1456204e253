// See instructions/mod.rs on the glob re-exports.
#![allow(ambiguous_glob_reexports)]

pub mod challenge_root;
pub mod close_proposal;
pub mod crank_epoch;
pub mod finalize_root;

pub use challenge_root::*;
pub use close_proposal::*;
pub use crank_epoch::*;
pub use finalize_root::*;
