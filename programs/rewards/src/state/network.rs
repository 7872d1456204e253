use anchor_lang::prelude::*;

use crate::error::RewardsError;

/// The network's configuration and mint bookkeeping. PDA `["network"]`; the mint authority.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Network {
    /// Layout version (`NETWORK_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Canonical bump of the mint PDA.
    pub mint_bump: u8,
    /// Decimals of the network token.
    pub decimals: u8,
    /// Governance key: changes parameters through the timelock.
    pub authority: Pubkey,
    /// The network token mint (PDA `["mint"]`).
    pub mint: Pubkey,
    /// The token program that owns the mint (SPL Token or Token-2022).
    pub token_program: Pubkey,
    /// Hard cap on everything this program may ever mint, in base units.
    pub max_supply: u64,
    /// Everything this program has minted so far, in base units. Never exceeds `max_supply`.
    pub total_minted: u64,
    /// Unix time the network was created.
    pub created_at: i64,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 128],
}

impl Network {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Checked after every change.
    pub fn invariant(&self) -> Result<()> {
        require!(
            self.max_supply > 0 && self.total_minted <= self.max_supply,
            RewardsError::InvariantViolated
        );
        Ok(())
    }
}
