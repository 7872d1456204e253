pub mod change;
pub mod config;
pub mod position;
pub mod rewards_network;
pub mod slash_record;
pub mod spl_governance;
pub mod staker;
pub mod voter_weight_record;

pub use change::*;
pub use config::*;
pub use position::*;
pub use slash_record::*;
pub use staker::*;
pub use voter_weight_record::*;
pub mod oracle_set;
pub use oracle_set::*;
