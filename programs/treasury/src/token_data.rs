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

/// A pool reserve's balance: a token account of `mint` under `token_program`, or
/// `WrongPoolReserve`.
pub fn reserve(info: &AccountInfo, token_program: &Pubkey, mint: &Pubkey) -> Result<u64> {
    require_keys_eq!(*info.owner, *token_program, TreasuryError::WrongPoolReserve);
    let data = info.try_borrow_data()?;
    let account = TokenAccountView::from_bytes(&data).ok_or(TreasuryError::WrongPoolReserve)?;
    require!(
        account.mint() == mint.to_bytes(),
        TreasuryError::WrongPoolReserve
    );
    Ok(account.amount())
}

/// Refuses (`TokenAccountTampered`) a token account that is not, or no longer, held by `owner`
/// alone: another program, mint or owner, a delegate or a close authority.
pub fn check_held(
    info: &AccountInfo,
    token_program: &Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Result<()> {
    let data = info.try_borrow_data()?;
    require!(
        info.owner == token_program && held_by(&data, mint, owner),
        TreasuryError::TokenAccountTampered
    );
    Ok(())
}

/// Whether token account `data` holds `mint` for `owner` alone (no delegate, no close authority,
/// not frozen).
fn held_by(data: &[u8], mint: &Pubkey, owner: &Pubkey) -> bool {
    TokenAccountView::from_bytes(data).is_some_and(|a| {
        a.mint() == mint.to_bytes()
            && a.owner() == owner.to_bytes()
            && a.delegate().is_none()
            && a.close_authority().is_none()
            && a.state() == depin_common::token::STATE_INITIALIZED
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(mint: &Pubkey, owner: &Pubkey) -> Vec<u8> {
        let mut d = vec![0u8; 165];
        d[..32].copy_from_slice(mint.as_ref());
        d[32..64].copy_from_slice(owner.as_ref());
        d[108] = depin_common::token::STATE_INITIALIZED;
        d
    }

    #[test]
    fn an_account_held_by_the_ledger_alone_passes_and_every_tamper_is_caught() {
        let (mint, owner) = (Pubkey::new_unique(), Pubkey::new_unique());
        let clean = account(&mint, &owner);
        assert!(held_by(&clean, &mint, &owner));
        assert!(!held_by(&clean, &Pubkey::new_unique(), &owner));
        assert!(!held_by(&clean, &mint, &Pubkey::new_unique()));
        assert!(!held_by(&clean[..164], &mint, &owner));
        // A delegate (COption tag at 72), a close authority (tag at 129), frozen (state 2).
        for (at, value) in [(72, 1u8), (129, 1), (108, 2)] {
            let mut tampered = clean.clone();
            tampered[at] = value;
            assert!(!held_by(&tampered, &mint, &owner), "byte {at} = {value}");
        }
    }
}
