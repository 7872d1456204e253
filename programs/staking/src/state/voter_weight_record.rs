use anchor_lang::prelude::*;

/// What a voter weight was computed for (spl-governance-addin-api `VoterWeightAction`).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoterWeightAction {
    CastVote,
    CommentProposal,
    CreateGovernance,
    CreateProposal,
    SignOffProposal,
}

/// The spl-governance voter-weight addin record, byte for byte the layout of
/// `spl_governance_addin_api::voter_weight::VoterWeightRecord`: an 8-byte discriminator
/// (`sha256("account:VoterWeightRecord")[..8]`, which is what Anchor derives for this type
/// name), then the Borsh fields below. PDA `["voter_weight_record", realm,
/// governing_token_mint, governing_token_owner]`. No bump is stored: the layout has no room.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct VoterWeightRecord {
    /// The realm (DAO) the record is for.
    pub realm: Pubkey,
    /// The realm's governing token mint (community or council).
    pub governing_token_mint: Pubkey,
    /// The voter: the owner of the positions counted.
    pub governing_token_owner: Pubkey,
    /// The sum of the current voting weights of the owner's positions passed to the last update.
    pub voter_weight: u64,
    /// The slot of the last update: spl-governance accepts the weight in that slot only.
    pub voter_weight_expiry: Option<u64>,
    /// Always `None`: the weight is valid for any action.
    pub weight_action: Option<VoterWeightAction>,
    /// Always `None`: the weight is valid for any target.
    pub weight_action_target: Option<Pubkey>,
    /// Reserved by the addin API; zero.
    pub reserved: [u8; 8],
}

impl VoterWeightRecord {
    /// Account size including the discriminator, with every option `Some` (the largest form).
    pub const SIZE: usize = 8 + Self::INIT_SPACE;
}
