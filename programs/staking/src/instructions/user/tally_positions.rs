use anchor_lang::prelude::*;

use crate::constants::TALLY_WINDOW_SECS;
use crate::error::StakingError;
use crate::events::PositionsTallied;
use crate::instructions::crank::update_voter_weight_record::fold_positions;
use crate::math::weight;
use crate::state::{Staker, StakingConfig, VoteTally};

/// The owner counts its positions towards its voting weight over several transactions, when
/// they are too many for `update_voter_weight_record` to take at once. Remaining accounts: the
/// next positions, ids strictly increasing and above the last one counted. A tally restarts
/// (from these positions) when the first id is not above the last one counted, when the last
/// tally is complete, or when it is older than `TALLY_WINDOW_SECS`. Only the owner tallies, so
/// no one else can restart or spoil it.
#[event_cpi]
#[derive(Accounts)]
pub struct TallyPositions<'info> {
    /// The positions' owner.
    pub owner: Signer<'info>,

    /// The staking config (multiplier parameters).
    pub config: Box<Account<'info, StakingConfig>>,

    /// The owner's stake as a whole; holds the tally.
    #[account(mut, has_one = owner @ StakingError::WrongStaker)]
    pub staker: Box<Account<'info, Staker>>,
}

pub fn handler<'info>(ctx: Context<'info, TallyPositions<'info>>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    require!(
        !ctx.remaining_accounts.is_empty(),
        StakingError::WrongPosition
    );
    let owner = ctx.accounts.owner.key();
    let first_id = first_position_id(&ctx.remaining_accounts[0])?;
    let staker = &mut ctx.accounts.staker;
    let t = staker.tally;
    let restarted = t.counted == 0
        || t.counted >= staker.positions
        || now > t.started_at.saturating_add(TALLY_WINDOW_SECS)
        || first_id <= t.last_id;
    let (start, after, counted, started_at) = if restarted {
        (weight::Tally::default(), None, 0, now)
    } else {
        (t.sums(), Some(t.last_id), t.counted, t.started_at)
    };
    let (sums, added, last) = fold_positions(
        &ctx.accounts.config,
        &owner,
        ctx.remaining_accounts,
        start,
        after,
        now,
    )?;
    let counted = counted
        .checked_add(added)
        .filter(|c| *c <= staker.positions)
        .ok_or(StakingError::WrongPosition)?;
    staker.tally = VoteTally {
        started_at,
        counted,
        last_id: last.unwrap_or(0),
        linear: sums.linear,
        quadratic: sums.quadratic,
    };
    emit_cpi!(PositionsTallied {
        owner,
        positions: added,
        counted,
        positions_total: staker.positions,
        restarted,
        started_at,
        timestamp: now,
    });
    Ok(())
}

/// The id of the first position passed (checked again, with the others, by `fold_positions`).
fn first_position_id<'info>(info: &'info AccountInfo<'info>) -> Result<u64> {
    let position: Account<crate::state::Position> =
        Account::try_from(info).map_err(|_| StakingError::WrongPosition)?;
    Ok(position.id)
}
