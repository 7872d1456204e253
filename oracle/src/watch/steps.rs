//! Probe steps (pure): the `open_probe` and `extend_probe` arguments that walk the probe of one
//! leaf of a tree down to that leaf, from the root or from wherever the probe already stands
//! (someone else opened it, or a step of ours landed before a crash). Each step carries at most
//! `step` siblings (`MAX_PROBE_STEP` on-chain); the last one names the leaf's wallet and amount.
//!
//! ```text
//! level H (root) ── open: the node at level H-16 and its 16 siblings up to the root
//! level H-16     ── extend: the node 16 levels lower (or the leaf) and the siblings between
//! level 0        ── the leaf (wallet, amount): the probe proves "leaf i is (wallet, amount)"
//! ```
//!
//! Levels where the path's node is promoted have no sibling, so a step may cross more levels
//! than it carries siblings. The cutting is the SDK's (`rewards_ix::probe_steps_below`); this
//! module checks the tree, the row and the level first, with errors that say which.

use depin_client::builders::rewards_ix::{
    ExtendProbeArgs, MerkleNode, OpenProbeArgs, ProbeSide, ProbeTarget, open_then_extends,
    probe_steps_below,
};
use merkle_sum::Tree;

use super::evidence::Row;

/// Why no steps could be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("leaf {index} is out of a tree of {leaves} leaves")]
    Index { index: u64, leaves: u64 },
    #[error("leaf {index} of the tree is not the row given")]
    NotTheLeaf { index: u64 },
    #[error("level {level} is above the root (height {height})")]
    Level { level: u32, height: u32 },
    #[error("a step must carry at least one sibling")]
    ZeroStep,
}

/// One step: the node it proves and its siblings up to the level it starts from.
type Step = (ProbeTarget, Vec<MerkleNode>);

/// The steps from level `from` of leaf `index`'s path down to the leaf `row`.
///
/// # Errors
///
/// [`StepError`]: the index, the row, the level or the step size does not fit the tree.
pub fn steps_from(
    tree: &Tree,
    index: u64,
    row: Row,
    from: u32,
    step: usize,
) -> Result<Vec<Step>, StepError> {
    let leaves = depin_formats::count_u64(tree.len());
    let out_of_range = StepError::Index { index, leaves };
    let position = usize::try_from(index).map_err(|_| out_of_range.clone())?;
    let height = u32::try_from(tree.height()).map_err(|_| out_of_range.clone())?;
    let path = tree
        .shaped_path(position, 0, tree.height())
        .ok_or_else(|| out_of_range.clone())?;
    if tree.leaf(position) != Some(merkle_sum::leaf(&row.0, row.1)) {
        return Err(StepError::NotTheLeaf { index });
    }
    if from > height {
        return Err(StepError::Level {
            level: from,
            height,
        });
    }
    if step == 0 {
        return Err(StepError::ZeroStep);
    }
    probe_steps_below(index, leaves, row, &path, from, step).ok_or(out_of_range)
}

/// `open_probe` from the root of `tree` (the tree of `side`) down to leaf `index`, then the
/// `extend_probe`s to the leaf.
///
/// # Errors
///
/// As [`steps_from`].
pub fn open_steps(
    tree: &Tree,
    side: ProbeSide,
    index: u64,
    row: Row,
    step: usize,
) -> Result<(OpenProbeArgs, Vec<ExtendProbeArgs>), StepError> {
    let height = u32::try_from(tree.height()).unwrap_or(u32::MAX);
    let steps = steps_from(tree, index, row, height, step)?;
    open_then_extends(side, index, steps).ok_or(StepError::ZeroStep)
}

/// The `extend_probe`s that take a probe standing at `level` down to leaf `index`.
///
/// # Errors
///
/// As [`steps_from`].
pub fn extend_steps(
    tree: &Tree,
    index: u64,
    row: Row,
    level: u32,
    step: usize,
) -> Result<Vec<ExtendProbeArgs>, StepError> {
    Ok(steps_from(tree, index, row, level, step)?
        .into_iter()
        .map(extend)
        .collect())
}

fn extend((target, path): Step) -> ExtendProbeArgs {
    ExtendProbeArgs { target, path }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]
mod tests {
    use depin_client::builders::rewards_ix::{probe_steps, probe_steps_on_path};
    use depin_client::solana_pubkey::Pubkey;
    use rewards::constants::MAX_PROBE_STEP;

    use super::*;

    fn rows(n: u64) -> Vec<Row> {
        (0..n)
            .map(|i| {
                let mut wallet = [0u8; 32];
                wallet[..8].copy_from_slice(&i.to_le_bytes());
                wallet[31] = 0xAA;
                (wallet, i + 1)
            })
            .collect()
    }

    fn node(tree: &Tree, level: u32, index: u64) -> ProbeTarget {
        ProbeTarget::Node {
            level: u8::try_from(level).unwrap(),
            node: tree
                .node(level as usize, (index >> level) as usize)
                .unwrap()
                .into(),
        }
    }

