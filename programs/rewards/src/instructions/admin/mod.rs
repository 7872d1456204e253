// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod initialize_network;
pub mod set_oracle_set;

pub use initialize_network::*;
pub use set_oracle_set::*;
