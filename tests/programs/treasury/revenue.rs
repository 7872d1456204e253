//! `treasury`: revenue intake (`pay`, `pay_for`), the split, stablecoin admission, and the
//! stakers' and operations' shares leaving the vault.
use anchor_lang::prelude::Pubkey;
use harness::builders::treasury_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use solana_instruction_error::InstructionError;
use solana_transaction_error::TransactionError;
use test_case::test_case;
use treasury::error::TreasuryError;
use treasury::events::{OperationsSwept, RevenueReceived, StablecoinAdded, StakersRouted};
use treasury::state::{Buckets, Stablecoin};

use super::fixture::*;

const REFERENCE: [u8; 32] = *b"invoice-2026-11-0042............";

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn add_stablecoin_creates_ledger_vault_and_bought_account(tp: TokenProgram) {
    let fx = fixture(tp);
    let (key, bump) = stablecoin_pda(&fx.stable);
    let s = fx.stablecoin();
    assert_eq!(
        s,
        Stablecoin {
            version: 2,
            bump,
            vault_bump: vault_pda(&fx.stable).1,
            bought_bump: bought_pda(&fx.stable).1,
            enabled: true,
            decimals: 6,
            mint: fx.stable,
            token_program: tp.id(),
            vault: vault_pda(&fx.stable).0,
            bought: bought_pda(&fx.stable).0,
            stakers_destination: fx.stakers_destination,
            venue: fx
                .pool
                .map_or(Venue::default(), |p| p.venue(&fx.stable).unwrap()),
            buyback_cap_per_epoch: CAP,
            buyback_epoch: 0,
            spent_in_epoch: 0,
            buckets: Buckets::default(),
            total_received: 0,
            total_bought_back: 0,
            total_routed_to_stakers: 0,
            total_swept_to_operations: 0,
            payments: 0,
            reserved: [0; 64],
        }
    );
    let (vault_account, vault) = read_token_account(&fx.env, &s.vault);
    assert_eq!(
        (vault_account.owner, vault.mint, vault.owner, vault.amount),
        (tp.id(), fx.stable, key, 0)
    );
    let (_, bought) = read_token_account(&fx.env, &s.bought);
    assert_eq!(
        (bought.mint, bought.owner, bought.amount),
        (fx.network_mint, key, 0)
    );
}

#[test]
fn add_stablecoin_emits_and_refuses_a_second_time() {
    let mut env_fx = fixture(TokenProgram::SplToken);
    let fx = &mut env_fx;
    let again = add_stablecoin(
        add_stablecoin_accounts(
            &fx.env,
            fx.governance.pubkey(),
            fx.stable,
            fx.stable_tp,
            fx.network_mint,
            TokenProgram::SplToken,
            None,
        ),
        AddStablecoinArgs {
            buyback_cap_per_epoch: 1,
            venue: Venue::default(),
        },
    );
    let before = fx.stablecoin();
    let governance = fx.governance.insecure_clone();
    let result = fx.env.send_fresh(&[again], &[&governance]);
    // `init` of the existing PDA: the system program refuses (account already in use).
    assert_tx_error(
        &result,
        TransactionError::InstructionError(0, InstructionError::Custom(0)),
    );
    assert_eq!(before, fx.stablecoin());
}

fn new_coin_ix(fx: &mut Fx, signer: Pubkey, destination: Option<Pubkey>) -> (Pubkey, Instruction) {
    let authority = fx.mint_authority.pubkey();
    let mint = create_mint(&mut fx.env, TokenProgram::SplToken, &authority, 6);
    let ix = add_stablecoin(
        add_stablecoin_accounts(
            &fx.env,
            signer,
            mint,
            TokenProgram::SplToken,
            fx.network_mint,
            TokenProgram::SplToken,
            destination,
        ),
        AddStablecoinArgs {
            buyback_cap_per_epoch: CAP,
            venue: Venue::default(),
        },
    );
    (mint, ix)
}

