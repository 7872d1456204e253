//! Builders for the `rewards` program.

use super::*;
use rewards::constants::{
    ADDRESS_LOOKUP_TABLE_PROGRAM_ID, BOND_SEED, CHANGE_SEED, CLAIM_SEED, DEVICE_SEED, GENESIS_SEED,
    INCINERATOR, INPUTS_SEED, LUT_AUTHORITY_SEED, LUT_SEED, MAKER_SEED, MINT_SEED, NETWORK_SEED,
    ORACLE_SET_SEED, PROBE_SEED, PROPOSAL_SEED, REWARDS_VAULT_SEED,
};
pub use rewards::instructions::NodePreimage;
pub use rewards::instructions::{
    ClaimArgs, ClaimInStablecoinArgs, CommitReportsArgs, Evidence, ExtendProbeArgs,
    InitialOracleSet, InitializeNetworkArgs, OnboardDeviceArgs, OpenProbeArgs, UpdateLocationArgs,
    VoteRootArgs,
};
pub use rewards::state::EmissionParams;
pub use rewards::state::{DeviceKind, ParamUpdate, ProbeSide};
pub use rewards::types::{MerkleNode, ProbeTarget, ProofNode};

pub fn network_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[NETWORK_SEED], &rewards::ID)
}

pub fn mint_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[MINT_SEED], &rewards::ID)
}

pub fn rewards_vault_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[REWARDS_VAULT_SEED], &rewards::ID)
}

/// The genesis account: a token account of the network mint owned by the genesis owner.
pub fn genesis_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[GENESIS_SEED], &rewards::ID)
}

pub fn oracle_set_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[ORACLE_SET_SEED], &rewards::ID)
}

/// The proposal PDA of `args` under oracle-set version `set_version` in voting round `round`
/// (the network's `voided_roots`).
pub fn proposal_pda(set_version: u32, round: u64, args: &VoteRootArgs) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            PROPOSAL_SEED,
            &args.epoch.to_le_bytes(),
            &set_version.to_le_bytes(),
            &round.to_le_bytes(),
            &args.root,
            &args.total.to_le_bytes(),
            &args.leaves.to_le_bytes(),
            &args.manifest_hash,
        ],
        &rewards::ID,
    )
}

pub fn bond_pda(oracle: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[BOND_SEED, oracle.as_ref()], &rewards::ID)
}

pub fn maker_pda(maker: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[MAKER_SEED, maker.as_ref()], &rewards::ID)
}

pub fn device_pda(device: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[DEVICE_SEED, device.as_ref()], &rewards::ID)
}

pub fn approve_maker_ix(payer: Pubkey, authority: Pubkey, maker: Pubkey) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::ApproveMaker {
            payer,
            authority,
            network: network_pda().0,
            maker_account: maker_pda(&maker).0,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::ApproveMaker { maker },
    )
}

pub fn revoke_maker_ix(authority: Pubkey, maker: Pubkey) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::RevokeMaker {
            authority,
            network: network_pda().0,
            maker_account: maker_pda(&maker).0,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::RevokeMaker {},
    )
}

/// The staking accounts every collateral CPI of the rewards program passes.
pub struct StakingCpiAccounts {
    pub collateral_authority: Pubkey,
    pub staking_config: Pubkey,
    pub staking_event_authority: Pubkey,
    pub staking_program: Pubkey,
}

pub fn staking_cpi_accounts() -> StakingCpiAccounts {
    StakingCpiAccounts {
        collateral_authority: super::staking_ix::collateral_authority_pda().0,
        staking_config: super::staking_ix::config_pda().0,
        staking_event_authority: event_authority(&staking::ID),
        staking_program: staking::ID,
    }
}

