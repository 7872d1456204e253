//! The one field of the rewards program's `Network` account that staking reads: how many epochs
//! have a final reward root (`final_root.epochs`), which ends a released device's liability
//! (`Position::liable_until_epochs`). Parsed from the bytes so that staking does not link the
//! rewards crate; the program tests check the offset against `rewards::state::Network`.

/// `sha256("account:Network")[..8]`: the rewards program's Anchor discriminator.
pub const NETWORK_DISCRIMINATOR: [u8; 8] = [51, 5, 209, 183, 60, 99, 156, 251];
/// Offset of `final_root.epochs` (u64 LE): the discriminator, five u8, four keys, `max_supply`
/// and `total_minted`, the emission (4 × 8) and mint window (4 × 8), then nine u64 fields.
pub const FINAL_EPOCHS_AT: usize = 8 + 5 + 4 * 32 + 2 * 8 + 32 + 32 + 9 * 8;

/// The network's count of final epochs; `None` if `data` is not a `Network`.
pub fn final_epochs(data: &[u8]) -> Option<u64> {
    if data.get(..8)? != NETWORK_DISCRIMINATOR {
        return None;
    }
    let bytes = data.get(FINAL_EPOCHS_AT..FINAL_EPOCHS_AT + 8)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}
