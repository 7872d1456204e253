//! `staking` provider collateral: only the rewards program's `["collateral_authority"]` PDA may
//! bind or release a device's collateral, and bound collateral cannot be unstaked.
//!
//! Here staking runs alone, and a PDA of another program cannot sign a transaction: the success
//! path is shown by writing `bound_devices` into the position directly, and the refusals are
//! tested through the instruction. The real path (the rewards program's CPI at onboarding,
//! transfer and decommissioning) is tested in `rewards::devices`.

use super::fixture::*;
use anchor_lang::AccountSerialize;
use anchor_lang::prelude::Pubkey;
use harness::builders::staking_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use staking::error::StakingError;
use staking::state::LockupKind;

fn set_bound_devices(fx: &mut Fx, position: Pubkey, devices: u32) {
    let mut p = fx.position(&position);
    p.bound_devices = devices;
    let mut account = fx.env.account(&position).unwrap();
    let mut data = Vec::new();
    p.try_serialize(&mut data).unwrap();
    account.data[..data.len()].copy_from_slice(&data);
    fx.env.svm.set_account(position, account).unwrap();
}

#[test]
fn only_the_rewards_collateral_authority_may_bind_or_release() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(5_000);
    let position = fx.stake(&owner, source, 1, LockupKind::Cliff, 0, 5_000);
    // The PDA is derived from the rewards program id.
    let (expected, _) = collateral_authority_pda();
    assert_eq!(staking::instructions::collateral_authority(), expected);
    // The owner, governance or any other signer is refused.
    let governance = fx.governance.insecure_clone();
    for signer in [&owner, &governance] {
        let r = fx
            .env
            .send_fresh(&[bind_collateral_ix(signer.pubkey(), position)], &[signer]);
        assert_custom_error(&r, 0, code(StakingError::NotCollateralAuthority));
        let r = fx.env.send_fresh(
            &[release_collateral_ix(signer.pubkey(), position, 60)],
            &[signer],
        );
        assert_custom_error(&r, 0, code(StakingError::NotCollateralAuthority));
    }
    // The collateral authority's address without its signature cannot even be sent: the
    // instruction needs it as a signer.
    let mut ix = bind_collateral_ix(expected, position);
    ix.accounts[0].is_signer = false;
    let r = fx.env.send(&[ix], &[]);
    assert_custom_error(
        &r,
        0,
        anchor_lang::error::ErrorCode::AccountNotSigner.into(),
    );
    assert_eq!(fx.position(&position).bound_devices, 0);
}

#[test]
fn bound_collateral_cannot_be_unstaked() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(5_000);
    let position = fx.stake(&owner, source, 1, LockupKind::Cliff, 0, 5_000);
    // Two devices bound: 2 x 1,000 must stay locked.
    set_bound_devices(&mut fx, position, 2);
    let r = fx
        .env
        .send(&[fx.unstake(owner.pubkey(), position, 3_001)], &[&owner]);
    assert_custom_error(&r, 0, code(StakingError::CollateralBound));
    expect_ok(
        fx.env
            .send(&[fx.unstake(owner.pubkey(), position, 3_000)], &[&owner]),
    );
    let r = fx
        .env
        .send(&[fx.unstake(owner.pubkey(), position, 1)], &[&owner]);
    assert_custom_error(&r, 0, code(StakingError::CollateralBound));
    let p = fx.position(&position);
    assert_eq!((p.amount, p.cooling, p.bound_devices), (2_000, 3_000, 2));
    // Released (written back to zero), the rest unstakes.
    set_bound_devices(&mut fx, position, 0);
    expect_ok(
        fx.env
            .send_fresh(&[fx.unstake(owner.pubkey(), position, 2_000)], &[&owner]),
    );
    assert_eq!(fx.position(&position).amount, 0);
}
