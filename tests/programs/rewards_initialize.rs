//! `rewards::initialize_network`: creates the network config and the PDA-owned mint.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::constants::NETWORK_VERSION;
use rewards::events::NetworkInitialized;
use rewards::state::Network;
use solana_instruction_error::InstructionError;
use solana_transaction_error::TransactionError;
use test_case::test_case;

const MAX_SUPPLY: u64 = 10_000_000_000 * 1_000_000; // 10 billion tokens, 6 decimals

fn args(authority: Pubkey) -> InitializeNetworkArgs {
    InitializeNetworkArgs {
        authority,
        decimals: 6,
        max_supply: MAX_SUPPLY,
    }
}

fn accounts(env: &TestEnv, token_program: TokenProgram) -> rewards::accounts::InitializeNetwork {
    initialize_network_accounts(env, token_program)
}

fn ix(accounts: rewards::accounts::InitializeNetwork, args: InitializeNetworkArgs) -> Instruction {
    initialize_network(accounts, args)
}

fn assert_not_created(env: &TestEnv) {
    assert!(
        env.account(&network_pda().0).is_none(),
        "network must not exist"
    );
    assert!(env.account(&mint_pda().0).is_none(), "mint must not exist");
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn creates_network_and_mint(token_program: TokenProgram) {
    let mut env = TestEnv::new();
    let governance = Pubkey::new_unique();
    let deployer = env.deployer.insecure_clone();
    let meta = expect_ok(env.send(
        &[ix(accounts(&env, token_program), args(governance))],
        &[&deployer],
    ));

    let (network_key, network_bump) = network_pda();
    let (mint_key, mint_bump) = mint_pda();
    let clock: anchor_lang::prelude::Clock = env.svm.get_sysvar();
    let network: Network = env.anchor_account(&network_key);
    assert_eq!(
        network,
        Network {
            version: NETWORK_VERSION,
            bump: network_bump,
            mint_bump,
            decimals: 6,
            authority: governance,
            mint: mint_key,
            token_program: token_program.id(),
            max_supply: MAX_SUPPLY,
            total_minted: 0,
            created_at: clock.unix_timestamp,
            reserved: [0; 128],
        }
    );
    let network_account = env.account(&network_key).unwrap();
    assert_eq!(network_account.owner, rewards::ID);
    assert_eq!(network_account.data.len(), Network::SIZE);
    assert_eq!(network_account.lamports, env.rent_exempt(Network::SIZE));

    let (mint_account, mint) = read_mint(&env, &mint_key);
    assert_eq!(mint_account.owner, token_program.id());
    assert_eq!(mint.supply, 0);
    assert_eq!(mint.decimals, 6);
    assert_eq!(mint.mint_authority, Some(network_key).into());
    assert_eq!(mint.freeze_authority, None.into());
    assert!(mint.is_initialized);

    let events: Vec<NetworkInitialized> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.network,
            e.authority,
            e.mint,
            e.token_program,
            e.decimals,
            e.max_supply,
            e.timestamp
        ),
        (
            network_key,
            governance,
            mint_key,
            token_program.id(),
            6,
            MAX_SUPPLY,
            clock.unix_timestamp
        )
    );
}

#[test]
fn refuses_a_signer_that_is_not_the_upgrade_authority() {
    let mut env = TestEnv::new();
    let impostor = env.funded_keypair();
    let mut a = accounts(&env, TokenProgram::SplToken);
    a.upgrade_authority = impostor.pubkey();
    let result = env.send(&[ix(a, args(impostor.pubkey()))], &[&impostor]);
    assert_custom_error(
        &result,
        0,
        rewards::error::RewardsError::NotUpgradeAuthority.into(),
    );
    assert_not_created(&env);
}

#[test]
fn refuses_an_unsigned_upgrade_authority() {
    let mut env = TestEnv::new();
    let mut ix = ix(
        accounts(&env, TokenProgram::SplToken),
        args(Pubkey::new_unique()),
    );
    // The deployer's key is named but its signature is missing.
    let deployer = env.deployer.pubkey();
    for meta in ix.accounts.iter_mut().filter(|m| m.pubkey == deployer) {
        meta.is_signer = false;
    }
    let result = env.send(&[ix], &[]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::AccountNotSigner.into(),
    );
    assert_not_created(&env);
}

