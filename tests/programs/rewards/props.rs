//! A property test over random sequences of crank, time, honest roots, fraudulent roots proven
//! with probes, finalize, claim and claim into a staking position (`claim_to_position`; the four
//! first wallets each start with a position holding the one base unit epoch 0's root paid them),
//! with random wallets and amounts.
//!
//! The reward tree is modelled at fixed indices ([`Shape`]): a wallet keeps its index for ever
//! and new wallets are appended. A root may make the tree *deep*: a leaf count near 2^20 (height
//! 20) of which the model knows only the paths of its own wallets and of one stranger, every
//! other leaf being filler committed to through pseudo-random nodes. A colluding majority posts
//! each kind of fraud, and a watcher proves it from probes walked down one path, at most
//! `MAX_PROBE_STEP` siblings per transaction:
//! - a decrease (`Evidence::Decrease`): a wallet's amount lowered, or the wallet replaced by
//!   another key at its index, or dropped (the later wallets moved down a place and a new one
//!   appended, since the shrunk tree itself is refused with `InvalidLeafCount`);
//! - a duplicate (`Evidence::Duplicate`): a second leaf for a wallet;
//! - an inconsistent sum (`Evidence::InconsistentSum`) at an inner node or at a leaf;
//! - decreases and inconsistent sums on one leaf's path in a tree of height 20 ([`Step::Deep`]),
//!   where the model knows little more than that path: both roots fold from it with
//!   `merkle_sum::fold_at`, and a probe of the deep tree takes two transactions (16 siblings,
//!   then the rest);
//! - an unanswered availability demand (`Evidence::Unanswered`): the oracles withhold the tree
//!   and a demanded leaf is never shown ([`Step::Demand`], which also answers demands in time).
//!
//! After every step:
//! - the final root on chain is the model's (hash, total and leaf count);
//! - mint supply = minted − burned, and the vault holds exactly what was minted for rewards and
//!   not yet claimed;
//! - the sum of claims <= the final root's total <= the cumulative budget <= max supply;
//! - no wallet is ever paid twice for the same cumulative amount, whichever way it claims (each
//!   wallet's balance plus its position's deposits equals its claim record, which never exceeds
//!   its cumulative amount in the final root), and the staking vault holds every deposit.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::builders::staking_ix;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use merkle_sum::Node;
use proptest::prelude::*;
use rewards::constants::{DEMAND_DEPOSIT, MAX_PROBE_STEP};
use rewards::error::RewardsError;
use rewards::events::{FraudKind, RootVoided};
use rewards::state::{BaseRoot, ClaimRecord, Demand, Probe, ProposalStatus, ProvenLeaf};

use super::fixture::*;

/// Wallets `0..STAKERS` are paid by epoch 0 and stake; the others join later (appended).
const WALLETS: usize = 6;
const STAKERS: usize = 4;
/// The height of a deep tree: a count in `(2^19, 2^20]`.
const DEEP: u32 = 20;

/// How a decrease robs the wallet at an index.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// One unit less (given to another wallet, so the total does not move).
    Lower,
    /// Another key at the index, with the same amount.
    Replace,
    /// The wallet removed: the later wallets move down a place and a new wallet is appended
    /// with its amount (in a deep tree, whose filler cannot be moved, a replacement).
    Drop,
}

/// Turns a tree deep: `2^20 - below` leaves, a stranger at an index drawn from `at` past the
/// known wallets, filler nodes salted with `salt`.
#[derive(Clone, Copy, Debug)]
struct Deepen {
    below: u64,
    at: u64,
    salt: u64,
}

/// A fraud on the path of a leaf at depth 20.
#[derive(Clone, Copy, Debug)]
enum DeepKind {
    /// Leaf `i` of the base lowered by one unit, or replaced by another key: the stranger's leaf
    /// if the base is deep, else a wallet's.
    Decrease { replace: bool },
    /// The stranger's leaf publishes a sum off by `delta`.
    LeafSum { over: bool, delta: u64 },
    /// A node on the stranger's path (at a level drawn from `level`) publishes a sum off by
    /// `delta`.
    NodeSum { level: u32, over: bool, delta: u64 },
}

#[derive(Clone, Debug)]
enum Step {
    /// Move the clock forward.
    Wait(i64),
    Crank,
    /// The honest oracles post the next epoch's root, adding these amounts to the wallets (a
    /// wallet not yet in the tree is appended); with `deepen`, a shallow tree grows deep.
    Post {
        adds: [u64; WALLETS],
        deepen: Option<Deepen>,
    },
    /// A root that robs the known leaf drawn from `pick`.
    Decrease {
        pick: usize,
        cut: Cut,
    },
    /// A root that appends a second leaf, of `amount`, for the known wallet drawn from `pick`.
    Duplicate {
        pick: usize,
        amount: u64,
    },
    /// A root (after adding `extra` to wallet 0) in which the node at a level drawn from `level`
    /// (0 = the leaf) on the path of the known leaf drawn from `pick` publishes a sum `delta`
    /// over or under its children's.
    Sum {
        pick: usize,
        level: u32,
        over: bool,
        delta: u64,
        extra: u64,
    },
    /// A fraud in a tree of height 20 known only along the fraud's path (made deep by `deepen`
    /// if the final tree is not).
    Deep {
        kind: DeepKind,
        deepen: Deepen,
    },
    /// A watcher demands the known leaf drawn from `pick` of the posted root (in the first half
    /// of its dispute window). With `answer`, the model (which holds the tree) walks the probe
    /// to the leaf in time and takes the deposit; without, the oracles withhold the tree and the
    /// unanswered demand voids the root.
    Demand {
        pick: usize,
        answer: bool,
    },
    Finalize,
    Claim(usize),
    /// Wallet `i` (a staker) claims into its staking position.
    ClaimToPosition(usize),
}

fn deepen() -> impl Strategy<Value = Deepen> {
    (8u64..1 << 19, any::<u64>(), any::<u64>()).prop_map(|(below, at, salt)| Deepen {
        below,
        at,
        salt,
    })
}