/// The review's F6: a Token-2022 coin whose extensions would let someone move or freeze the
/// vault, or break the ledger, is refused by name, and nothing is created; the harmless ones pass.
#[test_case(MintExtension::TransferFee, Some(TreasuryError::MintHasTransferFee) ; "transfer fee")]
#[test_case(MintExtension::TransferHook, Some(TreasuryError::MintHasTransferHook) ; "transfer hook")]
#[test_case(MintExtension::PermanentDelegate, Some(TreasuryError::MintHasPermanentDelegate) ; "permanent delegate")]
#[test_case(MintExtension::ConfidentialTransfer, Some(TreasuryError::MintHasConfidentialTransfer) ; "confidential transfer")]
#[test_case(MintExtension::DefaultFrozen, Some(TreasuryError::MintFrozenByDefault) ; "frozen by default")]
#[test_case(MintExtension::NonTransferable, Some(TreasuryError::UnsupportedMintExtension) ; "non transferable")]
#[test_case(MintExtension::DefaultInitialized, None ; "initialized by default")]
#[test_case(MintExtension::CloseAuthority, Some(TreasuryError::MintHasCloseAuthority) ; "close authority")]
fn add_stablecoin_checks_token_2022_extensions(
    extension: MintExtension,
    refusal: Option<TreasuryError>,
) {
    let mut fx = fixture(TokenProgram::SplToken);
    let authority = fx.mint_authority.pubkey();
    let mint = create_mint_with_extension(&mut fx.env, &authority, 6, extension);
    let ix = add_stablecoin(
        add_stablecoin_accounts(
            &fx.env,
            fx.governance.pubkey(),
            mint,
            TokenProgram::Token2022,
            fx.network_mint,
            TokenProgram::SplToken,
            None,
        ),
        AddStablecoinArgs {
            buyback_cap_per_epoch: CAP,
            venue: Venue::default(),
        },
    );
    let governance = fx.governance.insecure_clone();
    let result = fx.env.send_fresh(&[ix], &[&governance]);
    match refusal {
        Some(error) => {
            assert_custom_error(&result, 0, error.into());
            for account in [
                stablecoin_pda(&mint).0,
                vault_pda(&mint).0,
                bought_pda(&mint).0,
            ] {
                assert!(fx.env.account(&account).is_none(), "{account} created");
            }
        }
        None => {
            expect_ok(result);
            assert_eq!(
                fx.env
                    .anchor_account::<Stablecoin>(&stablecoin_pda(&mint).0)
                    .mint,
                mint
            );
        }
    }
}

/// `depin_common::token`'s extension numbers are Token-2022's.
#[test]
fn the_shared_extension_numbers_are_token_2022s() {
    use anchor_spl::token_2022::spl_token_2022::extension::ExtensionType as T;
    use depin_common::token::extension as e;
    let pairs = [
        (e::UNINITIALIZED, T::Uninitialized),
        (e::TRANSFER_FEE_CONFIG, T::TransferFeeConfig),
        (e::MINT_CLOSE_AUTHORITY, T::MintCloseAuthority),
        (e::CONFIDENTIAL_TRANSFER_MINT, T::ConfidentialTransferMint),
        (e::DEFAULT_ACCOUNT_STATE, T::DefaultAccountState),
        (e::PERMANENT_DELEGATE, T::PermanentDelegate),
        (e::TRANSFER_HOOK, T::TransferHook),
        (
            e::CONFIDENTIAL_TRANSFER_FEE_CONFIG,
            T::ConfidentialTransferFeeConfig,
        ),
        (e::METADATA_POINTER, T::MetadataPointer),
        (e::TOKEN_METADATA, T::TokenMetadata),
        (e::GROUP_POINTER, T::GroupPointer),
        (e::TOKEN_GROUP, T::TokenGroup),
        (e::GROUP_MEMBER_POINTER, T::GroupMemberPointer),
        (e::TOKEN_GROUP_MEMBER, T::TokenGroupMember),
        (e::CONFIDENTIAL_MINT_BURN, T::ConfidentialMintBurn),
    ];
    for (ours, theirs) in pairs {
        assert_eq!(ours, theirs as u16, "{theirs:?}");
    }
}

#[test]
fn add_stablecoin_event_has_exact_fields() {
    let mut fx = fixture(TokenProgram::SplToken);
    let governance = fx.governance.pubkey();
    let (mint, ix) = new_coin_ix(&mut fx, governance, None);
    let governance = fx.governance.insecure_clone();
    let meta = expect_ok(fx.env.send_fresh(&[ix], &[&governance]));
    let events: Vec<StablecoinAdded> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.mint,
            e.token_program,
            e.decimals,
            e.vault,
            e.stakers_destination,
            e.venue,
            e.buyback_cap_per_epoch
        ),
        (
            mint,
            TokenProgram::SplToken.id(),
            6,
            vault_pda(&mint).0,
            Pubkey::default(),
            Venue::default(),
            CAP
        )
    );
}

