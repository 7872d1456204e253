pub mod network;

pub use network::*;
