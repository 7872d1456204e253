//! `staking` revenue share: the treasury transfers stablecoin into the revenue vault; a
//! reward-per-weight accumulator shares it by stored weight; claims are O(1).

use super::fixture::*;
use harness::builders::staking_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use staking::error::StakingError;
use staking::events::{RevenueClaimed, RevenueSynced};
use staking::state::LockupKind;
use test_case::test_case;

const SCALE: u128 = staking::math::revenue::SCALE;

/// Three stakers enter and leave between four fundings; every payout is exact, the sum paid
/// never exceeds the sum funded and the dust left is one base unit.
#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn stakers_entering_and_leaving_between_fundings(tp: TokenProgram) {
    let mut fx = Fx::new(tp);
    let (a, a_src) = fx.staker(1_000);
    let (b, b_src) = fx.staker(2_000);
    let (c, c_src) = fx.staker(1_000);
    let a_out = fx.revenue_account(&a.pubkey());
    let b_out = fx.revenue_account(&b.pubkey());
    let c_out = fx.revenue_account(&c.pubkey());

    let _pa = fx.stake(&a, a_src, 1, LockupKind::Cliff, 0, 1_000); // weight 1,000 W
    fx.fund(3_000); // all A's
    let pb = fx.stake(&b, b_src, 1, LockupKind::Cliff, 0, 2_000); // syncs 3,000 over 1,000 W
    let c_ = fx.config();
    assert_eq!(
        (c_.reward_per_weight, c_.revenue_distributed),
        (3 * SCALE / W, 3_000)
    );
    assert_eq!(
        fx.staker_account(&b.pubkey()).reward_checkpoint,
        3 * SCALE / W
    );
    fx.fund(3_000); // A 1,000, B 2,000
    let _pc = fx.stake(&c, c_src, 1, LockupKind::Cliff, 250_000, 1_000); // 2,000 W (2x)
    assert_eq!(fx.config().reward_per_weight, 4 * SCALE / W);
    fx.fund(1_000); // over 5,000 W: A 200, B 400, C 400

    let meta = expect_ok(fx.claim(&a, a_out));
    assert_eq!(fx.balance(&a_out), 4_200);
    let claimed: Vec<RevenueClaimed> = cpi_events(&meta);
    // The claim's own sync folded the last 1,000 over the weight of 5,000 W.
    let e = &claimed[0];
    assert_eq!(
        (e.revenue_synced, e.owner_weight, e.reward_per_weight),
        (1_000, 1_000 * W, 4_200_000_000_000)
    );
    assert_eq!(
        (e.owner, e.amount, e.owner_claimed, e.revenue_claimed),
        (a.pubkey(), 4_200, 4_200, 4_200)
    );

    // B leaves: its 2,400 is settled before its weight goes.
    expect_ok(fx.env.send(&[fx.unstake(b.pubkey(), pb, 2_000)], &[&b]));
    let sb = fx.staker_account(&b.pubkey());
    assert_eq!(
        (fx.position(&pb).weight, sb.weight, sb.pending_revenue),
        (0, 0, 2_400)
    );
    assert_eq!(fx.config().total_weight, 3_000 * W);

    fx.fund(3_001); // over 3,000 W: A 1,000.33, C 2,000.67; B nothing
    expect_ok(fx.claim(&b, b_out));
    assert_eq!(fx.balance(&b_out), 2_400);
    let c_ = fx.config();
    assert_eq!(c_.reward_per_weight, 4_200_000_000_000 + 1_000_333_333_333);
    assert_eq!(c_.revenue_carry, 10_000_000);
    expect_ok(fx.claim(&c, c_out));
    assert_eq!(fx.balance(&c_out), 2_400); // 400 + 2,000.67 floored
    expect_ok(fx.claim(&a, a_out));
    assert_eq!(fx.balance(&a_out), 5_200); // 4,200 + 1,000.33 floored

    let funded = 3_000 + 3_000 + 1_000 + 3_001;
    let paid = fx.balance(&a_out) + fx.balance(&b_out) + fx.balance(&c_out);
    assert_eq!(paid, 10_000);
    assert!(paid <= funded);
    assert_eq!(fx.balance(&revenue_vault_pda().0), funded - paid); // 1 unit of dust
    let c_ = fx.config();
    assert_eq!((c_.revenue_distributed, c_.revenue_claimed), (funded, paid));
    // B, gone, earns nothing more; nothing is left to claim for anyone.
    for (who, out) in [(&a, a_out), (&b, b_out), (&c, c_out)] {
        assert_custom_error(&fx.claim(who, out), 0, code(StakingError::NothingToClaim));
    }
}