    fn leaf(row: Row) -> ProbeTarget {
        ProbeTarget::Leaf {
            wallet: Pubkey::new_from_array(row.0),
            amount: row.1,
        }
    }

    fn shape(steps: &[Step]) -> Vec<(ProbeTarget, usize)> {
        steps.iter().map(|(t, p)| (*t, p.len())).collect()
    }

    #[test]
    fn from_the_root_the_steps_are_the_sdks() {
        for n in [1u64, 2, 3, 5, 8, 17, 100] {
            let rows = rows(n);
            let tree = Tree::new(&rows).unwrap();
            for i in 0..n {
                let row = rows[i as usize];
                for step in [1, 2, 3, MAX_PROBE_STEP] {
                    let ours = open_steps(&tree, ProbeSide::Posted, i, row, step).unwrap();
                    let sdk = probe_steps(&tree, ProbeSide::Posted, i as usize, row, step).unwrap();
                    assert_eq!(ours, sdk, "{n} leaves, leaf {i}, step {step}");
                }
            }
        }
    }

    #[test]
    fn a_depth_18_tree_splits_into_packet_sized_steps() {
        // 2^17 + 1 leaves: height 18. Leaf 5 has a sibling at every level; the last leaf is
        // promoted on every level but the top one.
        let n = (1u64 << 17) + 1;
        let rows = rows(n);
        let tree = Tree::new(&rows).unwrap();
        assert_eq!(merkle_sum::height(n), Some(18));
        let i = 5;
        let path = tree.shaped_path(i as usize, 0, 18).unwrap();
        assert_eq!(path.len(), 18);
        let all = steps_from(&tree, i, rows[5], 18, MAX_PROBE_STEP).unwrap();
        assert_eq!(
            shape(&all),
            vec![(node(&tree, 2, i), 16), (leaf(rows[5]), 2)]
        );
        assert_eq!(
            all[0].1,
            path[2..]
                .iter()
                .map(|n| MerkleNode::from(*n))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            all[1].1,
            path[..2]
                .iter()
                .map(|n| MerkleNode::from(*n))
                .collect::<Vec<_>>()
        );
        let (open, extends) = open_steps(&tree, ProbeSide::Base, i, rows[5], 16).unwrap();
        let sdk = probe_steps_on_path(ProbeSide::Base, i, n, rows[5], &path, 16).unwrap();
        assert_eq!((open.clone(), extends.clone()), sdk);
        assert_eq!((open.target, open.path.len()), (node(&tree, 2, i), 16));

        // From where a probe may stand: level 2, level 10 (one step each), level 10 by fours.
        let from =
            |level: u32, step: usize| shape(&steps_from(&tree, i, rows[5], level, step).unwrap());
        assert_eq!(from(2, 16), vec![(leaf(rows[5]), 2)]);
        assert_eq!(from(10, 16), vec![(leaf(rows[5]), 10)]);
        assert_eq!(
            from(10, 4),
            vec![
                (node(&tree, 6, i), 4),
                (node(&tree, 2, i), 4),
                (leaf(rows[5]), 2)
            ]
        );
        assert_eq!(from(0, 16), vec![(leaf(rows[5]), 0)]);

        // The promoted last leaf: one sibling, at the top level; one step from the root.
        let last = n - 1;
        let row = rows[last as usize];
        assert_eq!(tree.shaped_path(last as usize, 0, 18).unwrap().len(), 1);
        assert_eq!(
            shape(&steps_from(&tree, last, row, 18, 16).unwrap()),
            vec![(leaf(row), 1)]
        );
        // From level 17 (the promoted node below the root): no sibling left to carry.
        assert_eq!(
            shape(&steps_from(&tree, last, row, 17, 16).unwrap()),
            vec![(leaf(row), 0)]
        );
    }

    #[test]
    fn steps_that_do_not_fit_the_tree_are_refused() {
        let rows = rows(5);
        let tree = Tree::new(&rows).unwrap();
        let err = |i: u64, row: Row, from: u32, step: usize| {
            steps_from(&tree, i, row, from, step)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(5, rows[0], 3, 16),
            "leaf 5 is out of a tree of 5 leaves"
        );
        assert_eq!(
            err(1, rows[0], 3, 16),
            "leaf 1 of the tree is not the row given"
        );
        assert_eq!(
            err(1, rows[1], 4, 16),
            "level 4 is above the root (height 3)"
        );
        assert_eq!(
            err(1, rows[1], 3, 0),
            "a step must carry at least one sibling"
        );
    }

    #[test]
    fn a_one_leaf_tree_opens_at_its_leaf() {
        let rows = rows(1);
        let tree = Tree::new(&rows).unwrap();
        let (open, extends) = open_steps(&tree, ProbeSide::Posted, 0, rows[0], 16).unwrap();
        assert_eq!((open.target, open.path.len()), (leaf(rows[0]), 0));
        assert!(extends.is_empty());
    }
}