fn step() -> impl Strategy<Value = Step> {
    let add = prop_oneof![Just(0u64), 1u64..2_000_000_000_000];
    let cut = prop_oneof![Just(Cut::Lower), Just(Cut::Replace), Just(Cut::Drop)];
    let deep_kind = prop_oneof![
        any::<bool>().prop_map(|replace| DeepKind::Decrease { replace }),
        (any::<bool>(), 1u64..1_000).prop_map(|(over, delta)| DeepKind::LeafSum { over, delta }),
        (1u32..=DEEP, any::<bool>(), 1u64..1_000)
            .prop_map(|(level, over, delta)| DeepKind::NodeSum { level, over, delta }),
    ];
    prop_oneof![
        3 => (1i64..3 * DAY).prop_map(Step::Wait),
        3 => Just(Step::Crank),
        4 => (prop::array::uniform6(add), prop::option::weighted(0.4, deepen()))
            .prop_map(|(adds, deepen)| Step::Post { adds, deepen }),
        2 => (any::<usize>(), cut).prop_map(|(pick, cut)| Step::Decrease { pick, cut }),
        2 => (any::<usize>(), 0u64..1_000_000)
            .prop_map(|(pick, amount)| Step::Duplicate { pick, amount }),
        2 => (any::<usize>(), any::<u32>(), any::<bool>(), 1u64..1_000, 1u64..1_000_000).prop_map(
            |(pick, level, over, delta, extra)| Step::Sum { pick, level, over, delta, extra }
        ),
        2 => (deep_kind, deepen()).prop_map(|(kind, deepen)| Step::Deep { kind, deepen }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(pick, answer)| Step::Demand { pick, answer }),
        3 => Just(Step::Finalize),
        2 => (0..WALLETS).prop_map(Step::Claim),
        2 => (0..STAKERS).prop_map(Step::ClaimToPosition),
    ]
}

// ---------------------------------------------------------------------------------------------
// The tree model.

/// A reward tree as the model knows it: `count` leaves at fixed indices, of which `known` can be
/// opened (the model's wallets, and in a deep tree one stranger). Every other leaf is filler
/// worth one base unit, committed to by a pseudo-random node for each largest subtree that
/// holds no known leaf. Filler never moves, so an honest successor keeps every filler leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shape {
    count: u64,
    known: BTreeMap<u64, (Pubkey, u64)>,
    /// The stranger's index in a deep tree.
    stranger: Option<u64>,
    /// Mixed into the filler nodes.
    salt: u64,
}

impl Shape {
    /// A tree of exactly `leaves`, in index order.
    fn full(leaves: &[(Pubkey, u64)]) -> Self {
        Self {
            count: leaves.len() as u64,
            known: (0u64..).zip(leaves.iter().copied()).collect(),
            stranger: None,
            salt: 0,
        }
    }

    fn is_deep(&self) -> bool {
        self.count > self.known.len() as u64
    }

    fn index_of(&self, wallet: &Pubkey) -> Option<u64> {
        self.known
            .iter()
            .find(|(_, (w, _))| w == wallet)
            .map(|(i, _)| *i)
    }

    fn amount_mut(&mut self, index: u64) -> &mut u64 {
        &mut self.known.get_mut(&index).expect("a known leaf").1
    }

    /// The root's sum: the known amounts and one unit per filler leaf.
    fn total(&self) -> u64 {
        let filler = self.count - self.known.len() as u64;
        self.known.values().map(|(_, a)| *a).sum::<u64>() + filler
    }

    fn append(&mut self, wallet: Pubkey, amount: u64) {
        self.known.insert(self.count, (wallet, amount));
        self.count += 1;
    }

    /// The known leaves' indices, ascending.
    fn indices(&self) -> Vec<u64> {
        self.known.keys().copied().collect()
    }

    /// This tree grown to height 20: the same leaves at the same indices, then filler, with a
    /// stranger at an index past them.
    fn deepened(&self, d: Deepen) -> Self {
        let count = (1u64 << DEEP) - d.below;
        let index = self.count + d.at % (count - self.count);
        let mut salt = [0u8; 32];
        salt[..8].copy_from_slice(&d.salt.to_le_bytes());
        let stranger = Pubkey::new_from_array(merkle_sum::leaf(&salt, 0).hash);
        let mut known = self.known.clone();
        known.insert(index, (stranger, 1 + d.salt % 1_000));
        Self {
            count,
            known,
            stranger: Some(index),
            salt: d.salt,
        }
    }
}

/// The node committing to `leaves` filler leaves at `(level, position)`.
fn filler(salt: u64, level: u32, position: u64, leaves: u64) -> Node {
    let mut key = [0xf1u8; 32];
    key[..8].copy_from_slice(&salt.to_le_bytes());
    key[8..12].copy_from_slice(&level.to_le_bytes());
    key[12..20].copy_from_slice(&position.to_le_bytes());
    Node {
        hash: merkle_sum::leaf(&key, leaves).hash,
        sum: leaves,
    }
}

/// A lie: the node at `(level, position)` publishes `sum`, its hash unchanged.
type Lie = (u32, u64, u64);

/// A built tree: every node the model can name (the paths of the known leaves and their
/// siblings), with at most one lie, whose ancestors are computed over it.
struct Built {
    count: u64,
    height: u32,
    nodes: HashMap<(u32, u64), Node>,
}

impl Built {
    fn new(shape: &Shape, lie: Option<Lie>) -> Self {
        let height = merkle_sum::height(shape.count).expect("a tree has leaves");
        let mut built = Self {
            count: shape.count,
            height,
            nodes: HashMap::new(),
        };
        built.build(shape, lie, height, 0);
        built
    }

