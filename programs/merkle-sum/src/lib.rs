//! The merkle-sum tree shared by the rewards program (on-chain, SBF) and the oracle (off-chain).
//!
//! Both sides depend on this one crate, so they can never disagree about an encoding. Every node
//! commits to a hash **and** to the sum of the amounts below it; the root's `sum` is the total the
//! oracle commits on-chain, and a claim can never prove more than that total.
//!
//! # Encoding
//!
//! All integers are little-endian `u64`; `||` is concatenation; `sha256` is
//! [`solana_sha256_hasher::hashv`] (the `sol_sha256` syscall on-chain, `sha2` on the host).
//!
//! ```text
//! leaf(wallet, amount):
//!     hash = sha256( 0x00 || wallet[32] || amount_le[8] )              41 bytes hashed
//!     sum  = amount
//!
//! parent(L, R):
//!     hash = sha256( 0x01 || L.hash[32] || L.sum_le[8] || R.hash[32] || R.sum_le[8] )   81 bytes
//!     sum  = L.sum + R.sum                                   (checked: overflow is an error)
//! ```
//!
//! The `0x00` / `0x01` prefixes separate leaves from internal nodes, so no internal node can be
//! presented as a leaf (no second preimage).
//!
//! # Shape
//!
//! Leaves sit at fixed indices `0..count`: a wallet keeps its index for ever and new wallets are
//! appended (the oracle appends each epoch's new wallets in ascending byte order; the tree only
//! requires the wallets to be distinct). Each level pairs its nodes left to right; an odd last
//! node is **promoted** unchanged to the next level (never duplicated: duplicating would double
//! its sum). Five leaves:
//!
//! ```text
//! level 3                    root = P(A, L4)
//!                           /               \
//! level 2           A = P(N01, N23)          L4   (promoted)
//!                   /          \              |
//! level 1     N01 = P(L0,L1)  N23 = P(L2,L3)  L4   (promoted)
//!              /     \          /     \       |
//! level 0     L0     L1        L2     L3      L4
//! ```
//!
//! The proof for `L4` is the single sibling `A` (on the left): the two levels where `L4` was
//! promoted contribute nothing. The proof for `L1` is `L0` (left), `N23` (right), `L4` (right).
//! An empty tree has no root and is an error.
//!
//! Given the leaf count, the shape is fixed: level `l` holds `ceil(count / 2^l)` nodes, the
//! node above leaf `i` at level `l` is at position `i >> l`, it has a sibling at `(i >> l) ^ 1`
//! when that position exists (on the left when `i >> l` is odd), and is promoted otherwise.
//! [`fold_at`] folds a path by that rule, so a path it accepts proves the node's **index**, not
//! just its membership: the fraud proofs of the rewards program rely on it.
//!
//! # Proof bytes
//!
//! ```text
//! count: u16 LE  |  count x ( hash[32] | sum: u64 LE | side: u8 (1 = sibling on the left, 0 = right) )
//! ```
//!
//! [`Proof::from_bytes`] rejects short or trailing input, a side byte other than 0 or 1, and more
//! than [`MAX_DEPTH`] siblings.
//!
//! # Example
//!
//! ```
//! use merkle_sum::{verify, Proof, Tree};
//!
//! // The oracle: leaves in index order, wallets distinct.
//! let leaves = [([1u8; 32], 10u64), ([2; 32], 20), ([3; 32], 30)];
//! let tree = Tree::new(&leaves)?;
//! let root = tree.root(); // committed on-chain; root.sum == 60
//! assert_eq!(root.sum, 60);
//! let bytes = tree.proof(2).ok_or(merkle_sum::MerkleSumError::Malformed)?.to_bytes()?;
//!
//! // The program: decode the claim's proof and check it against the committed root.
//! let proof = Proof::from_bytes(&bytes)?;
//! verify(&[3; 32], 30, &proof, &root)?;
//! assert!(verify(&[3; 32], 31, &proof, &root).is_err());
//! # Ok::<(), merkle_sum::MerkleSumError>(())
//! ```

#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt;

