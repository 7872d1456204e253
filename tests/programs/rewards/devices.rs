//! The device registry: makers approved and revoked by governance; onboarding co-signed by the
//! device, an approved maker and the owner, with a burned fee and one device's collateral bound
//! to the owner's staking position (a CPI into the real staking program); transfer (the binding
//! moves) and decommissioning (it is released).

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::builders::staking_ix;
use harness::onboarding::{device_signature_ix, local_code};
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::error::RewardsError;
use rewards::events::{
    DeviceDecommissioned, DeviceOnboarded, DeviceTransferred, MakerApproved, MakerRevoked,
};
use rewards::state::{Device, DeviceStatus, Maker};
use staking::error::StakingError;
use staking::events::CollateralChanged;
use test_case::test_case;

use super::fixture::*;

mod location;

/// San Francisco, H3 resolution 9.
const CELL: u64 = 0x0892_8308_ae03_ffff;
/// How long the tests' onboarding codes are valid.
const CODE_VALID_SECS: i64 = 3_600;
/// `onboard_device`'s index in an onboarding transaction (after the device's signature).
const ONBOARD: u8 = 1;

struct Registry {
    net: Net,
    maker: Keypair,
    owner: Keypair,
    /// The owner's network-token account.
    owner_tokens: Pubkey,
    /// The owner's staking position: `MIN_COLLATERAL` locked (one device's collateral).
    position: Pubkey,
    /// A second wallet, the buyer in transfers, with its own one-device position.
    buyer: Keypair,
    buyer_position: Pubkey,
    /// What the owner earned in the fixture's root (its cumulative amount).
    owner_earned: u64,
}

impl Registry {
    /// A network with `fee`; a maker approved; an owner and a buyer who earned network tokens the
    /// real way (a final root and a claim) and each staked `MIN_COLLATERAL` into position 0; the
    /// owner keeps `owner_tokens` in its token account.
    fn new(fee: u64, owner_tokens: u64) -> Self {
        Self::with_collateral(fee, owner_tokens, MIN_COLLATERAL)
    }

    /// As `new`, with the owner staking `collateral` instead.
    fn with_collateral(fee: u64, owner_tokens: u64, collateral: u64) -> Self {
        Self::build(TokenProgram::SplToken, fee, 0, owner_tokens, collateral)
    }

    /// As `new`, under `token_program`, with an onboarding fee and a location fee.
    fn build(
        token_program: TokenProgram,
        fee: u64,
        location_fee: u64,
        owner_tokens: u64,
        collateral: u64,
    ) -> Self {
        let mut env = TestEnv::new();
        let governance = env.funded_keypair();
        let start = env.now();
        let mut args = network_args(governance.pubkey(), 6, MAX_SUPPLY, start);
        args.onboard_fee = fee;
        args.location_fee = location_fee;
        let mut net = Net::with_args(env, token_program, governance, args);
        let maker = net.env.funded_keypair();
        let owner = net.env.funded_keypair();
        let buyer = net.env.funded_keypair();
        let mut accounts = Vec::new();
        for who in [&owner, &buyer] {
            accounts.push(create_token_account(
                &mut net.env,
                token_program,
                &mint_pda().0,
                &who.pubkey(),
            ));
        }
        net.earn(
            &[
                (owner.pubkey(), owner_tokens + collateral),
                (buyer.pubkey(), MIN_COLLATERAL),
            ],
            &accounts,
        );
        let position = net.stake(&owner, accounts[0], 0, collateral);
        let buyer_position = net.stake(&buyer, accounts[1], 0, MIN_COLLATERAL);
        let mut r = Self {
            net,
            maker,
            owner,
            owner_tokens: accounts[0],
            position,
            buyer,
            buyer_position,
            owner_earned: owner_tokens + collateral,
        };
        let maker_key = r.maker.pubkey();
        expect_ok(r.approve(maker_key));
        r
    }

    /// Posts and finalizes `epoch`'s root with the fixture's earnings unchanged.
    fn finalize_epoch(&mut self, epoch: u64) {
        self.net.mint_through(epoch);
        let leaves = [
            (self.owner.pubkey(), self.owner_earned),
            (self.buyer.pubkey(), MIN_COLLATERAL),
        ];
        let (_, vote) = tree_vote(epoch, &leaves);
        self.net.post_and_finalize(&vote);
    }

    fn approve(&mut self, maker: Pubkey) -> litesvm::types::TransactionResult {
        let governance = self.net.governance.insecure_clone();
        let ix = approve_maker_ix(self.net.env.payer.pubkey(), governance.pubkey(), maker);
        self.net.env.send_fresh(&[ix], &[&governance])
    }

    fn onboard_accounts(&self, device: &Keypair) -> rewards::accounts::OnboardDevice {
        onboard_device_accounts(
            self.net.env.payer.pubkey(),
            self.owner.pubkey(),
            device.pubkey(),
            self.maker.pubkey(),
            self.owner_tokens,
            self.net.token_program,
            self.position,
        )
    }

    fn onboard_ix(&self, device: &Keypair, location: u64) -> Instruction {
        self.onboard_with(self.onboard_accounts(device), location)
    }

    fn onboard_with(
        &self,
        accounts: rewards::accounts::OnboardDevice,
        location: u64,
    ) -> Instruction {
        onboard_device(
            accounts,
            OnboardDeviceArgs {
                kind: DeviceKind::Connectivity,
                location,
                expires_at: self.net.env.now() + CODE_VALID_SECS,
            },
        )
    }