    fn build(&mut self, shape: &Shape, lie: Option<Lie>, level: u32, position: u64) -> Node {
        let first = position << level;
        let end = ((position + 1) << level).min(self.count);
        let honest = if shape.known.range(first..end).next().is_none() {
            filler(shape.salt, level, position, end - first)
        } else if level == 0 {
            let (wallet, amount) = shape.known[&position];
            merkle_sum::leaf(&wallet.to_bytes(), amount)
        } else if 2 * position + 1 >= merkle_sum::level_size(self.count, level - 1) {
            self.build(shape, lie, level - 1, 2 * position) // promoted
        } else {
            let left = self.build(shape, lie, level - 1, 2 * position);
            let right = self.build(shape, lie, level - 1, 2 * position + 1);
            merkle_sum::parent(&left, &right).unwrap()
        };
        let node = match lie {
            Some((l, p, sum)) if (l, p) == (level, position) => Node { sum, ..honest },
            _ => honest,
        };
        self.nodes.insert((level, position), node);
        node
    }

    fn node(&self, level: u32, position: u64) -> Node {
        self.nodes[&(level, position)]
    }

    fn root(&self) -> Node {
        self.node(self.height, 0)
    }

    /// The siblings on leaf `index`'s path from level `from` up to `to`, bottom first: the path
    /// `merkle_sum::fold_at` takes.
    fn path(&self, index: u64, from: u32, to: u32) -> Vec<Node> {
        (from..to)
            .filter_map(|level| {
                let sibling = (index >> level) ^ 1;
                (sibling < merkle_sum::level_size(self.count, level))
                    .then(|| self.node(level, sibling))
            })
            .collect()
    }

    /// A claim's proof for leaf `index`.
    fn proof(&self, index: u64) -> Vec<ProofNode> {
        (0..self.height)
            .filter_map(|level| {
                let position = index >> level;
                let sibling = position ^ 1;
                (sibling < merkle_sum::level_size(self.count, level)).then(|| {
                    let n = self.node(level, sibling);
                    ProofNode {
                        hash: n.hash,
                        sum: n.sum,
                        is_left: position & 1 == 1,
                    }
                })
            })
            .collect()
    }

    /// The levels at which the node on leaf `index`'s path opens to a preimage the model
    /// knows: the leaf, and every level where the node has two children (not promoted).
    fn preimage_levels(&self, index: u64) -> Vec<u32> {
        (0..=self.height)
            .filter(|&l| l == 0 || 2 * (index >> l) + 1 < merkle_sum::level_size(self.count, l - 1))
            .collect()
    }
}

/// The honest tree of a fully known shape is the one `merkle_sum::Tree` builds, proofs and all.
fn check_against_tree(shape: &Shape, built: &Built) {
    if shape.is_deep() {
        return;
    }
    let pairs: Vec<([u8; 32], u64)> = shape
        .known
        .values()
        .map(|(w, a)| (w.to_bytes(), *a))
        .collect();
    let tree = merkle_sum::Tree::new(&pairs).unwrap();
    assert_eq!(tree.root(), built.root());
    for index in 0..pairs.len() {
        let proof = proof_nodes(&tree.proof(index).unwrap());
        assert_eq!(proof, built.proof(index as u64));
    }
}

// ---------------------------------------------------------------------------------------------
// The world: the network and the model.

struct World {
    net: Net,
    wallets: Vec<Pubkey>,
    /// The wallets' keys: `claim_to_position` and `stake` need their signatures.
    keys: Vec<Keypair>,
    /// Each staker's staking position (id 0).
    positions: Vec<Pubkey>,
    accounts: Vec<Pubkey>,
    /// Opens and walks the probes, and pays their rent.
    watcher: Keypair,
    /// The lookup table every claim goes through: a 20-level proof needs it.
    table: AddressLookupTableAccount,
    /// The latest final root's tree.
    final_shape: Shape,
    /// The posted (not yet final) root and its tree.
    posted: Option<(Pubkey, Shape)>,
    /// What each wallet has been paid, as the model sees it.
    paid: BTreeMap<Pubkey, u64>,
    /// The kinds of fraud proven so far.
    proven: BTreeSet<&'static str>,
}

impl World {
    fn new() -> Self {
        let mut net = Net::new(TokenProgram::SplToken);
        net.install_oracles(3, 2);
        let keys: Vec<Keypair> = (0..WALLETS).map(|_| net.env.funded_keypair()).collect();
        let wallets: Vec<Pubkey> = keys.iter().map(Signer::pubkey).collect();
        let accounts: Vec<Pubkey> = wallets
            .iter()
            .map(|w| create_token_account(&mut net.env, TokenProgram::SplToken, &mint_pda().0, w))
            .collect();
        // Epoch 0 pays each staker one base unit, which it stakes: every staker has a position.
        let leaves: Vec<(Pubkey, u64)> = wallets[..STAKERS].iter().map(|w| (*w, 1)).collect();
        net.earn(&leaves, &accounts[..STAKERS]);
        let positions = keys[..STAKERS]
            .iter()
            .zip(&accounts)
            .map(|(k, a)| net.stake(k, *a, 0, 1))
            .collect();
        let watcher = net.env.funded_keypair();
        let table = net.env.lookup_table(
            0xa1,
            &[
                network_pda().0,
                mint_pda().0,
                rewards_vault_pda().0,
                TokenProgram::SplToken.id(),
                anchor_lang::system_program::ID,
                event_authority(&rewards::ID),
                staking_ix::config_pda().0,
                staking_ix::vault_pda().0,
                staking_ix::revenue_vault_pda().0,
                event_authority(&staking::ID),
                staking::ID,
            ],
        );
        Self {
            net,
            paid: leaves.iter().copied().collect(),
            final_shape: Shape::full(&leaves),
            wallets,
            keys,
            positions,
            accounts,
            watcher,
            table,
            posted: None,
            proven: BTreeSet::new(),
        }
    }

    /// The next epoch, if it may get a root: minted and over, and no root posted for it.
    fn next_epoch_ready(&self) -> Option<u64> {
        let network = self.net.network();
        let epoch = network.final_root.epochs;
        let ended = self.net.start + DAY * (i64::try_from(epoch).unwrap() + 1);
        (epoch < network.epochs_minted && self.net.env.now() >= ended && self.posted.is_none())
            .then_some(epoch)
    }

