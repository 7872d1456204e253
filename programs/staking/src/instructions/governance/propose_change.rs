use anchor_lang::prelude::*;
use depin_common::timelock::Schedule;

use crate::constants::CHANGE_SEED;
use crate::error::StakingError;
use crate::events::ChangeProposed;
use crate::state::{PendingChange, StakingConfig, StakingUpdate, spl_governance};

/// Governance queues a parameter change (any parameter `initialize_staking` set, the authority or
/// the timelock). Anyone applies it once `timelock_secs` have passed; governance may cancel it
/// until then. Stakers see it coming.
#[event_cpi]
#[derive(Accounts)]
pub struct ProposeChange<'info> {
    /// Pays the change account's rent and gets it back when it is applied or cancelled.
    #[account(mut)]
    pub proposer: Signer<'info>,

    /// The config's governance authority.
    pub authority: Signer<'info>,

    #[account(mut, has_one = authority @ StakingError::NotAuthority)]
    pub config: Box<Account<'info, StakingConfig>>,

    #[account(
        init,
        payer = proposer,
        space = PendingChange::SIZE,
        seeds = [CHANGE_SEED, &config.changes_proposed.to_le_bytes()],
        bump,
    )]
    pub change: Box<Account<'info, PendingChange>>,

    pub system_program: Program<'info, System>,
}

/// Remaining accounts: for a `Realm` change naming a realm, that realm
/// (`spl_governance::check_realm`).
pub fn handler(ctx: Context<ProposeChange>, update: StakingUpdate) -> Result<()> {
    update.validate()?;
    if let StakingUpdate::Realm(realm) = update {
        let mint = ctx.accounts.config.stake_mint;
        spl_governance::check_realm(&realm, ctx.remaining_accounts, &mint)?;
    }
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    let id = config.changes_proposed;
    config.changes_proposed = id.checked_add(1).ok_or(StakingError::MathOverflow)?;
    let schedule = Schedule::start(now, config.timelock_secs).map_err(StakingError::from)?;
    let change = &mut ctx.accounts.change;
    change.set_inner(PendingChange {
        bump: ctx.bumps.change,
        id,
        proposer: ctx.accounts.proposer.key(),
        update,
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