    fn onboard(&mut self, device: &Keypair) -> litesvm::types::TransactionResult {
        let ix = self.onboard_ix(device, CELL);
        self.send_onboard(ix, device)
    }

    /// Sends `ix` after the device's signature over the code it carries; the owner and the
    /// maker sign.
    fn send_onboard(
        &mut self,
        ix: Instruction,
        device: &Keypair,
    ) -> litesvm::types::TransactionResult {
        let owner = self.owner.insecure_clone();
        self.send_onboard_as(ix, device, &owner)
    }

    fn send_onboard_as(
        &mut self,
        ix: Instruction,
        device: &Keypair,
        owner: &Keypair,
    ) -> litesvm::types::TransactionResult {
        let maker = self.maker.insecure_clone();
        let ixs = device_signed(device, ix);
        self.net.env.send_fresh(&ixs, &[owner, &maker])
    }

    fn device(&self, key: &Pubkey) -> Device {
        self.net.env.anchor_account(&device_pda(key).0)
    }

    fn bound(&self, position: &Pubkey) -> u32 {
        self.net.position(position).bound_devices
    }

    fn tokens(&self) -> u64 {
        read_token_account(&self.net.env, &self.owner_tokens)
            .1
            .amount
    }
}

/// Asserts that instruction 0 failed with the staking program's `error` (a 7000+ code, passed
/// up through the rewards program's CPI), and that the log names it.
/// `[the device's signature over the code `ix` carries, ix]`: the owner (account 1), the kind and
/// the expiry are read from `onboard_device`'s accounts and arguments.
fn device_signed(device: &Keypair, ix: Instruction) -> Vec<Instruction> {
    use anchor_lang::AnchorDeserialize;
    let owner = ix.accounts[1].pubkey;
    let args = OnboardDeviceArgs::try_from_slice(&ix.data[8..]).unwrap();
    let sig = device_signature_ix(&local_code(device, &owner, args.kind, args.expires_at));
    vec![sig, ix]
}

fn assert_staking_error(result: &litesvm::types::TransactionResult, error: StakingError) {
    assert_staking_error_at(result, 0, error);
}

fn assert_staking_error_at(
    result: &litesvm::types::TransactionResult,
    index: u8,
    error: StakingError,
) {
    assert_custom_error(result, index, error.into());
    let logs = result.as_ref().err().unwrap().meta.logs.join("\n");
    let name = format!("Error Code: {error:?}.");
    assert!(logs.contains(&name), "expected {name} in:\n{logs}");
}

#[test]
fn onboarding_registers_the_device_and_burns_the_fee() {
    let mut r = Registry::new(400, 1_000);
    let supply_before = r.net.supply();
    let device = Keypair::new();
    let meta = expect_ok(r.onboard(&device));
    let now = r.net.env.now();

    let (key, bump) = device_pda(&device.pubkey());
    assert_eq!(
        r.device(&device.pubkey()),
        Device {
            bump,
            kind: DeviceKind::Connectivity,
            status: DeviceStatus::Active,
            device: device.pubkey(),
            owner: r.owner.pubkey(),
            maker: r.maker.pubkey(),
            position: r.position,
            location: CELL,
            onboarded_at: now,
            owner_since: now,
            prev_owner: r.owner.pubkey(),
            decommissioned_at: 0,
            prev_position: r.position,
            prev_location: CELL,
            location_since: now,
        }
    );
    // 251 bytes: 2,637,840 lamports (0.0026 SOL).
    assert_eq!(Device::SIZE, 251);
    assert_eq!(r.net.env.account(&key).unwrap().lamports, 2_637_840);
    assert_eq!(r.tokens(), 600);
    assert_eq!(r.net.supply(), supply_before - 400);
    let network = r.net.network();
    assert_eq!(network.total_burned, 400);
    assert_eq!(r.net.supply(), network.total_minted - network.total_burned);
    let maker: Maker = r.net.env.anchor_account(&maker_pda(&r.maker.pubkey()).0);
    assert_eq!(maker.devices, 1);
    let e: Vec<DeviceOnboarded> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].device,
            e[0].owner,
            e[0].maker,
            e[0].location,
            e[0].fee,
            e[0].position,
            e[0].timestamp
        ),
        (
            device.pubkey(),
            r.owner.pubkey(),
            r.maker.pubkey(),
            CELL,
            400,
            r.position,
            now
        )
    );
}

#[test]
fn onboarding_binds_one_device_of_collateral_to_the_owners_position() {
    // Two devices' worth staked: each onboarding binds one more, a third is refused by staking.
    let mut r = Registry::with_collateral(0, 0, 2 * MIN_COLLATERAL);
    assert_eq!(r.bound(&r.position), 0);
    let first = Keypair::new();
    let meta = expect_ok(r.onboard(&first));
    assert_eq!(r.bound(&r.position), 1);
    let e: Vec<CollateralChanged> = cpi_events(&meta);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (
            e[0].position,
            e[0].bound_devices_before,
            e[0].bound_devices_after,
            e[0].required_collateral,
            e[0].amount
        ),
        (r.position, 0, 1, MIN_COLLATERAL, 2 * MIN_COLLATERAL)
    );
    expect_ok(r.onboard(&Keypair::new()));
    assert_eq!(r.bound(&r.position), 2);
    let third = Keypair::new();
    assert_staking_error_at(
        &r.onboard(&third),
        ONBOARD,
        StakingError::InsufficientCollateral,
    );
    assert!(r.net.env.account(&device_pda(&third.pubkey()).0).is_none());
    let p = r.net.position(&r.position);
    assert_eq!((p.bound_devices, p.amount), (2, 2 * MIN_COLLATERAL));
}

