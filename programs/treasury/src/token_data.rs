//! Reading the few fields the treasury needs straight from token account and mint data, where
//! the account's identity is already checked (`has_one` against a stored address), through the
//! shared layout views (`depin_common::token`, which read SPL Token and Token-2022 alike). Data
//! too short for the layout is an `InvariantViolated`.
use anchor_lang::prelude::*;
use depin_common::token::{MintView, TokenAccountView};

use crate::error::TreasuryError;

/// A token account's balance.
pub fn amount(info: &AccountInfo) -> Result<u64> {
    let data = info.try_borrow_data()?;
    let account = TokenAccountView::from_bytes(&data).ok_or(TreasuryError::InvariantViolated)?;
    Ok(account.amount())
}

/// A mint's supply.
pub fn supply(info: &AccountInfo) -> Result<u64> {
    let data = info.try_borrow_data()?;
    let mint = MintView::from_bytes(&data).ok_or(TreasuryError::InvariantViolated)?;
    Ok(mint.supply())
}

/// A mint's decimals.
pub fn decimals(info: &AccountInfo) -> Result<u8> {
    let data = info.try_borrow_data()?;
    let mint = MintView::from_bytes(&data).ok_or(TreasuryError::InvariantViolated)?;
    Ok(mint.decimals())
}
