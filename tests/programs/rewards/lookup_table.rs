//! `rewards::create_lookup_table`: anyone creates the network's address lookup table once,
//! filled from the network's own state, frozen, and recorded at `["lut"]`; a claim then goes
//! through it as a v0 transaction. The hand-written calls to the lookup table program are pinned
//! against `solana-address-lookup-table-interface`.

use anchor_lang::prelude::Pubkey;
use depin_client::builders::event_authority;
use harness::builders::rewards_ix::*;
use harness::builders::staking_ix;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::constants::{ADDRESS_LOOKUP_TABLE_PROGRAM_ID, LUT_AUTHORITY};
use rewards::error::RewardsError;
use rewards::events::LookupTableCreated;
use rewards::instructions::table_address;
use rewards::lookup_table_cpi;
use rewards::state::LookupTable;
use solana_address_lookup_table_interface::{instruction as alt, state::AddressLookupTable};
use solana_instruction_error::InstructionError;
use solana_slot_hashes::SlotHashes;
use solana_transaction_error::TransactionError;
use test_case::test_case;

use super::fixture::*;

/// The slot the tests derive the table from; the cluster lists it among its recent slots.
const RECENT_SLOT: u64 = 40;

/// A network at slot `RECENT_SLOT + 2`, whose slot hashes list `RECENT_SLOT` and the one after.
fn net_at_recent_slot(token_program: TokenProgram) -> Net {
    let mut net = Net::new(token_program);
    let hash = net.env.svm.latest_blockhash();
    net.env.svm.set_sysvar(&SlotHashes::new(&[
        (RECENT_SLOT + 1, hash),
        (RECENT_SLOT, hash),
    ]));
    net.env.svm.warp_to_slot(RECENT_SLOT + 2);
    net
}

/// The addresses the table must hold, in order, derived here from the sdk and the staking crate
/// (not from the program's list).
fn expected_addresses(token_program: TokenProgram) -> Vec<Pubkey> {
    vec![
        network_pda().0,
        mint_pda().0,
        rewards_vault_pda().0,
        token_program.id(),
        anchor_lang::system_program::ID,
        event_authority(&rewards::ID),
        oracle_set_pda().0,
        staking_ix::collateral_authority_pda().0,
        staking::ID,
        staking_ix::config_pda().0,
        staking_ix::vault_pda().0,
        staking_ix::revenue_vault_pda().0,
        event_authority(&staking::ID),
    ]
}

fn create(net: &mut Net, payer: &Keypair, ix: Instruction) -> TransactionResult {
    net.env.send_fresh(&[ix], &[payer])
}

fn nothing_created(net: &Net) {
    assert!(net.env.account(&lookup_table_record_pda().0).is_none());
    assert!(net.env.account(&table_address(RECENT_SLOT).0).is_none());
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn anyone_creates_the_network_table_filled_from_its_state_and_frozen(token_program: TokenProgram) {
    let mut net = net_at_recent_slot(token_program);
    let payer = net.env.funded_keypair();
    let before = net.env.lamports(&payer.pubkey());
    let meta = expect_ok(create(
        &mut net,
        &payer,
        create_lookup_table_ix(payer.pubkey(), RECENT_SLOT),
    ));

    let (table, _) = table_address(RECENT_SLOT);
    let (record_key, bump) = lookup_table_record_pda();
    let record: LookupTable = net.env.anchor_account(&record_key);
    assert_eq!(
        record,
        LookupTable {
            version: 1,
            bump,
            address: table,
            recent_slot: RECENT_SLOT,
            len: 13
        }
    );
    let account = net.env.account(&table).unwrap();
    assert_eq!(account.owner, ADDRESS_LOOKUP_TABLE_PROGRAM_ID);
    let state = AddressLookupTable::deserialize(&account.data).unwrap();
    assert_eq!(state.addresses.to_vec(), expected_addresses(token_program));
    assert_eq!(
        state.meta.authority, None,
        "frozen: nobody can extend or close it"
    );
    assert_eq!(state.meta.deactivation_slot, u64::MAX);

    // 56 + 13 x 32 = 472 bytes of table and 51 of record; the payer pays their rent and no more
    // (the harness payer pays the fee).
    assert_eq!((account.data.len(), LookupTable::SIZE), (472, 51));
    let rents = net.env.rent_exempt(472) + net.env.rent_exempt(51);
    assert_eq!(net.env.lamports(&table), net.env.rent_exempt(472));
    assert_eq!(before - net.env.lamports(&payer.pubkey()), rents);
    let events: Vec<LookupTableCreated> = cpi_events(&meta);
    let now = net.env.now();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.table, e.recent_slot, e.addresses, e.timestamp))
            .collect::<Vec<_>>(),
        vec![(table, RECENT_SLOT, 13, now)]
    );
}