#[test]
fn onboarding_is_refused_when_collateral_is_short() {
    let mut r = Registry::with_collateral(0, 0, MIN_COLLATERAL - 1);
    let device = Keypair::new();
    assert_staking_error_at(
        &r.onboard(&device),
        ONBOARD,
        StakingError::InsufficientCollateral,
    );
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
    assert_eq!(r.bound(&r.position), 0);
}

#[test]
fn onboarding_refuses_another_owners_or_a_fake_position() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    // The buyer's position: a genuine position, of another owner.
    let mut a = r.onboard_accounts(&device);
    a.position = r.buyer_position;
    let ix = r.onboard_with(a, CELL);
    assert_custom_error(
        &r.send_onboard(ix, &device),
        ONBOARD,
        RewardsError::NotPositionOwner.into(),
    );
    // A copy of the owner's position under another program: not a staking account.
    let position = r.position;
    let fake_key = r.net.env.copy_account(&position, |a| a.owner = rewards::ID);
    let mut a = r.onboard_accounts(&device);
    a.position = fake_key;
    let ix = r.onboard_with(a, CELL);
    assert_custom_error(
        &r.send_onboard(ix, &device),
        ONBOARD,
        RewardsError::NotAStakingPosition.into(),
    );
    // A staking account that is not a position: the staking config.
    let mut a = r.onboard_accounts(&device);
    a.position = staking_ix::config_pda().0;
    let ix = r.onboard_with(a, CELL);
    assert_custom_error(
        &r.send_onboard(ix, &device),
        ONBOARD,
        RewardsError::NotAStakingPosition.into(),
    );
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
    assert_eq!((r.bound(&r.position), r.bound(&r.buyer_position)), (0, 0));
}

/// Replaces one account of `onboard_device` with the given key.
type Substitute = fn(&mut rewards::accounts::OnboardDevice, Pubkey);

#[test]
fn onboarding_refuses_substituted_staking_accounts() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    let impostor = Pubkey::new_unique();
    let cases: [(Substitute, RewardsError); 3] = [
        (
            |a, k| a.staking_program = k,
            RewardsError::WrongStakingProgram,
        ),
        (
            |a, k| a.staking_config = k,
            RewardsError::WrongStakingConfig,
        ),
        (
            |a, k| a.collateral_authority = k,
            RewardsError::WrongCollateralAuthority,
        ),
    ];
    for (substitute, error) in cases {
        let mut a = r.onboard_accounts(&device);
        substitute(&mut a, impostor);
        let ix = r.onboard_with(a, CELL);
        assert_custom_error(&r.send_onboard(ix, &device), ONBOARD, error.into());
    }
    // Another program posing as staking (the rewards program itself, an executable).
    let mut a = r.onboard_accounts(&device);
    a.staking_program = rewards::ID;
    let ix = r.onboard_with(a, CELL);
    assert_custom_error(
        &r.send_onboard(ix, &device),
        ONBOARD,
        RewardsError::WrongStakingProgram.into(),
    );
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
    assert_eq!(r.bound(&r.position), 0);
}

#[test]
fn bound_collateral_cannot_be_unstaked_until_the_device_is_decommissioned_and_no_longer_liable() {
    // One device's collateral plus 500 more.
    let mut r = Registry::with_collateral(0, 0, MIN_COLLATERAL + 500);
    let device = Keypair::new();
    expect_ok(r.onboard(&device));
    let owner = r.owner.insecure_clone();
    let config: staking::state::StakingConfig =
        r.net.env.anchor_account(&staking_ix::config_pda().0);
    let record = staking_ix::token_owner_record(&config.realm, &config.stake_mint, &owner.pubkey());
    let position = r.position;
    let unstake = |amount| staking_ix::unstake_ix(owner.pubkey(), position, amount, record);
    let ix = unstake(501);
    assert_staking_error(
        &r.net.env.send_fresh(&[ix], &[&owner]),
        StakingError::CollateralBound,
    );
    expect_ok(r.net.env.send_fresh(&[unstake(500)], &[&owner]));
    let ix = unstake(1);
    assert_staking_error(
        &r.net.env.send_fresh(&[ix], &[&owner]),
        StakingError::CollateralBound,
    );
    let p = r.net.position(&r.position);
    assert_eq!(
        (p.amount, p.cooling, p.bound_devices),
        (MIN_COLLATERAL, 500, 1)
    );

    // Decommissioned in epoch 3: epochs 0 to 2 paid the owner, so the device stays liable until
    // their offence window (0-2) and the 3-epoch grace are final, 6 epochs, however long
    // finality takes: the collateral stays put until then.
    r.net.warp_forward(3 * DAY + 10);
    let ix = decommission_device_ix(owner.pubkey(), device.pubkey(), r.position);
    expect_ok(r.net.env.send_fresh(&[ix], &[&owner]));
    assert_eq!(r.bound(&r.position), 0);
    let p = r.net.position(&r.position);
    assert_eq!((p.liable_devices, p.liable_until_epochs), (1, 6));
    // Ten days on, long after the old time-based bound (5 epochs and the windows), with only
    // epoch 0 final: still liable; and so with each of epochs 1 to 4 (finalized a day apart, so
    // that the catch-up mints stay under the circuit breaker).
    for epoch in 1..=5 {
        r.net
            .warp_forward(DAY * i64::try_from(epoch + 9).unwrap() + 10);
        assert_staking_error(
            &r.net.env.send_fresh(&[unstake(1)], &[&owner]),
            StakingError::CollateralBound,
        );
        r.finalize_epoch(epoch);
    }
    assert_eq!(r.net.network().final_root.epochs, 6);
    expect_ok(r.net.env.send_fresh(&[unstake(MIN_COLLATERAL)], &[&owner]));
    let p = r.net.position(&r.position);
    assert_eq!(
        (p.amount, p.cooling, p.bound_devices),
        (0, MIN_COLLATERAL + 500, 0)
    );
}

