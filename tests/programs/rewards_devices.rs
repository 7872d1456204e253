//! The device registry: makers approved and revoked by governance; onboarding co-signed by the
//! device, an approved maker and the owner, with a burned fee; transfer and decommissioning.

use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::error::RewardsError;
use rewards::events::{
    DeviceDecommissioned, DeviceOnboarded, DeviceTransferred, MakerApproved, MakerRevoked,
};
use rewards::state::{Device, DeviceStatus, Maker};
use test_case::test_case;

use crate::rewards_fixture::*;

/// San Francisco, H3 resolution 9.
const CELL: u64 = 0x0892_8308_ae03_ffff;

struct Registry {
    net: Net,
    maker: Keypair,
    owner: Keypair,
    /// The owner's network-token account.
    owner_tokens: Pubkey,
}

impl Registry {
    /// A network with `fee`; a maker approved; an owner holding `owner_tokens` network tokens,
    /// earned the real way: a final root and a claim.
    fn new(fee: u64, owner_tokens: u64) -> Self {
        let mut env = TestEnv::new();
        let governance = env.funded_keypair();
        let start = env.now();
        let mut args = network_args(governance.pubkey(), 6, MAX_SUPPLY, start);
        args.onboard_fee = fee;
        let mut net = Net::with_args(env, TokenProgram::SplToken, governance, args);
        let maker = net.env.funded_keypair();
        let owner = net.env.funded_keypair();
        let owner_account = create_token_account(
            &mut net.env,
            TokenProgram::SplToken,
            &mint_pda().0,
            &owner.pubkey(),
        );
        if owner_tokens > 0 {
            net.install_oracles(1, 1);
            net.mint_through(0);
            let leaves = [(owner.pubkey(), owner_tokens)];
            let (tree, vote) = tree_vote(0, &leaves);
            net.post_and_finalize(&vote);
            let ix = claim(
                claim_accounts(
                    net.env.payer.pubkey(),
                    owner.pubkey(),
                    owner_account,
                    TokenProgram::SplToken,
                ),
                ClaimArgs {
                    cumulative_amount: owner_tokens,
                    proof: proof_of(&tree, &leaves, &owner.pubkey()),
                },
            );
            expect_ok(net.env.send_fresh(&[ix], &[]));
        }
        let mut r = Self {
            net,
            maker,
            owner,
            owner_tokens: owner_account,
        };
        let maker_key = r.maker.pubkey();
        expect_ok(r.approve(maker_key));
        r
    }

    fn approve(&mut self, maker: Pubkey) -> litesvm::types::TransactionResult {
        let governance = self.net.governance.insecure_clone();
        let ix = approve_maker_ix(self.net.env.payer.pubkey(), governance.pubkey(), maker);
        self.net.env.send_fresh(&[ix], &[&governance])
    }

    fn onboard_ix(&self, device: &Keypair, location: u64) -> Instruction {
        onboard_device(
            onboard_device_accounts(
                self.net.env.payer.pubkey(),
                self.owner.pubkey(),
                device.pubkey(),
                self.maker.pubkey(),
                self.owner_tokens,
                TokenProgram::SplToken,
            ),
            OnboardDeviceArgs {
                kind: DeviceKind::Connectivity,
                location,
            },
        )
    }

    fn onboard(&mut self, device: &Keypair) -> litesvm::types::TransactionResult {
        let ix = self.onboard_ix(device, CELL);
        let (owner, maker) = (self.owner.insecure_clone(), self.maker.insecure_clone());
        self.net.env.send_fresh(&[ix], &[&owner, device, &maker])
    }

    fn device(&self, key: &Pubkey) -> Device {
        self.net.env.anchor_account(&device_pda(key).0)
    }

    fn tokens(&self) -> u64 {
        read_token_account(&self.net.env, &self.owner_tokens)
            .1
            .amount
    }
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
            location: CELL,
            onboarded_at: now,
        }
    );
    // 123 bytes: 1,746,960 lamports (0.00175 SOL).
    assert_eq!(Device::SIZE, 123);
    assert_eq!(r.net.env.account(&key).unwrap().lamports, 1_746_960);
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
            e[0].timestamp
        ),
        (
            device.pubkey(),
            r.owner.pubkey(),
            r.maker.pubkey(),
            CELL,
            400,
            now
        )
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
            0,
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
            0,
            solana_instruction_error::InstructionError::Custom(1),
        ),
    );
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
    assert_eq!(r.tokens(), 399);
}

