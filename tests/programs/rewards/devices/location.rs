//! `update_location`: the owner asserts a device's new cell and burns the location fee; the
//! new cell counts from the next epoch on, and the previous one is kept (no second update)
//! until every epoch scored with it is final, and at most one update an epoch.

use rewards::events::DeviceLocationUpdated;
use rewards::state::prev_location_kept_until;

use super::*;
use test_case::test_case;

/// Near San Francisco's cell, H3 resolution 9 (its neighbours share the prefix).
const MOVED: u64 = 0x0892_8308_ae07_ffff;
const MOVED_AGAIN: u64 = 0x0892_8308_ae0b_ffff;

impl Registry {
    fn update_ix(&self, device: &Pubkey, location: u64) -> Instruction {
        update_location_ix(
            self.owner.pubkey(),
            *device,
            self.owner_tokens,
            self.net.token_program,
            location,
        )
    }

    fn update(&mut self, device: &Pubkey, location: u64) -> litesvm::types::TransactionResult {
        let ix = self.update_ix(device, location);
        let owner = self.owner.insecure_clone();
        self.net.env.send_fresh(&[ix], &[&owner])
    }

    /// Onboards a device now; returns its key.
    fn onboarded(&mut self) -> Pubkey {
        let device = Keypair::new();
        expect_ok(self.onboard(&device));
        device.pubkey()
    }
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn a_location_update_burns_the_fee_and_keeps_the_previous_cell(token_program: TokenProgram) {
    let mut r = Registry::build(token_program, 0, 250, 1_000, MIN_COLLATERAL);
    let key = r.onboarded();
    let onboarded = r.device(&key);
    // Onboarding starts the location's history: nothing before it.
    assert_eq!(
        (onboarded.prev_location, onboarded.location_since),
        (CELL, onboarded.onboarded_at)
    );
    let supply = r.net.supply();
    r.net.env.warp_to_timestamp(r.net.env.now() + 60);
    let meta = expect_ok(r.update(&key, MOVED));
    let now = r.net.env.now();

    assert_eq!(
        r.device(&key),
        Device {
            location: MOVED,
            prev_location: CELL,
            location_since: now,
            ..onboarded
        }
    );
    assert_eq!(r.tokens(), 750);
    assert_eq!(r.net.supply(), supply - 250);
    let network = r.net.network();
    assert_eq!(network.total_burned, 250);
    assert_eq!(r.net.supply(), network.total_minted - network.total_burned);
    let e: Vec<DeviceLocationUpdated> = cpi_events(&meta);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (
            e[0].device,
            e[0].owner,
            e[0].old_location,
            e[0].new_location,
            e[0].fee,
            e[0].timestamp
        ),
        (key, r.owner.pubkey(), CELL, MOVED, 250, now)
    );
    // The device account keeps its size: 8 + 243 bytes, 2,637,840 lamports.
    assert_eq!(Device::SIZE, 251);
    assert_eq!(
        r.net.env.account(&device_pda(&key).0).unwrap().lamports,
        2_637_840
    );
}

#[test]
fn governance_sets_the_location_fee_and_the_next_update_burns_it() {
    let mut r = Registry::build(TokenProgram::SplToken, 0, 0, 1_000, MIN_COLLATERAL);
    let key = r.onboarded();
    assert_eq!(r.net.network().location_fee, 0);
    // Free: nothing burned, the token account untouched.
    expect_ok(r.update(&key, MOVED));
    assert_eq!((r.tokens(), r.net.network().total_burned), (1_000, 0));

    expect_ok(r.net.govern(ParamUpdate::LocationFee { fee: 300 }));
    assert_eq!(r.net.network().location_fee, 300);
    // `govern` waits out the timelock, still in epoch 1, whose cell is the onboarding one: the
    // next update waits for epoch 1 to be final.
    r.finalize_epoch(1);
    let meta = expect_ok(r.update(&key, MOVED_AGAIN));
    assert_eq!(cpi_events::<DeviceLocationUpdated>(&meta)[0].fee, 300);
    assert_eq!((r.tokens(), r.net.network().total_burned), (700, 300));
}