/// `onboard_device`'s accounts; `position` is the owner's staking position that takes the
/// device's collateral.
pub fn onboard_device_accounts(
    payer: Pubkey,
    owner: Pubkey,
    device: Pubkey,
    maker: Pubkey,
    fee_source: Pubkey,
    token_program: TokenProgram,
    position: Pubkey,
) -> rewards::accounts::OnboardDevice {
    let s = staking_cpi_accounts();
    rewards::accounts::OnboardDevice {
        payer,
        owner,
        device,
        maker,
        maker_account: maker_pda(&maker).0,
        device_account: device_pda(&device).0,
        network: network_pda().0,
        mint: mint_pda().0,
        fee_source,
        token_program: token_program.id(),
        system_program: anchor_lang::system_program::ID,
        position,
        collateral_authority: s.collateral_authority,
        staking_config: s.staking_config,
        staking_event_authority: s.staking_event_authority,
        staking_program: s.staking_program,
        instructions: anchor_lang::compat::solana_instructions_sysvar::ID,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

/// `onboard_device` alone: the device's signature must precede it (see
/// [`crate::onboarding::instructions`], which builds both).
pub fn onboard_device(
    accounts: rewards::accounts::OnboardDevice,
    args: OnboardDeviceArgs,
) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::OnboardDevice { args },
    )
}

/// `transfer_device`'s accounts: `position` is the one bound to the device, `new_position` the
/// new owner's.
pub fn transfer_device_accounts(
    owner: Pubkey,
    new_owner: Pubkey,
    device: Pubkey,
    position: Pubkey,
    new_position: Pubkey,
) -> rewards::accounts::TransferDevice {
    let s = staking_cpi_accounts();
    rewards::accounts::TransferDevice {
        owner,
        new_owner,
        device_account: device_pda(&device).0,
        network: network_pda().0,
        position,
        new_position,
        collateral_authority: s.collateral_authority,
        staking_config: s.staking_config,
        staking_event_authority: s.staking_event_authority,
        staking_program: s.staking_program,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn transfer_device(accounts: rewards::accounts::TransferDevice) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::TransferDevice {},
    )
}

pub fn transfer_device_ix(
    owner: Pubkey,
    new_owner: Pubkey,
    device: Pubkey,
    position: Pubkey,
    new_position: Pubkey,
) -> Instruction {
    transfer_device(transfer_device_accounts(
        owner,
        new_owner,
        device,
        position,
        new_position,
    ))
}

/// `update_location`'s accounts: `fee_source` is the owner's network-token account the
/// location fee is burned from.
pub fn update_location_accounts(
    owner: Pubkey,
    device: Pubkey,
    fee_source: Pubkey,
    token_program: TokenProgram,
) -> rewards::accounts::UpdateLocation {
    rewards::accounts::UpdateLocation {
        owner,
        device_account: device_pda(&device).0,
        network: network_pda().0,
        mint: mint_pda().0,
        fee_source,
        token_program: token_program.id(),
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn update_location(
    accounts: rewards::accounts::UpdateLocation,
    args: UpdateLocationArgs,
) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::UpdateLocation { args },
    )
}

/// `update_location` of `device` to the H3 cell `location`, the fee burned from `fee_source`.
pub fn update_location_ix(
    owner: Pubkey,
    device: Pubkey,
    fee_source: Pubkey,
    token_program: TokenProgram,
    location: u64,
) -> Instruction {
    update_location(
        update_location_accounts(owner, device, fee_source, token_program),
        UpdateLocationArgs { location },
    )
}

/// `decommission_device`'s accounts: `position` is the one bound to the device.
pub fn decommission_device_accounts(
    owner: Pubkey,
    device: Pubkey,
    position: Pubkey,
) -> rewards::accounts::DecommissionDevice {
    let s = staking_cpi_accounts();
    rewards::accounts::DecommissionDevice {
        owner,
        device_account: device_pda(&device).0,
        network: network_pda().0,
        position,
        collateral_authority: s.collateral_authority,
        staking_config: s.staking_config,
        staking_event_authority: s.staking_event_authority,
        staking_program: s.staking_program,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn decommission_device(accounts: rewards::accounts::DecommissionDevice) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::DecommissionDevice {},
    )
}

pub fn decommission_device_ix(owner: Pubkey, device: Pubkey, position: Pubkey) -> Instruction {
    decommission_device(decommission_device_accounts(owner, device, position))
}

pub fn claim_record_pda(wallet: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[CLAIM_SEED, wallet.as_ref()], &rewards::ID)
}

