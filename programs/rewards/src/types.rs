//! Argument types shared by several instructions.

use anchor_lang::prelude::*;

/// A merkle-sum node: its hash and the sum of the amounts below it.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MerkleNode {
    pub hash: [u8; 32],
    pub sum: u64,
}

impl From<merkle_sum::Node> for MerkleNode {
    fn from(n: merkle_sum::Node) -> Self {
        Self {
            hash: n.hash,
            sum: n.sum,
        }
    }
}

impl From<MerkleNode> for merkle_sum::Node {
    fn from(n: MerkleNode) -> Self {
        Self {
            hash: n.hash,
            sum: n.sum,
        }
    }
}

/// One step of a merkle-sum proof, bottom first (docs/merkle-sum.md). Borsh-encoded it is the
/// 41-byte sibling record of the shared encoding.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofNode {
    /// The sibling's hash.
    pub hash: [u8; 32],
    /// The sibling's sum.
    pub sum: u64,
    /// `true` if the sibling is the left child.
    pub is_left: bool,
}

impl ProofNode {
    /// The shared crate's form of one proof step.
    pub const fn sibling(&self) -> merkle_sum::Sibling {
        merkle_sum::Sibling {
            node: merkle_sum::Node {
                hash: self.hash,
                sum: self.sum,
            },
            is_left: self.is_left,
        }
    }
}

/// The shared crate's form of a proof.
pub fn siblings(proof: &[ProofNode]) -> Vec<merkle_sum::Sibling> {
    proof.iter().map(ProofNode::sibling).collect()
}

/// The node a probe step proves.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeTarget {
    /// A node at `level` (0 = a leaf node, published sum and all) on the probe's path.
    Node { level: u8, node: MerkleNode },
    /// The leaf itself, by its preimage: the probe then proves `(wallet, amount)` at its index.
    Leaf { wallet: Pubkey, amount: u64 },
}

impl ProbeTarget {
    /// `(level, node, proven leaf)`.
    pub fn resolve(&self) -> (u32, merkle_sum::Node, Option<crate::state::ProvenLeaf>) {
        match *self {
            Self::Node { level, node } => (u32::from(level), node.into(), None),
            Self::Leaf { wallet, amount } => (
                0,
                merkle_sum::leaf(&wallet.to_bytes(), amount),
                Some(crate::state::ProvenLeaf { wallet, amount }),
            ),
        }
    }
}
