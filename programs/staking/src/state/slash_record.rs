use anchor_lang::prelude::*;

/// An offence's slash, proposed once: PDA `["slash", position, evidence_hash]`, created by
/// `propose_slash`. Its existence refuses the same evidence against the same position again
/// (`SlashAlreadyProposed`), whether the first slash was executed or overturned, so an offence is
/// slashed at most once whatever the oracles sign; the oracles read it to tell which offences
/// are done.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct SlashRecord {
    /// Canonical bump of this PDA.
    pub bump: u8,
    pub position: Pubkey,
    pub evidence_hash: [u8; 32],
    /// The position's slash nonce the slash was proposed at.
    pub slash_nonce: u64,
    pub amount_bps: u16,
    /// Unix time of the proposal.
    pub proposed_at: i64,
}

/// The oracle approvals of one slash gathered over several transactions, for a quorum whose
/// signatures do not fit one (`approve_slash`): PDA
/// `["slash_approval", position, evidence_hash, amount_bps_le]`, so approvals of different
/// amounts for the same evidence never mix. The seats count for the message of `set_version` and
/// `slash_nonce` only: when the oracle set rotates or another slash of the position is proposed,
/// the next `approve_slash` starts over, and `propose_slash` ignores them. `propose_slash` closes
/// it (its rent goes to the proposer).
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct SlashApproval {
    /// Canonical bump of this PDA.
    pub bump: u8,
    pub position: Pubkey,
    pub evidence_hash: [u8; 32],
    pub amount_bps: u16,
    /// The oracle set version the approvals were signed under.
    pub set_version: u32,
    /// The position's slash nonce the approvals were signed at.
    pub slash_nonce: u64,
    /// Seats that approved (bit `i` = seat `i`).
    pub approvals: u16,
}

impl SlashApproval {
    /// The seats that approved the message of `set_version` and `slash_nonce`: none if the
    /// approvals are for another.
    pub fn current(&self, set_version: u32, slash_nonce: u64) -> u16 {
        if self.set_version == set_version && self.slash_nonce == slash_nonce {
            self.approvals
        } else {
            0
        }
    }
}