    /// The most a root for `epoch` may total: the emission of epochs 0..=epoch only (later
    /// epochs may be minted already); the schedule is flat for its first 730 epochs.
    fn root_budget(&self, epoch: u64) -> u64 {
        self.net
            .network()
            .cumulative_budget
            .min((epoch + 1) * EPOCH_EMISSION)
    }

    /// Oracles 0 and 1 (k = 2 of 3) post `built`'s root for `epoch`; returns the proposal.
    fn vote_all(&mut self, epoch: u64, built: &Built) -> Pubkey {
        let root = built.root();
        let args = VoteRootArgs {
            epoch,
            root: root.hash,
            total: root.sum,
            leaves: built.count,
            manifest_hash: [0x11; 32],
        };
        expect_ok(self.net.vote(0, &args));
        expect_ok(self.net.vote(1, &args));
        let key = self.net.proposal_key(&args);
        let p = self.net.proposal(&key);
        let base = Built::new(&self.final_shape, None).root();
        assert_eq!(p.status, ProposalStatus::Posted);
        assert_eq!(
            p.base,
            BaseRoot {
                root: base.hash,
                total: base.sum,
                leaves: self.final_shape.count,
            }
        );
        key
    }

    /// Walks a probe down to leaf `index` of `built` (`side`'s tree), which holds `leaf`, with
    /// the steps `probe_steps_on_path` cuts from the path alone. The path folds to the root
    /// (`merkle_sum::fold_at`), and a path of more than `MAX_PROBE_STEP` siblings takes more
    /// than one transaction.
    fn leaf_probe(
        &mut self,
        proposal: Pubkey,
        side: ProbeSide,
        built: &Built,
        index: u64,
        leaf: (Pubkey, u64),
    ) -> Pubkey {
        let path = built.path(index, 0, built.height);
        let start = merkle_sum::leaf(&leaf.0.to_bytes(), leaf.1);
        assert_eq!(
            merkle_sum::fold_at(start, index, built.count, 0, built.height, path.clone()),
            Ok(built.root())
        );
        let steps = probe_steps_on_path(
            side,
            index,
            built.count,
            (leaf.0.to_bytes(), leaf.1),
            &path,
            MAX_PROBE_STEP,
        )
        .unwrap();
        assert_eq!(
            1 + steps.1.len(),
            path.len().div_ceil(MAX_PROBE_STEP).max(1)
        );
        let watcher = self.watcher.insecure_clone();
        let key = self.net.probe(&watcher, proposal, side, steps);
        let probe: Probe = self.net.env.anchor_account(&key);
        assert_eq!(
            (probe.index, probe.level, probe.leaf),
            (
                index,
                0,
                Some(ProvenLeaf {
                    wallet: leaf.0,
                    amount: leaf.1
                })
            )
        );
        key
    }

    /// Walks a posted-side probe on leaf `index`'s path down to the node at `level`, at most
    /// `MAX_PROBE_STEP` siblings per transaction (opened at the root itself if `level` is the
    /// root's).
    fn node_probe(&mut self, proposal: Pubkey, built: &Built, index: u64, level: u32) -> Pubkey {
        let target = |l: u32| ProbeTarget::Node {
            level: u8::try_from(l).unwrap(),
            node: MerkleNode::from(built.node(l, index >> l)),
        };
        let siblings = |lower: u32, upper: u32| -> Vec<MerkleNode> {
            built
                .path(index, lower, upper)
                .into_iter()
                .map(MerkleNode::from)
                .collect()
        };
        // Cut the levels from the root down, each step as long as it may be.
        let mut cuts = vec![built.height];
        while let Some(&upper) = cuts.last().filter(|u| **u > level) {
            let mut lower = upper - 1;
            while lower > level
                && merkle_sum::path_len(index, built.count, lower - 1, upper) as usize
                    <= MAX_PROBE_STEP
            {
                lower -= 1;
            }
            cuts.push(lower);
        }
        let open = OpenProbeArgs {
            side: ProbeSide::Posted,
            index,
            target: target(*cuts.get(1).unwrap_or(&built.height)),
            path: cuts.get(1).map_or_else(Vec::new, |l| siblings(*l, cuts[0])),
        };
        let extends = cuts
            .windows(2)
            .skip(1)
            .map(|w| ExtendProbeArgs {
                target: target(w[1]),
                path: siblings(w[1], w[0]),
            })
            .collect();
        let watcher = self.watcher.insecure_clone();
        let key = self
            .net
            .probe(&watcher, proposal, ProbeSide::Posted, (open, extends));
        let probe: Probe = self.net.env.anchor_account(&key);
        assert_eq!(
            (probe.level, probe.node, probe.leaf),
            (
                u8::try_from(level).unwrap(),
                MerkleNode::from(built.node(level, index >> level)),
                None
            )
        );
        key
    }

    /// Evidence that must be refused with `error`, from the watcher.
    fn refused(
        &mut self,
        proposal: Pubkey,
        probes: (Pubkey, Option<Pubkey>),
        evidence: Evidence,
        error: RewardsError,
    ) {
        let watcher = self.watcher.insecure_clone();
        let result = self.net.prove(&watcher, proposal, probes, evidence);
        // `Net::prove` sends a compute-unit limit first: `prove_fraud` is instruction 1.
        assert_custom_error(&result, 1, error.into());
        assert_eq!(self.net.proposal(&proposal).status, ProposalStatus::Posted);
    }

    /// A challenger proves `evidence`: the root is voided, both voters are slashed, the final
    /// root is untouched and a new voting round starts; governance then seats three fresh
    /// oracles (the two slashed ones may not vote again, and one is below the threshold).
    fn prove(
        &mut self,
        proposal: Pubkey,
        probes: (Pubkey, Option<Pubkey>),
        evidence: Evidence,
        kind: FraudKind,
        label: &'static str,
    ) {
        let network = self.net.network();
        let voters: Vec<Pubkey> = self.net.oracles[..2].iter().map(Signer::pubkey).collect();
        let challenger = self.net.env.funded_keypair();
        let meta = expect_ok(self.net.prove(&challenger, proposal, probes, evidence));
        let e: Vec<RootVoided> = cpi_events(&meta);
        assert_eq!(
            (
                e[0].proposal,
                e[0].kind,
                e[0].slashed.clone(),
                e[0].slashed_amount
            ),
            (proposal, kind, voters, 2 * BOND)
        );
        assert_eq!(self.net.proposal(&proposal).status, ProposalStatus::Voided);
        let after = self.net.network();
        assert_eq!(after.voided_roots, network.voided_roots + 1);
        assert_eq!(after.final_root, network.final_root);
        assert_eq!(self.net.oracle_set().slashed, 0b011);
        self.proven.insert(label);
        self.net.install_oracles(3, 2);
    }

