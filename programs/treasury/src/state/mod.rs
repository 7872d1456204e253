mod change;
mod stablecoin;
mod treasury;

pub use change::*;
pub use stablecoin::*;
pub use treasury::*;
