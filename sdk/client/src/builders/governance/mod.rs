//! The DAO program the staking program is a voter-weight addin for: `spl-governance` 4.0.0
//! (Realms), built into `target/deploy/spl_governance.so` (tests/governance). Its instructions
//! are encoded here by hand, byte for byte as `spl_governance` packs them with Borsh: the
//! 1.x-era instruction crate cannot share a build with the rest of the workspace (as for the
//! AMM, `amm.rs`).

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;

use super::TokenProgram;

/// The address spl-governance is deployed at on mainnet, and here (the staking program's
/// constant: it reads the program's token owner records).
pub use staking::constants::GOVERNANCE_PROGRAM_ID;

/// `GovernanceInstruction` tags (the Borsh variant index, `Legacy1` at 8 included).
pub mod tag {
    pub const CREATE_REALM: u8 = 0;
    pub const CREATE_GOVERNANCE: u8 = 4;
    pub const CREATE_PROPOSAL: u8 = 6;
    pub const INSERT_TRANSACTION: u8 = 9;
    pub const SIGN_OFF_PROPOSAL: u8 = 12;
    pub const CAST_VOTE: u8 = 13;
    pub const FINALIZE_VOTE: u8 = 14;
    pub const RELINQUISH_VOTE: u8 = 15;
    pub const EXECUTE_TRANSACTION: u8 = 16;
    pub const CREATE_TOKEN_OWNER_RECORD: u8 = 23;
}

/// `GovernanceError` codes, as far as callers tell them apart.
pub mod error {
    /// A passed proposal's transaction was executed before its hold-up time.
    pub const CANNOT_EXECUTE_TRANSACTION_WITHIN_HOLD_UP_TIME: u32 = 525;
    /// The voter-weight record was not refreshed in this slot.
    pub const VOTER_WEIGHT_RECORD_EXPIRED: u32 = 577;
}

/// `GovernanceAccountType` discriminants (the first byte of every account), as far as used: the
/// staking program's, and the realm config's.
pub mod account_type {
    pub use staking::state::spl_governance::account_type::*;
    pub const REALM_CONFIG: u8 = 11;
}

/// `GoverningTokenType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    Liquid = 0,
    Membership = 1,
    Dormant = 2,
}

/// The realm named `name`: `["governance", name]`.
pub fn realm_pda(name: &str) -> Pubkey {
    Pubkey::find_program_address(&[b"governance", name.as_bytes()], &GOVERNANCE_PROGRAM_ID).0
}

/// A realm's holding account of `mint`: `["governance", realm, mint]`.
pub fn holding_pda(realm: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[b"governance", realm.as_ref(), mint.as_ref()],
        &GOVERNANCE_PROGRAM_ID,
    )
    .0
}

/// A realm's config account: `["realm-config", realm]`.
pub fn realm_config_pda(realm: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"realm-config", realm.as_ref()], &GOVERNANCE_PROGRAM_ID).0
}

/// A voter's token owner record: `["governance", realm, mint, owner]`.
pub fn token_owner_record_pda(realm: &Pubkey, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[b"governance", realm.as_ref(), mint.as_ref(), owner.as_ref()],
        &GOVERNANCE_PROGRAM_ID,
    )
    .0
}

/// Borsh of a `GoverningTokenConfigArgs`.
fn token_config_args(data: &mut Vec<u8>, addin: bool, token_type: TokenType) {
    data.push(u8::from(addin)); // use_voter_weight_addin
    data.push(0); // use_max_voter_weight_addin
    data.push(token_type as u8);
}

/// `MintMaxVoterWeightSource`: the maximum voter weight a vote's shares are measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxVoterWeight {
    /// This fraction of the community mint's supply, in 10^-10 (10^10 is the whole supply).
    SupplyFraction(u64),
    /// A fixed weight (raised to the votes cast if they exceed it). With lock multipliers or
    /// quadratic weights the supply says little about the weight there is to vote.
    Absolute(u64),
}

