//! Instruction builders for the protocol programs: the PDAs and the default (correct) account
//! set of each instruction. Tests substitute single accounts to check refusals; the bench and
//! the demo use them as they are.

use anchor_lang::prelude::Pubkey;
use solana_signer::Signer;

use crate::{Instruction, TestEnv, TokenProgram, anchor_ix, event_authority, program_data_address};

pub mod rewards_ix {
    use super::*;
    use rewards::constants::{MINT_SEED, NETWORK_SEED};
    pub use rewards::instructions::InitializeNetworkArgs;

    pub fn network_pda() -> (Pubkey, u8) {
        Pubkey::find_program_address(&[NETWORK_SEED], &rewards::ID)
    }

    pub fn mint_pda() -> (Pubkey, u8) {
        Pubkey::find_program_address(&[MINT_SEED], &rewards::ID)
    }

    pub fn initialize_network_accounts(
        env: &TestEnv,
        token_program: TokenProgram,
    ) -> rewards::accounts::InitializeNetwork {
        rewards::accounts::InitializeNetwork {
            payer: env.payer.pubkey(),
            upgrade_authority: env.deployer.pubkey(),
            this_program: rewards::ID,
            program_data: program_data_address(&rewards::ID),
            network: network_pda().0,
            mint: mint_pda().0,
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
}

pub mod staking_ix {
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
}

pub mod treasury_ix {
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
}
