//! Builders for the `rewards` program.

use super::*;
use rewards::constants::{
    BOND_SEED, CHANGE_SEED, CLAIM_SEED, DEVICE_SEED, GENESIS_SEED, INCINERATOR, MAKER_SEED,
    MINT_SEED, NETWORK_SEED, ORACLE_SET_SEED, PROPOSAL_SEED, REWARDS_VAULT_SEED,
};
pub use rewards::instructions::{
    ClaimArgs, Evidence, InitialOracleSet, InitializeNetworkArgs, OnboardDeviceArgs, VoteRootArgs,
};
pub use rewards::state::EmissionParams;
pub use rewards::state::{DeviceKind, ParamUpdate};
pub use rewards::types::{MerkleNode, ProofNode};

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
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

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
        timelock_secs: 3_600,
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
        network: network_pda().0,
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

pub fn challenge_root_accounts(
    challenger: Pubkey,
    proposal: Pubkey,
) -> rewards::accounts::ChallengeRoot {
    rewards::accounts::ChallengeRoot {
        challenger,
        network: network_pda().0,
        oracle_set: oracle_set_pda().0,
        proposal,
        incinerator: INCINERATOR,
        instructions: anchor_lang::prelude::pubkey!("Sysvar1nstructions1111111111111111111111111"),
        event_authority: event_authority(&rewards::ID),
        program: rewards::ID,
    }
}

/// `challenge_root` with the bond records of `slashed` (oracle keys, in seat order) as its
/// remaining accounts.
pub fn challenge_root(
    accounts: rewards::accounts::ChallengeRoot,
    evidence: Evidence,
    slashed: &[Pubkey],
) -> Instruction {
    let mut ix = anchor_ix(
        rewards::ID,
        accounts,
        rewards::instruction::ChallengeRoot { evidence },
    );
    ix.accounts.extend(
        slashed
            .iter()
            .map(|o| AccountMeta::new(bond_pda(o).0, false)),
    );
    ix
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
