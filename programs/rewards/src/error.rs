use anchor_lang::prelude::*;

/// Errors of the rewards program. Codes start at 6000 and are stable: never reorder, only append.
#[error_code]
pub enum RewardsError {
    /// 6000
    #[msg("the signer is not this program's upgrade authority")]
    NotUpgradeAuthority,
    /// 6001
    #[msg("program_data is not this program's ProgramData account")]
    InvalidProgramData,
    /// 6002
    #[msg("decimals must be at most 9")]
    InvalidDecimals,
    /// 6003
    #[msg("max_supply must be greater than zero")]
    ZeroMaxSupply,
    /// 6004
    #[msg("the authority must not be the default (all-zero) pubkey")]
    InvalidAuthority,
    /// 6005
    #[msg("a state invariant does not hold")]
    InvariantViolated,
}
