//! Fraud proofs over real JSON-RPC, on the in-process validator, at a million wallets; and the
//! owners' claim at the same depth, through the network's lookup table (the last test).
//!
//! LiteSVM (the program tests) does not enforce the 1,232-byte packet limit; the validator's
//! `sendTransaction` does. Here every piece of evidence is sent as its own v0 transaction (a
//! compute-budget instruction, no lookup table), its wire size checked against the limit, and it
//! lands over JSON-RPC: for each evidence kind, on a tree of depth 20 (2^20 leaves) built by
//! construction along the paths the proof needs. Then the root is void and each voter's bond is
//! taken to the lamport: 40 % to the challenger (net of the fees its transactions paid, read
//! from their metas), 60 % to the incinerator (which the bank burns at the end of the slot).
//! A transaction over the limit is refused by the validator before it runs.
//!
//! Each test starts its own validator and network (a proven fraud slashes a majority of the set,
//! after which nothing posts until a rotation, an hour's timelock away). The network's epoch 0
//! started two epochs before its creation, so epochs 0 and 1 have already ended: the only waits
//! are the dispute window (20 s, before a base root is final) and a demand's deadline (a third
//! of that). The tests take a lock so that one validator runs at a time: every window is timed
//! by the cluster's clock, and two cores are shared.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anchor_lang::{AccountDeserialize, Owner};
use depin_client::accounts::fetch;
use depin_client::builders::rewards_ix::{
    self, Evidence, ExtendProbeArgs, InitialOracleSet, InitializeNetworkArgs, MerkleNode,
    NodePreimage, OpenProbeArgs, ProbeSide, ProbeTarget, VoteRootArgs,
};
use depin_client::builders::{DeploymentKeys, Instruction, TokenProgram};
use depin_client::sender::{PACKET_DATA_SIZE, wire_size};
use depin_client::solana_client::client_error::{ClientError, ClientErrorKind};
use depin_client::solana_client::rpc_config::{RpcTransactionConfig, UiTransactionEncoding};
use depin_client::solana_client::rpc_request::RpcError;
use depin_client::solana_commitment_config::CommitmentConfig;
use depin_client::solana_keypair::Keypair;
use depin_client::solana_pubkey::Pubkey;
use depin_client::solana_signature::Signature;
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, SendError, Sender};
use depin_localnet::{Localnet, LocalnetConfig, deployer};
use merkle_sum::Node;
use rewards::constants::{DEMAND_DEPOSIT, INCINERATOR, MAX_PROBE_STEP};
use rewards::error::RewardsError;
use rewards::state::{
    Demand, Network, OracleBond, OracleSet, Probe, ProposalStatus, ProvenLeaf, RootProposal,
};
use solana_message::{VersionedMessage, v0};
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::{InstructionError, Transaction, TransactionError};

/// The compute-unit limit every transaction here requests (the program tests' choice).
const CU_LIMIT: u32 = 400_000;
/// A million wallets: 2^20 leaves, 20 siblings on every path.
const DEPTH: u32 = 20;
const COUNT: u64 = 1 << DEPTH;

const MAX_SUPPLY: u64 = 10_000_000_000_000_000;
/// max_supply / 4 / 730.
const EPOCH_EMISSION: u64 = 3_424_657_534_246;
const EPOCH_SECS: u64 = 60;
/// Long enough for a probe pair and a proof (five transactions) to land; at most half an epoch.
const DISPUTE_SECS: u64 = 20;
/// Lamports each oracle bonds.
const BOND: u64 = 1_000_000_000;
const CHALLENGER_BPS: u16 = 4_000;
/// Two voters slashed: 40 % of their two bonds to the challenger, 60 % burned.
const SLASHED: u64 = 2 * BOND;
const REWARD: u64 = 800_000_000;
const BURNED: u64 = 1_200_000_000;
const _: () = assert!(REWARD * 10_000 == SLASHED * 4_000 && REWARD + BURNED == SLASHED);
/// What the challenger starts with.
const CHALLENGER_LAMPORTS: u64 = 1_000_000_000;

/// One validator at a time (see the module docs).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn workspace_root() -> PathBuf {
    depin_localnet::workspace_root().expect("no Anchor.toml above CARGO_MANIFEST_DIR")
}

// --------------------------------------------------------------------------------------------
// Transactions and their metas

/// A landed transaction, with what its meta (over `getTransaction`) says.
struct Sent {
    signature: Signature,
    bytes: usize,
    compute_units: u64,
    fee: u64,
    block_time: i64,
    keys: Vec<Pubkey>,
    pre: Vec<u64>,
    post: Vec<u64>,
}

impl Sent {
    /// How the transaction changed `key`'s lamports (fees included).
    fn delta(&self, key: &Pubkey) -> i128 {
        let i = self
            .keys
            .iter()
            .position(|k| k == key)
            .unwrap_or_else(|| panic!("{key} is not an account of {}", self.signature));
        i128::from(self.post[i]) - i128::from(self.pre[i])
    }
}

/// The evidence transactions of one test: what, wire bytes, compute units, fee.
#[derive(Default)]
struct Table {
    rows: Vec<(String, usize, u64, u64)>,
}

impl Table {
    fn push(&mut self, what: &str, sent: &Sent) {
        self.rows
            .push((what.to_string(), sent.bytes, sent.compute_units, sent.fee));
    }

    fn print(&self, title: &str) {
        let mut out = format!(
            "\n{title}\n  {:<58} {:>6} {:>8} {:>7}\n",
            "transaction (v0, compute budget + instruction)", "bytes", "CU", "fee"
        );
        for (what, bytes, cu, fee) in &self.rows {
            writeln!(out, "  {what:<58} {bytes:>6} {cu:>8} {fee:>7}").unwrap();
        }
        eprintln!("{out}");
    }
}

/// The code and message of a JSON-RPC error response.
fn rpc_refusal(e: &ClientError) -> (i64, String) {
    match e.kind() {
        ClientErrorKind::RpcError(RpcError::RpcResponseError { code, message, .. }) => {
            (*code, message.clone())
        }
        other => panic!("expected a JSON-RPC error response, got {other:?}"),
    }
}

