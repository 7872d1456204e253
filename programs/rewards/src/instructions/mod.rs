//! One folder per caller, the same in the three programs: the signer an instruction trusts
//! decides its folder, because that trust boundary is what an auditor checks first.
//!
//! - `admin/`: the program's upgrade authority (the one-time initialisation);
//! - `governance/`: the network's governance authority (makers, and the timelock:
//!   `apply_change` is permissionless but only executes what governance queued);
//! - `oracle/`: an oracle of the set (votes, bonds);
//! - `user/`: device owners and claiming wallets (a claim may be paid by anyone, to the wallet);
//! - `crank/`: anyone, no signer trusted (epochs, finalisation, fraud challenges).
//!
//! `shared.rs` holds the steps several instructions share.

// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod admin;
pub mod crank;
pub mod governance;
pub mod oracle;
pub mod shared;
pub mod user;

pub use admin::*;
pub use crank::*;
pub use governance::*;
pub use oracle::*;
pub use user::*;
