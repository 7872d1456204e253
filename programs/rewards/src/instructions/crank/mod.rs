pub mod crank_epoch;

pub use crank_epoch::*;
