use anchor_lang::prelude::*;
use depin_common::bps;
use depin_common::timelock::{self, Schedule};

use crate::constants::{
    MAX_APPEAL_SECS, MAX_COOLDOWN_SECS, MAX_LOCKUP_CAP_SECS, MAX_MULTIPLIER_CAP_BPS,
    MAX_SLASH_CAP_BPS, MAX_STREAM_SECS, MIN_COOLDOWN_SECS,
};
use crate::error::StakingError;
use crate::state::{StakingConfig, VotingMode};

/// A staking parameter change governance may queue: propose, wait `timelock_secs`, apply.
/// Every parameter `initialize_staking` sets, and the authority and the timelock itself.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StakingUpdate {
    Authority(Pubkey),
    VotingMode(VotingMode),
    /// Seconds, 1 s to 10 years. Existing locks keep their end; a longer remaining lock than the
    /// new maximum earns the maximum multiplier.
    MaxLockupSecs(u64),
    /// Basis points, 10,000 (1x) to 1,000,000 (100x). Stored revenue weights follow at each
    /// position's next re-weighing; voting weights at once.
    MaxMultiplierBps(u32),
    /// Seconds, 3 days to 1 year; applies to the next `unstake`.
    CooldownSecs(u64),
    /// Base units per device; applies to the next `bind_collateral` and `unstake`.
    MinDeviceCollateral(u64),
    /// Basis points of a position's tokens, 1 to 5,000; applies to the next `propose_slash`.
    MaxSlashBps(u16),
    /// Seconds, 1 s to 30 days; applies to the next `propose_slash`.
    AppealSecs(u64),
    /// Seconds, one hour to thirty days (`depin_common::timelock`).
    TimelockSecs(u64),
    /// Seconds, 0 to 30 days: how long arriving revenue streams into the accumulator; used from
    /// the next arrival (which also moves the end of what is still streaming, by amount).
    RevenueStreamSecs(u64),
    /// The spl-governance realm whose votes this program weighs (`Pubkey::default()`: none).
    /// Votes cast in the previous realm stop holding back `unstake` once this applies.
    Realm(Pubkey),
}

impl StakingUpdate {
    /// The bounds of the value, with a specific error for each parameter. Checked when proposed
    /// and again when applied; `initialize_staking` checks its arguments with the same rules.
    pub fn validate(&self) -> Result<()> {
        let (ok, error) = match *self {
            Self::Authority(key) => (key != Pubkey::default(), StakingError::InvalidAuthority),
            Self::VotingMode(_) | Self::Realm(_) => (true, StakingError::InvariantViolated),
            Self::MinDeviceCollateral(c) => (c > 0, StakingError::InvalidMinDeviceCollateral),
            Self::MaxLockupSecs(s) => (
                (1..=MAX_LOCKUP_CAP_SECS).contains(&s),
                StakingError::InvalidMaxLockup,
            ),
            Self::MaxMultiplierBps(m) => (
                (bps::ONE..=MAX_MULTIPLIER_CAP_BPS).contains(&m),
                StakingError::InvalidMaxMultiplier,
            ),
            Self::CooldownSecs(c) => (
                (MIN_COOLDOWN_SECS..=MAX_COOLDOWN_SECS).contains(&c),
                StakingError::InvalidCooldown,
            ),
            Self::MaxSlashBps(b) => (
                (1..=MAX_SLASH_CAP_BPS).contains(&b),
                StakingError::InvalidMaxSlash,
            ),
            Self::AppealSecs(a) => (
                (1..=MAX_APPEAL_SECS).contains(&a),
                StakingError::InvalidAppealWindow,
            ),
            Self::RevenueStreamSecs(t) => (t <= MAX_STREAM_SECS, StakingError::InvalidStream),
            Self::TimelockSecs(t) => (
                timelock::check_delay(t).is_ok(),
                StakingError::InvalidTimelock,
            ),
        };
        if ok { Ok(()) } else { Err(error.into()) }
    }

    /// Writes the new value into `config`.
    pub fn apply(&self, config: &mut StakingConfig) {
        match *self {
            Self::Authority(key) => config.authority = key,
            Self::VotingMode(mode) => config.voting_mode = mode,
            Self::MaxLockupSecs(s) => config.max_lockup_secs = s,
            Self::MaxMultiplierBps(m) => config.max_multiplier_bps = m,
            Self::CooldownSecs(c) => config.cooldown_secs = c,
            Self::MinDeviceCollateral(c) => config.min_device_collateral = c,
            Self::MaxSlashBps(b) => config.max_slash_bps = b,
            Self::AppealSecs(a) => config.appeal_secs = a,
            Self::TimelockSecs(t) => config.timelock_secs = t,
            Self::RevenueStreamSecs(t) => config.revenue_stream_secs = t,
            Self::Realm(realm) => config.realm = realm,
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
    /// Sequence number (`StakingConfig::changes_proposed` at proposal).
    pub id: u64,
    /// Paid the rent; gets it back.
    pub proposer: Pubkey,
    pub update: StakingUpdate,
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
