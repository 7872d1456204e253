// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod add_stablecoin;
pub mod initialize_credits;
pub mod initialize_treasury;
pub mod set_stablecoin_enabled;

pub use add_stablecoin::*;
pub use initialize_credits::*;
pub use initialize_treasury::*;
pub use set_stablecoin_enabled::*;
