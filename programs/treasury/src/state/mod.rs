pub mod treasury;

pub use treasury::*;
