//! The evidence finder (pure): given the rows of a proposal's base tree (the final root it
//! extends) and of its posted tree, each `(wallet, cumulative)` in leaf index order, it checks
//! that the rows rebuild the trees the proposal commits to and lists every fraud the rewards
//! program can prove (docs/fraud-proofs.md):
//!
//! ```text
//! for each base index i:   posted leaf i missing, another wallet, or less  ─► Decrease(i)
//! for each posted wallet:  also at an earlier posted index j               ─► Duplicate(j, i)
//! rows rebuild the root's hash and count, not its total                     ─► InconsistentRoot
//! ```
//!
//! The last one is the only inconsistent sum that files can show: a node's hash commits to its
//! children's sums, so rows that rebuild the root's hash rebuild every node below it, and only
//! the root's own published sum (the voted total) can disagree. An inconsistent node deeper down
//! stops every probe and claim that crosses it; a demand below it goes unanswered.
//!
//! A fraudulent posted tree may hold a wallet twice, which `merkle_sum::Tree::new` refuses, so
//! trees are built here by `merkle_sum::Tree::with_repeats`; their shaped paths feed the probe
//! steps (`watch::steps`).

use std::collections::HashMap;

use depin_client::builders::rewards_ix::{MerkleNode, NodePreimage};
use depin_formats::keys::Pubkey;
use depin_formats::transparency::parse_wallet_rows;
use merkle_sum::{MerkleSumError, Tree};

/// One leaf: `(wallet, cumulative amount)`.
pub type Row = ([u8; 32], u64);

/// What a proposal commits to for one tree: root hash, sum and leaf count (all zero for the
/// empty tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tuple {
    pub root: [u8; 32],
    pub total: u64,
    pub leaves: u64,
}

impl Tuple {
    /// The empty tree's tuple: zero root, total and leaf count.
    pub const EMPTY: Self = Self {
        root: [0; 32],
        total: 0,
        leaves: 0,
    };
}

impl std::fmt::Display for Tuple {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "(root {}, total {}, leaves {})",
            hex::encode(self.root),
            self.total,
            self.leaves
        )
    }
}

/// Why rows cannot serve as evidence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("{0}")]
    Format(String),
    #[error("the amounts overflow u64")]
    Overflow,
    #[error("the rows rebuild {found}, the proposal commits to {expected}")]
    Mismatch { expected: Tuple, found: Tuple },
}

/// Parses a wallets.csv (`docs/transparency.md`) into its rows in order, keeping a repeated
/// wallet (`depin_formats::transparency::parse_wallet_rows`): a posted tree's files may hold
/// one, and that is evidence, not a reason to stop reading.
///
/// # Errors
///
/// [`EvidenceError::Format`] for a bad header, line ending, field count, key or integer.
pub fn parse_rows(bytes: &[u8]) -> Result<Vec<Row>, EvidenceError> {
    let rows = parse_wallet_rows(bytes).map_err(|e| EvidenceError::Format(e.to_string()))?;
    Ok(rows
        .into_iter()
        .map(|r| (r.wallet.to_bytes(), r.cumulative))
        .collect())
}

/// The rows of one of a proposal's trees, and the tree they build (none for no rows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownTree {
    rows: Vec<Row>,
    tree: Option<Tree>,
}

impl KnownTree {
    /// The rows and their tree.
    ///
    /// # Errors
    ///
    /// [`EvidenceError::Overflow`].
    pub fn new(rows: Vec<Row>) -> Result<Self, EvidenceError> {
        let tree = match Tree::with_repeats(&rows) {
            Ok(tree) => Some(tree),
            Err(MerkleSumError::Empty) => None,
            Err(_) => return Err(EvidenceError::Overflow),
        };
        Ok(Self { rows, tree })
    }

