// See instructions/mod.rs on the glob re-exports.
#![allow(ambiguous_glob_reexports)]

pub mod claim;
pub mod claim_to_position;
pub mod shared;

pub use claim::*;
pub use claim_to_position::*;
