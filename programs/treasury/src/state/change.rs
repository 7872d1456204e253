use anchor_lang::prelude::*;

use crate::constants::{MAX_TIMELOCK_SECS, MIN_TIMELOCK_SECS};
use crate::error::TreasuryError;
use crate::state::{BuybackConfig, PriceConfig, Roles, SplitBps};

/// A parameter change governance may queue: propose, wait `timelock_secs`, apply.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Debug, PartialEq, Eq)]
pub enum TreasuryUpdate {
    Split(SplitBps),
    Price(PriceConfig),
    Buyback(BuybackConfig),
    Roles(Roles),
    CreditsPerUsd(u64),
    /// A stablecoin's buyback pool and per-epoch cap.
    BuybackVenue {
        mint: Pubkey,
        pool: Pubkey,
        cap: u64,
    },
    Authority(Pubkey),
    TimelockSecs(u64),
}

impl TreasuryUpdate {
    /// Checked when proposed and again when applied.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Split(split) => split.checked().map(|_| ()),
            Self::Price(price) => price.validate(),
            Self::Buyback(buyback) => buyback.validate(),
            Self::Roles(_) | Self::BuybackVenue { .. } => Ok(()),
            Self::CreditsPerUsd(rate) => {
                require!(*rate > 0, TreasuryError::InvalidCreditsRate);
                Ok(())
            }
            Self::Authority(key) => {
                require!(*key != Pubkey::default(), TreasuryError::InvalidAuthority);
                Ok(())
            }
            Self::TimelockSecs(secs) => {
                require!(
                    (MIN_TIMELOCK_SECS..=MAX_TIMELOCK_SECS).contains(secs),
                    TreasuryError::InvalidTimelock
                );
                Ok(())
            }
        }
    }
}

/// A queued change. PDA `["change", id_le]`; closed (rent back to the proposer) when applied or
/// cancelled.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct PendingChange {
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Sequence number (`Treasury::changes_proposed` at proposal).
    pub id: u64,
    /// Paid the rent; gets it back.
    pub proposer: Pubkey,
    pub update: TreasuryUpdate,
    pub proposed_at: i64,
    /// Earliest unix time it may be applied.
    pub eta: i64,
}

impl PendingChange {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;
}
