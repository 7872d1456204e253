// See instructions/mod.rs on the glob re-exports.
#![allow(ambiguous_glob_reexports)]

pub mod claim;
pub mod claim_in_stablecoin;
pub mod claim_to_position;
pub mod decommission_device;
pub mod onboard_device;
pub mod transfer_device;
pub mod update_location;

pub use claim::*;
pub use claim_in_stablecoin::*;
pub use claim_to_position::*;
pub use decommission_device::*;
pub use onboard_device::*;
pub use transfer_device::*;
pub use update_location::*;