    /// The rows, checked to rebuild `expected`'s root hash and leaf count. Their total may
    /// differ from `expected`'s: then the voted total is not the root's children's sum
    /// ([`Fraud::InconsistentRoot`]).
    ///
    /// # Errors
    ///
    /// [`EvidenceError::Overflow`], or [`EvidenceError::Mismatch`] when they rebuild another
    /// root or count.
    pub fn checked(rows: Vec<Row>, expected: Tuple) -> Result<Self, EvidenceError> {
        let known = Self::new(rows)?;
        let found = known.tuple();
        if (found.root, found.leaves) == (expected.root, expected.leaves) {
            Ok(known)
        } else {
            Err(EvidenceError::Mismatch { expected, found })
        }
    }

    /// What the rows commit to.
    #[must_use]
    pub fn tuple(&self) -> Tuple {
        self.tree.as_ref().map_or(Tuple::EMPTY, |t| {
            let root = t.root();
            Tuple {
                root: root.hash,
                total: root.sum,
                leaves: depin_formats::count_u64(t.len()),
            }
        })
    }

    /// What the root's hash opens to: its two children, or a one-leaf tree's leaf. `None` for
    /// the empty tree.
    #[must_use]
    pub fn root_preimage(&self) -> Option<NodePreimage> {
        let tree = self.tree.as_ref()?;
        let height = tree.height();
        if height == 0 {
            let (wallet, amount) = self.row(0)?;
            let wallet = depin_client::solana_pubkey::Pubkey::new_from_array(wallet);
            return Some(NodePreimage::Leaf { wallet, amount });
        }
        let child = |position| tree.node(height - 1, position).map(MerkleNode::from);
        Some(NodePreimage::Children {
            left: child(0)?,
            right: child(1)?,
        })
    }

    /// Leaf `index`.
    #[must_use]
    pub fn row(&self, index: u64) -> Option<Row> {
        self.rows.get(usize::try_from(index).ok()?).copied()
    }

    /// The rows in index order.
    #[must_use]
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The tree (none for no rows).
    #[must_use]
    pub const fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }
}

/// A fraud the rewards program can be shown (`Evidence` of `prove_fraud`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fraud {
    /// Posted leaf `index` names another wallet than base leaf `index`, or the same wallet with
    /// less; `posted` is `None` when the posted rows are shorter than the base (a count the
    /// program refuses at the vote: reported, not provable).
    Decrease {
        index: u64,
        base: Row,
        posted: Option<Row>,
    },
    /// The posted rows name `wallet` at `first` and again at `second` (`first < second`).
    Duplicate {
        first: u64,
        second: u64,
        wallet: [u8; 32],
    },
    /// The posted rows rebuild the root's hash and count, and sum to `total`, not the voted
    /// total.
    InconsistentRoot { total: u64 },
}

impl Fraud {
    /// The metric label: `decrease` or `duplicate`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Decrease { .. } => "decrease",
            Self::Duplicate { .. } => "duplicate",
            Self::InconsistentRoot { .. } => "inconsistent_sum",
        }
    }

    /// Whether probes can show it: every leaf it names exists.
    #[must_use]
    pub const fn provable(&self) -> bool {
        !matches!(self, Self::Decrease { posted: None, .. })
    }
}

impl std::fmt::Display for Fraud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = |w: &[u8; 32]| Pubkey(*w).to_string();
        match self {
            Self::Decrease {
                index,
                base,
                posted: Some(posted),
            } => write!(
                f,
                "decrease at leaf {index}: base {} {}, posted {} {}",
                key(&base.0),
                base.1,
                key(&posted.0),
                posted.1
            ),
            Self::Decrease {
                index,
                base,
                posted: None,
            } => write!(
                f,
                "decrease at leaf {index}: base {} {}, no posted leaf",
                key(&base.0),
                base.1
            ),
            Self::Duplicate {
                first,
                second,
                wallet,
            } => write!(
                f,
                "duplicate: wallet {} at leaves {first} and {second}",
                key(wallet)
            ),
            Self::InconsistentRoot { total } => write!(
                f,
                "inconsistent root: its children sum to {total}, not the voted total"
            ),
        }
    }
}

