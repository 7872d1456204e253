//! Every value change emits one of these (through `emit_cpi!`, so they survive log truncation).
//! Each carries before and after amounts, so an indexer can rebuild revenue by reference, the
//! splits, buybacks with their prices, burns and supply without reading any account; `report`
//! folds them into a transparency report.
use anchor_lang::prelude::*;

use crate::state::{Buckets, TreasuryUpdate};

/// The treasury was configured. Emitted once, by `initialize_treasury`.
#[event]
pub struct TreasuryInitialized {
    /// The treasury config PDA.
    pub treasury: Pubkey,
    /// Governance: may change parameters (through the timelock).
    pub authority: Pubkey,
    /// The network token that buybacks buy and burn.
    pub network_mint: Pubkey,
    /// Share of revenue for buyback and burn, in basis points.
    pub buyback_bps: u16,
    /// Share of revenue for stakers, in basis points.
    pub stakers_bps: u16,
    /// Share of revenue for operations, in basis points.
    pub operations_bps: u16,
    /// Delay between proposing and applying a parameter change.
    pub timelock_secs: u64,
    /// Unix time of creation.
    pub timestamp: i64,
}

/// Governance began accepting a stablecoin.
#[event]
pub struct StablecoinAdded {
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub decimals: u8,
    pub vault: Pubkey,
    pub stakers_destination: Pubkey,
    pub venue: crate::state::Venue,
    pub buyback_cap_per_epoch: u64,
    pub timestamp: i64,
}

/// Governance stopped or resumed accepting a stablecoin.
#[event]
pub struct StablecoinEnabledChanged {
    pub mint: Pubkey,
    pub enabled_before: bool,
    pub enabled_after: bool,
    pub timestamp: i64,
}

/// The service-credits mint was created.
#[event]
pub struct CreditsMintCreated {
    pub mint: Pubkey,
    pub credits_per_usd: u64,
    pub timestamp: i64,
}

/// Revenue arrived and was split.
#[event]
pub struct RevenueReceived {
    /// The customer's reference (an invoice id), as given.
    pub reference: [u8; 32],
    /// Who paid: the customer, or the payment operator for a fiat customer.
    pub payer: Pubkey,
    /// True when the payment operator deposited on the customer's behalf.
    pub by_operator: bool,
    /// The customer the operator paid for (the payer itself otherwise).
    pub customer: Pubkey,
    pub mint: Pubkey,
    pub amount: u64,
    /// How `amount` was split (adds up to `amount` exactly).
    pub to_buyback: u64,
    pub to_stakers: u64,
    pub to_operations: u64,
    pub buckets_before: Buckets,
    pub buckets_after: Buckets,
    pub total_received_after: u64,
    pub timestamp: i64,
}

/// A buyback bought network tokens with stablecoin and burned them in the same instruction.
#[event]
pub struct BuybackExecuted {
    pub stable_mint: Pubkey,
    /// Stablecoin spent (base units).
    pub quote_spent: u64,
    /// Network tokens received from the AMM and burned (base units).
    pub tokens_bought: u64,
    pub tokens_burned: u64,
    /// The fewest tokens the oracle bound allowed.
    pub min_tokens_out: u64,
    /// The bound: price mantissa x 10^exponent USD per token (EMA - k x confidence).
    pub price_bound: u64,
    pub price_exponent: i32,
    pub ema_price: i64,
    pub ema_conf: u64,
    pub publish_time: i64,
    pub amm_program: Pubkey,
    pub buyback_bucket_before: u64,
    pub buyback_bucket_after: u64,
    pub epoch: u64,
    pub spent_in_epoch_after: u64,
    pub supply_before: u64,
    pub supply_after: u64,
    pub timestamp: i64,
}

/// The treasury bought a claim's network tokens from the buyback bucket (`buy_claim`, on behalf
/// of `rewards::claim_in_stablecoin`) and burned them in the same instruction.
#[event]
#[derive(Debug, PartialEq, Eq)]
pub struct ClaimBought {
    pub stable_mint: Pubkey,
    /// The wallet whose claim was sold, and its stablecoin account that was paid.
    pub claimant: Pubkey,
    pub destination: Pubkey,
    /// Network tokens bought and burned (base units): the claim.
    pub tokens_burned: u64,
    /// Stablecoin paid (base units): the lower of `out_at_bound` and `out_at_pool`.
    pub stable_out: u64,
    /// The claim's value at the oracle bound and at the pinned pool's spot price, rounded down.
    pub out_at_bound: u64,
    pub out_at_pool: u64,
    /// The claimant's own minimum.
    pub min_stable_out: u64,
    /// The bound: price mantissa x 10^exponent USD per token (EMA - k x confidence).
    pub price_bound: u64,
    pub price_exponent: i32,
    pub ema_price: i64,
    pub ema_conf: u64,
    pub publish_time: i64,
    /// The pinned pool's reserves the spot price was read from.
    pub pool_quote_reserve: u64,
    pub pool_token_reserve: u64,
    pub buyback_bucket_before: u64,
    pub buyback_bucket_after: u64,
    pub epoch: u64,
    pub spent_in_epoch_after: u64,
    pub supply_before: u64,
    pub supply_after: u64,
    pub timestamp: i64,
}

/// The stakers' share was sent to the staking program's revenue vault.
#[event]
pub struct StakersRouted {
    pub mint: Pubkey,
    pub destination: Pubkey,
    pub amount: u64,
    pub bucket_before: u64,
    pub bucket_after: u64,
    pub timestamp: i64,
}

/// The operations share was swept to the operations owner's token account.
#[event]
pub struct OperationsSwept {
    pub mint: Pubkey,
    pub destination: Pubkey,
    pub amount: u64,
    pub bucket_before: u64,
    pub bucket_after: u64,
    pub timestamp: i64,
}

/// Network tokens were burned for non-transferable service credits.
#[event]
pub struct CreditsMinted {
    pub owner: Pubkey,
    pub tokens_burned: u64,
    pub credits: u64,
    pub price_bound: u64,
    pub price_exponent: i32,
    pub publish_time: i64,
    pub token_supply_before: u64,
    pub token_supply_after: u64,
    pub credits_minted_after: u64,
    pub timestamp: i64,
}

/// The service operator recorded delivered service and burned the credits it used.
#[event]
pub struct CreditsConsumed {
    pub owner: Pubkey,
    pub credits: u64,
    /// The operator's usage record reference.
    pub usage_reference: [u8; 32],
    pub balance_before: u64,
    pub balance_after: u64,
    pub credits_consumed_after: u64,
    pub timestamp: i64,
}

/// A parameter change was queued.
#[event]
pub struct ChangeProposed {
    pub change: Pubkey,
    pub id: u64,
    pub update: TreasuryUpdate,
    pub eta: i64,
    pub timestamp: i64,
}

/// A queued change took effect.
#[event]
pub struct ChangeApplied {
    pub change: Pubkey,
    pub id: u64,
    pub update: TreasuryUpdate,
    pub timestamp: i64,
}

/// Governance cancelled a queued change.
#[event]
pub struct ChangeCancelled {
    pub change: Pubkey,
    pub id: u64,
    pub timestamp: i64,
}