/// What `CreateRealm` sets.
#[derive(Clone, Copy, Debug)]
pub struct RealmArgs<'a> {
    pub name: &'a str,
    pub community_mint: Pubkey,
    /// The community voter-weight addin (the staking program), if any.
    pub voter_weight_addin: Option<Pubkey>,
    /// Community weight needed to create a governance (the realm authority needs none).
    pub min_weight_to_create_governance: u64,
    pub max_voter_weight: MaxVoterWeight,
}

/// `CreateRealm` (variant 0) without a council, with `realm_authority` recorded as its
/// authority.
pub fn create_realm_ix(payer: Pubkey, realm_authority: Pubkey, args: &RealmArgs) -> Instruction {
    let (name, community_mint) = (args.name, args.community_mint);
    let realm = realm_pda(name);
    let mut accounts = vec![
        AccountMeta::new(realm, false),
        AccountMeta::new_readonly(realm_authority, false),
        AccountMeta::new_readonly(community_mint, false),
        AccountMeta::new(holding_pda(&realm, &community_mint), false),
        AccountMeta::new(payer, true),
        AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
        AccountMeta::new_readonly(TokenProgram::SplToken.id(), false),
        AccountMeta::new_readonly(anchor_lang::solana_program::rent::ID, false),
        AccountMeta::new(realm_config_pda(&realm), false),
    ];
    if let Some(addin) = args.voter_weight_addin {
        accounts.push(AccountMeta::new_readonly(addin, false));
    }
    let mut data = vec![tag::CREATE_REALM];
    let name_len = u32::try_from(name.len()).unwrap_or(u32::MAX);
    data.extend_from_slice(&name_len.to_le_bytes());
    data.extend_from_slice(name.as_bytes());
    data.push(0); // use_council_mint
    data.extend_from_slice(&args.min_weight_to_create_governance.to_le_bytes());
    let (source, value) = match args.max_voter_weight {
        MaxVoterWeight::SupplyFraction(f) => (0, f),
        MaxVoterWeight::Absolute(w) => (1, w),
    };
    data.push(source);
    data.extend_from_slice(&value.to_le_bytes());
    token_config_args(
        &mut data,
        args.voter_weight_addin.is_some(),
        TokenType::Liquid,
    );
    token_config_args(&mut data, false, TokenType::Liquid);
    Instruction {
        program_id: GOVERNANCE_PROGRAM_ID,
        accounts,
        data,
    }
}

/// `CreateTokenOwnerRecord`: `owner`'s record in `realm` for `mint`, with nothing
/// deposited (with an addin, the weight comes from the addin's record, not from deposits).
pub fn create_token_owner_record_ix(
    payer: Pubkey,
    realm: Pubkey,
    mint: Pubkey,
    owner: Pubkey,
) -> Instruction {
    Instruction {
        program_id: GOVERNANCE_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new_readonly(realm, false),
            AccountMeta::new_readonly(owner, false),
            AccountMeta::new(token_owner_record_pda(&realm, &mint, &owner), false),
            AccountMeta::new_readonly(mint, false),
            AccountMeta::new(payer, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
        ],
        data: vec![tag::CREATE_TOKEN_OWNER_RECORD],
    }
}

/// A `TokenOwnerRecordV2`'s owner and its count of votes not yet relinquished (the staking
/// program's reader, which `unstake` and `withdraw` use).
pub use staking::state::spl_governance::unrelinquished_votes as token_owner_record_votes;

/// The community voter-weight addin recorded in a realm config account's data (`RealmConfig`:
/// account type, realm, then the community token config's `Option<Pubkey>`), if any.
pub fn community_addin(realm_config: &[u8]) -> Option<Pubkey> {
    if realm_config.first() != Some(&account_type::REALM_CONFIG) || realm_config.get(33)? != &1 {
        return None;
    }
    let key: [u8; 32] = realm_config.get(34..66)?.try_into().ok()?;
    Some(Pubkey::new_from_array(key))
}

mod proposal;
pub use proposal::*;
