//! Steps shared by the instructions that touch a position: sync the revenue, settle the
//! position, and after the change re-weigh it and check the invariants.

use anchor_lang::prelude::*;
use depin_common::token::TokenAccountView;

use crate::error::StakingError;
use crate::events::{RevenueSynced, WeightChange};
use crate::state::{Position, Staker, StakingConfig};

/// The `amount` of a token account (SPL Token or Token-2022, through the shared layout view);
/// callers pass only the config's own vaults (address-checked), which this program created as
/// token accounts.
pub fn token_amount(account: &AccountInfo) -> Result<u64> {
    let data = account.try_borrow_data()?;
    let view = TokenAccountView::from_bytes(&data).ok_or(StakingError::WrongRevenueVault)?;
    Ok(view.amount())
}

/// Advances the revenue stream and takes in new revenue (the revenue vault's `balance` above what
/// is owed and streaming); the event to emit if anything was folded or arrived.
pub fn sync(config: &mut StakingConfig, balance: u64, now: i64) -> Result<Option<RevenueSynced>> {
    let (before, streaming_before) = (config.reward_per_weight, config.revenue_streaming);
    let amount = config.sync_revenue(balance, now)?;
    let moved = amount > 0 || config.revenue_streaming != streaming_before;
    Ok(moved.then_some(RevenueSynced {
        amount,
        vault_balance: balance,
        total_weight: config.total_weight,
        reward_per_weight_before: before,
        reward_per_weight_after: config.reward_per_weight,
        revenue_distributed: config.revenue_distributed,
        streaming: config.revenue_streaming,
        stream_end: config.stream_end,
        timestamp: now,
    }))
}

/// Sync, then settle the owner (`staker`) at the new accumulator: the first step of every
/// instruction that changes a position's weight or pays revenue. Returns the revenue folded
/// (reported in the instruction's own event, `WeightChange::revenue_synced`, to save a second
/// event CPI).
pub fn begin(
    config: &mut StakingConfig,
    staker: &mut Staker,
    revenue_balance: u64,
    now: i64,
) -> Result<u64> {
    let synced = config.sync_revenue(revenue_balance, now)?;
    staker.settle(config.reward_per_weight)?;
    Ok(synced)
}

/// Re-weighs `position` at `now` and checks both invariants: the last step.
pub fn finish(
    config: &mut StakingConfig,
    staker: &mut Staker,
    position: &mut Position,
    now: i64,
    revenue_synced: u64,
) -> Result<WeightChange> {
    let (weight_before, weight_after, multiplier_bps) = config.reweigh(staker, position, now)?;
    position.invariant()?;
    config.invariant()?;
    Ok(WeightChange {
        weight_before,
        weight_after,
        multiplier_bps,
        owner_weight: staker.weight,
        total_weight: config.total_weight,
        reward_per_weight: config.reward_per_weight,
        pending_revenue: staker.pending_revenue,
        revenue_synced,
    })
}
