use anchor_lang::prelude::*;

use crate::state::EmissionParams;

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
    /// The rewards vault.
    pub rewards_vault: Pubkey,
    /// Hard cap on the token's total supply, in base units.
    pub max_supply: u64,
    /// The genesis account (PDA `["genesis"]`).
    pub genesis_account: Pubkey,
    /// Its owner.
    pub genesis_owner: Pubkey,
    /// Minted into the genesis account, in base units (may be zero).
    pub genesis_supply: u64,
    /// The emission schedule.
    pub emission: EmissionParams,
    /// Circuit breaker window, in seconds.
    pub mint_window_secs: u64,
    /// Circuit breaker threshold, in base units.
    pub mint_window_threshold: u64,
    /// Dispute window of posted roots, in seconds.
    pub dispute_secs: u64,
    /// Network tokens burned per device onboarded.
    pub onboard_fee: u64,
    pub location_fee: u64,
    /// Governance timelock, in seconds.
    pub timelock_secs: u64,
    /// The oracles' input window, in seconds.
    pub input_secs: u64,
    /// Unix time of creation.
    pub timestamp: i64,
}

/// One epoch's emission was minted into the rewards vault. Emitted by `crank_epoch`.
#[event]
pub struct EpochMinted {
    /// The epoch minted.
    pub epoch: u64,
    /// Base units minted.
    pub amount: u64,
    /// Everything minted for rewards so far, including this epoch.
    pub cumulative_budget: u64,
    /// Everything this program has minted so far.
    pub total_minted: u64,
    /// Epochs that have started but are not minted yet (the crank is behind by this many).
    pub behind: u64,
    /// Unix time of the crank.
    pub timestamp: i64,
}

/// The oracle set was replaced. Emitted by `set_oracle_set`.
#[event]
pub struct OracleSetChanged {
    /// The new set version; every vote under an older version is void.
    pub set_version: u32,
    /// Votes needed to post a root.
    pub threshold: u8,
    /// Bond each oracle must hold to vote.
    pub bond: u64,
    /// Challenger's share of slashed bonds, in bps.
    pub challenger_bps: u16,
    /// The oracles.
    pub oracles: Vec<Pubkey>,
    pub timestamp: i64,
}

/// An oracle voted for a root. Emitted by `vote_root`.
#[event]
pub struct RootVoted {
    pub proposal: Pubkey,
    pub oracle: Pubkey,
    pub epoch: u64,
    pub root: [u8; 32],
    pub total: u64,
    pub manifest_hash: [u8; 32],
    pub set_version: u32,
    /// Votes so far, including this one.
    pub votes: u8,
    pub timestamp: i64,
}

/// A root reached the vote threshold and is open to fraud proofs. Emitted by `vote_root`.
#[event]
pub struct RootPosted {
    pub proposal: Pubkey,
    pub epoch: u64,
    pub root: [u8; 32],
    pub total: u64,
    pub manifest_hash: [u8; 32],
    /// Unix time from which it may be finalized.
    pub dispute_ends: i64,
    pub timestamp: i64,
}

/// A root became final; claims are now paid against it. Emitted by `finalize_root`.
#[event]
pub struct RootFinalized {
    pub proposal: Pubkey,
    pub epoch: u64,
    pub root: [u8; 32],
    pub total: u64,
    pub manifest_hash: [u8; 32],
    pub timestamp: i64,
}

/// A wallet was paid. Emitted by `claim`.
#[event]
pub struct Claimed {
    /// The wallet whose rewards were paid (need not be the sender).
    pub wallet: Pubkey,
    /// The token account that received them (owned by `wallet`).
    pub destination: Pubkey,
    /// Base units paid by this claim.
    pub amount: u64,
    /// The wallet's cumulative amount in the final root, now fully paid.
    pub cumulative: u64,
    /// The final root's epoch count at the time of the claim.
    pub epochs: u64,
    /// Everything paid out by claims so far.
    pub total_claimed: u64,
    pub timestamp: i64,
}

