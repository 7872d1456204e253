// See instructions/mod.rs on the glob re-exports.
#![allow(ambiguous_glob_reexports)]

pub mod ack_reports;
pub mod commit_reports;
pub mod contest_root;
pub mod post_bond;
pub mod vote_root;
pub mod withdraw_bond;

pub use ack_reports::*;
pub use commit_reports::*;
pub use contest_root::*;
pub use post_bond::*;
pub use vote_root::*;
pub use withdraw_bond::*;
