//! Reading the few fields the treasury needs straight from token account and mint data, where
//! the account's identity is already checked (`has_one` against a stored address). Both token
//! programs share these offsets in the base layout (Token-2022 appends extensions after it):
//! a token account's amount at 64..72, a mint's supply at 36..44 and decimals at 44.
use anchor_lang::prelude::*;

use crate::error::TreasuryError;

fn read_u64(info: &AccountInfo, at: usize) -> Result<u64> {
    let data = info.try_borrow_data()?;
    let bytes: [u8; 8] = data
        .get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .ok_or(TreasuryError::InvariantViolated)?;
    Ok(u64::from_le_bytes(bytes))
}

/// A token account's balance.
pub fn amount(info: &AccountInfo) -> Result<u64> {
    read_u64(info, 64)
}

/// A mint's supply.
pub fn supply(info: &AccountInfo) -> Result<u64> {
    read_u64(info, 36)
}

/// A mint's decimals.
pub fn decimals(info: &AccountInfo) -> Result<u8> {
    let data = info.try_borrow_data()?;
    data.get(44)
        .copied()
        .ok_or_else(|| error!(TreasuryError::InvariantViolated))
}
