use anchor_lang::prelude::*;

use crate::constants::{BOND_SEED, NETWORK_ADDRESS, ORACLE_SET_ADDRESS};
use crate::error::RewardsError;
use crate::events::BondWithdrawn;
use crate::state::{Network, OracleBond, OracleSet};

/// An oracle that is no longer in the set takes (part of) its bond back to its own key, once a
/// full dispute window has passed since the rotation that removed it, so that fraud it took part
/// in can still be proven.
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

    #[account(address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,
}

pub fn handler(ctx: Context<WithdrawBond>, amount: u64) -> Result<()> {
    require!(amount > 0, RewardsError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let oracle = ctx.accounts.oracle.key();
    let set = &ctx.accounts.oracle_set;
    let dispute_secs =
        i64::try_from(ctx.accounts.network.dispute_secs).map_err(|_| RewardsError::MathOverflow)?;
    let free_at = set
        .rotated_at
        .checked_add(dispute_secs)
        .ok_or(RewardsError::MathOverflow)?;
    require!(
        set.seat_of(&oracle).is_none() && now >= free_at,
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
