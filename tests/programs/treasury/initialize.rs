//! `treasury::initialize_treasury`: creates the treasury config with its revenue split.

use anchor_lang::prelude::Pubkey;
use harness::builders::treasury_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use solana_instruction_error::InstructionError;
use solana_transaction_error::TransactionError;
use test_case::test_case;
use treasury::constants::TREASURY_VERSION;
use treasury::error::TreasuryError;
use treasury::events::TreasuryInitialized;
use treasury::state::{SplitBps, Treasury};

fn split(buyback_bps: u16, stakers_bps: u16, operations_bps: u16) -> SplitBps {
    SplitBps {
        buyback_bps,
        stakers_bps,
        operations_bps,
    }
}

fn roles() -> Roles {
    Roles {
        payment_operator: Pubkey::new_from_array([1; 32]),
        service_operator: Pubkey::new_from_array([2; 32]),
        operations_owner: Pubkey::new_from_array([3; 32]),
    }
}

fn args(authority: Pubkey) -> InitializeTreasuryArgs {
    treasury_args(authority, harness::amm::SWAP_PROGRAM_ID, roles())
}

fn accounts(env: &TestEnv, network_mint: Pubkey) -> treasury::accounts::InitializeTreasury {
    initialize_treasury_accounts(env, network_mint)
}

fn ix(
    accounts: treasury::accounts::InitializeTreasury,
    args: InitializeTreasuryArgs,
) -> Instruction {
    initialize_treasury(accounts, args)
}

fn setup(token_program: TokenProgram) -> (TestEnv, Pubkey, harness::solana_keypair::Keypair) {
    let mut env = TestEnv::new();
    let mint = create_mint(&mut env, token_program, &Pubkey::new_unique(), 6);
    let deployer = env.deployer.insecure_clone();
    (env, mint, deployer)
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn creates_treasury(token_program: TokenProgram) {
    let (mut env, mint, deployer) = setup(token_program);
    let governance = Pubkey::new_unique();
    let meta = expect_ok(env.send(&[ix(accounts(&env, mint), args(governance))], &[&deployer]));

    let (key, bump) = treasury_pda();
    let now = env
        .svm
        .get_sysvar::<anchor_lang::prelude::Clock>()
        .unix_timestamp;
    let state: Treasury = env.anchor_account(&key);
    assert_eq!(
        state,
        Treasury {
            version: TREASURY_VERSION,
            bump,
            credits_bump: 0,
            split: split(6_000, 3_000, 1_000),
            authority: governance,
            network_mint: mint,
            credits_mint: Pubkey::default(),
            credits_per_usd: 100_000,
            price: PriceConfig {
                feed_id: FEED_ID,
                max_age_secs: 60,
                max_conf_bps: 200,
                conf_multiple_bps: 10_000,
                max_slippage_bps: 300,
            },
            buyback: BuybackConfig {
                amm_program: harness::amm::SWAP_PROGRAM_ID,
                epoch_secs: 86_400,
            },
            roles: roles(),
            timelock_secs: 2 * 86_400,
            changes_proposed: 0,
            total_bought_burned: 0,
            total_credit_burned: 0,
            credits_minted: 0,
            credits_consumed: 0,
            created_at: now,
            last_price_publish_time: 0,
            reserved: [0; 120],
        }
    );
    let account = env.account(&key).unwrap();
    assert_eq!(
        (account.owner, account.lamports),
        (treasury::ID, env.rent_exempt(Treasury::SIZE))
    );

    let events: Vec<TreasuryInitialized> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.treasury,
            e.authority,
            e.network_mint,
            e.buyback_bps,
            e.stakers_bps,
            e.operations_bps,
            e.timelock_secs,
            e.timestamp
        ),
        (key, governance, mint, 6_000, 3_000, 1_000, 2 * 86_400, now)
    );
}

#[test]
fn refuses_a_signer_that_is_not_the_upgrade_authority() {
    let (mut env, mint, _) = setup(TokenProgram::SplToken);
    let impostor = env.funded_keypair();
    let mut a = accounts(&env, mint);
    a.upgrade_authority = impostor.pubkey();
    let result = env.send(&[ix(a, args(impostor.pubkey()))], &[&impostor]);
    assert_custom_error(&result, 0, TreasuryError::NotUpgradeAuthority.into());
    assert!(env.account(&treasury_pda().0).is_none());
}

#[test]
fn refuses_another_programs_program_data() {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let mut a = accounts(&env, mint);
    a.program_data = program_data_address(&rewards::ID);
    let result = env.send(&[ix(a, args(Pubkey::new_unique()))], &[&deployer]);
    assert_custom_error(&result, 0, TreasuryError::InvalidProgramData.into());
    assert!(env.account(&treasury_pda().0).is_none());
}

