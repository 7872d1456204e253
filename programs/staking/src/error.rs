use anchor_lang::prelude::*;

/// Errors of the staking program. Codes start at 7000 (rewards 6000, treasury 8000, so a code
/// names its program) and are stable: never reorder, only append.
#[error_code(offset = 7000)]
pub enum StakingError {
    /// 7000
    #[msg("the signer is not this program's upgrade authority")]
    NotUpgradeAuthority,
    /// 7001
    #[msg("program_data is not this program's ProgramData account")]
    InvalidProgramData,
    /// 7002
    #[msg("the authority must not be the default (all-zero) pubkey")]
    InvalidAuthority,
    /// 7003
    #[msg("max_lockup_secs must be between 1 second and 10 years")]
    InvalidMaxLockup,
    /// 7004
    #[msg("max_multiplier_bps must be between 10,000 (1x) and 1,000,000 (100x)")]
    InvalidMaxMultiplier,
    /// 7005
    #[msg("cooldown_secs must be 3 days to 1 year")]
    InvalidCooldown,
    /// 7006
    #[msg("a state invariant does not hold")]
    InvariantViolated,
    /// 7007
    #[msg("arithmetic overflow")]
    MathOverflow,
    /// 7008
    #[msg("lockup_secs exceeds max_lockup_secs")]
    InvalidLockup,
    /// 7009
    #[msg("the amount must be greater than zero")]
    ZeroAmount,
    /// 7010
    #[msg("the mint is not the config's mint")]
    WrongMint,
    /// 7011
    #[msg("the vault is not the config's vault")]
    WrongVault,
    /// 7012
    #[msg("the token program is not the one that owns the mint")]
    WrongTokenProgram,
    /// 7013
    #[msg("the signer does not own this position")]
    NotPositionOwner,
    /// 7014
    #[msg("a lock can only be extended, never shortened")]
    LockCannotShorten,
    /// 7015
    #[msg("the position is already unlocking (cliff kind)")]
    AlreadyUnlocking,
    /// 7016
    #[msg("the position is still locked")]
    StillLocked,
    /// 7017
    #[msg("the amount exceeds the position's locked tokens")]
    InsufficientLocked,
    /// 7018
    #[msg("the amount would leave less than the collateral bound to devices")]
    CollateralBound,
    /// 7019
    #[msg("a slash against this position is pending")]
    SlashPending,
    /// 7020
    #[msg("the unstaking cooldown has not ended")]
    CooldownNotOver,
    /// 7021
    #[msg("the amount exceeds the tokens past unstaking")]
    InsufficientCooling,
    /// 7022
    #[msg("the signer is not the config's authority")]
    NotAuthority,
    /// 7023
    #[msg("the revenue vault is not the config's (or revenue is not initialised)")]
    WrongRevenueVault,
    /// 7024
    #[msg("no revenue to claim")]
    NothingToClaim,
    /// 7025
    #[msg("amount_bps must be between 1 and the config's max_slash_bps")]
    InvalidSlashBps,
    /// 7026
    #[msg("fewer than threshold distinct oracles signed the slash message")]
    NotEnoughOracleSignatures,
    /// 7027
    #[msg("the account is not the rewards program's oracle set")]
    WrongOracleSet,
    /// 7028
    #[msg("no slash is pending against this position")]
    NoPendingSlash,
    /// 7029
    #[msg("the appeal window is still open")]
    AppealWindowOpen,
    /// 7030
    #[msg("the appeal window has closed")]
    AppealWindowClosed,
    /// 7031
    #[msg("the signer is not the rewards program's collateral authority PDA")]
    NotCollateralAuthority,
    /// 7032
    #[msg("no device is bound to this position")]
    NoBoundDevices,
    /// 7033
    #[msg("the position's locked tokens do not cover min_device_collateral for one more device")]
    InsufficientCollateral,
    /// 7034
    #[msg("appeal_secs must be between 1 second and 30 days")]
    InvalidAppealWindow,
    /// 7035
    #[msg("max_slash_bps must be between 1 and 5,000")]
    InvalidMaxSlash,
    /// 7036
    #[msg("a position account is not a position of this owner, or is out of id order")]
    WrongPosition,
    /// 7037
    #[msg("the token account is not owned by the position's owner")]
    WrongTokenAccountOwner,
    /// 7038
    #[msg("revenue is already initialised")]
    RevenueAlreadyInitialized,
    /// 7039
    #[msg("the mint has a transfer fee (Token-2022 TransferFeeConfig)")]
    MintHasTransferFee,
    /// 7040
    #[msg("the mint has a transfer hook (Token-2022 TransferHook)")]
    MintHasTransferHook,
    /// 7041
    #[msg("the mint has a permanent delegate (Token-2022 PermanentDelegate)")]
    MintHasPermanentDelegate,
    /// 7042
    #[msg("the mint allows confidential transfers (Token-2022 ConfidentialTransferMint)")]
    MintHasConfidentialTransfer,
    /// 7043
    #[msg("new accounts of the mint start frozen (Token-2022 DefaultAccountState)")]
    MintFrozenByDefault,
    /// 7044
    #[msg("the mint carries a Token-2022 extension revenue coins may not have")]
    UnsupportedMintExtension,
    /// 7045
    #[msg("the account is not a valid mint")]
    MalformedMint,
    /// 7046
    #[msg("the staker account is not the position owner's")]
    WrongStaker,
    /// 7047
    #[msg(
        "the voting weight needs every one of the owner's positions (pass them all, or tally them first with tally_positions)"
    )]
    IncompleteTally,
    /// 7048
    #[msg("timelock_secs must be one hour to thirty days")]
    InvalidTimelock,
    /// 7049
    #[msg("the timelock has not passed yet")]
    TimelockActive,
    /// 7050
    #[msg("the change expired: it was not applied within its grace period")]
    ChangeExpired,
    /// 7051
    #[msg("the rent receiver is not the change's proposer")]
    WrongProposer,
    /// 7052
    #[msg("revenue_stream_secs must be at most thirty days")]
    InvalidStream,
    /// 7053
    #[msg("the mint has a close authority (Token-2022 MintCloseAuthority)")]
    MintHasCloseAuthority,
    /// 7054
    #[msg(
        "the owner has votes in the realm not relinquished yet: relinquish them (spl-governance RelinquishVote) before unstaking or withdrawing"
    )]
    VotesNotRelinquished,
    /// 7055
    #[msg(
        "the token owner record is not spl-governance's record of this owner in the config's realm"
    )]
    WrongTokenOwnerRecord,
    /// 7056
    #[msg("the voter-weight record is not for the config's realm and the stake mint")]
    WrongRealm,
    /// 7057
    #[msg(
        "the realm is not an spl-governance realm of the stake mint (pass it as the first remaining account)"
    )]
    InvalidRealm,
    /// 7058
    #[msg("this evidence was already proposed against this position")]
    SlashAlreadyProposed,
    /// 7059
    #[msg(
        "no new approval: no signature in this transaction by an unslashed oracle set member that had not approved this slash"
    )]
    NoNewSlashApproval,
    /// 7060
    #[msg("the rewards network account is not the rewards program's network")]
    WrongRewardsNetwork,
    /// 7061
    #[msg("the minimum collateral per device must be above 0")]
    InvalidMinDeviceCollateral,
}

