// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod buyback;
pub mod route_to_stakers;
pub mod sweep_operations;

pub use buyback::*;
pub use route_to_stakers::*;
pub use sweep_operations::*;
