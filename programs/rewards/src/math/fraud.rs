//! Fraud-proof checks: pure functions over merkle-sum nodes, no accounts (docs/fraud-proofs.md).
//!
//! Evidence is built from **probes**: facts of the form "the node at `level` on the path of leaf
//! `index` of a tree is `N`", proven one transaction-sized step at a time ([`step`]). Because the
//! tree's shape is fixed by its leaf count, a probe's path proves the index, not only membership.
//! A posted root is fraudulent, and voided, if anyone shows during its dispute window:
//! - **a decrease** ([`decrease`]): leaf `i` of the final root the proposal extends is
//!   `(wallet, a)`, and leaf `i` of the posted root holds another wallet, or the same wallet with
//!   less than `a`. A wallet dropped from the tree is a decrease too: its index now holds
//!   someone else, and the leaf count may never shrink (checked when the root is voted);
//! - **a duplicate** ([`duplicate`]): two different leaves of the posted root name one wallet;
//! - **an inconsistent sum** ([`inconsistent`]): a node of the posted tree whose hash opens to
//!   children (or a leaf) whose sums do not add up to the node's published sum.

use merkle_sum::Node;

/// Why evidence does not prove fraud.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FraudError {
    /// A probe step does not fold to the node it descends from (hash or sum), or does not fit
    /// the tree's shape (index, level or sibling count).
    NotInRoot,
    /// The preimage does not hash to the node.
    PreimageMismatch,
    /// The preimage's sum is exactly the node's sum: no fraud.
    SumConsistent,
    /// Same wallet at the same index, and not less: no fraud.
    NoDecrease,
    /// The two leaves are the same index or name different wallets: no fraud.
    NotDuplicate,
}

/// One probe step: `node` sits at `level` on the path of leaf `index` of a tree of `leaves`
/// leaves, below `anchor` at `anchor_level` (the root at the tree's height, or a node an earlier
/// step proved). `path` holds exactly the siblings between the two levels, bottom first; their
/// sides follow from the index (`merkle_sum::fold_at`).
pub fn step(
    anchor: &Node,
    anchor_level: u32,
    node: Node,
    level: u32,
    index: u64,
    leaves: u64,
    path: impl IntoIterator<Item = Node>,
) -> Result<(), FraudError> {
    if level >= anchor_level {
        return Err(FraudError::NotInRoot);
    }
    let folded = merkle_sum::fold_at(node, index, leaves, level, anchor_level, path)
        .map_err(|_| FraudError::NotInRoot)?;
    if folded == *anchor {
        Ok(())
    } else {
        Err(FraudError::NotInRoot)
    }
}

/// The decrease check between leaf `i` of the base (final) root and leaf `i` of the posted root.
pub fn decrease(base: (&[u8; 32], u64), posted: (&[u8; 32], u64)) -> Result<(), FraudError> {
    if base.0 != posted.0 || posted.1 < base.1 {
        Ok(())
    } else {
        Err(FraudError::NoDecrease)
    }
}

/// The duplicate check between two proven leaves of the posted root.
pub fn duplicate(first: (u64, &[u8; 32]), second: (u64, &[u8; 32])) -> Result<(), FraudError> {
    if first.0 != second.0 && first.1 == second.1 {
        Ok(())
    } else {
        Err(FraudError::NotDuplicate)
    }
}

/// What a node's hash opens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preimage {
    /// An internal node's children.
    Children { left: Node, right: Node },
    /// A leaf's wallet and amount.
    Leaf { wallet: [u8; 32], amount: u64 },
}

