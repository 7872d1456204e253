//! `staking` positions: stake, add, extend, start_unlock, unstake (cooldown), withdraw; the
//! multiplier at 0, the maximum and in between; the quadratic mode; decay of cliff versus
//! constant locks across clock warps.

use super::fixture::*;
use anchor_lang::prelude::Pubkey;
use harness::builders::staking_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use staking::error::StakingError;
use staking::events::{PositionIncreased, Staked, Withdrawn};
use staking::state::{LockupKind, Position, VotingMode};
use test_case::test_case;

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn stake_creates_a_position(tp: TokenProgram) {
    let mut fx = Fx::new(tp);
    let (owner, source) = fx.staker(10_000);
    let ix = fx.stake_ix(
        &owner.pubkey(),
        source,
        7,
        LockupKind::Cliff,
        500_000,
        4_000,
    );
    let meta = expect_ok(fx.env.send(&[ix], &[&owner]));
    let now = fx.env.now();
    let (key, bump) = position_pda(&owner.pubkey(), 7);
    let p = fx.position(&key);
    assert_eq!(
        p,
        Position {
            version: 2,
            bump,
            kind: LockupKind::Cliff,
            bound_devices: 0,
            owner: owner.pubkey(),
            id: 7,
            amount: 4_000,
            lockup_secs: 500_000,
            lock_end: now + 500_000,
            cooling: 0,
            cooldown_end: 0,
            // 3x: 10,000 + 500,000 / 25 bps; revenue weight = amount x bps.
            weight: 4_000 * 30_000,
            deposited: 4_000,
            withdrawn: 0,
            slashed: 0,
            slash_nonce: 0,
            pending_slash: None,
            created_at: now,
            liable_devices: 0,
            liable_until_epochs: 0,
            reserved: [0; 52],
        }
    );
    let account = fx.env.account(&key).unwrap();
    assert_eq!(account.owner, staking::ID);
    assert_eq!(account.lamports, fx.env.rent_exempt(Position::SIZE));
    assert_eq!(fx.balance(&source), 6_000);
    assert_eq!(fx.balance(&vault_pda().0), 4_000);
    let c = fx.config();
    assert_eq!((c.total_locked, c.total_weight), (4_000, 120_000_000));

    let events: Vec<Staked> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.position,
            e.owner,
            e.id,
            e.kind,
            e.lockup_secs,
            e.lock_end,
            e.amount
        ),
        (
            key,
            owner.pubkey(),
            7,
            LockupKind::Cliff,
            500_000,
            now + 500_000,
            4_000
        )
    );
    assert_eq!(
        (
            e.total_locked,
            e.weight.weight_before,
            e.weight.weight_after
        ),
        (4_000, 0, 120_000_000)
    );
    assert_eq!(
        (e.weight.multiplier_bps, e.weight.total_weight),
        (30_000, 120_000_000)
    );
}

#[test]
fn multiplier_at_zero_max_and_in_between() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(100_000);
    // (lockup, expected revenue weight of 1,000 tokens: amount x multiplier bps)
    let cases = [
        (0, 10_000_000),          // 1x
        (1, 10_000_000),          // 1x + 0.0004 bps, floored away
        (250_000, 20_000_000),    // 2x
        (333_333, 23_333_000),    // 10,000 + 13,333 bps, floored
        (500_000, 30_000_000),    // 3x
        (MAX_LOCKUP, 50_000_000), // 5x
    ];
    let mut total = 0u128;
    for (id, (lockup, weight)) in cases.into_iter().enumerate() {
        let key = fx.stake(&owner, source, id as u64, LockupKind::Cliff, lockup, 1_000);
        assert_eq!(fx.position(&key).weight, weight, "lockup {lockup}");
        assert_eq!(u64::try_from(weight).unwrap(), 1_000 * mult(lockup));
        total += weight;
    }
    assert_eq!(fx.config().total_weight, total);
    // Constant locks weigh the same as cliffs of the same duration.
    let key = fx.stake(&owner, source, 100, LockupKind::Constant, 250_000, 1_000);
    assert_eq!(fx.position(&key).weight, 20_000_000);
}

