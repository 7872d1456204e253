//! The test vectors of docs/merkle-sum.md, machine-readable in docs/merkle-sum-vectors.json.
//!
//! This test builds every vector from the crate and asserts that the checked-in JSON is exactly
//! what it builds, and that docs/merkle-sum.md quotes those same hashes and proofs, so neither
//! file can drift from the code. After an intended change of encoding, regenerate the JSON with
//!
//! ```text
//! UPDATE_VECTORS=1 cargo test -p merkle-sum --test vectors
//! ```
//!
//! then update the worked vectors in docs/merkle-sum.md by hand and run
//! scripts/merkle-sum-verify.py (the independent Python verifier of the same file).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use merkle_sum::{
    MerkleSumError, Node, Proof, Sibling, Tree, fold_at, height, leaf, parent, path_len, verify,
};
use serde_json::{Map, Value, json};

const REGENERATE: &str = "UPDATE_VECTORS=1 cargo test -p merkle-sum --test vectors";

/// Leaf `i` of every vector: wallet `[i + 1; 32]`, amount `AMOUNTS[i]`. 250 fills one byte,
/// 375 needs two (`77 01`), 1 000 000 three (`40 42 0f`): the little-endian order shows.
const AMOUNTS: [u64; 5] = [100, 250, 375, 500, 1_000_000];

/// The trees: a name and how many of the leaves above they take.
const TREES: [(&str, usize); 4] = [
    ("one leaf", 1),
    ("two leaves", 2),
    ("three leaves: the odd last leaf is promoted", 3),
    ("five leaves: promoted twice", 5),
];

/// The tree whose leaves are not in byte order: the leaves above at these indices, in this
/// order (L0, L2, L1). Index order is the order given; it once was the "unsorted" error vector.
const INDEX_ORDER: (&str, [usize; 3]) = (
    "three leaves in index order, not byte order: L0, L2, L1",
    [0, 2, 1],
);

/// A file of the repository: the crate is `programs/merkle-sum`, two levels down. The crate's
/// folder is read at run time (cargo sets it for the test), not baked in at compile time: one
/// target dir serves several checkouts, and a binary built in another clone must not read that
/// clone's files.
fn repo_file(relative: &str) -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let root = crate_dir.parent().and_then(Path::parent).unwrap();
    root.join(relative)
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(out, "{b:02x}").unwrap();
    }
    out
}

fn wallet(index: usize) -> [u8; 32] {
    [u8::try_from(index + 1).unwrap(); 32]
}

/// `(wallet, amount)` pairs, the input of [`Tree::new`].
type Leaves = Vec<([u8; 32], u64)>;

fn leaves(n: usize) -> Leaves {
    (0..n).map(|i| (wallet(i), AMOUNTS[i])).collect()
}

/// Every tree of the vectors, by name: [`TREES`], then [`INDEX_ORDER`].
fn all_trees() -> Vec<(&'static str, Leaves)> {
    let mut trees: Vec<(&str, Leaves)> = TREES.iter().map(|(n, k)| (*n, leaves(*k))).collect();
    let (name, order) = INDEX_ORDER;
    trees.push((
        name,
        order.iter().map(|&i| (wallet(i), AMOUNTS[i])).collect(),
    ));
    trees
}

fn u64_of(n: usize) -> u64 {
    u64::try_from(n).unwrap()
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap()
}

/// A JSON object with its keys sorted, whatever the map type: serde_json keeps insertion order
/// when some crate of the build enables its `preserve_order` feature and sorts otherwise, so
/// inserting in sorted order gives the same text either way.
fn obj<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let mut pairs: Vec<(&str, Value)> = pairs.into_iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut map = Map::new();
    for (key, value) in pairs {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

fn node_json(node: &Node) -> Value {
    obj([("hash", json!(hex(&node.hash))), ("sum", json!(node.sum))])
}

fn error_json(error: MerkleSumError) -> Value {
    match error {
        MerkleSumError::Empty => obj([("error", json!("Empty"))]),
        MerkleSumError::Duplicate { index } => {
            obj([("error", json!("Duplicate")), ("index", json!(index))])
        }
        MerkleSumError::SumOverflow => obj([("error", json!("SumOverflow"))]),
        MerkleSumError::RootMismatch => obj([("error", json!("RootMismatch"))]),
        MerkleSumError::Malformed => obj([("error", json!("Malformed"))]),
        MerkleSumError::TooDeep => obj([("error", json!("TooDeep"))]),
        MerkleSumError::BadShape => obj([("error", json!("BadShape"))]),
    }
}

/// Every level of the tree of `leaves`, leaves first, built with the crate's [`leaf`] and
/// [`parent`] and the promotion rule; the test checks the last level against [`Tree::root`].
fn levels(leaves: &[([u8; 32], u64)]) -> Vec<Vec<Node>> {
    let mut levels = vec![leaves.iter().map(|(w, a)| leaf(w, *a)).collect::<Vec<_>>()];
    while levels.last().unwrap().len() > 1 {
        let next = levels
            .last()
            .unwrap()
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => parent(l, r).unwrap(),
                [odd] => *odd,
                _ => unreachable!(),
            })
            .collect();
        levels.push(next);
    }
    levels
}

