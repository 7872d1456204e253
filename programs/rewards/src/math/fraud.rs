//! Fraud-proof evidence checks: pure functions over merkle-sum nodes and bytes, no accounts.
//!
//! A posted root is fraudulent, and voided, if anyone shows during its dispute window:
//! - (a) **an inconsistent sum**: an internal node of the posted tree whose published sum is not
//!   the sum of its children's sums (the node is rebuilt from its children and folded up to the
//!   posted root with the published sum);
//! - (b) **a decrease**: a wallet whose cumulative amount in the posted root is below its amount
//!   in the last final root (one proof against each root);
//! - (c) **equivocation**: an oracle that voted on-chain for the posted root has signed
//!   [`vote_message`] for a different `(root, total, manifest_hash)` in the same epoch and set
//!   version (verified by the ed25519 precompile in the same transaction).

use merkle_sum::{Node, Sibling};

/// Why evidence does not prove fraud.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FraudError {
    /// The evidence does not fold to the root it is about (hash or sum).
    NotInRoot,
    /// The node's sum is exactly its children's sum: no fraud.
    SumConsistent,
    /// The new cumulative amount is not below the old one: no fraud.
    NoDecrease,
    /// The signed message is not a vote message of this program.
    NotAVote,
    /// The signed vote is for the same root, or another epoch or set version: no fraud.
    NoConflict,
    /// The ed25519 instruction is not a single signature carried in its own data.
    BadSignatureInstruction,
    /// A proof has more than `merkle_sum::MAX_DEPTH` siblings.
    TooDeep,
}

/// (a): `left` and `right` are the children of a node whose published sum is `claimed_sum`, and
/// `path` leads from that node to `root`. Fraud if `claimed_sum != left.sum + right.sum`
/// (including when that sum does not fit in a u64).
pub fn inconsistent_sum(
    left: &Node,
    right: &Node,
    claimed_sum: u64,
    path: &[Sibling],
    root: &Node,
) -> Result<(), FraudError> {
    if path.len() > merkle_sum::MAX_DEPTH {
        return Err(FraudError::TooDeep);
    }
    let node = Node {
        hash: merkle_sum::node_hash(left, right),
        sum: claimed_sum,
    };
    let folded = merkle_sum::fold_path(node, path).map_err(|_| FraudError::NotInRoot)?;
    if folded != *root {
        return Err(FraudError::NotInRoot);
    }
    match left.sum.checked_add(right.sum) {
        Some(sum) if sum == claimed_sum => Err(FraudError::SumConsistent),
        _ => Ok(()),
    }
}

/// Checks that `(wallet, amount)` is a leaf of `root`.
pub fn leaf_in_root(
    wallet: &[u8; 32],
    amount: u64,
    path: &[Sibling],
    root: &Node,
) -> Result<(), FraudError> {
    if path.len() > merkle_sum::MAX_DEPTH {
        return Err(FraudError::TooDeep);
    }
    let folded = merkle_sum::fold_path(merkle_sum::leaf(wallet, amount), path)
        .map_err(|_| FraudError::NotInRoot)?;
    if folded == *root {
        Ok(())
    } else {
        Err(FraudError::NotInRoot)
    }
}

/// (b): `wallet` has `old_amount` in the final root and `new_amount` in the posted root. Fraud
/// if `new_amount < old_amount`.
pub fn decrease(
    wallet: &[u8; 32],
    old_amount: u64,
    old_path: &[Sibling],
    final_root: &Node,
    new_amount: u64,
    new_path: &[Sibling],
    posted_root: &Node,
) -> Result<(), FraudError> {
    leaf_in_root(wallet, old_amount, old_path, final_root)?;
    leaf_in_root(wallet, new_amount, new_path, posted_root)?;
    if new_amount < old_amount {
        Ok(())
    } else {
        Err(FraudError::NoDecrease)
    }
}

/// Domain tag that starts every vote message.
pub const VOTE_TAG: &[u8; 21] = b"depin-rewards-vote-v1";
/// Length of a vote message.
pub const VOTE_MESSAGE_LEN: usize = 21 + 32 + 8 + 4 + 8 + 32 + 8 + 32;