/// The schedule: daily epochs from the fixture's start, epoch 0 final. Each update is allowed
/// only once every epoch that started before the previous one is final, and once an epoch.
#[test]
fn a_second_update_waits_until_the_epochs_scored_with_the_previous_cell_are_final() {
    let mut r = Registry::new(0, 0);
    let key = r.onboarded();
    let schedule = r.net.network().emission.schedule();
    let start = schedule.start_ts;
    assert_eq!(r.net.network().final_root.epochs, 1);
    // Mid epoch 1: epoch 1 is scored with the onboarding cell, so epochs 0..=1 must be final
    // before the next update.
    assert_eq!(schedule.epoch_at(r.net.env.now()), Some(1));
    expect_ok(r.update(&key, MOVED));
    let first = r.device(&key);
    assert_eq!(prev_location_kept_until(&schedule, first.location_since), 2);
    // A replay in the same epoch, then a later epoch with epoch 1 not final.
    assert_custom_error(
        &r.update(&key, MOVED_AGAIN),
        0,
        RewardsError::LocationUpdateTooSoon.into(),
    );
    r.net.env.warp_to_timestamp(start + 2 * DAY + 10);
    assert_custom_error(
        &r.update(&key, MOVED_AGAIN),
        0,
        RewardsError::LocationUpdateTooSoon.into(),
    );
    assert_eq!(r.device(&key), first);

    // Epoch 1 final: the second update, exactly at the start of epoch 3, counts for epoch 3
    // itself, so only epochs 0..=2 need the previous cell.
    r.finalize_epoch(1);
    r.net.env.warp_to_timestamp(start + 3 * DAY);
    let meta = expect_ok(r.update(&key, MOVED_AGAIN));
    let second = r.device(&key);
    assert_eq!(
        (second.location, second.prev_location, second.location_since),
        (MOVED_AGAIN, MOVED, start + 3 * DAY)
    );
    let e = &cpi_events::<DeviceLocationUpdated>(&meta)[0];
    assert_eq!((e.old_location, e.new_location), (MOVED, MOVED_AGAIN));
    assert_eq!(prev_location_kept_until(&schedule, start + 3 * DAY), 3);
    assert_eq!(second.location_for_epoch(start + 2 * DAY), MOVED);
    assert_eq!(second.location_for_epoch(start + 3 * DAY), MOVED_AGAIN);

    // In epoch 4 with epoch 2 not final: refused; once it is (epoch 3 still open): allowed.
    r.net.env.warp_to_timestamp(start + 4 * DAY + 10);
    assert_custom_error(
        &r.update(&key, CELL),
        0,
        RewardsError::LocationUpdateTooSoon.into(),
    );
    assert_eq!(r.device(&key), second);
    r.finalize_epoch(2);
    assert_eq!(r.net.network().final_root.epochs, 3);
    expect_ok(r.update(&key, CELL));
    let third = r.device(&key);
    assert_eq!((third.location, third.prev_location), (CELL, MOVED_AGAIN));
}

#[test]
fn only_the_owner_moves_its_own_active_device_to_another_h3_cell() {
    let mut r = Registry::new(0, 0);
    let key = r.onboarded();
    let before = r.device(&key);
    let buyer = r.buyer.insecure_clone();

    // Another wallet signing as the owner.
    let ix = update_location_ix(
        buyer.pubkey(),
        key,
        r.owner_tokens,
        TokenProgram::SplToken,
        MOVED,
    );
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&buyer]),
        0,
        RewardsError::NotDeviceOwner.into(),
    );
    // The owner's key without its signature.
    let mut ix = r.update_ix(&key, MOVED);
    ix.accounts[0].is_signer = false;
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[]),
        0,
        anchor_lang::error::ErrorCode::AccountNotSigner.into(),
    );
    // Not an H3 cell: an unused digit that is not 7, the mode's reserved bits, a digit 7
    // within the resolution, a pentagon's deleted K-axis sub-sequence (every index the oracles'
    // H3 library refuses would stop their registry sync). Then the current cell.
    let pentagon_k = (1 << 59) | (1 << 52) | (4 << 45) | (1 << 42) | ((1 << 42) - 1);
    for bad in [
        0x0892_8308_ae03_fff8,
        0x0992_8308_ae03_ffff,
        CELL | (7 << 18),
        pentagon_k,
    ] {
        assert_custom_error(
            &r.update(&key, bad),
            0,
            RewardsError::InvalidLocation.into(),
        );
    }
    assert_custom_error(
        &r.update(&key, CELL),
        0,
        RewardsError::LocationUnchanged.into(),
    );
    assert_eq!(r.device(&key), before);

    // Decommissioned.
    let owner = r.owner.insecure_clone();
    let ix = decommission_device_ix(owner.pubkey(), key, r.position);
    expect_ok(r.net.env.send_fresh(&[ix], &[&owner]));
    let retired = r.device(&key);
    assert_custom_error(
        &r.update(&key, MOVED),
        0,
        RewardsError::DeviceNotActive.into(),
    );
    assert_eq!(r.device(&key), retired);
}

