use anchor_lang::prelude::*;

use crate::constants::{BOND_SEED, ORACLE_SET_ADDRESS};
use crate::error::RewardsError;
use crate::events::BondWithdrawn;
use crate::state::{OracleBond, OracleSet};

/// An oracle that is no longer in the set takes (part of) its bond back to its own key, once
/// the dispute window of every root posted under an earlier set version has ended
/// (`OracleSet::retired_until`): until then a fraud it voted for can still be proven, and the
/// proof slashes this bond.
#[event_cpi]
#[derive(Accounts)]
pub struct WithdrawBond<'info> {
    /// The oracle; receives the lamports.
    #[account(mut)]
    pub oracle: Signer<'info>,

    #[account(
        mut,
        seeds = [BOND_SEED, oracle.key().as_ref()],
        bump = bond.bump,
    )]
    pub bond: Box<Account<'info, OracleBond>>,

    #[account(address = ORACLE_SET_ADDRESS @ RewardsError::WrongOracleSet)]
    pub oracle_set: Box<Account<'info, OracleSet>>,
}

pub fn handler(ctx: Context<WithdrawBond>, amount: u64) -> Result<()> {
    require!(amount > 0, RewardsError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let oracle = ctx.accounts.oracle.key();
    let set = &ctx.accounts.oracle_set;
    require!(
        set.seat_of(&oracle).is_none() && now >= set.retired_until,
        RewardsError::StillAnOracle
    );
    let bond = &mut ctx.accounts.bond;
    bond.amount = bond
        .amount
        .checked_sub(amount)
        .ok_or(RewardsError::InsufficientBond)?;
    let bonded = bond.amount;

    // The bond PDA is owned by this program, so it can debit it directly; `amount` is part of
    // the bond, which sits above the account's rent.
    let bond_info = ctx.accounts.bond.to_account_info();
    let oracle_info = ctx.accounts.oracle.to_account_info();
    bond_info.sub_lamports(amount)?;
    oracle_info.add_lamports(amount)?;

    emit_cpi!(BondWithdrawn {
        oracle,
        amount,
        bonded,
        timestamp: now,
    });
    Ok(())
}
