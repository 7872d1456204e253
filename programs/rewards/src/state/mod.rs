pub mod change;
pub mod claim_record;
pub mod device;
pub mod inputs;
pub mod network;
pub mod oracle_set;
pub mod probe;
pub mod proposal;

pub use change::*;
pub use claim_record::*;
pub use device::*;
pub use inputs::*;
pub use network::*;
pub use oracle_set::*;
pub use probe::*;
pub use proposal::*;
