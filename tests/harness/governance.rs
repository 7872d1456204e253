//! The DAO program the staking program is a voter-weight addin for: `spl-governance` 4.0.0,
//! built from the crate registry by `scripts/build-sbf` (tests/governance). Its instructions are
//! encoded by hand in `depin_client::builders::governance`.
use crate::ProgramSpec;

pub use depin_client::builders::governance::*;

pub const SPL_GOVERNANCE: ProgramSpec = ProgramSpec {
    id: GOVERNANCE_PROGRAM_ID,
    name: "spl_governance",
    dirs: &["tests/governance/src", "tests/governance/Cargo.toml"],
};
