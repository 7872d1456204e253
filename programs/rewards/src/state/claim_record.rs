use anchor_lang::prelude::*;

/// What one wallet has claimed so far. PDA `["claim", wallet]`, created on the first claim.
/// Deliberately tiny (8 + 9 bytes): it is paid for once per wallet.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct ClaimRecord {
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// The cumulative amount paid to the wallet; a claim pays `cumulative - claimed`.
    pub claimed: u64,
}

impl ClaimRecord {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;
}