/// Issue 23, item 3 (review F6): revenue streams into the accumulator over
/// `revenue_stream_secs`, so a staker who locks just before the stakers' share is routed, and
/// leaves an hour later, earns its hour's share (50 of 2,400), not half the lump (1,200, before
/// streaming).
#[test]
fn a_just_in_time_staker_earns_only_for_the_time_it_stays() {
    let mut fx = Fx::with_args(TokenProgram::SplToken, |a| a.revenue_stream_secs = 86_400);
    let (a, a_src) = fx.staker(1_000);
    let (b, b_src) = fx.staker(1_000);
    fx.stake(&a, a_src, 1, LockupKind::Cliff, 0, 1_000);
    fx.warp(30 * 86_400);
    // B locks, then the treasury routes 2,400 and anyone syncs it: it joins the stream.
    let pb = fx.stake(&b, b_src, 1, LockupKind::Cliff, 0, 1_000);
    fx.fund(2_400);
    let now = fx.env.now();
    let meta = expect_ok(fx.env.send_fresh(&[sync_revenue_ix()], &[]));
    let e = &cpi_events::<RevenueSynced>(&meta)[0];
    assert_eq!(
        (e.amount, e.streaming, e.stream_end),
        (0, 2_400, now + 86_400)
    );
    // An hour later B leaves: its unstake folds the hour's 100, shared with A.
    fx.warp(3_600);
    expect_ok(fx.env.send(&[fx.unstake(b.pubkey(), pb, 1_000)], &[&b]));
    let c = fx.config();
    assert_eq!((c.revenue_distributed, c.revenue_streaming), (100, 2_300));
    // The rest streams to A alone.
    fx.warp(86_400);
    let (a_out, b_out) = (
        fx.revenue_account(&a.pubkey()),
        fx.revenue_account(&b.pubkey()),
    );
    expect_ok(fx.claim(&b, b_out));
    expect_ok(fx.claim(&a, a_out));
    assert_eq!((fx.balance(&a_out), fx.balance(&b_out)), (2_350, 50));
    let c = fx.config();
    assert_eq!((c.revenue_distributed, c.revenue_streaming), (2_400, 0));
    assert_eq!(fx.balance(&revenue_vault_pda().0), 0);
}

/// Joining the stream moves its end by the amount-weighted mean: a unit sent to the revenue vault
/// and synced does not hold back the 1,200 still streaming (a restart would have released only
/// 600 of it by the time everything is out here).
#[test]
fn a_unit_of_dust_does_not_hold_the_stream_back() {
    let mut fx = Fx::with_args(TokenProgram::SplToken, |a| a.revenue_stream_secs = 86_400);
    let (a, a_src) = fx.staker(1_000);
    fx.stake(&a, a_src, 1, LockupKind::Cliff, 0, 1_000);
    let t0 = fx.env.now();
    fx.fund(2_400);
    expect_ok(fx.env.send_fresh(&[sync_revenue_ix()], &[]));
    fx.warp(43_200);
    fx.fund(1);
    expect_ok(fx.env.send_fresh(&[sync_revenue_ix()], &[]));
    let c = fx.config();
    // 1,200 released; 1,201 left, ending at the mean of 43,200 s (1,200) and 86,400 s (1).
    assert_eq!(
        (c.revenue_distributed, c.revenue_streaming, c.stream_end),
        (1_200, 1_201, t0 + 43_200 + 43_236)
    );
    fx.env.warp_to_timestamp(t0 + 86_436);
    let out = fx.revenue_account(&a.pubkey());
    expect_ok(fx.claim(&a, out));
    assert_eq!(fx.balance(&out), 2_401);
}

