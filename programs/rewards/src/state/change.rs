use anchor_lang::prelude::*;

use depin_common::timelock::{self, Schedule};

use crate::constants::{MAX_CHALLENGER_BPS, MAX_DISPUTE_SECS, MAX_MINT_WINDOW_SECS, MAX_ORACLES};
use crate::error::RewardsError;
use crate::state::Network;

/// A parameter change governance may queue. Every parameter of a live network changes only this
/// way: propose, wait `timelock_secs`, apply.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Debug, PartialEq, Eq)]
pub enum ParamUpdate {
    /// Replace the oracle set (bumping its version, which voids every vote not yet final).
    OracleSet {
        #[max_len(16)]
        oracles: Vec<Pubkey>,
        threshold: u8,
        /// Lamports each oracle must bond.
        bond: u64,
        /// Challenger's share of a slash, in bps.
        challenger_bps: u16,
    },
    DisputeSecs {
        secs: u64,
    },
    OnboardFee {
        fee: u64,
    },
    MintWindow {
        window_secs: u64,
        threshold: u64,
    },
    Authority {
        authority: Pubkey,
    },
    TimelockSecs {
        secs: u64,
    },
    /// The oracles' input window (`Network::input_secs`, docs/oracle-agreement.md).
    InputSecs {
        secs: u64,
    },
    /// The fee burned for each `update_location` (`Network::location_fee`).
    LocationFee {
        fee: u64,
    },
}

impl ParamUpdate {
    /// Checked when proposed and again when applied (the network may have changed between).
    pub fn validate(&self, network: &Network) -> Result<()> {
        match self {
            Self::OracleSet {
                oracles,
                threshold,
                bond,
                challenger_bps,
            } => validate_oracle_set(oracles, *threshold, *bond, *challenger_bps),
            Self::DisputeSecs { secs } => {
                require!(
                    (1..=MAX_DISPUTE_SECS).contains(secs)
                        && secs.saturating_mul(2) <= network.emission.epoch_secs,
                    RewardsError::InvalidDisputeWindow
                );
                Ok(())
            }
            Self::OnboardFee { .. } | Self::LocationFee { .. } => Ok(()),
            Self::MintWindow {
                window_secs,
                threshold,
            } => {
                require!(
                    (1..=MAX_MINT_WINDOW_SECS).contains(window_secs)
                        && *threshold >= network.emission.initial_epoch_emission,
                    RewardsError::InvalidMintWindow
                );
                Ok(())
            }
            Self::Authority { authority } => {
                require!(
                    *authority != Pubkey::default(),
                    RewardsError::InvalidAuthority
                );
                Ok(())
            }
            Self::TimelockSecs { secs } => validate_timelock(*secs),
            Self::InputSecs { secs } => {
                crate::state::validate_input_secs(*secs, network.emission.epoch_secs)
            }
        }
    }
}

/// 1 to 16 distinct non-default keys, a strict-majority threshold, a bond and a share.
pub fn validate_oracle_set(
    oracles: &[Pubkey],
    threshold: u8,
    bond: u64,
    challenger_bps: u16,
) -> Result<()> {
    let n = oracles.len();
    require!(
        (1..=MAX_ORACLES).contains(&n),
        RewardsError::InvalidOracleSet
    );
    for (i, key) in oracles.iter().enumerate() {
        require!(*key != Pubkey::default(), RewardsError::InvalidOracleSet);
        require!(!oracles[..i].contains(key), RewardsError::InvalidOracleSet);
    }
    let k = usize::from(threshold);
    require!(k * 2 > n && k <= n, RewardsError::InvalidThreshold);
    require!(
        bond > 0 && challenger_bps <= MAX_CHALLENGER_BPS,
        RewardsError::InvalidBond
    );
    Ok(())
}

/// One hour to thirty days (`depin_common::timelock`'s bounds).
pub fn validate_timelock(secs: u64) -> Result<()> {
    timelock::check_delay(secs).map_err(|e| error!(RewardsError::from(e)))
}

/// A queued change. PDA `["change", id_le]`; closed (rent back to the proposer) when applied or
/// cancelled.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct PendingChange {
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Sequence number (`Network::changes_proposed` at proposal).
    pub id: u64,
    /// Paid the rent; gets it back.
    pub proposer: Pubkey,
    pub update: ParamUpdate,
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