/// What an oracle signs when it shares its vote off-chain:
/// `tag || program_id || epoch_le || set_version_le || round_le || root || total_le ||
/// manifest_hash`. `round` is the network's count of voided roots when the vote is cast, so a
/// signature from before a void never conflicts with a vote after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteMessage {
    pub program_id: [u8; 32],
    pub epoch: u64,
    pub set_version: u32,
    pub round: u64,
    pub root: [u8; 32],
    pub total: u64,
    pub manifest_hash: [u8; 32],
}

impl VoteMessage {
    pub fn to_bytes(&self) -> [u8; VOTE_MESSAGE_LEN] {
        let mut out = [0u8; VOTE_MESSAGE_LEN];
        let parts: [&[u8]; 8] = [
            VOTE_TAG,
            &self.program_id,
            &self.epoch.to_le_bytes(),
            &self.set_version.to_le_bytes(),
            &self.round.to_le_bytes(),
            &self.root,
            &self.total.to_le_bytes(),
            &self.manifest_hash,
        ];
        let mut at = 0;
        for part in parts {
            out[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FraudError> {
        if bytes.len() != VOTE_MESSAGE_LEN || &bytes[..21] != VOTE_TAG {
            return Err(FraudError::NotAVote);
        }
        let take = |at: usize, n: usize| &bytes[at..at + n];
        let arr32 = |at: usize| {
            let mut a = [0u8; 32];
            a.copy_from_slice(take(at, 32));
            a
        };
        let mut epoch = [0u8; 8];
        epoch.copy_from_slice(take(53, 8));
        let mut set_version = [0u8; 4];
        set_version.copy_from_slice(take(61, 4));
        let mut round = [0u8; 8];
        round.copy_from_slice(take(65, 8));
        let mut total = [0u8; 8];
        total.copy_from_slice(take(105, 8));
        Ok(Self {
            program_id: arr32(21),
            epoch: u64::from_le_bytes(epoch),
            set_version: u32::from_le_bytes(set_version),
            round: u64::from_le_bytes(round),
            root: arr32(73),
            total: u64::from_le_bytes(total),
            manifest_hash: arr32(113),
        })
    }
}

/// (c): `signed` (a message the oracle signed) conflicts with `voted` (what it voted for on
/// chain) if both are for this program, the same epoch, set version and round, and differ in root,
/// total or manifest hash.
pub fn equivocation(signed: &VoteMessage, voted: &VoteMessage) -> Result<(), FraudError> {
    if signed.program_id != voted.program_id
        || signed.epoch != voted.epoch
        || signed.set_version != voted.set_version
        || signed.round != voted.round
    {
        return Err(FraudError::NoConflict);
    }
    if signed.root == voted.root
        && signed.total == voted.total
        && signed.manifest_hash == voted.manifest_hash
    {
        return Err(FraudError::NoConflict);
    }
    Ok(())
}

/// The public key and message of an ed25519 precompile instruction that verifies exactly one
/// signature whose key, signature and message all lie in the instruction's own data.
///
/// Layout: `count: u8, padding: u8`, then per signature seven u16 LE: signature offset,
/// signature instruction index, public key offset, public key instruction index, message offset,
/// message size, message instruction index (`u16::MAX` = this instruction).
pub fn ed25519_single(data: &[u8]) -> Result<([u8; 32], &[u8]), FraudError> {
    const HEADER: usize = 2 + 14;
    if data.len() < HEADER || data[0] != 1 {
        return Err(FraudError::BadSignatureInstruction);
    }
    let field = |i: usize| usize::from(u16::from_le_bytes([data[2 + 2 * i], data[3 + 2 * i]]));
    let (sig_off, sig_ix, key_off, key_ix, msg_off, msg_len, msg_ix) = (
        field(0),
        field(1),
        field(2),
        field(3),
        field(4),
        field(5),
        field(6),
    );
    let this = usize::from(u16::MAX);
    if sig_ix != this || key_ix != this || msg_ix != this {
        return Err(FraudError::BadSignatureInstruction);
    }
    let in_bounds =
        |off: usize, len: usize| off.checked_add(len).is_some_and(|end| end <= data.len());
    if !in_bounds(sig_off, 64) || !in_bounds(key_off, 32) || !in_bounds(msg_off, msg_len) {
        return Err(FraudError::BadSignatureInstruction);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&data[key_off..key_off + 32]);
    Ok((key, &data[msg_off..msg_off + msg_len]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use merkle_sum::Tree;
    use proptest::prelude::*;

    fn wallet(i: u8) -> [u8; 32] {
        [i; 32]
    }

    fn tree(amounts: &[u64]) -> Tree {
        let leaves: Vec<([u8; 32], u64)> = amounts
            .iter()
            .enumerate()
            .map(|(i, a)| (wallet(u8::try_from(i).unwrap() + 1), *a))
            .collect();
        Tree::new(&leaves).unwrap()
    }

    /// A tree whose leaf-level node over leaves 0 and 1 publishes `lie` as its sum: the tree
    /// of four leaves built by hand.
    fn lying_tree(amounts: [u64; 4], lie: u64) -> (Node, Node, Node, Node) {
        let l: Vec<Node> = amounts
            .iter()
            .enumerate()
            .map(|(i, a)| merkle_sum::leaf(&wallet(u8::try_from(i).unwrap() + 1), *a))
            .collect();
        let bad = Node {
            hash: merkle_sum::node_hash(&l[0], &l[1]),
            sum: lie,
        };
        let good = merkle_sum::parent(&l[2], &l[3]).unwrap();
        let root = merkle_sum::parent(&bad, &good).unwrap();
        (l[0], l[1], good, root)
    }

    #[test]
    fn an_inconsistent_sum_is_proven() {
        let (left, right, uncle, root) = lying_tree([10, 20, 30, 40], 5);
        let path = [Sibling {
            node: uncle,
            is_left: false,
        }];
        assert_eq!(root.sum, 75);
        assert_eq!(inconsistent_sum(&left, &right, 5, &path, &root), Ok(()));
        // The same node with its true sum does not fold to this root.
        assert_eq!(
            inconsistent_sum(&left, &right, 30, &path, &root),
            Err(FraudError::NotInRoot)
        );
    }

    #[test]
    fn an_honest_tree_has_no_inconsistent_sum() {
        let t = tree(&[10, 20, 30, 40]);
        let l: Vec<Node> = (0..4).map(|i| t.leaf(i).unwrap()).collect();
        let uncle = merkle_sum::parent(&l[2], &l[3]).unwrap();
        let path = [Sibling {
            node: uncle,
            is_left: false,
        }];
        assert_eq!(
            inconsistent_sum(&l[0], &l[1], 30, &path, &t.root()),
            Err(FraudError::SumConsistent)
        );
    }

    #[test]
    fn an_overflowing_sum_is_inconsistent() {
        let a = merkle_sum::leaf(&wallet(1), u64::MAX);
        let b = merkle_sum::leaf(&wallet(2), 1);
        let node = Node {
            hash: merkle_sum::node_hash(&a, &b),
            sum: 0,
        };
        assert_eq!(inconsistent_sum(&a, &b, 0, &[], &node), Ok(()));
    }

    #[test]
    fn a_decrease_is_proven_and_an_increase_is_not() {
        let old = tree(&[100, 200, 300]);
        let new = tree(&[150, 199, 400]);
        let w = wallet(2);
        let old_path = old.proof(1).unwrap().siblings;
        let new_path = new.proof(1).unwrap().siblings;
        assert_eq!(
            decrease(&w, 200, &old_path, &old.root(), 199, &new_path, &new.root()),
            Ok(())
        );
        let up_old = old.proof(0).unwrap().siblings;
        let up_new = new.proof(0).unwrap().siblings;
        assert_eq!(
            decrease(
                &wallet(1),
                100,
                &up_old,
                &old.root(),
                150,
                &up_new,
                &new.root()
            ),
            Err(FraudError::NoDecrease)
        );
        // Lying about the old amount fails against the old root.
        assert_eq!(
            decrease(&w, 201, &old_path, &old.root(), 199, &new_path, &new.root()),
            Err(FraudError::NotInRoot)
        );
    }

    fn vote(root: u8) -> VoteMessage {
        VoteMessage {
            program_id: [9; 32],
            epoch: 7,
            set_version: 2,
            round: 3,
            root: [root; 32],
            total: 1_000,
            manifest_hash: [3; 32],
        }
    }

    #[test]
    fn vote_messages_round_trip_and_conflict() {
        let v = vote(1);
        let bytes = v.to_bytes();
        assert_eq!(bytes.len(), 145);
        assert_eq!(&bytes[..21], b"depin-rewards-vote-v1");
        assert_eq!(&bytes[53..61], &7u64.to_le_bytes());
        assert_eq!(VoteMessage::from_bytes(&bytes), Ok(v));
        assert_eq!(
            VoteMessage::from_bytes(&bytes[..144]),
            Err(FraudError::NotAVote)
        );
        assert_eq!(equivocation(&vote(2), &v), Ok(()));
        assert_eq!(equivocation(&v, &v), Err(FraudError::NoConflict));
        let other_epoch = VoteMessage {
            epoch: 8,
            ..vote(2)
        };
        assert_eq!(equivocation(&other_epoch, &v), Err(FraudError::NoConflict));
        let other_round = VoteMessage {
            round: 4,
            ..vote(2)
        };
        assert_eq!(equivocation(&other_round, &v), Err(FraudError::NoConflict));
        assert_eq!(&bytes[65..73], &3u64.to_le_bytes());
        let other_total = VoteMessage { total: 999, ..v };
        assert_eq!(equivocation(&other_total, &v), Ok(()));
    }

    #[test]
    fn ed25519_instruction_layout() {
        let key = [5u8; 32];
        let msg = vote(1).to_bytes();
        let mut data = vec![1u8, 0];
        let key_off = 16u16;
        let sig_off = 48u16;
        let msg_off = 112u16;
        for v in [sig_off, u16::MAX, key_off, u16::MAX, msg_off, 145, u16::MAX] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        data.extend_from_slice(&key);
        data.extend_from_slice(&[0u8; 64]);
        data.extend_from_slice(&msg);
        assert_eq!(ed25519_single(&data), Ok((key, &msg[..])));
        // Another instruction's key is refused (field 3: the key's instruction index).
        let mut other = data.clone();
        other[8..10].copy_from_slice(&0u16.to_le_bytes());
        assert_eq!(
            ed25519_single(&other),
            Err(FraudError::BadSignatureInstruction)
        );
        // A message running past the data is refused (field 5: the message size).
        let mut long = data.clone();
        long[12..14].copy_from_slice(&146u16.to_le_bytes());
        assert_eq!(
            ed25519_single(&long),
            Err(FraudError::BadSignatureInstruction)
        );
        // Two signatures are refused.
        let mut two = data.clone();
        two[0] = 2;
        assert_eq!(
            ed25519_single(&two),
            Err(FraudError::BadSignatureInstruction)
        );
        // Truncated.
        assert_eq!(
            ed25519_single(&data[..data.len() - 1]),
            Err(FraudError::BadSignatureInstruction)
        );
    }

    proptest! {
        /// In any honest tree no internal node on any leaf's path proves an inconsistent sum,
        /// and every leaf proves no decrease against itself.
        #[test]
        fn honest_trees_prove_no_fraud(amounts in proptest::collection::vec(0u64..1_000_000, 2..40)) {
            let t = tree(&amounts);
            for (i, amount) in amounts.iter().enumerate() {
                let path = t.proof(i).unwrap().siblings;
                let w = wallet(u8::try_from(i).unwrap() + 1);
                prop_assert_eq!(
                    decrease(&w, *amount, &path, &t.root(), *amount, &path, &t.root()),
                    Err(FraudError::NoDecrease)
                );
            }
            // The root's own children.
            let l = t.leaf(0).unwrap();
            let r = t.leaf(1).unwrap();
            if amounts.len() == 2 {
                prop_assert_eq!(
                    inconsistent_sum(&l, &r, amounts[0] + amounts[1], &[], &t.root()),
                    Err(FraudError::SumConsistent)
                );
            }
        }

        /// Any lie in the sum of the node over leaves 0 and 1 is proven.
        #[test]
        fn any_lie_is_proven(a in 0u64..1_000_000, b in 0u64..1_000_000, c in 0u64..1_000_000,
                             d in 0u64..1_000_000, lie in 0u64..3_000_000) {
            prop_assume!(lie != a + b);
            let (left, right, uncle, root) = lying_tree([a, b, c, d], lie);
            let path = [Sibling { node: uncle, is_left: false }];
            prop_assert_eq!(inconsistent_sum(&left, &right, lie, &path, &root), Ok(()));
        }
    }
}
