use anchor_lang::prelude::*;

use crate::constants::MAX_ORACLES;
use crate::error::RewardsError;

/// One seat's committed report set: the sha256 of its `reports.jsonl` for the epoch
/// (docs/oracle-agreement.md) and who holds it.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct ReportSet {
    /// sha256 of the set's bytes; all zero = not committed.
    pub hash: [u8; 32],
    /// Reports (lines) in the set, as its committer states it.
    pub reports: u64,
    /// The set's length in bytes, as its committer states it: a peer refuses to fetch (and so
    /// never acknowledges) a set above its limit.
    pub bytes: u64,
    /// Seats that said they hold the set (bit `i` = seat `i`); the committer's bit is set by
    /// its commit.
    pub held_by: u16,
}

/// Which report sets an epoch's root is computed from. PDA `["inputs", epoch_le]`.
///
/// Each seat of the current set commits the hash of the reports it stored for the epoch
/// (`commit_reports`) and says which committed sets it has fetched and checked against their
/// hashes (`ack_reports`). Once `threshold` seats have spoken (committed or acknowledged), the
/// inputs close `Network::input_secs` later (`closes_at`, on the chain's clock). The epoch's input
/// is then the union of the sets held by at least `threshold` seats (`EpochInputs::included`):
/// every oracle reads the same account, so every honest oracle takes the same sets, and each of
/// those sets is held by at least one honest seat whenever fewer than `threshold` seats lie.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct EpochInputs {
    /// Layout version (`INPUTS_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// The epoch.
    pub epoch: u64,
    /// The oracle-set version the seats index; a rotation before the inputs close restarts them.
    pub set_version: u32,
    /// The set's threshold when the inputs (re)started: seats needed for the quorum and for a
    /// set to be included.
    pub threshold: u8,
    /// The oracle that created the account and paid its rent; `close_inputs` returns it.
    pub payer: Pubkey,
    /// Seats that committed a set.
    pub committed: u16,
    /// Seats that spoke (committed or acknowledged).
    pub spoke: u16,
    /// When the `threshold`-th seat spoke (0 = not yet).
    pub quorum_at: i64,
    /// `quorum_at + input_secs`: after this no commitment or acknowledgement is taken (0 = open
    /// until the quorum).
    pub closes_at: i64,
    /// The sets, by seat.
    pub sets: [ReportSet; MAX_ORACLES],
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 32],
}

impl EpochInputs {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Fresh inputs for `epoch` under the set `set_version` with its `threshold`.
    pub fn started(bump: u8, epoch: u64, set_version: u32, threshold: u8, payer: Pubkey) -> Self {
        Self {
            version: crate::constants::INPUTS_VERSION,
            bump,
            epoch,
            set_version,
            threshold,
            payer,
            committed: 0,
            spoke: 0,
            quorum_at: 0,
            closes_at: 0,
            sets: [ReportSet::default(); MAX_ORACLES],
            reserved: [0; 32],
        }
    }

    /// Whether commitments and acknowledgements are over at `now`.
    pub fn is_closed(&self, now: i64) -> bool {
        self.closes_at != 0 && now > self.closes_at
    }

    /// The included sets: committed and held by at least `threshold` seats.
    pub fn included(&self) -> u16 {
        let mut bits = 0u16;
        for (i, set) in self.sets.iter().enumerate() {
            let bit = 1u16 << i;
            if self.committed & bit != 0 && set.held_by.count_ones() >= u32::from(self.threshold) {
                bits |= bit;
            }
        }
        bits
    }

    /// Records that the seat `seat` spoke at `now`, holding the sets `held`; starts the close
    /// countdown at the quorum.
    pub fn record(&mut self, seat: usize, held: u16, now: i64, input_secs: u64) -> Result<()> {
        require!(seat < MAX_ORACLES, RewardsError::NotAnOracle);
        let bit = 1u16 << seat;
        for (i, set) in self.sets.iter_mut().enumerate() {
            if held & (1u16 << i) != 0 {
                set.held_by |= bit;
            }
        }
        self.spoke |= bit;
        if self.quorum_at == 0 && self.spoke.count_ones() >= u32::from(self.threshold) {
            let secs = i64::try_from(input_secs).map_err(|_| RewardsError::MathOverflow)?;
            self.quorum_at = now;
            self.closes_at = now.checked_add(secs).ok_or(RewardsError::MathOverflow)?;
        }
        Ok(())
    }

    /// Checked after every change: only committed sets are held, the committer holds its own,
    /// and the close time follows the quorum.
    pub fn invariant(&self) -> Result<()> {
        let mut holders_ok = true;
        for (i, set) in self.sets.iter().enumerate() {
            let bit = 1u16 << i;
            let committed = self.committed & bit != 0;
            holders_ok &= if committed {
                set.held_by & bit != 0 && self.spoke & bit != 0
            } else {
                set.held_by == 0 && set.hash == [0; 32]
            };
        }
        require!(
            holders_ok
                && self.committed & !self.spoke == 0
                && (self.quorum_at == 0) == (self.closes_at == 0)
                && self.closes_at >= self.quorum_at,
            RewardsError::InvariantViolated
        );
        Ok(())
    }
}

/// Checks `Network::input_secs` as initialisation and governance do: 1 s to a day, at most a
/// quarter of the epoch (with a dispute window of at most half an epoch, an epoch's root can
/// still become final within about one epoch of its end).
pub fn validate_input_secs(secs: u64, epoch_secs: u64) -> Result<()> {
    require!(
        (1..=crate::constants::MAX_INPUT_SECS).contains(&secs)
            && secs.saturating_mul(4) <= epoch_secs,
        RewardsError::InvalidInputWindow
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> EpochInputs {
        EpochInputs::started(255, 7, 1, 2, Pubkey::new_unique())
    }

    #[test]
    fn the_quorum_starts_the_countdown_and_included_needs_threshold_holders() {
        let mut x = inputs();
        x.committed = 0b01;
        x.sets[0].hash = [1; 32];
        x.record(0, 0b01, 100, 5).unwrap();
        assert_eq!((x.quorum_at, x.closes_at, x.included()), (0, 0, 0));
        x.record(2, 0b01, 103, 5).unwrap();
        assert_eq!((x.quorum_at, x.closes_at, x.included()), (103, 108, 0b01));
        assert!(!x.is_closed(108));
        assert!(x.is_closed(109));
        x.invariant().unwrap();
        // A later speaker does not move the close.
        x.record(1, 0b01, 105, 5).unwrap();
        assert_eq!(x.closes_at, 108);
    }

    #[test]
    fn input_secs_bounds() {
        assert!(validate_input_secs(0, 100).is_err());
        assert!(validate_input_secs(25, 100).is_ok());
        assert!(validate_input_secs(26, 100).is_err());
        assert!(validate_input_secs(86_401, 10_000_000).is_err());
    }
}