/// Default network parameters: no genesis supply, daily epochs from `start_ts`, emission
/// halving every two years and using at most half of `max_supply`, a circuit breaker of two
/// epochs per day, and a four-hour dispute window.
pub fn network_args(
    authority: Pubkey,
    decimals: u8,
    max_supply: u64,
    start_ts: i64,
) -> InitializeNetworkArgs {
    let halving_interval_epochs = 730;
    let initial_epoch_emission = (max_supply / 4 / halving_interval_epochs).max(1);
    InitializeNetworkArgs {
        authority,
        decimals,
        max_supply,
        genesis_supply: 0,
        emission: EmissionParams {
            start_ts,
            epoch_secs: 86_400,
            initial_epoch_emission,
            halving_interval_epochs,
        },
        mint_window_secs: 86_400,
        mint_window_threshold: initial_epoch_emission.saturating_mul(2),
        dispute_secs: 4 * 3_600,
        onboard_fee: 0,
        location_fee: 0,
        timelock_secs: 3_600,
        input_secs: 600,
        oracle_set: None,
    }
}

/// `initialize_network`'s accounts; `genesis_owner` will own the genesis account.
pub fn initialize_network_accounts(
    env: &impl Deployment,
    token_program: TokenProgram,
    genesis_owner: Pubkey,
) -> rewards::accounts::InitializeNetwork {
    rewards::accounts::InitializeNetwork {
        payer: env.payer(),
        upgrade_authority: env.deployer(),
        this_program: rewards::ID,
        program_data: program_data_address(&rewards::ID),
        network: network_pda().0,
        mint: mint_pda().0,
        rewards_vault: rewards_vault_pda().0,
        genesis_owner,
        genesis_account: genesis_pda().0,
        oracle_set: oracle_set_pda().0,
        token_program: token_program.id(),
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn initialize_network(
    accounts: rewards::accounts::InitializeNetwork,
    args: InitializeNetworkArgs,
) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::InitializeNetwork { args },
    )
}

pub fn crank_epoch_accounts(token_program: TokenProgram) -> rewards::accounts::CrankEpoch {
    rewards::accounts::CrankEpoch {
        network: network_pda().0,
        mint: mint_pda().0,
        rewards_vault: rewards_vault_pda().0,
        token_program: token_program.id(),
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn crank_epoch(accounts: rewards::accounts::CrankEpoch) -> Instruction {
    anchor_ix(rewards::ID, accounts, rewards::instruction::CrankEpoch {})
}

pub fn change_pda(id: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[CHANGE_SEED, &id.to_le_bytes()], &rewards::ID)
}

/// `propose_change`, which will create change `id` (the network's `changes_proposed`).
pub fn propose_change_ix(
    proposer: Pubkey,
    authority: Pubkey,
    id: u64,
    update: ParamUpdate,
) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::ProposeChange {
            proposer,
            authority,
            network: network_pda().0,
            change: change_pda(id).0,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::ProposeChange { update },
    )
}

pub fn apply_change_ix(id: u64, proposer: Pubkey) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::ApplyChange {
            network: network_pda().0,
            oracle_set: oracle_set_pda().0,
            change: change_pda(id).0,
            proposer,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::ApplyChange {},
    )
}

pub fn cancel_change_ix(authority: Pubkey, id: u64, proposer: Pubkey) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::CancelChange {
            authority,
            network: network_pda().0,
            change: change_pda(id).0,
            proposer,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::CancelChange {},
    )
}

/// `vote_root`'s accounts in voting round 0 (no root voided yet); see `vote_root_accounts_in`.
pub fn vote_root_accounts(
    oracle: Pubkey,
    set_version: u32,
    args: &VoteRootArgs,
) -> rewards::accounts::VoteRoot {
    vote_root_accounts_in(oracle, set_version, 0, args)
}

pub fn vote_root_accounts_in(
    oracle: Pubkey,
    set_version: u32,
    round: u64,
    args: &VoteRootArgs,
) -> rewards::accounts::VoteRoot {
    rewards::accounts::VoteRoot {
        oracle,
        network: network_pda().0,
        oracle_set: oracle_set_pda().0,
        bond: bond_pda(&oracle).0,
        proposal: proposal_pda(set_version, round, args).0,
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn vote_root(accounts: rewards::accounts::VoteRoot, args: VoteRootArgs) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::VoteRoot { args },
    )
}

pub fn post_bond_accounts(oracle: Pubkey) -> rewards::accounts::PostBond {
    rewards::accounts::PostBond {
        oracle,
        bond: bond_pda(&oracle).0,
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn post_bond(accounts: rewards::accounts::PostBond, amount: u64) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::PostBond { amount },
    )
}

