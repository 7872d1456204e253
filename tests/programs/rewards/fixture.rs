//! A fresh rewards network in LiteSVM and the steps every rewards test repeats.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::builders::staking_ix;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use litesvm::types::TransactionResult;
use rewards::state::{Network, OracleSet, PendingChange, RootProposal};
use staking::state::{LockupKind, Position, StakingConfig, VotingMode};

pub const MAX_SUPPLY: u64 = 10_000_000_000 * 1_000_000; // 10 billion tokens, 6 decimals
pub const DAY: i64 = 86_400;
/// `network_args`: MAX_SUPPLY / 4 / 730 halving epochs.
pub const EPOCH_EMISSION: u64 = 3_424_657_534_246;
pub const DISPUTE_SECS: i64 = 4 * 3_600;
/// The oracle set's required bond: 1 SOL.
pub const BOND: u64 = 1_000_000_000;
/// The challenger's share of a slash: 40%.
pub const CHALLENGER_BPS: u16 = 4_000;

pub struct Net {
    pub env: TestEnv,
    pub token_program: TokenProgram,
    pub governance: Keypair,
    /// Unix time at which epoch 0 starts (the clock at creation).
    pub start: i64,
    pub oracles: Vec<Keypair>,
}

/// The staking config next to every test network (`staking::fixture`'s parameters): collateral
/// per device `staking::fixture::MIN_COLLATERAL`, locking the network token.
pub use crate::staking::fixture::MIN_COLLATERAL;

impl Net {
    /// A network with the default parameters, epoch 0 starting now.
    pub fn new(token_program: TokenProgram) -> Self {
        let mut env = TestEnv::new();
        let start = env.now();
        let governance = env.funded_keypair();
        Self::with_args(
            env,
            token_program,
            governance.insecure_clone(),
            network_args(governance.pubkey(), 6, MAX_SUPPLY, start),
        )
    }

    pub fn with_args(
        mut env: TestEnv,
        token_program: TokenProgram,
        governance: Keypair,
        args: InitializeNetworkArgs,
    ) -> Self {
        let deployer = env.deployer.insecure_clone();
        let start = args.emission.start_ts;
        expect_ok(env.send(
            &[initialize_network(
                initialize_network_accounts(&env, token_program, governance.pubkey()),
                args,
            )],
            &[&deployer],
        ));
        // Staking over the network token (collateral, time-locked claims), with a revenue mint.
        let staking_args = crate::staking::fixture::args(governance.pubkey(), VotingMode::Linear);
        expect_ok(env.send(
            &[staking_ix::initialize_staking(
                staking_ix::initialize_staking_accounts(&env, token_program, mint_pda().0),
                staking_args,
            )],
            &[&deployer],
        ));
        let revenue_authority = Pubkey::new_unique();
        let revenue_mint = create_mint(&mut env, token_program, &revenue_authority, 6);
        expect_ok(env.send(
            &[staking_ix::initialize_revenue(
                staking_ix::initialize_revenue_accounts(
                    env.payer.pubkey(),
                    deployer.pubkey(),
                    revenue_mint,
                    token_program,
                ),
            )],
            &[&deployer],
        ));
        Self {
            env,
            token_program,
            governance,
            start,
            oracles: Vec::new(),
        }
    }

    pub fn network(&self) -> Network {
        self.env.anchor_account(&network_pda().0)
    }

    pub fn oracle_set(&self) -> OracleSet {
        self.env.anchor_account(&oracle_set_pda().0)
    }

    pub fn proposal(&self, key: &Pubkey) -> RootProposal {
        self.env.anchor_account(key)
    }

    pub fn staking_config(&self) -> StakingConfig {
        self.env.anchor_account(&staking_ix::config_pda().0)
    }

    pub fn position(&self, key: &Pubkey) -> Position {
        self.env.anchor_account(key)
    }

