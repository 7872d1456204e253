use anchor_lang::prelude::*;

use crate::constants::{INPUTS_SEED, NETWORK_ADDRESS, ORACLE_SET_ADDRESS};
use crate::error::RewardsError;
use crate::events::ReportsAcknowledged;
use crate::state::{EpochInputs, Network, OracleSet};

/// A seat of the current set says which committed report sets it has fetched and checked against
/// their hashes (`held`, bit `i` = seat `i`'s set), so that it can serve them to any oracle
/// (docs/oracle-agreement.md). Acknowledgements add up (a later one may name more sets); refused
/// once the inputs are closed. A set held by `threshold` seats is part of the epoch's input.
#[event_cpi]
#[derive(Accounts)]
pub struct AckReports<'info> {
    pub oracle: Signer<'info>,

    #[account(address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    #[account(address = ORACLE_SET_ADDRESS @ RewardsError::WrongOracleSet)]
    pub oracle_set: Box<Account<'info, OracleSet>>,

    #[account(
        mut,
        seeds = [INPUTS_SEED, &inputs.epoch.to_le_bytes()],
        bump = inputs.bump,
    )]
    pub inputs: Box<Account<'info, EpochInputs>>,
}

pub fn handler(ctx: Context<AckReports>, held: u16) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let oracle = ctx.accounts.oracle.key();
    let set = &ctx.accounts.oracle_set;
    let inputs = &mut ctx.accounts.inputs;
    require!(!inputs.is_closed(now), RewardsError::InputsClosed);
    let seat = set.seat_of(&oracle).ok_or(RewardsError::NotAnOracle)?;
    require!(!set.is_slashed(seat), RewardsError::OracleSlashed);
    // Inputs restarted by no commitment of the new set yet: a commitment restarts them.
    require!(
        inputs.set_version == set.set_version,
        RewardsError::StaleOracleSet
    );
    require!(
        held != 0 && held & !inputs.committed == 0,
        RewardsError::UnknownReportSet
    );
    inputs.record(seat, held, now, ctx.accounts.network.input_secs)?;
    inputs.invariant()?;

    emit_cpi!(ReportsAcknowledged {
        inputs: inputs.key(),
        epoch: inputs.epoch,
        oracle,
        seat: u8::try_from(seat).map_err(|_| RewardsError::NotAnOracle)?,
        held,
        closes_at: inputs.closes_at,
        timestamp: now,
    });
    Ok(())
}
