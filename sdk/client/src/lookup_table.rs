//! The network's address lookup table, as clients use it: found through the rewards record
//! `["lut"]` (written only by `create_lookup_table`), read from the lookup table program, and
//! checked frozen and whole before a v0 message is compiled with it.

use rewards::state::LookupTable;
use solana_address_lookup_table_interface::state::AddressLookupTable;
use solana_message::AddressLookupTableAccount;
use solana_pubkey::Pubkey;

use crate::accounts::{AccountSource, FetchError, decode};
use crate::builders::rewards_ix::lookup_table_record_pda;

/// The network's lookup table, or None when the network has none yet (`depin migrate` creates
/// it; lamports sent to the record's address before then are still none).
///
/// # Errors
///
/// An RPC failure, or a record or table that is not what `create_lookup_table` leaves: owned by
/// another program, undecodable, not frozen, deactivated, or holding another number of
/// addresses than the record says.
pub async fn network_table(
    rpc: &impl AccountSource,
) -> Result<Option<AddressLookupTableAccount>, FetchError> {
    let record_key = lookup_table_record_pda().0;
    let what = "lookup table record";
    let Some((owner, data)) =
        rpc.owner_and_data(&record_key)
            .await
            .map_err(|e| FetchError::Rpc {
                what,
                address: record_key,
                source: Box::new(e),
            })?
    else {
        return Ok(None);
    };
    // Lamports anyone sent to the record's address before the table exists (a system account
    // with no data) are not a record: still none.
    if owner.to_bytes() == anchor_lang::system_program::ID.to_bytes() && data.is_empty() {
        return Ok(None);
    }
    let record: LookupTable = decode(what, &record_key, &owner, &data)?;
    let what = "lookup table";
    let address = record.address;
    let wrong = |reason: &str| FetchError::WrongType {
        what,
        address,
        reason: reason.to_string(),
    };
    let (owner, data) = rpc
        .owner_and_data(&address)
        .await
        .map_err(|e| FetchError::Rpc {
            what,
            address,
            source: Box::new(e),
        })?
        .ok_or(FetchError::Missing { what, address })?;
    let program = solana_address_lookup_table_interface::program::ID;
    if owner.to_bytes() != program.to_bytes() {
        return Err(FetchError::WrongOwner {
            what,
            address,
            owner,
            expected: Pubkey::new_from_array(program.to_bytes()),
        });
    }
    let table = AddressLookupTable::deserialize(&data).map_err(|e| wrong(&e.to_string()))?;
    if table.meta.authority.is_some() {
        return Err(wrong("not frozen"));
    }
    if table.meta.deactivation_slot != u64::MAX {
        return Err(wrong("deactivated"));
    }
    if table.addresses.len() != usize::from(record.len) {
        return Err(wrong("holds another number of addresses than its record"));
    }
    Ok(Some(AddressLookupTableAccount {
        key: address,
        addresses: table.addresses.to_vec(),
    }))
}

/// `create_lookup_table` paid by `payer`, derived from the cluster's latest finalized slot: the
/// lookup table program wants a slot the executing bank lists among its recent slot hashes,
/// which the slot of the bank that simulates the transaction itself is not.
///
/// # Errors
///
/// The RPC failure of `getSlot`.
pub async fn create_ix(
    sender: &crate::Sender,
    payer: Pubkey,
) -> Result<solana_instruction::Instruction, solana_client::client_error::ClientError> {
    let finalized = solana_commitment_config::CommitmentConfig::finalized();
    let slot = sender
        .call(|rpc| rpc.get_slot_with_commitment(finalized))
        .await?;
    Ok(crate::builders::rewards_ix::create_lookup_table_ix(
        payer, slot,
    ))
}