#[test]
fn a_location_update_refuses_substituted_accounts() {
    let mut r = Registry::build(TokenProgram::SplToken, 0, 400, 1_000, MIN_COLLATERAL);
    let key = r.onboarded();
    let owner = r.owner.insecure_clone();
    let device = device_pda(&key).0;
    // Another owner's device, passed with the owner's signature.
    let theirs = Keypair::new();
    let mut a = onboard_device_accounts(
        r.net.env.payer.pubkey(),
        r.buyer.pubkey(),
        theirs.pubkey(),
        r.maker.pubkey(),
        r.owner_tokens,
        TokenProgram::SplToken,
        r.buyer_position,
    );
    // No onboarding fee, so the fee source is not touched; any network-token account will do.
    a.fee_source = r.owner_tokens;
    let ix = r.onboard_with(a, CELL);
    let buyer = r.buyer.insecure_clone();
    expect_ok(r.send_onboard_as(ix, &theirs, &buyer));
    let theirs_before = r.device(&theirs.pubkey());
    let send = |r: &mut Registry, ix: Instruction| r.net.env.send_fresh(&[ix], &[&owner]);
    let ix = r.update_ix(&theirs.pubkey(), MOVED);
    assert_custom_error(&send(&mut r, ix), 0, RewardsError::NotDeviceOwner.into());
    assert_eq!(r.device(&theirs.pubkey()), theirs_before);

    // A non-device account of this program (the maker's), and a copy of the device elsewhere.
    let maker_account = maker_pda(&r.maker.pubkey()).0;
    let ix = substituted(r.update_ix(&key, MOVED), device, maker_account);
    assert_custom_error(
        &send(&mut r, ix),
        0,
        anchor_lang::error::ErrorCode::AccountDiscriminatorMismatch.into(),
    );
    let copy = r.net.env.copy_account(&device, |_| {});
    let ix = substituted(r.update_ix(&key, MOVED), device, copy);
    assert_custom_error(
        &send(&mut r, ix),
        0,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );

    // A lookalike network; another mint as the fee source's or as the network's; another
    // token program.
    let network = network_pda().0;
    let copied_network = r.net.env.copy_account(&network, |_| {});
    let ix = substituted(r.update_ix(&key, MOVED), network, copied_network);
    assert_custom_error(&send(&mut r, ix), 0, RewardsError::WrongNetwork.into());
    let payer = r.net.env.payer.pubkey();
    let other_mint = create_mint(&mut r.net.env, TokenProgram::SplToken, &payer, 6);
    let other = create_token_account(
        &mut r.net.env,
        TokenProgram::SplToken,
        &other_mint,
        &owner.pubkey(),
    );
    let ix = substituted(r.update_ix(&key, MOVED), r.owner_tokens, other);
    assert_custom_error(&send(&mut r, ix), 0, RewardsError::WrongMint.into());
    let ix = substituted(r.update_ix(&key, MOVED), mint_pda().0, other_mint);
    assert_custom_error(&send(&mut r, ix), 0, RewardsError::WrongMint.into());
    let ix = update_location_ix(
        owner.pubkey(),
        key,
        r.owner_tokens,
        TokenProgram::Token2022,
        MOVED,
    );
    assert_custom_error(&send(&mut r, ix), 0, RewardsError::WrongTokenProgram.into());
    assert_eq!(r.device(&key).location, CELL);
    assert_eq!((r.tokens(), r.net.network().total_burned), (1_000, 0));
}