#[test]
fn a_device_key_is_onboarded_once() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    expect_ok(r.onboard(&device));
    let before = r.device(&device.pubkey());
    // The system program's AccountAlreadyInUse (custom 0) from `init`.
    let again = r.onboard(&device);
    assert_tx_error(
        &again,
        solana_transaction_error::TransactionError::InstructionError(
            ONBOARD,
            solana_instruction_error::InstructionError::Custom(0),
        ),
    );
    assert_eq!(r.device(&device.pubkey()), before);
}

#[test]
fn the_fee_must_be_paid() {
    let mut r = Registry::new(400, 399);
    let device = Keypair::new();
    let result = r.onboard(&device);
    // SPL Token's InsufficientFunds (1), from the burn.
    assert_tx_error(
        &result,
        solana_transaction_error::TransactionError::InstructionError(
            ONBOARD,
            solana_instruction_error::InstructionError::Custom(1),
        ),
    );
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
    assert_eq!(r.tokens(), 399);
}

#[test_case(0 ; "maker")]
#[test_case(1 ; "owner")]
fn every_cosigner_must_sign(missing: usize) {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    let ix = r.onboard_ix(&device, CELL);
    let mut ixs = device_signed(&device, ix);
    let keys = [r.maker.pubkey(), r.owner.pubkey()];
    for meta in ixs[1]
        .accounts
        .iter_mut()
        .filter(|m| m.pubkey == keys[missing])
    {
        meta.is_signer = false;
    }
    let all = [r.maker.insecure_clone(), r.owner.insecure_clone()];
    let signers: Vec<&Keypair> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != missing)
        .map(|(_, k)| k)
        .collect();
    let result = r.net.env.send_fresh(&ixs, &signers);
    assert_custom_error(
        &result,
        ONBOARD,
        anchor_lang::error::ErrorCode::AccountNotSigner.into(),
    );
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
}

/// `onboard_device` after the ed25519 instruction `sig`, signed by the owner and the maker.
fn send_with_signature(
    r: &mut Registry,
    sig: Instruction,
    ix: Instruction,
) -> litesvm::types::TransactionResult {
    let (owner, maker) = (r.owner.insecure_clone(), r.maker.insecure_clone());
    r.net.env.send_fresh(&[sig, ix], &[&owner, &maker])
}

/// The device's signature must be in the transaction, over exactly this onboarding: its key,
/// this program, this owner, this kind and this expiry, read from the precompile instruction's
/// own data.
#[test]
fn onboarding_needs_the_devices_signature_over_exactly_this_code() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    let owner = r.owner.pubkey();
    let now = r.net.env.now();
    let ix = r.onboard_ix(&device, CELL);
    let (owner_kp, maker) = (r.owner.insecure_clone(), r.maker.insecure_clone());
    let missing = r
        .net
        .env
        .send_fresh(std::slice::from_ref(&ix), &[&owner_kp, &maker]);
    assert_custom_error(&missing, 0, RewardsError::MissingDeviceSignature.into());

    let expires_at = now + CODE_VALID_SECS;
    let code = |key: &Keypair, owner: &Pubkey, kind, expires_at| {
        device_signature_ix(&local_code(key, owner, kind, expires_at))
    };
    let other = Keypair::new();
    let wrong: [(&str, Instruction); 4] = [
        (
            "another device's key",
            code(&other, &owner, DeviceKind::Connectivity, expires_at),
        ),
        (
            "another owner",
            code(
                &device,
                &r.buyer.pubkey(),
                DeviceKind::Connectivity,
                expires_at,
            ),
        ),
        (
            "another kind",
            code(&device, &owner, DeviceKind::Compute, expires_at),
        ),
        (
            "another expiry",
            code(&device, &owner, DeviceKind::Connectivity, expires_at - 1),
        ),
    ];
    for (what, sig) in wrong {
        let result = send_with_signature(&mut r, sig, ix.clone());
        assert_custom_error(
            &result,
            ONBOARD,
            RewardsError::MissingDeviceSignature.into(),
        );
        assert!(
            r.net.env.account(&device_pda(&device.pubkey()).0).is_none(),
            "{what}"
        );
    }
    // Signed for another deployment (another program id).
    let foreign = depin_formats::onboarding::Onboarding::sign(
        &ed25519_dalek::SigningKey::from_bytes(device.secret_bytes()),
        depin_formats::keys::Pubkey(owner.to_bytes()),
        depin_formats::onboarding::DeviceKind::Connectivity,
        expires_at,
        &depin_formats::keys::Pubkey(staking::ID.to_bytes()),
    );
    let foreign_message = foreign
        .onboarding
        .signing_message(&depin_formats::keys::Pubkey(staking::ID.to_bytes()));
    let sig = ed25519_instruction(
        &device.pubkey().to_bytes(),
        &foreign.signature.0,
        &foreign_message,
    );
    let result = send_with_signature(&mut r, sig, ix.clone());
    assert_custom_error(
        &result,
        ONBOARD,
        RewardsError::MissingDeviceSignature.into(),
    );

    // A forged signature: the precompile fails the transaction before the program runs.
    let mut forged = code(&device, &owner, DeviceKind::Connectivity, expires_at);
    forged.data[16 + 32] ^= 1;
    let result = send_with_signature(&mut r, forged, ix.clone());
    assert_tx_error(
        &result,
        solana_transaction_error::TransactionError::InstructionError(
            0,
            solana_instruction_error::InstructionError::Custom(2),
        ),
    );
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
    // The right one, once.
    expect_ok(send_with_signature(
        &mut r,
        code(&device, &owner, DeviceKind::Connectivity, expires_at),
        ix,
    ));
    assert_eq!(r.device(&device.pubkey()).device, device.pubkey());
}