#[test]
fn refuses_a_network_mint_that_is_not_a_mint() {
    let (mut env, _, deployer) = setup(TokenProgram::SplToken);
    let wallet = env.funded_keypair();
    let a = accounts(&env, wallet.pubkey());
    let result = env.send(&[ix(a, args(Pubkey::new_unique()))], &[&deployer]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram.into(),
    );
    assert!(env.account(&treasury_pda().0).is_none());
}

#[test]
fn refuses_a_second_initialisation() {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    expect_ok(env.send(
        &[ix(accounts(&env, mint), args(Pubkey::new_unique()))],
        &[&deployer],
    ));
    let before: Treasury = env.anchor_account(&treasury_pda().0);
    let again = env.send_fresh(
        &[ix(accounts(&env, mint), args(Pubkey::new_unique()))],
        &[&deployer],
    );
    assert_tx_error(
        &again,
        TransactionError::InstructionError(0, InstructionError::Custom(0)),
    );
    assert_eq!(before, env.anchor_account::<Treasury>(&treasury_pda().0));
}

#[test_case(split(6_000, 3_000, 999), TreasuryError::InvalidSplit ; "split below 10000")]
#[test_case(split(6_000, 3_000, 1_001), TreasuryError::InvalidSplit ; "split above 10000")]
#[test_case(split(u16::MAX, 0, 0), TreasuryError::InvalidSplit ; "share above 10000")]
#[test_case(split(40_000, 40_000, 60_000), TreasuryError::InvalidSplit ; "shares that wrap in u16")]
fn refuses_bad_splits(bad: SplitBps, expected: TreasuryError) {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let mut a = args(Pubkey::new_unique());
    a.split = bad;
    let result = env.send(&[ix(accounts(&env, mint), a)], &[&deployer]);
    assert_custom_error(&result, 0, expected.into());
    assert!(env.account(&treasury_pda().0).is_none());
}

#[test_case(3_599, TreasuryError::InvalidTimelock ; "timelock under an hour")]
#[test_case(30 * 86_400 + 1, TreasuryError::InvalidTimelock ; "timelock over thirty days")]
fn refuses_bad_timelocks(timelock_secs: u64, expected: TreasuryError) {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let mut a = args(Pubkey::new_unique());
    a.timelock_secs = timelock_secs;
    let result = env.send(&[ix(accounts(&env, mint), a)], &[&deployer]);
    assert_custom_error(&result, 0, expected.into());
    assert!(env.account(&treasury_pda().0).is_none());
}

#[test]
fn refuses_the_default_authority() {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let result = env.send(
        &[ix(accounts(&env, mint), args(Pubkey::default()))],
        &[&deployer],
    );
    assert_custom_error(&result, 0, TreasuryError::InvalidAuthority.into());
}

#[test_case(|a: &mut InitializeTreasuryArgs| a.price.max_age_secs = 0, TreasuryError::InvalidPriceConfig ; "zero price age")]
#[test_case(|a: &mut InitializeTreasuryArgs| a.price.max_age_secs = 3_601, TreasuryError::InvalidPriceConfig ; "price age over an hour")]
#[test_case(|a: &mut InitializeTreasuryArgs| a.price.max_conf_bps = 1_001, TreasuryError::InvalidPriceConfig ; "confidence over 10 percent")]
#[test_case(|a: &mut InitializeTreasuryArgs| a.price.conf_multiple_bps = 50_001, TreasuryError::InvalidPriceConfig ; "k over 5")]
#[test_case(|a: &mut InitializeTreasuryArgs| a.price.max_slippage_bps = 2_001, TreasuryError::InvalidPriceConfig ; "slippage over 20 percent")]
#[test_case(|a: &mut InitializeTreasuryArgs| a.buyback.amm_program = Pubkey::default(), TreasuryError::InvalidBuybackConfig ; "no amm")]
#[test_case(|a: &mut InitializeTreasuryArgs| a.buyback.epoch_secs = 3_599, TreasuryError::InvalidBuybackConfig ; "epoch under an hour")]
#[test_case(|a: &mut InitializeTreasuryArgs| a.credits_per_usd = 0, TreasuryError::InvalidCreditsRate ; "zero credits rate")]
fn refuses_bad_parameters(change: fn(&mut InitializeTreasuryArgs), expected: TreasuryError) {
    let (mut env, mint, deployer) = setup(TokenProgram::SplToken);
    let mut a = args(Pubkey::new_unique());
    change(&mut a);
    let result = env.send(&[ix(accounts(&env, mint), a)], &[&deployer]);
    assert_custom_error(&result, 0, expected.into());
    assert!(env.account(&treasury_pda().0).is_none());
}