/// Revenue weight is linear in both voting modes: quadratic voting never reaches the revenue
/// share (the voting weight is the owner's, `voter_weight`).
#[test]
fn quadratic_mode_keeps_revenue_weight_linear() {
    let mut fx = Fx::with_mode(TokenProgram::SplToken, VotingMode::Quadratic);
    let (owner, source) = fx.staker(10_000_000);
    let a = fx.stake(&owner, source, 1, LockupKind::Cliff, MAX_LOCKUP, 1_000_000);
    assert_eq!(fx.position(&a).weight, 1_000_000 * 50_000);
    let b = fx.stake(&owner, source, 2, LockupKind::Constant, 250_000, 999_999);
    assert_eq!(fx.position(&b).weight, 999_999 * 20_000);
    let c = fx.stake(&owner, source, 3, LockupKind::Cliff, 0, 4);
    assert_eq!(fx.position(&c).weight, 4 * 10_000);
    let total = 1_000_000 * 50_000 + 999_999 * 20_000 + 4 * 10_000;
    assert_eq!(fx.config().total_weight, total);
    assert_eq!(fx.staker_account(&owner.pubkey()).weight, total);
}

#[test]
fn cliff_decays_constant_does_not_until_unlocking() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(10_000);
    let cliff = fx.stake(&owner, source, 1, LockupKind::Cliff, MAX_LOCKUP, 1_000);
    let constant = fx.stake(&owner, source, 2, LockupKind::Constant, MAX_LOCKUP, 1_000);
    let refresh = |fx: &mut Fx| {
        expect_ok(fx.env.send_fresh(
            &[
                refresh_position_ix(owner.pubkey(), cliff),
                refresh_position_ix(owner.pubkey(), constant),
            ],
            &[],
        ));
        (
            fx.position(&cliff).weight,
            fx.position(&constant).weight,
            fx.config().total_weight,
        )
    };
    assert_eq!(refresh(&mut fx), (5_000 * W, 5_000 * W, 10_000 * W));
    fx.warp(250_000);
    // Cliff: 750,000 s left = 4x. Constant: still 5x.
    assert_eq!(refresh(&mut fx), (4_000 * W, 5_000 * W, 9_000 * W));
    expect_ok(
        fx.env
            .send(&[start_unlock_ix(owner.pubkey(), constant)], &[&owner]),
    );
    let p = fx.position(&constant);
    assert_eq!(
        (p.kind, p.lock_end),
        (LockupKind::Cliff, fx.env.now() + 1_000_000)
    );
    assert_eq!(p.weight, 5_000 * W);
    fx.warp(500_000);
    // Cliff: 250,000 left = 2x. Unlocking constant: 500,000 left = 3x.
    assert_eq!(refresh(&mut fx), (2_000 * W, 3_000 * W, 5_000 * W));
    fx.warp(1_000_000);
    assert_eq!(refresh(&mut fx), (1_000 * W, 1_000 * W, 2_000 * W));
    // Starting to unlock twice is refused.
    let again = fx
        .env
        .send_fresh(&[start_unlock_ix(owner.pubkey(), constant)], &[&owner]);
    assert_custom_error(&again, 0, code(StakingError::AlreadyUnlocking));
}

