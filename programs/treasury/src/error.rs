use anchor_lang::prelude::*;

/// Errors of the treasury program. Codes start at 6000 and are stable: never reorder, only append.
#[error_code]
pub enum TreasuryError {
    /// 6000
    #[msg("the signer is not this program's upgrade authority")]
    NotUpgradeAuthority,
    /// 6001
    #[msg("program_data is not this program's ProgramData account")]
    InvalidProgramData,
    /// 6002
    #[msg("the authority must not be the default (all-zero) pubkey")]
    InvalidAuthority,
    /// 6003
    #[msg("the revenue split must add up to exactly 10,000 basis points")]
    InvalidSplit,
    /// 6004
    #[msg("timelock_secs must be between 1 hour and 30 days")]
    InvalidTimelock,
    /// 6005
    #[msg("a state invariant does not hold")]
    InvariantViolated,
}
