use anchor_lang::prelude::*;

use crate::error::StakingError;
use crate::events::VoterWeightUpdated;
use crate::state::{Position, StakingConfig, VoterWeightRecord};

/// Permissionless: sets a voter-weight record's weight to the sum of the current (decayed)
/// voting weights of the voter's positions, valid in this slot only (`voter_weight_expiry`),
/// for any action. Put it in the same transaction as the spl-governance instruction that reads
/// it.
///
/// Remaining accounts: the voter's positions, in strictly increasing `id` order (so none is
/// counted twice). Positions left out simply do not count.
#[event_cpi]
#[derive(Accounts)]
pub struct UpdateVoterWeightRecord<'info> {
    /// The staking config (voting mode and multiplier parameters).
    pub config: Box<Account<'info, StakingConfig>>,

    /// The record. Owner and type are checked by `Account`; only `create_voter_weight_record`
    /// writes records, at the PDA of the realm, mint and owner stored in it, so those stored
    /// fields identify it (re-deriving the PDA would cost a bump search, and the addin layout
    /// has no room for a bump).
    #[account(mut)]
    pub voter_weight_record: Box<Account<'info, VoterWeightRecord>>,
}

pub fn handler<'info>(ctx: Context<'info, UpdateVoterWeightRecord<'info>>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let owner = ctx.accounts.voter_weight_record.governing_token_owner;
    let config = &ctx.accounts.config;
    let mut total: u128 = 0;
    let mut last_id: Option<u64> = None;
    for info in ctx.remaining_accounts {
        let position: Account<Position> =
            Account::try_from(info).map_err(|_| StakingError::WrongPosition)?;
        require!(
            position.owner == owner && last_id.is_none_or(|last| position.id > last),
            StakingError::WrongPosition
        );
        last_id = Some(position.id);
        total = total
            .checked_add(config.current_weight(&position, now)?)
            .ok_or(StakingError::MathOverflow)?;
    }
    let weight = u64::try_from(total).map_err(|_| StakingError::MathOverflow)?;
    let positions =
        u8::try_from(ctx.remaining_accounts.len()).map_err(|_| StakingError::MathOverflow)?;

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
        voter_weight_before: before,
        voter_weight_after: weight,
        expiry_slot: clock.slot,
        timestamp: now,
    });
    Ok(())
}