#[test]
fn extend_lock_never_shortens() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(10_000);
    let cliff = fx.stake(&owner, source, 1, LockupKind::Cliff, 100_000, 1_000);
    let constant = fx.stake(&owner, source, 2, LockupKind::Constant, 200_000, 1_000);
    fx.warp(50_000);
    // 50,000 s left: 49,999 is shorter.
    let short = fx
        .env
        .send(&[extend_lock_ix(owner.pubkey(), cliff, 49_999)], &[&owner]);
    assert_custom_error(&short, 0, code(StakingError::LockCannotShorten));
    expect_ok(
        fx.env
            .send(&[extend_lock_ix(owner.pubkey(), cliff, 600_000)], &[&owner]),
    );
    let p = fx.position(&cliff);
    assert_eq!(
        (p.lock_end, p.lockup_secs),
        (fx.env.now() + 600_000, 600_000)
    );
    assert_eq!(p.weight, 3_400 * W); // 10,000 + 24,000 bps
    let short = fx.env.send(
        &[extend_lock_ix(owner.pubkey(), constant, 199_999)],
        &[&owner],
    );
    assert_custom_error(&short, 0, code(StakingError::LockCannotShorten));
    expect_ok(fx.env.send(
        &[extend_lock_ix(owner.pubkey(), constant, 300_000)],
        &[&owner],
    ));
    let p = fx.position(&constant);
    assert_eq!(
        (p.lock_end, p.lockup_secs, p.weight),
        (0, 300_000, 2_200 * W)
    );
    let over = fx.env.send_fresh(
        &[extend_lock_ix(owner.pubkey(), constant, MAX_LOCKUP + 1)],
        &[&owner],
    );
    assert_custom_error(&over, 0, code(StakingError::InvalidLockup));
    // Someone else cannot extend it (with the owner's staker account, index 3).
    let other = fx.env.funded_keypair();
    let mut ix = extend_lock_ix(other.pubkey(), constant, 400_000);
    ix.accounts[3].pubkey = staker_pda(&owner.pubkey()).0;
    let wrong = fx.env.send(&[ix], &[&other]);
    assert_custom_error(&wrong, 0, code(StakingError::NotPositionOwner));
    assert_eq!(fx.config().total_weight, (3_400 + 2_200) * W);
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn unstake_cooldown_then_withdraw(tp: TokenProgram) {
    let mut fx = Fx::new(tp);
    let (owner, source) = fx.staker(5_000);
    let key = fx.stake(&owner, source, 1, LockupKind::Cliff, 100, 5_000);
    let early = fx
        .env
        .send(&[fx.unstake(owner.pubkey(), key, 2_000)], &[&owner]);
    assert_custom_error(&early, 0, code(StakingError::StillLocked));
    fx.warp(100);
    let too_much = fx
        .env
        .send(&[fx.unstake(owner.pubkey(), key, 5_001)], &[&owner]);
    assert_custom_error(&too_much, 0, code(StakingError::InsufficientLocked));
    let overflow = fx
        .env
        .send(&[fx.unstake(owner.pubkey(), key, u64::MAX)], &[&owner]);
    assert_custom_error(&overflow, 0, code(StakingError::InsufficientLocked));
    expect_ok(
        fx.env
            .send_fresh(&[fx.unstake(owner.pubkey(), key, 2_000)], &[&owner]),
    );
    let p = fx.position(&key);
    assert_eq!(
        (p.amount, p.cooling, p.cooldown_end, p.weight),
        (3_000, 2_000, fx.env.now() + COOLDOWN as i64, 3_000 * W)
    );
    assert_eq!(fx.config().total_weight, 3_000 * W);

    let w = |fx: &Fx, amount: u64| {
        withdraw(
            withdraw_accounts(owner.pubkey(), key, fx.mint, source, fx.tp, REALM),
            amount,
        )
    };
    let ix = w(&fx, 2_000);
    let early = fx.env.send(&[ix], &[&owner]);
    assert_custom_error(&early, 0, code(StakingError::CooldownNotOver));
    fx.warp(COOLDOWN - 1);
    let ix = w(&fx, 2_000);
    let early = fx.env.send(&[ix], &[&owner]);
    assert_custom_error(&early, 0, code(StakingError::CooldownNotOver));
    fx.warp(1);
    let ix = w(&fx, 2_001);
    let more = fx.env.send(&[ix], &[&owner]);
    assert_custom_error(&more, 0, code(StakingError::InsufficientCooling));
    let ix = w(&fx, 2_000);
    let meta = expect_ok(fx.env.send_fresh(std::slice::from_ref(&ix), &[&owner]));
    assert_eq!(fx.balance(&source), 2_000);
    assert_eq!(fx.balance(&vault_pda().0), 3_000);
    let p = fx.position(&key);
    assert_eq!(
        (p.amount, p.cooling, p.withdrawn, p.deposited),
        (3_000, 0, 2_000, 5_000)
    );
    assert_eq!(fx.config().total_locked, 3_000);
    let e: Vec<Withdrawn> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].amount,
            e[0].cooling_after,
            e[0].total_locked,
            e[0].destination
        ),
        (2_000, 0, 3_000, source)
    );
    // Replaying the same withdrawal is refused: nothing is cooling any more.
    let replay = fx.env.send_fresh(&[ix], &[&owner]);
    assert_custom_error(&replay, 0, code(StakingError::InsufficientCooling));
    assert_eq!(fx.balance(&source), 2_000);
}

#[test]
fn withdraw_refuses_wrong_signer_and_substituted_accounts() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(5_000);
    let key = fx.stake(&owner, source, 1, LockupKind::Cliff, 0, 5_000);
    expect_ok(
        fx.env
            .send(&[fx.unstake(owner.pubkey(), key, 5_000)], &[&owner]),
    );
    fx.warp(COOLDOWN);
    let (thief, thief_account) = fx.staker(0);
    // The thief signs as owner.
    let ix = withdraw(
        withdraw_accounts(thief.pubkey(), key, fx.mint, thief_account, fx.tp, REALM),
        5_000,
    );
    assert_custom_error(
        &fx.env.send(&[ix], &[&thief]),
        0,
        code(StakingError::NotPositionOwner),
    );
    // The owner signs, but the destination is the thief's.
    let ix = withdraw(
        withdraw_accounts(owner.pubkey(), key, fx.mint, thief_account, fx.tp, REALM),
        5_000,
    );
    assert_custom_error(
        &fx.env.send(&[ix], &[&owner]),
        0,
        code(StakingError::WrongTokenAccountOwner),
    );
    // A substituted vault.
    let fake_vault = create_token_account(&mut fx.env, fx.tp, &fx.mint.clone(), &config_pda().0);
    let mut a = withdraw_accounts(owner.pubkey(), key, fx.mint, source, fx.tp, REALM);
    a.vault = fake_vault;
    assert_custom_error(
        &fx.env.send(&[withdraw(a, 5_000)], &[&owner]),
        0,
        code(StakingError::WrongVault),
    );
    // A substituted mint.
    let other_mint = create_mint(&mut fx.env, fx.tp, &Pubkey::new_unique(), DECIMALS);
    let mut a = withdraw_accounts(owner.pubkey(), key, fx.mint, source, fx.tp, REALM);
    a.stake_mint = other_mint;
    assert_custom_error(
        &fx.env.send(&[withdraw(a, 5_000)], &[&owner]),
        0,
        code(StakingError::WrongMint),
    );
    assert_eq!(fx.balance(&vault_pda().0), 5_000);
}