/// JSON-RPC "invalid params": what `sendTransaction` answers to a transaction it cannot decode.
const INVALID_PARAMS: i64 = -32_602;

// --------------------------------------------------------------------------------------------
// The chain

struct Chain {
    net: Localnet,
    _dir: tempfile::TempDir,
    sender: Sender,
    deployer: Keypair,
    oracles: [Keypair; 3],
    started: Instant,
}

impl Chain {
    /// A validator with the programs, a network whose epochs 0 and 1 have ended and are minted,
    /// and three oracles (threshold two) each bonded `BOND`.
    async fn start() -> Self {
        let started = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let net = Localnet::start(LocalnetConfig::for_tests(
            dir.path().join("ledger"),
            workspace_root().join("target/deploy"),
        ))
        .await
        .unwrap();
        let sender = Sender::new(
            net.rpc_url(),
            SendConfig {
                cu_limit: Some(CU_LIMIT),
                ..SendConfig::default()
            },
        );
        let chain = Self {
            net,
            _dir: dir,
            sender,
            deployer: deployer(),
            oracles: [Keypair::new(), Keypair::new(), Keypair::new()],
            started,
        };
        chain.initialize().await;
        chain
    }

    async fn initialize(&self) {
        let deployer = &self.deployer;
        let now = self.now().await;
        let epoch_secs = i64::try_from(EPOCH_SECS).unwrap();
        let args = InitializeNetworkArgs {
            authority: deployer.pubkey(),
            decimals: 6,
            max_supply: MAX_SUPPLY,
            genesis_supply: 0,
            emission: rewards_ix::EmissionParams {
                // Epochs 0 and 1 ended as the network was created.
                start_ts: now - 2 * epoch_secs,
                epoch_secs: EPOCH_SECS,
                initial_epoch_emission: EPOCH_EMISSION,
                halving_interval_epochs: 730,
            },
            mint_window_secs: EPOCH_SECS,
            // Both epochs are minted at once.
            mint_window_threshold: 3 * EPOCH_EMISSION,
            dispute_secs: DISPUTE_SECS,
            onboard_fee: 0,
            location_fee: 0,
            timelock_secs: 3_600,
            input_secs: EPOCH_SECS / 4,
            oracle_set: Some(InitialOracleSet {
                oracles: self.oracles.iter().map(Signer::pubkey).collect(),
                threshold: 2,
                bond: BOND,
                challenger_bps: CHALLENGER_BPS,
            }),
        };
        let keys = DeploymentKeys {
            payer: deployer.pubkey(),
            deployer: deployer.pubkey(),
        };
        let init = rewards_ix::initialize_network(
            rewards_ix::initialize_network_accounts(&keys, TokenProgram::SplToken, keys.payer),
            args,
        );
        self.send("initialize_network", &[init], deployer, &[])
            .await;
        let fund: Vec<Instruction> = self
            .oracles
            .iter()
            .map(|o| {
                anchor_lang::solana_program::system_instruction::transfer(
                    &deployer.pubkey(),
                    &o.pubkey(),
                    2 * BOND,
                )
            })
            .collect();
        self.send("fund the oracles", &fund, deployer, &[]).await;
        for o in &self.oracles {
            let bond = rewards_ix::post_bond(rewards_ix::post_bond_accounts(o.pubkey()), BOND);
            self.send("post_bond", &[bond], o, &[]).await;
        }
        let crank =
            || rewards_ix::crank_epoch(rewards_ix::crank_epoch_accounts(TokenProgram::SplToken));
        self.send("crank epochs 0 and 1", &[crank(), crank()], deployer, &[])
            .await;
        let network = self.network().await;
        assert_eq!(network.epochs_minted, 2);
        assert_eq!(network.cumulative_budget, 2 * EPOCH_EMISSION);
        let set = self.oracle_set().await;
        assert_eq!((set.count, set.threshold, set.bond), (3, 2, BOND));
        for o in &self.oracles {
            assert_eq!(self.bond(&o.pubkey()).await.amount, BOND);
        }
    }

    fn rpc(&self) -> &depin_client::solana_client::nonblocking::rpc_client::RpcClient {
        self.sender.rpc()
    }

    /// The cluster's clock (what the program compares with its windows).
    async fn now(&self) -> i64 {
        depin_client::accounts::cluster_time(&self.sender)
            .await
            .unwrap()
    }

