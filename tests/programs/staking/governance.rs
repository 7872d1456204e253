//! Issue 23, item 4: every staking parameter changes only through the shared timelock: propose
//! (governance), wait `timelock_secs`, apply (anyone) within the grace period, or cancel
//! (governance). Each parameter is changed once; every refusal is by name.

use super::fixture::*;
use anchor_lang::prelude::Pubkey;
use depin_common::timelock::GRACE_SECS;
use harness::builders::staking_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use staking::error::StakingError;
use staking::events::{ChangeApplied, ChangeCancelled, ChangeProposed};
use staking::state::{StakingConfig, VotingMode};
use test_case::test_case;

/// The fixture's timelock.
const TIMELOCK: i64 = 2 * 86_400;

/// Governance proposes `update` (paying the rent itself); returns the change's id.
fn propose(fx: &mut Fx, update: StakingUpdate) -> (u64, TransactionMetadata) {
    let id = fx.config().changes_proposed;
    let governance = fx.governance.insecure_clone();
    let ix = propose_change_ix(governance.pubkey(), governance.pubkey(), id, update);
    (id, expect_ok(fx.env.send_fresh(&[ix], &[&governance])))
}

fn apply(fx: &mut Fx, id: u64) -> TransactionResult {
    let proposer = fx.governance.pubkey();
    fx.env.send_fresh(&[apply_change_ix(id, proposer)], &[])
}

#[test_case(StakingUpdate::Authority(Pubkey::new_from_array([7; 32])), |c| c.authority == Pubkey::new_from_array([7; 32]) ; "authority")]
#[test_case(StakingUpdate::VotingMode(VotingMode::Quadratic), |c| c.voting_mode == VotingMode::Quadratic ; "voting mode")]
#[test_case(StakingUpdate::MaxLockupSecs(2_000_000), |c| c.max_lockup_secs == 2_000_000 ; "max lockup")]
#[test_case(StakingUpdate::MaxMultiplierBps(30_000), |c| c.max_multiplier_bps == 30_000 ; "max multiplier")]
#[test_case(StakingUpdate::CooldownSecs(14 * 86_400), |c| c.cooldown_secs == 14 * 86_400 ; "cooldown")]
#[test_case(StakingUpdate::MinDeviceCollateral(123), |c| c.min_device_collateral == 123 ; "min device collateral")]
#[test_case(StakingUpdate::MaxSlashBps(100), |c| c.max_slash_bps == 100 ; "max slash")]
#[test_case(StakingUpdate::AppealSecs(86_400), |c| c.appeal_secs == 86_400 ; "appeal window")]
#[test_case(StakingUpdate::TimelockSecs(3_600), |c| c.timelock_secs == 3_600 ; "timelock")]
#[test_case(StakingUpdate::RevenueStreamSecs(86_400), |c| c.revenue_stream_secs == 86_400 ; "revenue stream")]
#[test_case(StakingUpdate::Realm(Pubkey::default()), |c| c.realm == Pubkey::default() ; "no realm")]
fn each_parameter_changes_after_the_timelock(
    update: StakingUpdate,
    changed: fn(&StakingConfig) -> bool,
) {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let before = fx.config();
    assert!(!changed(&before));
    let proposed_at = fx.env.now();
    let (id, meta) = propose(&mut fx, update);
    let e = &cpi_events::<ChangeProposed>(&meta)[0];
    assert_eq!((e.id, e.update, e.eta), (0, update, proposed_at + TIMELOCK));
    // A second early: refused, nothing changed.
    fx.env.warp_to_timestamp(proposed_at + TIMELOCK - 1);
    assert_custom_error(&apply(&mut fx, id), 0, code(StakingError::TimelockActive));
    assert_eq!(
        fx.config(),
        StakingConfig {
            changes_proposed: 1,
            ..before
        }
    );
    // Due: anyone applies it; the rent goes back to the proposer.
    fx.env.warp_to_timestamp(proposed_at + TIMELOCK);
    let meta = expect_ok(apply(&mut fx, id));
    assert_eq!(cpi_events::<ChangeApplied>(&meta)[0].update, update);
    assert!(changed(&fx.config()));
    assert!(fx.env.account(&change_pda(id).0).is_none());
    // Replayed: the change account is gone.
    assert_custom_error(
        &apply(&mut fx, id),
        0,
        anchor_lang::error::ErrorCode::AccountNotInitialized.into(),
    );
}

