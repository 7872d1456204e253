use anchor_lang::prelude::*;
use anchor_lang::solana_program::program::invoke_signed;

use crate::constants::{
    ADDRESS_LOOKUP_TABLE_PROGRAM_ID, COLLATERAL_AUTHORITY, EVENT_AUTHORITY, LUT_AUTHORITY,
    LUT_AUTHORITY_SEED, LUT_SEED, LUT_VERSION, NETWORK_ADDRESS, ORACLE_SET_ADDRESS, STAKING_CONFIG,
    STAKING_EVENT_AUTHORITY, STAKING_PROGRAM_ID, STAKING_REVENUE_VAULT, STAKING_VAULT,
};
use crate::error::RewardsError;
use crate::events::LookupTableCreated;
use crate::lookup_table_cpi;
use crate::state::{LookupTable, Network};

/// How many addresses the network's lookup table holds.
pub const TABLE_LEN: u8 = 13;

/// Permissionless, once per network: creates the network's address lookup table, fills it with
/// the accounts every claim, onboarding and crank names ([`table_addresses`], taken from the
/// network's own state and this program's constants, never from the caller), freezes it, and
/// records its address at `["lut"]`. With it a claim is a v0 transaction in which each of those
/// accounts costs one byte instead of 32, which is what lets a depth-20 proof fit the packet.
/// The table's authority is the PDA `["lut_authority"]`, which signs only here; after the
/// freeze nobody can change or close the table. A second call is refused (the record exists).
#[event_cpi]
#[derive(Accounts)]
pub struct CreateLookupTable<'info> {
    /// Pays the table's and the record's rent (any key).
    #[account(mut)]
    pub payer: Signer<'info>,

    #[account(address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    #[account(init, payer = payer, space = LookupTable::SIZE, seeds = [LUT_SEED], bump)]
    pub lookup_table_record: Box<Account<'info, LookupTable>>,

    /// CHECK: the PDA `["lut_authority"]` (seeds checked); it holds nothing and signs the three
    /// calls to the lookup table program.
    #[account(seeds = [LUT_AUTHORITY_SEED], bump)]
    pub lut_authority: UncheckedAccount<'info>,

    /// CHECK: the new table: the lookup table program's PDA `[lut_authority, recent_slot_le]`,
    /// checked in the handler; the lookup table program creates it.
    #[account(mut)]
    pub lookup_table: UncheckedAccount<'info>,

    /// CHECK: the address lookup table program (address checked).
    #[account(address = ADDRESS_LOOKUP_TABLE_PROGRAM_ID @ RewardsError::WrongLookupTableProgram)]
    pub address_lookup_table_program: UncheckedAccount<'info>,

    pub system_program: Program<'info, System>,
}

/// The table's addresses, in order: the network's accounts, then this program's singletons,
/// then the staking accounts that claims to a position and onboarding pass.
pub fn table_addresses(network: &Network) -> [Pubkey; TABLE_LEN as usize] {
    [
        NETWORK_ADDRESS,
        network.mint,
        network.rewards_vault,
        network.token_program,
        anchor_lang::system_program::ID,
        EVENT_AUTHORITY,
        ORACLE_SET_ADDRESS,
        COLLATERAL_AUTHORITY,
        STAKING_PROGRAM_ID,
        STAKING_CONFIG,
        STAKING_VAULT,
        STAKING_REVENUE_VAULT,
        STAKING_EVENT_AUTHORITY,
    ]
}

/// The table's address for `recent_slot` and its bump (the lookup table program's derivation).
pub fn table_address(recent_slot: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[LUT_AUTHORITY.as_ref(), &recent_slot.to_le_bytes()],
        &ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
    )
}

pub fn handler(ctx: Context<CreateLookupTable>, recent_slot: u64) -> Result<()> {
    let (table, bump_seed) = table_address(recent_slot);
    let a = &ctx.accounts;
    require_keys_eq!(a.lookup_table.key(), table, RewardsError::WrongLookupTable);
    let addresses = table_addresses(&a.network);

    let bump = [ctx.bumps.lut_authority];
    let seeds: &[&[u8]] = &[LUT_AUTHORITY_SEED, &bump];
    let infos = [
        a.lookup_table.to_account_info(),
        a.lut_authority.to_account_info(),
        a.payer.to_account_info(),
        a.system_program.to_account_info(),
        a.address_lookup_table_program.to_account_info(),
    ];
    let authority = a.lut_authority.key();
    let payer = a.payer.key();
    let calls = [
        lookup_table_cpi::create(table, authority, payer, recent_slot, bump_seed),
        lookup_table_cpi::extend(table, authority, payer, &addresses),
        lookup_table_cpi::freeze(table, authority),
    ];
    for ix in &calls {
        invoke_signed(ix, &infos, &[seeds])?;
    }

    ctx.accounts.lookup_table_record.set_inner(LookupTable {
        version: LUT_VERSION,
        bump: ctx.bumps.lookup_table_record,
        address: table,
        recent_slot,
        len: TABLE_LEN,
    });
    emit_cpi!(LookupTableCreated {
        table,
        recent_slot,
        addresses: TABLE_LEN,
        timestamp: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
