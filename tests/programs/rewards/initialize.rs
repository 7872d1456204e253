//! `rewards::initialize_network`: creates the network config and the PDA-owned mint.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::constants::NETWORK_VERSION;
use rewards::error::RewardsError;
use rewards::events::{NetworkInitialized, OracleSetChanged};
use rewards::state::{EmissionParams, FinalRoot, MintWindow, Network, OracleSeat, OracleSet};
use solana_instruction_error::InstructionError;
use solana_transaction_error::TransactionError;
use test_case::test_case;

const MAX_SUPPLY: u64 = 10_000_000_000 * 1_000_000; // 10 billion tokens, 6 decimals

const START_TS: i64 = 1_700_000_000;
/// `network_args`: MAX_SUPPLY / 4 / 730 halving epochs.
const EPOCH_EMISSION: u64 = 3_424_657_534_246;
/// The schedule's lifetime emission: 2 * 730 epochs' worth, less the halvings' rounding.
const LIFETIME_EMISSION: u64 = 4_999_999_999_980_180;
/// 100 million tokens minted at creation into the genesis account.
const GENESIS_SUPPLY: u64 = 100_000_000 * 1_000_000;
const GENESIS_OWNER: Pubkey = Pubkey::new_from_array([0x9e; 32]);

fn args(authority: Pubkey) -> InitializeNetworkArgs {
    InitializeNetworkArgs {
        genesis_supply: GENESIS_SUPPLY,
        location_fee: 7,
        ..network_args(authority, 6, MAX_SUPPLY, START_TS)
    }
}