#[test_case(0 ; "device")]
#[test_case(1 ; "maker")]
#[test_case(2 ; "owner")]
fn every_cosigner_must_sign(missing: usize) {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    let mut ix = r.onboard_ix(&device, CELL);
    let keys = [device.pubkey(), r.maker.pubkey(), r.owner.pubkey()];
    for meta in ix.accounts.iter_mut().filter(|m| m.pubkey == keys[missing]) {
        meta.is_signer = false;
    }
    let all = [
        device.insecure_clone(),
        r.maker.insecure_clone(),
        r.owner.insecure_clone(),
    ];
    let signers: Vec<&Keypair> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != missing)
        .map(|(_, k)| k)
        .collect();
    let result = r.net.env.send_fresh(&[ix], &signers);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::AccountNotSigner.into(),
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
        0,
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
    assert_custom_error(&r.onboard(&next), 0, RewardsError::MakerNotActive.into());
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

#[test_case(0 ; "zero")]
#[test_case(0x0112_8308_ae03_ffff ; "an edge, not a cell")]
#[test_case(0x0892_8308_ae03_fff8 ; "a digit past the resolution")]
#[test_case(0x080f_5fff_ffff_ffff ; "base cell 122")]
fn a_location_must_be_an_h3_cell(location: u64) {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    let ix = r.onboard_ix(&device, location);
    let (owner, maker) = (r.owner.insecure_clone(), r.maker.insecure_clone());
    let result = r.net.env.send_fresh(&[ix], &[&owner, &device, &maker]);
    assert_custom_error(&result, 0, RewardsError::InvalidLocation.into());
    assert!(r.net.env.account(&device_pda(&device.pubkey()).0).is_none());
}

#[test]
fn owners_transfer_and_decommission_their_devices() {
    let mut r = Registry::new(0, 0);
    let device = Keypair::new();
    expect_ok(r.onboard(&device));
    let owner = r.owner.insecure_clone();
    let buyer = r.net.env.funded_keypair();

    // Not the owner.
    let ix = transfer_device_ix(buyer.pubkey(), device.pubkey(), buyer.pubkey());
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&buyer]),
        0,
        RewardsError::NotDeviceOwner.into(),
    );
    // To nobody, or to itself.
    for to in [Pubkey::default(), owner.pubkey()] {
        let ix = transfer_device_ix(owner.pubkey(), device.pubkey(), to);
        assert_custom_error(
            &r.net.env.send_fresh(&[ix], &[&owner]),
            0,
            RewardsError::InvalidOwner.into(),
        );
    }
    let ix = transfer_device_ix(owner.pubkey(), device.pubkey(), buyer.pubkey());
    let meta = expect_ok(r.net.env.send_fresh(&[ix], &[&owner]));
    let e: Vec<DeviceTransferred> = cpi_events(&meta);
    assert_eq!((e[0].from, e[0].to), (owner.pubkey(), buyer.pubkey()));
    assert_eq!(r.device(&device.pubkey()).owner, buyer.pubkey());

    // The old owner can no longer decommission it; the new one can, once.
    let ix = decommission_device_ix(owner.pubkey(), device.pubkey());
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&owner]),
        0,
        RewardsError::NotDeviceOwner.into(),
    );
    let ix = decommission_device_ix(buyer.pubkey(), device.pubkey());
    let meta = expect_ok(r.net.env.send_fresh(&[ix], &[&buyer]));
    assert_eq!(
        cpi_events::<DeviceDecommissioned>(&meta)[0].owner,
        buyer.pubkey()
    );
    assert_eq!(
        r.device(&device.pubkey()).status,
        DeviceStatus::Decommissioned
    );
    let ix = decommission_device_ix(buyer.pubkey(), device.pubkey());
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&buyer]),
        0,
        RewardsError::DeviceNotActive.into(),
    );
    let ix = transfer_device_ix(buyer.pubkey(), device.pubkey(), owner.pubkey());
    assert_custom_error(
        &r.net.env.send_fresh(&[ix], &[&buyer]),
        0,
        RewardsError::DeviceNotActive.into(),
    );
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
    );
    let ix = onboard_device(
        a,
        OnboardDeviceArgs {
            kind: DeviceKind::Compute,
            location: CELL,
        },
    );
    let (owner, maker) = (r.owner.insecure_clone(), r.maker.insecure_clone());
    let result = r.net.env.send_fresh(&[ix], &[&owner, &device, &maker]);
    assert_custom_error(&result, 0, RewardsError::WrongMint.into());
    // Another mint passed as the network mint.
    a.fee_source = r.owner_tokens;
    a.mint = other_mint;
    let ix = onboard_device(
        a,
        OnboardDeviceArgs {
            kind: DeviceKind::Compute,
            location: CELL,
        },
    );
    let result = r.net.env.send_fresh(&[ix], &[&owner, &device, &maker]);
    assert_custom_error(&result, 0, RewardsError::WrongMint.into());
    assert_eq!(r.tokens(), 1_000);
}
