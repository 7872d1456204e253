//! `treasury`: stablecoin revenue in, buyback and burn, service credits.
//! See `docs/protocol.md` (section `treasury`) and `ARCHITECTURE.md`.
//!
//! This file only dispatches: each instruction lives in its own file under `instructions/`.
#![allow(unexpected_cfgs)]

// The registry-only SBF chain takes its i128 and soft-float libcalls from this crate.
#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

use anchor_lang::prelude::*;

pub mod constants;
pub mod error;
pub mod events;
pub mod instructions;
pub mod math;
pub mod oracle;
pub mod state;
pub mod token_data;

use instructions::*;
use state::TreasuryUpdate;

declare_id!("EzNm4uWXMjsznQDvJuZApAvy2xupkNnCGs7vYsM6FU4b");

#[program]
pub mod treasury {
    use super::*;

    /// Creates the treasury config: the revenue split between buyback, stakers and operations,
    /// the pinned price feed and its hardening, the buyback venue, the roles and the governance
    /// timelock. Only the program's upgrade authority may call it, once.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn initialize_treasury(
        ctx: Context<InitializeTreasury>,
        args: InitializeTreasuryArgs,
    ) -> Result<()> {
        instructions::admin::initialize_treasury::handler(ctx, args)
    }

    /// Governance accepts a stablecoin (SPL Token or Token-2022): its ledger, vault, buyback
    /// pool and cap, and where its stakers' share goes.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn add_stablecoin(ctx: Context<AddStablecoin>, args: AddStablecoinArgs) -> Result<()> {
        instructions::governance::add_stablecoin::handler(ctx, args)
    }

    /// Governance stops or resumes accepting payments in a stablecoin, immediately.
    pub fn set_stablecoin_enabled(ctx: Context<SetStablecoinEnabled>, enabled: bool) -> Result<()> {
        instructions::governance::set_stablecoin_enabled::handler(ctx, enabled)
    }

    /// Governance creates the non-transferable service-credits mint (Token-2022).
    pub fn initialize_credits(ctx: Context<InitializeCredits>) -> Result<()> {
        instructions::governance::initialize_credits::handler(ctx)
    }

    /// A customer pays in an accepted stablecoin, with a reference; the amount is split into
    /// the buyback, stakers and operations buckets.
    pub fn pay(ctx: Context<Pay>, args: PayArgs) -> Result<()> {
        instructions::user::pay::handler(ctx, args)
    }

    /// The payment operator deposits a fiat customer's payment, with the same reference trail.
    pub fn pay_for(ctx: Context<PayFor>, args: PayForArgs) -> Result<()> {
        instructions::user::pay_for::handler(ctx, args)
    }

    /// Permissionless: buys the network token with part of the buyback bucket through the
    /// allowed AMM, bounded by the oracle price and the epoch cap, and burns it.
    pub fn buyback<'info>(ctx: Context<'info, Buyback<'info>>, args: BuybackArgs) -> Result<()> {
        instructions::crank::buyback::handler(ctx, args)
    }

    /// The rewards program's `["stable_claim"]` PDA only: buys a claim's network tokens from the
    /// buyback bucket at the lower of the oracle bound and the pinned pool's spot price, within
    /// the bucket and the epoch cap, pays the claimant in the coin and burns the tokens.
    pub fn buy_claim(ctx: Context<BuyClaim>, args: BuyClaimArgs) -> Result<()> {
        instructions::cpi::buy_claim::handler(ctx, args)
    }

    /// Permissionless: sends the stakers bucket to the staking program's revenue vault.
    pub fn route_to_stakers(ctx: Context<RouteToStakers>) -> Result<()> {
        instructions::crank::route_to_stakers::handler(ctx)
    }

    /// Permissionless: sends the operations bucket to the operations owner.
    pub fn sweep_operations(ctx: Context<SweepOperations>) -> Result<()> {
        instructions::crank::sweep_operations::handler(ctx)
    }

    /// Burns network tokens for non-transferable service credits at the oracle price.
    pub fn burn_for_credits(ctx: Context<BurnForCredits>, amount: u64) -> Result<()> {
        instructions::user::burn_for_credits::handler(ctx, amount)
    }

    /// The service operator burns the credits delivered service used.
    pub fn consume_credits(ctx: Context<ConsumeCredits>, args: ConsumeCreditsArgs) -> Result<()> {
        instructions::operator::consume_credits::handler(ctx, args)
    }

    /// Governance queues a parameter change behind the timelock.
    pub fn propose_change(ctx: Context<ProposeChange>, update: TreasuryUpdate) -> Result<()> {
        instructions::governance::propose_change::handler(ctx, update)
    }

    /// Anyone applies a queued change after its timelock.
    pub fn apply_change(ctx: Context<ApplyChange>) -> Result<()> {
        instructions::governance::apply_change::handler(ctx)
    }

    /// Governance cancels a queued change.
    pub fn cancel_change(ctx: Context<CancelChange>) -> Result<()> {
        instructions::governance::cancel_change::handler(ctx)
    }
}