/// Revenue that arrives while nothing is staked waits, and then streams to the first stakers
/// over a whole stream: a staker who locks after a long wait and leaves at once gets nothing.
#[test]
fn a_backlog_waiting_for_weight_streams_from_when_weight_appears() {
    let mut fx = Fx::with_args(TokenProgram::SplToken, |a| a.revenue_stream_secs = 86_400);
    fx.fund(1_000);
    expect_ok(fx.env.send_fresh(&[sync_revenue_ix()], &[]));
    fx.warp(2 * 86_400);
    let (b, b_src) = fx.staker(1_000);
    let pb = fx.stake(&b, b_src, 1, LockupKind::Cliff, 0, 1_000);
    expect_ok(fx.env.send_fresh(&[sync_revenue_ix()], &[]));
    expect_ok(fx.env.send(&[fx.unstake(b.pubkey(), pb, 1_000)], &[&b]));
    let c = fx.config();
    assert_eq!((c.revenue_distributed, c.revenue_streaming), (0, 1_000));
    assert_eq!(c.stream_end, fx.env.now() + 86_400);
    let out = fx.revenue_account(&b.pubkey());
    assert_custom_error(&fx.claim(&b, out), 0, code(StakingError::NothingToClaim));
}

#[test]
fn revenue_waits_while_nothing_is_staked() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    fx.fund(500);
    expect_ok(fx.env.send(&[sync_revenue_ix()], &[]));
    assert_eq!(fx.config().revenue_distributed, 0);
    let (a, a_src) = fx.staker(1_000);
    let out = fx.revenue_account(&a.pubkey());
    fx.stake(&a, a_src, 1, LockupKind::Constant, MAX_LOCKUP, 1_000);
    // The stake's own sync ran before its weight existed: still undistributed.
    assert_eq!(fx.config().revenue_distributed, 0);
    let meta = expect_ok(fx.env.send_fresh(&[sync_revenue_ix()], &[]));
    let e: Vec<RevenueSynced> = cpi_events(&meta);
    assert_eq!((e[0].amount, e[0].total_weight), (500, 5_000 * W));
    assert_eq!(fx.config().reward_per_weight, 500 * SCALE / (5_000 * W));
    expect_ok(fx.claim(&a, out));
    assert_eq!(fx.balance(&out), 500);
}

#[test]
fn claim_refuses_wrong_signer_substituted_accounts_and_replay() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (a, a_src) = fx.staker(1_000);
    let a_out = fx.revenue_account(&a.pubkey());
    fx.stake(&a, a_src, 1, LockupKind::Cliff, 0, 1_000);
    fx.fund(100);
    let (thief, _) = fx.staker(0);
    let thief_out = fx.revenue_account(&thief.pubkey());
    // The thief signs, with the owner's staker account.
    let mut acc = claim_revenue_accounts(thief.pubkey(), fx.revenue_mint, thief_out, fx.tp);
    acc.staker = staker_pda(&a.pubkey()).0;
    assert_custom_error(
        &fx.env.send(&[claim_revenue(acc)], &[&thief]),
        0,
        code(StakingError::WrongStaker),
    );
    // The owner signs, to the thief's account.
    assert_custom_error(
        &fx.claim(&a, thief_out),
        0,
        code(StakingError::WrongTokenAccountOwner),
    );
    // A substituted revenue vault.
    let fake = create_token_account(
        &mut fx.env,
        fx.tp,
        &fx.revenue_mint.clone(),
        &config_pda().0,
    );
    let mut acc = claim_revenue_accounts(a.pubkey(), fx.revenue_mint, a_out, fx.tp);
    acc.revenue_vault = fake;
    assert_custom_error(
        &fx.env.send(&[claim_revenue(acc)], &[&a]),
        0,
        code(StakingError::WrongRevenueVault),
    );
    expect_ok(fx.claim(&a, a_out));
    assert_eq!(fx.balance(&a_out), 100);
    // Replay: nothing left.
    assert_custom_error(&fx.claim(&a, a_out), 0, code(StakingError::NothingToClaim));
    assert_eq!(fx.balance(&a_out), 100);
}

