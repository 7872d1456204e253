use anchor_lang::prelude::*;

use crate::state::{LockupKind, StakingUpdate, VotingMode};

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
    /// Largest slash per proposal, in bps.
    pub max_slash_bps: u16,
    /// Appeal window of a proposed slash.
    pub appeal_secs: u64,
    /// Delay of a parameter change.
    pub timelock_secs: u64,
    /// How long arriving revenue streams into the accumulator.
    pub revenue_stream_secs: u64,
    /// The spl-governance realm whose votes are weighed (default: none yet).
    pub realm: Pubkey,
    /// Unix time of creation.
    pub timestamp: i64,
}

/// The revenue vault was created. Emitted once, by `initialize_revenue`.
#[event]
pub struct RevenueInitialized {
    /// The revenue (stablecoin) mint.
    pub revenue_mint: Pubkey,
    /// The revenue vault PDA; the treasury transfers the stakers' share here.
    pub revenue_vault: Pubkey,
    /// The token program of `revenue_mint`.
    pub revenue_token_program: Pubkey,
    pub timestamp: i64,
}

/// A position's stored weight changed (every event below that touches a position carries one).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightChange {
    /// The position's stored weight before.
    pub weight_before: u128,
    /// The position's stored weight after.
    pub weight_after: u128,
    /// The lockup multiplier used, in bps.
    pub multiplier_bps: u32,
    /// The owner's revenue weight (`Staker::weight`) after.
    pub owner_weight: u128,
    /// `config.total_weight` after.
    pub total_weight: u128,
    /// `config.reward_per_weight` the owner was settled at.
    pub reward_per_weight: u128,
    /// The owner's unclaimed revenue after settling.
    pub pending_revenue: u64,
    /// Revenue folded into the accumulator by this instruction's sync, before settling (0 if
    /// none arrived); `total_weight` before this change is what it was shared over.
    pub revenue_synced: u64,
}

/// A position was created with its first tokens. Emitted by `stake`.
#[event]
pub struct Staked {
    pub position: Pubkey,
    pub owner: Pubkey,
    pub id: u64,
    pub kind: LockupKind,
    pub lockup_secs: u64,
    /// Cliff kind: end of the lock (0 for constant).
    pub lock_end: i64,
    pub amount: u64,
    /// `config.total_locked` after.
    pub total_locked: u64,
    pub weight: WeightChange,
    pub timestamp: i64,
}

/// Tokens were added to a position (by its owner or anyone else). Emitted by `add_to_position`.
#[event]
pub struct PositionIncreased {
    pub position: Pubkey,
    /// Who paid the tokens (the rewards program's claim, for time-locked rewards).
    pub depositor: Pubkey,
    pub amount: u64,
    pub amount_before: u64,
    pub amount_after: u64,
    pub total_locked: u64,
    /// The position's stored revenue weight, unchanged: the added tokens vote at once but earn
    /// revenue from the position's next re-weighing (`refresh_position` or any owner action).
    pub stored_weight: u128,
    pub timestamp: i64,
}

/// A lock was extended. Emitted by `extend_lock`.
#[event]
pub struct LockExtended {
    pub position: Pubkey,
    pub kind: LockupKind,
    pub lockup_secs_before: u64,
    pub lockup_secs_after: u64,
    pub lock_end_before: i64,
    pub lock_end_after: i64,
    pub weight: WeightChange,
    pub timestamp: i64,
}

/// A constant lock began to decay. Emitted by `start_unlock`.
#[event]
pub struct UnlockStarted {
    pub position: Pubkey,
    pub lockup_secs: u64,
    /// The cliff's end: now + lockup_secs.
    pub lock_end: i64,
    pub weight: WeightChange,
    pub timestamp: i64,
}

/// Unlocked tokens began their cooldown. Emitted by `unstake`.
#[event]
pub struct Unstaked {
    pub position: Pubkey,
    pub amount: u64,
    pub amount_after: u64,
    pub cooling_after: u64,
    pub cooldown_end: i64,
    pub weight: WeightChange,
    pub timestamp: i64,
}

/// Tokens past their cooldown left the vault. Emitted by `withdraw`.
#[event]
pub struct Withdrawn {
    pub position: Pubkey,
    pub destination: Pubkey,
    pub amount: u64,
    pub cooling_after: u64,
    pub total_locked: u64,
    pub timestamp: i64,
}

/// A position's stored weight was brought up to date. Emitted by `refresh_position`.
#[event]
pub struct PositionRefreshed {
    pub position: Pubkey,
    pub weight: WeightChange,
    pub timestamp: i64,
}

/// Revenue streamed into the accumulator, or arrived in the revenue vault and joined the stream.
/// Emitted by `sync_revenue` when either happened; the instructions that touch a position report
/// what their own sync folded in `WeightChange::revenue_synced`.
#[event]
pub struct RevenueSynced {
    /// Folded now.
    pub amount: u64,
    /// The revenue vault's balance.
    pub vault_balance: u64,
    /// The weight it was shared over.
    pub total_weight: u128,
    pub reward_per_weight_before: u128,
    pub reward_per_weight_after: u128,
    /// Everything folded so far.
    pub revenue_distributed: u64,
    /// Revenue still streaming after this sync, and when the stream ends.
    pub streaming: u64,
    pub stream_end: i64,
    pub timestamp: i64,
}

