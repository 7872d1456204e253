// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod challenge_root;
pub mod close_proposal;
pub mod finalize_root;
pub mod vote_root;

pub use challenge_root::*;
pub use close_proposal::*;
pub use finalize_root::*;
pub use vote_root::*;