/// The review's F6, for the stakers' revenue coin: a mint whose extensions would break the
/// revenue ledger is refused by name, and the revenue vault is not created.
#[test_case(MintExtension::TransferFee, StakingError::MintHasTransferFee ; "transfer fee")]
#[test_case(MintExtension::TransferHook, StakingError::MintHasTransferHook ; "transfer hook")]
#[test_case(MintExtension::PermanentDelegate, StakingError::MintHasPermanentDelegate ; "permanent delegate")]
#[test_case(MintExtension::ConfidentialTransfer, StakingError::MintHasConfidentialTransfer ; "confidential transfer")]
#[test_case(MintExtension::DefaultFrozen, StakingError::MintFrozenByDefault ; "frozen by default")]
#[test_case(MintExtension::NonTransferable, StakingError::UnsupportedMintExtension ; "non transferable")]
#[test_case(MintExtension::CloseAuthority, StakingError::MintHasCloseAuthority ; "close authority")]
fn initialize_revenue_refuses_token_2022_extensions(extension: MintExtension, error: StakingError) {
    let mut env = TestEnv::with_programs(&[STAKING]);
    let governance = env.funded_keypair();
    let mint = create_mint(&mut env, TokenProgram::SplToken, &governance.pubkey(), 6);
    let usd = create_mint_with_extension(&mut env, &governance.pubkey(), 6, extension);
    let deployer = env.deployer.insecure_clone();
    expect_ok(env.send(
        &[initialize_staking(
            initialize_staking_accounts(&env, TokenProgram::SplToken, mint),
            args(governance.pubkey(), staking::state::VotingMode::Linear),
        )],
        &[&deployer],
    ));
    let ix = initialize_revenue(initialize_revenue_accounts(
        env.payer.pubkey(),
        deployer.pubkey(),
        usd,
        TokenProgram::Token2022,
    ));
    assert_custom_error(&env.send(&[ix], &[&deployer]), 0, code(error));
    assert!(env.account(&revenue_vault_pda().0).is_none());
    let c: staking::state::StakingConfig = env.anchor_account(&config_pda().0);
    assert_eq!(c.revenue_mint, Pubkey::default());
}

