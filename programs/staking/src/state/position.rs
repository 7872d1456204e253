use anchor_lang::prelude::*;

use crate::error::StakingError;

/// How a position's lock runs down.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockupKind {
    /// The lock ends at `lock_end`; the remaining time, and with it the multiplier, decays.
    Cliff,
    /// The remaining time stays `lockup_secs` (no decay) until `start_unlock` turns the
    /// position into a cliff ending `lockup_secs` later.
    Constant,
}

/// A slash proposed against a position, waiting out its appeal window.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingSlash {
    /// Fraction proposed, in bps of the position's tokens at proposal time.
    pub amount_bps: u16,
    /// Tokens to burn: `amount_bps` of `amount + cooling` at proposal time, rounded down.
    pub amount: u64,
    /// Hash of the published proof.
    pub evidence_hash: [u8; 32],
    /// The oracle set version that signed.
    pub set_version: u32,
    /// Unix time of the proposal.
    pub proposed_at: i64,
    /// Governance may overturn it until this time; anyone may execute it from this time.
    pub appeal_ends: i64,
}

/// A staker's position: PDA `["position", owner, id_le]`.
///
/// Tokens are either `amount` (locked, with voting and revenue weight) or `cooling`
/// (unstaked, waiting out the cooldown, no weight). `deposited = amount + cooling + withdrawn +
/// slashed` always.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Position {
    /// Layout version (`POSITION_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Cliff or constant.
    pub kind: LockupKind,
    /// Devices of the owner whose collateral this position holds (bound by the rewards
    /// program); `min_device_collateral × bound_devices` of `amount` cannot be unstaked.
    pub bound_devices: u32,
    /// The staker; signs every change except `add_to_position` and the permissionless cranks.
    pub owner: Pubkey,
    /// Chosen by the owner at creation; part of the seeds.
    pub id: u64,
    /// Locked tokens, in base units.
    pub amount: u64,
    /// Constant kind: the lock's (non-decaying) duration. Cliff kind: the last duration set.
    pub lockup_secs: u64,
    /// Cliff kind: unix time the lock ends. Constant kind: unused (0).
    pub lock_end: i64,
    /// Unstaked tokens waiting out the cooldown.
    pub cooling: u64,
    /// Unix time from which `cooling` may be withdrawn.
    pub cooldown_end: i64,
    /// Revenue weight (`amount × multiplier_bps`) counted in the owner's `Staker::weight` and in
    /// `config.total_weight`, as of the last re-weighing of this position (tokens added by
    /// `add_to_position` count from the next one).
    pub weight: u128,
    /// Tokens ever deposited (created with, plus every `add_to_position`).
    pub deposited: u64,
    /// Tokens ever withdrawn.
    pub withdrawn: u64,
    /// Tokens ever slashed.
    pub slashed: u64,
    /// Slashes proposed against this position so far; part of the signed slash message.
    pub slash_nonce: u64,
    /// The slash waiting out its appeal window, if any.
    pub pending_slash: Option<PendingSlash>,
    /// Unix time of creation.
    pub created_at: i64,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 64],
}

impl Position {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Seconds of lock left at `now`.
    pub fn remaining_secs(&self, now: i64) -> u64 {
        match self.kind {
            LockupKind::Constant => self.lockup_secs,
            LockupKind::Cliff => u64::try_from(self.lock_end.saturating_sub(now)).unwrap_or(0),
        }
    }

    /// Checked after every change.
    pub fn invariant(&self) -> Result<()> {
        let total = u128::from(self.amount)
            + u128::from(self.cooling)
            + u128::from(self.withdrawn)
            + u128::from(self.slashed);
        require!(
            total == u128::from(self.deposited)
                && (self.kind == LockupKind::Cliff || self.lock_end == 0),
            StakingError::InvariantViolated
        );
        Ok(())
    }
}