/// Every fraud between the base rows and the posted rows: decreases in base index order, then
/// duplicates in the order of their second index.
#[must_use]
pub fn find_frauds(base: &[Row], posted: &[Row]) -> Vec<Fraud> {
    let leaves = posted.iter().zip(0u64..).map(|(row, i)| (i, *row));
    let mut frauds = decreases_at(base, leaves.clone());
    for (row, index) in base.iter().zip(0u64..).skip(posted.len()) {
        frauds.push(Fraud::Decrease {
            index,
            base: *row,
            posted: None,
        });
    }
    frauds.extend(duplicates(leaves, base.len()));
    frauds
}

/// The frauds shown by some posted leaves alone (`(index, row)`, e.g. the leaves probes have
/// reached), against the base rows: decreases at those indices, then duplicates among them.
#[must_use]
pub fn find_in_leaves(base: &[Row], posted: &[(u64, Row)]) -> Vec<Fraud> {
    let mut sorted = posted.to_vec();
    sorted.sort_unstable_by_key(|(i, _)| *i);
    sorted.dedup_by_key(|(i, _)| *i);
    let mut frauds = decreases_at(base, sorted.iter().copied());
    frauds.extend(duplicates(sorted.into_iter(), base.len()));
    frauds
}

fn decreases_at(base: &[Row], posted: impl Iterator<Item = (u64, Row)>) -> Vec<Fraud> {
    posted
        .filter_map(|(index, row)| {
            let base = *base.get(usize::try_from(index).ok()?)?;
            // The program's own check: another wallet, or the same one with less.
            let lowered = rewards::math::fraud::decrease((&base.0, base.1), (&row.0, row.1));
            lowered.is_ok().then_some(Fraud::Decrease {
                index,
                base,
                posted: Some(row),
            })
        })
        .collect()
}

/// Each later index of a wallet, paired with its first index (`leaves` ascending by index), when
/// the later one was appended by this root (at or past the base's `base_leaves`): a duplicate
/// inherited from a final root is not this root's fault, and the program refuses it.
fn duplicates(leaves: impl Iterator<Item = (u64, Row)>, base_leaves: usize) -> Vec<Fraud> {
    let base_leaves = depin_formats::count_u64(base_leaves);
    let mut first: HashMap<[u8; 32], u64> = HashMap::new();
    let mut frauds = Vec::new();
    for (index, (wallet, _)) in leaves {
        match first.get(&wallet) {
            Some(_) if index < base_leaves => {}
            Some(&earlier) => frauds.push(Fraud::Duplicate {
                first: earlier,
                second: index,
                wallet,
            }),
            None => {
                first.insert(wallet, index);
            }
        }
    }
    frauds
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]
mod tests {
    use super::*;
    use depin_formats::transparency::WALLETS_HEADER;

    fn w(n: u8) -> [u8; 32] {
        [n; 32]
    }

    fn csv(rows: &[Row]) -> Vec<u8> {
        let mut out = format!("{WALLETS_HEADER}\n");
        for (wallet, amount) in rows {
            out.push_str(&format!("{},0,{amount},{amount}\n", Pubkey(*wallet)));
        }
        out.into_bytes()
    }

    #[test]
    fn an_honest_successor_shows_no_fraud() {
        let base = [(w(1), 10), (w(2), 20), (w(3), 30)];
        let posted = [(w(1), 15), (w(2), 20), (w(3), 31), (w(4), 1)];
        assert_eq!(find_frauds(&base, &posted), vec![]);
        assert_eq!(find_frauds(&[], &posted), vec![]);
        assert_eq!(find_frauds(&base, &base), vec![]);
    }