#[test]
fn the_location_fee_must_be_paid_and_the_burn_count_cannot_overflow() {
    let mut r = Registry::build(TokenProgram::SplToken, 0, 250, 249, MIN_COLLATERAL);
    let key = r.onboarded();
    let before = r.device(&key);
    // SPL Token's InsufficientFunds (1), from the burn.
    assert_tx_error(
        &r.update(&key, MOVED),
        solana_transaction_error::TransactionError::InstructionError(
            0,
            solana_instruction_error::InstructionError::Custom(1),
        ),
    );
    assert_eq!((r.device(&key), r.tokens()), (before.clone(), 249));

    let network = network_pda().0;
    edit_anchor_account(
        &mut r.net.env,
        &network,
        |n: &mut rewards::state::Network| {
            n.location_fee = 200;
            n.total_burned = u64::MAX - 199;
        },
    );
    let supply = r.net.supply();
    assert_custom_error(&r.update(&key, MOVED), 0, RewardsError::MathOverflow.into());
    assert_eq!((r.device(&key), r.tokens()), (before, 249));
    assert_eq!(r.net.supply(), supply);
    assert_eq!(r.net.network().total_burned, u64::MAX - 199);
    // One less burned so far: it fits exactly.
    edit_anchor_account(
        &mut r.net.env,
        &network,
        |n: &mut rewards::state::Network| {
            n.total_burned = u64::MAX - 200;
        },
    );
    expect_ok(r.update(&key, MOVED));
    assert_eq!(r.net.network().total_burned, u64::MAX);
    assert_eq!(r.tokens(), 49);
}

/// One update an epoch, on its own: the first update exactly at epoch 3's start counts for
/// epoch 3, so once epochs 0..=2 are final the previous cell is no longer needed, and only the
/// once-an-epoch rule refuses a second update in epoch 3; epoch 4 takes it.
#[test]
fn a_second_update_in_the_same_epoch_is_refused_even_when_no_epoch_needs_the_previous_cell() {
    let mut r = Registry::new(0, 0);
    let key = r.onboarded();
    let schedule = r.net.network().emission.schedule();
    let start = schedule.start_ts;
    r.net.env.warp_to_timestamp(start + 3 * DAY);
    expect_ok(r.update(&key, MOVED));
    r.finalize_epoch(1);
    r.finalize_epoch(2);
    let now = r.net.env.now();
    assert_eq!(schedule.epoch_at(now), Some(3));
    let moved = r.device(&key);
    assert!(!moved.prev_location_needed(&schedule, r.net.network().final_root.epochs));
    assert!(moved.location_updated_in_epoch_of(&schedule, now));
    assert_custom_error(
        &r.update(&key, MOVED_AGAIN),
        0,
        RewardsError::LocationUpdateTooSoon.into(),
    );
    assert_eq!(r.device(&key), moved);
    r.net.env.warp_to_timestamp(start + 4 * DAY);
    expect_ok(r.update(&key, MOVED_AGAIN));
    assert_eq!(r.device(&key).location, MOVED_AGAIN);
}

/// After a transfer, the previous owner can no longer move the device; the new owner can.
#[test]
fn the_previous_owner_cannot_move_a_transferred_device() {
    let mut r = Registry::new(0, 0);
    let key = r.onboarded();
    let (owner, buyer) = (r.owner.insecure_clone(), r.buyer.insecure_clone());
    let ix = transfer_device_ix(
        owner.pubkey(),
        buyer.pubkey(),
        key,
        r.position,
        r.buyer_position,
    );
    expect_ok(r.net.env.send_fresh(&[ix], &[&owner, &buyer]));
    let transferred = r.device(&key);
    assert_custom_error(
        &r.update(&key, MOVED),
        0,
        RewardsError::NotDeviceOwner.into(),
    );
    assert_eq!(r.device(&key), transferred);
}