use solana_sha256_hasher::hashv;

/// Domain-separation prefix of a leaf hash.
pub const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an internal node hash.
pub const NODE_PREFIX: u8 = 0x01;
/// The most siblings a proof may carry (a tree of up to 2^64 leaves).
pub const MAX_DEPTH: usize = 64;
/// Serialized size of one [`Sibling`]: hash, sum, side.
pub const SIBLING_BYTES: usize = 32 + 8 + 1;
/// Serialized size of the sibling count that starts a [`Proof`].
pub const COUNT_BYTES: usize = 2;

/// A node of the tree: its hash and the sum of the amounts of the leaves below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    pub hash: [u8; 32],
    pub sum: u64,
}

/// Why a tree could not be built or a proof did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MerkleSumError {
    /// No leaves: an empty tree has no root.
    Empty,
    /// The leaf at `index` has the same wallet as an earlier leaf.
    Duplicate { index: usize },
    /// A sum of amounts does not fit in a `u64`.
    SumOverflow,
    /// The folded proof does not give the root (hash or sum).
    RootMismatch,
    /// Proof bytes are short, have trailing data, or a side byte other than 0 or 1.
    Malformed,
    /// A proof has more than [`MAX_DEPTH`] siblings.
    TooDeep,
    /// A shaped path ([`fold_at`]) has the wrong number of siblings for its index and the leaf
    /// count, or the index or a level is out of range.
    BadShape,
}

impl fmt::Display for MerkleSumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("merkle-sum tree has no leaves"),
            Self::Duplicate { index } => {
                write!(f, "leaf {index} repeats an earlier wallet")
            }
            Self::BadShape => f.write_str("path does not fit the tree's shape"),
            Self::SumOverflow => f.write_str("merkle-sum overflows u64"),
            Self::RootMismatch => f.write_str("proof does not match the root"),
            Self::Malformed => f.write_str("malformed proof bytes"),
            Self::TooDeep => write!(f, "proof has more than {MAX_DEPTH} siblings"),
        }
    }
}

impl core::error::Error for MerkleSumError {}

/// The leaf for `(wallet, amount)`: `sha256(0x00 || wallet || amount_le)`, sum `amount`.
#[must_use]
pub fn leaf(wallet: &[u8; 32], amount: u64) -> Node {
    let hash = hashv(&[&[LEAF_PREFIX], wallet, &amount.to_le_bytes()]).to_bytes();
    Node { hash, sum: amount }
}

/// The parent of `left` and `right`:
/// `sha256(0x01 || L.hash || L.sum_le || R.hash || R.sum_le)`, sum `L.sum + R.sum` (checked).
///
/// # Errors
///
/// [`MerkleSumError::SumOverflow`] if the sum does not fit in a `u64`.
pub fn parent(left: &Node, right: &Node) -> Result<Node, MerkleSumError> {
    let sum = left
        .sum
        .checked_add(right.sum)
        .ok_or(MerkleSumError::SumOverflow)?;
    Ok(Node {
        hash: node_hash(left, right),
        sum,
    })
}

/// The hash of an internal node over `left` and `right`, whatever sum it claims:
/// `sha256(0x01 || L.hash || L.sum_le || R.hash || R.sum_le)`. A fraud proof uses it to rebuild
/// a node whose published sum is not `L.sum + R.sum`.
#[must_use]
pub fn node_hash(left: &Node, right: &Node) -> [u8; 32] {
    hashv(&[
        &[NODE_PREFIX],
        &left.hash,
        &left.sum.to_le_bytes(),
        &right.hash,
        &right.sum.to_le_bytes(),
    ])
    .to_bytes()
}

/// One step of a proof: the sibling node and which side it is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sibling {
    pub node: Node,
    /// `true` if the sibling is the left child (the path node is on the right).
    pub is_left: bool,
}

/// The siblings from a leaf (or any node) up to the root, bottom first. Levels where the path
/// node was promoted contribute no sibling.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Proof {
    pub siblings: Vec<Sibling>,
}

