// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod admin;
pub mod claims;
pub mod devices;
pub mod epoch;
pub mod governance;
pub mod oracles;
pub mod roots;

pub use admin::*;
pub use claims::*;
pub use devices::*;
pub use epoch::*;
pub use governance::*;
pub use oracles::*;
pub use roots::*;