pub fn withdraw_bond_accounts(oracle: Pubkey) -> rewards::accounts::WithdrawBond {
    rewards::accounts::WithdrawBond {
        oracle,
        bond: bond_pda(&oracle).0,
        oracle_set: oracle_set_pda().0,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn withdraw_bond(accounts: rewards::accounts::WithdrawBond, amount: u64) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::WithdrawBond { amount },
    )
}

/// The probe PDA of `(proposal, side, index)`.
pub fn probe_pda(proposal: &Pubkey, side: ProbeSide, index: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            PROBE_SEED,
            proposal.as_ref(),
            &[side.seed()],
            &index.to_le_bytes(),
        ],
        &rewards::ID,
    )
}

pub fn open_probe_ix(opener: Pubkey, proposal: Pubkey, args: OpenProbeArgs) -> Instruction {
    let probe = probe_pda(&proposal, args.side, args.index).0;
    anchor_ix(
        rewards::ID,
        rewards::accounts::OpenProbe {
            opener,
            proposal,
            probe,
            system_program: anchor_lang::system_program::ID,
        },
        rewards::instruction::OpenProbe { args },
    )
}

pub fn extend_probe_ix(
    signer: Pubkey,
    proposal: Pubkey,
    probe: Pubkey,
    args: ExtendProbeArgs,
) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::ExtendProbe {
            signer,
            proposal,
            probe,
        },
        rewards::instruction::ExtendProbe { args },
    )
}

/// `contest_root`: `oracle` (a seat of the proposal's set that did not vote for it) contests the
/// posted `proposal`.
pub fn contest_root_ix(oracle: Pubkey, proposal: Pubkey) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::ContestRoot {
            oracle,
            network: network_pda().0,
            oracle_set: oracle_set_pda().0,
            proposal,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::ContestRoot {},
    )
}

/// The epoch's input commitments: PDA `["inputs", epoch_le]`.
pub fn inputs_pda(epoch: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[INPUTS_SEED, &epoch.to_le_bytes()], &rewards::ID)
}

/// `commit_reports`: `oracle` (a seat of the current set; it pays the rent of the epoch's inputs
/// if it is the first) commits the hash of its report set for `args.epoch`.
pub fn commit_reports_ix(oracle: Pubkey, args: CommitReportsArgs) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::CommitReports {
            oracle,
            network: network_pda().0,
            oracle_set: oracle_set_pda().0,
            inputs: inputs_pda(args.epoch).0,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::CommitReports { args },
    )
}

/// `ack_reports`: `oracle` says it holds the committed sets `held` (bit `i` = seat `i`) of
/// `epoch`.
pub fn ack_reports_ix(oracle: Pubkey, epoch: u64, held: u16) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::AckReports {
            oracle,
            network: network_pda().0,
            oracle_set: oracle_set_pda().0,
            inputs: inputs_pda(epoch).0,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::AckReports { held },
    )
}

/// The network's lookup-table record `["lut"]` (it holds the table's address).
pub fn lookup_table_record_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[LUT_SEED], &rewards::ID)
}

/// The lookup table's authority `["lut_authority"]`.
pub fn lut_authority_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[LUT_AUTHORITY_SEED], &rewards::ID)
}

/// `create_lookup_table`: anyone (`payer`) creates the network's lookup table at the address
/// derived from `recent_slot` (a slot the cluster still lists in its slot hashes), once.
pub fn create_lookup_table_ix(payer: Pubkey, recent_slot: u64) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::CreateLookupTable {
            payer,
            network: network_pda().0,
            lookup_table_record: lookup_table_record_pda().0,
            lut_authority: lut_authority_pda().0,
            lookup_table: rewards::instructions::table_address(recent_slot).0,
            address_lookup_table_program: ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::CreateLookupTable { recent_slot },
    )
}

/// `close_inputs`: anyone closes `epoch`'s final inputs; the rent goes to `payer` (the oracle
/// that created them).
pub fn close_inputs_ix(epoch: u64, payer: Pubkey) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::CloseInputs {
            network: network_pda().0,
            inputs: inputs_pda(epoch).0,
            payer,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::CloseInputs {},
    )
}