#[test]
fn a_second_table_is_refused_and_the_first_stays() {
    let mut net = net_at_recent_slot(TokenProgram::SplToken);
    let payer = net.env.funded_keypair();
    expect_ok(create(
        &mut net,
        &payer,
        create_lookup_table_ix(payer.pubkey(), RECENT_SLOT),
    ));
    let record = net.env.account(&lookup_table_record_pda().0).unwrap();

    // The record exists: the system program refuses to create it again (custom 0, in use).
    let again = create_lookup_table_ix(payer.pubkey(), RECENT_SLOT + 1);
    assert_custom_error(&create(&mut net, &payer, again), 0, 0);
    assert_eq!(
        net.env.account(&lookup_table_record_pda().0).unwrap(),
        record
    );
    assert!(net.env.account(&table_address(RECENT_SLOT + 1).0).is_none());
}

#[test]
fn a_substituted_account_or_a_stale_slot_is_refused_and_nothing_is_created() {
    let mut net = net_at_recent_slot(TokenProgram::SplToken);
    let payer = net.env.funded_keypair();
    let ix = || create_lookup_table_ix(payer.pubkey(), RECENT_SLOT);
    let code = |e: RewardsError| 6000 + e as u32;

    let other_program = substituted(ix(), ADDRESS_LOOKUP_TABLE_PROGRAM_ID, staking::ID);
    let r = create(&mut net, &payer, other_program);
    assert_custom_error(&r, 0, code(RewardsError::WrongLookupTableProgram));
    nothing_created(&net);

    let (other_slot_table, _) = table_address(RECENT_SLOT + 1);
    let other_table = substituted(ix(), table_address(RECENT_SLOT).0, other_slot_table);
    let r = create(&mut net, &payer, other_table);
    assert_custom_error(&r, 0, code(RewardsError::WrongLookupTable));
    nothing_created(&net);

    let copy = network_copy_naming(&mut net.env, &Pubkey::new_unique());
    let r = create(&mut net, &payer, substituted(ix(), network_pda().0, copy));
    assert_custom_error(&r, 0, code(RewardsError::WrongNetwork));
    nothing_created(&net);

    // Anchor's ConstraintSeeds (2006): the authority must be the program's PDA.
    let r = create(
        &mut net,
        &payer,
        substituted(ix(), LUT_AUTHORITY, Pubkey::new_unique()),
    );
    assert_custom_error(&r, 0, 2006);
    nothing_created(&net);

    // A slot the cluster no longer lists: the lookup table program refuses it.
    let stale = create_lookup_table_ix(payer.pubkey(), RECENT_SLOT - 1);
    assert_tx_error(
        &create(&mut net, &payer, stale),
        TransactionError::InstructionError(0, InstructionError::InvalidInstructionData),
    );
    assert!(net.env.account(&lookup_table_record_pda().0).is_none());
}

