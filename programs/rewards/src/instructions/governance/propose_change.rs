use anchor_lang::prelude::*;
use depin_common::timelock::Schedule;

use crate::constants::{CHANGE_SEED, NETWORK_ADDRESS};
use crate::error::RewardsError;
use crate::events::ChangeProposed;
use crate::state::{Network, ParamUpdate, PendingChange};

/// Governance queues a parameter change; anyone may apply it once `timelock_secs` have passed,
/// and governance may cancel it until then. Users see it coming (the event and the account are
/// public) and can leave before it takes effect.
#[event_cpi]
#[derive(Accounts)]
pub struct ProposeChange<'info> {
    /// Pays the change account's rent and gets it back when it is applied or cancelled.
    #[account(mut)]
    pub proposer: Signer<'info>,

    pub authority: Signer<'info>,

    #[account(
        mut,
        address = NETWORK_ADDRESS @ RewardsError::WrongNetwork,
        has_one = authority @ RewardsError::NotAuthority,
    )]
    pub network: Box<Account<'info, Network>>,

    #[account(
        init,
        payer = proposer,
        space = PendingChange::SIZE,
        seeds = [CHANGE_SEED, &network.changes_proposed.to_le_bytes()],
        bump,
    )]
    pub change: Box<Account<'info, PendingChange>>,

    pub system_program: Program<'info, System>,
}

impl ProposeChange<'_> {
    pub fn validate(&self, update: &ParamUpdate) -> Result<()> {
        update.validate(&self.network)
    }
}

pub fn handler(ctx: Context<ProposeChange>, update: ParamUpdate) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let network = &mut ctx.accounts.network;
    let id = network.changes_proposed;
    network.changes_proposed = id.checked_add(1).ok_or(RewardsError::MathOverflow)?;
    let schedule = Schedule::start(now, network.timelock_secs).map_err(RewardsError::from)?;
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
