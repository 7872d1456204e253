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
            &[release_collateral_ix(signer.pubkey(), position, (0, 60))],
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

/// Writes a rewards `Network` with `final_epochs` final epochs at `at`, owned by `owner`.
fn install_network(fx: &mut Fx, at: Pubkey, owner: Pubkey, final_epochs: u64) {
    let mut network: rewards::state::Network = zeroed_network();
    network.final_root.epochs = final_epochs;
    let mut data = Vec::new();
    network.try_serialize(&mut data).unwrap();
    let account = solana_account::Account {
        lamports: fx.env.rent_exempt(data.len()),
        data,
        owner,
        executable: false,
        rent_epoch: 0,
    };
    fx.env.svm.set_account(at, account).unwrap();
}

/// A `Network` with every field zero but the ones the test sets.
fn zeroed_network() -> rewards::state::Network {
    use anchor_lang::AnchorDeserialize;
    let zeros = vec![0u8; rewards::state::Network::SIZE];
    rewards::state::Network::deserialize(&mut &zeros[..]).unwrap()
}

/// A released device's collateral stays liable until the rewards network has the recorded
/// number of final epochs, read from the rewards program's network account: a substituted
/// account (another address, another owner, not a `Network`) is refused; a position with no
/// released device does not read it.
#[test]
fn released_collateral_is_liable_until_the_rewards_networks_epochs_are_final() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(5_000);
    let position = fx.stake(&owner, source, 1, LockupKind::Cliff, 0, 5_000);
    // No network at all: a position without released devices unstakes.
    expect_ok(
        fx.env
            .send(&[fx.unstake(owner.pubkey(), position, 1_000)], &[&owner]),
    );
    // Two released devices liable until 6 epochs are final.
    let mut p = fx.position(&position);
    (p.liable_devices, p.liable_until_epochs) = (2, 6);
    let mut account = fx.env.account(&position).unwrap();
    let mut data = Vec::new();
    p.try_serialize(&mut data).unwrap();
    account.data[..data.len()].copy_from_slice(&data);
    fx.env.svm.set_account(position, account).unwrap();
    let network = staking::constants::REWARDS_NETWORK;
    assert_eq!(network, harness::builders::rewards_ix::network_pda().0);
    let unstake = |fx: &mut Fx, amount| {
        let ix = fx.unstake(owner.pubkey(), position, amount);
        fx.env.send_fresh(&[ix], &[&owner])
    };
    // Missing, or owned by another program: refused by name.
    assert_custom_error(
        &unstake(&mut fx, 1),
        0,
        code(StakingError::WrongRewardsNetwork),
    );
    install_network(&mut fx, network, staking::ID, 9);
    assert_custom_error(
        &unstake(&mut fx, 1),
        0,
        code(StakingError::WrongRewardsNetwork),
    );
    // Another address, even a real Network's bytes owned by rewards.
    let elsewhere = Pubkey::new_unique();
    install_network(&mut fx, elsewhere, rewards::ID, 9);
    let mut ix = fx.unstake(owner.pubkey(), position, 1);
    for meta in &mut ix.accounts {
        if meta.pubkey == network {
            meta.pubkey = elsewhere;
        }
    }
    assert_custom_error(
        &fx.env.send_fresh(&[ix], &[&owner]),
        0,
        code(StakingError::WrongRewardsNetwork),
    );
    // Not a Network (its discriminator changed).
    install_network(&mut fx, network, rewards::ID, 9);
    let mut bytes = fx.env.account(&network).unwrap();
    bytes.data[0] ^= 1;
    fx.env.svm.set_account(network, bytes).unwrap();
    assert_custom_error(
        &unstake(&mut fx, 1),
        0,
        code(StakingError::WrongRewardsNetwork),
    );
    // 5 epochs final: 2 x 1,000 stay locked; 6: all of it unstakes.
    install_network(&mut fx, network, rewards::ID, 5);
    assert_custom_error(
        &unstake(&mut fx, 2_001),
        0,
        code(StakingError::CollateralBound),
    );
    expect_ok(unstake(&mut fx, 2_000));
    install_network(&mut fx, network, rewards::ID, 6);
    expect_ok(unstake(&mut fx, 2_000));
    assert_eq!(fx.position(&position).amount, 0);
}

/// Staking reads `final_root.epochs` from the rewards `Network`'s bytes: the offset and
/// discriminator it assumes are the rewards crate's.
#[test]
fn rewards_network_layout_matches_the_rewards_crate() {
    use anchor_lang::Discriminator;
    assert_eq!(
        staking::state::rewards_network::NETWORK_DISCRIMINATOR.as_slice(),
        rewards::state::Network::DISCRIMINATOR
    );
    let mut network = zeroed_network();
    network.final_root.epochs = 0x0102_0304_0506_0708;
    network.total_burned = u64::MAX;
    network.created_at = -1;
    let mut data = Vec::new();
    network.try_serialize(&mut data).unwrap();
    assert_eq!(
        staking::state::rewards_network::final_epochs(&data),
        Some(0x0102_0304_0506_0708)
    );
    data[1] ^= 1;
    assert_eq!(staking::state::rewards_network::final_epochs(&data), None);
}
