pub mod initialize_treasury;

pub use initialize_treasury::*;
