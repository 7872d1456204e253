use anchor_lang::prelude::*;

use depin_common::timelock::{self, Schedule};

use crate::error::TreasuryError;
use crate::state::{BuybackConfig, PriceConfig, Roles, SplitBps, Venue};

/// A parameter change governance may queue: propose, wait `timelock_secs`, apply.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Debug, PartialEq, Eq)]
pub enum TreasuryUpdate {
    Split(SplitBps),
    Price(PriceConfig),
    Buyback(BuybackConfig),
    Roles(Roles),
    CreditsPerUsd(u64),
    /// A stablecoin's buyback venue (pool and reserves) and per-epoch cap.
    BuybackVenue {
        mint: Pubkey,
        venue: Venue,
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
            Self::Roles(_) => Ok(()),
            // The vault and `bought` keys are checked again when applied, with the coin's.
            Self::BuybackVenue { venue, .. } => venue.check(&Pubkey::default(), &Pubkey::default()),
            Self::CreditsPerUsd(rate) => {
                require!(*rate > 0, TreasuryError::InvalidCreditsRate);
                Ok(())
            }
            Self::Authority(key) => {
                require!(*key != Pubkey::default(), TreasuryError::InvalidAuthority);
                Ok(())
            }
            Self::TimelockSecs(secs) => validate_timelock(*secs),
        }
    }
}

/// One hour to thirty days (`depin_common::timelock`'s bounds).
pub fn validate_timelock(secs: u64) -> Result<()> {
    timelock::check_delay(secs).map_err(|e| error!(TreasuryError::from(e)))
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

    /// When it was proposed and when it is due, for the shared timelock rules.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            proposed_at: self.proposed_at,
            eta: self.eta,
        }
    }
}
