use anchor_lang::prelude::*;

use crate::constants::{MAX_COOLDOWN_SECS, MAX_LOCKUP_CAP_SECS, MAX_MULTIPLIER_CAP_BPS, ONE_X_BPS};
use crate::error::StakingError;

/// How a position's voting weight is derived from its locked amount.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VotingMode {
    /// weight = amount x lockup multiplier.
    Linear,
    /// weight = sqrt(amount) x lockup multiplier: favours many small holders.
    Quadratic,
}

/// Staking parameters and totals. PDA `["config"]`; owns the vault.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct StakingConfig {
    /// Layout version (`CONFIG_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Canonical bump of the vault PDA.
    pub vault_bump: u8,
    /// Linear or quadratic voting weight.
    pub voting_mode: VotingMode,
    /// Multiplier at `max_lockup_secs`, in basis points (10,000 = 1x).
    pub max_multiplier_bps: u32,
    /// Governance key: changes parameters through the timelock.
    pub authority: Pubkey,
    /// The token that is locked (the network token).
    pub stake_mint: Pubkey,
    /// The token program that owns `stake_mint`.
    pub token_program: Pubkey,
    /// The vault token account (PDA `["vault"]`).
    pub vault: Pubkey,
    /// Longest lockup; locking this long earns the maximum multiplier.
    pub max_lockup_secs: u64,
    /// Delay between unstaking and withdrawal, so collateral cannot leave ahead of a slash.
    pub cooldown_secs: u64,
    /// Collateral a device owner must lock per device, in base units.
    pub min_device_collateral: u64,
    /// Tokens locked in all positions, in base units. Equals the vault balance.
    pub total_locked: u64,
    /// Unix time the config was created.
    pub created_at: i64,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 128],
}

impl StakingConfig {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Checked after every change.
    pub fn invariant(&self) -> Result<()> {
        require!(
            (1..=MAX_LOCKUP_CAP_SECS).contains(&self.max_lockup_secs)
                && (ONE_X_BPS..=MAX_MULTIPLIER_CAP_BPS).contains(&self.max_multiplier_bps)
                && self.cooldown_secs <= MAX_COOLDOWN_SECS,
            StakingError::InvariantViolated
        );
        Ok(())
    }
}
