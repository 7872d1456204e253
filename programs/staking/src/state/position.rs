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
    /// Devices whose collateral was released from this position (transferred or
    /// decommissioned) but that stay liable until `liable_until_epochs`: an offence found in
    /// their last epochs can still be slashed from this position, so their collateral cannot be
    /// unstaked before then (docs/staking.md, "Slashing").
    pub liable_devices: u32,
    /// `liable_devices` count as bound while the rewards network has fewer final epochs than
    /// this (`final_root.epochs`): counted in final epochs, not time, so a stall in finality
    /// extends the liability rather than running it out.
    pub liable_until_epochs: u64,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 52],
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

    /// Devices whose collateral cannot be unstaked while `final_epochs` epochs of the rewards
    /// network are final: those bound, and those released that are still liable.
    pub fn collateral_devices(&self, final_epochs: u64) -> u64 {
        u64::from(self.bound_devices) + u64::from(self.liable_at(final_epochs))
    }

    /// Released devices still liable while `final_epochs` epochs are final.
    pub fn liable_at(&self, final_epochs: u64) -> u32 {
        if final_epochs < self.liable_until_epochs {
            self.liable_devices
        } else {
            0
        }
    }

    /// Records one device's release while `final_epochs` epochs are final: it stays liable until
    /// `until_epochs` are. Devices released earlier and still liable stay so until the later end.
    pub fn release_liable(&mut self, final_epochs: u64, until_epochs: u64) -> Result<()> {
        self.liable_devices = self
            .liable_at(final_epochs)
            .checked_add(1)
            .ok_or(StakingError::MathOverflow)?;
        self.liable_until_epochs = self.liable_until_epochs.max(until_epochs);
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn position(bound_devices: u32) -> Position {
        Position {
            version: 2,
            bump: 255,
            kind: LockupKind::Cliff,
            bound_devices,
            owner: Pubkey::new_unique(),
            id: 0,
            amount: 0,
            lockup_secs: 0,
            lock_end: 0,
            cooling: 0,
            cooldown_end: 0,
            weight: 0,
            deposited: 0,
            withdrawn: 0,
            slashed: 0,
            slash_nonce: 0,
            pending_slash: None,
            created_at: 0,
            liable_devices: 0,
            liable_until_epochs: 0,
            reserved: [0; 52],
        }
    }

    /// Released devices count until the latest release's liability ends; a release after that
    /// starts a new count.
    #[test]
    fn released_devices_stay_liable_until_the_latest_end() {
        let mut p = position(1);
        assert_eq!(p.collateral_devices(0), 1);
        p.release_liable(1, 9).unwrap();
        assert_eq!((p.liable_devices, p.liable_until_epochs), (1, 9));
        p.release_liable(2, 6).unwrap();
        assert_eq!((p.liable_devices, p.liable_until_epochs), (2, 9));
        assert_eq!(p.collateral_devices(8), 3);
        assert_eq!(p.collateral_devices(9), 1);
        p.release_liable(9, 12).unwrap();
        assert_eq!((p.liable_devices, p.liable_until_epochs), (1, 12));
        p.liable_devices = u32::MAX;
        assert!(p.release_liable(11, u64::MAX).is_err());
    }
}
