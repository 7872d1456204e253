//! Builders for the `staking` program.

use super::*;

use staking::constants::{
    CHANGE_SEED, COLLATERAL_AUTHORITY_SEED, CONFIG_SEED, ORACLE_SET_SEED, POSITION_SEED,
    REVENUE_VAULT_SEED, SLASH_APPROVAL_SEED, SLASH_RECORD_SEED, STAKER_SEED, VAULT_SEED,
    VOTER_WEIGHT_RECORD_SEED,
};
pub use staking::instructions::{
    CreateVoterWeightRecordArgs, InitializeStakingArgs, ProposeSlashArgs, StakeArgs,
};
pub use staking::state::{LockupKind, StakingUpdate, VotingMode};

pub fn config_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[CONFIG_SEED], &staking::ID)
}

pub fn vault_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT_SEED], &staking::ID)
}

pub fn revenue_vault_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[REVENUE_VAULT_SEED], &staking::ID)
}

pub fn position_pda(owner: &Pubkey, id: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[POSITION_SEED, owner.as_ref(), &id.to_le_bytes()],
        &staking::ID,
    )
}

/// A queued staking parameter change.
pub fn change_pda(id: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[CHANGE_SEED, &id.to_le_bytes()], &staking::ID)
}

/// `propose_change`: governance (`authority`) queues change `id` (the config's
/// `changes_proposed`); `proposer` pays the rent and gets it back.
pub fn propose_change_ix(
    proposer: Pubkey,
    authority: Pubkey,
    id: u64,
    update: StakingUpdate,
) -> Instruction {
    let realm = match update {
        StakingUpdate::Realm(realm) => realm,
        _ => Pubkey::default(),
    };
    let ix = anchor_ix(
        staking::ID,
        staking::accounts::ProposeChange {
            proposer,
            authority,
            config: config_pda().0,
            change: change_pda(id).0,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::ProposeChange { update },
    );
    with_realm(ix, realm)
}

/// `apply_change` (anyone) of change `id`, its rent back to `proposer`.
pub fn apply_change_ix(id: u64, proposer: Pubkey) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::ApplyChange {
            config: config_pda().0,
            change: change_pda(id).0,
            proposer,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::ApplyChange {},
    )
}

/// `cancel_change` by governance (`authority`) of change `id`.
pub fn cancel_change_ix(authority: Pubkey, id: u64, proposer: Pubkey) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::CancelChange {
            authority,
            config: config_pda().0,
            change: change_pda(id).0,
            proposer,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::CancelChange {},
    )
}

/// An owner's `Staker` (its revenue share and voting tally).
pub fn staker_pda(owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[STAKER_SEED, owner.as_ref()], &staking::ID)
}

/// The record of `evidence_hash`'s slash against `position` (it exists once proposed).
pub fn slash_record_pda(position: &Pubkey, evidence_hash: &[u8; 32]) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[SLASH_RECORD_SEED, position.as_ref(), evidence_hash],
        &staking::ID,
    )
}

/// The approvals gathered for slashing `amount_bps` of `position` for `evidence_hash`.
pub fn slash_approval_pda(
    position: &Pubkey,
    evidence_hash: &[u8; 32],
    amount_bps: u16,
) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            SLASH_APPROVAL_SEED,
            position.as_ref(),
            evidence_hash,
            &amount_bps.to_le_bytes(),
        ],
        &staking::ID,
    )
}

pub fn voter_weight_record_pda(realm: &Pubkey, mint: &Pubkey, owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            VOTER_WEIGHT_RECORD_SEED,
            realm.as_ref(),
            mint.as_ref(),
            owner.as_ref(),
        ],
        &staking::ID,
    )
}

/// The rewards program's PDA that signs `bind_collateral` / `release_collateral`.
pub fn collateral_authority_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[COLLATERAL_AUTHORITY_SEED], &rewards::ID)
}

/// The rewards program's oracle set PDA.
pub fn rewards_oracle_set_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[ORACLE_SET_SEED], &rewards::ID)
}

