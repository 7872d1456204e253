use anchor_lang::prelude::*;

use crate::constants::{INPUTS_SEED, NETWORK_ADDRESS};
use crate::error::RewardsError;
use crate::events::InputsClosedOut;
use crate::state::{EpochInputs, Network};

/// Permissionless housekeeping: once an epoch's root is final, its input commitments are no
/// longer read; the account is closed and its rent goes back to the oracle that created it. (The
/// published epoch keeps the list of sets it used, and the commitments stay in the chain's
/// history.)
#[event_cpi]
#[derive(Accounts)]
pub struct CloseInputs<'info> {
    #[account(address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    #[account(
        mut,
        seeds = [INPUTS_SEED, &inputs.epoch.to_le_bytes()],
        bump = inputs.bump,
        close = payer,
    )]
    pub inputs: Box<Account<'info, EpochInputs>>,

    /// CHECK: receives the rent; must be the oracle that created the account.
    #[account(mut, address = inputs.payer @ RewardsError::NotProposalPayer)]
    pub payer: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<CloseInputs>) -> Result<()> {
    let inputs = &ctx.accounts.inputs;
    require!(
        inputs.epoch < ctx.accounts.network.final_root.epochs,
        RewardsError::InputsStillNeeded
    );
    emit_cpi!(InputsClosedOut {
        inputs: inputs.key(),
        epoch: inputs.epoch,
        rent: inputs.to_account_info().lamports(),
        timestamp: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
