//! One folder per caller, the same in the three programs: the signer an instruction trusts
//! decides its folder, because that trust boundary is what an auditor checks first.
//!
//! - `admin/`: the program's upgrade authority (the one-time initialisation);
//! - `governance/`: the config's governance authority (the revenue vault, overturning a slash);
//! - `oracle/`: the rewards program's oracle quorum (ed25519 signatures on a slash);
//! - `user/`: stakers (a time-locked reward deposit comes through the rewards program, signed by
//!   the claiming wallet);
//! - `cpi/`: another program, signing with its PDA (the rewards program's collateral authority);
//! - `crank/`: anyone, no signer trusted (syncing, refreshing, executing a slash).
//!
//! `shared.rs` holds the steps several instructions share.

// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod admin;
pub mod cpi;
pub mod crank;
pub mod governance;
pub mod oracle;
pub mod shared;
pub mod user;

pub use admin::*;
pub use cpi::*;
pub use crank::*;
pub use governance::*;
pub use oracle::*;
pub use user::*;
