// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod create_voter_weight_record;
pub mod execute_slash;
pub mod refresh_position;
pub mod sync_revenue;
pub mod update_voter_weight_record;

pub use create_voter_weight_record::*;
pub use execute_slash::*;
pub use refresh_position::*;
pub use sync_revenue::*;
pub use update_voter_weight_record::*;