    async fn wait_until(&self, unix: i64) {
        while self.now().await < unix {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn balance(&self, key: &Pubkey) -> u64 {
        self.rpc().get_balance(key).await.unwrap()
    }

    async fn rent(&self, size: usize) -> u64 {
        self.rpc()
            .get_minimum_balance_for_rent_exemption(size)
            .await
            .unwrap()
    }

    async fn account<T: AccountDeserialize + Owner>(&self, what: &'static str, key: &Pubkey) -> T {
        fetch::<T>(&self.sender, what, key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{what} {key} does not exist"))
    }

    async fn network(&self) -> Network {
        self.account("network", &rewards_ix::network_pda().0).await
    }

    async fn oracle_set(&self) -> OracleSet {
        self.account("oracle set", &rewards_ix::oracle_set_pda().0)
            .await
    }

    async fn bond(&self, oracle: &Pubkey) -> OracleBond {
        self.account("bond", &rewards_ix::bond_pda(oracle).0).await
    }

    async fn proposal(&self, key: &Pubkey) -> RootProposal {
        self.account("proposal", key).await
    }

    async fn probe(&self, key: &Pubkey) -> Probe {
        self.account("probe", key).await
    }

    /// `ixs` behind the sender's compute-budget instruction, as a signed v0 transaction (no
    /// lookup table) paid by `payer`.
    async fn v0(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> VersionedTransaction {
        let ixs = self.sender.with_budget(ixs);
        let blockhash = self.rpc().get_latest_blockhash().await.unwrap();
        let message = v0::Message::try_compile(&payer.pubkey(), &ixs, &[], blockhash).unwrap();
        let mut all: Vec<&Keypair> = vec![payer];
        all.extend(signers.iter().filter(|s| s.pubkey() != payer.pubkey()));
        VersionedTransaction::try_new(VersionedMessage::V0(message), &all).unwrap()
    }

    /// Sends `ixs` as one v0 transaction, which must fit the packet and land; returns its meta.
    async fn send(
        &self,
        what: &str,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Sent {
        let tx = self.v0(ixs, payer, signers).await;
        let bytes = wire_size(&tx);
        assert!(
            bytes <= PACKET_DATA_SIZE,
            "{what}: {bytes} bytes exceed the {PACKET_DATA_SIZE}-byte packet"
        );
        let signature = self
            .rpc()
            .send_and_confirm_transaction(&tx)
            .await
            .unwrap_or_else(|e| panic!("{what} did not land: {e}"));
        self.meta(what, signature, bytes, &tx).await
    }

    /// `getTransaction` for a confirmed signature (it may be null for a moment: retried).
    async fn meta(
        &self,
        what: &str,
        signature: Signature,
        bytes: usize,
        tx: &VersionedTransaction,
    ) -> Sent {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        for _ in 0..100 {
            if let Ok(t) = self
                .rpc()
                .get_transaction_with_config(&signature, config)
                .await
            {
                let meta = t.transaction.meta.expect("transaction meta");
                assert_eq!(meta.err, None, "{what} ({signature}) failed on-chain");
                let compute_units: Option<u64> = meta.compute_units_consumed.into();
                return Sent {
                    signature,
                    bytes,
                    compute_units: compute_units.expect("compute units consumed"),
                    fee: meta.fee,
                    block_time: t.block_time.expect("block time"),
                    keys: tx.message.static_account_keys().to_vec(),
                    pre: meta.pre_balances,
                    post: meta.post_balances,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("getTransaction {signature} ({what}) never answered");
    }

    /// A transaction the sender landed, as `getTransaction` returns it: its row in `table`
    /// (wire size from its bytes, compute units, fee); returns the wire size.
    async fn landed(&self, table: &mut Table, what: &str, signature: &Signature) -> usize {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        let t = self
            .rpc()
            .get_transaction_with_config(signature, config)
            .await
            .unwrap();
        let tx = t
            .transaction
            .transaction
            .decode()
            .expect("base64 transaction");
        let meta = t.transaction.meta.expect("transaction meta");
        let units: Option<u64> = meta.compute_units_consumed.into();
        let bytes = wire_size(&tx);
        table
            .rows
            .push((what.to_string(), bytes, units.unwrap(), meta.fee));
        bytes
    }

    /// A funded keypair (a system transfer from the deployer).
    async fn funded(&self, lamports: u64) -> Keypair {
        let key = Keypair::new();
        let ix = anchor_lang::solana_program::system_instruction::transfer(
            &self.deployer.pubkey(),
            &key.pubkey(),
            lamports,
        );
        self.send("fund", &[ix], &self.deployer, &[]).await;
        assert_eq!(self.balance(&key.pubkey()).await, lamports);
        key
    }

    /// Oracles 0 and 1 vote `args` under the current set and round, which posts it.
    async fn post(&self, args: &VoteRootArgs) -> Pubkey {
        let version = self.oracle_set().await.set_version;
        let round = self.network().await.voided_roots;
        for o in &self.oracles[..2] {
            let ix = rewards_ix::vote_root(
                rewards_ix::vote_root_accounts_in(o.pubkey(), version, round, args),
                args.clone(),
            );
            self.send("vote_root", &[ix], o, &[]).await;
        }
        let key = rewards_ix::proposal_pda(version, round, args).0;
        let p = self.proposal(&key).await;
        assert_eq!((p.status, p.votes), (ProposalStatus::Posted, 0b011));
        assert_eq!(p.leaves, COUNT);
        key
    }

    /// Waits out the proposal's dispute window and finalizes it.
    async fn finalize(&self, key: &Pubkey) {
        let ends = self.proposal(key).await.dispute_ends;
        self.wait_until(ends).await;
        let ix = rewards_ix::finalize_root(rewards_ix::finalize_root_accounts(*key));
        self.send("finalize_root", &[ix], &self.deployer, &[]).await;
        assert_eq!(self.proposal(key).await.status, ProposalStatus::Final);
    }

    /// Sends a probe's steps, each its own transaction signed and paid by `challenger`; returns
    /// the probe.
    async fn walk(
        &self,
        table: &mut Table,
        label: &str,
        challenger: &Keypair,
        proposal: Pubkey,
        (open, extends): (OpenProbeArgs, Vec<ExtendProbeArgs>),
    ) -> Pubkey {
        let key = rewards_ix::probe_pda(&proposal, open.side, open.index).0;
        let what = format!("{label}: open_probe ({} siblings)", open.path.len());
        let ix = rewards_ix::open_probe_ix(challenger.pubkey(), proposal, open);
        table.push(&what, &self.send(&what, &[ix], challenger, &[]).await);
        for args in extends {
            let what = format!("{label}: extend_probe ({} siblings)", args.path.len());
            let ix = rewards_ix::extend_probe_ix(challenger.pubkey(), proposal, key, args);
            table.push(&what, &self.send(&what, &[ix], challenger, &[]).await);
        }
        key
    }

    /// `prove_fraud` from `challenger` with the bonds of every recorded voter.
    async fn prove(
        &self,
        table: &mut Table,
        what: &str,
        challenger: &Keypair,
        proposal: Pubkey,
        probes: (Pubkey, Option<Pubkey>),
        evidence: Evidence,
    ) -> Sent {
        let voters = rewards_ix::proposal_voters(&self.proposal(&proposal).await);
        assert_eq!(
            voters,
            vec![self.oracles[0].pubkey(), self.oracles[1].pubkey()],
            "the recorded voters, in seat order"
        );
        let ix =
            rewards_ix::prove_fraud_ix(challenger.pubkey(), proposal, probes, evidence, &voters);
        let sent = self.send(what, &[ix], challenger, &[]).await;
        table.push(what, &sent);
        sent
    }

    /// After `proof`: the proposal is void, oracles 0 and 1 hold their bond records at rent
    /// exactly, oracle 2 keeps its bond, the challenger received 40 % of the two bonds and the
    /// incinerator 60 % (burned with the slot). `challenger_before_reward` is the challenger's
    /// expected balance had it received nothing: its start, less every fee and rent it paid.
    async fn assert_voided_and_slashed(
        &self,
        proposal: &Pubkey,
        proof: &Sent,
        challenger: &Pubkey,
        challenger_before_reward: u64,
    ) {
        let p = self.proposal(proposal).await;
        assert_eq!(p.status, ProposalStatus::Voided, "the proposal is void");
        let bond_rent = self.rent(OracleBond::SIZE).await;
        for (i, o) in self.oracles.iter().enumerate() {
            let key = rewards_ix::bond_pda(&o.pubkey()).0;
            let (amount, lamports) = if i < 2 {
                (0, bond_rent)
            } else {
                (BOND, bond_rent + BOND)
            };
            assert_eq!(
                self.bond(&o.pubkey()).await.amount,
                amount,
                "oracle {i}'s bond amount"
            );
            assert_eq!(
                self.balance(&key).await,
                lamports,
                "oracle {i}'s bond record lamports (rent {bond_rent})"
            );
            if i < 2 {
                assert_eq!(
                    proof.delta(&key),
                    -i128::from(BOND),
                    "oracle {i}'s bond record in the proof's meta"
                );
            }
        }
        assert_eq!(
            self.oracle_set().await.slashed,
            0b011,
            "voters 0 and 1 barred"
        );
        assert_eq!(self.network().await.voided_roots, 1, "a new voting round");
        assert_eq!(
            self.balance(challenger).await,
            challenger_before_reward + REWARD,
            "challenger: its start less fees and rent, plus {CHALLENGER_BPS} bps of {SLASHED}"
        );
        assert_eq!(
            proof.delta(challenger),
            i128::from(REWARD) - i128::from(proof.fee),
            "challenger in the proof's meta: the reward less the proof's fee"
        );
        assert_eq!(
            proof.delta(&INCINERATOR),
            i128::from(BURNED),
            "incinerator in the proof's meta"
        );
        assert_eq!(
            self.balance(&INCINERATOR).await,
            0,
            "the bank burns the incinerator's lamports at the end of the slot"
        );
    }

    async fn shutdown(self, table: &Table, title: &str) {
        table.print(title);
        eprintln!(
            "{title}: {:.1?} in all (validator up in {:.1?})",
            self.started.elapsed(),
            self.net.startup_time()
        );
        self.net.shutdown().await;
    }
}

// --------------------------------------------------------------------------------------------
// Trees of depth 20, built by construction

/// A node that stands for a whole subtree nobody holds: any hash, any sum.
fn filler(tag: u8, level: u32, sum: u64) -> Node {
    Node {
        hash: [tag ^ u8::try_from(level).unwrap(); 32],
        sum,
    }
}

/// A tree of 2^20 leaves known only along leaf `index`'s path: its leaf and 20 siblings.
struct Sparse {
    index: u64,
    leaf: (Pubkey, u64),
    path: Vec<Node>,
}

impl Sparse {
    fn root(&self) -> Node {
        let leaf = merkle_sum::leaf(&self.leaf.0.to_bytes(), self.leaf.1);
        merkle_sum::fold_at(leaf, self.index, COUNT, 0, DEPTH, self.path.iter().copied()).unwrap()
    }

    /// The claim's proof of the leaf: its 20 siblings, bottom first, each marked left when the
    /// path comes from the right.
    fn proof(&self) -> Vec<rewards_ix::ProofNode> {
        (0..DEPTH)
            .zip(&self.path)
            .map(|(level, n)| rewards_ix::ProofNode {
                hash: n.hash,
                sum: n.sum,
                is_left: (self.index >> level) & 1 == 1,
            })
            .collect()
    }

    /// The probe's steps from the root to the leaf (`probe_steps_on_path`, 16 siblings a step).
    fn steps(&self, side: ProbeSide) -> (OpenProbeArgs, Vec<ExtendProbeArgs>) {
        self.steps_of(side, MAX_PROBE_STEP)
    }

    fn steps_of(&self, side: ProbeSide, step: usize) -> (OpenProbeArgs, Vec<ExtendProbeArgs>) {
        rewards_ix::probe_steps_on_path(
            side,
            self.index,
            COUNT,
            (self.leaf.0.to_bytes(), self.leaf.1),
            &self.path,
            step,
        )
        .unwrap()
    }
}

/// The steps from the root of a 2^20-leaf tree down to `node` at `level` on leaf `index`'s path
/// (`above`: its siblings from `level` up, bottom first), at most `MAX_PROBE_STEP` siblings a
/// step: for a node no leaf preimage leads to (a lying sum).
fn steps_to_node(
    side: ProbeSide,
    index: u64,
    level: u32,
    node: Node,
    above: &[Node],
) -> (OpenProbeArgs, Vec<ExtendProbeArgs>) {
    assert_eq!(above.len(), usize::try_from(DEPTH - level).unwrap());
    let mut nodes = vec![node]; // nodes[l - level]
    for (l, sibling) in (level..DEPTH).zip(above) {
        let below = *nodes.last().unwrap();
        nodes.push(merkle_sum::fold_at(below, index, COUNT, l, l + 1, [*sibling]).unwrap());
    }
    let at = |l: u32| nodes[usize::try_from(l - level).unwrap()];
    let mut steps = Vec::new();
    let mut upper = DEPTH;
    while upper > level {
        let lower = upper
            .saturating_sub(u32::try_from(MAX_PROBE_STEP).unwrap())
            .max(level);
        let target = ProbeTarget::Node {
            level: u8::try_from(lower).unwrap(),
            node: MerkleNode::from(at(lower)),
        };
        let path = above
            [usize::try_from(lower - level).unwrap()..usize::try_from(upper - level).unwrap()]
            .iter()
            .map(|n| MerkleNode::from(*n))
            .collect();
        steps.push((target, path));
        upper = lower;
    }
    rewards_ix::open_then_extends(side, index, steps).unwrap()
}

fn vote_for(epoch: u64, root: &Node) -> VoteRootArgs {
    VoteRootArgs {
        epoch,
        root: root.hash,
        total: root.sum,
        leaves: COUNT,
        manifest_hash: [0x11; 32],
    }
}

/// The sizes of the steps of a probe at depth 20: 16 siblings, then 4 and the leaf.
fn assert_two_steps(steps: &(OpenProbeArgs, Vec<ExtendProbeArgs>)) {
    let (open, extends) = steps;
    assert_eq!(
        (open.path.len(), extends.len(), extends[0].path.len()),
        (16, 1, 4),
        "two transactions per probe at depth 20"
    );
}

// --------------------------------------------------------------------------------------------
// Decrease

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_decrease_at_depth_20_lands_over_rpc_in_packet_sized_steps() {
    let _one = ONE_AT_A_TIME.lock().await;
    let chain = Chain::start().await;
    let mut table = Table::default();
    let victim = Pubkey::new_unique();
    let index = 700_001;
    assert_eq!(merkle_sum::path_len(index, COUNT, 0, DEPTH), 20);
    let path: Vec<Node> = (0..DEPTH)
        .map(|l| filler(0x40, l, 1_000 + u64::from(l)))
        .collect();
    let base = Sparse {
        index,
        leaf: (victim, 5_000),
        path: path.clone(),
    };
    // The majority moves 4,000 from the victim to the leaf next to it: every sum consistent,
    // the total unchanged.
    let mut moved = path;
    moved[0] = Node {
        hash: [0xee; 32],
        sum: moved[0].sum + 4_000,
    };
    let posted = Sparse {
        index,
        leaf: (victim, 1_000),
        path: moved,
    };
    let (base_root, posted_root) = (base.root(), posted.root());
    assert_eq!(posted_root.sum, base_root.sum, "the total is unchanged");
    assert_eq!(base_root.sum, 5_000 + 20 * 1_000 + 190);

    let final_key = chain.post(&vote_for(0, &base_root)).await;
    chain.finalize(&final_key).await;
    let challenger = chain.funded(CHALLENGER_LAMPORTS).await;
    let proposal = chain.post(&vote_for(1, &posted_root)).await;
    let p = chain.proposal(&proposal).await;
    assert_eq!(
        (p.base.root, p.base.total, p.base.leaves),
        (base_root.hash, base_root.sum, COUNT),
        "the proposal extends the final root"
    );

    let probe_rent = chain.rent(Probe::SIZE).await;
    let (base_steps, posted_steps) = (base.steps(ProbeSide::Base), posted.steps(ProbeSide::Posted));
    assert_two_steps(&base_steps);
    assert_two_steps(&posted_steps);
    let old = chain
        .walk(&mut table, "base", &challenger, proposal, base_steps)
        .await;
    let new = chain
        .walk(&mut table, "posted", &challenger, proposal, posted_steps)
        .await;
    assert_eq!(
        chain.probe(&old).await.leaf,
        Some(ProvenLeaf {
            wallet: victim,
            amount: 5_000
        })
    );
    assert_eq!(
        chain.probe(&new).await.leaf,
        Some(ProvenLeaf {
            wallet: victim,
            amount: 1_000
        })
    );
    let proof = chain
        .prove(
            &mut table,
            "prove_fraud(Decrease), 2 bonds",
            &challenger,
            proposal,
            (old, Some(new)),
            Evidence::Decrease,
        )
        .await;
    let slack = p.dispute_ends - proof.block_time;
    eprintln!("decrease: proven {slack} s before the window closed");
    let fees: u64 = table.rows.iter().map(|r| r.3).sum();
    chain
        .assert_voided_and_slashed(
            &proposal,
            &proof,
            &challenger.pubkey(),
            CHALLENGER_LAMPORTS - fees - 2 * probe_rent,
        )
        .await;
    chain
        .shutdown(&table, "Decrease at depth 20 (2^20 leaves)")
        .await;
}

// --------------------------------------------------------------------------------------------
// Inconsistent sum

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_inconsistent_sum_at_depth_20_lands_over_rpc() {
    let _one = ONE_AT_A_TIME.lock().await;
    let chain = Chain::start().await;
    let mut table = Table::default();
    let index: u64 = 314_159;
    // The node at level 1 over leaf `index` and its neighbour publishes 4,000 less than its
    // leaves hold: the leaves under it can claim more than the total.
    let (mine, theirs) = (
        merkle_sum::leaf(&Pubkey::new_unique().to_bytes(), 5_000),
        merkle_sum::leaf(&Pubkey::new_unique().to_bytes(), 3_000),
    );
    let (left, right) = if index & 1 == 0 {
        (mine, theirs)
    } else {
        (theirs, mine)
    };
    let lying = Node {
        hash: merkle_sum::node_hash(&left, &right),
        sum: 4_000,
    };
    let above: Vec<Node> = (1..DEPTH)
        .map(|l| filler(0x70, l, 100 * u64::from(l)))
        .collect();
    let steps = steps_to_node(ProbeSide::Posted, index, 1, lying, &above);
    assert_eq!(
        (steps.0.path.len(), steps.1.len(), steps.1[0].path.len()),
        (16, 1, 3),
        "root to level 1: 16 siblings, then 3"
    );
    let root = merkle_sum::fold_at(lying, index, COUNT, 1, DEPTH, above.iter().copied()).unwrap();
    let challenger = chain.funded(CHALLENGER_LAMPORTS).await;
    let proposal = chain.post(&vote_for(0, &root)).await;
    let p = chain.proposal(&proposal).await;

    let probe_rent = chain.rent(Probe::SIZE).await;
    let probe = chain
        .walk(
            &mut table,
            "posted, to level 1",
            &challenger,
            proposal,
            steps,
        )
        .await;
    let at = chain.probe(&probe).await;
    assert_eq!(
        (at.level, merkle_sum::Node::from(at.node), at.leaf),
        (1, lying, None),
        "the probe sits on the lying node"
    );
    let evidence = Evidence::InconsistentSum {
        preimage: NodePreimage::Children {
            left: left.into(),
            right: right.into(),
        },
    };
    let proof = chain
        .prove(
            &mut table,
            "prove_fraud(InconsistentSum, children), 2 bonds",
            &challenger,
            proposal,
            (probe, None),
            evidence,
        )
        .await;
    eprintln!(
        "inconsistent sum: proven {} s before the window closed",
        p.dispute_ends - proof.block_time
    );
    let fees: u64 = table.rows.iter().map(|r| r.3).sum();
    chain
        .assert_voided_and_slashed(
            &proposal,
            &proof,
            &challenger.pubkey(),
            CHALLENGER_LAMPORTS - fees - probe_rent,
        )
        .await;
    chain
        .shutdown(&table, "InconsistentSum at depth 20 (2^20 leaves)")
        .await;
}

// --------------------------------------------------------------------------------------------
// Duplicate

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duplicate_at_depth_20_lands_over_rpc() {
    let _one = ONE_AT_A_TIME.lock().await;
    let chain = Chain::start().await;
    let mut table = Table::default();
    // One wallet at two indices of one tree, known along both paths. The paths part at level
    // `d` (the highest bit where the indices differ): below it each has siblings of its own;
    // at `d` each one's sibling is the other's subtree; above it they share every sibling.
    let wallet = Pubkey::new_unique();
    let (i, j): (u64, u64) = (271_828, 1_000_000);
    let d = 63 - (i ^ j).leading_zeros();
    assert_eq!(d, 19, "the two leaves sit in the two halves of the tree");
    let (leaf_i, leaf_j) = (
        merkle_sum::leaf(&wallet.to_bytes(), 7_000),
        merkle_sum::leaf(&wallet.to_bytes(), 9_000),
    );
    let own =
        |tag: u8| -> Vec<Node> { (0..d).map(|l| filler(tag, l, 10 + u64::from(l))).collect() };
    let (below_i, below_j) = (own(0x20), own(0x90));
    let shared: Vec<Node> = (d + 1..DEPTH).map(|l| filler(0x55, l, 50)).collect();
    let sub_i = merkle_sum::fold_at(leaf_i, i, COUNT, 0, d, below_i.iter().copied()).unwrap();
    let sub_j = merkle_sum::fold_at(leaf_j, j, COUNT, 0, d, below_j.iter().copied()).unwrap();
    let path = |below: &[Node], other: Node| -> Vec<Node> {
        below
            .iter()
            .copied()
            .chain([other])
            .chain(shared.iter().copied())
            .collect()
    };
    let first = Sparse {
        index: i,
        leaf: (wallet, 7_000),
        path: path(&below_i, sub_j),
    };
    let second = Sparse {
        index: j,
        leaf: (wallet, 9_000),
        path: path(&below_j, sub_i),
    };
    let root = first.root();
    assert_eq!(second.root(), root, "both paths lead to one root");

    let challenger = chain.funded(CHALLENGER_LAMPORTS).await;
    let proposal = chain.post(&vote_for(0, &root)).await;
    let p = chain.proposal(&proposal).await;
    let probe_rent = chain.rent(Probe::SIZE).await;
    let (steps_i, steps_j) = (
        first.steps(ProbeSide::Posted),
        second.steps(ProbeSide::Posted),
    );
    assert_two_steps(&steps_i);
    assert_two_steps(&steps_j);
    let a = chain
        .walk(
            &mut table,
            &format!("posted, index {i}"),
            &challenger,
            proposal,
            steps_i,
        )
        .await;
    let b = chain
        .walk(
            &mut table,
            &format!("posted, index {j}"),
            &challenger,
            proposal,
            steps_j,
        )
        .await;
    for (key, amount) in [(a, 7_000), (b, 9_000)] {
        assert_eq!(
            chain.probe(&key).await.leaf,
            Some(ProvenLeaf { wallet, amount })
        );
    }
    let proof = chain
        .prove(
            &mut table,
            "prove_fraud(Duplicate), 2 bonds",
            &challenger,
            proposal,
            (a, Some(b)),
            Evidence::Duplicate,
        )
        .await;
    eprintln!(
        "duplicate: proven {} s before the window closed",
        p.dispute_ends - proof.block_time
    );
    let fees: u64 = table.rows.iter().map(|r| r.3).sum();
    chain
        .assert_voided_and_slashed(
            &proposal,
            &proof,
            &challenger.pubkey(),
            CHALLENGER_LAMPORTS - fees - 2 * probe_rent,
        )
        .await;
    chain
        .shutdown(&table, "Duplicate at depth 20 (2^20 leaves)")
        .await;
}

// --------------------------------------------------------------------------------------------
// An unanswered demand, and the packet limit

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unanswered_demand_lands_over_rpc_and_the_validator_enforces_the_packet() {
    let _one = ONE_AT_A_TIME.lock().await;
    let chain = Chain::start().await;
    let mut table = Table::default();
    let tree = Sparse {
        index: 777_777,
        leaf: (Pubkey::new_unique(), 2_500),
        path: (0..DEPTH).map(|l| filler(0x33, l, 700)).collect(),
    };
    let demander = chain.funded(CHALLENGER_LAMPORTS).await;
    let proposal = chain.post(&vote_for(0, &tree.root())).await;
    let probe_rent = chain.rent(Probe::SIZE).await;

    // Opened at the root and demanded, in one transaction: the demander knows nothing else.
    let open = rewards_ix::open_probe_at_root(&chain.proposal(&proposal).await, tree.index)
        .expect("a probe at the root");
    let key = rewards_ix::probe_pda(&proposal, ProbeSide::Posted, tree.index).0;
    let ixs = [
        rewards_ix::open_probe_ix(demander.pubkey(), proposal, open),
        rewards_ix::demand_probe_ix(demander.pubkey(), proposal, key, DEMAND_DEPOSIT),
    ];
    let what = "open_probe at the root + demand_probe";
    let demanded = chain.send(what, &ixs, &demander, &[]).await;
    table.push(what, &demanded);
    // The answer time is a third of the proposal's window (`RootProposal::answer_secs`).
    let answer = chain.proposal(&proposal).await.answer_secs().unwrap();
    let deadline = demanded.block_time + answer;
    let probe = chain.probe(&key).await;
    assert_eq!(
        (probe.level, probe.leaf, probe.demand),
        (
            u8::try_from(DEPTH).unwrap(),
            None,
            Some(Demand {
                demander: demander.pubkey(),
                deadline,
                deposit: DEMAND_DEPOSIT,
            })
        ),
        "a demand at the root, due {answer} s after it was made"
    );
    assert_eq!(chain.balance(&key).await, probe_rent + DEMAND_DEPOSIT);
    assert_eq!(chain.proposal(&proposal).await.open_demands, 1);

    // Before the deadline the demand proves nothing: refused in preflight, nothing paid.
    let voters = rewards_ix::proposal_voters(&chain.proposal(&proposal).await);
    let early = rewards_ix::prove_fraud_ix(
        demander.pubkey(),
        proposal,
        (key, None),
        Evidence::Unanswered,
        &voters,
    );
    let early = chain.v0(&[early], &demander, &[]).await;
    let err = chain
        .rpc()
        .send_and_confirm_transaction(&early)
        .await
        .expect_err("an unexpired demand proves nothing");
    assert_eq!(
        err.get_transaction_error(),
        Some(TransactionError::InstructionError(
            1,
            InstructionError::Custom(RewardsError::DemandNotExpired.into())
        )),
        "{err}"
    );

    // While the deadline runs: the validator's packet limit.
    packet_limit(&chain, proposal, &tree).await;

    chain.wait_until(deadline).await;
    let before_proof = chain.balance(&demander.pubkey()).await;
    let proof = chain
        .prove(
            &mut table,
            "prove_fraud(Unanswered), 2 bonds",
            &demander,
            proposal,
            (key, None),
            Evidence::Unanswered,
        )
        .await;
    assert!(proof.block_time >= deadline);
    let fees: u64 = table.rows.iter().map(|r| r.3).sum();
    assert_eq!(
        before_proof,
        CHALLENGER_LAMPORTS - demanded.fee - probe_rent - DEMAND_DEPOSIT,
        "the demander paid the probe's rent, the deposit and its fee (the refused proof cost nothing)"
    );
    chain
        .assert_voided_and_slashed(
            &proposal,
            &proof,
            &demander.pubkey(),
            CHALLENGER_LAMPORTS - fees - probe_rent - DEMAND_DEPOSIT,
        )
        .await;
    // The deposit stays with the probe (returned by close_probe once the proposal is void).
    assert_eq!(chain.balance(&key).await, probe_rent + DEMAND_DEPOSIT);
    chain
        .shutdown(&table, "Unanswered demand (2^20 leaves)")
        .await;
}

/// A transaction over 1,232 bytes never runs: the validator's `sendTransaction` refuses it as
/// it decodes it. A probe step over `MAX_PROBE_STEP` siblings that still fits the packet
/// reaches the program, which refuses it (`ProofTooDeep`). At the boundary, a transaction of
/// exactly 1,232 bytes lands and one of 1,233 does not.
async fn packet_limit(chain: &Chain, proposal: Pubkey, tree: &Sparse) {
    let opener = &chain.deployer;
    let refused = |what: &str, bytes: usize, e: &ClientError| {
        let (code, message) = rpc_refusal(e);
        eprintln!("packet limit: {what}, {bytes} bytes: refused: {message}");
        assert_eq!(code, INVALID_PARAMS, "{what}: {message}");
        message
    };

    // 17 siblings in one step: inside the packet, refused by the program. (At the leaf next
    // to the demanded one: that probe's address is taken.)
    let neighbour = Sparse {
        index: tree.index ^ 1,
        leaf: tree.leaf,
        path: tree.path.clone(),
    };
    let (open17, _) = neighbour.steps_of(ProbeSide::Posted, MAX_PROBE_STEP + 1);
    assert_eq!(open17.path.len(), 17);
    let tx = chain
        .v0(
            &[rewards_ix::open_probe_ix(opener.pubkey(), proposal, open17)],
            opener,
            &[],
        )
        .await;
    let bytes17 = wire_size(&tx);
    assert!(bytes17 <= PACKET_DATA_SIZE, "{bytes17}");
    let err = chain
        .rpc()
        .send_and_confirm_transaction(&tx)
        .await
        .expect_err("17 siblings in one step");
    assert_eq!(
        err.get_transaction_error(),
        Some(TransactionError::InstructionError(
            1,
            InstructionError::Custom(RewardsError::ProofTooDeep.into())
        )),
        "{err}"
    );
    eprintln!(
        "packet limit: open_probe with 17 siblings, {bytes17} bytes: the program refuses it (ProofTooDeep)"
    );

    // The whole path in one step, padded to 24 siblings: over the packet, as v0 and as legacy.
    let (mut open24, _) = neighbour.steps_of(ProbeSide::Posted, usize::try_from(DEPTH).unwrap());
    assert_eq!(open24.path.len(), 20);
    open24
        .path
        .extend((0..4).map(|i| MerkleNode::from(filler(0xaa, i, 1))));
    let ix = rewards_ix::open_probe_ix(opener.pubkey(), proposal, open24);
    let tx = chain.v0(std::slice::from_ref(&ix), opener, &[]).await;
    let bytes24 = wire_size(&tx);
    assert!(bytes24 > PACKET_DATA_SIZE, "{bytes24}");
    let err = chain
        .rpc()
        .send_transaction(&tx)
        .await
        .expect_err("over the packet");
    let message = refused("open_probe with 24 siblings (v0)", bytes24, &err);
    let base64 = bytes24.div_ceil(3) * 4;
    assert!(
        message.ends_with(&format!(
            "too large: {base64} bytes (max: encoded/raw 1644/{PACKET_DATA_SIZE})"
        )),
        "{message}"
    );
    let blockhash = chain.rpc().get_latest_blockhash().await.unwrap();
    let legacy = Transaction::new_signed_with_payer(
        &chain.sender.with_budget(&[ix]),
        Some(&opener.pubkey()),
        &[opener],
        blockhash,
    );
    let legacy_bytes = 1 + 64 + legacy.message.serialize().len();
    assert!(legacy_bytes > PACKET_DATA_SIZE, "{legacy_bytes}");
    let err = chain
        .rpc()
        .send_transaction(&legacy)
        .await
        .expect_err("over the packet");
    let message = refused("open_probe with 24 siblings (legacy)", legacy_bytes, &err);
    assert!(message.contains("too large"), "{message}");

    // The boundary: a system transfer whose data is padded (the system program ignores
    // trailing bytes) to exactly 1,232 bytes on the wire lands; one byte more is refused.
    let to = chain.oracles[2].pubkey();
    let padded = |extra: usize| {
        let mut ix =
            anchor_lang::solana_program::system_instruction::transfer(&opener.pubkey(), &to, 1);
        ix.data.resize(ix.data.len() + extra, 0);
        ix
    };
    // Pad until the wire size is the limit (the data's length prefix grows a byte at 128).
    let mut extra = 0;
    loop {
        let size = wire_size(&chain.v0(&[padded(extra)], opener, &[]).await);
        match size.cmp(&PACKET_DATA_SIZE) {
            std::cmp::Ordering::Equal => break,
            std::cmp::Ordering::Less => extra += PACKET_DATA_SIZE - size,
            std::cmp::Ordering::Greater => extra -= size - PACKET_DATA_SIZE,
        }
    }
    let at_limit = chain
        .send("a padded transfer", &[padded(extra)], opener, &[])
        .await;
    assert_eq!(at_limit.bytes, PACKET_DATA_SIZE);
    eprintln!("packet limit: a padded transfer of exactly {PACKET_DATA_SIZE} bytes lands");
    let tx = chain.v0(&[padded(extra + 1)], opener, &[]).await;
    assert_eq!(wire_size(&tx), PACKET_DATA_SIZE + 1);
    let err = chain
        .rpc()
        .send_transaction(&tx)
        .await
        .expect_err("one byte over the packet");
    let message = refused("a padded transfer", PACKET_DATA_SIZE + 1, &err);
    assert!(
        message.ends_with(&format!(
            "too large: {} bytes (max: {PACKET_DATA_SIZE} bytes)",
            PACKET_DATA_SIZE + 1
        )),
        "{message}"
    );
}

// --------------------------------------------------------------------------------------------
// A claim at depth 20

/// The owners' claim at a million wallets, over JSON-RPC. The network's lookup table (anyone
/// creates it; here the deployer) holds six of the claim's eleven accounts, which makes the claim
/// of a wallet at depth 20 a v0 transaction that fits the packet; as a legacy transaction it
/// takes 1,317 bytes and the sender refuses it before sending. A wallet that pays its own first
/// claim creates its token account in the same transaction (1,209 bytes); a crank paying for
/// another wallet needs one key more, so its `send_claim` creates the account first, on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_at_depth_20_lands_over_rpc_through_the_network_lookup_table() {
    use depin_client::claim::{claim_ixs, send_claim};
    let _one = ONE_AT_A_TIME.lock().await;
    let chain = Chain::start().await;
    let deployer = &chain.deployer;
    let create = depin_client::lookup_table::create_ix(&chain.sender, deployer.pubkey())
        .await
        .unwrap();
    chain
        .sender
        .send("create_lookup_table", &[create], deployer, &[])
        .await
        .unwrap();
    let lut = depin_client::lookup_table::network_table(chain.rpc())
        .await
        .unwrap()
        .unwrap();
    let tables = std::slice::from_ref(&lut);
    let mut table = Table::default();

    // Two wallets side by side at depth 20: `a` at leaf 700,001, `b` at leaf 700,000.
    let (a, b) = (chain.funded(CHALLENGER_LAMPORTS).await, Keypair::new());
    let index = 700_001;
    let mut path: Vec<Node> = (0..DEPTH)
        .map(|l| filler(0x40, l, 1_000 + u64::from(l)))
        .collect();
    path[0] = merkle_sum::leaf(&b.pubkey().to_bytes(), 3_000);
    let tree_a = Sparse {
        index,
        leaf: (a.pubkey(), 5_000),
        path: path.clone(),
    };
    path[0] = merkle_sum::leaf(&a.pubkey().to_bytes(), 5_000);
    let tree_b = Sparse {
        index: index ^ 1,
        leaf: (b.pubkey(), 3_000),
        path,
    };
    assert_eq!(tree_a.root(), tree_b.root());
    let key = chain.post(&vote_for(0, &tree_a.root())).await;
    chain.finalize(&key).await;

    let mint = rewards_ix::mint_pda().0;
    let args = |tree: &Sparse, amount| rewards_ix::ClaimArgs {
        cumulative_amount: amount,
        proof: tree.proof(),
    };
    let tp = TokenProgram::SplToken;
    let (ixs_a, ata_a) = claim_ixs(
        &a.pubkey(),
        a.pubkey(),
        &mint,
        tp,
        None,
        args(&tree_a, 5_000),
    );
    let too_large = |r: Result<depin_client::Landed, SendError>| match r {
        Err(SendError::TooLarge { size, .. }) => size,
        other => panic!("expected TooLarge, got {other:?}"),
    };
    // Legacy: 1,317 bytes, refused before anything is sent.
    let legacy = chain
        .sender
        .send("legacy claim", &ixs_a[1..], &a, &[])
        .await;
    assert_eq!(too_large(legacy), 1_317);
    assert_eq!(chain.balance(&ata_a).await, 0, "nothing was created");

    // The wallet's own first claim: account creation and claim in one v0 transaction.
    let landed = send_claim(&chain.sender, &a, &ixs_a, tables).await.unwrap();
    assert_eq!(
        chain
            .landed(&mut table, "own claim, account created", &landed.signature)
            .await,
        1_209
    );
    assert_eq!(token_amount(&chain, &ata_a).await, 5_000);

    // A crank pays for `b`: together 1,241 bytes, so the account is created first.
    let (ixs_b, ata_b) = claim_ixs(
        &deployer.pubkey(),
        b.pubkey(),
        &mint,
        tp,
        None,
        args(&tree_b, 3_000),
    );
    let together = chain
        .sender
        .send_with_tables("together", &ixs_b, deployer, &[], tables)
        .await;
    assert_eq!(too_large(together), 1_241);
    let landed = send_claim(&chain.sender, deployer, &ixs_b, tables)
        .await
        .unwrap();
    assert_eq!(
        chain
            .landed(
                &mut table,
                "a crank's claim for another wallet",
                &landed.signature
            )
            .await,
        1_199
    );
    assert_eq!(token_amount(&chain, &ata_b).await, 3_000);
    assert_eq!(chain.network().await.total_claimed, 8_000);
    chain.shutdown(&table, "claim at depth 20").await;
}

/// A token account's balance in base units.
async fn token_amount(chain: &Chain, account: &Pubkey) -> u64 {
    chain
        .rpc()
        .get_token_account_balance(account)
        .await
        .unwrap()
        .amount
        .parse()
        .unwrap()
}
