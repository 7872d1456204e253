// See instructions/mod.rs on the glob re-exports.
#![allow(ambiguous_glob_reexports)]

pub mod close_inputs;
pub mod close_probe;
pub mod close_proposal;
pub mod crank_epoch;
pub mod create_lookup_table;
pub mod demand_probe;
pub mod extend_probe;
pub mod finalize_root;
pub mod open_probe;
pub mod prove_fraud;

pub use close_inputs::*;
pub use close_probe::*;
pub use close_proposal::*;
pub use crank_epoch::*;
pub use create_lookup_table::*;
pub use demand_probe::*;
pub use extend_probe::*;
pub use finalize_root::*;
pub use open_probe::*;
pub use prove_fraud::*;
