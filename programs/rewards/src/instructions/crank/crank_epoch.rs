use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, MintTo, TokenAccount, TokenInterface};

use crate::constants::{NETWORK_ADDRESS, NETWORK_SEED};
use crate::error::RewardsError;
use crate::events::EpochMinted;
use crate::math::window::WindowError;
use crate::state::Network;

/// Permissionless: mints the next epoch's emission into the rewards vault, once that epoch has
/// started. One epoch per call; a crank that fell behind catches up by calling again (the
/// `EpochMinted` event says how far behind it is). The circuit breaker bounds how fast a backlog
/// can be minted.
#[event_cpi]
#[derive(Accounts)]
pub struct CrankEpoch<'info> {
    // `dup`: the mutable accounts here are of distinct account types, so none can alias another;
    // it skips Anchor's duplicate-account check (a HashSet, ~1,900 CU).
    #[account(
        mut,
        dup,
        address = NETWORK_ADDRESS @ RewardsError::WrongNetwork,
        has_one = mint @ RewardsError::WrongMint,
        has_one = rewards_vault @ RewardsError::WrongVault,
        constraint = network.token_program == token_program.key() @ RewardsError::WrongTokenProgram,
    )]
    pub network: Box<Account<'info, Network>>,

    #[account(mut, dup)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut, dup)]
    pub rewards_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handler(ctx: Context<CrankEpoch>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let network = &mut ctx.accounts.network;
    let schedule = network.emission.schedule();
    let epoch = network.epochs_minted;
    let current = schedule
        .epoch_at(now)
        .ok_or(RewardsError::EpochNotStarted)?;
    require!(epoch <= current, RewardsError::EpochNotStarted);
    let amount = schedule.epoch_emission(epoch);
    require!(amount > 0, RewardsError::EmissionComplete);

    let total_minted = network
        .total_minted
        .checked_add(amount)
        .ok_or(RewardsError::MaxSupplyExceeded)?;
    require!(
        total_minted <= network.max_supply,
        RewardsError::MaxSupplyExceeded
    );
    let window = network
        .mint_window
        .config()
        .record(&network.mint_window.state(), now, amount)
        .map_err(|e| match e {
            WindowError::Tripped => RewardsError::CircuitBreakerTripped,
            WindowError::ZeroWindow => RewardsError::InvariantViolated,
        })?;

    network.epochs_minted = epoch.checked_add(1).ok_or(RewardsError::MathOverflow)?;
    network.cumulative_budget = network
        .cumulative_budget
        .checked_add(amount)
        .ok_or(RewardsError::MathOverflow)?;
    network.total_minted = total_minted;
    network.mint_window.last_ts = window.last_ts;
    network.mint_window.amount = window.amount;
    network.invariant()?;

    let bump = [network.bump];
    let seeds: &[&[u8]] = &[NETWORK_SEED, &bump];
    token_interface::mint_to(
        CpiContext::new_with_signer(
            ctx.accounts.token_program.key(),
            MintTo {
                mint: ctx.accounts.mint.to_account_info(),
                to: ctx.accounts.rewards_vault.to_account_info(),
                authority: ctx.accounts.network.to_account_info(),
            },
            &[seeds],
        ),
        amount,
    )?;

    let network = &ctx.accounts.network;
    emit_cpi!(EpochMinted {
        epoch,
        amount,
        cumulative_budget: network.cumulative_budget,
        total_minted: network.total_minted,
        behind: current - epoch,
        timestamp: now,
    });
    Ok(())
}
