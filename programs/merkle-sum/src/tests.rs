extern crate std;

use super::*;
use alloc::{string::String, vec};
use core::fmt::Write as _;
use proptest::prelude::*;
use solana_sha256_hasher::hashv;

fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    for b in bytes {
        write!(out, "{b:02x}").unwrap();
    }
    out
}

/// Wallets `[1; 32]`, `[2; 32]`, ... with amounts 10, 20, ...
fn fixture(n: u8) -> Vec<([u8; 32], u64)> {
    (1..=n).map(|i| ([i; 32], u64::from(i) * 10)).collect()
}

fn assert_root(n: u8, hash_hex: &str, sum: u64) -> Tree {
    let tree = Tree::new(&fixture(n)).unwrap();
    assert_eq!(hex(&tree.root().hash), hash_hex, "root hash of {n} leaves");
    assert_eq!(tree.root().sum, sum, "root sum of {n} leaves");
    assert_eq!(tree.len(), usize::from(n));
    assert!(!tree.is_empty());
    for (index, (wallet, amount)) in fixture(n).iter().enumerate() {
        let proof = tree.proof(index).unwrap();
        verify(wallet, *amount, &proof, &tree.root()).unwrap();
    }
    assert_eq!(tree.proof(usize::from(n)), None);
    tree
}

// ---------------------------------------------------------------------------------------------
// Known-answer vectors. These were computed once (and cross-checked with an independent Python
// hashlib implementation of the documented encoding); any change of encoding fails here.

const KAT_1: &str = "d5b739e491d9c25c8ce1d93b2877ab63010f5c22cb8faa17135de45de6350652";
const KAT_2: &str = "e2acc4f1b6b64576f9f893c3d386edc127c9c491d2edc28eecc08766bf754b95";
const KAT_3: &str = "143aa8d7718aa787f20d883b52815149e6994bcf55700d6e6588a90a8825f272";
const KAT_5: &str = "41109bf23154d6b344dd9c783bb069c001d1ff682eb3517ee91a4c76ee1f8f10";

/// The leaf bytes written out by hand: 0x00 | wallet[32] | amount u64 LE.
fn leaf_by_hand(wallet_byte: u8, amount: u64) -> Node {
    let mut bytes = [0u8; 41];
    bytes[0] = 0x00;
    bytes[1..33].copy_from_slice(&[wallet_byte; 32]);
    bytes[33..41].copy_from_slice(&amount.to_le_bytes());
    Node {
        hash: hashv(&[&bytes]).to_bytes(),
        sum: amount,
    }
}

/// The internal node bytes written out by hand:
/// 0x01 | L.hash[32] | L.sum u64 LE | R.hash[32] | R.sum u64 LE.
fn parent_by_hand(l: &Node, r: &Node) -> Node {
    let mut bytes = [0u8; 81];
    bytes[0] = 0x01;
    bytes[1..33].copy_from_slice(&l.hash);
    bytes[33..41].copy_from_slice(&l.sum.to_le_bytes());
    bytes[41..73].copy_from_slice(&r.hash);
    bytes[73..81].copy_from_slice(&r.sum.to_le_bytes());
    Node {
        hash: hashv(&[&bytes]).to_bytes(),
        sum: l.sum + r.sum,
    }
}

