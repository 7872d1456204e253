// See instructions/mod.rs on the glob re-exports.
#![allow(ambiguous_glob_reexports)]

pub mod post_bond;
pub mod withdraw_bond;

pub use post_bond::*;
pub use withdraw_bond::*;
