use anchor_lang::prelude::*;

use crate::constants::{MAX_TIMELOCK_SECS, MIN_TIMELOCK_SECS};
use crate::error::TreasuryError;
use crate::math::RevenueSplit;

/// The revenue split as stored: basis points that add up to exactly 10,000.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitBps {
    /// Share for buyback and burn; also receives the rounding dust.
    pub buyback_bps: u16,
    /// Share routed to the staking program's revenue accumulator.
    pub stakers_bps: u16,
    /// Share for operations.
    pub operations_bps: u16,
}

impl SplitBps {
    /// The checked split, or `InvalidSplit`.
    pub fn checked(&self) -> Result<RevenueSplit> {
        RevenueSplit::new(self.buyback_bps, self.stakers_bps, self.operations_bps)
            .ok_or_else(|| error!(TreasuryError::InvalidSplit))
    }
}

/// Treasury parameters. PDA `["treasury"]`.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Treasury {
    /// Layout version (`TREASURY_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// How revenue is divided.
    pub split: SplitBps,
    /// Governance key: changes parameters through the timelock.
    pub authority: Pubkey,
    /// The network token that buybacks buy and burn.
    pub network_mint: Pubkey,
    /// Delay between proposing and applying a parameter change, in seconds.
    pub timelock_secs: u64,
    /// Unix time the treasury was created.
    pub created_at: i64,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 128],
}

impl Treasury {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Checked after every change.
    pub fn invariant(&self) -> Result<()> {
        self.split.checked()?;
        require!(
            (MIN_TIMELOCK_SECS..=MAX_TIMELOCK_SECS).contains(&self.timelock_secs),
            TreasuryError::InvariantViolated
        );
        Ok(())
    }
}
