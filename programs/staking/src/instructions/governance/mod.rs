// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod apply_change;
pub mod cancel_change;
pub mod overturn_slash;
pub mod propose_change;

pub use apply_change::*;
pub use cancel_change::*;
pub use overturn_slash::*;
pub use propose_change::*;
