// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod add_stablecoin;
pub mod apply_change;
pub mod cancel_change;
pub mod initialize_credits;
pub mod propose_change;
pub mod set_stablecoin_enabled;

pub use add_stablecoin::*;
pub use apply_change::*;
pub use cancel_change::*;
pub use initialize_credits::*;
pub use propose_change::*;
pub use set_stablecoin_enabled::*;
