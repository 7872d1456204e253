//! The evidence finder (pure): given the rows of a proposal's base tree (the final root it
//! extends) and of its posted tree, each `(wallet, cumulative)` in leaf index order, it checks
//! that the rows rebuild the trees the proposal commits to and lists every fraud the rewards
//! program can prove (docs/fraud-proofs.md):
//!
//! ```text
//! for each base index i:   posted leaf i missing, another wallet, or less  ─► Decrease(i)
//! for each posted wallet:  also at an earlier posted index j               ─► Duplicate(j, i)
//! ```
//!
//! A fraudulent posted tree may hold a wallet twice, which `merkle_sum::Tree::new` refuses, so
//! trees are built here by [`LenientTree`] (the same leaves, parents and promotion rule, without
//! the duplicate check); its shaped paths feed the probe steps (`watch::steps`).

use std::collections::HashMap;

use depin_formats::keys::Pubkey;
use depin_formats::transparency::WALLETS_HEADER;
use merkle_sum::{MerkleSumError, Node};

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
    #[error("wallets.csv line {line}: {message}")]
    Format { line: usize, message: String },
    #[error("the amounts overflow u64")]
    Overflow,
    #[error("the rows rebuild {found}, the proposal commits to {expected}")]
    Mismatch { expected: Tuple, found: Tuple },
}

/// Parses a wallets.csv (`docs/transparency.md`) into its rows in order, like
/// `depin_formats::transparency::parse_wallets_csv` but keeping a repeated wallet: a posted
/// tree's files may hold one, and that is evidence, not a reason to stop reading.
///
/// # Errors
///
/// [`EvidenceError::Format`] for a bad header, line ending, field count, key or integer.
pub fn parse_rows(bytes: &[u8]) -> Result<Vec<Row>, EvidenceError> {
    let bad = |line: usize, message: &str| EvidenceError::Format {
        line,
        message: message.to_owned(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| bad(0, "not UTF-8"))?;
    let body = text
        .strip_suffix('\n')
        .ok_or_else(|| bad(0, "does not end with a newline"))?;
    let mut lines = body.split('\n');
    if lines.next() != Some(WALLETS_HEADER) {
        return Err(bad(1, "not the wallets.csv header"));
    }
    let mut rows = Vec::new();
    for (i, text) in lines.enumerate() {
        let line = i + 2;
        let fields: Vec<&str> = text.split(',').collect();
        let [wallet, _, _, cumulative] = fields[..] else {
            return Err(bad(line, "not 4 fields"));
        };
        let wallet: Pubkey = wallet.parse().map_err(|_| bad(line, "bad wallet key"))?;
        let cumulative: u64 = cumulative
            .parse()
            .map_err(|_| bad(line, "bad cumulative amount"))?;
        rows.push((wallet.to_bytes(), cumulative));
    }
    Ok(rows)
}

/// A merkle-sum tree over rows in index order, built like `merkle_sum::Tree::new` (pairs left
/// to right, an odd last node promoted) but accepting a repeated wallet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LenientTree {
    /// `levels[0]` are the leaves; the last level holds the root alone.
    levels: Vec<Vec<Node>>,
}

impl LenientTree {
    /// The tree of `rows`; `None` for no rows.
    ///
    /// # Errors
    ///
    /// [`EvidenceError::Overflow`] if the total exceeds u64.
    pub fn build(rows: &[Row]) -> Result<Option<Self>, EvidenceError> {
        let mut level: Vec<Node> = rows.iter().map(|(w, a)| merkle_sum::leaf(w, *a)).collect();
        if level.is_empty() {
            return Ok(None);
        }
        let mut levels = Vec::new();
        while level.len() > 1 {
            let next = level
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => merkle_sum::parent(left, right),
                    [promoted] => Ok(*promoted),
                    _ => Err(MerkleSumError::Empty),
                })
                .collect::<Result<Vec<Node>, MerkleSumError>>()
                .map_err(|_| EvidenceError::Overflow)?;
            levels.push(level);
            level = next;
        }
        levels.push(level);
        Ok(Some(Self { levels }))
    }

    /// The root.
    #[must_use]
    pub fn root(&self) -> Node {
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or(Node {
                hash: [0; 32],
                sum: 0,
            })
    }

    /// The number of leaves.
    #[must_use]
    pub fn len(&self) -> u64 {
        depin_formats::count_u64(self.levels.first().map_or(0, Vec::len))
    }

    /// Always false: a built tree has a leaf.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The node at `position` of `level` (0 = the leaves).
    #[must_use]
    pub fn node(&self, level: u32, position: u64) -> Option<Node> {
        let level = self.levels.get(usize::try_from(level).ok()?)?;
        level.get(usize::try_from(position).ok()?).copied()
    }

    /// The whole shaped path of leaf `index` (`docs/merkle-sum.md`, section 5.5): the siblings
    /// from the leaf up to the root, bottom first, without sides.
    #[must_use]
    pub fn shaped_path(&self, index: u64) -> Option<Vec<Node>> {
        if index >= self.len() {
            return None;
        }
        let below_root = self.levels.len().saturating_sub(1);
        let mut path = Vec::with_capacity(below_root);
        for (level, nodes) in self.levels.iter().take(below_root).enumerate() {
            let position = usize::try_from(index >> level).ok()?;
            if let Some(node) = nodes.get(position ^ 1) {
                path.push(*node);
            }
        }
        Some(path)
    }
}

