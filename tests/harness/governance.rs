//! The DAO program the staking program is a voter-weight addin for: `spl-governance` 4.0.0,
//! built from the crate registry by `scripts/build-sbf` (tests/governance). Its instructions are
//! encoded by hand in `depin_client::builders::governance`.
use anchor_lang::prelude::Pubkey;

use crate::ProgramSpec;

pub use depin_client::builders::governance::*;

pub const SPL_GOVERNANCE: ProgramSpec = ProgramSpec {
    id: GOVERNANCE_PROGRAM_ID,
    name: "spl_governance",
    dirs: &["tests/governance/src", "tests/governance/Cargo.toml"],
};

/// Stores a minimal spl-governance realm at `key` over `community_mint` (account type
/// `RealmV2`, then the mint, the rest zero), owned by spl-governance: what the staking program
/// checks when a config names a realm, for tests that need no real DAO (no spl-governance is
/// loaded, so nothing reads the rest).
pub fn write_realm(env: &mut crate::TestEnv, key: Pubkey, community_mint: Pubkey) {
    let mut data = vec![0u8; 256];
    data[0] = account_type::REALM_V2;
    data[1..33].copy_from_slice(community_mint.as_ref());
    let account = solana_account::Account {
        lamports: env.rent_exempt(data.len()),
        data,
        owner: GOVERNANCE_PROGRAM_ID,
        executable: false,
        rent_epoch: 0,
    };
    env.svm.set_account(key, account).expect("set realm");
}
