use anchor_lang::prelude::*;

use crate::constants::{CHANGE_SEED, STABLECOIN_SEED, TREASURY_SEED};
use crate::error::TreasuryError;
use crate::events::ChangeApplied;
use crate::state::{PendingChange, Stablecoin, Treasury, TreasuryUpdate};

/// Anyone applies a queued change once its timelock has passed and before its grace period ends
/// (`depin_common::timelock::GRACE_SECS`); it is validated again. The change account closes, its
/// rent going back to the proposer. A `BuybackVenue` change also takes that stablecoin's account.
#[event_cpi]
#[derive(Accounts)]
pub struct ApplyChange<'info> {
    #[account(mut, seeds = [TREASURY_SEED], bump = treasury.bump)]
    pub treasury: Box<Account<'info, Treasury>>,

    #[account(
        mut,
        seeds = [CHANGE_SEED, &change.id.to_le_bytes()],
        bump = change.bump,
        close = proposer,
    )]
    pub change: Box<Account<'info, PendingChange>>,

    /// CHECK: receives the rent; must be the change's proposer.
    #[account(mut, address = change.proposer @ TreasuryError::WrongProposer)]
    pub proposer: UncheckedAccount<'info>,

    /// The stablecoin a `BuybackVenue` change is for (its PDA is checked in the handler).
    #[account(mut)]
    pub stablecoin: Option<Box<Account<'info, Stablecoin>>>,
}

pub fn handler(ctx: Context<ApplyChange>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let change = &ctx.accounts.change;
    change
        .schedule()
        .check_apply(now)
        .map_err(TreasuryError::from)?;
    let update = change.update.clone();
    update.validate()?;

    let treasury = &mut ctx.accounts.treasury;
    match &update {
        TreasuryUpdate::Split(split) => treasury.split = *split,
        TreasuryUpdate::Price(price) => treasury.price = *price,
        TreasuryUpdate::Buyback(buyback) => treasury.buyback = *buyback,
        TreasuryUpdate::Roles(roles) => treasury.roles = *roles,
        TreasuryUpdate::CreditsPerUsd(rate) => treasury.credits_per_usd = *rate,
        TreasuryUpdate::Authority(key) => treasury.authority = *key,
        TreasuryUpdate::TimelockSecs(secs) => treasury.timelock_secs = *secs,
        TreasuryUpdate::BuybackVenue { mint, venue, cap } => {
            let stablecoin = ctx
                .accounts
                .stablecoin
                .as_mut()
                .ok_or(TreasuryError::InvariantViolated)?;
            let expected = Pubkey::create_program_address(
                &[STABLECOIN_SEED, mint.as_ref(), &[stablecoin.bump]],
                &crate::ID,
            )
            .map_err(|_| TreasuryError::InvariantViolated)?;
            require_keys_eq!(stablecoin.key(), expected, TreasuryError::InvariantViolated);
            venue.check(&stablecoin.vault, &stablecoin.bought)?;
            stablecoin.venue = *venue;
            stablecoin.buyback_cap_per_epoch = *cap;
            // A cap lowered below this epoch's spending clamps the spending to it: no more
            // buyback this epoch, and the next epoch starts from zero as usual.
            stablecoin.spent_in_epoch = stablecoin.spent_in_epoch.min(*cap);
            stablecoin.invariant()?;
        }
    }
    treasury.invariant()?;

    emit_cpi!(ChangeApplied {
        change: ctx.accounts.change.key(),
        id: ctx.accounts.change.id,
        update,
        timestamp: now,
    });
    Ok(())
}