/// The rows of one of a proposal's trees, and the tree they build (none for no rows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownTree {
    rows: Vec<Row>,
    tree: Option<LenientTree>,
}

impl KnownTree {
    /// The rows and their tree.
    ///
    /// # Errors
    ///
    /// [`EvidenceError::Overflow`].
    pub fn new(rows: Vec<Row>) -> Result<Self, EvidenceError> {
        let tree = LenientTree::build(&rows)?;
        Ok(Self { rows, tree })
    }

    /// The rows, checked to rebuild `expected`.
    ///
    /// # Errors
    ///
    /// [`EvidenceError::Overflow`], or [`EvidenceError::Mismatch`] when they rebuild another
    /// tuple.
    pub fn checked(rows: Vec<Row>, expected: Tuple) -> Result<Self, EvidenceError> {
        let known = Self::new(rows)?;
        let found = known.tuple();
        if found == expected {
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
                leaves: t.len(),
            }
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
    pub const fn tree(&self) -> Option<&LenientTree> {
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
}

impl Fraud {
    /// The metric label: `decrease` or `duplicate`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Decrease { .. } => "decrease",
            Self::Duplicate { .. } => "duplicate",
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
        }
    }
}

/// Whether `posted` at a base leaf is a decrease of `base`: another wallet, or less.
fn decreases(base: Row, posted: Row) -> bool {
    posted.0 != base.0 || posted.1 < base.1
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
    frauds.extend(duplicates(leaves));
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
    frauds.extend(duplicates(sorted.into_iter()));
    frauds
}

fn decreases_at(base: &[Row], posted: impl Iterator<Item = (u64, Row)>) -> Vec<Fraud> {
    posted
        .filter_map(|(index, row)| {
            let base = *base.get(usize::try_from(index).ok()?)?;
            decreases(base, row).then_some(Fraud::Decrease {
                index,
                base,
                posted: Some(row),
            })
        })
        .collect()
}

/// Each later index of a wallet, paired with its first index (`leaves` ascending by index).
fn duplicates(leaves: impl Iterator<Item = (u64, Row)>) -> Vec<Fraud> {
    let mut first: HashMap<[u8; 32], u64> = HashMap::new();
    let mut frauds = Vec::new();
    for (index, (wallet, _)) in leaves {
        match first.get(&wallet) {
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
    fn the_lenient_tree_equals_the_strict_one_and_builds_duplicates() {
        for n in 1..=9u8 {
            let rows: Vec<Row> = (1..=n).map(|i| (w(i), u64::from(i) * 10)).collect();
            let strict = merkle_sum::Tree::new(&rows).unwrap();
            let lenient = LenientTree::build(&rows).unwrap().unwrap();
            assert_eq!(lenient.root(), strict.root(), "{n} leaves");
            for i in 0..usize::from(n) {
                let path = strict.shaped_path(i, 0, strict.height()).unwrap();
                assert_eq!(
                    lenient.shaped_path(i as u64),
                    Some(path),
                    "{n} leaves, leaf {i}"
                );
            }
            assert_eq!(lenient.shaped_path(u64::from(n)), None);
        }
        // The duplicate tree of rewards/fraud.rs::a_wallet_at_two_indices_is_proven.
        let rows = [(w(1), 5), (w(2), 5), (w(1), 100), (w(3), 1)];
        let l = rows.map(|(wallet, amount)| merkle_sum::leaf(&wallet, amount));
        let left = merkle_sum::parent(&l[0], &l[1]).unwrap();
        let right = merkle_sum::parent(&l[2], &l[3]).unwrap();
        let tree = LenientTree::build(&rows).unwrap().unwrap();
        assert_eq!(tree.root(), merkle_sum::parent(&left, &right).unwrap());
        assert_eq!(tree.shaped_path(2), Some(vec![l[3], left]));
        assert_eq!(tree.node(1, 1), Some(right));
        assert_eq!(LenientTree::build(&[]).unwrap(), None);
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
        assert_eq!(
            err(b"wallet\n"),
            "wallets.csv line 1: not the wallets.csv header"
        );
        assert_eq!(
            err(&csv(&rows)[..20]),
            "wallets.csv line 0: does not end with a newline"
        );
        let header = format!("{WALLETS_HEADER}\n");
        assert_eq!(
            err(format!("{header}x,1,2,3\n").as_bytes()),
            "wallets.csv line 2: bad wallet key"
        );
        let key = Pubkey(w(1));
        assert_eq!(
            err(format!("{header}{key},1,2,-3\n").as_bytes()),
            "wallets.csv line 2: bad cumulative amount"
        );
        assert_eq!(
            err(format!("{header}{key},1,2\n").as_bytes()),
            "wallets.csv line 2: not 4 fields"
        );
    }
}
