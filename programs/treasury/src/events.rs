use anchor_lang::prelude::*;

/// The treasury was configured. Emitted once, by `initialize_treasury`.
#[event]
pub struct TreasuryInitialized {
    /// The treasury config PDA.
    pub treasury: Pubkey,
    /// Governance: may change parameters (through the timelock).
    pub authority: Pubkey,
    /// The network token that buybacks buy and burn.
    pub network_mint: Pubkey,
    /// Share of revenue for buyback and burn, in basis points.
    pub buyback_bps: u16,
    /// Share of revenue for stakers, in basis points.
    pub stakers_bps: u16,
    /// Share of revenue for operations, in basis points.
    pub operations_bps: u16,
    /// Delay between proposing and applying a parameter change.
    pub timelock_secs: u64,
    /// Unix time of creation.
    pub timestamp: i64,
}