/// `demand_probe`: `demander` deposits at most `max_deposit` lamports (the deposit doubles with
/// every 256 demands open on the root: `RootProposal::demand_deposit`).
pub fn demand_probe_ix(
    demander: Pubkey,
    proposal: Pubkey,
    probe: Pubkey,
    max_deposit: u64,
) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::DemandProbe {
            demander,
            network: network_pda().0,
            proposal,
            probe,
            system_program: anchor_lang::system_program::ID,
        },
        rewards::instruction::DemandProbe { max_deposit },
    )
}

/// `open_probe` at the root of the posted tree of `proposal` (leaf count `leaves`), for a
/// demander that knows nothing else of the tree.
pub fn open_probe_at_root(
    proposal: &rewards::state::RootProposal,
    index: u64,
) -> Option<OpenProbeArgs> {
    let height = merkle_sum::height(proposal.leaves)?;
    Some(OpenProbeArgs {
        side: ProbeSide::Posted,
        index,
        target: ProbeTarget::Node {
            level: u8::try_from(height).ok()?,
            node: MerkleNode {
                hash: proposal.root,
                sum: proposal.total,
            },
        },
        path: Vec::new(),
    })
}

/// `close_probe`; `demander` is the payer of an unearned demand deposit still held by the probe
/// (`Probe::demand`), which goes back to it.
pub fn close_probe_ix(
    probe: Pubkey,
    proposal: Pubkey,
    opener: Pubkey,
    demander: Option<Pubkey>,
) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::CloseProbe {
            probe,
            proposal,
            opener,
            demander,
        },
        rewards::instruction::CloseProbe {},
    )
}

