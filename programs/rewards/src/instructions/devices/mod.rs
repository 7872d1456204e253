// See instructions/mod.rs on the glob re-exports.
#![allow(ambiguous_glob_reexports)]

pub mod approve_maker;
pub mod decommission_device;
pub mod onboard_device;
pub mod revoke_maker;
pub mod transfer_device;

pub use approve_maker::*;
pub use decommission_device::*;
pub use onboard_device::*;
pub use revoke_maker::*;
pub use transfer_device::*;