/// The inconsistent-sum check: `preimage` hashes to `node.hash` and its sum (the children's sums
/// added, overflow included, or the leaf's amount) is not `node.sum`.
pub fn inconsistent(node: &Node, preimage: &Preimage) -> Result<(), FraudError> {
    let (hash, sum) = match preimage {
        Preimage::Children { left, right } => (
            merkle_sum::node_hash(left, right),
            left.sum.checked_add(right.sum),
        ),
        Preimage::Leaf { wallet, amount } => {
            (merkle_sum::leaf(wallet, *amount).hash, Some(*amount))
        }
    };
    if hash != node.hash {
        return Err(FraudError::PreimageMismatch);
    }
    if sum == Some(node.sum) {
        Err(FraudError::SumConsistent)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use merkle_sum::Tree;
    use proptest::prelude::*;

    fn wallet(i: u32) -> [u8; 32] {
        let mut w = [0u8; 32];
        w[..4].copy_from_slice(&i.to_le_bytes());
        w[31] = 1;
        w
    }

    fn tree(amounts: &[u64]) -> Tree {
        let leaves: Vec<([u8; 32], u64)> = (0u32..)
            .zip(amounts)
            .map(|(i, a)| (wallet(i), *a))
            .collect();
        Tree::new(&leaves).unwrap()
    }

    fn count(t: &Tree) -> u64 {
        u64::try_from(t.len()).unwrap()
    }

    fn top(t: &Tree) -> u32 {
        u32::try_from(t.height()).unwrap()
    }

    /// Descends to leaf `index` in two steps split at `mid` and returns the leaf node.
    fn probe(t: &Tree, index: usize, mid: u32) -> Result<Node, FraudError> {
        let i = u64::try_from(index).unwrap();
        let h = top(t);
        let mid = mid.min(h);
        let upper = t.shaped_path(index, mid as usize, h as usize).unwrap();
        let node = t.node(mid as usize, index >> mid).unwrap();
        if mid < h {
            step(&t.root(), h, node, mid, i, count(t), upper)?;
        }
        let leaf = t.leaf(index).unwrap();
        if mid > 0 {
            let lower = t.shaped_path(index, 0, mid as usize).unwrap();
            step(&node, mid, leaf, 0, i, count(t), lower)?;
        }
        Ok(leaf)
    }

    #[test]
    fn a_probe_proves_a_leaf_at_its_index_only() {
        let t = tree(&[10, 20, 30, 40, 50]);
        assert_eq!(probe(&t, 4, 1), Ok(t.leaf(4).unwrap()));
        let path = t.shaped_path(1, 0, 3).unwrap();
        assert_eq!(
            step(&t.root(), 3, t.leaf(1).unwrap(), 0, 1, 5, path.clone()),
            Ok(())
        );
        // The same leaf and siblings claimed at index 0: the sides differ.
        assert_eq!(
            step(&t.root(), 3, t.leaf(1).unwrap(), 0, 0, 5, path.clone()),
            Err(FraudError::NotInRoot)
        );
        // Another leaf count: another shape. Leaf 4 of 5 is promoted twice (one sibling);
        // claimed in a tree of 6 it would need a sibling at level 0 too.
        let last = t.shaped_path(4, 0, 3).unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(
            step(&t.root(), 3, t.leaf(4).unwrap(), 0, 4, 5, last.clone()),
            Ok(())
        );
        assert_eq!(
            step(&t.root(), 3, t.leaf(4).unwrap(), 0, 4, 6, last),
            Err(FraudError::NotInRoot)
        );
        assert_eq!(
            step(&t.root(), 3, t.leaf(1).unwrap(), 0, 1, 3, path.clone()),
            Err(FraudError::NotInRoot)
        );
        // A step must go down.
        assert_eq!(
            step(&t.root(), 3, t.root(), 3, 1, 5, []),
            Err(FraudError::NotInRoot)
        );
    }

    #[test]
    fn decrease_and_omission() {
        let (a, b) = (wallet(1), wallet(2));
        assert_eq!(decrease((&a, 100), (&a, 99)), Ok(()));
        assert_eq!(decrease((&a, 100), (&b, 500)), Ok(()));
        assert_eq!(decrease((&a, 100), (&a, 100)), Err(FraudError::NoDecrease));
        assert_eq!(decrease((&a, 100), (&a, 101)), Err(FraudError::NoDecrease));
    }

    #[test]
    fn duplicates_need_two_indices_and_one_wallet() {
        let (a, b) = (wallet(1), wallet(2));
        assert_eq!(duplicate((3, &a), (9, &a)), Ok(()));
        assert_eq!(duplicate((3, &a), (3, &a)), Err(FraudError::NotDuplicate));
        assert_eq!(duplicate((3, &a), (9, &b)), Err(FraudError::NotDuplicate));
    }

    #[test]
    fn an_inconsistent_node_or_leaf_is_proven() {
        let l = merkle_sum::leaf(&wallet(1), 10);
        let r = merkle_sum::leaf(&wallet(2), 20);
        let honest = merkle_sum::parent(&l, &r).unwrap();
        let children = Preimage::Children { left: l, right: r };
        assert_eq!(
            inconsistent(&honest, &children),
            Err(FraudError::SumConsistent)
        );
        let lying = Node { sum: 5, ..honest };
        assert_eq!(inconsistent(&lying, &children), Ok(()));
        let other = Preimage::Children { left: r, right: l };
        assert_eq!(
            inconsistent(&lying, &other),
            Err(FraudError::PreimageMismatch)
        );
        // A leaf whose published sum is not its amount.
        let leaf = Preimage::Leaf {
            wallet: wallet(1),
            amount: 10,
        };
        assert_eq!(inconsistent(&Node { sum: 11, ..l }, &leaf), Ok(()));
        assert_eq!(inconsistent(&l, &leaf), Err(FraudError::SumConsistent));
        // Children whose sums overflow are inconsistent with any sum.
        let big = merkle_sum::leaf(&wallet(3), u64::MAX);
        let node = Node {
            hash: merkle_sum::node_hash(&big, &r),
            sum: 0,
        };
        let over = Preimage::Children {
            left: big,
            right: r,
        };
        assert_eq!(inconsistent(&node, &over), Ok(()));
    }

    proptest! {
        /// In any tree, every leaf is reached by a two-step probe split at any level, and the
        /// reached leaf is the one at that index.
        #[test]
        fn probes_reach_every_leaf(amounts in proptest::collection::vec(0u64..1_000_000, 1..80), mid in 0u32..8) {
            let t = tree(&amounts);
            for (index, amount) in amounts.iter().enumerate() {
                let w = wallet(u32::try_from(index).unwrap());
                prop_assert_eq!(probe(&t, index, mid), Ok(merkle_sum::leaf(&w, *amount)));
            }
        }

        /// An honest successor (old wallets at their index with amounts not lower, new wallets
        /// appended) proves no decrease at any old index.
        #[test]
        fn an_honest_successor_proves_nothing(old in proptest::collection::vec(0u64..1_000_000, 1..40), raise in proptest::collection::vec(0u64..1_000, 40), extra in 0usize..10) {
            let new: Vec<u64> = old.iter().zip(&raise).map(|(a, r)| a + r)
                .chain(core::iter::repeat_n(7, extra)).collect();
            for i in 0..old.len() {
                let w = wallet(u32::try_from(i).unwrap());
                prop_assert_eq!(decrease((&w, old[i]), (&w, new[i])), Err(FraudError::NoDecrease));
            }
        }
    }
}