    /// `owner` stakes `amount` network tokens from `source` into its new position `id` (a cliff
    /// with no lockup: only bound collateral keeps it locked). Returns the position.
    pub fn stake(&mut self, owner: &Keypair, source: Pubkey, id: u64, amount: u64) -> Pubkey {
        let ix = staking_ix::stake(
            staking_ix::stake_accounts(
                owner.pubkey(),
                id,
                mint_pda().0,
                source,
                self.token_program,
            ),
            staking_ix::StakeArgs {
                id,
                kind: LockupKind::Cliff,
                lockup_secs: 0,
                amount,
            },
        );
        expect_ok(self.env.send_fresh(&[ix], &[owner]));
        staking_ix::position_pda(&owner.pubkey(), id).0
    }

    /// Pays `leaves` the real way: the next epoch minted, its root over `leaves` voted by the
    /// installed oracles (installs one if there are none) and finalized, then each wallet claimed
    /// into its token account. `leaves` are cumulative amounts; `accounts` the wallets' token
    /// accounts, in the same order.
    pub fn earn(&mut self, leaves: &[(Pubkey, u64)], accounts: &[Pubkey]) {
        if self.oracles.is_empty() {
            self.install_oracles(1, 1);
        }
        let epoch = self.network().final_root.epochs;
        self.mint_through(epoch);
        let (tree, vote) = tree_vote(epoch, leaves);
        self.post_and_finalize(&vote);
        for ((wallet, amount), account) in leaves.iter().zip(accounts) {
            let ix = claim(
                claim_accounts(
                    self.env.payer.pubkey(),
                    *wallet,
                    *account,
                    self.token_program,
                ),
                ClaimArgs {
                    cumulative_amount: *amount,
                    proof: proof_of(&tree, leaves, wallet),
                },
            );
            expect_ok(self.env.send_fresh(&[ix], &[]));
        }
    }

    pub fn vault_balance(&self) -> u64 {
        read_token_account(&self.env, &rewards_vault_pda().0)
            .1
            .amount
    }

    pub fn supply(&self) -> u64 {
        read_mint(&self.env, &mint_pda().0).1.supply
    }

    /// Moves the clock to `start + secs`.
    pub fn warp(&mut self, secs: i64) {
        self.env.warp_to_timestamp(self.start + secs);
    }

    /// Moves the clock to `start + secs` unless it is already later.
    pub fn warp_forward(&mut self, secs: i64) {
        if self.env.now() < self.start + secs {
            self.warp(secs);
        }
    }

    pub fn crank(&mut self) -> TransactionResult {
        let ix = crank_epoch(crank_epoch_accounts(self.token_program));
        self.env.send_fresh(&[ix], &[])
    }

    /// Creates `n` funded oracles, installs them with threshold `k`, and bonds each with `BOND`.
    pub fn install_oracles(&mut self, n: usize, k: u8) {
        self.oracles = (0..n).map(|_| self.env.funded_keypair()).collect();
        let keys = self.oracles.iter().map(Signer::pubkey).collect();
        expect_ok(self.set_oracles(keys, k));
        for i in 0..n {
            let oracle = self.oracles[i].insecure_clone();
            expect_ok(self.bond(&oracle, BOND));
        }
    }

    pub fn bond(&mut self, oracle: &Keypair, amount: u64) -> TransactionResult {
        let ix = post_bond(post_bond_accounts(oracle.pubkey()), amount);
        self.env.send_fresh(&[ix], &[oracle])
    }

    /// Governance proposes `update`, the timelock passes, and anyone applies it. Returns the
    /// proposal's result if it is refused, else the application's.
    pub fn govern(&mut self, update: ParamUpdate) -> TransactionResult {
        let governance = self.governance.insecure_clone();
        let id = self.network().changes_proposed;
        let payer = self.env.payer.pubkey();
        let propose = propose_change_ix(payer, governance.pubkey(), id, update);
        let proposed = self.env.send_fresh(&[propose], &[&governance]);
        let Ok(_) = &proposed else {
            return proposed;
        };
        let eta = self.change(id).eta;
        if self.env.now() < eta {
            self.env.warp_to_timestamp(eta);
        }
        self.env.send_fresh(&[apply_change_ix(id, payer)], &[])
    }

