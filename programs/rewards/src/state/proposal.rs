use anchor_lang::prelude::*;

/// Where a proposal stands.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Collecting votes.
    Voting,
    /// Reached the threshold; open to fraud proofs until `dispute_ends`.
    Posted,
    /// Final: claims are paid against it.
    Final,
    /// Proven fraudulent during its dispute window; never final.
    Voided,
}

/// A candidate reward root for one epoch, under one oracle-set version. PDA
/// `["proposal", epoch_le, set_version_le, round_le, root, total_le, manifest_hash]`: oracles that
/// agree on the `(epoch, root, total, manifest_hash)` tuple vote on the same account, no tuple
/// can take another's address, and a void (which starts a new round) frees every tuple again.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct RootProposal {
    /// Canonical bump of this PDA.
    pub bump: u8,
    pub status: ProposalStatus,
    /// The oracle whose vote created it and paid its rent; the rent goes back to it on close.
    pub payer: Pubkey,
    /// Seats (bit `i` = `OracleSet::seats[i]`) that voted for it.
    pub votes: u16,
    /// The oracle-set version the votes were cast under.
    pub set_version: u32,
    /// The network's voting round (`Network::voided_roots`) when it was created.
    pub round: u64,
    /// The epoch the root is for.
    pub epoch: u64,
    /// Merkle-sum root hash over `(wallet, cumulative amount)`.
    pub root: [u8; 32],
    /// The root's sum.
    pub total: u64,
    /// Hash of the oracle's input manifest.
    pub manifest_hash: [u8; 32],
    /// Unix time the threshold was reached (0 while voting).
    pub posted_at: i64,
    /// Unix time from which it may be finalized (0 while voting).
    pub dispute_ends: i64,
}

impl RootProposal {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;
}