fn proof_bytes(tree: &Tree, index: usize) -> Vec<u8> {
    tree.proof(index).unwrap().to_bytes().unwrap()
}

fn tree_json(name: &str, leaves: &[([u8; 32], u64)]) -> Value {
    let tree = Tree::new(leaves).unwrap();
    let levels = levels(leaves);
    assert_eq!(levels.last().unwrap(), &vec![tree.root()], "{name}: root");
    assert_eq!(levels.len() - 1, tree.height(), "{name}: height");

    let leaf_entries: Vec<Value> = leaves
        .iter()
        .enumerate()
        .map(|(index, (wallet, amount))| {
            let node = tree.leaf(index).unwrap();
            assert_eq!(node, levels[0][index]);
            let proof = tree.proof(index).unwrap();
            verify(wallet, *amount, &proof, &tree.root()).unwrap();
            obj([
                ("wallet", json!(hex(wallet))),
                ("amount", json!(amount)),
                ("hash", json!(hex(&node.hash))),
                ("proof", json!(hex(&proof.to_bytes().unwrap()))),
            ])
        })
        .collect();
    let level_entries: Vec<Value> = levels
        .iter()
        .map(|level| Value::Array(level.iter().map(node_json).collect()))
        .collect();
    obj([
        ("name", json!(name)),
        ("height", json!(tree.height())),
        ("leaves", Value::Array(leaf_entries)),
        ("levels", Value::Array(level_entries)),
        ("root", node_json(&tree.root())),
    ])
}

/// Leaf lists that [`Tree::new`] refuses, with its error.
fn bad_trees() -> Vec<Value> {
    let half = u64::MAX / 2 + 1;
    let w = wallet;
    let cases: [(&str, Leaves); 6] = [
        ("no leaves", vec![]),
        (
            "a wallet repeated next to itself",
            vec![(w(0), 1), (w(1), 1), (w(1), 2)],
        ),
        (
            "a wallet repeated apart: the first one again at the end",
            vec![(w(0), 1), (w(1), 1), (w(2), 1), (w(0), 1)],
        ),
        (
            "two repeats: the first index that repeats an earlier wallet is reported",
            vec![(w(1), 1), (w(0), 1), (w(0), 1), (w(1), 1)],
        ),
        (
            "a repeat and a total above u64::MAX: the repeat is found first",
            vec![(w(0), half), (w(0), half)],
        ),
        (
            "the total exceeds u64::MAX",
            vec![(w(0), half), (w(1), half)],
        ),
    ];
    cases
        .into_iter()
        .map(|(why, leaves)| {
            let error = Tree::new(&leaves).unwrap_err();
            let leaves: Vec<Value> = leaves
                .iter()
                .map(|(w, a)| obj([("wallet", json!(hex(w))), ("amount", json!(a))]))
                .collect();
            obj([
                ("why", json!(why)),
                ("leaves", Value::Array(leaves)),
                ("expect", error_json(error)),
            ])
        })
        .collect()
}

