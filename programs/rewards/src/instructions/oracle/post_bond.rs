use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Transfer};

use crate::constants::BOND_SEED;
use crate::error::RewardsError;
use crate::events::BondPosted;
use crate::state::OracleBond;

/// An oracle (in the set or about to be) adds lamports to its bond. The bond PDA is created on
/// the first deposit (the oracle pays its rent, which is not part of the bond).
#[event_cpi]
#[derive(Accounts)]
pub struct PostBond<'info> {
    #[account(mut)]
    pub oracle: Signer<'info>,

    #[account(
        init_if_needed,
        payer = oracle,
        space = OracleBond::SIZE,
        seeds = [BOND_SEED, oracle.key().as_ref()],
        bump,
    )]
    pub bond: Box<Account<'info, OracleBond>>,

    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<PostBond>, amount: u64) -> Result<()> {
    require!(amount > 0, RewardsError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let oracle = ctx.accounts.oracle.key();
    let bond = &mut ctx.accounts.bond;
    bond.bump = ctx.bumps.bond;
    bond.oracle = oracle;
    bond.amount = bond
        .amount
        .checked_add(amount)
        .ok_or(RewardsError::MathOverflow)?;
    let bonded = bond.amount;

    system_program::transfer(
        CpiContext::new(
            ctx.accounts.system_program.key(),
            Transfer {
                from: ctx.accounts.oracle.to_account_info(),
                to: ctx.accounts.bond.to_account_info(),
            },
        ),
        amount,
    )?;

    emit_cpi!(BondPosted {
        oracle,
        amount,
        bonded,
        timestamp: now,
    });
    Ok(())
}