    pub fn change(&self, id: u64) -> PendingChange {
        self.env.anchor_account(&change_pda(id).0)
    }

    pub fn set_oracles(&mut self, oracles: Vec<Pubkey>, threshold: u8) -> TransactionResult {
        self.govern(ParamUpdate::OracleSet {
            oracles,
            threshold,
            bond: BOND,
            challenger_bps: CHALLENGER_BPS,
        })
    }

    /// `oracle` (an index into `self.oracles`) votes for `args` under the current set version.
    pub fn vote(&mut self, oracle: usize, args: &VoteRootArgs) -> TransactionResult {
        let kp = self.oracles[oracle].insecure_clone();
        self.vote_as(&kp, args)
    }

    pub fn vote_as(&mut self, oracle: &Keypair, args: &VoteRootArgs) -> TransactionResult {
        let version = self.oracle_set().set_version;
        let round = self.network().voided_roots;
        let ix = vote_root(
            vote_root_accounts_in(oracle.pubkey(), version, round, args),
            args.clone(),
        );
        self.env.send_fresh(&[ix], &[oracle])
    }

    pub fn finalize(&mut self, proposal: Pubkey) -> TransactionResult {
        let ix = finalize_root(finalize_root_accounts(proposal));
        self.env.send_fresh(&[ix], &[])
    }

    /// The proposal PDA `args` is voted into under the current set version.
    pub fn proposal_key(&self, args: &VoteRootArgs) -> Pubkey {
        proposal_pda(
            self.oracle_set().set_version,
            self.network().voided_roots,
            args,
        )
        .0
    }

    /// Mints epochs `0..=epoch` and moves the clock to the end of `epoch`.
    pub fn mint_through(&mut self, epoch: u64) {
        let minted = self.network().epochs_minted;
        for e in minted..=epoch {
            self.warp_forward(DAY * i64::try_from(e).unwrap());
            expect_ok(self.crank());
        }
        self.warp_forward(DAY * (i64::try_from(epoch).unwrap() + 1));
    }

    /// Votes `args` with the first `threshold` oracles, waits out the dispute window and
    /// finalizes it.
    pub fn post_and_finalize(&mut self, args: &VoteRootArgs) -> Pubkey {
        let k = usize::from(self.oracle_set().threshold);
        for i in 0..k {
            expect_ok(self.vote(i, args));
        }
        let key = self.proposal_key(args);
        let ends = self.proposal(&key).dispute_ends;
        self.env.warp_to_timestamp(ends);
        expect_ok(self.finalize(key));
        key
    }
}

/// A merkle-sum tree over `(wallet, cumulative)` in the given (index) order and the vote for it.
pub fn tree_vote(epoch: u64, leaves: &[(Pubkey, u64)]) -> (merkle_sum::Tree, VoteRootArgs) {
    let pairs: Vec<([u8; 32], u64)> = leaves.iter().map(|(w, a)| (w.to_bytes(), *a)).collect();
    let tree = merkle_sum::Tree::new(&pairs).unwrap();
    let root = tree.root();
    let args = VoteRootArgs {
        epoch,
        root: root.hash,
        total: root.sum,
        leaves: u64::try_from(pairs.len()).unwrap(),
        manifest_hash: [u8::try_from(epoch % 255).unwrap() + 1; 32],
    };
    (tree, args)
}

/// The proof of `wallet` in `tree` (built by `tree_vote` from `leaves`).
pub fn proof_of(
    tree: &merkle_sum::Tree,
    leaves: &[(Pubkey, u64)],
    wallet: &Pubkey,
) -> Vec<ProofNode> {
    let index = leaves.iter().position(|(w, _)| w == wallet).unwrap();
    proof_nodes(&tree.proof(index).unwrap())
}

