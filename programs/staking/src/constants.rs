//! PDA seeds and protocol limits. Seeds live here and nowhere else.

/// Seed of the staking config PDA: `["config"]`. It owns the vault.
pub const CONFIG_SEED: &[u8] = b"config";
/// Seed of the vault token account PDA: `["vault"]`; holds every locked token.
pub const VAULT_SEED: &[u8] = b"vault";

/// Layout version written into new `StakingConfig` accounts.
pub const CONFIG_VERSION: u8 = 1;
/// 1.0x, in basis points.
pub const ONE_X_BPS: u32 = 10_000;
/// The largest lockup multiplier governance may set: 100x (Helium's maximum).
pub const MAX_MULTIPLIER_CAP_BPS: u32 = 1_000_000;
/// The longest lockup governance may allow: 10 years.
pub const MAX_LOCKUP_CAP_SECS: u64 = 10 * 365 * 86_400;
/// The longest unstaking cooldown governance may set: 1 year.
pub const MAX_COOLDOWN_SECS: u64 = 365 * 86_400;
