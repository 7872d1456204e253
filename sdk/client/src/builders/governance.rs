//! The DAO program the staking program is a voter-weight addin for: `spl-governance` 4.0.0
//! (Realms), built into `target/deploy/spl_governance.so` (tests/governance). Its instructions
//! are encoded here by hand, byte for byte as `spl_governance` packs them with Borsh: the
//! 1.x-era instruction crate cannot share a build with the rest of the workspace (as for the
//! AMM, `amm.rs`).

use anchor_lang::prelude::{AccountMeta, Pubkey, pubkey};
use anchor_lang::solana_program::instruction::Instruction;

use super::TokenProgram;

/// The address spl-governance is deployed at on mainnet, and here.
pub const GOVERNANCE_PROGRAM_ID: Pubkey = pubkey!("GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw");

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

/// `GovernanceAccountType` discriminants (the first byte of every account), as far as used.
pub mod account_type {
    pub const REALM_CONFIG: u8 = 11;
    pub const REALM_V2: u8 = 16;
    pub const TOKEN_OWNER_RECORD_V2: u8 = 17;
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

/// `CreateRealm` (variant 0) without a council: the realm `name` over `community_mint`, its
/// community voter weight given by `voter_weight_addin` (the staking program) if set,
/// `min_weight_to_create_governance` of it needed to create a governance, and the whole mint
/// supply as the maximum voter weight.
pub fn create_realm_ix(
    payer: Pubkey,
    realm_authority: Pubkey,
    name: &str,
    community_mint: Pubkey,
    voter_weight_addin: Option<Pubkey>,
    min_weight_to_create_governance: u64,
) -> Instruction {
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
    if let Some(addin) = voter_weight_addin {
        accounts.push(AccountMeta::new_readonly(addin, false));
    }
    let mut data = vec![tag::CREATE_REALM];
    let name_len = u32::try_from(name.len()).unwrap_or(u32::MAX);
    data.extend_from_slice(&name_len.to_le_bytes());
    data.extend_from_slice(name.as_bytes());
    data.push(0); // use_council_mint
    data.extend_from_slice(&min_weight_to_create_governance.to_le_bytes());
    data.push(0); // MintMaxVoterWeightSource::SupplyFraction
    data.extend_from_slice(&10_000_000_000u64.to_le_bytes()); // 100 %
    token_config_args(&mut data, voter_weight_addin.is_some(), TokenType::Liquid);
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

/// A `TokenOwnerRecordV2`'s owner and its count of votes not yet relinquished (account type,
/// realm, mint, owner at 65, deposit amount, then `unrelinquished_votes_count: u64` at 105).
pub fn token_owner_record_votes(data: &[u8]) -> Option<(Pubkey, u64)> {
    if data.first() != Some(&account_type::TOKEN_OWNER_RECORD_V2) {
        return None;
    }
    let owner: [u8; 32] = data.get(65..97)?.try_into().ok()?;
    let votes: [u8; 8] = data.get(105..113)?.try_into().ok()?;
    Some((Pubkey::new_from_array(owner), u64::from_le_bytes(votes)))
}

/// The community voter-weight addin recorded in a realm config account's data (`RealmConfig`:
/// account type, realm, then the community token config's `Option<Pubkey>`), if any.
pub fn community_addin(realm_config: &[u8]) -> Option<Pubkey> {
    if realm_config.first() != Some(&account_type::REALM_CONFIG) || realm_config.get(33)? != &1 {
        return None;
    }
    let key: [u8; 32] = realm_config.get(34..66)?.try_into().ok()?;
    Some(Pubkey::new_from_array(key))
}
