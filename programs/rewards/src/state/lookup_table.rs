use anchor_lang::prelude::*;

/// The network's address lookup table, as `create_lookup_table` made it. PDA `["lut"]`, one per
/// network. The table itself belongs to the address lookup table program; it was frozen in the
/// instruction that created it, so its addresses can never change and nobody can close it.
/// Clients read this record to find the table and compile v0 transactions with it.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct LookupTable {
    /// Layout version (`LUT_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// The table's address (derived by the lookup table program from the authority
    /// `["lut_authority"]` and `recent_slot`).
    pub address: Pubkey,
    /// The slot its address was derived from.
    pub recent_slot: u64,
    /// How many addresses it holds (`create_lookup_table::table_addresses`).
    pub len: u8,
}

impl LookupTable {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;
}
