use anchor_lang::prelude::*;
use depin_common::timelock::Schedule;

use crate::constants::{CHANGE_SEED, TREASURY_SEED};
use crate::error::TreasuryError;
use crate::events::ChangeProposed;
use crate::state::{PendingChange, Treasury, TreasuryUpdate};

/// Governance queues a parameter change (the split, the price hardening, the buyback venue,
/// roles, ...). Anyone applies it once `timelock_secs` have passed; governance may cancel it
/// until then. Payers and stakers see it coming.
#[event_cpi]
#[derive(Accounts)]
pub struct ProposeChange<'info> {
    /// Pays the change account's rent and gets it back when it is applied or cancelled.
    #[account(mut)]
    pub proposer: Signer<'info>,

    /// The treasury's governance authority.
    pub authority: Signer<'info>,

    #[account(
        mut,
        seeds = [TREASURY_SEED],
        bump = treasury.bump,
        has_one = authority @ TreasuryError::NotAuthority,
    )]
    pub treasury: Box<Account<'info, Treasury>>,

    #[account(
        init,
        payer = proposer,
        space = PendingChange::SIZE,
        seeds = [CHANGE_SEED, &treasury.changes_proposed.to_le_bytes()],
        bump,
    )]
    pub change: Box<Account<'info, PendingChange>>,

    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<ProposeChange>, update: TreasuryUpdate) -> Result<()> {
    update.validate()?;
    let now = Clock::get()?.unix_timestamp;
    let treasury = &mut ctx.accounts.treasury;
    let id = treasury.changes_proposed;
    treasury.changes_proposed = id.checked_add(1).ok_or(TreasuryError::MathOverflow)?;
    let schedule = Schedule::start(now, treasury.timelock_secs).map_err(TreasuryError::from)?;
    let change = &mut ctx.accounts.change;
    change.set_inner(PendingChange {
        bump: ctx.bumps.change,
        id,
        proposer: ctx.accounts.proposer.key(),
        update: update.clone(),
        proposed_at: schedule.proposed_at,
        eta: schedule.eta,
    });
    emit_cpi!(ChangeProposed {
        change: change.key(),
        id,
        update,
        eta: schedule.eta,
        timestamp: now,
    });
    Ok(())
}