    /// Posts `posted` (which robs leaf `index` of the final tree) and proves the decrease.
    fn decrease(&mut self, epoch: u64, posted: &Shape, index: u64, label: &'static str) {
        let base = self.final_shape.clone();
        let base_built = Built::new(&base, None);
        let posted_built = Built::new(posted, None);
        let key = self.vote_all(epoch, &posted_built);
        let first = self.leaf_probe(key, ProbeSide::Base, &base_built, index, base.known[&index]);
        let robbed = posted.known[&index];
        let second = self.leaf_probe(key, ProbeSide::Posted, &posted_built, index, robbed);
        // The robbed leaf's own sum is consistent, and the probes are the wrong way round.
        let preimage = NodePreimage::Leaf {
            wallet: robbed.0,
            amount: robbed.1,
        };
        self.refused(
            key,
            (second, None),
            Evidence::InconsistentSum { preimage },
            RewardsError::FraudSumConsistent,
        );
        self.refused(
            key,
            (second, Some(first)),
            Evidence::Decrease,
            RewardsError::WrongProbe,
        );
        self.prove(
            key,
            (first, Some(second)),
            Evidence::Decrease,
            FraudKind::Decrease,
            label,
        );
    }

    /// Posts `posted` with the node at a level drawn from `level` on known leaf `index`'s path
    /// publishing a sum `delta` over or under its children's (within the posting checks), and
    /// proves it inconsistent. Returns whether it did (false if no lie fits the checks).
    #[allow(clippy::too_many_arguments)]
    fn sum(
        &mut self,
        epoch: u64,
        posted: &Shape,
        index: u64,
        level: u32,
        over: bool,
        delta: u64,
        labels: (&'static str, &'static str),
    ) -> bool {
        let honest = Built::new(posted, None);
        let levels = honest.preimage_levels(index);
        let level = levels[level as usize % levels.len()];
        let position = index >> level;
        let true_sum = honest.node(level, position).sum;
        let total = posted.total();
        let under_room = true_sum.min(total - self.final_shape.total());
        let over_room = self.root_budget(epoch) - total;
        let (over, delta) = match (over, delta.min(if over { over_room } else { under_room })) {
            (_, 0) if over_room > 0 => (true, delta.min(over_room)),
            (_, 0) => return false,
            (over, d) => (over, d),
        };
        let published = if over {
            true_sum + delta
        } else {
            true_sum - delta
        };
        let lying = Built::new(posted, Some((level, position, published)));
        assert_eq!(
            lying.root().sum,
            if over { total + delta } else { total - delta }
        );
        let key = self.vote_all(epoch, &lying);
        let probe = self.node_probe(key, &lying, index, level);
        let (preimage, wrong) = if level == 0 {
            let (wallet, amount) = posted.known[&index];
            (
                NodePreimage::Leaf { wallet, amount },
                NodePreimage::Leaf {
                    wallet,
                    amount: published,
                },
            )
        } else {
            let left = MerkleNode::from(honest.node(level - 1, 2 * position));
            let right = MerkleNode::from(honest.node(level - 1, 2 * position + 1));
            (
                NodePreimage::Children { left, right },
                NodePreimage::Children {
                    left: right,
                    right: left,
                },
            )
        };
        // A preimage that does not hash to the node, and a probe short of its leaf.
        self.refused(
            key,
            (probe, None),
            Evidence::InconsistentSum { preimage: wrong },
            RewardsError::FraudPreimageMismatch,
        );
        self.refused(
            key,
            (probe, Some(probe)),
            Evidence::Duplicate,
            RewardsError::ProbeNotAtLeaf,
        );
        let label = if level == 0 { labels.0 } else { labels.1 };
        self.prove(
            key,
            (probe, None),
            Evidence::InconsistentSum { preimage },
            FraudKind::InconsistentSum,
            label,
        );
        true
    }

