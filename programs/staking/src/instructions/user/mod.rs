// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod add_to_position;
pub mod claim_revenue;
pub mod extend_lock;
pub mod stake;
pub mod start_unlock;
pub mod tally_positions;
pub mod unstake;
pub mod withdraw;

pub use add_to_position::*;
pub use claim_revenue::*;
pub use extend_lock::*;
pub use stake::*;
pub use start_unlock::*;
pub use tally_positions::*;
pub use unstake::*;
pub use withdraw::*;
