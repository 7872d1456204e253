use anchor_lang::prelude::*;

use crate::constants::{INPUTS_KEPT_EPOCHS, INPUTS_SEED, NETWORK_ADDRESS};
use crate::error::RewardsError;
use crate::events::InputsClosedOut;
use crate::state::{EpochInputs, Network};

/// Permissionless housekeeping: once an epoch's root and the next `INPUTS_KEPT_EPOCHS` roots
/// are final, its input commitments are no longer read (an oracle down for fewer epochs still
/// finds them); the account is closed and its rent goes back to the oracle that created it.
/// The commitments stay in the chain's history.
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
    let kept_until = inputs
        .epoch
        .checked_add(INPUTS_KEPT_EPOCHS)
        .ok_or(RewardsError::MathOverflow)?;
    require!(
        kept_until < ctx.accounts.network.final_root.epochs,
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