    fn run(&mut self, step: &Step) {
        match step {
            Step::Wait(secs) => {
                let now = self.net.env.now();
                self.net.env.warp_to_timestamp(now + secs);
            }
            Step::Crank => {
                let result = self.net.crank();
                if result.is_err() {
                    let code = custom_error(&result, 0);
                    assert!(
                        code == u32::from(RewardsError::EpochNotStarted)
                            || code == u32::from(RewardsError::CircuitBreakerTripped),
                        "crank refused with {code}"
                    );
                }
            }
            Step::Post { adds, deepen } => {
                let Some(epoch) = self.next_epoch_ready() else {
                    return;
                };
                let budget = self.root_budget(epoch);
                let mut shape = self.final_shape.clone();
                if let Some(d) = deepen
                    && !shape.is_deep()
                {
                    let deep = shape.deepened(*d);
                    if deep.total() <= budget {
                        shape = deep;
                    }
                }
                let mut total = shape.total();
                for (wallet, add) in self.wallets.iter().zip(adds) {
                    let add = (*add).min(budget - total);
                    if add == 0 {
                        continue;
                    }
                    total += add;
                    match shape.index_of(wallet) {
                        Some(index) => *shape.amount_mut(index) += add,
                        None => shape.append(*wallet, add),
                    }
                }
                let built = Built::new(&shape, None);
                assert_eq!(built.root().sum, total);
                check_against_tree(&shape, &built);
                let key = self.vote_all(epoch, &built);
                self.posted = Some((key, shape));
            }
            Step::Decrease { pick, cut } => {
                let Some(epoch) = self.next_epoch_ready() else {
                    return;
                };
                let base = self.final_shape.clone();
                let indices = base.indices();
                let index = indices[pick % indices.len()];
                let (_, amount) = base.known[&index];
                let mut posted = base.clone();
                let label = match (cut, base.is_deep()) {
                    (Cut::Lower, _) => {
                        // The unit taken goes to another wallet: the total does not move, so only
                        // a fraud proof can catch it.
                        *posted.amount_mut(index) -= 1;
                        *posted.amount_mut(indices[(pick % indices.len() + 1) % indices.len()]) +=
                            1;
                        "decrease: lower"
                    }
                    (Cut::Replace, _) | (Cut::Drop, true) => {
                        posted.known.insert(index, (Pubkey::new_unique(), amount));
                        "decrease: replace"
                    }
                    (Cut::Drop, false) => {
                        let mut leaves: Vec<(Pubkey, u64)> = base.known.values().copied().collect();
                        leaves.remove(usize::try_from(index).unwrap());
                        // Without the wallet (its amount given to the last one, so that the
                        // total holds) the tree has a leaf less: refused outright.
                        let mut shrunk = leaves.clone();
                        shrunk.last_mut().unwrap().1 += amount;
                        let shrunk = Built::new(&Shape::full(&shrunk), None).root();
                        let args = VoteRootArgs {
                            epoch,
                            root: shrunk.hash,
                            total: shrunk.sum,
                            leaves: base.count - 1,
                            manifest_hash: [0x11; 32],
                        };
                        assert_custom_error(
                            &self.net.vote(0, &args),
                            0,
                            RewardsError::InvalidLeafCount.into(),
                        );
                        leaves.push((Pubkey::new_unique(), amount));
                        posted = Shape::full(&leaves);
                        "decrease: drop"
                    }
                };
                assert_eq!(posted.total(), base.total());
                self.decrease(epoch, &posted, index, label);
            }
            Step::Duplicate { pick, amount } => {
                let Some(epoch) = self.next_epoch_ready() else {
                    return;
                };
                let mut posted = self.final_shape.clone();
                let amount = (*amount).min(self.root_budget(epoch) - posted.total());
                let indices = posted.indices();
                let index = indices[pick % indices.len()];
                let (wallet, _) = posted.known[&index];
                let again = posted.count;
                posted.append(wallet, amount);
                let built = Built::new(&posted, None);
                let key = self.vote_all(epoch, &built);
                let first =
                    self.leaf_probe(key, ProbeSide::Posted, &built, index, posted.known[&index]);
                let second =
                    self.leaf_probe(key, ProbeSide::Posted, &built, again, (wallet, amount));
                // One leaf twice is no duplicate.
                self.refused(
                    key,
                    (first, Some(first)),
                    Evidence::Duplicate,
                    RewardsError::FraudNotDuplicate,
                );
                self.prove(
                    key,
                    (first, Some(second)),
                    Evidence::Duplicate,
                    FraudKind::Duplicate,
                    "duplicate",
                );
            }
            Step::Sum {
                pick,
                level,
                over,
                delta,
                extra,
            } => {
                let Some(epoch) = self.next_epoch_ready() else {
                    return;
                };
                // An understated sum must leave the total at least the final total: the lie
                // takes at most what `extra` added.
                let mut posted = self.final_shape.clone();
                let extra = (*extra).min(self.root_budget(epoch) - posted.total());
                *posted.amount_mut(0) += extra;
                let indices = posted.indices();
                let index = indices[pick % indices.len()];
                self.sum(
                    epoch,
                    &posted,
                    index,
                    *level,
                    *over,
                    *delta,
                    ("sum: leaf", "sum: node"),
                );
            }
            Step::Deep { kind, deepen } => {
                let Some(epoch) = self.next_epoch_ready() else {
                    return;
                };
                let base = self.final_shape.clone();
                let deep = if base.is_deep() {
                    base.clone()
                } else {
                    base.deepened(*deepen)
                };
                if deep.total() > self.root_budget(epoch) {
                    return;
                }
                let stranger = deep.stranger.expect("a deep tree has a stranger");
                match *kind {
                    DeepKind::Decrease { replace } => {
                        // In a deep base the stranger's leaf, else a wallet's: either way the
                        // posted probe walks 20 levels.
                        let (index, label) = if base.is_deep() {
                            (stranger, "deep decrease: deep base")
                        } else {
                            (deepen.at % base.count, "deep decrease: shallow base")
                        };
                        let mut posted = deep.clone();
                        let (_, amount) = posted.known[&index];
                        if replace {
                            posted.known.insert(index, (Pubkey::new_unique(), amount));
                        } else {
                            *posted.amount_mut(index) -= 1;
                            let other = if index == 0 { 1 } else { 0 };
                            *posted.amount_mut(other) += 1;
                        }
                        self.decrease(epoch, &posted, index, label);
                    }
                    DeepKind::LeafSum { over, delta } => {
                        self.sum(
                            epoch,
                            &deep,
                            stranger,
                            0,
                            over,
                            delta,
                            ("deep sum: leaf", "deep sum: node"),
                        );
                    }
                    DeepKind::NodeSum { level, over, delta } => {
                        // Drawn among the stranger's preimage levels above the leaf.
                        let levels = Built::new(&deep, None).preimage_levels(stranger);
                        let above = u32::try_from(levels.len() - 1).unwrap();
                        self.sum(
                            epoch,
                            &deep,
                            stranger,
                            1 + level % above,
                            over,
                            delta,
                            ("deep sum: leaf", "deep sum: node"),
                        );
                    }
                }
            }
            Step::Demand { pick, answer } => self.demand(*pick, *answer),
            Step::Finalize => {
                let Some((key, shape)) = self.posted.clone() else {
                    return;
                };
                let ends = self.net.proposal(&key).dispute_ends;
                if self.net.env.now() < ends {
                    self.net.env.warp_to_timestamp(ends);
                }
                expect_ok(self.net.finalize(key));
                self.final_shape = shape;
                self.posted = None;
            }
            Step::Claim(i) => {
                let wallet = self.wallets[*i];
                let Some((cumulative, proof)) = self.proof_of(&wallet) else {
                    return;
                };
                let sender: Keypair = self.net.env.funded_keypair();
                let ix = claim(
                    claim_accounts(
                        sender.pubkey(),
                        wallet,
                        self.accounts[*i],
                        TokenProgram::SplToken,
                    ),
                    ClaimArgs {
                        cumulative_amount: cumulative,
                        proof,
                    },
                );
                let result = self.send_v0(ix, &sender);
                self.record_payment(wallet, cumulative, result);
            }
            Step::ClaimToPosition(i) => {
                let wallet = self.wallets[*i];
                let Some((cumulative, proof)) = self.proof_of(&wallet) else {
                    return;
                };
                let key = self.keys[*i].insecure_clone();
                let ix = claim_to_position(
                    claim_to_position_accounts(wallet, self.positions[*i], TokenProgram::SplToken),
                    ClaimArgs {
                        cumulative_amount: cumulative,
                        proof,
                    },
                );
                let result = self.send_v0(ix, &key);
                self.record_payment(wallet, cumulative, result);
            }
        }
    }

