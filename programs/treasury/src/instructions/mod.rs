//! One folder per caller, the same in the three programs: the signer an instruction trusts
//! decides its folder, because that trust boundary is what an auditor checks first.
//!
//! - `admin/`: the program's upgrade authority (the one-time initialisation);
//! - `governance/`: the treasury's governance authority (stablecoins, the credits mint, and the
//!   timelock: `apply_change` is permissionless but only executes what governance queued);
//! - `operator/`: the service operator role (consuming credits);
//! - `cpi/`: another program signing with its PDA (the rewards program's `["stable_claim"]`:
//!   `buy_claim`);
//! - `user/`: payers and customers;
//! - `crank/`: anyone, no signer trusted (buyback, routing, sweeping).

// Each instruction module has a `handler`; callers name it by its full path, and the globs
// exist for the `#[program]` macro, which needs the generated account modules at the root.
#![allow(ambiguous_glob_reexports)]

pub mod admin;
pub mod cpi;
pub mod crank;
pub mod governance;
pub mod operator;
pub mod user;

pub use admin::*;
pub use cpi::*;
pub use crank::*;
pub use governance::*;
pub use operator::*;
pub use user::*;
