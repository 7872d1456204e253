pub mod claim;

pub use claim::*;