#[test]
fn add_stablecoin_refuses_a_signer_that_is_not_governance() {
    let mut fx = fixture(TokenProgram::SplToken);
    let impostor = fx.env.funded_keypair();
    let (mint, ix) = new_coin_ix(&mut fx, impostor.pubkey(), None);
    let result = fx.env.send_fresh(&[ix], &[&impostor]);
    assert_custom_error(&result, 0, TreasuryError::NotAuthority.into());
    assert!(fx.env.account(&stablecoin_pda(&mint).0).is_none());
}

#[test]
fn add_stablecoin_refuses_a_stakers_destination_outside_staking() {
    let mut fx = fixture(TokenProgram::SplToken);
    let authority = fx.mint_authority.pubkey();
    let mint = create_mint(&mut fx.env, TokenProgram::SplToken, &authority, 6);
    let thief = Pubkey::new_unique();
    let destination = create_token_account(&mut fx.env, TokenProgram::SplToken, &mint, &thief);
    let ix = add_stablecoin(
        add_stablecoin_accounts(
            &fx.env,
            fx.governance.pubkey(),
            mint,
            TokenProgram::SplToken,
            fx.network_mint,
            TokenProgram::SplToken,
            Some(destination),
        ),
        AddStablecoinArgs {
            buyback_cap_per_epoch: CAP,
            venue: Venue::default(),
        },
    );
    let governance = fx.governance.insecure_clone();
    let result = fx.env.send_fresh(&[ix], &[&governance]);
    assert_custom_error(&result, 0, TreasuryError::InvalidStakersDestination.into());
    assert!(fx.env.account(&stablecoin_pda(&mint).0).is_none());
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn pay_splits_exactly_and_emits_the_reference(tp: TokenProgram) {
    let mut fx = fixture(tp);
    // 1,000.000001: 30% and 10% round down; the unit of dust goes to buyback.
    let amount = 1_000 * UNIT + 1;
    let ix = fx.pay_ix(amount, REFERENCE);
    let customer = fx.customer.insecure_clone();
    let meta = expect_ok(fx.env.send_fresh(&[ix], &[&customer]));

    let expected = Buckets {
        buyback: 600_000_001,
        stakers: 300_000_000,
        operations: 100_000_000,
    };
    let s = fx.stablecoin();
    assert_eq!(s.buckets, expected);
    assert_eq!((s.total_received, s.payments), (amount, 1));
    assert_eq!(fx.balance(&s.vault), amount);
    assert_eq!(fx.balance(&fx.customer_tokens), 1_000_000 * UNIT - amount);

    let events: Vec<RevenueReceived> = cpi_events(&meta);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.reference,
            e.payer,
            e.by_operator,
            e.customer,
            e.mint,
            e.amount
        ),
        (
            REFERENCE,
            fx.customer.pubkey(),
            false,
            fx.customer.pubkey(),
            fx.stable,
            amount
        )
    );
    assert_eq!(
        (e.to_buyback, e.to_stakers, e.to_operations),
        (600_000_001, 300_000_000, 100_000_000)
    );
    assert_eq!(
        (e.buckets_before, e.buckets_after, e.total_received_after),
        (Buckets::default(), expected, amount)
    );
    assert_eq!(e.timestamp, fx.env.now());
}

#[test]
fn pay_for_by_the_operator_records_the_customer() {
    let mut fx = fixture(TokenProgram::SplToken);
    let operator = fx.operator.insecure_clone();
    let tokens = create_token_account(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.stable,
        &operator.pubkey(),
    );
    let authority = fx.mint_authority.insecure_clone();
    mint_to(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.stable,
        &authority,
        &tokens,
        50 * UNIT,
    );
    let customer = Pubkey::new_unique();
    let ix = pay_for(
        pay_for_accounts(operator.pubkey(), fx.stable, TokenProgram::SplToken, tokens),
        PayForArgs {
            amount: 50 * UNIT,
            reference: REFERENCE,
            customer,
        },
    );
    let meta = expect_ok(fx.env.send_fresh(&[ix], &[&operator]));
    let s = fx.stablecoin();
    assert_eq!(
        s.buckets,
        Buckets {
            buyback: 30 * UNIT,
            stakers: 15 * UNIT,
            operations: 5 * UNIT
        }
    );
    assert_eq!((fx.balance(&s.vault), fx.balance(&tokens)), (50 * UNIT, 0));
    let e = &cpi_events::<RevenueReceived>(&meta)[0];
    assert_eq!(
        (e.payer, e.by_operator, e.customer, e.reference),
        (operator.pubkey(), true, customer, REFERENCE)
    );
}

