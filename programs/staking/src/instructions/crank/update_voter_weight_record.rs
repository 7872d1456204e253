use anchor_lang::prelude::*;

use crate::constants::TALLY_WINDOW_SECS;
use crate::error::StakingError;
use crate::events::VoterWeightUpdated;
use crate::math::weight;
use crate::state::{Position, Staker, StakingConfig, VoterWeightRecord};

/// Permissionless: sets a voter-weight record's weight to the owner's current (decayed) voting
/// weight over **all** its positions (`math::weight::Tally`: in quadratic mode a function of the
/// owner's total, so splitting gains nothing), valid in this slot only (`voter_weight_expiry`),
/// for any action. Put it in the same transaction as the spl-governance instruction that reads
/// it.
///
/// Remaining accounts: every one of the owner's positions (`Staker::positions` of them), in
/// strictly increasing `id` order (so none is counted twice). An owner with more positions than
/// a transaction holds tallies them first with `tally_positions` and passes none here; the
/// completed tally is then used if it is at most `TALLY_WINDOW_SECS` old.
#[event_cpi]
#[derive(Accounts)]
pub struct UpdateVoterWeightRecord<'info> {
    /// The staking config (voting mode and multiplier parameters).
    pub config: Box<Account<'info, StakingConfig>>,

    /// The record. Owner and type are checked by `Account`; only `create_voter_weight_record`
    /// writes records, at the PDA of the realm, mint and owner stored in it, so those stored
    /// fields identify it (re-deriving the PDA would cost a bump search, and the addin layout
    /// has no room for a bump).
    /// Only records of the config's realm (which must be set) for the stake mint are weighed:
    /// that realm's token owner records are what `unstake` and `withdraw` check for open votes.
    #[account(
        mut,
        constraint = config.realm != Pubkey::default()
            && voter_weight_record.realm == config.realm
            && voter_weight_record.governing_token_mint == config.stake_mint
            @ StakingError::WrongRealm,
    )]
    pub voter_weight_record: Box<Account<'info, VoterWeightRecord>>,

    /// The voter's stake as a whole: how many positions it has, and its tally.
    #[account(
        constraint = staker.owner == voter_weight_record.governing_token_owner
            @ StakingError::WrongStaker,
    )]
    pub staker: Box<Account<'info, Staker>>,
}

/// Adds `positions` (accounts of `owner`'s positions, ids strictly above `after`) to `tally` at
/// `now`. Returns the sums, the number added and the last id.
pub fn fold_positions<'info>(
    config: &StakingConfig,
    owner: &Pubkey,
    positions: &'info [AccountInfo<'info>],
    mut tally: weight::Tally,
    mut after: Option<u64>,
    now: i64,
) -> Result<(weight::Tally, u32, Option<u64>)> {
    for info in positions {
        let position: Account<Position> =
            Account::try_from(info).map_err(|_| StakingError::WrongPosition)?;
        require!(
            position.owner == *owner && after.is_none_or(|last| position.id > last),
            StakingError::WrongPosition
        );
        after = Some(position.id);
        tally = config.tally(tally, &position, now)?;
    }
    let count = u32::try_from(positions.len()).map_err(|_| StakingError::MathOverflow)?;
    Ok((tally, count, after))
}

pub fn handler<'info>(ctx: Context<'info, UpdateVoterWeightRecord<'info>>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let owner = ctx.accounts.voter_weight_record.governing_token_owner;
    let config = &ctx.accounts.config;
    let staker = &ctx.accounts.staker;
    let from_tally = ctx.remaining_accounts.is_empty();
    let sums = if from_tally {
        let t = &staker.tally;
        require!(
            t.counted == staker.positions && now <= t.started_at.saturating_add(TALLY_WINDOW_SECS),
            StakingError::IncompleteTally
        );
        t.sums()
    } else {
        let (sums, count, _) = fold_positions(
            config,
            &owner,
            ctx.remaining_accounts,
            weight::Tally::default(),
            None,
            now,
        )?;
        require!(count == staker.positions, StakingError::IncompleteTally);
        sums
    };
    let weight = sums
        .weight(config.voting_mode.into())
        .map_err(|_| StakingError::MathOverflow)?;
    let positions = staker.positions;
    let record = &mut ctx.accounts.voter_weight_record;
    let before = record.voter_weight;
    record.voter_weight = weight;
    record.voter_weight_expiry = Some(clock.slot);
    record.weight_action = None;
    record.weight_action_target = None;
    emit_cpi!(VoterWeightUpdated {
        record: ctx.accounts.voter_weight_record.key(),
        governing_token_owner: owner,
        positions,
        from_tally,
        voter_weight_before: before,
        voter_weight_after: weight,
        expiry_slot: clock.slot,
        timestamp: now,
    });
    Ok(())
}
