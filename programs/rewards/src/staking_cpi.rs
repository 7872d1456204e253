//! The staking program's interface as this program calls it (docs/staking.md, "Provider
//! collateral: the rewards program's CPI" and "Time-locked reward deposits"): instruction
//! discriminators, account order, and the `Position` fields read before a CPI.
//!
//! Built by hand: the two program crates do not link each other. The program tests
//! (`tests/programs/rewards/staking_interface.rs`) pin every discriminator, account list and
//! offset here against the staking crate, so they cannot drift.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;

use crate::constants::{COLLATERAL_AUTHORITY_SEED, STAKING_PROGRAM_ID};
use crate::error::RewardsError;
use crate::state::Network;

/// `staking::bind_collateral` (no arguments).
pub const BIND_COLLATERAL_DISCRIMINATOR: [u8; 8] = [166, 126, 90, 249, 141, 13, 147, 169];
/// `staking::release_collateral(final_epochs: u64, liable_until_epochs: u64)`.
pub const RELEASE_COLLATERAL_DISCRIMINATOR: [u8; 8] = [40, 255, 12, 218, 249, 197, 179, 160];
/// `staking::add_to_position(amount: u64)`.
pub const ADD_TO_POSITION_DISCRIMINATOR: [u8; 8] = [72, 12, 8, 117, 219, 61, 161, 105];
/// The staking `Position` account's discriminator (`sha256("account:Position")[..8]`).
pub const POSITION_DISCRIMINATOR: [u8; 8] = [170, 188, 143, 228, 122, 64, 247, 208];
/// Byte range of `Position::owner`: after the discriminator (8), `version` (1), `bump` (1),
/// `kind` (1) and `bound_devices` (4).
pub const POSITION_OWNER_OFFSET: usize = 15;

/// The staker that owns `position`, after checking that it is a staking `Position` (owned by the
/// staking program, with its discriminator). Anything else is refused with
/// `NotAStakingPosition`.
pub fn position_owner(position: &AccountInfo) -> Result<Pubkey> {
    require_keys_eq!(
        *position.owner,
        STAKING_PROGRAM_ID,
        RewardsError::NotAStakingPosition
    );
    let data = position.try_borrow_data()?;
    require!(
        data.get(..8) == Some(&POSITION_DISCRIMINATOR[..]),
        RewardsError::NotAStakingPosition
    );
    let owner: [u8; 32] = data
        .get(POSITION_OWNER_OFFSET..POSITION_OWNER_OFFSET + 32)
        .and_then(|s| s.try_into().ok())
        .ok_or(RewardsError::NotAStakingPosition)?;
    Ok(Pubkey::new_from_array(owner))
}

/// `bind_collateral` or `release_collateral` (same accounts): `data` is the discriminator and
/// the arguments.
pub fn collateral_ix(
    data: Vec<u8>,
    collateral_authority: Pubkey,
    config: Pubkey,
    position: Pubkey,
    event_authority: Pubkey,
) -> Instruction {
    Instruction {
        program_id: STAKING_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new_readonly(collateral_authority, true),
            AccountMeta::new_readonly(config, false),
            AccountMeta::new(position, false),
            AccountMeta::new_readonly(event_authority, false),
            AccountMeta::new_readonly(STAKING_PROGRAM_ID, false),
        ],
        data,
    }
}

/// The staking accounts every collateral CPI passes, as this program received them (their
/// addresses are checked by the calling instruction's constraints).
pub struct CollateralAccounts<'a, 'info> {
    pub collateral_authority: &'a AccountInfo<'info>,
    pub config: &'a AccountInfo<'info>,
    pub event_authority: &'a AccountInfo<'info>,
    pub program: &'a AccountInfo<'info>,
    /// Canonical bump of the collateral authority (`Network::collateral_authority_bump`).
    pub bump: u8,
}

impl<'info> CollateralAccounts<'_, 'info> {
    /// Binds one more device's collateral to `position`.
    pub fn bind(&self, position: &AccountInfo<'info>) -> Result<()> {
        self.invoke(BIND_COLLATERAL_DISCRIMINATOR.to_vec(), position)
    }

    /// Releases one device's collateral from `position` at `now`; the device stays liable there
    /// until `network.liable_until_epochs(now)` epochs are final.
    pub fn release(
        &self,
        position: &AccountInfo<'info>,
        network: &Network,
        now: i64,
    ) -> Result<()> {
        let mut data = RELEASE_COLLATERAL_DISCRIMINATOR.to_vec();
        data.extend_from_slice(&network.final_root.epochs.to_le_bytes());
        data.extend_from_slice(&network.liable_until_epochs(now).to_le_bytes());
        self.invoke(data, position)
    }

    fn invoke(&self, data: Vec<u8>, position: &AccountInfo<'info>) -> Result<()> {
        let ix = collateral_ix(
            data,
            self.collateral_authority.key(),
            self.config.key(),
            position.key(),
            self.event_authority.key(),
        );
        let bump = [self.bump];
        let seeds: &[&[u8]] = &[COLLATERAL_AUTHORITY_SEED, &bump];
        invoke_signed(
            &ix,
            &[
                self.collateral_authority.clone(),
                self.config.clone(),
                position.clone(),
                self.event_authority.clone(),
                self.program.clone(),
            ],
            &[seeds],
        )?;
        Ok(())
    }
}

/// The accounts of `add_to_position`, in the staking program's order.
pub struct AddToPositionAccounts {
    pub depositor: Pubkey,
    pub config: Pubkey,
    pub position: Pubkey,
    pub stake_mint: Pubkey,
    pub source: Pubkey,
    pub vault: Pubkey,
    pub revenue_vault: Pubkey,
    pub token_program: Pubkey,
    pub event_authority: Pubkey,
}

/// `add_to_position(amount)`: `depositor` signs and `source` pays.
pub fn add_to_position_ix(accounts: &AddToPositionAccounts, amount: u64) -> Instruction {
    let mut data = Vec::with_capacity(16);
    data.extend_from_slice(&ADD_TO_POSITION_DISCRIMINATOR);
    data.extend_from_slice(&amount.to_le_bytes());
    Instruction {
        program_id: STAKING_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new_readonly(accounts.depositor, true),
            AccountMeta::new(accounts.config, false),
            AccountMeta::new(accounts.position, false),
            AccountMeta::new_readonly(accounts.stake_mint, false),
            AccountMeta::new(accounts.source, false),
            AccountMeta::new(accounts.vault, false),
            AccountMeta::new_readonly(accounts.revenue_vault, false),
            AccountMeta::new_readonly(accounts.token_program, false),
            AccountMeta::new_readonly(accounts.event_authority, false),
            AccountMeta::new_readonly(STAKING_PROGRAM_ID, false),
        ],
        data,
    }
}