/// `prove_fraud` with the bond records of `voters` (the proposal's recorded voter keys, in seat
/// order) as its remaining accounts.
pub fn prove_fraud_ix(
    challenger: Pubkey,
    proposal: Pubkey,
    probes: (Pubkey, Option<Pubkey>),
    evidence: Evidence,
    voters: &[Pubkey],
) -> Instruction {
    let mut ix = anchor_ix(
        rewards::ID,
        rewards::accounts::ProveFraud {
            challenger,
            network: network_pda().0,
            oracle_set: oracle_set_pda().0,
            proposal,
            first: probes.0,
            second: probes.1,
            incinerator: INCINERATOR,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::ProveFraud { evidence },
    );
    ix.accounts.extend(
        voters
            .iter()
            .map(|o| AccountMeta::new(bond_pda(o).0, false)),
    );
    ix
}

/// The voters recorded in `proposal`, in seat order: the keys whose bonds `prove_fraud` takes.
pub fn proposal_voters(proposal: &rewards::state::RootProposal) -> Vec<Pubkey> {
    (0..rewards::constants::MAX_ORACLES)
        .filter(|seat| proposal.votes & (1u16 << seat) != 0)
        .map(|seat| proposal.voters[seat])
        .collect()
}

/// The probe steps that prove leaf `index` of `tree` (the tree the proposal's `side` commits
/// to) is `(wallet, amount)`; see [`probe_steps_on_path`]. `None` if `index` is out of range or
/// the leaf is not `(wallet, amount)`.
pub fn probe_steps(
    tree: &merkle_sum::Tree,
    side: ProbeSide,
    index: usize,
    leaf: ([u8; 32], u64),
    step: usize,
) -> Option<(OpenProbeArgs, Vec<ExtendProbeArgs>)> {
    if tree.leaf(index)? != merkle_sum::leaf(&leaf.0, leaf.1) {
        return None;
    }
    let path = tree.shaped_path(index, 0, tree.height())?;
    let count = u64::try_from(tree.len()).ok()?;
    probe_steps_on_path(side, u64::try_from(index).ok()?, count, leaf, &path, step)
}

/// The probe steps for leaf `index` of a tree of `count` leaves given only the leaf and its
/// whole shaped path (siblings bottom first, as `merkle_sum::Tree::shaped_path` gives them): an
/// `open_probe` from the root down, then `extend_probe`s, each with at most `step` siblings, the
/// last naming the leaf's wallet and amount. Works on a tree known only along one path (a
/// watcher's view, or a test's tree of depth 20 built by construction). `None` if the path does
/// not fit the shape or `step` is 0.
pub fn probe_steps_on_path(
    side: ProbeSide,
    index: u64,
    count: u64,
    leaf: ([u8; 32], u64),
    path: &[merkle_sum::Node],
    step: usize,
) -> Option<(OpenProbeArgs, Vec<ExtendProbeArgs>)> {
    let height = merkle_sum::height(count)?;
    let steps = probe_steps_below(index, count, leaf, path, height, step)?;
    open_then_extends(side, index, steps)
}

/// Steps from the root ([`probe_steps_below`] at the tree's height) as the transactions that
/// send them: the first opens the probe of leaf `index` on `side`, the others extend it. `None`
/// for no steps.
pub fn open_then_extends(
    side: ProbeSide,
    index: u64,
    steps: Vec<(ProbeTarget, Vec<MerkleNode>)>,
) -> Option<(OpenProbeArgs, Vec<ExtendProbeArgs>)> {
    let mut steps = steps.into_iter();
    let (target, path) = steps.next()?;
    let open = OpenProbeArgs {
        side,
        index,
        target,
        path,
    };
    let extends = steps
        .map(|(target, path)| ExtendProbeArgs { target, path })
        .collect();
    Some((open, extends))
}

/// The steps (each a target and the siblings between it and the level above) that take a probe
/// standing at level `from` of leaf `index`'s path down to the leaf, each with at most `step`
/// siblings: from the root (`from` = the height) they are `open_probe` then `extend_probe`s;
/// from a lower level, where someone else's probe stands, `extend_probe`s. A probe at level 0
/// gets one step naming the leaf. `path` is the leaf's whole shaped path. `None` if the path
/// does not fit the shape, `from` is above the root or `step` is 0.
pub fn probe_steps_below(
    index: u64,
    count: u64,
    (wallet, amount): ([u8; 32], u64),
    path: &[merkle_sum::Node],
    from: u32,
    step: usize,
) -> Option<Vec<(ProbeTarget, Vec<MerkleNode>)>> {
    let height = merkle_sum::height(count)?;
    if step == 0 || index >= count || from > height {
        return None;
    }
    // The node at every level, and where each level's siblings start in `path`.
    let mut nodes = vec![merkle_sum::leaf(&wallet, amount)];
    let mut starts = vec![0usize];
    for level in 0..height {
        let first = *starts.last()?;
        let n = merkle_sum::path_len(index, count, level, level + 1) as usize;
        let below = *nodes.last()?;
        let next = merkle_sum::fold_at(
            below,
            index,
            count,
            level,
            level + 1,
            path.get(first..first + n)?.iter().copied(),
        )
        .ok()?;
        nodes.push(next);
        starts.push(first + n);
    }
    if *starts.last()? != path.len() {
        return None;
    }
    // Cut the levels from `from` down so that each step carries at most `step` siblings.
    let mut cuts = vec![from];
    while let Some(&upper) = cuts.last().filter(|l| **l > 0) {
        let mut lower = upper;
        while lower > 0 && starts[upper as usize] - starts[lower as usize - 1] <= step {
            lower -= 1;
        }
        if lower == upper {
            return None; // a level with more siblings than a step: impossible (one per level)
        }
        cuts.push(lower);
    }
    let target = |level: u32| -> Option<ProbeTarget> {
        Some(if level == 0 {
            ProbeTarget::Leaf {
                wallet: Pubkey::new_from_array(wallet),
                amount,
            }
        } else {
            ProbeTarget::Node {
                level: u8::try_from(level).ok()?,
                node: (*nodes.get(level as usize)?).into(),
            }
        })
    };
    let siblings = |lower: u32, upper: u32| -> Option<Vec<MerkleNode>> {
        let slice = path.get(starts[lower as usize]..starts[upper as usize])?;
        Some(slice.iter().map(|n| MerkleNode::from(*n)).collect())
    };
    let mut steps = Vec::new();
    for pair in cuts.windows(2) {
        steps.push((target(pair[1])?, siblings(pair[1], pair[0])?));
    }
    if steps.is_empty() {
        // At level 0 already (or a one-leaf tree, whose leaf is its root): name the leaf.
        steps.push((target(0)?, Vec::new()));
    }
    Some(steps)
}

pub fn finalize_root_accounts(proposal: Pubkey) -> rewards::accounts::FinalizeRoot {
    rewards::accounts::FinalizeRoot {
        network: network_pda().0,
        oracle_set: oracle_set_pda().0,
        proposal,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn close_proposal_ix(proposal: Pubkey, payer: Pubkey) -> Instruction {
    anchor_ix(
        rewards::ID,
        rewards::accounts::CloseProposal {
            network: network_pda().0,
            oracle_set: oracle_set_pda().0,
            proposal,
            payer,
            event_authority: event_authority(&rewards::ID),
            program: rewards::ID,
        },
        rewards::instruction::CloseProposal {},
    )
}

pub fn finalize_root(accounts: rewards::accounts::FinalizeRoot) -> Instruction {
    anchor_ix(rewards::ID, accounts, rewards::instruction::FinalizeRoot {})
}

pub fn claim_accounts(
    payer: Pubkey,
    wallet: Pubkey,
    destination: Pubkey,
    token_program: TokenProgram,
) -> rewards::accounts::Claim {
    rewards::accounts::Claim {
        payer,
        wallet,
        claim_record: claim_record_pda(&wallet).0,
        network: network_pda().0,
        mint: mint_pda().0,
        rewards_vault: rewards_vault_pda().0,
        destination,
        token_program: token_program.id(),
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn claim(accounts: rewards::accounts::Claim, args: ClaimArgs) -> Instruction {
    anchor_ix(rewards::ID, accounts, rewards::instruction::Claim { args })
}

/// `claim_to_position`'s accounts: `wallet` signs, `position` is its staking position.
pub fn claim_to_position_accounts(
    wallet: Pubkey,
    position: Pubkey,
    token_program: TokenProgram,
) -> rewards::accounts::ClaimToPosition {
    rewards::accounts::ClaimToPosition {
        wallet,
        claim_record: claim_record_pda(&wallet).0,
        network: network_pda().0,
        mint: mint_pda().0,
        rewards_vault: rewards_vault_pda().0,
        position,
        staking_config: super::staking_ix::config_pda().0,
        staking_vault: super::staking_ix::vault_pda().0,
        staking_revenue_vault: super::staking_ix::revenue_vault_pda().0,
        token_program: token_program.id(),
        staking_event_authority: event_authority(&staking::ID),
        staking_program: staking::ID,
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn claim_to_position(
    accounts: rewards::accounts::ClaimToPosition,
    args: ClaimArgs,
) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::ClaimToPosition { args },
    )
}

/// `claim_in_stablecoin`'s accounts: `wallet` signs and is paid into `destination`, its token
/// account of the coin `v` names (with the coin's pinned venue and the price update).
pub fn claim_in_stablecoin_accounts(
    wallet: Pubkey,
    destination: Pubkey,
    v: &super::treasury_ix::StableClaimVenue,
) -> rewards::accounts::ClaimInStablecoin {
    use super::treasury_ix::{bought_pda, stablecoin_pda, treasury_pda, vault_pda};
    rewards::accounts::ClaimInStablecoin {
        wallet,
        claim_record: claim_record_pda(&wallet).0,
        network: network_pda().0,
        mint: mint_pda().0,
        rewards_vault: rewards_vault_pda().0,
        stable_claim_authority: rewards::constants::STABLE_CLAIM_AUTHORITY,
        treasury: treasury_pda().0,
        stablecoin: stablecoin_pda(&v.stable_mint).0,
        stable_vault: vault_pda(&v.stable_mint).0,
        stable_mint: v.stable_mint,
        destination,
        bought: bought_pda(&v.stable_mint).0,
        price_update: v.price_update,
        pool_quote_reserve: v.venue.quote_reserve,
        pool_token_reserve: v.venue.token_reserve,
        stable_token_program: v.stable_token_program.id(),
        token_program: v.network_token_program.id(),
        treasury_event_authority: event_authority(&treasury::ID),
        treasury_program: treasury::ID,
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

pub fn claim_in_stablecoin(
    accounts: rewards::accounts::ClaimInStablecoin,
    args: ClaimInStablecoinArgs,
) -> Instruction {
    anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::ClaimInStablecoin { args },
    )
}

/// The program's proof type from the shared crate's.
pub fn proof_nodes(proof: &merkle_sum::Proof) -> Vec<ProofNode> {
    proof
        .siblings
        .iter()
        .map(|s| ProofNode {
            hash: s.node.hash,
            sum: s.node.sum,
            is_left: s.is_left,
        })
        .collect()
}