    #[test]
    fn every_decrease_and_duplicate_is_listed_with_its_indices() {
        let base = [(w(1), 500), (w(2), 100), (w(3), 30), (w(4), 7)];
        // Leaf 0 lowered, leaf 2 replaced by a new wallet (w(3) dropped), leaf 3 unchanged,
        // w(2) raised and given a second leaf at 4 and a third at 6.
        let posted = [
            (w(1), 400),
            (w(2), 900),
            (w(9), 30),
            (w(4), 7),
            (w(2), 5),
            (w(8), 1),
            (w(2), 5),
        ];
        assert_eq!(
            find_frauds(&base, &posted),
            vec![
                Fraud::Decrease {
                    index: 0,
                    base: (w(1), 500),
                    posted: Some((w(1), 400)),
                },
                Fraud::Decrease {
                    index: 2,
                    base: (w(3), 30),
                    posted: Some((w(9), 30)),
                },
                Fraud::Duplicate {
                    first: 1,
                    second: 4,
                    wallet: w(2),
                },
                Fraud::Duplicate {
                    first: 1,
                    second: 6,
                    wallet: w(2),
                },
            ]
        );
    }

    #[test]
    fn a_shorter_posted_tree_is_reported_but_not_provable() {
        let base = [(w(1), 1), (w(2), 2), (w(3), 3)];
        let frauds = find_frauds(&base, &[(w(1), 1)]);
        assert_eq!(
            frauds,
            vec![
                Fraud::Decrease {
                    index: 1,
                    base: (w(2), 2),
                    posted: None,
                },
                Fraud::Decrease {
                    index: 2,
                    base: (w(3), 3),
                    posted: None,
                },
            ]
        );
        assert!(frauds.iter().all(|f| !f.provable()));
        assert_eq!(
            frauds[0].to_string(),
            format!(
                "decrease at leaf 1: base {} 2, no posted leaf",
                Pubkey(w(2))
            )
        );
    }

    #[test]
    fn a_duplicate_inherited_from_the_base_is_not_this_roots() {
        // The base (final) already names w(1) twice; the posted root keeps it and appends w(3)
        // and, at 4, w(2) again: only that one is this root's duplicate.
        let base = [(w(1), 1), (w(2), 2), (w(1), 3)];
        let posted = [(w(1), 1), (w(2), 2), (w(1), 3), (w(3), 4), (w(2), 5)];
        assert_eq!(
            find_frauds(&base, &posted),
            vec![Fraud::Duplicate {
                first: 1,
                second: 4,
                wallet: w(2),
            }]
        );
        assert_eq!(
            find_in_leaves(&base, &[(0, (w(1), 1)), (2, (w(1), 3))]),
            vec![]
        );
    }

    #[test]
    fn the_root_preimage_opens_the_root_and_a_wrong_total_is_kept() {
        let rows = vec![(w(1), 10), (w(2), 20), (w(3), 30)];
        let known = KnownTree::new(rows.clone()).unwrap();
        let tree = merkle_sum::Tree::new(&rows).unwrap();
        let (left, right) = (tree.node(1, 0).unwrap(), tree.node(1, 1).unwrap());
        assert_eq!(
            known.root_preimage(),
            Some(NodePreimage::Children {
                left: left.into(),
                right: right.into(),
            })
        );
        // The voted total 10 below the rows' sum: the rows are kept (the hash and count match).
        let mut voted = known.tuple();
        voted.total -= 10;
        assert_eq!(KnownTree::checked(rows, voted).unwrap().tuple().total, 60);
        let one = KnownTree::new(vec![(w(4), 7)]).unwrap();
        assert_eq!(
            one.root_preimage(),
            Some(NodePreimage::Leaf {
                wallet: depin_client::solana_pubkey::Pubkey::new_from_array(w(4)),
                amount: 7,
            })
        );
        assert_eq!(KnownTree::new(Vec::new()).unwrap().root_preimage(), None);
        let fraud = Fraud::InconsistentRoot { total: 60 };
        assert_eq!((fraud.kind(), fraud.provable()), ("inconsistent_sum", true));
    }