#[test]
fn an_onboarding_code_is_valid_from_now_for_at_most_seven_days() {
    let mut r = Registry::with_collateral(0, 0, 2 * MIN_COLLATERAL);
    let now = r.net.env.now();
    let max = depin_common::onboarding::MAX_VALIDITY_SECS;
    for (expires_at, error) in [
        (now - 1, Some(RewardsError::OnboardingCodeExpired)),
        (now + max + 1, Some(RewardsError::OnboardingCodeTooLong)),
        (i64::MAX, Some(RewardsError::OnboardingCodeTooLong)),
        (now, None),
        (now + max, None),
    ] {
        let device = Keypair::new();
        let ix = onboard_device(
            r.onboard_accounts(&device),
            OnboardDeviceArgs {
                kind: DeviceKind::Connectivity,
                location: CELL,
                expires_at,
            },
        );
        let result = r.send_onboard(ix, &device);
        match error {
            Some(e) => {
                assert_custom_error(&result, ONBOARD, e.into());
                assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
            }
            None => {
                expect_ok(result);
            }
        }
    }
    assert_eq!(r.bound(&r.position), 2);
}

#[test]
fn the_signature_is_read_from_the_instructions_sysvar_only() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    let mut a = r.onboard_accounts(&device);
    a.instructions = r.net.env.copy_account(&r.position, |_| {});
    let ix = r.onboard_with(a, CELL);
    let result = r.send_onboard(ix, &device);
    assert_custom_error(
        &result,
        ONBOARD,
        RewardsError::WrongInstructionsSysvar.into(),
    );
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
}

#[test]
fn an_unapproved_or_revoked_maker_cannot_onboard() {
    let mut r = Registry::new(0, 0);
    // A maker that was never approved: its PDA does not exist.
    r.maker = r.net.env.funded_keypair();
    let device = Keypair::new();
    assert_custom_error(
        &r.onboard(&device),
        ONBOARD,
        anchor_lang::error::ErrorCode::AccountNotInitialized.into(),
    );

    // Approved, then revoked.
    let maker = r.maker.pubkey();
    let meta = expect_ok(r.approve(maker));
    assert_eq!(cpi_events::<MakerApproved>(&meta)[0].maker, maker);
    expect_ok(r.onboard(&device));
    let governance = r.net.governance.insecure_clone();
    let meta = expect_ok(r.net.env.send_fresh(
        &[revoke_maker_ix(governance.pubkey(), maker)],
        &[&governance],
    ));
    assert_eq!(cpi_events::<MakerRevoked>(&meta)[0].maker, maker);
    let next = Keypair::new();
    assert_custom_error(
        &r.onboard(&next),
        ONBOARD,
        RewardsError::MakerNotActive.into(),
    );
    // Revoking twice is refused; the device it onboarded stays.
    assert_custom_error(
        &r.net.env.send_fresh(
            &[revoke_maker_ix(governance.pubkey(), maker)],
            &[&governance],
        ),
        0,
        RewardsError::MakerNotActive.into(),
    );
    assert_eq!(r.device(&device.pubkey()).status, DeviceStatus::Active);
}

#[test]
fn only_governance_approves_and_revokes_makers() {
    let mut r = Registry::new(0, 0);
    let impostor = r.net.env.funded_keypair();
    let fake_maker = Pubkey::new_unique();
    let ix = approve_maker_ix(r.net.env.payer.pubkey(), impostor.pubkey(), fake_maker);
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&impostor]),
        0,
        RewardsError::NotAuthority.into(),
    );
    assert!(r.net.env.account(&maker_pda(&fake_maker).0).is_none());
    let ix = revoke_maker_ix(impostor.pubkey(), r.maker.pubkey());
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&impostor]),
        0,
        RewardsError::NotAuthority.into(),
    );
}

#[test]
fn makers_are_approved_and_revoked_only_on_the_network_pda() {
    let mut r = Registry::new(0, 0);
    let impostor = r.net.env.funded_keypair();
    // A copy of the network at another address, owned by this program, naming the impostor its
    // authority.
    let network = network_pda().0;
    let copy = network_copy_naming(&mut r.net.env, &impostor.pubkey());
    let on_copy = |ix: Instruction| substituted(ix, network, copy);
    let maker_account = maker_pda(&r.maker.pubkey()).0;
    let before = r.net.env.account(&maker_account).unwrap();

    let fake_maker = Pubkey::new_unique();
    let ix = on_copy(approve_maker_ix(
        r.net.env.payer.pubkey(),
        impostor.pubkey(),
        fake_maker,
    ));
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&impostor]),
        0,
        RewardsError::WrongNetwork.into(),
    );
    assert!(r.net.env.account(&maker_pda(&fake_maker).0).is_none());
    let ix = on_copy(revoke_maker_ix(impostor.pubkey(), r.maker.pubkey()));
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&impostor]),
        0,
        RewardsError::WrongNetwork.into(),
    );
    assert_eq!(r.net.env.account(&maker_account).unwrap(), before);
}