#[test]
fn pay_for_refuses_anyone_but_the_operator() {
    let mut fx = fixture(TokenProgram::SplToken);
    let impostor = fx.customer.insecure_clone();
    let ix = pay_for(
        pay_for_accounts(
            impostor.pubkey(),
            fx.stable,
            TokenProgram::SplToken,
            fx.customer_tokens,
        ),
        PayForArgs {
            amount: UNIT,
            reference: REFERENCE,
            customer: Pubkey::new_unique(),
        },
    );
    let result = fx.env.send_fresh(&[ix], &[&impostor]);
    assert_custom_error(&result, 0, TreasuryError::NotPaymentOperator.into());
    assert_eq!(fx.stablecoin().total_received, 0);
}

#[test]
fn pay_refuses_zero() {
    let mut fx = fixture(TokenProgram::SplToken);
    let ix = fx.pay_ix(0, REFERENCE);
    let customer = fx.customer.insecure_clone();
    let result = fx.env.send_fresh(&[ix], &[&customer]);
    assert_custom_error(&result, 0, TreasuryError::ZeroAmount.into());
    assert_eq!(fx.stablecoin().payments, 0);
}

#[test]
fn pay_refuses_a_substituted_vault() {
    let mut fx = fixture(TokenProgram::SplToken);
    let thief = Pubkey::new_unique();
    let fake = create_token_account(&mut fx.env, TokenProgram::SplToken, &fx.stable, &thief);
    let mut a = pay_accounts(
        fx.customer.pubkey(),
        fx.stable,
        TokenProgram::SplToken,
        fx.customer_tokens,
    );
    a.vault = fake;
    let ix = pay(
        a,
        PayArgs {
            amount: UNIT,
            reference: REFERENCE,
        },
    );
    let customer = fx.customer.insecure_clone();
    let result = fx.env.send_fresh(&[ix], &[&customer]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintHasOne.into(),
    );
    assert_eq!(fx.balance(&fake), 0);
    assert_eq!(fx.stablecoin().total_received, 0);
}

#[test]
fn pay_refuses_another_coins_ledger() {
    let mut fx = fixture(TokenProgram::SplToken);
    let authority = fx.mint_authority.pubkey();
    let other = create_mint(&mut fx.env, TokenProgram::SplToken, &authority, 6);
    let mut a = pay_accounts(
        fx.customer.pubkey(),
        fx.stable,
        TokenProgram::SplToken,
        fx.customer_tokens,
    );
    a.mint = other;
    let ix = pay(
        a,
        PayArgs {
            amount: UNIT,
            reference: REFERENCE,
        },
    );
    let customer = fx.customer.insecure_clone();
    let result = fx.env.send_fresh(&[ix], &[&customer]);
    assert_custom_error(
        &result,
        0,
        anchor_lang::error::ErrorCode::ConstraintHasOne.into(),
    );
}

