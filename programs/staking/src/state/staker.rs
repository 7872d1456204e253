use anchor_lang::prelude::*;

use crate::error::StakingError;
use crate::math::{revenue, weight};

/// An owner's stake as a whole: PDA `["staker", owner]`, created by the owner's first `stake`.
///
/// The revenue share is kept per owner, not per position: the owner's revenue weight is the sum
/// of its positions' stored weights, each `amount × multiplier_bps` (exactly additive), and
/// settles in one place. So any split of the same tokens under the same locks earns the same
/// revenue, to the unit. The owner's voting weight is a function of sums over all its positions
/// (`math::weight::Tally`); `tally` carries those sums across transactions for owners with more
/// positions than one transaction holds.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Staker {
    /// Layout version (`STAKER_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// The owner of every position counted here.
    pub owner: Pubkey,
    /// Positions the owner has opened (they are never closed): a voting tally is complete when
    /// it has counted this many.
    pub positions: u32,
    /// Sum of the stored revenue weights of the owner's positions.
    pub weight: u128,
    /// `config.reward_per_weight` when this owner was last settled.
    pub reward_checkpoint: u128,
    /// Revenue earned and not yet claimed.
    pub pending_revenue: u64,
    /// Revenue claimed so far.
    pub revenue_claimed: u64,
    /// The voting tally in progress (or last completed).
    pub tally: VoteTally,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 64],
}

/// Voting sums over the owner's positions, gathered by `tally_positions` over several
/// transactions (positions in strictly increasing id order) within `TALLY_WINDOW_SECS`.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct VoteTally {
    /// Unix time the tally started.
    pub started_at: i64,
    /// Positions counted so far.
    pub counted: u32,
    /// The last position id counted; the next must be greater.
    pub last_id: u64,
    /// `Σ amount × multiplier_bps` of the positions counted.
    pub linear: u128,
    /// `Σ amount × multiplier_bps²` of the positions counted.
    pub quadratic: u128,
}

impl VoteTally {
    /// The sums, for the weight formula.
    pub fn sums(&self) -> weight::Tally {
        weight::Tally {
            linear: self.linear,
            quadratic: self.quadratic,
        }
    }
}

impl Staker {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Credits the owner with what its revenue weight earned since its checkpoint, at
    /// `reward_per_weight`. Must run before any change of the owner's weight.
    pub fn settle(&mut self, reward_per_weight: u128) -> Result<()> {
        let earned = revenue::earned(self.weight, reward_per_weight, self.reward_checkpoint)
            .map_err(|_| StakingError::MathOverflow)?;
        self.pending_revenue = self
            .pending_revenue
            .checked_add(earned)
            .ok_or(StakingError::MathOverflow)?;
        self.reward_checkpoint = reward_per_weight;
        Ok(())
    }
}