#[test]
fn stake_refuses_bad_arguments_and_a_reused_id() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(5_000);
    let ix = fx.stake_ix(
        &owner.pubkey(),
        source,
        1,
        LockupKind::Cliff,
        MAX_LOCKUP + 1,
        1,
    );
    assert_custom_error(
        &fx.env.send(&[ix], &[&owner]),
        0,
        code(StakingError::InvalidLockup),
    );
    let ix = fx.stake_ix(&owner.pubkey(), source, 1, LockupKind::Cliff, 0, 0);
    assert_custom_error(
        &fx.env.send(&[ix], &[&owner]),
        0,
        code(StakingError::ZeroAmount),
    );
    fx.stake(&owner, source, 1, LockupKind::Cliff, 0, 1_000);
    // The same id again: the position exists (the system program refuses to create it).
    let ix = fx.stake_ix(&owner.pubkey(), source, 1, LockupKind::Cliff, 0, 1_000);
    assert_tx_error(
        &fx.env.send_fresh(&[ix], &[&owner]),
        solana_transaction_error::TransactionError::InstructionError(
            0,
            solana_instruction_error::InstructionError::Custom(0),
        ),
    );
    assert_eq!(fx.balance(&source), 4_000);
}

/// Time-locked reward deposits: anyone (the rewards program's claim, by CPI) adds tokens to an
/// existing position of another owner, without the owner's signature.
#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn anyone_adds_to_a_position(tp: TokenProgram) {
    let mut fx = Fx::new(tp);
    let (owner, source) = fx.staker(1_000);
    let key = fx.stake(&owner, source, 1, LockupKind::Cliff, MAX_LOCKUP, 1_000);
    let (depositor, dsource) = fx.staker(700);
    let ix = add_to_position(
        add_to_position_accounts(depositor.pubkey(), key, fx.mint, dsource, tp),
        500,
    );
    let meta = expect_ok(fx.env.send(&[ix], &[&depositor]));
    let p = fx.position(&key);
    assert_eq!(
        (p.amount, p.deposited, p.weight, p.owner),
        (1_500, 1_500, 5_000 * W, owner.pubkey())
    );
    assert_eq!(fx.balance(&dsource), 200);
    assert_eq!(fx.balance(&vault_pda().0), 1_500);
    assert_eq!(fx.config().total_locked, 1_500);
    let e: Vec<PositionIncreased> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].depositor,
            e[0].amount,
            e[0].amount_before,
            e[0].amount_after
        ),
        (depositor.pubkey(), 500, 1_000, 1_500)
    );
    assert_eq!(e[0].stored_weight, 5_000 * W);
    // The added tokens earn from the next re-weighing, which anyone may crank.
    let refresh = refresh_position_ix(owner.pubkey(), key);
    expect_ok(fx.env.send(&[refresh], &[]));
    assert_eq!(fx.position(&key).weight, 7_500 * W);
    assert_eq!(fx.staker_account(&owner.pubkey()).weight, 7_500 * W);
    // The depositor's tokens, not someone else's: a source it does not own is refused by the
    // token program.
    let ix = add_to_position(
        add_to_position_accounts(depositor.pubkey(), key, fx.mint, source, tp),
        1,
    );
    assert!(fx.env.send(&[ix], &[&depositor]).is_err());
    let ix = add_to_position(
        add_to_position_accounts(depositor.pubkey(), key, fx.mint, dsource, tp),
        0,
    );
    assert_custom_error(
        &fx.env.send(&[ix], &[&depositor]),
        0,
        code(StakingError::ZeroAmount),
    );
}

