// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod admin;
pub mod collateral;
pub mod crank;
pub mod governance;
pub mod oracle;
pub mod shared;
pub mod user;

pub use admin::*;
pub use collateral::*;
pub use crank::*;
pub use governance::*;
pub use oracle::*;
pub use user::*;