pub fn initialize_staking_accounts(
    env: &impl Deployment,
    token_program: TokenProgram,
    stake_mint: Pubkey,
) -> staking::accounts::InitializeStaking {
    staking::accounts::InitializeStaking {
        payer: env.payer(),
        upgrade_authority: env.deployer(),
        this_program: staking::ID,
        program_data: program_data_address(&staking::ID),
        config: config_pda().0,
        stake_mint,
        vault: vault_pda().0,
        token_program: token_program.id(),
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
}

/// `initialize_staking`; a realm named in `args` follows as the remaining account the program
/// checks.
pub fn initialize_staking(
    accounts: staking::accounts::InitializeStaking,
    args: InitializeStakingArgs,
) -> Instruction {
    let realm = args.realm;
    with_realm(
        anchor_ix(
            staking::ID,
            accounts,
            staking::instruction::InitializeStaking { args },
        ),
        realm,
    )
}

/// `ix` with `realm` appended (read-only) unless it is `Pubkey::default()` (no realm).
fn with_realm(mut ix: Instruction, realm: Pubkey) -> Instruction {
    if realm != Pubkey::default() {
        ix.accounts.push(AccountMeta::new_readonly(realm, false));
    }
    ix
}

/// `initialize_revenue`'s accounts; `upgrade_authority` is the staking program's (the deployer).
pub fn initialize_revenue_accounts(
    payer: Pubkey,
    upgrade_authority: Pubkey,
    revenue_mint: Pubkey,
    revenue_token_program: TokenProgram,
) -> staking::accounts::InitializeRevenue {
    staking::accounts::InitializeRevenue {
        payer,
        upgrade_authority,
        this_program: staking::ID,
        program_data: program_data_address(&staking::ID),
        config: config_pda().0,
        revenue_mint,
        revenue_vault: revenue_vault_pda().0,
        revenue_token_program: revenue_token_program.id(),
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
}

pub fn initialize_revenue(accounts: staking::accounts::InitializeRevenue) -> Instruction {
    anchor_ix(
        staking::ID,
        accounts,
        staking::instruction::InitializeRevenue {},
    )
}

pub fn stake_accounts(
    owner: Pubkey,
    id: u64,
    stake_mint: Pubkey,
    source: Pubkey,
    token_program: TokenProgram,
) -> staking::accounts::Stake {
    staking::accounts::Stake {
        owner,
        config: config_pda().0,
        position: position_pda(&owner, id).0,
        staker: staker_pda(&owner).0,
        stake_mint,
        source,
        vault: vault_pda().0,
        revenue_vault: revenue_vault_pda().0,
        token_program: token_program.id(),
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
}

pub fn stake(accounts: staking::accounts::Stake, args: StakeArgs) -> Instruction {
    anchor_ix(staking::ID, accounts, staking::instruction::Stake { args })
}

pub fn add_to_position_accounts(
    depositor: Pubkey,
    position: Pubkey,
    stake_mint: Pubkey,
    source: Pubkey,
    token_program: TokenProgram,
) -> staking::accounts::AddToPosition {
    staking::accounts::AddToPosition {
        depositor,
        config: config_pda().0,
        position,
        stake_mint,
        source,
        vault: vault_pda().0,
        revenue_vault: revenue_vault_pda().0,
        token_program: token_program.id(),
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
}

pub fn add_to_position(accounts: staking::accounts::AddToPosition, amount: u64) -> Instruction {
    anchor_ix(
        staking::ID,
        accounts,
        staking::instruction::AddToPosition { amount },
    )
}

pub fn extend_lock_ix(owner: Pubkey, position: Pubkey, lockup_secs: u64) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::ExtendLock {
            owner,
            config: config_pda().0,
            position,
            staker: staker_pda(&owner).0,
            revenue_vault: revenue_vault_pda().0,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::ExtendLock { lockup_secs },
    )
}

pub fn start_unlock_ix(owner: Pubkey, position: Pubkey) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::StartUnlock {
            owner,
            config: config_pda().0,
            position,
            staker: staker_pda(&owner).0,
            revenue_vault: revenue_vault_pda().0,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::StartUnlock {},
    )
}

/// `owner`'s spl-governance token owner record in the staking config's `realm` for the stake
/// mint: `unstake` and `withdraw` read it to refuse while the owner has votes not relinquished.
pub fn token_owner_record(realm: &Pubkey, stake_mint: &Pubkey, owner: &Pubkey) -> Pubkey {
    super::governance::token_owner_record_pda(realm, stake_mint, owner)
}

/// `unstake`; `token_owner_record` is [`token_owner_record`] of the owner.
pub fn unstake_ix(
    owner: Pubkey,
    position: Pubkey,
    amount: u64,
    token_owner_record: Pubkey,
) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::Unstake {
            owner,
            config: config_pda().0,
            position,
            staker: staker_pda(&owner).0,
            revenue_vault: revenue_vault_pda().0,
            token_owner_record,
            rewards_network: staking::constants::REWARDS_NETWORK,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::Unstake { amount },
    )
}

/// `withdraw`'s accounts; `realm` is the staking config's (its token owner record of `owner` is
/// checked for open votes).
pub fn withdraw_accounts(
    owner: Pubkey,
    position: Pubkey,
    stake_mint: Pubkey,
    destination: Pubkey,
    token_program: TokenProgram,
    realm: Pubkey,
) -> staking::accounts::Withdraw {
    staking::accounts::Withdraw {
        token_owner_record: token_owner_record(&realm, &stake_mint, &owner),
        owner,
        config: config_pda().0,
        position,
        stake_mint,
        vault: vault_pda().0,
        destination,
        token_program: token_program.id(),
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
}

pub fn withdraw(accounts: staking::accounts::Withdraw, amount: u64) -> Instruction {
    anchor_ix(
        staking::ID,
        accounts,
        staking::instruction::Withdraw { amount },
    )
}

pub fn claim_revenue_accounts(
    owner: Pubkey,
    revenue_mint: Pubkey,
    destination: Pubkey,
    revenue_token_program: TokenProgram,
) -> staking::accounts::ClaimRevenue {
    staking::accounts::ClaimRevenue {
        owner,
        config: config_pda().0,
        staker: staker_pda(&owner).0,
        revenue_mint,
        revenue_vault: revenue_vault_pda().0,
        destination,
        revenue_token_program: revenue_token_program.id(),
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
}

pub fn claim_revenue(accounts: staking::accounts::ClaimRevenue) -> Instruction {
    anchor_ix(staking::ID, accounts, staking::instruction::ClaimRevenue {})
}

pub fn sync_revenue_ix() -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::SyncRevenue {
            config: config_pda().0,
            revenue_vault: revenue_vault_pda().0,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::SyncRevenue {},
    )
}

pub fn refresh_position_ix(owner: Pubkey, position: Pubkey) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::RefreshPosition {
            config: config_pda().0,
            position,
            staker: staker_pda(&owner).0,
            revenue_vault: revenue_vault_pda().0,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::RefreshPosition {},
    )
}

pub fn create_voter_weight_record_ix(
    payer: Pubkey,
    args: CreateVoterWeightRecordArgs,
) -> Instruction {
    let record = voter_weight_record_pda(
        &args.realm,
        &args.governing_token_mint,
        &args.governing_token_owner,
    )
    .0;
    anchor_ix(
        staking::ID,
        staking::accounts::CreateVoterWeightRecord {
            payer,
            voter_weight_record: record,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::CreateVoterWeightRecord { args },
    )
}

/// `positions` (all of `owner`'s, or none to use a completed tally) are passed read-only as
/// remaining accounts, in the order given.
pub fn update_voter_weight_record_ix(
    record: Pubkey,
    owner: Pubkey,
    positions: &[Pubkey],
) -> Instruction {
    let mut ix = anchor_ix(
        staking::ID,
        staking::accounts::UpdateVoterWeightRecord {
            config: config_pda().0,
            voter_weight_record: record,
            staker: staker_pda(&owner).0,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::UpdateVoterWeightRecord {},
    );
    ix.accounts.extend(read_only(positions));
    ix
}

/// `tally_positions`: the owner counts `positions` (ids increasing) towards its voting tally.
pub fn tally_positions_ix(owner: Pubkey, positions: &[Pubkey]) -> Instruction {
    let mut ix = anchor_ix(
        staking::ID,
        staking::accounts::TallyPositions {
            owner,
            config: config_pda().0,
            staker: staker_pda(&owner).0,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::TallyPositions {},
    );
    ix.accounts.extend(read_only(positions));
    ix
}

fn read_only(keys: &[Pubkey]) -> impl Iterator<Item = AccountMeta> + '_ {
    keys.iter().map(|k| AccountMeta::new_readonly(*k, false))
}

pub fn propose_slash_accounts(
    proposer: Pubkey,
    position: Pubkey,
    evidence_hash: &[u8; 32],
) -> staking::accounts::ProposeSlash {
    staking::accounts::ProposeSlash {
        proposer,
        config: config_pda().0,
        position,
        oracle_set: rewards_oracle_set_pda().0,
        instructions: anchor_lang::prelude::pubkey!("Sysvar1nstructions1111111111111111111111111"),
        slash_record: slash_record_pda(&position, evidence_hash).0,
        approval: None,
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
}

pub fn propose_slash(
    accounts: staking::accounts::ProposeSlash,
    args: ProposeSlashArgs,
) -> Instruction {
    anchor_ix(
        staking::ID,
        accounts,
        staking::instruction::ProposeSlash { args },
    )
}

/// The accounts of `approve_slash`: `payer` records approvals of slashing `args` of `position`.
pub fn approve_slash_accounts(
    payer: Pubkey,
    position: Pubkey,
    args: &ProposeSlashArgs,
) -> staking::accounts::ApproveSlash {
    staking::accounts::ApproveSlash {
        payer,
        config: config_pda().0,
        position,
        oracle_set: rewards_oracle_set_pda().0,
        instructions: anchor_lang::prelude::pubkey!("Sysvar1nstructions1111111111111111111111111"),
        approval: slash_approval_pda(&position, &args.evidence_hash, args.amount_bps).0,
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
}

pub fn approve_slash(
    accounts: staking::accounts::ApproveSlash,
    args: ProposeSlashArgs,
) -> Instruction {
    anchor_ix(
        staking::ID,
        accounts,
        staking::instruction::ApproveSlash { args },
    )
}

pub fn overturn_slash_ix(authority: Pubkey, position: Pubkey) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::OverturnSlash {
            authority,
            config: config_pda().0,
            position,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::OverturnSlash {},
    )
}

pub fn execute_slash_ix(
    owner: Pubkey,
    position: Pubkey,
    stake_mint: Pubkey,
    token_program: TokenProgram,
) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::ExecuteSlash {
            config: config_pda().0,
            position,
            staker: staker_pda(&owner).0,
            stake_mint,
            vault: vault_pda().0,
            revenue_vault: revenue_vault_pda().0,
            token_program: token_program.id(),
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::ExecuteSlash {},
    )
}

pub fn bind_collateral_ix(collateral_authority: Pubkey, position: Pubkey) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::BindCollateral {
            collateral_authority,
            config: config_pda().0,
            position,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::BindCollateral {},
    )
}

pub fn release_collateral_ix(
    collateral_authority: Pubkey,
    position: Pubkey,
    (final_epochs, liable_until_epochs): (u64, u64),
) -> Instruction {
    anchor_ix(
        staking::ID,
        staking::accounts::ReleaseCollateral {
            collateral_authority,
            config: config_pda().0,
            position,
            event_authority: event_authority(&staking::ID),
            program: staking::ID,
        },
        staking::instruction::ReleaseCollateral {
            final_epochs,
            liable_until_epochs,
        },
    )
}
