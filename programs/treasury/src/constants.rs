//! PDA seeds and protocol limits. Seeds live here and nowhere else.

/// Seed of the treasury config PDA: `["treasury"]`.
pub const TREASURY_SEED: &[u8] = b"treasury";

/// Layout version written into new `Treasury` accounts.
pub const TREASURY_VERSION: u8 = 1;
/// The shortest governance timelock: 1 hour. Zero would defeat the timelock.
pub const MIN_TIMELOCK_SECS: u64 = 3_600;
/// The longest governance timelock: 30 days.
pub const MAX_TIMELOCK_SECS: u64 = 30 * 86_400;
