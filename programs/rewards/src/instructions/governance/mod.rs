// See instructions/mod.rs on the glob re-exports.
#![allow(ambiguous_glob_reexports)]

pub mod apply_change;
pub mod cancel_change;
pub mod propose_change;

pub use apply_change::*;
pub use cancel_change::*;
pub use propose_change::*;