#[test_case(0 ; "zero")]
#[test_case(0x0112_8308_ae03_ffff ; "an edge, not a cell")]
#[test_case(0x0892_8308_ae03_fff8 ; "a digit past the resolution")]
#[test_case(0x080f_5fff_ffff_ffff ; "base cell 122")]
fn a_location_must_be_an_h3_cell(location: u64) {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    let ix = r.onboard_ix(&device, location);
    let result = r.send_onboard(ix, &device);
    assert_custom_error(&result, ONBOARD, RewardsError::InvalidLocation.into());
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
}

#[test]
fn owners_transfer_and_decommission_their_devices() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    expect_ok(r.onboard(&device));
    let owner = r.owner.insecure_clone();
    let buyer = r.buyer.insecure_clone();
    let (from, to) = (r.position, r.buyer_position);
    let key = device.pubkey();
    let send = |r: &mut Registry, ix: Instruction, signers: &[&Keypair]| {
        r.net.env.send_fresh(&[ix], signers)
    };

    // Not the owner.
    let ix = transfer_device_ix(buyer.pubkey(), buyer.pubkey(), key, from, to);
    assert_custom_error(
        &send(&mut r, ix, &[&buyer]),
        0,
        RewardsError::NotDeviceOwner.into(),
    );
    // To itself.
    let ix = transfer_device_ix(owner.pubkey(), owner.pubkey(), key, from, from);
    assert_custom_error(
        &send(&mut r, ix, &[&owner]),
        0,
        RewardsError::InvalidOwner.into(),
    );
    // The new owner must sign: its position's tokens get bound.
    let mut ix = transfer_device_ix(owner.pubkey(), buyer.pubkey(), key, from, to);
    ix.accounts[1].is_signer = false;
    assert_custom_error(
        &send(&mut r, ix, &[&owner]),
        0,
        anchor_lang::error::ErrorCode::AccountNotSigner.into(),
    );
    // Not the position the device is bound to; a new position of someone else (the old owner's).
    let ix = transfer_device_ix(owner.pubkey(), buyer.pubkey(), key, to, to);
    assert_custom_error(
        &send(&mut r, ix, &[&owner, &buyer]),
        0,
        RewardsError::WrongPosition.into(),
    );
    let ix = transfer_device_ix(owner.pubkey(), buyer.pubkey(), key, from, from);
    assert_custom_error(
        &send(&mut r, ix, &[&owner, &buyer]),
        0,
        RewardsError::NotPositionOwner.into(),
    );
    assert_eq!((r.bound(&from), r.bound(&to)), (1, 0));

    // The binding moves with the device.
    let ix = transfer_device_ix(owner.pubkey(), buyer.pubkey(), key, from, to);
    let meta = expect_ok(send(&mut r, ix, &[&owner, &buyer]));
    let e: Vec<DeviceTransferred> = cpi_events(&meta);
    assert_eq!(
        (e[0].from, e[0].to, e[0].from_position, e[0].to_position),
        (owner.pubkey(), buyer.pubkey(), from, to)
    );
    let c: Vec<CollateralChanged> = cpi_events(&meta);
    assert_eq!(
        c.iter()
            .map(|c| (c.position, c.bound_devices_before, c.bound_devices_after))
            .collect::<Vec<_>>(),
        vec![(from, 1, 0), (to, 0, 1)]
    );
    let transferred_at = r.net.env.now();
    let d = r.device(&key);
    assert_eq!(
        (
            d.owner,
            d.position,
            d.owner_since,
            d.prev_owner,
            d.prev_position
        ),
        (buyer.pubkey(), to, transferred_at, owner.pubkey(), from)
    );
    assert_eq!((r.bound(&from), r.bound(&to)), (0, 1));
    // The old position stays liable for the device: transferred in epoch 1, so until epoch 0's
    // offence window (0-2) and the 3-epoch grace are final.
    let schedule = r.net.network().emission.schedule();
    assert_eq!(schedule.epoch_at(transferred_at), Some(1));
    let p = r.net.position(&from);
    assert_eq!((p.liable_devices, p.liable_until_epochs), (1, 6));

    // The old owner can no longer decommission it; the new one can, once, with its position.
    let ix = decommission_device_ix(owner.pubkey(), key, to);
    assert_custom_error(
        &send(&mut r, ix, &[&owner]),
        0,
        RewardsError::NotDeviceOwner.into(),
    );
    let ix = decommission_device_ix(buyer.pubkey(), key, from);
    assert_custom_error(
        &send(&mut r, ix, &[&buyer]),
        0,
        RewardsError::WrongPosition.into(),
    );
    let ix = decommission_device_ix(buyer.pubkey(), key, to);
    let meta = expect_ok(send(&mut r, ix, &[&buyer]));
    let e = &cpi_events::<DeviceDecommissioned>(&meta)[0];
    assert_eq!((e.owner, e.position), (buyer.pubkey(), to));
    let c: Vec<CollateralChanged> = cpi_events(&meta);
    assert_eq!(
        (c.len(), c[0].position, c[0].bound_devices_after),
        (1, to, 0)
    );
    let d = r.device(&key);
    assert_eq!(
        (d.status, d.decommissioned_at, d.owner_since, d.prev_owner),
        (
            DeviceStatus::Decommissioned,
            r.net.env.now(),
            transferred_at,
            owner.pubkey()
        )
    );
    assert_eq!((r.bound(&from), r.bound(&to)), (0, 0));
    let ix = decommission_device_ix(buyer.pubkey(), key, to);
    assert_custom_error(
        &send(&mut r, ix, &[&buyer]),
        0,
        RewardsError::DeviceNotActive.into(),
    );
    let ix = transfer_device_ix(buyer.pubkey(), owner.pubkey(), key, to, from);
    assert_custom_error(
        &send(&mut r, ix, &[&buyer, &owner]),
        0,
        RewardsError::DeviceNotActive.into(),
    );
    assert_eq!((r.bound(&from), r.bound(&to)), (0, 0));
}