#[test]
fn a_claim_goes_through_the_network_table_as_a_v0_transaction() {
    let mut net = net_at_recent_slot(TokenProgram::SplToken);
    net.install_oracles(1, 1);
    net.mint_through(0);
    let wallets: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
    let leaves: Vec<(Pubkey, u64)> = wallets.iter().copied().zip([700, 200, 100]).collect();
    let (tree, vote) = tree_vote(0, &leaves);
    net.post_and_finalize(&vote);
    let payer = net.env.funded_keypair();
    expect_ok(create(
        &mut net,
        &payer,
        create_lookup_table_ix(payer.pubkey(), RECENT_SLOT),
    ));
    // A table is used from the slot after its last extension.
    let slot = net.env.svm.get_sysvar::<anchor_lang::prelude::Clock>().slot;
    net.env.svm.warp_to_slot(slot + 1);

    let (table, _) = table_address(RECENT_SLOT);
    let state_data = net.env.account(&table).unwrap().data;
    let addresses = AddressLookupTable::deserialize(&state_data)
        .unwrap()
        .addresses
        .to_vec();
    let lut = AddressLookupTableAccount {
        key: table,
        addresses,
    };
    let destination = create_token_account(
        &mut net.env,
        TokenProgram::SplToken,
        &mint_pda().0,
        &wallets[0],
    );
    let ix = claim(
        claim_accounts(
            payer.pubkey(),
            wallets[0],
            destination,
            TokenProgram::SplToken,
        ),
        ClaimArgs {
            cumulative_amount: 700,
            proof: proof_of(&tree, &leaves, &wallets[0]),
        },
    );
    let legacy = net.env.transaction(std::slice::from_ref(&ix), &[&payer]);
    let v0 = net
        .env
        .transaction_v0(std::slice::from_ref(&ix), &[&payer], &[lut]);
    // Six of the claim's eleven accounts come from the table (the network, mint, vault, token and
    // system programs and the event authority; signers and the called program stay in the
    // message): each costs one byte instead of 32, the table's address and the lengths of its
    // two index lists cost 32 + 1 + 1 + 1, and the version prefix one more.
    let legacy_size = wire_size(&VersionedTransaction::from(legacy));
    assert_eq!(legacy_size - wire_size(&v0), 6 * 31 - (32 + 3) - 1);
    expect_ok(net.env.svm.send_transaction(v0));
    assert_eq!(read_token_account(&net.env, &destination).1.amount, 700);
}

#[test]
fn the_calls_to_the_lookup_table_program_are_the_interface_crates() {
    let (authority, payer) = (LUT_AUTHORITY, Pubkey::new_unique());
    let (table, bump) = table_address(RECENT_SLOT);
    let (expected, derived) = alt::create_lookup_table(authority, payer, RECENT_SLOT);
    assert_eq!(derived, table);
    let ours = lookup_table_cpi::create(table, authority, payer, RECENT_SLOT, bump);
    assert_eq!(
        (ours.program_id, ours.data.clone()),
        (expected.program_id, expected.data.clone())
    );
    assert_eq!(metas(&ours), metas(&expected));

    let addresses: Vec<Pubkey> = (0..13).map(|_| Pubkey::new_unique()).collect();
    let expected = alt::extend_lookup_table(table, authority, Some(payer), addresses.clone());
    let ours = lookup_table_cpi::extend(table, authority, payer, &addresses);
    assert_eq!(
        (ours.program_id, ours.data.clone()),
        (expected.program_id, expected.data.clone())
    );
    assert_eq!(metas(&ours), metas(&expected));

    let expected = alt::freeze_lookup_table(table, authority);
    let ours = lookup_table_cpi::freeze(table, authority);
    assert_eq!(
        (ours.program_id, ours.data.clone()),
        (expected.program_id, expected.data.clone())
    );
    assert_eq!(metas(&ours), metas(&expected));
}

fn metas(ix: &Instruction) -> Vec<([u8; 32], bool, bool)> {
    ix.accounts
        .iter()
        .map(|m| (m.pubkey.to_bytes(), m.is_signer, m.is_writable))
        .collect()
}