/// Byte strings that [`Proof::from_bytes`] refuses, with its error.
fn bad_proof_bytes() -> Vec<Value> {
    let five = Tree::new(&leaves(5)).unwrap();
    let good = proof_bytes(&five, 1);
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.clone();
        f(&mut bytes);
        bytes
    };
    let cases: [(&str, Vec<u8>); 9] = [
        ("empty: no count", vec![]),
        ("one byte: the count is cut", vec![0]),
        ("count 0 then a trailing byte", vec![0, 0, 0]),
        (
            "the proof of leaf 1 of the five-leaf tree, last byte cut",
            with(&|b| {
                b.pop();
            }),
        ),
        (
            "the proof of leaf 1 of the five-leaf tree, one trailing byte",
            with(&|b| b.push(0)),
        ),
        ("count 2 but three siblings follow", with(&|b| b[0] = 2)),
        ("first side byte 2", with(&|b| b[2 + 40] = 2)),
        (
            "count 65 (above MAX_DEPTH), checked before the length",
            vec![65, 0],
        ),
        ("count 64 (allowed) but no siblings follow", vec![64, 0]),
    ];
    cases
        .into_iter()
        .map(|(why, bytes)| {
            let error = Proof::from_bytes(&bytes).unwrap_err();
            obj([
                ("why", json!(why)),
                ("bytes", json!(hex(&bytes))),
                ("expect", error_json(error)),
            ])
        })
        .collect()
}

/// A claim checked against a root: `(wallet, amount)` with proof bytes.
struct Claim {
    why: &'static str,
    wallet: [u8; 32],
    amount: u64,
    proof: Vec<u8>,
    root: Node,
}

/// Well-formed proof bytes for which [`verify`] fails against the five-leaf root.
fn bad_claims() -> Vec<Value> {
    let five = Tree::new(&leaves(5)).unwrap();
    let root = five.root();
    let overflow = Proof {
        siblings: vec![Sibling {
            node: Node {
                hash: [0; 32],
                sum: u64::MAX,
            },
            is_left: true,
        }],
    };
    let mut root_sum_off = root;
    root_sum_off.sum += 1;
    let mut side_flipped = proof_bytes(&five, 4);
    side_flipped[2 + 40] ^= 1;
    let cases = [
        Claim {
            why: "leaf 1 claims one more than its amount",
            wallet: wallet(1),
            amount: AMOUNTS[1] + 1,
            proof: proof_bytes(&five, 1),
            root,
        },
        Claim {
            why: "leaf 2's wallet and amount with leaf 1's proof",
            wallet: wallet(2),
            amount: AMOUNTS[2],
            proof: proof_bytes(&five, 1),
            root,
        },
        Claim {
            why: "leaf 4's proof with the sibling's side flipped",
            wallet: wallet(4),
            amount: AMOUNTS[4],
            proof: side_flipped,
            root,
        },
        Claim {
            why: "a correct proof against a root whose sum is one more",
            wallet: wallet(1),
            amount: AMOUNTS[1],
            proof: proof_bytes(&five, 1),
            root: root_sum_off,
        },
        Claim {
            why: "a sibling of sum u64::MAX: the fold overflows before any comparison",
            wallet: wallet(1),
            amount: AMOUNTS[1],
            proof: overflow.to_bytes().unwrap(),
            root,
        },
    ];
    cases
        .into_iter()
        .map(|claim| {
            let proof = Proof::from_bytes(&claim.proof).unwrap();
            let error = verify(&claim.wallet, claim.amount, &proof, &claim.root).unwrap_err();
            obj([
                ("why", json!(claim.why)),
                ("wallet", json!(hex(&claim.wallet))),
                ("amount", json!(claim.amount)),
                ("proof", json!(hex(&claim.proof))),
                ("root", node_json(&claim.root)),
                ("expect", error_json(error)),
            ])
        })
        .collect()
}

/// A path for [`fold_at`]: the node above leaf `index` at level `from` (`start`), and the
/// siblings from there up to level `to`.
struct Shaped {
    why: &'static str,
    count: usize,
    index: usize,
    from: usize,
    to: usize,
    start: Node,
    path: Vec<Node>,
}

impl Shaped {
    fn fold(&self) -> Result<Node, MerkleSumError> {
        fold_at(
            self.start,
            u64_of(self.index),
            u64_of(self.count),
            u32_of(self.from),
            u32_of(self.to),
            self.path.iter().copied(),
        )
    }