#[test]
fn owner_instructions_refuse_a_wrong_signer_and_substituted_accounts() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(10_000);
    let constant = fx.stake(&owner, source, 1, LockupKind::Constant, 1_000, 1_000);
    let cliff = fx.stake(&owner, source, 2, LockupKind::Cliff, 0, 1_000);
    let (other, other_source) = fx.staker(1_000);
    let theirs = fx.stake(&other, other_source, 5, LockupKind::Cliff, 0, 10);
    // Another signer, with its own staker account or the owner's (index 3): refused.
    for staker in [staker_pda(&other.pubkey()).0, staker_pda(&owner.pubkey()).0] {
        for mut ix in [
            start_unlock_ix(other.pubkey(), constant),
            fx.unstake(other.pubkey(), cliff, 1),
            extend_lock_ix(other.pubkey(), cliff, 10),
        ] {
            ix.accounts[3].pubkey = staker;
            let r = fx.env.send_fresh(&[ix], &[&other]);
            assert_custom_error(&r, 0, code(StakingError::NotPositionOwner));
        }
    }
    // The owner, with another owner's staker account: refused.
    for mut ix in [
        start_unlock_ix(owner.pubkey(), constant),
        fx.unstake(owner.pubkey(), cliff, 1),
        extend_lock_ix(owner.pubkey(), cliff, 10),
    ] {
        ix.accounts[3].pubkey = staker_pda(&other.pubkey()).0;
        let r = fx.env.send_fresh(&[ix], &[&owner]);
        assert_custom_error(&r, 0, code(StakingError::WrongStaker));
    }
    // A crank with the wrong owner's staker account: refused.
    let mut ix = refresh_position_ix(owner.pubkey(), cliff);
    ix.accounts[2].pubkey = staker_pda(&other.pubkey()).0;
    let r = fx.env.send_fresh(&[ix], &[]);
    assert_custom_error(&r, 0, code(StakingError::WrongStaker));
    assert_eq!(fx.position(&theirs).amount, 10);
    // Stake with a substituted vault, revenue vault or mint.
    let fake_vault = create_token_account(&mut fx.env, fx.tp, &fx.mint.clone(), &other.pubkey());
    let mut a = stake_accounts(other.pubkey(), 9, fx.mint, other_source, fx.tp);
    a.vault = fake_vault;
    let args = StakeArgs {
        id: 9,
        kind: LockupKind::Cliff,
        lockup_secs: 0,
        amount: 10,
    };
    let r = fx.env.send(&[stake(a, args.clone())], &[&other]);
    assert_custom_error(&r, 0, code(StakingError::WrongVault));
    let mut a = stake_accounts(other.pubkey(), 9, fx.mint, other_source, fx.tp);
    a.revenue_vault = fake_vault;
    let r = fx.env.send(&[stake(a, args.clone())], &[&other]);
    assert_custom_error(&r, 0, code(StakingError::WrongRevenueVault));
    let other_mint = create_mint(&mut fx.env, fx.tp, &other.pubkey(), DECIMALS);
    let mut a = stake_accounts(other.pubkey(), 9, other_mint, other_source, fx.tp);
    a.stake_mint = other_mint;
    let r = fx.env.send(&[stake(a, args.clone())], &[&other]);
    assert_custom_error(&r, 0, code(StakingError::WrongMint));
    // The other token program.
    let other_tp = TokenProgram::Token2022;
    let a = stake_accounts(other.pubkey(), 9, fx.mint, other_source, other_tp);
    let r = fx.env.send(&[stake(a, args)], &[&other]);
    assert_custom_error(&r, 0, code(StakingError::WrongTokenProgram));
    // A position account that is not a position (the config) is refused by its type.
    let r = fx
        .env
        .send_fresh(&[fx.unstake(owner.pubkey(), config_pda().0, 1)], &[&owner]);
    assert_custom_error(
        &r,
        0,
        anchor_lang::error::ErrorCode::AccountDiscriminatorMismatch.into(),
    );
    // Overflow: withdrawing u64::MAX.
    expect_ok(
        fx.env
            .send_fresh(&[fx.unstake(owner.pubkey(), cliff, 1_000)], &[&owner]),
    );
    fx.warp(COOLDOWN);
    let ix = withdraw(
        withdraw_accounts(owner.pubkey(), cliff, fx.mint, source, fx.tp, REALM),
        u64::MAX,
    );
    let r = fx.env.send(&[ix], &[&owner]);
    assert_custom_error(&r, 0, code(StakingError::InsufficientCooling));
    // The owner's 2,000 and the other staker's 10.
    assert_eq!(fx.config().total_locked, 2_010);
}
