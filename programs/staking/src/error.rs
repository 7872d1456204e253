use anchor_lang::prelude::*;

/// Errors of the staking program. Codes start at 6000 and are stable: never reorder, only append.
#[error_code]
pub enum StakingError {
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
    #[msg("max_lockup_secs must be between 1 second and 10 years")]
    InvalidMaxLockup,
    /// 6004
    #[msg("max_multiplier_bps must be between 10,000 (1x) and 1,000,000 (100x)")]
    InvalidMaxMultiplier,
    /// 6005
    #[msg("cooldown_secs must be at most 1 year")]
    InvalidCooldown,
    /// 6006
    #[msg("a state invariant does not hold")]
    InvariantViolated,
}