    /// The JSON entry, with `extra` fields (the expected outcome).
    fn json(&self, extra: Vec<(&'static str, Value)>) -> Value {
        let mut fields = vec![
            ("count", json!(self.count)),
            ("index", json!(self.index)),
            ("from", json!(self.from)),
            ("to", json!(self.to)),
            ("start", node_json(&self.start)),
            (
                "path",
                Value::Array(self.path.iter().map(node_json).collect()),
            ),
        ];
        if !self.why.is_empty() {
            fields.push(("why", json!(self.why)));
        }
        fields.extend(extra);
        obj(fields)
    }
}

/// The `(from, to)` splits of a path in a tree of height `top`: the whole path, then for every
/// level `m` strictly between, the part below `m` and the part above it.
fn splits(top: usize) -> Vec<(usize, usize)> {
    let mut splits = vec![(0, top)];
    for m in 1..top {
        splits.extend([(0, m), (m, top)]);
    }
    splits
}

/// For every tree, leaf and split: the shaped path [`Tree::shaped_path`] gives and the node
/// [`fold_at`] reaches with it (the tree's node above the leaf at level `to`).
fn shaped_paths() -> Vec<Value> {
    let mut out = Vec::new();
    for (name, leaves) in all_trees() {
        let tree = Tree::new(&leaves).unwrap();
        let count = leaves.len();
        assert_eq!(height(u64_of(count)), Some(u32_of(tree.height())));
        for index in 0..count {
            for (from, to) in splits(tree.height()) {
                let shaped = Shaped {
                    why: "",
                    count,
                    index,
                    from,
                    to,
                    start: tree.node(from, index >> from).unwrap(),
                    path: tree.shaped_path(index, from, to).unwrap(),
                };
                let len = path_len(u64_of(index), u64_of(count), u32_of(from), u32_of(to));
                assert_eq!(shaped.path.len(), usize::try_from(len).unwrap());
                let node = shaped.fold().unwrap();
                assert_eq!(Some(node), tree.node(to, index >> to), "{name} {index}");
                out.push(shaped.json(vec![("tree", json!(name)), ("node", node_json(&node))]));
            }
        }
    }
    out
}

/// The five-leaf tree's leaf `index` with its whole shaped path.
fn five_path(index: usize) -> (Node, Vec<Node>) {
    let five = Tree::new(&leaves(5)).unwrap();
    (
        five.leaf(index).unwrap(),
        five.shaped_path(index, 0, five.height()).unwrap(),
    )
}

/// Shaped paths [`fold_at`] refuses, with its error.
fn bad_shaped_paths() -> Vec<Value> {
    let (l1, p1) = five_path(1);
    let (l4, p4) = five_path(4);
    let shaped = |why, count, index, (from, to), start, path| Shaped {
        why,
        count,
        index,
        from,
        to,
        start,
        path,
    };
    let mut short = p1.clone();
    short.pop();
    let mut long = p1.clone();
    long.push(Tree::new(&leaves(5)).unwrap().root());
    let max = Node {
        hash: [0; 32],
        sum: u64::MAX,
    };
    let cases = [
        shaped(
            "count 0: an empty tree has no shape",
            0,
            0,
            (0, 0),
            l1,
            vec![],
        ),
        shaped("index equal to the count", 5, 5, (0, 3), l1, p1.clone()),
        shaped("from above to", 5, 1, (2, 1), l1, vec![]),
        shaped(
            "to above the root (level 4 of a tree of height 3)",
            5,
            1,
            (0, 4),
            l1,
            p1.clone(),
        ),
        shaped(
            "L1's path without its last sibling",
            5,
            1,
            (0, 3),
            l1,
            short,
        ),
        shaped(
            "L1's path and one more sibling (the root)",
            5,
            1,
            (0, 3),
            l1,
            long,
        ),
        shaped(
            "L4's one-sibling path under index 3, which has three",
            5,
            3,
            (0, 3),
            l4,
            p4,
        ),
        shaped(
            "L1's path with a count of 4: L4's level is gone, one sibling too many",
            4,
            1,
            (0, 2),
            l1,
            p1,
        ),
        shaped(
            "a sibling of sum u64::MAX: the fold overflows before the path length is checked",
            5,
            1,
            (0, 3),
            l1,
            vec![max],
        ),
    ];
    cases
        .into_iter()
        .map(|case| {
            let error = case.fold().unwrap_err();
            case.json(vec![("expect", error_json(error))])
        })
        .collect()
}

/// Paths that fold without error to a node that is not the five-leaf root: a leaf's path under
/// another index has the sides of that index.
fn misplaced_paths() -> Vec<Value> {
    let root = Tree::new(&leaves(5)).unwrap().root();
    let cases = [
        ("L1's path under index 0", 1, 0),
        ("L0's path under index 1", 0, 1),
        ("L3's path under index 2", 3, 2),
    ];
    cases
        .into_iter()
        .map(|(why, own, index)| {
            let (start, path) = five_path(own);
            let case = Shaped {
                why,
                count: 5,
                index,
                from: 0,
                to: 3,
                start,
                path,
            };
            let node = case.fold().unwrap();
            assert_ne!(node, root, "{why}");
            case.json(vec![("node", node_json(&node)), ("root", node_json(&root))])
        })
        .collect()
}

fn vectors() -> Value {
    obj([
        (
            "about",
            json!(format!(
                "Test vectors of the merkle-sum tree (programs/merkle-sum), specified in \
                 docs/merkle-sum.md. Generated by programs/merkle-sum/tests/vectors.rs: do not \
                 edit; regenerate with `{REGENERATE}`. Hashes and proofs are lowercase hex; \
                 amounts and sums are JSON integers (u64)."
            )),
        ),
        (
            "trees",
            Value::Array(
                all_trees()
                    .iter()
                    .map(|(name, leaves)| tree_json(name, leaves))
                    .collect(),
            ),
        ),
        ("bad_trees", Value::Array(bad_trees())),
        ("shaped_paths", Value::Array(shaped_paths())),
        ("bad_shaped_paths", Value::Array(bad_shaped_paths())),
        ("misplaced_paths", Value::Array(misplaced_paths())),
        ("bad_proof_bytes", Value::Array(bad_proof_bytes())),
        ("bad_claims", Value::Array(bad_claims())),
    ])
}

fn first_difference(want: &str, have: &str) -> String {
    for (line, (w, h)) in (1..).zip(want.lines().zip(have.lines())) {
        if w != h {
            return format!("line {line}:\n  expected: {w}\n  found:    {h}");
        }
    }
    format!(
        "expected {} lines, found {}",
        want.lines().count(),
        have.lines().count()
    )
}

#[test]
fn vectors_json_is_up_to_date() {
    let path = repo_file("docs/merkle-sum-vectors.json");
    let want = serde_json::to_string_pretty(&vectors()).unwrap() + "\n";
    if std::env::var_os("UPDATE_VECTORS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&path, &want).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let have = match std::fs::read_to_string(&path) {
        Ok(have) => have,
        Err(e) => panic!(
            "cannot read {}: {e}\nregenerate it with: {REGENERATE}",
            path.display()
        ),
    };
    assert!(
        have == want,
        "{} is stale (it differs from what the crate computes) at {}\n\
         regenerate it with: {REGENERATE}\n\
         then update the worked vectors in docs/merkle-sum.md and run scripts/merkle-sum-verify.py",
        path.display(),
        first_difference(&want, &have),
    );
}

/// The worked vectors in docs/merkle-sum.md are checked too: every node hash of every tree, the
/// node of every misplaced path and every proof of the five-leaf tree must appear there
/// verbatim, and every 64-digit hex string there must be one of those hashes or one of the
/// wallets.
#[test]
fn spec_quotes_the_vectors() {
    let path = repo_file("docs/merkle-sum.md");
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut known = Vec::new();
    for (name, leaves) in all_trees() {
        for (wallet, _) in &leaves {
            known.push(hex(wallet));
        }
        for level in levels(&leaves) {
            for node in level {
                let h = hex(&node.hash);
                assert!(
                    doc.contains(&h),
                    "{} does not quote the node {h} of the tree \"{name}\"",
                    path.display()
                );
                known.push(h);
            }
        }
    }
    // The nodes the misplaced paths reach are quoted too (section 7 (f)).
    for case in misplaced_paths() {
        let h = case["node"]["hash"].as_str().unwrap().to_owned();
        assert!(doc.contains(&h), "{} does not quote {h}", path.display());
        known.push(h);
    }
    let five = Tree::new(&leaves(5)).unwrap();
    for index in 0..5 {
        let p = hex(&proof_bytes(&five, index));
        assert!(
            doc.contains(&p),
            "{} does not quote the proof of leaf {index} of the five-leaf tree: {p}",
            path.display()
        );
    }
    // Every maximal run of exactly 64 hex digits in the doc is a known hash or wallet.
    let bytes = doc.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_hexdigit() {
            start += 1;
            continue;
        }
        let end = (start..bytes.len())
            .find(|&i| !bytes[i].is_ascii_hexdigit())
            .unwrap_or(bytes.len());
        let run = &doc[start..end];
        if run.len() == 64 {
            assert!(
                known.iter().any(|k| k == run),
                "{} quotes {run}, which is no hash or wallet of the vectors",
                path.display()
            );
        }
        start = end;
    }
}