/// A wallet's claim was deposited into its staking position (a time-locked reward). Emitted by
/// `claim_to_position`.
#[event]
pub struct ClaimedToPosition {
    /// The wallet whose rewards were paid; it signed.
    pub wallet: Pubkey,
    /// The wallet's staking position that received them, under its current lock.
    pub position: Pubkey,
    /// Base units paid by this claim.
    pub amount: u64,
    /// The wallet's cumulative amount in the final root, now fully paid.
    pub cumulative: u64,
    /// The final root's epoch count at the time of the claim.
    pub epochs: u64,
    /// Everything paid out by claims so far.
    pub total_claimed: u64,
    pub timestamp: i64,
}

/// A wallet took its claim in a stablecoin: the claimed tokens were sold to the treasury's
/// buyback bucket (`treasury::buy_claim`, which burned them) and the coin paid to the wallet.
#[event]
#[derive(Debug, PartialEq, Eq)]
pub struct ClaimedInStablecoin {
    /// The wallet whose rewards were paid; it signed.
    pub wallet: Pubkey,
    /// The wallet's token account of the coin that received the stablecoin.
    pub destination: Pubkey,
    pub stable_mint: Pubkey,
    /// Network tokens claimed (base units), sold and burned.
    pub amount: u64,
    /// Stablecoin received (base units), read from the destination's balance.
    pub stable_out: u64,
    /// The wallet's cumulative amount in the final root, now fully paid.
    pub cumulative: u64,
    /// The final root's epoch count at the time of the claim.
    pub epochs: u64,
    /// Everything paid out by claims so far.
    pub total_claimed: u64,
    pub timestamp: i64,
}

/// An oracle added to its bond. Emitted by `post_bond`.
#[event]
pub struct BondPosted {
    pub oracle: Pubkey,
    pub amount: u64,
    /// The bond after this deposit.
    pub bonded: u64,
    pub timestamp: i64,
}

/// An oracle took (part of) its bond back. Emitted by `withdraw_bond`.
#[event]
pub struct BondWithdrawn {
    pub oracle: Pubkey,
    pub amount: u64,
    /// The bond after this withdrawal.
    pub bonded: u64,
    pub timestamp: i64,
}

/// Which fraud a challenge proved (docs/fraud-proofs.md).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FraudKind {
    InconsistentSum,
    /// A wallet of the base root has less, or is missing, at its index.
    Decrease,
    /// Two leaves of the posted root name one wallet.
    Duplicate,
    /// An availability demand on the posted tree went unanswered.
    Unanswered,
}

/// A seat contested a posted root it could not rebuild: the root may become final only from
/// `contest_ends`. Emitted by `contest_root`.
#[event]
pub struct RootContested {
    pub proposal: Pubkey,
    pub oracle: Pubkey,
    pub epoch: u64,
    pub contest_ends: i64,
    pub timestamp: i64,
}

/// A posted root was proven fraudulent and voided; every oracle that voted for it was slashed.
/// Emitted by `prove_fraud`.
#[event]
pub struct RootVoided {
    pub proposal: Pubkey,
    pub epoch: u64,
    pub root: [u8; 32],
    pub kind: FraudKind,
    pub challenger: Pubkey,
    /// The oracles whose bonds were slashed.
    pub slashed: Vec<Pubkey>,
    /// Lamports taken from their bonds.
    pub slashed_amount: u64,
    /// Lamports paid to the challenger.
    pub challenger_reward: u64,
    /// Lamports burned (sent to the incinerator): the rest.
    pub burned: u64,
    pub timestamp: i64,
}

/// Governance approved (or re-approved) a maker. Emitted by `approve_maker`.
#[event]
pub struct MakerApproved {
    pub maker: Pubkey,
    pub timestamp: i64,
}

/// Governance revoked a maker: it can no longer co-sign onboardings. Emitted by `revoke_maker`.
#[event]
pub struct MakerRevoked {
    pub maker: Pubkey,
    pub timestamp: i64,
}