    #[test]
    fn leaves_shown_by_probes_are_checked_alone() {
        let base = [(w(1), 50), (w(2), 60)];
        let shown = [
            (1, (w(2), 59)),
            (7, (w(5), 1)),
            (0, (w(1), 50)),
            (9, (w(1), 3)),
        ];
        assert_eq!(
            find_in_leaves(&base, &shown),
            vec![
                Fraud::Decrease {
                    index: 1,
                    base: (w(2), 60),
                    posted: Some((w(2), 59)),
                },
                Fraud::Duplicate {
                    first: 0,
                    second: 9,
                    wallet: w(1),
                },
            ]
        );
    }

    #[test]
    fn a_tree_with_a_repeated_wallet_is_held_with_its_rows() {
        // The duplicate tree of rewards/fraud.rs::a_wallet_at_two_indices_is_proven.
        let rows = vec![(w(1), 5), (w(2), 5), (w(1), 100), (w(3), 1)];
        let known = KnownTree::new(rows.clone()).unwrap();
        let tree = Tree::with_repeats(&rows).unwrap();
        assert_eq!(known.tree(), Some(&tree));
        assert_eq!(known.tuple().total, 111);
        assert_eq!(known.row(2), Some((w(1), 100)));
        assert_eq!(known.row(4), None);
    }

    #[test]
    fn the_five_leaf_vector_of_docs_merkle_sum() {
        let amounts = [100, 250, 375, 500, 1_000_000];
        let rows: Vec<Row> = (0..5u8)
            .map(|i| (w(i + 1), amounts[usize::from(i)]))
            .collect();
        let known = KnownTree::new(rows).unwrap();
        let expected = Tuple {
            root: hex::decode("3e6a8b08c9d194e97bba822260b85ed5b3bd25628afc3d172ff73b1786b567a6")
                .unwrap()
                .try_into()
                .unwrap(),
            total: 1_001_225,
            leaves: 5,
        };
        assert_eq!(known.tuple(), expected);
        assert_eq!(KnownTree::new(Vec::new()).unwrap().tuple(), Tuple::EMPTY);
    }

    #[test]
    fn rows_that_rebuild_another_tuple_or_overflow_are_refused() {
        let rows = vec![(w(1), 10), (w(2), 20)];
        let mut expected = KnownTree::new(rows.clone()).unwrap().tuple();
        assert!(KnownTree::checked(rows.clone(), expected).is_ok());
        expected.leaves = 3;
        let found = KnownTree::new(rows.clone()).unwrap().tuple();
        assert_eq!(
            KnownTree::checked(rows, expected),
            Err(EvidenceError::Mismatch { expected, found })
        );
        assert_eq!(
            KnownTree::new(vec![(w(1), u64::MAX), (w(2), 1)]),
            Err(EvidenceError::Overflow)
        );
    }

    #[test]
    fn wallets_csv_rows_are_read_in_order_duplicates_included() {
        let rows = [(w(3), 7), (w(1), 9), (w(3), 1)];
        assert_eq!(parse_rows(&csv(&rows)).unwrap(), rows.to_vec());
        assert_eq!(parse_rows(&csv(&[])).unwrap(), vec![]);
        let err = |bytes: &[u8]| parse_rows(bytes).unwrap_err().to_string();
        let header = format!("{WALLETS_HEADER}\n");
        let key = Pubkey(w(1));
        let cases: [(Vec<u8>, &str); 5] = [
            (
                b"wallet\n".to_vec(),
                "wallets.csv line 1: header is not \"wallet,epoch_reward,previous_cumulative,cumulative\"",
            ),
            (
                csv(&rows)[..20].to_vec(),
                "wallets.csv line 0: does not end with a newline",
            ),
            (
                format!("{header}x,1,2,3\n").into_bytes(),
                "wallets.csv line 2: bad key \"x\": expected 32 bytes, got 1",
            ),
            (
                format!("{header}{key},1,2,-3\n").into_bytes(),
                "wallets.csv line 2: bad integer \"-3\"",
            ),
            (
                format!("{header}{key},1,2\n").into_bytes(),
                "wallets.csv line 2: 3 fields, expected 4",
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(err(&bytes), expected);
        }
    }
}
