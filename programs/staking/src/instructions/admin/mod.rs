// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod initialize_revenue;
pub mod initialize_staking;

pub use initialize_revenue::*;
pub use initialize_staking::*;
