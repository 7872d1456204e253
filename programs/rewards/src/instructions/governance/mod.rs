// See instructions/mod.rs on the glob re-exports.
#![allow(ambiguous_glob_reexports)]

pub mod apply_change;
pub mod approve_maker;
pub mod cancel_change;
pub mod propose_change;
pub mod revoke_maker;

pub use apply_change::*;
pub use approve_maker::*;
pub use cancel_change::*;
pub use propose_change::*;
pub use revoke_maker::*;
