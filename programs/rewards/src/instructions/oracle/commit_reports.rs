use anchor_lang::prelude::*;

use crate::constants::{INPUTS_SEED, MAX_ORACLES, NETWORK_ADDRESS, ORACLE_SET_ADDRESS};
use crate::error::RewardsError;
use crate::events::ReportsCommitted;
use crate::state::{EpochInputs, Network, OracleSet};

/// Arguments of `commit_reports`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct CommitReportsArgs {
    /// The epoch the reports are for; it has ended and has no final root yet.
    pub epoch: u64,
    /// sha256 of the oracle's report set for the epoch (docs/oracle-agreement.md); not zero.
    pub hash: [u8; 32],
    /// Reports in the set.
    pub reports: u64,
    /// The set's length in bytes.
    pub bytes: u64,
}

/// A seat of the current set commits the hash of the reports it stored for an ended epoch
/// (docs/oracle-agreement.md). The first commitment creates the epoch's `EpochInputs` (the
/// oracle pays its rent, returned by `close_inputs`). A commitment also says the committer holds
/// its own set. Once per seat; refused once the inputs are closed. A rotation before they
/// close restarts them under the new set.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: CommitReportsArgs)]
pub struct CommitReports<'info> {
    #[account(mut)]
    pub oracle: Signer<'info>,

    #[account(address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    #[account(address = ORACLE_SET_ADDRESS @ RewardsError::WrongOracleSet)]
    pub oracle_set: Box<Account<'info, OracleSet>>,

    #[account(
        init_if_needed,
        payer = oracle,
        space = EpochInputs::SIZE,
        seeds = [INPUTS_SEED, &args.epoch.to_le_bytes()],
        bump,
    )]
    pub inputs: Box<Account<'info, EpochInputs>>,

    pub system_program: Program<'info, System>,
}

impl CommitReports<'_> {
    /// The epoch has ended, is not final, and the network has an input window.
    pub fn validate(&self, args: &CommitReportsArgs) -> Result<()> {
        let network = &self.network;
        require!(network.input_secs > 0, RewardsError::InvalidInputWindow);
        require!(args.hash != [0; 32], RewardsError::InvalidReportSet);
        require!(
            args.epoch >= network.final_root.epochs,
            RewardsError::EpochAlreadyFinal
        );
        let ended_at = args
            .epoch
            .checked_add(1)
            .and_then(|next| network.emission.schedule().epoch_start(next))
            .ok_or(RewardsError::MathOverflow)?;
        require!(
            Clock::get()?.unix_timestamp >= ended_at,
            RewardsError::EpochNotEnded
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<CommitReports>, args: CommitReportsArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let oracle = ctx.accounts.oracle.key();
    let set = &ctx.accounts.oracle_set;
    let seat = set.seat_of(&oracle).ok_or(RewardsError::NotAnOracle)?;
    require!(!set.is_slashed(seat), RewardsError::OracleSlashed);
    let inputs = &mut ctx.accounts.inputs;
    if inputs.version == 0 || inputs.set_version != set.set_version {
        // Created by this commitment, or started under a set that has rotated since.
        require!(!inputs.is_closed(now), RewardsError::InputsClosed);
        let payer = if inputs.version == 0 {
            oracle
        } else {
            inputs.payer
        };
        inputs.set_inner(EpochInputs::started(
            ctx.bumps.inputs,
            args.epoch,
            set.set_version,
            set.threshold,
            payer,
        ));
    }
    require!(!inputs.is_closed(now), RewardsError::InputsClosed);
    let bit = 1u16 << seat;
    require!(inputs.committed & bit == 0, RewardsError::AlreadyCommitted);
    let slot = inputs
        .sets
        .get_mut(seat)
        .filter(|_| seat < MAX_ORACLES)
        .ok_or(RewardsError::NotAnOracle)?;
    slot.hash = args.hash;
    slot.reports = args.reports;
    slot.bytes = args.bytes;
    inputs.committed |= bit;
    inputs.record(seat, bit, now, ctx.accounts.network.input_secs)?;
    inputs.invariant()?;

    emit_cpi!(ReportsCommitted {
        inputs: inputs.key(),
        epoch: args.epoch,
        oracle,
        seat: u8::try_from(seat).map_err(|_| RewardsError::NotAnOracle)?,
        hash: args.hash,
        reports: args.reports,
        bytes: args.bytes,
        closes_at: inputs.closes_at,
        timestamp: now,
    });
    Ok(())
}