impl From<depin_common::timelock::TimelockError> for StakingError {
    /// The shared timelock's refusals, as this program's codes.
    fn from(e: depin_common::timelock::TimelockError) -> Self {
        use depin_common::timelock::TimelockError;
        match e {
            TimelockError::InvalidDelay => Self::InvalidTimelock,
            TimelockError::NotDue => Self::TimelockActive,
            TimelockError::Expired => Self::ChangeExpired,
            TimelockError::Overflow => Self::MathOverflow,
        }
    }
}

impl From<depin_common::token::MintRefusal> for StakingError {
    /// Why a mint may not be the revenue coin, as this program's codes.
    fn from(refusal: depin_common::token::MintRefusal) -> Self {
        use depin_common::token::MintRefusal;
        match refusal {
            MintRefusal::TransferFee => Self::MintHasTransferFee,
            MintRefusal::TransferHook => Self::MintHasTransferHook,
            MintRefusal::PermanentDelegate => Self::MintHasPermanentDelegate,
            MintRefusal::ConfidentialTransfer => Self::MintHasConfidentialTransfer,
            MintRefusal::FrozenByDefault => Self::MintFrozenByDefault,
            MintRefusal::CloseAuthority => Self::MintHasCloseAuthority,
            MintRefusal::Unsupported(_) => Self::UnsupportedMintExtension,
            MintRefusal::Malformed => Self::MalformedMint,
        }
    }
}
