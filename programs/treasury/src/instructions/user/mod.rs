// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod burn_for_credits;
pub mod pay;
pub mod pay_for;

pub use burn_for_credits::*;
pub use pay::*;
pub use pay_for::*;