impl Proof {
    /// Serialized size of a proof with `siblings` siblings (`None` on overflow).
    #[must_use]
    pub const fn encoded_len(siblings: usize) -> Option<usize> {
        match siblings.checked_mul(SIBLING_BYTES) {
            Some(body) => body.checked_add(COUNT_BYTES),
            None => None,
        }
    }

    /// `count: u16 LE`, then per sibling `hash[32] | sum: u64 LE | side: u8` (1 = left).
    ///
    /// # Errors
    ///
    /// [`MerkleSumError::TooDeep`] if the proof has more than [`MAX_DEPTH`] siblings.
    pub fn to_bytes(&self) -> Result<Vec<u8>, MerkleSumError> {
        let count = self.siblings.len();
        if count > MAX_DEPTH {
            return Err(MerkleSumError::TooDeep);
        }
        let count_u16 = u16::try_from(count).map_err(|_| MerkleSumError::TooDeep)?;
        let len = Self::encoded_len(count).ok_or(MerkleSumError::TooDeep)?;
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&count_u16.to_le_bytes());
        for sibling in &self.siblings {
            out.extend_from_slice(&sibling.node.hash);
            out.extend_from_slice(&sibling.node.sum.to_le_bytes());
            out.push(u8::from(sibling.is_left));
        }
        Ok(out)
    }

    /// The inverse of [`Proof::to_bytes`].
    ///
    /// # Errors
    ///
    /// [`MerkleSumError::Malformed`] for short or trailing input or a side byte other than 0 or 1;
    /// [`MerkleSumError::TooDeep`] for a count above [`MAX_DEPTH`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MerkleSumError> {
        let (count, body) = bytes
            .split_first_chunk::<COUNT_BYTES>()
            .ok_or(MerkleSumError::Malformed)?;
        let count = usize::from(u16::from_le_bytes(*count));
        if count > MAX_DEPTH {
            return Err(MerkleSumError::TooDeep);
        }
        let expected = count
            .checked_mul(SIBLING_BYTES)
            .ok_or(MerkleSumError::Malformed)?;
        if body.len() != expected {
            return Err(MerkleSumError::Malformed);
        }
        let mut siblings = Vec::with_capacity(count);
        let (chunks, rest) = body.as_chunks::<SIBLING_BYTES>();
        if !rest.is_empty() {
            return Err(MerkleSumError::Malformed);
        }
        for chunk in chunks {
            let (hash, tail) = chunk
                .split_first_chunk::<32>()
                .ok_or(MerkleSumError::Malformed)?;
            let (sum, side) = tail
                .split_first_chunk::<8>()
                .ok_or(MerkleSumError::Malformed)?;
            let is_left = match side {
                [0] => false,
                [1] => true,
                _ => return Err(MerkleSumError::Malformed),
            };
            siblings.push(Sibling {
                node: Node {
                    hash: *hash,
                    sum: u64::from_le_bytes(*sum),
                },
                is_left,
            });
        }
        Ok(Self { siblings })
    }
}

/// Folds `start` up through `siblings` with [`parent`] and returns the node reached.
///
/// Works for a leaf or for any internal node (the siblings from its level upwards).
///
/// # Errors
///
/// [`MerkleSumError::TooDeep`] for more than [`MAX_DEPTH`] siblings;
/// [`MerkleSumError::SumOverflow`] if a sum along the path does not fit in a `u64`.
pub fn fold_path(start: Node, siblings: &[Sibling]) -> Result<Node, MerkleSumError> {
    if siblings.len() > MAX_DEPTH {
        return Err(MerkleSumError::TooDeep);
    }
    fold_siblings(start, siblings.iter().copied())
}

/// [`fold_path`] over any sequence of siblings (bottom first), without collecting them: the
/// program folds its instruction's proof nodes as they are. The caller bounds the depth.
///
/// # Errors
///
/// [`MerkleSumError::SumOverflow`] if a sum along the path does not fit in a `u64`.
pub fn fold_siblings(
    start: Node,
    siblings: impl IntoIterator<Item = Sibling>,
) -> Result<Node, MerkleSumError> {
    siblings.into_iter().try_fold(start, |node, sibling| {
        if sibling.is_left {
            parent(&sibling.node, &node)
        } else {
            parent(&node, &sibling.node)
        }
    })
}