#[test_case(StakingUpdate::Authority(Pubkey::default()), StakingError::InvalidAuthority ; "default authority")]
#[test_case(StakingUpdate::MaxLockupSecs(0), StakingError::InvalidMaxLockup ; "zero lockup")]
#[test_case(StakingUpdate::MaxLockupSecs(u64::MAX), StakingError::InvalidMaxLockup ; "lockup overflow")]
#[test_case(StakingUpdate::MaxMultiplierBps(9_999), StakingError::InvalidMaxMultiplier ; "multiplier below 1x")]
#[test_case(StakingUpdate::MaxMultiplierBps(u32::MAX), StakingError::InvalidMaxMultiplier ; "multiplier overflow")]
#[test_case(StakingUpdate::CooldownSecs(0), StakingError::InvalidCooldown ; "no cooldown")]
#[test_case(StakingUpdate::MaxSlashBps(5_001), StakingError::InvalidMaxSlash ; "slash over half")]
#[test_case(StakingUpdate::AppealSecs(0), StakingError::InvalidAppealWindow ; "no appeal")]
#[test_case(StakingUpdate::MinDeviceCollateral(0), StakingError::InvalidMinDeviceCollateral ; "no collateral")]
#[test_case(StakingUpdate::TimelockSecs(u64::MAX), StakingError::InvalidTimelock ; "timelock overflow")]
#[test_case(StakingUpdate::RevenueStreamSecs(30 * 86_400 + 1), StakingError::InvalidStream ; "stream over thirty days")]
fn out_of_range_changes_are_refused_when_proposed(update: StakingUpdate, error: StakingError) {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let governance = fx.governance.insecure_clone();
    let ix = propose_change_ix(governance.pubkey(), governance.pubkey(), 0, update);
    assert_custom_error(&fx.env.send(&[ix], &[&governance]), 0, code(error));
    assert_eq!(fx.config().changes_proposed, 0);
    assert!(fx.env.account(&change_pda(0).0).is_none());
}

#[test]
fn only_governance_proposes_and_cancels_and_a_change_expires() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let impostor = fx.env.funded_keypair();
    let update = StakingUpdate::CooldownSecs(30 * 86_400);
    let ix = propose_change_ix(impostor.pubkey(), impostor.pubkey(), 0, update);
    assert_custom_error(
        &fx.env.send(&[ix], &[&impostor]),
        0,
        code(StakingError::NotAuthority),
    );
    let (id, _) = propose(&mut fx, update);
    // Cancelling: not by the impostor, not with the rent sent elsewhere; by governance, yes.
    let ix = cancel_change_ix(impostor.pubkey(), id, fx.governance.pubkey());
    assert_custom_error(
        &fx.env.send(&[ix], &[&impostor]),
        0,
        code(StakingError::NotAuthority),
    );
    let governance: Keypair = fx.governance.insecure_clone();
    let ix = cancel_change_ix(governance.pubkey(), id, impostor.pubkey());
    assert_custom_error(
        &fx.env.send(&[ix], &[&governance]),
        0,
        code(StakingError::WrongProposer),
    );
    let ix = apply_change_ix(id, impostor.pubkey());
    fx.env.warp_to_timestamp(fx.env.now() + TIMELOCK);
    assert_custom_error(
        &fx.env.send(&[ix], &[]),
        0,
        code(StakingError::WrongProposer),
    );
    let ix = cancel_change_ix(governance.pubkey(), id, governance.pubkey());
    let meta = expect_ok(fx.env.send_fresh(&[ix], &[&governance]));
    assert_eq!(cpi_events::<ChangeCancelled>(&meta)[0].id, id);
    assert_eq!(fx.config().cooldown_secs, COOLDOWN);
    assert!(fx.env.account(&change_pda(id).0).is_none());

    // A change left past its grace period cannot be applied.
    let start = fx.env.now();
    let (id, _) = propose(&mut fx, update);
    fx.env.warp_to_timestamp(start + TIMELOCK + GRACE_SECS + 1);
    assert_custom_error(&apply(&mut fx, id), 0, code(StakingError::ChangeExpired));
    assert_eq!(fx.config().cooldown_secs, COOLDOWN);
}

/// A new authority takes over: the old one can no longer propose, the new one can.
#[test]
fn an_authority_change_hands_over_governance() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let successor = fx.env.funded_keypair();
    let start = fx.env.now();
    let (id, _) = propose(&mut fx, StakingUpdate::Authority(successor.pubkey()));
    fx.env.warp_to_timestamp(start + TIMELOCK);
    expect_ok(apply(&mut fx, id));
    let update = StakingUpdate::MaxSlashBps(10);
    let old = fx.governance.insecure_clone();
    let ix = propose_change_ix(old.pubkey(), old.pubkey(), 1, update);
    assert_custom_error(
        &fx.env.send(&[ix], &[&old]),
        0,
        code(StakingError::NotAuthority),
    );
    let ix = propose_change_ix(successor.pubkey(), successor.pubkey(), 1, update);
    expect_ok(fx.env.send(&[ix], &[&successor]));
}

/// Issue 23 (review of item 3): a realm change must name spl-governance's realm of the stake
/// mint (`staking::realms` changes to a real one), or `unstake` would look for token owner
/// records where none can ever be.
#[test]
fn a_realm_change_must_name_spl_governances_realm_of_the_stake_mint() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let key = fx.governance.insecure_clone();
    let of_another_mint = Pubkey::new_unique();
    harness::governance::write_realm(&mut fx.env, of_another_mint, Pubkey::new_unique());
    let not_a_realm = fx.env.copy_account(&REALM, |a| a.data[0] = 17);
    let not_governances = fx
        .env
        .copy_account(&REALM, |a| a.owner = Pubkey::new_unique());
    for realm in [
        of_another_mint,
        not_a_realm,
        not_governances,
        Pubkey::new_unique(),
    ] {
        let ix = propose_change_ix(key.pubkey(), key.pubkey(), 0, StakingUpdate::Realm(realm));
        let r = fx.env.send_fresh(&[ix], &[&key]);
        assert_custom_error(&r, 0, code(StakingError::InvalidRealm));
    }
    assert_eq!(fx.config().changes_proposed, 0);
}
