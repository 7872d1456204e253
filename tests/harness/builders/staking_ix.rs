//! Builders for the `staking` program.

use super::*;
use staking::constants::{CONFIG_SEED, VAULT_SEED};
pub use staking::instructions::InitializeStakingArgs;

pub fn config_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[CONFIG_SEED], &staking::ID)
}

pub fn vault_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT_SEED], &staking::ID)
}

pub fn initialize_staking_accounts(
    env: &TestEnv,
    token_program: TokenProgram,
    stake_mint: Pubkey,
) -> staking::accounts::InitializeStaking {
    staking::accounts::InitializeStaking {
        payer: env.payer.pubkey(),
        upgrade_authority: env.deployer.pubkey(),
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

pub fn initialize_staking(
    accounts: staking::accounts::InitializeStaking,
    args: InitializeStakingArgs,
) -> Instruction {
    anchor_ix(
        staking::ID,
        accounts,
        staking::instruction::InitializeStaking { args },
    )
}
