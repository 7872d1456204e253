use anchor_lang::prelude::*;

use crate::state::VotingMode;

/// Staking was configured. Emitted once, by `initialize_staking`.
#[event]
pub struct StakingInitialized {
    /// The staking config PDA.
    pub config: Pubkey,
    /// Governance: may change parameters (through the timelock).
    pub authority: Pubkey,
    /// The token that is locked (the network token).
    pub stake_mint: Pubkey,
    /// The vault that holds every locked token.
    pub vault: Pubkey,
    /// SPL Token or Token-2022: the program that owns `stake_mint`.
    pub token_program: Pubkey,
    /// Longest lockup; locking this long earns the maximum multiplier.
    pub max_lockup_secs: u64,
    /// Multiplier at `max_lockup_secs`, in basis points (10,000 = 1x).
    pub max_multiplier_bps: u32,
    /// Linear or quadratic voting weight.
    pub voting_mode: VotingMode,
    /// Delay between unstaking and withdrawal.
    pub cooldown_secs: u64,
    /// Collateral a device owner must lock per device.
    pub min_device_collateral: u64,
    /// Unix time of creation.
    pub timestamp: i64,
}
