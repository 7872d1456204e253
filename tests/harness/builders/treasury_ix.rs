//! Builders for the `treasury` program.

use super::*;
use treasury::constants::TREASURY_SEED;
pub use treasury::instructions::InitializeTreasuryArgs;

pub fn treasury_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[TREASURY_SEED], &treasury::ID)
}

pub fn initialize_treasury_accounts(
    env: &TestEnv,
    network_mint: Pubkey,
) -> treasury::accounts::InitializeTreasury {
    treasury::accounts::InitializeTreasury {
        payer: env.payer.pubkey(),
        upgrade_authority: env.deployer.pubkey(),
        this_program: treasury::ID,
        program_data: program_data_address(&treasury::ID),
        treasury: treasury_pda().0,
        network_mint,
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

pub fn initialize_treasury(
    accounts: treasury::accounts::InitializeTreasury,
    args: InitializeTreasuryArgs,
) -> Instruction {
    anchor_ix(
        treasury::ID,
        accounts,
        treasury::instruction::InitializeTreasury { args },
    )
}