#[test]
fn initialize_revenue_is_the_deployers_only_and_once() {
    // A config without revenue yet.
    let mut env = TestEnv::with_programs(&[STAKING]);
    let governance = env.funded_keypair();
    let mint = create_mint(&mut env, TokenProgram::SplToken, &governance.pubkey(), 6);
    let usd = create_mint(&mut env, TokenProgram::Token2022, &governance.pubkey(), 6);
    let deployer = env.deployer.insecure_clone();
    expect_ok(env.send(
        &[initialize_staking(
            initialize_staking_accounts(&env, TokenProgram::SplToken, mint),
            args(governance.pubkey(), staking::state::VotingMode::Linear),
        )],
        &[&deployer],
    ));
    // Staking before revenue exists is refused: every weight change syncs the revenue vault.
    let staker = env.funded_keypair();
    let source = create_token_account(&mut env, TokenProgram::SplToken, &mint, &staker.pubkey());
    let mint_ix = harness::anchor_spl::token_2022::spl_token_2022::instruction::mint_to(
        &TokenProgram::SplToken.id(),
        &mint,
        &source,
        &governance.pubkey(),
        &[],
        100,
    )
    .unwrap();
    expect_ok(env.send(&[mint_ix], &[&governance]));
    let stake_ix = stake(
        stake_accounts(staker.pubkey(), 1, mint, source, TokenProgram::SplToken),
        StakeArgs {
            id: 1,
            kind: staking::state::LockupKind::Cliff,
            lockup_secs: 0,
            amount: 100,
        },
    );
    let r = env.send(&[stake_ix], &[&staker]);
    assert_custom_error(&r, 0, code(StakingError::WrongRevenueVault));
    let impostor = env.funded_keypair();
    let payer = env.payer.pubkey();
    let ix = |authority| {
        initialize_revenue(initialize_revenue_accounts(
            payer,
            authority,
            usd,
            TokenProgram::Token2022,
        ))
    };
    // The set-up is the deployer's (the program's upgrade authority), not even governance's.
    for wrong in [&impostor, &governance] {
        let ix = ix(wrong.pubkey());
        assert_custom_error(
            &env.send(&[ix], &[wrong]),
            0,
            code(StakingError::NotUpgradeAuthority),
        );
    }
    let right = ix(deployer.pubkey());
    let meta = expect_ok(env.send(std::slice::from_ref(&right), &[&deployer]));
    let e: Vec<staking::events::RevenueInitialized> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].revenue_mint,
            e[0].revenue_vault,
            e[0].revenue_token_program
        ),
        (usd, revenue_vault_pda().0, TokenProgram::Token2022.id())
    );
    let c: staking::state::StakingConfig = env.anchor_account(&config_pda().0);
    assert_eq!(
        (c.revenue_mint, c.revenue_vault, c.revenue_vault_bump),
        (usd, revenue_vault_pda().0, revenue_vault_pda().1)
    );
    let (vault_account, vault) = read_token_account(&env, &revenue_vault_pda().0);
    assert_eq!(vault_account.owner, TokenProgram::Token2022.id());
    assert_eq!(
        (vault.mint, vault.owner, vault.amount),
        (usd, config_pda().0, 0)
    );
    // Once: the vault's `init` refuses a second call (the system program: account in use).
    assert_tx_error(
        &env.send_fresh(&[right], &[&deployer]),
        solana_transaction_error::TransactionError::InstructionError(
            0,
            solana_instruction_error::InstructionError::Custom(0),
        ),
    );
}

/// The stored weight of a decaying cliff counts until the position is touched; a
/// permissionless refresh brings it down, settling first, so what it earned before the refresh
/// is kept at the old weight and what comes after is shared at the new one.
#[test]
fn refresh_settles_then_lowers_a_decayed_weight() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (a, a_src) = fx.staker(1_000);
    let (b, b_src) = fx.staker(1_000);
    let pa = fx.stake(&a, a_src, 1, LockupKind::Cliff, MAX_LOCKUP, 1_000); // 5,000 W
    fx.stake(&b, b_src, 1, LockupKind::Constant, MAX_LOCKUP, 1_000); // 5,000 W
    fx.warp(MAX_LOCKUP); // A's lock has run out, its stored weight is still 5,000 W
    fx.fund(1_000);
    expect_ok(fx.env.send(&[refresh_position_ix(a.pubkey(), pa)], &[]));
    let sa = fx.staker_account(&a.pubkey());
    assert_eq!(
        (fx.position(&pa).weight, sa.weight, sa.pending_revenue),
        (1_000 * W, 1_000 * W, 500)
    );
    fx.fund(600); // over 6,000 W: A 100, B 500
    let (a_out, b_out) = (
        fx.revenue_account(&a.pubkey()),
        fx.revenue_account(&b.pubkey()),
    );
    expect_ok(fx.claim(&a, a_out));
    expect_ok(fx.claim(&b, b_out));
    assert_eq!((fx.balance(&a_out), fx.balance(&b_out)), (600, 1_000));
}