#[test]
fn refuses_another_programs_program_data() {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let mut a = accounts(&env, TokenProgram::SplToken);
    // Staking's ProgramData also names the deployer, but it is not this program's.
    a.program_data = program_data_address(&staking::ID);
    let result = env.send(&[ix(a, args(Pubkey::new_unique()))], &[&deployer]);
    assert_custom_error(
        &result,
        0,
        rewards::error::RewardsError::InvalidProgramData.into(),
    );
    assert_not_created(&env);
}

#[test]
fn refuses_a_mint_that_is_not_the_pda() {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let fake_mint = Keypair::new();
    let mut a = accounts(&env, TokenProgram::SplToken);
    a.mint = fake_mint.pubkey();
    let result = env.send(&[ix(a, args(Pubkey::new_unique()))], &[&deployer]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
    assert_not_created(&env);
}

#[test]
fn refuses_a_token_program_that_is_not_a_token_program() {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let mut a = accounts(&env, TokenProgram::SplToken);
    a.token_program = staking::ID;
    let result = env.send(&[ix(a, args(Pubkey::new_unique()))], &[&deployer]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::InvalidProgramId.into(),
    );
    assert_not_created(&env);
}

#[test]
fn refuses_a_second_initialisation() {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let first_authority = Pubkey::new_unique();
    expect_ok(env.send(
        &[ix(
            accounts(&env, TokenProgram::SplToken),
            args(first_authority),
        )],
        &[&deployer],
    ));
    let before: Network = env.anchor_account(&network_pda().0);

    // The exact same transaction again is refused by the runtime as a duplicate...
    let replay = env.send(
        &[ix(
            accounts(&env, TokenProgram::SplToken),
            args(first_authority),
        )],
        &[&deployer],
    );
    assert_tx_error(&replay, TransactionError::AlreadyProcessed);

    // ...and a new one, even with other parameters, is refused because the accounts exist
    // (the system program's AccountAlreadyInUse, code 0).
    let again = env.send_fresh(
        &[ix(
            accounts(&env, TokenProgram::Token2022),
            args(Pubkey::new_unique()),
        )],
        &[&deployer],
    );
    assert_tx_error(
        &again,
        TransactionError::InstructionError(0, InstructionError::Custom(0)),
    );
    let after: Network = env.anchor_account(&network_pda().0);
    assert_eq!(before, after);
}

#[test_case(InitializeNetworkArgs { authority: Pubkey::new_unique(), decimals: 10, max_supply: 1 },
    rewards::error::RewardsError::InvalidDecimals ; "decimals above nine")]
#[test_case(InitializeNetworkArgs { authority: Pubkey::new_unique(), decimals: 6, max_supply: 0 },
    rewards::error::RewardsError::ZeroMaxSupply ; "zero max supply")]
#[test_case(InitializeNetworkArgs { authority: Pubkey::default(), decimals: 6, max_supply: 1 },
    rewards::error::RewardsError::InvalidAuthority ; "default authority")]
fn refuses_bad_arguments(bad: InitializeNetworkArgs, expected: rewards::error::RewardsError) {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let result = env.send(
        &[ix(accounts(&env, TokenProgram::SplToken), bad)],
        &[&deployer],
    );
    assert_custom_error(&result, 0, expected.into());
    assert_not_created(&env);
}

#[test]
fn accepts_the_largest_max_supply() {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let a = InitializeNetworkArgs {
        authority: Pubkey::new_unique(),
        decimals: 9,
        max_supply: u64::MAX,
    };
    expect_ok(env.send(
        &[ix(accounts(&env, TokenProgram::Token2022), a)],
        &[&deployer],
    ));
    let network: Network = env.anchor_account(&network_pda().0);
    assert_eq!((network.max_supply, network.decimals), (u64::MAX, 9));
}