fn accounts(env: &TestEnv, token_program: TokenProgram) -> rewards::accounts::InitializeNetwork {
    initialize_network_accounts(env, token_program, GENESIS_OWNER)
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
    let (vault_key, vault_bump) = rewards_vault_pda();
    let clock: anchor_lang::prelude::Clock = env.svm.get_sysvar();
    let network: Network = env.anchor_account(&network_key);
    assert_eq!(
        network,
        Network {
            version: NETWORK_VERSION,
            bump: network_bump,
            mint_bump,
            vault_bump,
            decimals: 6,
            authority: governance,
            mint: mint_key,
            token_program: token_program.id(),
            rewards_vault: vault_key,
            max_supply: MAX_SUPPLY,
            total_minted: GENESIS_SUPPLY,
            emission: EmissionParams {
                start_ts: START_TS,
                epoch_secs: 86_400,
                initial_epoch_emission: EPOCH_EMISSION,
                halving_interval_epochs: 730,
            },
            mint_window: MintWindow {
                window_secs: 86_400,
                threshold: 2 * EPOCH_EMISSION,
                last_ts: clock.unix_timestamp,
                amount: 0,
            },
            epochs_minted: 0,
            cumulative_budget: 0,
            total_claimed: 0,
            voided_roots: 0,
            total_burned: 0,
            onboard_fee: 0,
            location_fee: 7,
            dispute_secs: 14_400,
            timelock_secs: 3_600,
            input_secs: 600,
            changes_proposed: 0,
            final_root: FinalRoot::default(),
            created_at: clock.unix_timestamp,
            collateral_authority_bump: harness::builders::staking_ix::collateral_authority_pda().1,
            genesis_supply: GENESIS_SUPPLY,
            reserved: [0; 95],
        }
    );
    let network_account = env.account(&network_key).unwrap();
    assert_eq!(network_account.owner, rewards::ID);
    assert_eq!(network_account.data.len(), Network::SIZE);
    assert_eq!(network_account.lamports, env.rent_exempt(Network::SIZE));

    let (mint_account, mint) = read_mint(&env, &mint_key);
    assert_eq!(mint_account.owner, token_program.id());
    // The genesis supply is the only token in existence until the first epoch is cranked.
    assert_eq!(mint.supply, GENESIS_SUPPLY);
    assert_eq!(mint.decimals, 6);
    assert_eq!(mint.mint_authority, Some(network_key).into());
    assert_eq!(mint.freeze_authority, None.into());
    assert!(mint.is_initialized);

    // The oracle set exists, empty: no root can be voted before governance installs oracles.
    let (set_key, set_bump) = oracle_set_pda();
    let set: OracleSet = env.anchor_account(&set_key);
    assert_eq!(
        set,
        OracleSet {
            version: 1,
            bump: set_bump,
            threshold: 0,
            count: 0,
            set_version: 0,
            bond: 0,
            challenger_bps: 0,
            rotated_at: clock.unix_timestamp,
            slashed: 0,
            seats: [OracleSeat::default(); 16],
            last_rounds: [0; 16],
            posted_until: 0,
            retired_until: 0,
            reserved: [0; 48],
        }
    );
    assert_eq!(
        env.account(&set_key).unwrap().lamports,
        env.rent_exempt(OracleSet::SIZE)
    );

    let (vault_account, vault) = read_token_account(&env, &vault_key);
    assert_eq!(vault_account.owner, token_program.id());
    assert_eq!(
        (vault.mint, vault.owner, vault.amount),
        (mint_key, network_key, 0)
    );
    assert_eq!(vault.delegate, None.into());
    assert_eq!(vault.close_authority, None.into());

    let genesis_key = genesis_pda().0;
    let (genesis_account, genesis) = read_token_account(&env, &genesis_key);
    assert_eq!(genesis_account.owner, token_program.id());
    assert_eq!(
        (genesis.mint, genesis.owner, genesis.amount),
        (mint_key, GENESIS_OWNER, GENESIS_SUPPLY)
    );
    assert_eq!(genesis.delegate, None.into());
    assert_eq!(genesis.close_authority, None.into());

    let events: Vec<NetworkInitialized> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.genesis_account, e.genesis_owner, e.genesis_supply),
        (genesis_key, GENESIS_OWNER, GENESIS_SUPPLY)
    );
    assert_eq!(
        (
            e.network,
            e.authority,
            e.mint,
            e.token_program,
            e.rewards_vault,
            e.decimals,
            e.max_supply,
            e.emission,
            e.mint_window_secs,
            e.mint_window_threshold,
            e.dispute_secs,
            e.timestamp
        ),
        (
            network_key,
            governance,
            mint_key,
            token_program.id(),
            vault_key,
            6,
            MAX_SUPPLY,
            args(governance).emission,
            86_400,
            2 * EPOCH_EMISSION,
            14_400,
            clock.unix_timestamp
        )
    );
    assert_eq!((e.onboard_fee, e.location_fee), (0, 7));
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
fn refuses_a_genesis_account_that_is_not_the_pda() {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let mut a = accounts(&env, TokenProgram::SplToken);
    // Any other address, e.g. the owner's own associated token account, is refused.
    a.genesis_account = harness::builders::associated_token_address(
        &GENESIS_OWNER,
        &mint_pda().0,
        TokenProgram::SplToken,
    );
    let result = env.send(&[ix(a, args(Pubkey::new_unique()))], &[&deployer]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
    assert_not_created(&env);
}

/// Genesis plus the schedule's lifetime emission may be exactly the max supply, and a zero
/// genesis leaves the genesis account empty and the supply at zero.
#[test_case(GENESIS_SUPPLY ; "genesis and emission fill max supply exactly")]
#[test_case(0 ; "no genesis")]
fn accepts_a_genesis_that_fits(genesis_supply: u64) {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let a = with(|a| {
        a.genesis_supply = genesis_supply;
        a.max_supply = genesis_supply + LIFETIME_EMISSION;
    });
    expect_ok(env.send(
        &[ix(accounts(&env, TokenProgram::Token2022), a)],
        &[&deployer],
    ));
    let network: Network = env.anchor_account(&network_pda().0);
    assert_eq!(
        (
            network.genesis_supply,
            network.total_minted,
            network.cumulative_budget
        ),
        (genesis_supply, genesis_supply, 0)
    );
    assert_eq!(read_mint(&env, &mint_pda().0).1.supply, genesis_supply);
    assert_eq!(
        read_token_account(&env, &genesis_pda().0).1.amount,
        genesis_supply
    );
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

fn with(f: impl FnOnce(&mut InitializeNetworkArgs)) -> InitializeNetworkArgs {
    let mut a = args(Pubkey::new_unique());
    f(&mut a);
    a
}

#[test_case(with(|a| a.decimals = 10), RewardsError::InvalidDecimals ; "decimals above nine")]
#[test_case(with(|a| a.max_supply = 0), RewardsError::ZeroMaxSupply ; "zero max supply")]
#[test_case(with(|a| a.authority = Pubkey::default()), RewardsError::InvalidAuthority ; "default authority")]
#[test_case(with(|a| a.emission.epoch_secs = 9), RewardsError::InvalidEpochLength ; "epoch shorter than ten seconds")]
#[test_case(with(|a| a.emission.epoch_secs = 365 * 86_400 + 1), RewardsError::InvalidEpochLength ; "epoch longer than a year")]
#[test_case(with(|a| a.emission.initial_epoch_emission = 0), RewardsError::InvalidEmission ; "zero emission")]
#[test_case(with(|a| a.emission.halving_interval_epochs = 0), RewardsError::InvalidEmission ; "zero halving interval")]
#[test_case(with(|a| a.max_supply = GENESIS_SUPPLY + LIFETIME_EMISSION - 1), RewardsError::EmissionExceedsMaxSupply ; "genesis and lifetime emission one unit above max supply")]
#[test_case(with(|a| { a.genesis_supply = 0; a.max_supply = LIFETIME_EMISSION - 1 }), RewardsError::EmissionExceedsMaxSupply ; "lifetime emission one unit above max supply")]
#[test_case(with(|a| a.genesis_supply = MAX_SUPPLY), RewardsError::GenesisExceedsMaxSupply ; "genesis of the whole max supply")]
#[test_case(with(|a| a.genesis_supply = u64::MAX), RewardsError::GenesisExceedsMaxSupply ; "genesis above max supply")]
#[test_case(with(|a| a.emission.initial_epoch_emission = u64::MAX), RewardsError::EmissionExceedsMaxSupply ; "lifetime emission overflows u64")]
#[test_case(with(|a| a.mint_window_secs = 0), RewardsError::InvalidMintWindow ; "zero mint window")]
#[test_case(with(|a| a.mint_window_secs = 30 * 86_400 + 1), RewardsError::InvalidMintWindow ; "mint window over thirty days")]
#[test_case(with(|a| a.mint_window_threshold = EPOCH_EMISSION - 1), RewardsError::InvalidMintWindow ; "threshold below one epoch")]
#[test_case(with(|a| a.dispute_secs = 0), RewardsError::InvalidDisputeWindow ; "zero dispute window")]
#[test_case(with(|a| a.dispute_secs = 30 * 86_400 + 1), RewardsError::InvalidDisputeWindow ; "dispute window over thirty days")]
#[test_case(with(|a| a.dispute_secs = 43_201), RewardsError::InvalidDisputeWindow ; "dispute window over half an epoch")]
#[test_case(with(|a| a.timelock_secs = 3_599), RewardsError::InvalidTimelock ; "timelock under an hour")]
#[test_case(with(|a| a.input_secs = 0), RewardsError::InvalidInputWindow ; "zero input window")]
#[test_case(with(|a| a.input_secs = 21_601), RewardsError::InvalidInputWindow ; "input window over a quarter of the epoch")]
#[test_case(with(|a| a.timelock_secs = 30 * 86_400 + 1), RewardsError::InvalidTimelock ; "timelock over thirty days")]
fn refuses_bad_arguments(bad: InitializeNetworkArgs, expected: RewardsError) {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let result = env.send(
        &[ix(accounts(&env, TokenProgram::SplToken), bad)],
        &[&deployer],
    );
    assert_custom_error(&result, 0, expected.into());
    assert_not_created(&env);
}

fn genesis_set(n: u8, threshold: u8) -> InitialOracleSet {
    InitialOracleSet {
        oracles: (0..n)
            .map(|i| Pubkey::new_from_array([i + 1; 32]))
            .collect(),
        threshold,
        bond: 1_000_000_000,
        challenger_bps: 4_000,
    }
}

#[test]
fn installs_a_genesis_oracle_set_at_once() {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let set = genesis_set(3, 2);
    let meta = expect_ok(env.send(
        &[ix(
            accounts(&env, TokenProgram::SplToken),
            with(|a| a.oracle_set = Some(set.clone())),
        )],
        &[&deployer],
    ));
    let clock: anchor_lang::prelude::Clock = env.svm.get_sysvar();
    let (set_key, set_bump) = oracle_set_pda();
    let mut seats = [OracleSeat::default(); 16];
    for (seat, key) in seats.iter_mut().zip(&set.oracles) {
        seat.key = *key;
    }
    assert_eq!(
        env.anchor_account::<OracleSet>(&set_key),
        OracleSet {
            version: 1,
            bump: set_bump,
            threshold: 2,
            count: 3,
            set_version: 1,
            bond: 1_000_000_000,
            challenger_bps: 4_000,
            rotated_at: clock.unix_timestamp,
            slashed: 0,
            seats,
            last_rounds: [0; 16],
            posted_until: 0,
            retired_until: 0,
            reserved: [0; 48],
        }
    );
    let events: Vec<OracleSetChanged> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.set_version,
            e.threshold,
            e.bond,
            e.challenger_bps,
            &e.oracles,
            e.timestamp
        ),
        (
            1,
            2,
            1_000_000_000,
            4_000,
            &set.oracles,
            clock.unix_timestamp
        )
    );
    // Nothing was queued: later rotations still go through the timelock.
    assert_eq!(
        env.anchor_account::<Network>(&network_pda().0)
            .changes_proposed,
        0
    );
}