#[test]
fn kat_one_leaf() {
    let tree = assert_root(1, KAT_1, 10);
    assert_eq!(tree.root(), leaf(&[1; 32], 10));
    assert_eq!(tree.root(), leaf_by_hand(1, 10));
    assert_eq!(tree.height(), 0);
    assert_eq!(tree.proof(0).unwrap().siblings, vec![]);
    // The amount 10 is 0x0a followed by seven zero bytes.
    assert_eq!(10u64.to_le_bytes(), [0x0a, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn kat_two_leaves() {
    let tree = assert_root(2, KAT_2, 30);
    let (a, b) = (leaf_by_hand(1, 10), leaf_by_hand(2, 20));
    assert_eq!(leaf(&[1; 32], 10), a);
    assert_eq!(leaf(&[2; 32], 20), b);
    assert_eq!(tree.root(), parent_by_hand(&a, &b));
    assert_eq!(tree.root(), parent(&a, &b).unwrap());
    // Order matters: P(b, a) is a different node with the same sum.
    assert_ne!(parent(&b, &a).unwrap().hash, tree.root().hash);
    assert_eq!(
        tree.proof(0).unwrap().siblings,
        vec![Sibling {
            node: b,
            is_left: false
        }]
    );
    assert_eq!(
        tree.proof(1).unwrap().siblings,
        vec![Sibling {
            node: a,
            is_left: true
        }]
    );
}

#[test]
fn kat_three_leaves_promotes_the_odd_leaf() {
    let tree = assert_root(3, KAT_3, 60);
    let l: Vec<Node> = (1..=3u8)
        .map(|i| leaf_by_hand(i, u64::from(i) * 10))
        .collect();
    let n01 = parent_by_hand(&l[0], &l[1]);
    assert_eq!(tree.root(), parent_by_hand(&n01, &l[2]));
    assert_eq!(tree.height(), 2);
    // Duplicating the odd leaf (the Bitcoin rule) would count it twice.
    let duplicated = parent_by_hand(&n01, &parent_by_hand(&l[2], &l[2]));
    assert_eq!(duplicated.sum, 90);
    assert_ne!(duplicated, tree.root());
    // The promoted leaf's proof has one sibling only.
    assert_eq!(
        tree.proof(2).unwrap().siblings,
        vec![Sibling {
            node: n01,
            is_left: true
        }]
    );
}

#[test]
fn kat_five_leaves() {
    let tree = assert_root(5, KAT_5, 150);
    let l: Vec<Node> = (1..=5u8)
        .map(|i| leaf_by_hand(i, u64::from(i) * 10))
        .collect();
    let n01 = parent_by_hand(&l[0], &l[1]);
    let n23 = parent_by_hand(&l[2], &l[3]);
    let a = parent_by_hand(&n01, &n23);
    assert_eq!(tree.root(), parent_by_hand(&a, &l[4]));
    assert_eq!(tree.height(), 3);
    assert_eq!(tree.leaf(4), Some(l[4]));
    assert_eq!(tree.leaf(5), None);
    // The shapes shown in the crate docs.
    assert_eq!(
        tree.proof(4).unwrap().siblings,
        vec![Sibling {
            node: a,
            is_left: true
        }]
    );
    assert_eq!(
        tree.proof(1).unwrap().siblings,
        vec![
            Sibling {
                node: l[0],
                is_left: true
            },
            Sibling {
                node: n23,
                is_left: false
            },
            Sibling {
                node: l[4],
                is_left: false
            },
        ]
    );
    // fold_path works from an internal node too.
    let proof_of_n23 = [
        Sibling {
            node: n01,
            is_left: true,
        },
        Sibling {
            node: l[4],
            is_left: false,
        },
    ];
    assert_eq!(fold_path(n23, &proof_of_n23).unwrap(), tree.root());
}

#[test]
fn leaf_and_node_are_domain_separated() {
    // A 41-byte preimage starting 0x01 is not a leaf: the same bytes under the other prefix
    // hash differently.
    let mut as_leaf = [0u8; 41];
    as_leaf[1..33].copy_from_slice(&[7; 32]);
    let mut as_node = as_leaf;
    as_node[0] = 0x01;
    assert_ne!(hashv(&[&as_leaf]).to_bytes(), hashv(&[&as_node]).to_bytes());
    assert_eq!(leaf(&[7; 32], 0).hash, hashv(&[&as_leaf]).to_bytes());
}

// ---------------------------------------------------------------------------------------------
// Builder and verifier errors.

#[test]
fn empty_is_an_error() {
    assert_eq!(Tree::new(&[]), Err(MerkleSumError::Empty));
}

#[test]
fn any_order_of_distinct_wallets_is_a_tree() {
    // Index order, not byte order: a wallet keeps its index, new wallets are appended.
    let leaves = [([3; 32], 1), ([1; 32], 1), ([2; 32], 1)];
    let tree = Tree::new(&leaves).unwrap();
    assert_eq!(tree.leaf(0), Some(leaf(&[3; 32], 1)));
    assert_eq!(tree.root().sum, 3);
}

#[test]
fn duplicate_is_an_error() {
    let leaves = [([1; 32], 1), ([2; 32], 5), ([2; 32], 5)];
    assert_eq!(
        Tree::new(&leaves),
        Err(MerkleSumError::Duplicate { index: 2 })
    );
    // Not only neighbours: any earlier repeat.
    let apart = [([2; 32], 1), ([1; 32], 5), ([2; 32], 7)];
    assert_eq!(
        Tree::new(&apart),
        Err(MerkleSumError::Duplicate { index: 2 })
    );
    assert_eq!(
        Tree::new(&[([9; 32], 0), ([9; 32], 0)]),
        Err(MerkleSumError::Duplicate { index: 1 })
    );
}

#[test]
fn a_tree_with_repeats_is_built_like_any_other() {
    // The duplicate tree of rewards/fraud.rs::a_wallet_at_two_indices_is_proven.
    let leaves = [([1; 32], 5), ([2; 32], 5), ([1; 32], 100), ([3; 32], 1)];
    let l = leaves.map(|(w, a)| leaf(&w, a));
    let left = parent(&l[0], &l[1]).unwrap();
    let right = parent(&l[2], &l[3]).unwrap();
    let tree = Tree::with_repeats(&leaves).unwrap();
    assert_eq!(tree.root(), parent(&left, &right).unwrap());
    assert_eq!(tree.shaped_path(2, 0, 2), Some(vec![l[3], left]));
    // Distinct wallets: the same tree as Tree::new.
    let distinct = [([1; 32], 5), ([2; 32], 5), ([3; 32], 1)];
    assert_eq!(Tree::with_repeats(&distinct), Tree::new(&distinct));
    assert_eq!(Tree::with_repeats(&[]), Err(MerkleSumError::Empty));
}

#[test]
fn sum_overflow_is_an_error() {
    let half = u64::MAX / 2 + 1;
    assert_eq!(
        Tree::new(&[([1; 32], half), ([2; 32], half)]),
        Err(MerkleSumError::SumOverflow)
    );
    assert_eq!(
        parent(&leaf(&[1; 32], u64::MAX), &leaf(&[2; 32], 1)),
        Err(MerkleSumError::SumOverflow)
    );
    // The largest sum that fits is fine.
    let tree = Tree::new(&[([1; 32], half), ([2; 32], half - 1)]).unwrap();
    assert_eq!(tree.root().sum, u64::MAX);
}

#[test]
fn verify_rejects_a_wrong_root_and_a_deep_proof() {
    let tree = Tree::new(&fixture(5)).unwrap();
    let proof = tree.proof(0).unwrap();
    let mut root = tree.root();
    root.sum += 1;
    assert_eq!(
        verify(&[1; 32], 10, &proof, &root),
        Err(MerkleSumError::RootMismatch)
    );
    let mut root = tree.root();
    root.hash[0] ^= 1;
    assert_eq!(
        verify(&[1; 32], 10, &proof, &root),
        Err(MerkleSumError::RootMismatch)
    );
    // A proof from another tree.
    let other = Tree::new(&fixture(4)).unwrap();
    assert_eq!(
        verify(&[1; 32], 10, &other.proof(0).unwrap(), &tree.root()),
        Err(MerkleSumError::RootMismatch)
    );

    let sibling = Sibling {
        node: leaf(&[0; 32], 0),
        is_left: false,
    };
    let deep = Proof {
        siblings: vec![sibling; MAX_DEPTH + 1],
    };
    assert_eq!(
        verify(&[1; 32], 10, &deep, &tree.root()),
        Err(MerkleSumError::TooDeep)
    );
    assert_eq!(
        fold_path(leaf(&[1; 32], 10), &deep.siblings),
        Err(MerkleSumError::TooDeep)
    );
    assert!(fold_path(leaf(&[1; 32], 10), &deep.siblings[..MAX_DEPTH]).is_ok());
    // A sibling that makes the sum overflow surfaces as SumOverflow, not a mismatch.
    let huge = Proof {
        siblings: vec![Sibling {
            node: Node {
                hash: [0; 32],
                sum: u64::MAX,
            },
            is_left: true,
        }],
    };
    assert_eq!(
        verify(&[1; 32], 10, &huge, &tree.root()),
        Err(MerkleSumError::SumOverflow)
    );
}

#[test]
fn errors_display() {
    let all = [
        MerkleSumError::Empty,
        MerkleSumError::Duplicate { index: 4 },
        MerkleSumError::SumOverflow,
        MerkleSumError::RootMismatch,
        MerkleSumError::Malformed,
        MerkleSumError::TooDeep,
        MerkleSumError::BadShape,
    ];
    let texts: Vec<String> = all.iter().map(|e| alloc::format!("{e}")).collect();
    assert_eq!(texts[1], "leaf 4 repeats an earlier wallet");
    assert_eq!(texts[5], "proof has more than 64 siblings");
    assert_eq!(texts[6], "path does not fit the tree's shape");
    for (i, a) in texts.iter().enumerate() {
        assert!(!a.is_empty());
        for b in &texts[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Proof bytes.

#[test]
fn proof_bytes_layout() {
    let proof = Proof {
        siblings: vec![
            Sibling {
                node: Node {
                    hash: [0xaa; 32],
                    sum: 0x0102_0304_0506_0708,
                },
                is_left: true,
            },
            Sibling {
                node: Node {
                    hash: [0xbb; 32],
                    sum: 5,
                },
                is_left: false,
            },
        ],
    };
    let bytes = proof.to_bytes().unwrap();
    let mut expected = vec![2u8, 0];
    expected.extend_from_slice(&[0xaa; 32]);
    expected.extend_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]);
    expected.push(1);
    expected.extend_from_slice(&[0xbb; 32]);
    expected.extend_from_slice(&[5, 0, 0, 0, 0, 0, 0, 0]);
    expected.push(0);
    assert_eq!(bytes, expected);
    assert_eq!(Proof::encoded_len(2), Some(bytes.len()));
    assert_eq!(Proof::from_bytes(&bytes).unwrap(), proof);

    // Empty proof: just the count.
    assert_eq!(Proof::default().to_bytes().unwrap(), vec![0, 0]);
    assert_eq!(Proof::from_bytes(&[0, 0]).unwrap(), Proof::default());
}

#[test]
fn proof_bytes_rejections() {
    let tree = Tree::new(&fixture(5)).unwrap();
    let good = tree.proof(1).unwrap().to_bytes().unwrap();
    assert_eq!(good.len(), 2 + 3 * SIBLING_BYTES);

    // Short input, including the count itself.
    assert_eq!(Proof::from_bytes(&[]), Err(MerkleSumError::Malformed));
    assert_eq!(Proof::from_bytes(&[0]), Err(MerkleSumError::Malformed));
    assert_eq!(
        Proof::from_bytes(&good[..good.len() - 1]),
        Err(MerkleSumError::Malformed)
    );
    // Trailing input.
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(Proof::from_bytes(&trailing), Err(MerkleSumError::Malformed));
    // A side byte other than 0 or 1 (the first sibling's side is at 2 + 40).
    for side in [2u8, 0xff] {
        let mut bad = good.clone();
        bad[2 + 40] = side;
        assert_eq!(Proof::from_bytes(&bad), Err(MerkleSumError::Malformed));
    }
    // A count above MAX_DEPTH, whether or not the bytes follow.
    let deep = Proof {
        siblings: vec![tree.proof(0).unwrap().siblings[0]; MAX_DEPTH + 1],
    };
    assert_eq!(deep.to_bytes(), Err(MerkleSumError::TooDeep));
    let mut deep_bytes = vec![65u8, 0];
    deep_bytes.extend(core::iter::repeat_n(0u8, 65 * SIBLING_BYTES));
    assert_eq!(Proof::from_bytes(&deep_bytes), Err(MerkleSumError::TooDeep));
    assert_eq!(
        Proof::from_bytes(&[0xff, 0xff]),
        Err(MerkleSumError::TooDeep)
    );
    // MAX_DEPTH itself is accepted.
    let max = Proof {
        siblings: vec![tree.proof(0).unwrap().siblings[0]; MAX_DEPTH],
    };
    assert_eq!(Proof::from_bytes(&max.to_bytes().unwrap()).unwrap(), max);
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// Amounts up to this bound keep 200 leaves' sums within u64.
const MAX_AMOUNT: u64 = u64::MAX / 256;

/// 1..200 leaves: random distinct wallets (in byte order, one valid index order), bounded amounts.
fn leaves_strategy() -> impl Strategy<Value = Vec<([u8; 32], u64)>> {
    prop::collection::btree_set(any::<[u8; 32]>(), 1..200).prop_flat_map(|wallets| {
        let n = wallets.len();
        prop::collection::vec(0..=MAX_AMOUNT, n)
            .prop_map(move |amounts| wallets.iter().copied().zip(amounts).collect())
    })
}

fn other_amount(amount: u64, up: bool) -> u64 {
    match (up, amount) {
        (true, _) => amount + 1,
        (false, 0) => 1,
        (false, _) => amount - 1,
    }
}

proptest! {
    #[test]
    fn every_proof_verifies_and_any_tamper_fails(
        leaves in leaves_strategy(),
        bit in 0usize..256,
        picks in prop::collection::vec(any::<prop::sample::Index>(), 2),
    ) {
        let tree = Tree::new(&leaves).unwrap();
        let root = tree.root();
        let total: u64 = leaves.iter().map(|(_, a)| a).sum();
        prop_assert_eq!(root.sum, total);
        prop_assert_eq!(tree.len(), leaves.len());
        prop_assert_eq!(tree.proof(leaves.len()), None);

        for (index, (wallet, amount)) in leaves.iter().enumerate() {
            let proof = tree.proof(index).unwrap();
            prop_assert!(proof.siblings.len() <= tree.height());
            prop_assert_eq!(verify(wallet, *amount, &proof, &root), Ok(()));
            prop_assert_eq!(
                verify(wallet, other_amount(*amount, true), &proof, &root),
                Err(MerkleSumError::RootMismatch)
            );
            prop_assert_eq!(
                verify(wallet, other_amount(*amount, false), &proof, &root),
                Err(MerkleSumError::RootMismatch)
            );
            let mut flipped = *wallet;
            flipped[bit / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(
                verify(&flipped, *amount, &proof, &root),
                Err(MerkleSumError::RootMismatch)
            );
            if leaves.len() == 1 {
                prop_assert!(proof.siblings.is_empty());
            } else {
                prop_assert!(!proof.siblings.is_empty());
            }

            let bytes = proof.to_bytes().unwrap();
            prop_assert_eq!(Some(bytes.len()), Proof::encoded_len(proof.siblings.len()));
            prop_assert_eq!(Proof::from_bytes(&bytes), Ok(proof));
        }

        // Every sibling of a few picked leaves: flip a hash bit, move the sum either way, flip
        // the side. Each must fail (an overflowing sum fails too, as SumOverflow).
        for pick in &picks {
            let index = pick.index(leaves.len());
            let (wallet, amount) = leaves[index];
            let proof = tree.proof(index).unwrap();
            for s in 0..proof.siblings.len() {
                let mut tampered = proof.clone();
                tampered.siblings[s].node.hash[bit / 8] ^= 1 << (bit % 8);
                prop_assert_eq!(
                    verify(&wallet, amount, &tampered, &root),
                    Err(MerkleSumError::RootMismatch)
                );
                for up in [true, false] {
                    let mut tampered = proof.clone();
                    let sum = tampered.siblings[s].node.sum;
                    tampered.siblings[s].node.sum = other_amount(sum, up);
                    prop_assert!(verify(&wallet, amount, &tampered, &root).is_err());
                }
                let mut tampered = proof.clone();
                tampered.siblings[s].is_left = !tampered.siblings[s].is_left;
                prop_assert_eq!(
                    verify(&wallet, amount, &tampered, &root),
                    Err(MerkleSumError::RootMismatch)
                );
                // Dropping a sibling fails too.
                let mut tampered = proof.clone();
                tampered.siblings.remove(s);
                prop_assert_eq!(
                    verify(&wallet, amount, &tampered, &root),
                    Err(MerkleSumError::RootMismatch)
                );
            }
        }
    }

    #[test]
    fn proof_bytes_round_trip_and_reject_truncation(
        leaves in leaves_strategy(),
        pick in any::<prop::sample::Index>(),
    ) {
        let tree = Tree::new(&leaves).unwrap();
        let index = pick.index(leaves.len());
        let proof = tree.proof(index).unwrap();
        let bytes = proof.to_bytes().unwrap();
        prop_assert_eq!(Proof::from_bytes(&bytes), Ok(proof.clone()));
        for cut in 0..bytes.len() {
            prop_assert_eq!(Proof::from_bytes(&bytes[..cut]), Err(MerkleSumError::Malformed));
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        prop_assert_eq!(Proof::from_bytes(&trailing), Err(MerkleSumError::Malformed));
        // Decoded proofs verify.
        let (wallet, amount) = leaves[index];
        prop_assert_eq!(
            verify(&wallet, amount, &Proof::from_bytes(&bytes).unwrap(), &tree.root()),
            Ok(())
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(proof) = Proof::from_bytes(&bytes) {
            prop_assert_eq!(proof.to_bytes(), Ok(bytes));
        }
    }

    #[test]
    fn builder_rejects_any_repeat(leaves in leaves_strategy(), picks in any::<(prop::sample::Index, prop::sample::Index)>()) {
        prop_assume!(leaves.len() >= 2);
        let i = picks.0.index(leaves.len() - 1) + 1;
        let j = picks.1.index(i);
        let mut duplicated = leaves.clone();
        duplicated[i].0 = duplicated[j].0;
        prop_assert_eq!(Tree::new(&duplicated), Err(MerkleSumError::Duplicate { index: i }));
    }

    /// The shaped path of every leaf folds to the root from any level, and binds the index: the
    /// same siblings under another index, or one sibling too many or too few, fail.
    #[test]
    fn shaped_paths_bind_the_index(leaves in leaves_strategy(), pick in any::<prop::sample::Index>(), split in 0u32..9) {
        let tree = Tree::new(&leaves).unwrap();
        let count = u64::try_from(leaves.len()).unwrap();
        let top = crate::height(count).unwrap();
        prop_assert_eq!(usize::try_from(top).unwrap(), tree.height());
        let index = pick.index(leaves.len());
        let i = u64::try_from(index).unwrap();
        let mid = split.min(top);
        let (wallet, amount) = leaves[index];
        let low = tree.shaped_path(index, 0, mid as usize).unwrap();
        let high = tree.shaped_path(index, mid as usize, top as usize).unwrap();
        prop_assert_eq!(u32::try_from(low.len()).unwrap(), crate::path_len(i, count, 0, mid));
        let node = crate::fold_at(leaf(&wallet, amount), i, count, 0, mid, low.iter().copied()).unwrap();
        prop_assert_eq!(Some(node), tree.node(mid as usize, index >> mid));
        prop_assert_eq!(crate::fold_at(node, i, count, mid, top, high.iter().copied()), Ok(tree.root()));
        let whole = tree.shaped_path(index, 0, top as usize).unwrap();
        prop_assert_eq!(whole.len(), tree.proof(index).unwrap().siblings.len());
        for other in 0..count {
            if other != i {
                let folded = crate::fold_at(leaf(&wallet, amount), other, count, 0, top, whole.iter().copied());
                prop_assert!(folded != Ok(tree.root()));
            }
        }
        let mut longer = whole.clone();
        longer.push(tree.root());
        prop_assert_eq!(
            crate::fold_at(leaf(&wallet, amount), i, count, 0, top, longer),
            Err(MerkleSumError::BadShape)
        );
        prop_assert_eq!(
            crate::fold_at(leaf(&wallet, amount), count, count, 0, top, whole.iter().copied()),
            Err(MerkleSumError::BadShape)
        );
    }
}
