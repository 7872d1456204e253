//! `staking::initialize_staking`: creates the staking config and its vault.

use anchor_lang::prelude::Pubkey;
use harness::builders::staking_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use solana_instruction_error::InstructionError;
use solana_transaction_error::TransactionError;
use staking::constants::CONFIG_VERSION;
use staking::error::StakingError;
use staking::events::StakingInitialized;
use staking::state::{StakingConfig, VotingMode};
use test_case::test_case;

const FOUR_YEARS: u64 = 4 * 365 * 86_400;

fn args(authority: Pubkey) -> InitializeStakingArgs {
    InitializeStakingArgs {
        authority,
        max_lockup_secs: FOUR_YEARS,
        max_multiplier_bps: 1_000_000,
        voting_mode: VotingMode::Linear,
        cooldown_secs: 7 * 86_400,
        min_device_collateral: 500_000_000,
        max_slash_bps: 2_000,
        appeal_secs: 3 * 86_400,
        timelock_secs: 2 * 86_400,
        revenue_stream_secs: 0,
        realm: Pubkey::new_from_array([9; 32]),
    }
}

fn accounts(
    env: &TestEnv,
    token_program: TokenProgram,
    stake_mint: Pubkey,
) -> staking::accounts::InitializeStaking {
    initialize_staking_accounts(env, token_program, stake_mint)
}

fn ix(accounts: staking::accounts::InitializeStaking, args: InitializeStakingArgs) -> Instruction {
    initialize_staking(accounts, args)
}

/// An env with a network-token stand-in mint under `token_program`.
fn setup(token_program: TokenProgram) -> (TestEnv, Pubkey, Keypair) {
    let mut env = TestEnv::new();
    let mint_authority = Pubkey::new_unique();
    let mint = create_mint(&mut env, token_program, &mint_authority, 6);
    // The realm `args` names: an spl-governance realm over the mint.
    harness::governance::write_realm(&mut env, Pubkey::new_from_array([9; 32]), mint);
    let deployer = env.deployer.insecure_clone();
    (env, mint, deployer)
}

fn assert_not_created(env: &TestEnv) {
    assert!(
        env.account(&config_pda().0).is_none(),
        "config must not exist"
    );
    assert!(
        env.account(&vault_pda().0).is_none(),
        "vault must not exist"
    );
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn creates_config_and_vault(token_program: TokenProgram) {
    let (mut env, mint, deployer) = setup(token_program);
    let governance = Pubkey::new_unique();
    let mut a = args(governance);
    a.voting_mode = VotingMode::Quadratic;
    let meta = expect_ok(env.send(
        &[ix(accounts(&env, token_program, mint), a.clone())],
        &[&deployer],
    ));

    let (config_key, config_bump) = config_pda();
    let (vault_key, vault_bump) = vault_pda();
    let now = env
        .svm
        .get_sysvar::<anchor_lang::prelude::Clock>()
        .unix_timestamp;
    let config: StakingConfig = env.anchor_account(&config_key);
    assert_eq!(
        config,
        StakingConfig {
            version: CONFIG_VERSION,
            bump: config_bump,
            vault_bump,
            revenue_vault_bump: 0,
            voting_mode: VotingMode::Quadratic,
            max_multiplier_bps: 1_000_000,
            max_slash_bps: 2_000,
            authority: governance,
            stake_mint: mint,
            token_program: token_program.id(),
            vault: vault_key,
            revenue_mint: Pubkey::default(),
            revenue_token_program: Pubkey::default(),
            revenue_vault: Pubkey::default(),
            max_lockup_secs: FOUR_YEARS,
            cooldown_secs: 7 * 86_400,
            appeal_secs: 3 * 86_400,
            min_device_collateral: 500_000_000,
            total_locked: 0,
            total_slashed: 0,
            total_weight: 0,
            reward_per_weight: 0,
            revenue_carry: 0,
            revenue_distributed: 0,
            revenue_claimed: 0,
            created_at: now,
            timelock_secs: 2 * 86_400,
            changes_proposed: 0,
            revenue_stream_secs: 0,
            revenue_streaming: 0,
            stream_updated: now,
            stream_end: now,
            realm: Pubkey::new_from_array([9; 32]),
            slash_domain: staking::math::slash::slash_domain(
                &config_key,
                env.svm.get_sysvar::<anchor_lang::prelude::Clock>().slot,
                now
            ),
            reserved: [0; 16],
        }
    );
    let config_account = env.account(&config_key).unwrap();
    assert_eq!(config_account.owner, staking::ID);
    assert_eq!(
        config_account.lamports,
        env.rent_exempt(StakingConfig::SIZE)
    );

    let (vault_account, vault) = read_token_account(&env, &vault_key);
    assert_eq!(vault_account.owner, token_program.id());
    assert_eq!(
        (vault.mint, vault.owner, vault.amount),
        (mint, config_key, 0)
    );
    assert_eq!(vault.delegate, None.into());
    assert_eq!(vault.close_authority, None.into());
    assert_eq!(
        vault_account.lamports,
        env.rent_exempt(vault_account.data.len())
    );

    let events: Vec<StakingInitialized> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.config,
            e.authority,
            e.stake_mint,
            e.vault,
            e.token_program,
            e.timestamp
        ),
        (
            config_key,
            governance,
            mint,
            vault_key,
            token_program.id(),
            now
        )
    );
    assert_eq!(
        (
            e.max_lockup_secs,
            e.max_multiplier_bps,
            e.voting_mode,
            e.cooldown_secs,
            e.min_device_collateral
        ),
        (
            FOUR_YEARS,
            1_000_000,
            VotingMode::Quadratic,
            7 * 86_400,
            500_000_000
        )
    );
}

