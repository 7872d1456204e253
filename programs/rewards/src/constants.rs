//! PDA seeds and protocol limits. Seeds live here and nowhere else.

/// Seed of the network config PDA: `["network"]`. It is also the mint authority.
pub const NETWORK_SEED: &[u8] = b"network";
/// Seed of the network token mint PDA: `["mint"]`.
pub const MINT_SEED: &[u8] = b"mint";

/// Layout version written into new `Network` accounts.
pub const NETWORK_VERSION: u8 = 1;
/// The most decimals the network token may have (the SPL convention for 64-bit amounts).
pub const MAX_DECIMALS: u8 = 9;