#[test_case(genesis_set(0, 0), RewardsError::InvalidOracleSet ; "no oracles")]
#[test_case(genesis_set(17, 9), RewardsError::InvalidOracleSet ; "seventeen oracles")]
#[test_case(InitialOracleSet { oracles: vec![Pubkey::new_from_array([7; 32]); 2], ..genesis_set(2, 2) }, RewardsError::InvalidOracleSet ; "a duplicate key")]
#[test_case(InitialOracleSet { oracles: vec![Pubkey::default()], ..genesis_set(1, 1) }, RewardsError::InvalidOracleSet ; "the default key")]
#[test_case(genesis_set(4, 2), RewardsError::InvalidThreshold ; "threshold of half")]
#[test_case(genesis_set(3, 4), RewardsError::InvalidThreshold ; "threshold above the set")]
#[test_case(InitialOracleSet { bond: 0, ..genesis_set(3, 2) }, RewardsError::InvalidBond ; "zero bond")]
#[test_case(InitialOracleSet { challenger_bps: 5_001, ..genesis_set(3, 2) }, RewardsError::InvalidBond ; "challenger share over half")]
fn refuses_a_bad_genesis_oracle_set(set: InitialOracleSet, expected: RewardsError) {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let result = env.send(
        &[ix(
            accounts(&env, TokenProgram::SplToken),
            with(|a| a.oracle_set = Some(set)),
        )],
        &[&deployer],
    );
    assert_custom_error(&result, 0, expected.into());
    assert_not_created(&env);
}

#[test]
fn accepts_the_largest_max_supply() {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let a = network_args(Pubkey::new_unique(), 9, u64::MAX, START_TS);
    expect_ok(env.send(
        &[ix(accounts(&env, TokenProgram::Token2022), a)],
        &[&deployer],
    ));
    let network: Network = env.anchor_account(&network_pda().0);
    assert_eq!((network.max_supply, network.decimals), (u64::MAX, 9));
}