/// A proof node of the program's argument types.
pub fn node(n: &merkle_sum::Node) -> MerkleNode {
    MerkleNode {
        hash: n.hash,
        sum: n.sum,
    }
}

// ---------------------------------------------------------------------------------------------
// Fraud proofs: probes and evidence.

impl Net {
    /// Walks a probe down to leaf `index` of `side`'s tree, one v0 transaction per step of at
    /// most `MAX_PROBE_STEP` siblings (each checked to fit the packet with a compute-budget
    /// instruction), from `opener`; returns the probe's address.
    pub fn probe(
        &mut self,
        opener: &Keypair,
        proposal: Pubkey,
        side: ProbeSide,
        steps: (OpenProbeArgs, Vec<ExtendProbeArgs>),
    ) -> Pubkey {
        let (open, extends) = steps;
        let key = probe_pda(&proposal, side, open.index).0;
        let ix = open_probe_ix(opener.pubkey(), proposal, open);
        expect_ok(self.env.send_v0_within_packet(&[ix], &[opener]).0);
        for args in extends {
            let ix = extend_probe_ix(opener.pubkey(), proposal, key, args);
            expect_ok(self.env.send_v0_within_packet(&[ix], &[opener]).0);
        }
        key
    }

    /// Probes leaf `index` of `tree` (the tree of `side`) to its leaf.
    pub fn probe_tree(
        &mut self,
        opener: &Keypair,
        proposal: Pubkey,
        side: ProbeSide,
        tree: &merkle_sum::Tree,
        leaves: &[(Pubkey, u64)],
        index: usize,
    ) -> Pubkey {
        let (wallet, amount) = leaves[index];
        let steps = probe_steps(
            tree,
            side,
            index,
            (wallet.to_bytes(), amount),
            rewards::constants::MAX_PROBE_STEP,
        )
        .unwrap();
        self.probe(opener, proposal, side, steps)
    }

    /// `prove_fraud` from `challenger`, with the bonds of every recorded voter.
    pub fn prove(
        &mut self,
        challenger: &Keypair,
        proposal: Pubkey,
        probes: (Pubkey, Option<Pubkey>),
        evidence: Evidence,
    ) -> TransactionResult {
        let voters = proposal_voters(&self.proposal(&proposal));
        let ix = prove_fraud_ix(challenger.pubkey(), proposal, probes, evidence, &voters);
        self.env.send_v0_within_packet(&[ix], &[challenger]).0
    }
}

/// Rewrites the Anchor account at `address` in place (same size, owner and lamports) through
/// `edit`: the overflow tests put a counter next to `u64::MAX`, which no sequence of
/// instructions could reach in a test's lifetime.
pub fn edit_anchor_account<T>(env: &mut TestEnv, address: &Pubkey, edit: impl FnOnce(&mut T))
where
    T: anchor_lang::AccountDeserialize + anchor_lang::AccountSerialize,
{
    let mut account = env.account(address).expect("the account to edit exists");
    let mut value = T::try_deserialize(&mut account.data.as_slice()).expect("deserialize");
    edit(&mut value);
    let mut data = Vec::with_capacity(account.data.len());
    value.try_serialize(&mut data).expect("serialize");
    assert_eq!(data.len(), account.data.len(), "the edit keeps the size");
    account.data = data;
    env.svm
        .set_account(*address, account)
        .expect("store the edit");
}

/// Replaces every account meta at `from` with `to`: the substituted-account cases.
pub fn substituted(mut ix: Instruction, from: Pubkey, to: Pubkey) -> Instruction {
    for meta in ix.accounts.iter_mut().filter(|m| m.pubkey == from) {
        meta.pubkey = to;
    }
    ix
}

/// A copy of the network account at another address, owned by this program, naming `authority`
/// its authority (the field after the 8-byte discriminator and five one-byte fields).
pub fn network_copy_naming(env: &mut TestEnv, authority: &Pubkey) -> Pubkey {
    env.copy_account(&network_pda().0, |a| {
        a.data[13..45].copy_from_slice(authority.as_ref());
    })
}