/// Checks that `(wallet, amount)` is a leaf of the tree with root `root`: folds the leaf up
/// through `proof` and compares both the hash and the sum with the root.
///
/// # Errors
///
/// [`MerkleSumError::RootMismatch`] if the folded node differs from `root` in hash or sum, and
/// the errors of [`fold_path`].
pub fn verify(
    wallet: &[u8; 32],
    amount: u64,
    proof: &Proof,
    root: &Node,
) -> Result<(), MerkleSumError> {
    let folded = fold_path(leaf(wallet, amount), &proof.siblings)?;
    if folded == *root {
        Ok(())
    } else {
        Err(MerkleSumError::RootMismatch)
    }
}

/// The number of levels above the leaves of a tree of `count` leaves (0 for one leaf), or
/// `None` for an empty tree.
#[must_use]
pub const fn height(count: u64) -> Option<u32> {
    if count == 0 {
        return None;
    }
    // ceil(log2(count)): the levels halve (rounding up) until one node is left.
    Some(u64::BITS - (count - 1).leading_zeros())
}

/// The number of nodes at `level` of a tree of `count` leaves: `ceil(count / 2^level)`.
#[must_use]
pub const fn level_size(count: u64, level: u32) -> u64 {
    if level >= u64::BITS {
        return if count == 0 { 0 } else { 1 };
    }
    let size = count >> level;
    if size << level == count {
        size
    } else {
        size + 1
    }
}

/// How many siblings the path of leaf `index` has between level `from` and level `to` in a tree
/// of `count` leaves (levels where that node is promoted have none).
#[must_use]
pub const fn path_len(index: u64, count: u64, from: u32, to: u32) -> u32 {
    let mut n = 0;
    let mut level = from;
    while level < to && level < u64::BITS {
        if ((index >> level) ^ 1) < level_size(count, level) {
            n += 1;
        }
        level += 1;
    }
    n
}

/// Folds `start`, the node above leaf `index` at level `from`, up to level `to` of a tree of
/// `count` leaves, taking one sibling from `path` at each level where the node has one (its side
/// is fixed by the index, see the module docs). `path` must hold exactly those siblings.
///
/// With `to` = [`height`] the result is the root: a path accepted here proves that `start` sits at
/// position `index >> from` of level `from`.
///
/// # Errors
///
/// [`MerkleSumError::BadShape`] if `index >= count`, `from > to`, `to` is above the root, or
/// `path` has too few or too many siblings; [`MerkleSumError::SumOverflow`] from [`parent`].
pub fn fold_at(
    start: Node,
    index: u64,
    count: u64,
    from: u32,
    to: u32,
    path: impl IntoIterator<Item = Node>,
) -> Result<Node, MerkleSumError> {
    let top = height(count).ok_or(MerkleSumError::BadShape)?;
    if index >= count || from > to || to > top {
        return Err(MerkleSumError::BadShape);
    }
    let mut path = path.into_iter();
    let mut node = start;
    for level in from..to {
        let position = index >> level;
        if (position ^ 1) >= level_size(count, level) {
            continue; // promoted
        }
        let sibling = path.next().ok_or(MerkleSumError::BadShape)?;
        node = if position & 1 == 1 {
            parent(&sibling, &node)?
        } else {
            parent(&node, &sibling)?
        };
    }
    if path.next().is_some() {
        return Err(MerkleSumError::BadShape);
    }
    Ok(node)
}

/// A built tree: every level, leaves first, the single root last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    /// `levels[0]` are the leaves; the last level holds exactly the root. Never empty.
    levels: Vec<Vec<Node>>,
    root: Node,
}

