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
    /// 6007
    #[msg("arithmetic overflow")]
    MathOverflow,
    /// 6008
    #[msg("lockup_secs exceeds max_lockup_secs")]
    InvalidLockup,
    /// 6009
    #[msg("the amount must be greater than zero")]
    ZeroAmount,
    /// 6010
    #[msg("the mint is not the config's mint")]
    WrongMint,
    /// 6011
    #[msg("the vault is not the config's vault")]
    WrongVault,
    /// 6012
    #[msg("the token program is not the one that owns the mint")]
    WrongTokenProgram,
    /// 6013
    #[msg("the signer does not own this position")]
    NotPositionOwner,
    /// 6014
    #[msg("a lock can only be extended, never shortened")]
    LockCannotShorten,
    /// 6015
    #[msg("the position is already unlocking (cliff kind)")]
    AlreadyUnlocking,
    /// 6016
    #[msg("the position is still locked")]
    StillLocked,
    /// 6017
    #[msg("the amount exceeds the position's locked tokens")]
    InsufficientLocked,
    /// 6018
    #[msg("the amount would leave less than the collateral bound to devices")]
    CollateralBound,
    /// 6019
    #[msg("a slash against this position is pending")]
    SlashPending,
    /// 6020
    #[msg("the unstaking cooldown has not ended")]
    CooldownNotOver,
    /// 6021
    #[msg("the amount exceeds the tokens past unstaking")]
    InsufficientCooling,
    /// 6022
    #[msg("the signer is not the config's authority")]
    NotAuthority,
    /// 6023
    #[msg("the revenue vault is not the config's (or revenue is not initialised)")]
    WrongRevenueVault,
    /// 6024
    #[msg("no revenue to claim")]
    NothingToClaim,
    /// 6025
    #[msg("amount_bps must be between 1 and the config's max_slash_bps")]
    InvalidSlashBps,
    /// 6026
    #[msg("fewer than threshold distinct oracles signed the slash message")]
    NotEnoughOracleSignatures,
    /// 6027
    #[msg("the account is not the rewards program's oracle set")]
    WrongOracleSet,
    /// 6028
    #[msg("no slash is pending against this position")]
    NoPendingSlash,
    /// 6029
    #[msg("the appeal window is still open")]
    AppealWindowOpen,
    /// 6030
    #[msg("the appeal window has closed")]
    AppealWindowClosed,
    /// 6031
    #[msg("the signer is not the rewards program's collateral authority PDA")]
    NotCollateralAuthority,
    /// 6032
    #[msg("no device is bound to this position")]
    NoBoundDevices,
    /// 6033
    #[msg("the position's locked tokens do not cover min_device_collateral for one more device")]
    InsufficientCollateral,
    /// 6034
    #[msg("appeal_secs must be between 1 second and 30 days")]
    InvalidAppealWindow,
    /// 6035
    #[msg("max_slash_bps must be between 1 and 5,000")]
    InvalidMaxSlash,
    /// 6036
    #[msg("a position account is not a position of this owner, or is out of id order")]
    WrongPosition,
    /// 6037
    #[msg("the token account is not owned by the position's owner")]
    WrongTokenAccountOwner,
    /// 6038
    #[msg("revenue is already initialised")]
    RevenueAlreadyInitialized,
}
