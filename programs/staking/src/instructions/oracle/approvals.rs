//! What `approve_slash` and `propose_slash` share: the rewards program's oracle set, the slash
//! message the chain expects now, and the seats whose ed25519 signatures over it precede the
//! instruction in its transaction.

use anchor_lang::compat::solana_instructions_sysvar as ix_sysvar;
use anchor_lang::prelude::*;

use crate::constants::{ED25519_PROGRAM_ID, REWARDS_ORACLE_SET};
use crate::error::StakingError;
use crate::instructions::ProposeSlashArgs;
use crate::math::slash::{SLASH_MESSAGE_LEN, SlashMessage};
use crate::state::{OracleSetView, StakingConfig};
use depin_common::ed25519;

/// Requires `key` to be the rewards program's `["oracle_set"]` PDA (the owner is each
/// instruction's constraint).
pub fn check_oracle_set(key: &Pubkey) -> Result<()> {
    require_keys_eq!(*key, REWARDS_ORACLE_SET, StakingError::WrongOracleSet);
    Ok(())
}

/// Parses the oracle set account.
pub fn oracle_set(account: &AccountInfo) -> Result<OracleSetView> {
    let data = account.try_borrow_data()?;
    Ok(OracleSetView::parse(&data).ok_or(StakingError::WrongOracleSet)?)
}

/// The message approving `args` against `position` at its slash nonce `nonce`, under `set`.
pub fn message(
    config: &StakingConfig,
    position: &Pubkey,
    nonce: u64,
    args: &ProposeSlashArgs,
    set: &OracleSetView,
) -> [u8; SLASH_MESSAGE_LEN] {
    SlashMessage {
        domain: config.slash_domain,
        position: position.to_bytes(),
        amount_bps: args.amount_bps,
        evidence_hash: args.evidence_hash,
        set_version: set.set_version,
        slash_nonce: nonce,
    }
    .to_bytes()
}

/// The seats (bit `i` = seat `i`) of unslashed oracle set members that signed `message` in
/// ed25519 instructions before this one.
pub fn signers(sysvar: &AccountInfo, set: &OracleSetView, message: &[u8]) -> Result<u16> {
    let current = ix_sysvar::load_current_index_checked(sysvar)?;
    let mut mask: u16 = 0;
    for index in 0..current {
        let ix = ix_sysvar::load_instruction_at_checked(usize::from(index), sysvar)?;
        if ix.program_id != ED25519_PROGRAM_ID {
            continue;
        }
        for (key, signed) in ed25519::signatures(&ix.data) {
            if signed == message
                && let Some(seat) = set.voting_seat(&key)
            {
                mask |= 1u16 << seat;
            }
        }
    }
    Ok(mask)
}

/// The keys of the seats in `mask`.
pub fn keys(set: &OracleSetView, mask: u16) -> Vec<Pubkey> {
    set.keys_of(mask)
        .into_iter()
        .map(Pubkey::new_from_array)
        .collect()
}