/// The registry every oracle rebuilds for an unfinished epoch needs the owner that epoch pays,
/// and a slash of that owner needs the position it backed the device with: a device changes
/// hands again only once the epochs before its last transfer, their offence window and the
/// slashing grace are final.
#[test]
fn a_device_changes_hands_again_only_once_the_previous_owners_window_and_grace_are_final() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    let key = device.pubkey();
    let owner = r.owner.insecure_clone();
    let buyer = r.buyer.insecure_clone();
    let (from, to) = (r.position, r.buyer_position);
    // Epoch 0 is final (the fixture's earnings). Onboarded in epoch 2, transferred in epoch 3:
    // epochs 0..=2 pay the first owner, their offence window is 0-2, and three more epochs of
    // grace follow: epochs 0..=5 must be final before another transfer.
    assert_eq!(r.net.network().final_root.epochs, 1);
    r.net.warp_forward(2 * DAY + 10);
    expect_ok(r.onboard(&device));
    let onboarded = r.net.env.now();
    r.net.warp(3 * DAY + 10);
    let ix = transfer_device_ix(owner.pubkey(), buyer.pubkey(), key, from, to);
    expect_ok(r.net.env.send_fresh(&[ix], &[&owner, &buyer]));
    let first = r.net.env.now();
    let d = r.device(&key);
    assert_eq!(
        (d.owner, d.prev_owner, d.onboarded_at, d.owner_since),
        (buyer.pubkey(), owner.pubkey(), onboarded, first)
    );
    assert_eq!(rewards::state::prev_owner_kept_until(3), 6);
    // The seller's released collateral stays liable for as long.
    let p = r.net.position(&from);
    assert_eq!((p.liable_devices, p.liable_until_epochs), (1, 6));

    let back = |r: &mut Registry| {
        let ix = transfer_device_ix(buyer.pubkey(), owner.pubkey(), key, to, from);
        r.net.env.send_fresh(&[ix], &[&buyer, &owner])
    };
    assert_custom_error(&back(&mut r), 0, RewardsError::TransferTooSoon.into());
    // Epochs 1 to 4 final: epoch 2 no longer needs the first owner for its payout, but a slash of
    // it (window 0-2) may still be on its way.
    // (A day apart, so that the catch-up mints stay under the circuit breaker.)
    for epoch in 1..=4 {
        r.net
            .warp_forward(DAY * i64::try_from(epoch + 2).unwrap() + 10);
        r.finalize_epoch(epoch);
        assert_custom_error(&back(&mut r), 0, RewardsError::TransferTooSoon.into());
    }
    assert_eq!(r.device(&key), d);
    // Epoch 5 final: the grace is over.
    r.net.warp_forward(7 * DAY + 10);
    r.finalize_epoch(5);
    assert_eq!(r.net.network().final_root.epochs, 6);
    let meta = expect_ok(back(&mut r));
    let e: Vec<DeviceTransferred> = cpi_events(&meta);
    assert_eq!((e[0].from, e[0].to), (buyer.pubkey(), owner.pubkey()));
    let d = r.device(&key);
    assert_eq!(
        (
            d.owner,
            d.prev_owner,
            d.owner_since,
            d.position,
            d.prev_position
        ),
        (owner.pubkey(), buyer.pubkey(), r.net.env.now(), from, to)
    );
    // The buyer is now the previous owner: a third transfer waits again.
    let ix = transfer_device_ix(owner.pubkey(), buyer.pubkey(), key, from, to);
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&owner, &buyer]),
        0,
        RewardsError::TransferTooSoon.into(),
    );
}

#[test]
fn a_transfer_needs_the_new_owner_to_have_collateral() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    expect_ok(r.onboard(&device));
    // The buyer's single device of collateral is already taken by a device of its own.
    let own = Keypair::new();
    let mut a = onboard_device_accounts(
        r.net.env.payer.pubkey(),
        r.buyer.pubkey(),
        own.pubkey(),
        r.maker.pubkey(),
        r.owner_tokens,
        TokenProgram::SplToken,
        r.buyer_position,
    );
    // The fee is 0, so the fee source is not touched; any network-token account will do.
    a.fee_source = r.owner_tokens;
    let ix = r.onboard_with(a, CELL);
    let buyer = r.buyer.insecure_clone();
    expect_ok(r.send_onboard_as(ix, &own, &buyer));
    assert_eq!(r.bound(&r.buyer_position), 1);

    let owner = r.owner.insecure_clone();
    let ix = transfer_device_ix(
        owner.pubkey(),
        buyer.pubkey(),
        device.pubkey(),
        r.position,
        r.buyer_position,
    );
    assert_staking_error(
        &r.net.env.send_fresh(&[ix], &[&owner, &buyer]),
        StakingError::InsufficientCollateral,
    );
    // Nothing moved: the release in the same instruction was rolled back.
    assert_eq!((r.bound(&r.position), r.bound(&r.buyer_position)), (1, 1));
    assert_eq!(r.device(&device.pubkey()).owner, owner.pubkey());
}

