use anchor_lang::prelude::*;

/// Errors of the treasury program. Codes start at 8000 (rewards 6000, staking 7000, so a code
/// names its program) and are stable: never reorder, only append.
#[error_code(offset = 8000)]
pub enum TreasuryError {
    /// 8000
    #[msg("the signer is not this program's upgrade authority")]
    NotUpgradeAuthority,
    /// 8001
    #[msg("program_data is not this program's ProgramData account")]
    InvalidProgramData,
    /// 8002
    #[msg("the authority must not be the default (all-zero) pubkey")]
    InvalidAuthority,
    /// 8003
    #[msg("the revenue split must add up to exactly 10,000 basis points")]
    InvalidSplit,
    /// 8004
    #[msg("timelock_secs must be between 1 hour and 30 days")]
    InvalidTimelock,
    /// 8005
    #[msg("a state invariant does not hold")]
    InvariantViolated,
    /// 8006
    #[msg("the signer is not the treasury's governance authority")]
    NotAuthority,
    /// 8007
    #[msg(
        "price parameters out of range (max age 1..=3600 s, confidence <= 10%, k <= 5, slippage <= 20%)"
    )]
    InvalidPriceConfig,
    /// 8008
    #[msg(
        "buyback parameters out of range (epoch 1 hour..=30 days, AMM program not the default key)"
    )]
    InvalidBuybackConfig,
    /// 8009
    #[msg("the amount must be greater than zero")]
    ZeroAmount,
    /// 8010
    #[msg("arithmetic overflow")]
    MathOverflow,
    /// 8011
    #[msg("this stablecoin is not accepted (disabled by governance)")]
    StablecoinDisabled,
    /// 8012
    #[msg("the signer is not the payment operator")]
    NotPaymentOperator,
    /// 8013
    #[msg("the price update is for a different feed than the one pinned in the treasury")]
    WrongPriceFeed,
    /// 8014
    #[msg("the price update is older than the maximum age")]
    StalePrice,
    /// 8015
    #[msg("the price update is not fully verified by the Wormhole guardians")]
    PriceNotVerified,
    /// 8016
    #[msg("the price's confidence interval is wider than allowed")]
    PriceTooUncertain,
    /// 8017
    #[msg("the price (EMA minus k confidences) is not positive, or its exponent is out of range")]
    InvalidPrice,
    /// 8018
    #[msg("the buyback would exceed this epoch's cap")]
    BuybackCapReached,
    /// 8019
    #[msg("the buyback asks for more than the buyback bucket holds")]
    InsufficientBucket,
    /// 8020
    #[msg(
        "the swap returned fewer tokens than the oracle bound requires (pool price moved past the bound)"
    )]
    BuybackBelowBound,
    /// 8021
    #[msg("the swap took nothing, or more than quote_in, from the vault")]
    SwapSpentWrongAmount,
    /// 8022
    #[msg("the AMM program is not the one governance allowed")]
    WrongAmmProgram,
    /// 8023
    #[msg("the swap instruction data is too long")]
    SwapDataTooLong,
    /// 8024
    #[msg("this stablecoin has no stakers destination yet")]
    NoStakersDestination,
    /// 8025
    #[msg("the stakers destination must be a token account of the staking program's config PDA")]
    InvalidStakersDestination,
    /// 8026
    #[msg("the token account is not the operations owner's")]
    WrongOperationsAccount,
    /// 8027
    #[msg("the signer is not the service operator")]
    NotServiceOperator,
    /// 8028
    #[msg("the burn buys zero credits at the current price")]
    ZeroCredits,
    /// 8029
    #[msg("the timelock has not passed yet")]
    TimelockActive,
    /// 8030
    #[msg("the change expired: it was not applied within its grace period")]
    ChangeExpired,
    /// 8031
    #[msg("the rent receiver is not the change's proposer")]
    WrongProposer,
    /// 8032
    #[msg("the vault balance does not match the buckets")]
    VaultMismatch,
    /// 8033
    #[msg("credits_per_usd must be greater than zero")]
    InvalidCreditsRate,
    /// 8034
    #[msg("the service credits mint already exists, or is not the treasury's")]
    WrongCreditsMint,
    /// 8035
    #[msg("the swap does not trade in the stablecoin's pinned AMM pool")]
    WrongAmmPool,
    /// 8036
    #[msg(
        "the pinned pool's reserves did not move by exactly what the treasury spent and received"
    )]
    PoolReservesMismatch,
    /// 8037
    #[msg(
        "a pool reserve is not the stablecoin's pinned reserve, or not a token account of its mint"
    )]
    WrongPoolReserve,
    /// 8038
    #[msg(
        "after the swap, the vault or the bought account has a delegate, a close authority, or another owner"
    )]
    TokenAccountTampered,
    /// 8039
    #[msg("the price update is older than one the treasury already used")]
    PriceOlderThanLastUsed,
    /// 8040
    #[msg("the mint has a transfer fee (Token-2022 TransferFeeConfig)")]
    MintHasTransferFee,
    /// 8041
    #[msg("the mint has a transfer hook (Token-2022 TransferHook)")]
    MintHasTransferHook,
    /// 8042
    #[msg("the mint has a permanent delegate (Token-2022 PermanentDelegate)")]
    MintHasPermanentDelegate,
    /// 8043
    #[msg("the mint allows confidential transfers (Token-2022 ConfidentialTransferMint)")]
    MintHasConfidentialTransfer,
    /// 8044
    #[msg("new accounts of the mint start frozen (Token-2022 DefaultAccountState)")]
    MintFrozenByDefault,
    /// 8045
    #[msg("the mint carries a Token-2022 extension revenue coins may not have")]
    UnsupportedMintExtension,
    /// 8046
    #[msg("the account is not a valid mint")]
    MalformedMint,
    /// 8047
    #[msg("the mint has a close authority (Token-2022 MintCloseAuthority)")]
    MintHasCloseAuthority,
    /// 8048
    #[msg(
        "a buyback venue needs three distinct keys (the pool and its two reserves), none of them the coin's vault or bought account, or none at all"
    )]
    InvalidVenue,
    /// 8049
    #[msg(
        "the signer is not the rewards program's [\"stable_claim\"] PDA: the treasury buys claimed tokens only"
    )]
    NotStableClaimAuthority,
    /// 8050
    #[msg("the pinned pool quotes no price: the coin has no venue, or a reserve is empty")]
    NoPoolPrice,
    /// 8051
    #[msg("the claim would pay less stablecoin than the claimant's minimum (min_stable_out)")]
    StableOutBelowMinimum,
    /// 8052
    #[msg("the claimed tokens are worth less than one stablecoin base unit at the price")]
    ZeroStableOut,
    /// 8053
    #[msg("the stablecoin destination is not the claimant's token account of this coin")]
    WrongClaimDestination,
    /// 8054
    #[msg("the bought account does not hold the claimed tokens")]
    ClaimTokensMissing,
    /// 8055
    #[msg("the stablecoin mint or token program is not the ledger's")]
    WrongStablecoin,
}

impl From<depin_common::timelock::TimelockError> for TreasuryError {
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

impl From<depin_common::token::MintRefusal> for TreasuryError {
    /// Why a mint may not be a revenue coin, as this program's codes.
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
