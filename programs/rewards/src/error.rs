use anchor_lang::prelude::*;

/// Errors of the rewards program. Codes start at 6000 (staking 7000, treasury 8000, so a code
/// names its program) and are stable: never reorder, only append.
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
    /// 6006
    #[msg("epoch_secs must be between one minute and one year")]
    InvalidEpochLength,
    /// 6007
    #[msg("the emission schedule is invalid: zero initial emission or zero halving interval")]
    InvalidEmission,
    /// 6008
    #[msg("the schedule's lifetime emission exceeds max_supply")]
    EmissionExceedsMaxSupply,
    /// 6009
    #[msg(
        "the mint window must be 1 second to 30 days long, with a threshold of at least one epoch's emission"
    )]
    InvalidMintWindow,
    /// 6010
    #[msg("dispute_secs must be between 1 second and 30 days")]
    InvalidDisputeWindow,
    /// 6011
    #[msg("the next epoch has not started yet")]
    EpochNotStarted,
    /// 6012
    #[msg("the schedule has nothing left to emit")]
    EmissionComplete,
    /// 6013
    #[msg("minting would exceed max_supply")]
    MaxSupplyExceeded,
    /// 6014
    #[msg("minting would exceed the circuit breaker's threshold for the window")]
    CircuitBreakerTripped,
    /// 6015
    #[msg("arithmetic overflow")]
    MathOverflow,
    /// 6016
    #[msg("the mint is not the network's mint")]
    WrongMint,
    /// 6017
    #[msg("the vault is not the network's rewards vault")]
    WrongVault,
    /// 6018
    #[msg("the token program is not the one that owns the network's mint")]
    WrongTokenProgram,
    /// 6019
    #[msg("the signer is not the network authority")]
    NotAuthority,
    /// 6020
    #[msg("an oracle set needs 1 to 16 distinct, non-default keys")]
    InvalidOracleSet,
    /// 6021
    #[msg("the threshold must be more than half of the oracles and at most all of them")]
    InvalidThreshold,
    /// 6022
    #[msg("the signer is not in the current oracle set")]
    NotAnOracle,
    /// 6023
    #[msg("the proposal was voted under an older oracle set")]
    StaleOracleSet,
    /// 6024
    #[msg("the root is not for the next epoch")]
    WrongEpoch,
    /// 6025
    #[msg("the epoch has not ended, or its emission has not been minted")]
    EpochNotEnded,
    /// 6026
    #[msg("the root's total exceeds the cumulative budget of the epochs up to its own")]
    TotalExceedsBudget,
    /// 6027
    #[msg("the root's total is below the last final root's total")]
    TotalBelowFinal,
    /// 6028
    #[msg("this oracle already voted for this proposal")]
    AlreadyVoted,
    /// 6029
    #[msg("this oracle already voted for a different root in this epoch")]
    ConflictingVote,
    /// 6030
    #[msg("the proposal is no longer collecting votes")]
    NotVoting,
    /// 6031
    #[msg("the proposal has not reached the vote threshold")]
    NotPosted,
    /// 6032
    #[msg("the dispute window has not ended")]
    DisputeWindowOpen,
    /// 6033
    #[msg("the merkle-sum proof does not match the final root")]
    InvalidProof,
    /// 6034
    #[msg("the proof has more than 64 siblings")]
    ProofTooDeep,
    /// 6035
    #[msg("nothing to claim: the wallet has already been paid this cumulative amount")]
    NothingToClaim,
    /// 6036
    #[msg("the destination token account is not owned by the wallet")]
    WrongTokenAccountOwner,
    /// 6037
    #[msg("the proposal account does not hold these arguments")]
    ProposalMismatch,
    /// 6038
    #[msg("the bond must be greater than zero and the challenger share at most 5,000 bps")]
    InvalidBond,
    /// 6039
    #[msg("the oracle's bond is below the set's required bond")]
    BondTooLow,
    /// 6040
    #[msg("the oracle was slashed and may not vote until the set is rotated")]
    OracleSlashed,
    /// 6041
    #[msg(
        "an oracle in the current set, or one whose votes may still be disputed, cannot withdraw its bond"
    )]
    StillAnOracle,
    /// 6042
    #[msg("the bond holds less than the amount asked for")]
    InsufficientBond,
    /// 6043
    #[msg("the amount must be greater than zero")]
    ZeroAmount,
    /// 6044
    #[msg("the proposal is not posted, or its dispute window has ended")]
    NotDisputable,
    /// 6045
    #[msg("the probe step does not fold to the node above it or does not fit the tree's shape")]
    FraudNotInRoot,
    /// 6046
    #[msg("the node's sum equals its children's sums: no fraud")]
    FraudSumConsistent,
    /// 6047
    #[msg("the posted leaf holds the same wallet with no less than the final amount: no fraud")]
    FraudNoDecrease,
    /// 6048
    #[msg("retired: equivocation evidence was removed")]
    RetiredNoConflict,
    /// 6049
    #[msg("retired: equivocation evidence was removed")]
    RetiredSignatureInstruction,
    /// 6050
    #[msg("retired: equivocation evidence was removed")]
    RetiredNotAVoter,
    /// 6051
    #[msg("the remaining accounts must be the bond records of the slashed oracles, in seat order")]
    WrongBondAccounts,
    /// 6052
    #[msg("the maker is not approved")]
    MakerNotActive,
    /// 6053
    #[msg("the location is not a valid H3 cell index")]
    InvalidLocation,
    /// 6054
    #[msg("the signer does not own the device")]
    NotDeviceOwner,
    /// 6055
    #[msg("the device is decommissioned")]
    DeviceNotActive,
    /// 6056
    #[msg("the new owner must not be the default pubkey or the current owner")]
    InvalidOwner,
    /// 6057
    #[msg("the timelock must be between one hour and thirty days")]
    InvalidTimelock,
    /// 6058
    #[msg("the change's timelock has not passed")]
    TimelockActive,
    /// 6059
    #[msg("the rent receiver is not the change's proposer")]
    WrongProposer,
    /// 6060
    #[msg(
        "the proposal may still become final: it can be closed once final, voided, superseded or stale"
    )]
    ProposalStillLive,
    /// 6061
    #[msg("the rent receiver is not the oracle that created the proposal")]
    NotProposalPayer,
    /// 6062
    #[msg("the change was not applied within its grace period after the timelock")]
    ChangeExpired,
    /// 6063
    #[msg("the staking program is not the network's staking program")]
    WrongStakingProgram,
    /// 6064
    #[msg("the staking config is not the staking program's config PDA")]
    WrongStakingConfig,
    /// 6065
    #[msg("the collateral authority is not this program's [\"collateral_authority\"] PDA")]
    WrongCollateralAuthority,
    /// 6066
    #[msg("the position is not a staking program Position account")]
    NotAStakingPosition,
    /// 6067
    #[msg("the position does not belong to the device owner or the claiming wallet")]
    NotPositionOwner,
    /// 6068
    #[msg("the position is not the one the device's collateral is bound to")]
    WrongPosition,
    /// 6069
    #[msg("the genesis supply must be less than the max supply")]
    GenesisExceedsMaxSupply,
    /// 6070
    #[msg("the destination is not a token account of the network's token program")]
    NotATokenAccount,
    /// 6071
    #[msg("the network account is not the network PDA")]
    WrongNetwork,
    /// 6072
    #[msg("the oracle set account is not the oracle set PDA")]
    WrongOracleSet,
    /// 6073
    #[msg("the bond account is not the voting oracle's bond")]
    WrongBond,
    /// 6074
    #[msg("the leaf count is below the final root's, above 2^32, or disagrees with an empty root")]
    InvalidLeafCount,
    /// 6075
    #[msg("the probe belongs to another proposal or side, or is not where the evidence needs it")]
    WrongProbe,
    /// 6076
    #[msg("the probe has not reached its leaf")]
    ProbeNotAtLeaf,
    /// 6077
    #[msg("the preimage does not hash to the probe's node")]
    FraudPreimageMismatch,
    /// 6078
    #[msg("the two leaves are the same index or name different wallets: no fraud")]
    FraudNotDuplicate,
    /// 6079
    #[msg("the probe's proposal is still open to disputes")]
    ProbeStillLive,
    /// 6080
    #[msg("the proposal extends another final root than the current one")]
    WrongBase,
    /// 6081
    #[msg(
        "the probe already reached its leaf, already carries a demand, is not on the posted side, or it is too late in the window to demand"
    )]
    CannotDemand,
    /// 6082
    #[msg("the probe carries no demand, or its deadline has not passed")]
    DemandNotExpired,
    /// 6083
    #[msg("an availability demand on the proposal is still unanswered")]
    OpenDemands,
    /// 6084
    #[msg("the probe is at its leaf: it moves no further")]
    ProbeAtLeaf,
    /// 6085
    #[msg("the demand's deadline has passed: it can no longer be answered")]
    DemandExpired,
    /// 6086
    #[msg("fewer than the threshold of the root's voters are unslashed")]
    SlashedVoters,
    /// 6087
    #[msg("a voter of the root cannot contest it")]
    CannotContest,
    /// 6088
    #[msg("this seat has contested the root already")]
    AlreadyContested,
    /// 6089
    #[msg("the root is contested: it may become final only once its contest has run out")]
    RootContested,
    /// 6090
    #[msg("so many demands are open on this root that the next deposit does not fit a u64")]
    TooManyDemands,
    /// 6091
    #[msg("the root's epoch is final already: it can never become final, nothing to demand")]
    NeverFinal,
    /// 6092
    #[msg("the demand's deposit is above the most the demander said it would pay")]
    DepositAboveMax,
    /// 6093
    #[msg("the input window must be 1 s to a day and at most a quarter of the epoch")]
    InvalidInputWindow,
    /// 6094
    #[msg("the epoch's inputs are closed: no more commitments or acknowledgements")]
    InputsClosed,
    /// 6095
    #[msg("this seat has committed its report set for the epoch already")]
    AlreadyCommitted,
    /// 6096
    #[msg("the acknowledgement names a seat that has not committed a report set")]
    UnknownReportSet,
    /// 6097
    #[msg("the epoch is final already: its inputs are settled")]
    EpochAlreadyFinal,
    /// 6098
    #[msg("the epoch's inputs stay until its root and the next 16 are final")]
    InputsStillNeeded,
    /// 6099
    #[msg("a committed report set's hash may not be all zero")]
    InvalidReportSet,
    /// 6100
    #[msg(
        "the oracles still need the device's previous owner: the epochs that paid it, its offence window and the slashing grace are not all final yet"
    )]
    TransferTooSoon,
    /// 6101
    #[msg("the account passed as the address lookup table program is not that program")]
    WrongLookupTableProgram,
    /// 6102
    #[msg("the lookup table account is not the address derived from the authority and the slot")]
    WrongLookupTable,
    /// 6103
    #[msg(
        "the oracles still need the device's previous location (an epoch scored with it is not final yet), or the location was updated in this epoch already"
    )]
    LocationUpdateTooSoon,
    /// 6104
    #[msg("the new location is the device's current one")]
    LocationUnchanged,
    /// 6105
    #[msg(
        "no ed25519 instruction before onboard_device verifies the device's signature over its onboarding message (program, device, owner, kind, expires_at): pass the device's onboarding code"
    )]
    MissingDeviceSignature,
    /// 6106
    #[msg("the device's onboarding code has expired: ask the device for a new one")]
    OnboardingCodeExpired,
    /// 6107
    #[msg("the device's onboarding code is valid for more than 7 days")]
    OnboardingCodeTooLong,
    /// 6108
    #[msg("the account passed as the instructions sysvar is not that sysvar")]
    WrongInstructionsSysvar,
    /// 6109
    #[msg("the account passed as the treasury program is not the treasury program")]
    WrongTreasuryProgram,
    /// 6110
    #[msg("the stable-claim authority is not this program's [\"stable_claim\"] PDA")]
    WrongStableClaimAuthority,
    /// 6111
    #[msg("the claim paid less stablecoin than the claimant's minimum (min_stable_out)")]
    StableOutBelowMinimum,
}

impl From<depin_common::onboarding::ExpiryError> for RewardsError {
    /// The onboarding code's validity window, as this program's codes.
    fn from(e: depin_common::onboarding::ExpiryError) -> Self {
        use depin_common::onboarding::ExpiryError;
        match e {
            ExpiryError::Expired => Self::OnboardingCodeExpired,
            ExpiryError::TooLong => Self::OnboardingCodeTooLong,
        }
    }
}

impl From<depin_common::timelock::TimelockError> for RewardsError {
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