fn compute_args(r: &Registry) -> OnboardDeviceArgs {
    OnboardDeviceArgs {
        kind: DeviceKind::Compute,
        location: CELL,
        expires_at: r.net.env.now() + CODE_VALID_SECS,
    }
}

#[test]
fn the_fee_is_burned_only_from_the_network_mint() {
    let mut r = Registry::new(400, 1_000);
    let payer = r.net.env.payer.pubkey();
    let other_mint = create_mint(&mut r.net.env, TokenProgram::SplToken, &payer, 6);
    let other = create_token_account(
        &mut r.net.env,
        TokenProgram::SplToken,
        &other_mint,
        &r.owner.pubkey(),
    );
    let device = Keypair::new();
    let mut a = onboard_device_accounts(
        payer,
        r.owner.pubkey(),
        device.pubkey(),
        r.maker.pubkey(),
        other,
        TokenProgram::SplToken,
        r.position,
    );
    let ix = onboard_device(a, compute_args(&r));
    let result = r.send_onboard(ix, &device);
    assert_custom_error(&result, ONBOARD, RewardsError::WrongMint.into());
    // Another mint passed as the network mint.
    a.fee_source = r.owner_tokens;
    a.mint = other_mint;
    let ix = onboard_device(a, compute_args(&r));
    let result = r.send_onboard(ix, &device);
    assert_custom_error(&result, ONBOARD, RewardsError::WrongMint.into());
    assert_eq!(r.tokens(), 1_000);
}

#[test]
fn transfer_and_decommission_refuse_substituted_accounts() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    expect_ok(r.onboard(&device));
    let owner = r.owner.insecure_clone();
    let buyer = r.buyer.insecure_clone();
    let (from, to) = (r.position, r.buyer_position);
    let key = device.pubkey();
    let s = staking_cpi_accounts();
    let network = network_pda().0;
    // A lookalike of the network account at another address.
    let copied_network = r.net.env.copy_account(&network, |_| {});
    let impostor = Pubkey::new_unique();
    let cases: [(Pubkey, Pubkey, RewardsError); 5] = [
        (network, copied_network, RewardsError::WrongNetwork),
        (
            s.collateral_authority,
            impostor,
            RewardsError::WrongCollateralAuthority,
        ),
        (s.staking_config, impostor, RewardsError::WrongStakingConfig),
        (
            s.staking_program,
            impostor,
            RewardsError::WrongStakingProgram,
        ),
        // Another executable program posing as staking.
        (
            s.staking_program,
            rewards::ID,
            RewardsError::WrongStakingProgram,
        ),
    ];
    let device_before = r.device(&key);
    for (real, fake, error) in cases {
        let ix = transfer_device_ix(owner.pubkey(), buyer.pubkey(), key, from, to);
        assert_custom_error(
            &r.net
                .env
                .send_fresh(&[substituted(ix, real, fake)], &[&owner, &buyer]),
            0,
            error.into(),
        );
        let ix = decommission_device_ix(owner.pubkey(), key, from);
        assert_custom_error(
            &r.net
                .env
                .send_fresh(&[substituted(ix, real, fake)], &[&owner]),
            0,
            error.into(),
        );
    }
    // Nothing moved.
    assert_eq!(r.device(&key), device_before);
    assert_eq!((r.bound(&from), r.bound(&to)), (1, 0));

    // A transfer is not replayed: once the device is the buyer's, the same transfer is refused.
    let ix = transfer_device_ix(owner.pubkey(), buyer.pubkey(), key, from, to);
    expect_ok(r.net.env.send_fresh(&[ix], &[&owner, &buyer]));
    let ix = transfer_device_ix(owner.pubkey(), buyer.pubkey(), key, from, to);
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&owner, &buyer]),
        0,
        RewardsError::NotDeviceOwner.into(),
    );
    assert_eq!((r.bound(&from), r.bound(&to)), (0, 1));
}

#[test]
fn a_decommissioned_device_key_is_never_onboarded_again() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    expect_ok(r.onboard(&device));
    let owner = r.owner.insecure_clone();
    let ix = decommission_device_ix(owner.pubkey(), device.pubkey(), r.position);
    expect_ok(r.net.env.send_fresh(&[ix], &[&owner]));
    let retired = r.device(&device.pubkey());
    assert_eq!(retired.status, DeviceStatus::Decommissioned);

    // The retired key's account still exists, so `init` refuses it (the system program's
    // AccountAlreadyInUse, custom 0), and nothing is bound again.
    assert_tx_error(
        &r.onboard(&device),
        solana_transaction_error::TransactionError::InstructionError(
            ONBOARD,
            solana_instruction_error::InstructionError::Custom(0),
        ),
    );
    assert_eq!(r.device(&device.pubkey()), retired);
    assert_eq!(r.bound(&r.position), 0);
}