/// A staker claimed revenue. Emitted by `claim_revenue`.
#[event]
pub struct RevenueClaimed {
    pub owner: Pubkey,
    pub destination: Pubkey,
    pub amount: u64,
    /// The owner's claims so far.
    pub owner_claimed: u64,
    /// Everything claimed so far.
    pub revenue_claimed: u64,
    /// The owner's revenue weight it was earned with.
    pub owner_weight: u128,
    /// `config.reward_per_weight` the owner was settled at.
    pub reward_per_weight: u128,
    /// Revenue folded into the accumulator by this instruction's sync, before settling.
    pub revenue_synced: u64,
    pub timestamp: i64,
}

/// An owner's voting tally counted more positions. Emitted by `tally_positions`.
#[event]
pub struct PositionsTallied {
    pub owner: Pubkey,
    /// Positions counted by this instruction, and so far (of `positions_total`).
    pub positions: u32,
    pub counted: u32,
    pub positions_total: u32,
    /// Whether this instruction started a new tally.
    pub restarted: bool,
    pub started_at: i64,
    pub timestamp: i64,
}

/// A voter-weight record was created. Emitted by `create_voter_weight_record`.
#[event]
pub struct VoterWeightRecordCreated {
    pub record: Pubkey,
    pub realm: Pubkey,
    pub governing_token_mint: Pubkey,
    pub governing_token_owner: Pubkey,
    pub timestamp: i64,
}

/// A voter weight was recomputed. Emitted by `update_voter_weight_record`.
#[event]
pub struct VoterWeightUpdated {
    pub record: Pubkey,
    pub governing_token_owner: Pubkey,
    /// Positions the weight counts (all of the owner's), and whether they were counted by a
    /// `tally_positions` tally rather than in this instruction.
    pub positions: u32,
    pub from_tally: bool,
    pub voter_weight_before: u64,
    pub voter_weight_after: u64,
    /// The slot it is valid in.
    pub expiry_slot: u64,
    pub timestamp: i64,
}

/// The oracle quorum proposed a slash. Emitted by `propose_slash`.
#[event]
pub struct SlashProposed {
    pub position: Pubkey,
    pub owner: Pubkey,
    pub amount_bps: u16,
    /// Tokens that will burn: `amount_bps` of `tokens`.
    pub amount: u64,
    /// The position's tokens (locked plus cooling) at proposal.
    pub tokens: u64,
    pub evidence_hash: [u8; 32],
    pub set_version: u32,
    pub slash_nonce: u64,
    /// Oracle keys whose signatures were counted.
    pub signers: Vec<Pubkey>,
    pub appeal_ends: i64,
    pub timestamp: i64,
}

/// Oracle approvals of a slash were recorded for a later `propose_slash`. Emitted by
/// `approve_slash`.
#[event]
pub struct SlashApproved {
    pub position: Pubkey,
    pub evidence_hash: [u8; 32],
    pub amount_bps: u16,
    pub set_version: u32,
    pub slash_nonce: u64,
    /// Oracle keys whose approvals this transaction added.
    pub added: Vec<Pubkey>,
    /// Every seat that has approved so far (bit `i` = seat `i`).
    pub seats: u16,
    /// Approvals `propose_slash` needs.
    pub threshold: u8,
    pub timestamp: i64,
}

/// Governance overturned a pending slash. Emitted by `overturn_slash`.
#[event]
pub struct SlashOverturned {
    pub position: Pubkey,
    pub amount: u64,
    pub evidence_hash: [u8; 32],
    pub authority: Pubkey,
    /// The cooling tokens' cooldown end, pushed back by the time the slash was pending.
    pub cooldown_end: i64,
    pub timestamp: i64,
}

/// A slash was executed: its tokens burned. Emitted by `execute_slash`.
#[event]
pub struct SlashExecuted {
    pub position: Pubkey,
    pub amount_bps: u16,
    pub amount: u64,
    pub evidence_hash: [u8; 32],
    /// Taken from cooling tokens first, then locked ones.
    pub from_cooling: u64,
    pub from_locked: u64,
    pub amount_after: u64,
    pub cooling_after: u64,
    /// When the cooling tokens left may be withdrawn: their cooldown restarts at the slash.
    pub cooldown_end: i64,
    pub total_locked: u64,
    pub total_slashed: u64,
    pub weight: WeightChange,
    pub timestamp: i64,
}

/// The rewards program bound or released a device's collateral. Emitted by `bind_collateral`
/// and `release_collateral`.
#[event]
pub struct CollateralChanged {
    pub position: Pubkey,
    pub bound_devices_before: u32,
    pub bound_devices_after: u32,
    /// Tokens that cannot be unstaked: `min_device_collateral × bound_devices_after`.
    pub required_collateral: u64,
    pub amount: u64,
    pub timestamp: i64,
}

/// Governance queued a parameter change. Emitted by `propose_change`.
#[event]
pub struct ChangeProposed {
    pub change: Pubkey,
    pub id: u64,
    pub update: StakingUpdate,
    /// Earliest unix time it may be applied.
    pub eta: i64,
    pub timestamp: i64,
}

/// A queued change took effect. Emitted by `apply_change`.
#[event]
pub struct ChangeApplied {
    pub change: Pubkey,
    pub id: u64,
    pub update: StakingUpdate,
    pub timestamp: i64,
}

/// Governance withdrew a queued change. Emitted by `cancel_change`.
#[event]
pub struct ChangeCancelled {
    pub change: Pubkey,
    pub id: u64,
    pub timestamp: i64,
}
