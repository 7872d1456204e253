use anchor_lang::prelude::*;

use crate::constants::{CHANGE_SEED, NETWORK_ADDRESS, ORACLE_SET_ADDRESS};
use crate::error::RewardsError;
use crate::events::{ChangeApplied, OracleSetChanged};
use crate::state::{Network, OracleSet, ParamUpdate, PendingChange};

/// Anyone applies a queued change once its timelock has passed and before its grace period
/// (`depin_common::timelock::GRACE_SECS`) ends (it is re-validated against the network as it is
/// now). The change account closes, its rent going back to the proposer.
#[event_cpi]
#[derive(Accounts)]
pub struct ApplyChange<'info> {
    #[account(mut, address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    /// The oracle set (created empty with the network); only an oracle-set change writes it.
    #[account(mut, address = ORACLE_SET_ADDRESS @ RewardsError::WrongOracleSet)]
    pub oracle_set: Box<Account<'info, OracleSet>>,

    #[account(
        mut,
        seeds = [CHANGE_SEED, &change.id.to_le_bytes()],
        bump = change.bump,
        close = proposer,
    )]
    pub change: Box<Account<'info, PendingChange>>,

    /// CHECK: receives the rent; must be the change's proposer.
    #[account(mut, address = change.proposer @ RewardsError::WrongProposer)]
    pub proposer: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<ApplyChange>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let change = &ctx.accounts.change;
    change
        .schedule()
        .check_apply(now)
        .map_err(RewardsError::from)?;
    let update = change.update.clone();
    update.validate(&ctx.accounts.network)?;

    let network = &mut ctx.accounts.network;
    match &update {
        ParamUpdate::OracleSet {
            oracles,
            threshold,
            bond,
            challenger_bps,
        } => {
            let set = &mut ctx.accounts.oracle_set;
            let set_version = set
                .set_version
                .checked_add(1)
                .ok_or(RewardsError::MathOverflow)?;
            let seated = OracleSet::seated(
                set.bump,
                oracles,
                *threshold,
                *bond,
                *challenger_bps,
                set_version,
                now,
            )?;
            let next = set.succeeded_by(seated);
            set.set_inner(next);
            set.invariant()?;
            emit_cpi!(OracleSetChanged {
                set_version,
                threshold: *threshold,
                bond: *bond,
                challenger_bps: *challenger_bps,
                oracles: oracles.clone(),
                timestamp: now,
            });
        }
        ParamUpdate::DisputeSecs { secs } => network.dispute_secs = *secs,
        ParamUpdate::InputSecs { secs } => network.input_secs = *secs,
        ParamUpdate::OnboardFee { fee } => network.onboard_fee = *fee,
        ParamUpdate::LocationFee { fee } => network.location_fee = *fee,
        ParamUpdate::MintWindow {
            window_secs,
            threshold,
        } => {
            network.mint_window.window_secs = *window_secs;
            network.mint_window.threshold = *threshold;
        }
        ParamUpdate::Authority { authority } => network.authority = *authority,
        ParamUpdate::TimelockSecs { secs } => network.timelock_secs = *secs,
    }
    network.invariant()?;

    emit_cpi!(ChangeApplied {
        change: ctx.accounts.change.key(),
        id: ctx.accounts.change.id,
        update,
        timestamp: now,
    });
    Ok(())
}