impl Tree {
    /// Builds the tree of `leaves` (`(wallet, cumulative_amount)`) in index order: leaf `i` is
    /// `leaves[i]`. Wallets must be distinct.
    ///
    /// # Errors
    ///
    /// [`MerkleSumError::Empty`] for no leaves, [`MerkleSumError::Duplicate`] (with the index of
    /// the later leaf) for a repeated wallet, and [`MerkleSumError::SumOverflow`] if the total
    /// does not fit in a `u64`.
    pub fn new(leaves: &[([u8; 32], u64)]) -> Result<Self, MerkleSumError> {
        let mut seen = alloc::collections::BTreeSet::new();
        for (index, (wallet, _)) in leaves.iter().enumerate() {
            if !seen.insert(wallet) {
                return Err(MerkleSumError::Duplicate { index });
            }
        }
        Self::with_repeats(leaves)
    }

    /// Builds the tree of `leaves` as [`Tree::new`] does, but accepts a repeated wallet: a
    /// fraudulent tree may hold one, and whoever proves it must rebuild that tree exactly.
    ///
    /// # Errors
    ///
    /// [`MerkleSumError::Empty`] for no leaves, [`MerkleSumError::SumOverflow`] if the total
    /// does not fit in a `u64`.
    pub fn with_repeats(leaves: &[([u8; 32], u64)]) -> Result<Self, MerkleSumError> {
        if leaves.is_empty() {
            return Err(MerkleSumError::Empty);
        }
        let mut level: Vec<Node> = leaves
            .iter()
            .map(|(wallet, amount)| leaf(wallet, *amount))
            .collect();
        let mut levels = Vec::new();
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len().div_ceil(2));
            let mut nodes = level.iter();
            while let Some(left) = nodes.next() {
                match nodes.next() {
                    Some(right) => next.push(parent(left, right)?),
                    // Odd last node: promoted unchanged, never duplicated.
                    None => next.push(*left),
                }
            }
            levels.push(level);
            level = next;
        }
        let root = *level.first().ok_or(MerkleSumError::Empty)?;
        levels.push(level);
        Ok(Self { levels, root })
    }

    /// The root: its `sum` is the total of all amounts.
    #[must_use]
    pub fn root(&self) -> Node {
        self.root
    }

    /// The number of leaves (at least 1).
    #[must_use]
    pub fn len(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// Always `false`: a tree has at least one leaf.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of levels above the leaves (0 for a one-leaf tree).
    #[must_use]
    pub fn height(&self) -> usize {
        self.levels.len().saturating_sub(1)
    }

    /// The leaf node at `index`.
    #[must_use]
    pub fn leaf(&self, index: usize) -> Option<Node> {
        self.levels.first()?.get(index).copied()
    }

    /// The proof for the leaf at `index`, or `None` if out of range.
    #[must_use]
    pub fn proof(&self, index: usize) -> Option<Proof> {
        if index >= self.len() {
            return None;
        }
        let (_root, below_root) = self.levels.split_last()?;
        let mut siblings = Vec::with_capacity(below_root.len());
        let mut position = index;
        for level in below_root {
            let sibling_position = position ^ 1;
            if let Some(node) = level.get(sibling_position) {
                siblings.push(Sibling {
                    node: *node,
                    is_left: sibling_position < position,
                });
            }
            position >>= 1;
        }
        Some(Proof { siblings })
    }

    /// The node at `position` of `level` (0 = the leaves).
    #[must_use]
    pub fn node(&self, level: usize, position: usize) -> Option<Node> {
        self.levels.get(level)?.get(position).copied()
    }

    /// The siblings of the node above leaf `index` at each level from `from` up to (not
    /// including) `to`, bottom first, without side flags: the path [`fold_at`] takes. `None` if
    /// `index` is out of range or `from > to` or `to` is above the root.
    #[must_use]
    pub fn shaped_path(&self, index: usize, from: usize, to: usize) -> Option<Vec<Node>> {
        if index >= self.len() || from > to || to > self.height() {
            return None;
        }
        let mut path = Vec::with_capacity(to - from);
        for level in from..to {
            let position = index >> level;
            if let Some(node) = self.levels.get(level)?.get(position ^ 1) {
                path.push(*node);
            }
        }
        Some(path)
    }
}

#[cfg(test)]
mod tests;
