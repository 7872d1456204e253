//! spl-governance's token owner record, read (never written) to learn whether an owner has votes
//! it has not relinquished. The record is spl-governance's account, not this program's.

use anchor_lang::prelude::*;

use crate::constants::GOVERNANCE_PROGRAM_ID;
use crate::error::StakingError;

/// `GovernanceAccountType::TokenOwnerRecordV2`, the first byte of every record spl-governance
/// 3 and 4 write.
pub const TOKEN_OWNER_RECORD_V2: u8 = 17;
/// Where `TokenOwnerRecordV2` keeps its owner: after the account type, realm and mint.
const OWNER_AT: usize = 65;
/// Where `TokenOwnerRecordV2` keeps `unrelinquished_votes_count: u64`: after the owner and the
/// `u64` deposit amount.
const VOTES_AT: usize = 105;

/// The owner and the number of votes not yet relinquished of a `TokenOwnerRecordV2`'s `data`;
/// `None` for any other account.
pub fn unrelinquished_votes(data: &[u8]) -> Option<(Pubkey, u64)> {
    if data.first() != Some(&TOKEN_OWNER_RECORD_V2) {
        return None;
    }
    let owner: [u8; 32] = data.get(OWNER_AT..OWNER_AT + 32)?.try_into().ok()?;
    let votes: [u8; 8] = data.get(VOTES_AT..VOTES_AT + 8)?.try_into().ok()?;
    Some((Pubkey::new_from_array(owner), u64::from_le_bytes(votes)))
}

/// Refuses while `owner` has votes in the realm it has not relinquished. `record` sits at the
/// owner's token-owner-record PDA (checked by the caller's seeds constraint): an address with no
/// data has never voted; one spl-governance owns must be a V2 record of `owner`.
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
