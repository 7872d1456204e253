use anchor_lang::prelude::*;

use crate::constants::{OFFENCE_WINDOW_EPOCHS, SLASH_GRACE_EPOCHS};
use crate::math::emission::EmissionSchedule;

/// What a device does: it picks the oracle's verifier.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    /// Wireless coverage: heartbeats, speedtests, proof-of-coverage witnesses.
    Connectivity,
    /// GPU or storage work: customer-signed job receipts.
    Compute,
}

/// Where a device stands.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStatus {
    Active,
    /// Retired by its owner. The account stays, so the key can never be onboarded again.
    Decommissioned,
}

/// A registered device. PDA `["device", device key]`: at most one per key. 8 + 243 bytes, rent
/// 2,637,840 lamports (0.0026 SOL); no NFT. The device key is stored (not only in the seeds)
/// so the oracle can sync the registry from `getProgramAccounts`.
///
/// The account also keeps what an oracle needs to rebuild the registry as it stood at the end
/// of any epoch whose root is not yet final (docs/oracle-agreement.md, "The registry"): the
/// onboarding time, the current owner's start and the owner before it, the current location's
/// start and the location before it, and the decommissioning time. `transfer_device` refuses to
/// overwrite `prev_owner` while an epoch that pays it is not final, and `update_location`
/// `prev_location` while an epoch scored with it is not final, so every oracle, whenever it
/// reads, rebuilds the same owner and cell for every such epoch.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Device {
    /// Canonical bump of this PDA.
    pub bump: u8,
    pub kind: DeviceKind,
    pub status: DeviceStatus,
    /// The device's own key: it signs the device's reports to the oracle.
    pub device: Pubkey,
    /// The wallet that owns the device and receives its rewards.
    pub owner: Pubkey,
    /// The maker that co-signed the onboarding.
    pub maker: Pubkey,
    /// The owner's staking position that holds this device's collateral
    /// (`min_device_collateral`, bound by `onboard_device`, moved by `transfer_device`, released
    /// by `decommission_device`).
    pub position: Pubkey,
    /// Asserted location: an H3 cell index.
    pub location: u64,
    /// Unix time of onboarding.
    pub onboarded_at: i64,
    /// Unix time the current owner took the device: `onboarded_at`, then the last transfer's.
    /// An epoch that ends after it pays `owner`; one that ends at or before it, `prev_owner`.
    pub owner_since: i64,
    /// The owner before the last transfer (`owner` until the first one).
    pub prev_owner: Pubkey,
    /// Unix time of `decommission_device` (0 while active). An epoch that ends after it does
    /// not score the device.
    pub decommissioned_at: i64,
    /// The position that held the collateral before the last transfer (`position` until the
    /// first one): an offence of `prev_owner` is charged to it, so a transfer does not take
    /// the offender out of reach (docs/staking.md, "Slashing"). Its released collateral stays
    /// liable there (`Position::liable_until_epochs`), then waits out the cooldown.
    pub prev_position: Pubkey,
    /// The asserted location before the last `update_location` (`location` until the first
    /// one). An epoch that started before `location_since` is scored with it.
    pub prev_location: u64,
    /// Unix time `location` was asserted: `onboarded_at`, then the last `update_location`'s.
    /// An epoch that starts at or after it is scored with `location`.
    pub location_since: i64,
}

impl Device {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Whether a transfer now would overwrite a `prev_owner` (and `prev_position`) that is still
    /// needed. The last transfer happened in epoch `c`: epochs before `c` ended at or before it
    /// and pay `prev_owner`, so the oracles need it until they are final. An offence in the
    /// slashing window holding epoch `c - 1` is charged to `prev_position`, so the window's
    /// epochs and [`SLASH_GRACE_EPOCHS`] more must be final too: until then every oracle reads
    /// the same position to charge, and the slash can be proposed. A device never transferred
    /// has `prev_owner == owner`, which nothing needs.
    pub fn prev_owner_needed(&self, schedule: &EmissionSchedule, final_epochs: u64) -> bool {
        if self.prev_owner == self.owner {
            return false;
        }
        schedule
            .epoch_at(self.owner_since)
            .is_some_and(|c| final_epochs < prev_owner_kept_until(c))
    }

    /// The cell epoch `n` (starting at `epoch_start`) is scored with: `location` if the epoch
    /// started at or after `location_since`, else `prev_location` (docs/rewards-rules.md,
    /// "Location updates").
    pub fn location_for_epoch(&self, epoch_start: i64) -> u64 {
        if epoch_start >= self.location_since {
            self.location
        } else {
            self.prev_location
        }
    }

