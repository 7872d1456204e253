use anchor_lang::prelude::*;

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

/// A registered device. PDA `["device", device key]`: at most one per key. 8 + 147 bytes, rent
/// 1,969,680 lamports (0.00197 SOL); no NFT. The device key is stored (not only in the seeds)
/// so the oracle can sync the registry from `getProgramAccounts`.
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
}

impl Device {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;
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

/// Whether `cell` is a valid H3 cell index: reserved bit clear, mode 1 (cell), resolution 0..=15,
/// base cell 0..=121, and every digit past the resolution set to 7 (unused).
pub fn is_h3_cell(cell: u64) -> bool {
    let reserved = cell >> 63;
    let mode = (cell >> 59) & 0xf;
    let resolution = (cell >> 52) & 0xf;
    let base_cell = (cell >> 45) & 0x7f;
    if reserved != 0 || mode != 1 || base_cell > 121 {
        return false;
    }
    // Digits 1..=15 occupy 3 bits each from bit 42 down; those past the resolution must be 7.
    (1..=15u64).all(|digit| {
        let value = (cell >> (45 - 3 * digit)) & 0x7;
        digit <= resolution || value == 7
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
