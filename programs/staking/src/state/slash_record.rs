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