    /// Whether an `update_location` now would overwrite a `prev_location` that is still needed:
    /// the epochs that started before `location_since` are scored with it
    /// ([`prev_location_kept_until`]), so the oracles need it until they are all final. A device
    /// whose location never changed has `prev_location == location`, which nothing needs.
    pub fn prev_location_needed(&self, schedule: &EmissionSchedule, final_epochs: u64) -> bool {
        if self.prev_location == self.location {
            return false;
        }
        final_epochs < prev_location_kept_until(schedule, self.location_since)
    }

    /// Whether the location was updated already in the epoch holding `now` (the time before
    /// epoch 0 counting as one epoch): at most one update per epoch.
    pub fn location_updated_in_epoch_of(&self, schedule: &EmissionSchedule, now: i64) -> bool {
        self.prev_location != self.location
            && schedule.epoch_at(now) == schedule.epoch_at(self.location_since)
    }
}

/// How many epochs must be final before the `prev_location` of a device whose location changed
/// at `since` may be overwritten: the epochs that started before `since`, i.e. those up to the
/// one holding `since`, or up to the one before it if `since` is that epoch's very start; none
/// if `since` is before epoch 0. Saturates.
pub fn prev_location_kept_until(schedule: &EmissionSchedule, since: i64) -> u64 {
    let Some(c) = schedule.epoch_at(since) else {
        return 0;
    };
    if schedule.epoch_start(c) == Some(since) {
        c
    } else {
        c.saturating_add(1)
    }
}

/// How many epochs must be final before a device transferred in epoch `c` changes hands again:
/// none if no epoch paid the previous owner (`c == 0`), else those up to the end of the offence
/// window holding epoch `c - 1`, and [`SLASH_GRACE_EPOCHS`] more. Saturates.
pub fn prev_owner_kept_until(c: u64) -> u64 {
    if c == 0 {
        return 0;
    }
    let window_end = ((c - 1) / OFFENCE_WINDOW_EPOCHS + 1).saturating_mul(OFFENCE_WINDOW_EPOCHS);
    window_end.saturating_add(SLASH_GRACE_EPOCHS)
}

/// A hardware maker approved by governance. PDA `["maker", maker key]`.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Maker {
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Whether the maker may co-sign onboardings (governance revokes by clearing it).
    pub active: bool,
    /// The maker's signing key.
    pub key: Pubkey,
    /// Devices it has onboarded.
    pub devices: u64,
    /// Unix time of the last approval.
    pub approved_at: i64,
}

impl Maker {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;
}

/// The H3 base cells that are pentagons.
const PENTAGON_BASE_CELLS: [u64; 12] = [4, 14, 24, 38, 49, 58, 63, 72, 83, 97, 107, 117];