/// A device joined the network. Emitted by `onboard_device`.
#[event]
pub struct DeviceOnboarded {
    pub device: Pubkey,
    pub kind: crate::state::DeviceKind,
    pub owner: Pubkey,
    pub maker: Pubkey,
    pub location: u64,
    /// Network tokens burned from the owner.
    pub fee: u64,
    /// The owner's staking position the device's collateral was bound to.
    pub position: Pubkey,
    pub timestamp: i64,
}

/// A device changed hands. Emitted by `transfer_device`.
#[event]
pub struct DeviceTransferred {
    pub device: Pubkey,
    pub from: Pubkey,
    pub to: Pubkey,
    /// The old owner's position, whose binding was released.
    pub from_position: Pubkey,
    /// The new owner's position, now holding the device's collateral.
    pub to_position: Pubkey,
    pub timestamp: i64,
}

/// A device's owner asserted a new location. Emitted by `update_location`. The new cell counts
/// from the next epoch on (from this one if the update is at its very start).
#[event]
pub struct DeviceLocationUpdated {
    pub device: Pubkey,
    pub owner: Pubkey,
    /// The cell asserted before: epochs that started before `timestamp` are scored with it.
    pub old_location: u64,
    pub new_location: u64,
    /// Network tokens burned from the owner.
    pub fee: u64,
    pub timestamp: i64,
}

/// A device was retired by its owner. Emitted by `decommission_device`.
#[event]
pub struct DeviceDecommissioned {
    pub device: Pubkey,
    pub owner: Pubkey,
    /// The position whose binding was released.
    pub position: Pubkey,
    pub timestamp: i64,
}

/// Governance queued a parameter change. Emitted by `propose_change`.
#[event]
pub struct ChangeProposed {
    pub change: Pubkey,
    pub id: u64,
    pub update: crate::state::ParamUpdate,
    /// Earliest unix time it may be applied.
    pub eta: i64,
    pub timestamp: i64,
}

/// A queued change took effect. Emitted by `apply_change`.
#[event]
pub struct ChangeApplied {
    pub change: Pubkey,
    pub id: u64,
    pub update: crate::state::ParamUpdate,
    pub timestamp: i64,
}

/// Governance withdrew a queued change. Emitted by `cancel_change`.
#[event]
pub struct ChangeCancelled {
    pub change: Pubkey,
    pub id: u64,
    pub timestamp: i64,
}

/// A proposal account was closed and its rent returned. Emitted by `close_proposal`.
#[event]
pub struct ProposalClosed {
    pub proposal: Pubkey,
    pub epoch: u64,
    pub status: crate::state::ProposalStatus,
    /// Lamports returned to the oracle that created it.
    pub rent: u64,
    pub timestamp: i64,
}

/// An oracle committed the hash of its report set for an epoch. Emitted by `commit_reports`.
#[event]
pub struct ReportsCommitted {
    pub inputs: Pubkey,
    pub epoch: u64,
    pub oracle: Pubkey,
    pub seat: u8,
    pub hash: [u8; 32],
    pub reports: u64,
    pub bytes: u64,
    /// `EpochInputs::closes_at` after this commit (0: no quorum yet).
    pub closes_at: i64,
    pub timestamp: i64,
}

/// An oracle acknowledged holding committed report sets. Emitted by `ack_reports`.
#[event]
pub struct ReportsAcknowledged {
    pub inputs: Pubkey,
    pub epoch: u64,
    pub oracle: Pubkey,
    pub seat: u8,
    /// Seats whose sets it holds (bit `i` = seat `i`).
    pub held: u16,
    pub closes_at: i64,
    pub timestamp: i64,
}

/// An epoch's input commitments were closed after its root became final. Emitted by
/// `close_inputs`.
#[event]
pub struct InputsClosedOut {
    pub inputs: Pubkey,
    pub epoch: u64,
    /// Lamports returned to the oracle that created the account.
    pub rent: u64,
    pub timestamp: i64,
}

/// The network's address lookup table was created, filled and frozen. Emitted by
/// `create_lookup_table`.
#[event]
pub struct LookupTableCreated {
    pub table: Pubkey,
    pub recent_slot: u64,
    /// How many addresses it holds.
    pub addresses: u8,
    pub timestamp: i64,
}