#[test]
fn pay_refuses_an_amount_the_payer_does_not_have_and_stores_nothing() {
    let mut fx = fixture(TokenProgram::SplToken);
    fx.pay(10 * UNIT);
    let before = fx.stablecoin();
    let ix = fx.pay_ix(1_000_000 * UNIT, REFERENCE);
    let customer = fx.customer.insecure_clone();
    let result = fx.env.send_fresh(&[ix], &[&customer]);
    // The token program refuses (insufficient funds: SPL Token error 1); the booking rolls back.
    assert_custom_error(&result, 0, 1);
    assert_eq!(before, fx.stablecoin());
    assert_eq!(fx.balance(&before.vault), 10 * UNIT);
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn route_to_stakers_moves_the_whole_bucket(tp: TokenProgram) {
    let mut fx = fixture(tp);
    fx.pay(1_000 * UNIT + 1);
    let ix = route_to_stakers(fx.stable, tp, fx.stakers_destination);
    let meta = expect_ok(fx.env.send_fresh(&[ix], &[]));
    let s = fx.stablecoin();
    assert_eq!(
        (s.buckets.stakers, s.total_routed_to_stakers),
        (0, 300 * UNIT)
    );
    assert_eq!(fx.balance(&fx.stakers_destination), 300 * UNIT);
    assert_eq!(fx.balance(&s.vault), 700 * UNIT + 1);
    let e = &cpi_events::<StakersRouted>(&meta)[0];
    assert_eq!(
        (
            e.mint,
            e.destination,
            e.amount,
            e.bucket_before,
            e.bucket_after
        ),
        (fx.stable, fx.stakers_destination, 300 * UNIT, 300 * UNIT, 0)
    );
    // Replay: nothing left to route.
    let again = route_to_stakers(fx.stable, tp, fx.stakers_destination);
    let result = fx.env.send_fresh(&[again], &[]);
    assert_custom_error(&result, 0, TreasuryError::ZeroAmount.into());
}

#[test]
fn route_to_stakers_refuses_another_destination() {
    let mut fx = fixture(TokenProgram::SplToken);
    fx.pay(1_000 * UNIT);
    let thief = create_token_account(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.stable,
        &Pubkey::new_unique(),
    );
    let result = fx.env.send_fresh(
        &[route_to_stakers(fx.stable, TokenProgram::SplToken, thief)],
        &[],
    );
    assert_custom_error(&result, 0, TreasuryError::InvalidStakersDestination.into());
    assert_eq!(fx.stablecoin().buckets.stakers, 300 * UNIT);
}

#[test]
fn sweep_operations_pays_the_operations_owner_only() {
    let mut fx = fixture(TokenProgram::SplToken);
    fx.pay(1_000 * UNIT);
    let owner = fx.ops_owner.pubkey();
    let ops = create_token_account(&mut fx.env, TokenProgram::SplToken, &fx.stable, &owner);
    let thief = create_token_account(
        &mut fx.env,
        TokenProgram::SplToken,
        &fx.stable,
        &Pubkey::new_unique(),
    );
    let refused = fx.env.send_fresh(
        &[sweep_operations(fx.stable, TokenProgram::SplToken, thief)],
        &[],
    );
    assert_custom_error(&refused, 0, TreasuryError::WrongOperationsAccount.into());

    let meta = expect_ok(fx.env.send_fresh(
        &[sweep_operations(fx.stable, TokenProgram::SplToken, ops)],
        &[],
    ));
    let s = fx.stablecoin();
    assert_eq!(
        (s.buckets.operations, s.total_swept_to_operations),
        (0, 100 * UNIT)
    );
    assert_eq!((fx.balance(&ops), fx.balance(&thief)), (100 * UNIT, 0));
    let e = &cpi_events::<OperationsSwept>(&meta)[0];
    assert_eq!((e.amount, e.destination), (100 * UNIT, ops));
}

#[test]
fn a_disabled_coin_refuses_payments_but_still_drains() {
    let mut fx = fixture(TokenProgram::SplToken);
    fx.pay(100 * UNIT);
    let governance = fx.governance.insecure_clone();
    let impostor = fx.env.funded_keypair();
    let result = fx.env.send_fresh(
        &[set_stablecoin_enabled(impostor.pubkey(), fx.stable, false)],
        &[&impostor],
    );
    assert_custom_error(&result, 0, TreasuryError::NotAuthority.into());
    assert!(fx.stablecoin().enabled);

    let meta = expect_ok(fx.env.send_fresh(
        &[set_stablecoin_enabled(
            governance.pubkey(),
            fx.stable,
            false,
        )],
        &[&governance],
    ));
    let e = &cpi_events::<treasury::events::StablecoinEnabledChanged>(&meta)[0];
    assert_eq!(
        (e.mint, e.enabled_before, e.enabled_after),
        (fx.stable, true, false)
    );
    let ix = fx.pay_ix(UNIT, REFERENCE);
    let customer = fx.customer.insecure_clone();
    let result = fx.env.send_fresh(&[ix], &[&customer]);
    assert_custom_error(&result, 0, TreasuryError::StablecoinDisabled.into());
    assert_eq!(fx.stablecoin().total_received, 100 * UNIT);
    // The stakers' share still leaves.
    expect_ok(fx.env.send_fresh(
        &[route_to_stakers(
            fx.stable,
            TokenProgram::SplToken,
            fx.stakers_destination,
        )],
        &[],
    ));
    assert_eq!(fx.balance(&fx.stakers_destination), 30 * UNIT);

    expect_ok(fx.env.send_fresh(
        &[set_stablecoin_enabled(governance.pubkey(), fx.stable, true)],
        &[&governance],
    ));
    fx.pay(UNIT);
    assert_eq!(fx.stablecoin().total_received, 101 * UNIT);
}