/// Whether `cell` is a valid H3 cell index, exactly as the oracles' H3 library (h3o) decides:
/// the high bit and the mode's 3 reserved bits clear, mode 1 (cell), base cell 0..=121, the
/// digits within the resolution directions 0..=6 and every digit past it 7 (unused), and on a
/// pentagon base cell no leading K-axis digit (1: the deleted sub-sequence). A cell the oracles
/// could not read would stop their registry sync, so the program never stores one.
pub fn is_h3_cell(cell: u64) -> bool {
    let reserved = (cell >> 56) & 0b1000_0111;
    let mode = (cell >> 59) & 0xf;
    let resolution = (cell >> 52) & 0xf;
    let base_cell = (cell >> 45) & 0x7f;
    if reserved != 0 || mode != 1 || base_cell > 121 {
        return false;
    }
    // Digits 1..=15 occupy 3 bits each from bit 42 down.
    let digit = |i: u64| (cell >> (45 - 3 * i)) & 0x7;
    if !(1..=15u64).all(|i| (i <= resolution) == (digit(i) != 7)) {
        return false;
    }
    !PENTAGON_BASE_CELLS.contains(&base_cell)
        || (1..=resolution).map(digit).find(|d| *d != 0) != Some(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Transferred in epoch 4: epoch 3 paid the previous owner, its offence window is 3-5, so
    /// epochs 0-5 and three more must be final. In epoch 0: nothing.
    #[test]
    fn the_previous_owner_is_kept_through_its_offence_window_and_the_grace() {
        assert_eq!(prev_owner_kept_until(0), 0);
        assert_eq!(prev_owner_kept_until(1), 6);
        assert_eq!(prev_owner_kept_until(3), 6);
        assert_eq!(prev_owner_kept_until(4), 9);
        assert_eq!(prev_owner_kept_until(6), 9);
        assert_eq!(prev_owner_kept_until(7), 12);
        assert_eq!(prev_owner_kept_until(u64::MAX), u64::MAX);
    }

    fn schedule() -> EmissionSchedule {
        EmissionSchedule {
            start_ts: 1_000,
            epoch_secs: 100,
            initial_epoch_emission: 1,
            halving_interval_epochs: 1,
        }
    }

    /// Epochs of 100 s from 1,000: a location asserted at an epoch's start is that epoch's; one
    /// asserted later in it counts from the next epoch, so that epoch must be final too.
    #[test]
    fn the_previous_location_is_kept_until_the_epochs_scored_with_it_are_final() {
        let s = schedule();
        assert_eq!(prev_location_kept_until(&s, 999), 0);
        assert_eq!(prev_location_kept_until(&s, 1_000), 0);
        assert_eq!(prev_location_kept_until(&s, 1_001), 1);
        assert_eq!(prev_location_kept_until(&s, 1_099), 1);
        assert_eq!(prev_location_kept_until(&s, 1_100), 1);
        assert_eq!(prev_location_kept_until(&s, 1_150), 2);
        assert_eq!(
            prev_location_kept_until(&s, i64::MAX),
            92_233_720_368_547_749
        );
    }

    #[test]
    fn an_epoch_is_scored_with_the_cell_asserted_by_its_start() {
        let d = Device {
            bump: 0,
            kind: DeviceKind::Connectivity,
            status: DeviceStatus::Active,
            device: Pubkey::default(),
            owner: Pubkey::default(),
            maker: Pubkey::default(),
            position: Pubkey::default(),
            location: 2,
            onboarded_at: 0,
            owner_since: 0,
            prev_owner: Pubkey::default(),
            decommissioned_at: 0,
            prev_position: Pubkey::default(),
            prev_location: 1,
            location_since: 1_150,
        };
        let s = schedule();
        assert_eq!(d.location_for_epoch(1_100), 1);
        assert_eq!(d.location_for_epoch(1_200), 2);
        assert!(d.prev_location_needed(&s, 1));
        assert!(!d.prev_location_needed(&s, 2));
        assert!(d.location_updated_in_epoch_of(&s, 1_199));
        assert!(!d.location_updated_in_epoch_of(&s, 1_200));
        let never = Device {
            prev_location: 2,
            ..d
        };
        assert!(!never.prev_location_needed(&s, 0));
        assert!(!never.location_updated_in_epoch_of(&s, 1_150));
    }

    #[test]
    fn h3_cells() {
        // Real cells (from the H3 reference): San Francisco at resolution 9 and a res-0 cell.
        assert!(is_h3_cell(0x0892_8308_ae03_ffff));
        assert!(is_h3_cell(0x0800_1fff_ffff_ffff));
        assert!(!is_h3_cell(0));
        // Mode 2 (a directed edge) is not a cell.
        assert!(!is_h3_cell(0x0112_8308_ae03_ffff));
        // An unused digit that is not 7.
        assert!(!is_h3_cell(0x0892_8308_ae03_fff8));
        // Base cell 122 does not exist.
        assert!(!is_h3_cell(0x080f_5fff_ffff_ffff));
        assert!(is_h3_cell(0x080f_3fff_ffff_ffff)); // base cell 121
        // The reserved bit.
        assert!(!is_h3_cell(0x0892_8308_ae03_ffff | (1 << 63)));
        // The mode's reserved bits (56..=58).
        assert!(!is_h3_cell(0x0992_8308_ae03_ffff));
        // A digit 7 within the resolution (digit 9 of the SF cell).
        assert!(!is_h3_cell(0x0892_8308_ae03_ffff | (7 << 18)));
        // Pentagon base cell 4 at resolution 1: digit 1 is the deleted K axis; 0 and 2 exist.
        let pentagon = |d: u64| (1 << 59) | (1 << 52) | (4 << 45) | (d << 42) | ((1 << 42) - 1);
        assert!(!is_h3_cell(pentagon(1)));
        assert!(is_h3_cell(pentagon(0)));
        assert!(is_h3_cell(pentagon(2)));
    }

    /// The program agrees with the oracles' H3 library on every index tried: random values, and
    /// values built to be near-valid (a cell's fields with one of them perturbed).
    #[test]
    fn h3_cells_agree_with_h3o() {
        use proptest::prelude::*;
        let near_valid = (0u64..16, 0u64..128, any::<u64>(), 0u64..8, 0u64..16).prop_map(
            |(res, base, digits, reserved, mode)| {
                let used = digits & ((1u64 << (3 * res)) - 1);
                let unused = (1u64 << (3 * (15 - res))) - 1;
                (mode << 59)
                    | (reserved << 56)
                    | (res << 52)
                    | (base << 45)
                    | (used << (3 * (15 - res)))
                    | unused
            },
        );
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 20_000,
            ..Default::default()
        });
        let check = |v: u64| {
            prop_assert_eq!(
                is_h3_cell(v),
                h3o::CellIndex::try_from(v).is_ok(),
                "{:#x}",
                v
            );
            Ok(())
        };
        let both = prop_oneof![any::<u64>(), near_valid];
        let result = runner.run(&both, check);
        assert!(result.is_ok(), "{result:?}");
    }
}
