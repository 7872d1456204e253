use anchor_lang::prelude::*;

/// The network was created. Emitted once, by `initialize_network`.
#[event]
pub struct NetworkInitialized {
    /// The network config PDA (also the mint authority).
    pub network: Pubkey,
    /// Governance: may change parameters (through the timelock).
    pub authority: Pubkey,
    /// The network token mint.
    pub mint: Pubkey,
    /// SPL Token or Token-2022: the program that owns `mint`.
    pub token_program: Pubkey,
    /// Decimals of the network token.
    pub decimals: u8,
    /// Hard cap on the token's total supply, in base units.
    pub max_supply: u64,
    /// Unix time of creation.
    pub timestamp: i64,
}
