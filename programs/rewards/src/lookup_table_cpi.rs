//! The address lookup table program's interface as this program calls it: three instructions,
//! encoded by hand (bincode: a `u32` variant index, then the fields, little-endian) so that the
//! program does not link bincode. The program tests pin every encoding and account list here
//! against `solana-address-lookup-table-interface`, so they cannot drift.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};

use crate::constants::ADDRESS_LOOKUP_TABLE_PROGRAM_ID;

/// `ProgramInstruction::CreateLookupTable { recent_slot, bump_seed }`.
const CREATE: u32 = 0;
/// `ProgramInstruction::FreezeLookupTable`.
const FREEZE: u32 = 1;
/// `ProgramInstruction::ExtendLookupTable { new_addresses }`.
const EXTEND: u32 = 2;

/// Creates the table `table` (the lookup table program's PDA `[authority, recent_slot_le]`
/// with `bump_seed`), paid by `payer`. Since v1.12 the authority need not sign a creation.
pub fn create(
    table: Pubkey,
    authority: Pubkey,
    payer: Pubkey,
    recent_slot: u64,
    bump_seed: u8,
) -> Instruction {
    let mut data = CREATE.to_le_bytes().to_vec();
    data.extend_from_slice(&recent_slot.to_le_bytes());
    data.push(bump_seed);
    Instruction {
        program_id: ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(table, false),
            AccountMeta::new_readonly(authority, false),
            AccountMeta::new(payer, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
        ],
        data,
    }
}

/// Appends `addresses` to `table`; `payer` tops up its rent.
pub fn extend(
    table: Pubkey,
    authority: Pubkey,
    payer: Pubkey,
    addresses: &[Pubkey],
) -> Instruction {
    let mut data = EXTEND.to_le_bytes().to_vec();
    data.extend_from_slice(&(addresses.len() as u64).to_le_bytes());
    for a in addresses {
        data.extend_from_slice(a.as_ref());
    }
    Instruction {
        program_id: ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(table, false),
            AccountMeta::new_readonly(authority, true),
            AccountMeta::new(payer, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
        ],
        data,
    }
}

/// Freezes `table` for ever: its authority is removed, so nobody can extend, deactivate or
/// close it again.
pub fn freeze(table: Pubkey, authority: Pubkey) -> Instruction {
    Instruction {
        program_id: ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(table, false),
            AccountMeta::new_readonly(authority, true),
        ],
        data: FREEZE.to_le_bytes().to_vec(),
    }
}
