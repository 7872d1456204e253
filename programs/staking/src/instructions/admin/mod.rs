pub mod initialize_staking;

pub use initialize_staking::*;
