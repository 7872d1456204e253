use anchor_lang::prelude::*;

use crate::types::MerkleNode;

/// Which of a proposal's two trees a probe descends.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeSide {
    /// The final root the proposal extends (`RootProposal::base`).
    Base,
    /// The proposal's own root.
    Posted,
}

impl ProbeSide {
    /// The seed byte of the side.
    pub const fn seed(self) -> u8 {
        match self {
            Self::Base => 0,
            Self::Posted => 1,
        }
    }
}

/// A fact about one leaf's path in one of a proposal's trees, proven in steps small enough for
/// one transaction each (docs/fraud-proofs.md). PDA
/// `["probe", proposal, side, index_le]`.
///
/// `open_probe` proves `node` at `level` on the path of leaf `index` (position `index >> level`)
/// against the tree's root; each `extend_probe` proves a lower node on the same path against the
/// current one. At level 0 with `leaf` set, the probe proves that leaf `index` of the tree is
/// `(wallet, amount)`. Anyone may extend anyone's probe: the path of an index is unique, so
/// every state a probe can reach is on it.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// The proposal whose tree this is.
    pub proposal: Pubkey,
    pub side: ProbeSide,
    /// The leaf whose path the probe follows.
    pub index: u64,
    /// Paid the rent; receives it back on close.
    pub opener: Pubkey,
    /// The level of `node` (0 = the leaves).
    pub level: u8,
    /// The proven node at `(level, index >> level)`.
    pub node: MerkleNode,
    /// Set once the probe reached the leaf and its preimage: the leaf's wallet and amount.
    pub leaf: Option<ProvenLeaf>,
    /// An open availability demand on this (posted-side) probe: the voters, or anyone holding
    /// the posted tree, must walk it to its leaf before the deadline (`demand_probe`).
    pub demand: Option<Demand>,
}

/// An availability demand: whoever walks the probe to its leaf before `deadline` earns
/// `deposit` (held by the probe above its rent); past the deadline, the unanswered demand
/// proves the posted root unavailable (`Evidence::Unanswered`).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Demand {
    pub demander: Pubkey,
    pub deadline: i64,
    pub deposit: u64,
}

/// A leaf proven at a probe's index.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvenLeaf {
    pub wallet: Pubkey,
    pub amount: u64,
}

impl Probe {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;
}