    /// A demand on the posted root's known leaf drawn from `pick`, answered or not.
    fn demand(&mut self, pick: usize, answer: bool) {
        let Some((proposal, shape)) = self.posted.clone() else {
            return;
        };
        let indices = shape.indices();
        let index = indices[pick % indices.len()];
        let key = probe_pda(&proposal, ProbeSide::Posted, index).0;
        let p = self.net.proposal(&proposal);
        let now = self.net.env.now();
        if now >= p.dispute_ends || self.net.env.account(&key).is_some() {
            return; // past the window, or this leaf was demanded already
        }
        // The watcher knows nothing of the tree: it opens the probe at the root and demands it.
        let open = open_probe_at_root(&p, index).unwrap();
        let watcher = self.watcher.insecure_clone();
        let ixs = [
            open_probe_ix(watcher.pubkey(), proposal, open),
            demand_probe_ix(watcher.pubkey(), proposal, key, DEMAND_DEPOSIT),
        ];
        let result = self.net.env.send_fresh(&ixs, &[&watcher]);
        let deadline = now + DISPUTE_SECS / 3;
        if deadline + DISPUTE_SECS / 3 > p.dispute_ends {
            // Demands are taken in the first third of the window only.
            assert_custom_error(&result, 1, RewardsError::CannotDemand.into());
            return;
        }
        expect_ok(result);
        let probe: Probe = self.net.env.anchor_account(&key);
        assert_eq!(
            probe.demand,
            Some(Demand {
                demander: watcher.pubkey(),
                deadline,
                deposit: DEMAND_DEPOSIT,
            })
        );
        assert_eq!(self.net.proposal(&proposal).open_demands, 1);
        if answer {
            // Anyone holding the tree walks the probe from the root to the leaf (the open step
            // too, as an extension) and takes the deposit.
            let built = Built::new(&shape, None);
            let path = built.path(index, 0, built.height);
            let leaf = shape.known[&index];
            let (open, extends) = probe_steps_on_path(
                ProbeSide::Posted,
                index,
                built.count,
                (leaf.0.to_bytes(), leaf.1),
                &path,
                MAX_PROBE_STEP,
            )
            .unwrap();
            let first = ExtendProbeArgs {
                target: open.target,
                path: open.path,
            };
            let answerer = self.net.env.funded_keypair();
            let before = self.net.env.account(&answerer.pubkey()).unwrap().lamports;
            for args in std::iter::once(first).chain(extends) {
                let ix = extend_probe_ix(answerer.pubkey(), proposal, key, args);
                expect_ok(self.net.env.send_fresh(&[ix], &[&answerer]));
            }
            let after = self.net.env.account(&answerer.pubkey()).unwrap().lamports;
            assert_eq!(after, before + DEMAND_DEPOSIT);
            let probe: Probe = self.net.env.anchor_account(&key);
            assert_eq!(
                (probe.demand, probe.leaf),
                (
                    None,
                    Some(ProvenLeaf {
                        wallet: leaf.0,
                        amount: leaf.1
                    })
                )
            );
            assert_eq!(self.net.proposal(&proposal).open_demands, 0);
            return;
        }
        // Withheld: the demand expires at its deadline, not before.
        self.net.env.warp_to_timestamp(deadline - 1);
        self.refused(
            proposal,
            (key, None),
            Evidence::Unanswered,
            RewardsError::DemandNotExpired,
        );
        self.net.env.warp_to_timestamp(deadline);
        self.posted = None;
        self.prove(
            proposal,
            (key, None),
            Evidence::Unanswered,
            FraudKind::Unanswered,
            "unanswered",
        );
    }

    /// `wallet`'s cumulative amount in the final tree and its proof, if it is in it.
    fn proof_of(&self, wallet: &Pubkey) -> Option<(u64, Vec<ProofNode>)> {
        let index = self.final_shape.index_of(wallet)?;
        let built = Built::new(&self.final_shape, None);
        Some((self.final_shape.known[&index].1, built.proof(index)))
    }

    /// Sends `ix` in a v0 transaction through the lookup table, paid and signed by `signer`
    /// alone, within the packet limit (a 20-level proof fits no legacy transaction).
    fn send_v0(&mut self, ix: Instruction, signer: &Keypair) -> TransactionResult {
        self.net.env.svm.expire_blockhash();
        let tables = std::slice::from_ref(&self.table);
        let tx = self
            .net
            .env
            .transaction_v0_paid_by(signer, &[ix], &[], tables);
        let size = wire_size(&tx);
        assert!(size <= PACKET_DATA_SIZE, "{size} bytes");
        self.net.env.svm.send_transaction(tx)
    }

    /// Checks a claim's result against the model: refused if the wallet was already paid
    /// `cumulative`, else paid up to it.
    fn record_payment(&mut self, wallet: Pubkey, cumulative: u64, result: TransactionResult) {
        let paid = self.paid.entry(wallet).or_insert(0);
        if *paid == cumulative {
            assert_custom_error(&result, 0, RewardsError::NothingToClaim.into());
        } else {
            expect_ok(result);
            *paid = cumulative;
        }
    }

