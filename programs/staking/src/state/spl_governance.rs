//! spl-governance's accounts, read (never written) by staking: a realm, checked when it is named
//! in the config, and a token owner record, read to learn whether an owner has votes it has not
//! relinquished. Both belong to spl-governance at `GOVERNANCE_PROGRAM_ID`.

use anchor_lang::prelude::*;

use crate::constants::GOVERNANCE_PROGRAM_ID;
use crate::error::StakingError;

/// `GovernanceAccountType` values read here.
pub mod account_type {
    pub const REALM_V1: u8 = 1;
    pub const TOKEN_OWNER_RECORD_V1: u8 = 2;
    pub const REALM_V2: u8 = 16;
    pub const TOKEN_OWNER_RECORD_V2: u8 = 17;
}

/// Where a realm keeps its community mint: right after the account type.
const COMMUNITY_MINT_AT: usize = 1;
/// Where a token owner record keeps its owner: after the account type, realm and mint.
const OWNER_AT: usize = 65;
/// Where it keeps `unrelinquished_votes_count: u64`: after the owner and the deposit amount.
const VOTES_AT: usize = 105;
/// Its layout `version` byte, after the count and `outstanding_proposal_count`. Below 1 the count
/// was a `u32` followed by a `total_votes_count: u32` (spl-governance before v3), so only its low
/// four bytes count, as spl-governance itself reads it.
const VERSION_AT: usize = 114;

/// The owner and the number of votes not yet relinquished of a token owner record's `data` (V1
/// or V2, any layout version); `None` for any other account.
pub fn unrelinquished_votes(data: &[u8]) -> Option<(Pubkey, u64)> {
    let kind = *data.first()?;
    if kind != account_type::TOKEN_OWNER_RECORD_V1 && kind != account_type::TOKEN_OWNER_RECORD_V2 {
        return None;
    }
    let owner: [u8; 32] = data.get(OWNER_AT..OWNER_AT + 32)?.try_into().ok()?;
    let votes: [u8; 8] = data.get(VOTES_AT..VOTES_AT + 8)?.try_into().ok()?;
    let mut votes = u64::from_le_bytes(votes);
    if *data.get(VERSION_AT)? < 1 {
        votes &= u64::from(u32::MAX);
    }
    Some((Pubkey::new_from_array(owner), votes))
}

/// Refuses while `owner` has votes in the realm it has not relinquished. `record` sits at the
/// owner's token-owner-record PDA (checked by the caller's seeds constraint): an address with no
/// data has never voted; one spl-governance owns must be a record of `owner`.
pub fn require_no_open_votes(record: &AccountInfo, owner: &Pubkey) -> Result<()> {
    if record.owner != &GOVERNANCE_PROGRAM_ID {
        require!(record.data_is_empty(), StakingError::WrongTokenOwnerRecord);
        return Ok(());
    }
    let data = record.try_borrow_data()?;
    let (recorded, votes) =
        unrelinquished_votes(&data).ok_or(StakingError::WrongTokenOwnerRecord)?;
    require!(recorded == *owner, StakingError::WrongTokenOwnerRecord);
    require!(votes == 0, StakingError::VotesNotRelinquished);
    Ok(())
}

/// Checks a realm the config is to name: none (`Pubkey::default()`), or the first of
/// `accounts`, at `realm`, a realm of spl-governance at `GOVERNANCE_PROGRAM_ID` whose community
/// mint is `stake_mint`. Otherwise votes in it could be weighed while `unstake` looked for token
/// owner records where none can ever be (another program's realm, a typo), and tokens that
/// voted could leave and vote again.
pub fn check_realm(realm: &Pubkey, accounts: &[AccountInfo], stake_mint: &Pubkey) -> Result<()> {
    if *realm == Pubkey::default() {
        return Ok(());
    }
    let info = accounts
        .first()
        .filter(|a| a.key == realm && a.owner == &GOVERNANCE_PROGRAM_ID)
        .ok_or(StakingError::InvalidRealm)?;
    let data = info.try_borrow_data()?;
    let kind = data.first().copied();
    let mint = data.get(COMMUNITY_MINT_AT..COMMUNITY_MINT_AT + 32);
    require!(
        matches!(kind, Some(account_type::REALM_V1 | account_type::REALM_V2))
            && mint == Some(stake_mint.as_ref()),
        StakingError::InvalidRealm
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, votes: u64, version: u8) -> Vec<u8> {
        let mut data = vec![0u8; 300];
        data[0] = kind;
        data[OWNER_AT..OWNER_AT + 32].copy_from_slice(&[5; 32]);
        data[VOTES_AT..VOTES_AT + 8].copy_from_slice(&votes.to_le_bytes());
        data[VERSION_AT] = version;
        data
    }

    #[test]
    fn votes_are_read_as_spl_governance_reads_them() {
        let owner = Pubkey::new_from_array([5; 32]);
        assert_eq!(unrelinquished_votes(&record(17, 3, 1)), Some((owner, 3)));
        assert_eq!(unrelinquished_votes(&record(2, 3, 1)), Some((owner, 3)));
        // Layout version 0: the upper four bytes were `total_votes_count`.
        let old = (7u64 << 32) | 2;
        assert_eq!(unrelinquished_votes(&record(17, old, 0)), Some((owner, 2)));
        assert_eq!(
            unrelinquished_votes(&record(17, old, 1)),
            Some((owner, old))
        );
        assert_eq!(unrelinquished_votes(&record(16, 3, 1)), None);
        assert_eq!(unrelinquished_votes(&record(17, 3, 1)[..110]), None);
    }
}
