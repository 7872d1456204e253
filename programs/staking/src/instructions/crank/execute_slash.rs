use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Burn, Mint, TokenAccount, TokenInterface};

use crate::constants::CONFIG_SEED;
use crate::error::StakingError;
use crate::events::SlashExecuted;
use crate::instructions::shared;
use crate::state::{Position, Staker, StakingConfig};

/// Permissionless: once its appeal window has passed, a pending slash executes. Its tokens are
/// taken from the position's cooling tokens first, then its locked ones, and burned from the
/// vault. The position's revenue is settled and its weight recomputed. The cooling tokens left
/// start their cooldown again, so the owner cannot withdraw them in the same transaction and
/// the position's next offence can still be proposed against them.
#[event_cpi]
#[derive(Accounts)]
pub struct ExecuteSlash<'info> {
    /// The staking config: its mint, vault, revenue vault and token program are checked; signs
    /// the burn.
    #[account(
        mut,
        has_one = stake_mint @ StakingError::WrongMint,
        has_one = vault @ StakingError::WrongVault,
        constraint = config.token_program == token_program.key() @ StakingError::WrongTokenProgram,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The slashed position.
    #[account(mut)]
    pub position: Box<Account<'info, Position>>,

    /// The position owner's stake as a whole (its revenue share moves with the position's
    /// weight).
    #[account(mut, constraint = staker.owner == position.owner @ StakingError::WrongStaker)]
    pub staker: Box<Account<'info, Staker>>,

    /// The network token mint (the config's); its supply falls by the burn.
    #[account(mut)]
    pub stake_mint: Box<InterfaceAccount<'info, Mint>>,

    /// The staking vault (the config's).
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// CHECK: the config's revenue vault (address checked), a token account this program
    /// created; only its balance is read, to sync the revenue before the weight changes.
    #[account(address = config.revenue_vault @ StakingError::WrongRevenueVault)]
    pub revenue_vault: UncheckedAccount<'info>,

    /// The token program of the network token (the config's).
    pub token_program: Interface<'info, TokenInterface>,
}

impl ExecuteSlash<'_> {
    /// Accounts: all checked by their constraints. State: a slash is pending and its appeal
    /// window has passed.
    pub fn validate(&self) -> Result<()> {
        let slash = self
            .position
            .pending_slash
            .ok_or(StakingError::NoPendingSlash)?;
        let now = Clock::get()?.unix_timestamp;
        require!(now >= slash.appeal_ends, StakingError::AppealWindowOpen);
        Ok(())
    }
}

pub fn handler(ctx: Context<ExecuteSlash>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let revenue_balance = shared::token_amount(&ctx.accounts.revenue_vault)?;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    let staker = &mut ctx.accounts.staker;
    let synced = shared::begin(config, staker, revenue_balance, now)?;
    let slash = position
        .pending_slash
        .take()
        .ok_or(StakingError::NoPendingSlash)?;
    // Nothing can leave a position while its slash is pending, so it still holds `amount`.
    let from_cooling = slash.amount.min(position.cooling);
    let from_locked = slash.amount - from_cooling;
    position.cooling -= from_cooling;
    position.amount = position
        .amount
        .checked_sub(from_locked)
        .ok_or(StakingError::MathOverflow)?;
    position.slashed = position
        .slashed
        .checked_add(slash.amount)
        .ok_or(StakingError::MathOverflow)?;
    if position.cooling > 0 {
        position.cooldown_end = position.cooldown_end.max(config.cooldown_end(now)?);
    }
    config.total_locked = config
        .total_locked
        .checked_sub(slash.amount)
        .ok_or(StakingError::MathOverflow)?;
    config.total_slashed = config
        .total_slashed
        .checked_add(slash.amount)
        .ok_or(StakingError::MathOverflow)?;
    let weight = shared::finish(config, staker, position, now, synced)?;
    let (amount_after, cooling_after, cooldown_end) =
        (position.amount, position.cooling, position.cooldown_end);
    let (total_locked, total_slashed, bump) =
        (config.total_locked, config.total_slashed, config.bump);

    let bump = [bump];
    let seeds: &[&[u8]] = &[CONFIG_SEED, &bump];
    token_interface::burn(
        CpiContext::new_with_signer(
            ctx.accounts.token_program.key(),
            Burn {
                mint: ctx.accounts.stake_mint.to_account_info(),
                from: ctx.accounts.vault.to_account_info(),
                authority: ctx.accounts.config.to_account_info(),
            },
            &[seeds],
        ),
        slash.amount,
    )?;

    emit_cpi!(SlashExecuted {
        position: ctx.accounts.position.key(),
        amount_bps: slash.amount_bps,
        amount: slash.amount,
        evidence_hash: slash.evidence_hash,
        from_cooling,
        from_locked,
        amount_after,
        cooling_after,
        cooldown_end,
        total_locked,
        total_slashed,
        weight,
        timestamp: now,
    });
    Ok(())
}