#[test]
fn refuses_a_signer_that_is_not_the_upgrade_authority() {
    let (mut env, mint, _) = setup(TokenProgram::SplToken);
    let impostor = env.funded_keypair();
    let mut a = accounts(&env, TokenProgram::SplToken, mint);
    a.upgrade_authority = impostor.pubkey();
    let result = env.send(&[ix(a, args(impostor.pubkey()))], &[&impostor]);
    assert_custom_error(&result, 0, StakingError::NotUpgradeAuthority.into());
    assert_not_created(&env);
}

#[test]
fn refuses_another_programs_program_data() {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let mut a = accounts(&env, TokenProgram::SplToken, mint);
    a.program_data = program_data_address(&rewards::ID);
    let result = env.send(&[ix(a, args(Pubkey::new_unique()))], &[&deployer]);
    assert_custom_error(&result, 0, StakingError::InvalidProgramData.into());
    assert_not_created(&env);
}

#[test]
fn refuses_a_vault_that_is_not_the_pda() {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let fake_vault = Keypair::new();
    let mut a = accounts(&env, TokenProgram::SplToken, mint);
    a.vault = fake_vault.pubkey();
    let result = env.send(&[ix(a, args(Pubkey::new_unique()))], &[&deployer]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
    assert!(env.account(&config_pda().0).is_none());
}

#[test]
fn refuses_a_mint_of_the_other_token_program() {
    // A Token-2022 mint passed with SPL Token as the token program. Anchor creates `init`
    // accounts before it checks the other constraints, so it is SPL Token itself that refuses to
    // open a vault for a mint it does not own; the whole transaction is rolled back.
    let (mut env, mint, deployer) = setup(TokenProgram::Token2022);
    let a = accounts(&env, TokenProgram::SplToken, mint);
    let result = env.send(&[ix(a, args(Pubkey::new_unique()))], &[&deployer]);
    assert_tx_error(
        &result,
        TransactionError::InstructionError(0, InstructionError::IncorrectProgramId),
    );
    assert_not_created(&env);
}

#[test]
fn refuses_a_second_initialisation() {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    expect_ok(env.send(
        &[ix(
            accounts(&env, TokenProgram::SplToken, mint),
            args(Pubkey::new_unique()),
        )],
        &[&deployer],
    ));
    let before: StakingConfig = env.anchor_account(&config_pda().0);
    let again = env.send_fresh(
        &[ix(
            accounts(&env, TokenProgram::SplToken, mint),
            args(Pubkey::new_unique()),
        )],
        &[&deployer],
    );
    assert_tx_error(
        &again,
        TransactionError::InstructionError(0, InstructionError::Custom(0)),
    );
    assert_eq!(before, env.anchor_account::<StakingConfig>(&config_pda().0));
}

#[test_case(|a: &mut InitializeStakingArgs| a.authority = Pubkey::default(), StakingError::InvalidAuthority ; "default authority")]
#[test_case(|a: &mut InitializeStakingArgs| a.max_lockup_secs = 0, StakingError::InvalidMaxLockup ; "zero lockup")]
#[test_case(|a: &mut InitializeStakingArgs| a.max_lockup_secs = 10 * 365 * 86_400 + 1, StakingError::InvalidMaxLockup ; "lockup over ten years")]
#[test_case(|a: &mut InitializeStakingArgs| a.max_multiplier_bps = 9_999, StakingError::InvalidMaxMultiplier ; "multiplier below 1x")]
#[test_case(|a: &mut InitializeStakingArgs| a.max_multiplier_bps = 1_000_001, StakingError::InvalidMaxMultiplier ; "multiplier above 100x")]
#[test_case(|a: &mut InitializeStakingArgs| a.cooldown_secs = 365 * 86_400 + 1, StakingError::InvalidCooldown ; "cooldown over a year")]
#[test_case(|a: &mut InitializeStakingArgs| a.cooldown_secs = 0, StakingError::InvalidCooldown ; "no cooldown")]
#[test_case(|a: &mut InitializeStakingArgs| a.cooldown_secs = 3 * 86_400 - 1, StakingError::InvalidCooldown ; "cooldown under three days")]
#[test_case(|a: &mut InitializeStakingArgs| a.max_slash_bps = 0, StakingError::InvalidMaxSlash ; "zero max slash")]
#[test_case(|a: &mut InitializeStakingArgs| a.max_slash_bps = 5_001, StakingError::InvalidMaxSlash ; "max slash over half")]
#[test_case(|a: &mut InitializeStakingArgs| a.appeal_secs = 0, StakingError::InvalidAppealWindow ; "zero appeal window")]
#[test_case(|a: &mut InitializeStakingArgs| a.min_device_collateral = 0, StakingError::InvalidMinDeviceCollateral ; "no device collateral")]
#[test_case(|a: &mut InitializeStakingArgs| a.appeal_secs = 30 * 86_400 + 1, StakingError::InvalidAppealWindow ; "appeal window over thirty days")]
#[test_case(|a: &mut InitializeStakingArgs| a.timelock_secs = 3_599, StakingError::InvalidTimelock ; "timelock under an hour")]
#[test_case(|a: &mut InitializeStakingArgs| a.revenue_stream_secs = 30 * 86_400 + 1, StakingError::InvalidStream ; "stream over thirty days")]
#[test_case(|a: &mut InitializeStakingArgs| a.timelock_secs = 30 * 86_400 + 1, StakingError::InvalidTimelock ; "timelock over thirty days")]
fn refuses_bad_arguments(change: fn(&mut InitializeStakingArgs), expected: StakingError) {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let mut a = args(Pubkey::new_unique());
    change(&mut a);
    let result = env.send(
        &[ix(accounts(&env, TokenProgram::SplToken, mint), a)],
        &[&deployer],
    );
    assert_custom_error(&result, 0, expected.into());
    assert_not_created(&env);
}

#[test]
fn accepts_the_limits() {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let a = InitializeStakingArgs {
        authority: Pubkey::new_unique(),
        max_lockup_secs: 10 * 365 * 86_400,
        max_multiplier_bps: 1_000_000,
        voting_mode: VotingMode::Linear,
        cooldown_secs: 365 * 86_400,
        min_device_collateral: u64::MAX,
        max_slash_bps: 5_000,
        appeal_secs: 30 * 86_400,
        timelock_secs: 30 * 86_400,
        revenue_stream_secs: 30 * 86_400,
        realm: Pubkey::default(),
    };
    expect_ok(env.send(
        &[ix(accounts(&env, TokenProgram::SplToken, mint), a)],
        &[&deployer],
    ));
    let config: StakingConfig = env.anchor_account(&config_pda().0);
    assert_eq!(
        (
            config.max_lockup_secs,
            config.cooldown_secs,
            config.min_device_collateral
        ),
        (10 * 365 * 86_400, 365 * 86_400, u64::MAX)
    );
}

/// Issue 23 (review of item 3): a named realm must be spl-governance's realm of the stake mint,
/// or `unstake` would look for token owner records where none can ever be.
#[test]
fn refuses_a_realm_that_is_not_spl_governances_of_the_stake_mint() {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let other_mint = Pubkey::new_unique();
    let of_another_mint = Pubkey::new_unique();
    harness::governance::write_realm(&mut env, of_another_mint, other_mint);
    let realm = Pubkey::new_from_array([9; 32]);
    let not_governances = env.copy_account(&realm, |a| a.owner = Pubkey::new_unique());
    let nothing = Pubkey::new_unique();
    for key in [of_another_mint, not_governances, nothing] {
        let mut a = args(Pubkey::new_unique());
        a.realm = key;
        let result = env.send(
            &[ix(accounts(&env, TokenProgram::SplToken, mint), a)],
            &[&deployer],
        );
        assert_custom_error(&result, 0, StakingError::InvalidRealm.into());
    }
    // The realm named but not passed.
    let mut bare = ix(
        accounts(&env, TokenProgram::SplToken, mint),
        args(Pubkey::new_unique()),
    );
    bare.accounts.pop();
    let result = env.send(&[bare], &[&deployer]);
    assert_custom_error(&result, 0, StakingError::InvalidRealm.into());
    assert_not_created(&env);
}