    fn check(&self) {
        let network = self.net.network();
        let root = Built::new(&self.final_shape, None).root();
        assert_eq!(
            (
                network.final_root.root,
                network.final_root.total,
                network.final_root.leaves
            ),
            (root.hash, self.final_shape.total(), self.final_shape.count)
        );
        let supply = self.net.supply();
        assert_eq!(supply, network.total_minted - network.total_burned);
        assert_eq!(
            self.net.vault_balance(),
            network.cumulative_budget - network.total_claimed
        );
        assert!(network.total_claimed <= network.final_root.total);
        assert!(network.final_root.total <= network.cumulative_budget);
        assert!(network.cumulative_budget <= network.max_supply);
        let mut claimed = 0;
        let mut deposited = 0;
        for (i, (w, account)) in self.wallets.iter().zip(&self.accounts).enumerate() {
            let staked = self
                .positions
                .get(i)
                .map_or(0, |p| self.net.position(p).deposited);
            deposited += staked;
            let balance = read_token_account(&self.net.env, account).1.amount + staked;
            let record = self.net.env.account(&claim_record_pda(w).0).map_or(0, |_| {
                self.net
                    .env
                    .anchor_account::<ClaimRecord>(&claim_record_pda(w).0)
                    .claimed
            });
            assert_eq!(
                balance, record,
                "wallet balance plus position deposits equal its claim record"
            );
            assert_eq!(balance, self.paid.get(w).copied().unwrap_or(0));
            let amount = self
                .final_shape
                .index_of(w)
                .map_or(0, |i| self.final_shape.known[&i].1);
            assert!(record <= amount);
            claimed += record;
        }
        assert_eq!(claimed, network.total_claimed);
        let staking_vault = read_token_account(&self.net.env, &staking_ix::vault_pda().0)
            .1
            .amount;
        assert_eq!(staking_vault, deposited);
        assert_eq!(self.net.staking_config().total_locked, deposited);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_over_random_sequences(steps in prop::collection::vec(step(), 1..40)) {
        let mut world = World::new();
        world.check();
        for s in &steps {
            world.run(s);
            world.check();
        }
    }
}

/// One fixed sequence that proves every kind of fraud (the random sequences may miss some), on
/// shallow and deep trees, with claims against a deep final root and answered demands in
/// between.
#[test]
fn every_kind_of_fraud_is_proven() {
    let d = Deepen {
        below: 1_000,
        at: 77_777,
        salt: 42,
    };
    let next_epoch = [Step::Crank, Step::Wait(DAY)];
    let sum = |pick, level, over| Step::Sum {
        pick,
        level,
        over,
        delta: 7,
        extra: 1_000,
    };
    let mut steps: Vec<Step> = next_epoch.to_vec();
    steps.extend([
        Step::Decrease {
            pick: 1,
            cut: Cut::Lower,
        },
        Step::Decrease {
            pick: 2,
            cut: Cut::Replace,
        },
        Step::Decrease {
            pick: 1,
            cut: Cut::Drop,
        },
        Step::Duplicate { pick: 3, amount: 5 },
        sum(0, 0, false),
        sum(2, 1, true),
        Step::Deep {
            kind: DeepKind::Decrease { replace: false },
            deepen: d,
        },
        Step::Deep {
            kind: DeepKind::LeafSum {
                over: false,
                delta: 3,
            },
            deepen: d,
        },
        // The tree grows deep, and a late wallet is appended after the stranger's filler.
        Step::Post {
            adds: [10, 20, 0, 0, 5, 0],
            deepen: Some(d),
        },
        // A demand on the stranger's leaf, answered from 20 levels up; then one too late.
        Step::Demand {
            pick: 4,
            answer: true,
        },
        Step::Wait(3 * 3_600),
        Step::Demand {
            pick: 1,
            answer: false,
        },
        Step::Finalize,
        Step::Claim(0),
        Step::ClaimToPosition(1),
        Step::Claim(4),
    ]);
    steps.extend(next_epoch.clone());
    steps.extend([
        Step::Deep {
            kind: DeepKind::Decrease { replace: true },
            deepen: d,
        },
        Step::Deep {
            kind: DeepKind::Decrease { replace: false },
            deepen: d,
        },
        Step::Deep {
            kind: DeepKind::NodeSum {
                level: 2,
                over: true,
                delta: 9,
            },
            deepen: d,
        },
        Step::Deep {
            kind: DeepKind::NodeSum {
                level: 18,
                over: false,
                delta: 9,
            },
            deepen: d,
        },
        Step::Duplicate { pick: 5, amount: 1 },
        Step::Decrease {
            pick: 4,
            cut: Cut::Drop,
        },
        sum(1, 0, true),
        // The oracles withhold the tree: the demanded leaf is never shown.
        Step::Post {
            adds: [1, 0, 3, 0, 0, 8],
            deepen: None,
        },
        Step::Demand {
            pick: 0,
            answer: false,
        },
        Step::Post {
            adds: [1, 0, 3, 0, 0, 8],
            deepen: None,
        },
        Step::Demand {
            pick: 6,
            answer: true,
        },
        Step::Finalize,
        Step::Claim(5),
        Step::ClaimToPosition(2),
        Step::Claim(0),
    ]);
    let mut world = World::new();
    world.check();
    for s in &steps {
        world.run(s);
        world.check();
    }
    assert!(world.final_shape.is_deep());
    assert_eq!(world.final_shape.known.len(), 7);
    let expected: BTreeSet<&str> = [
        "decrease: lower",
        "decrease: replace",
        "decrease: drop",
        "duplicate",
        "sum: leaf",
        "sum: node",
        "deep decrease: shallow base",
        "deep decrease: deep base",
        "deep sum: leaf",
        "deep sum: node",
        "unanswered",
    ]
    .into_iter()
    .collect();
    assert_eq!(world.proven, expected);
}
