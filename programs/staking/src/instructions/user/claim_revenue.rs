use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

use crate::constants::CONFIG_SEED;
use crate::error::StakingError;
use crate::events::RevenueClaimed;
use crate::instructions::shared;
use crate::state::{Position, StakingConfig};

/// The owner claims its position's revenue share, in O(1): sync, settle, pay everything
/// pending into a token account of the owner's. The position's weight is refreshed too.
#[event_cpi]
#[derive(Accounts)]
pub struct ClaimRevenue<'info> {
    /// The position's owner.
    pub owner: Signer<'info>,

    /// The staking config: its revenue mint, vault and token program are checked; signs for
    /// the revenue vault.
    #[account(
        mut,
        has_one = revenue_mint @ StakingError::WrongMint,
        constraint = config.revenue_token_program == revenue_token_program.key()
            @ StakingError::WrongTokenProgram,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The owner's position.
    #[account(
        mut,
        has_one = owner @ StakingError::NotPositionOwner,
    )]
    pub position: Box<Account<'info, Position>>,

    /// The revenue (stablecoin) mint (the config's).
    pub revenue_mint: Box<InterfaceAccount<'info, Mint>>,

    /// CHECK: the config's revenue vault (address checked), a token account this program
    /// created; its balance is read and the token program moves the payment out of it.
    #[account(mut, address = config.revenue_vault @ StakingError::WrongRevenueVault)]
    pub revenue_vault: UncheckedAccount<'info>,

    /// A token account of the owner's for the revenue mint.
    #[account(
        mut,
        constraint = destination.owner == owner.key() @ StakingError::WrongTokenAccountOwner,
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The revenue mint's token program (the config's).
    pub revenue_token_program: Interface<'info, TokenInterface>,
}

pub fn handler(ctx: Context<ClaimRevenue>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let revenue_balance = shared::token_amount(&ctx.accounts.revenue_vault)?;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    let synced = shared::begin(config, position, revenue_balance)?;
    let amount = position.pending_revenue;
    require!(amount > 0, StakingError::NothingToClaim);
    position.pending_revenue = 0;
    position.revenue_claimed = position
        .revenue_claimed
        .checked_add(amount)
        .ok_or(StakingError::MathOverflow)?;
    config.revenue_claimed = config
        .revenue_claimed
        .checked_add(amount)
        .ok_or(StakingError::MathOverflow)?;
    let weight = shared::finish(config, position, now, synced)?;
    let (position_claimed, revenue_claimed, bump) = (
        position.revenue_claimed,
        config.revenue_claimed,
        config.bump,
    );

    let bump = [bump];
    let seeds: &[&[u8]] = &[CONFIG_SEED, &bump];
    token_interface::transfer_checked(
        CpiContext::new_with_signer(
            ctx.accounts.revenue_token_program.key(),
            TransferChecked {
                from: ctx.accounts.revenue_vault.to_account_info(),
                mint: ctx.accounts.revenue_mint.to_account_info(),
                to: ctx.accounts.destination.to_account_info(),
                authority: ctx.accounts.config.to_account_info(),
            },
            &[seeds],
        ),
        amount,
        ctx.accounts.revenue_mint.decimals,
    )?;

    emit_cpi!(RevenueClaimed {
        position: ctx.accounts.position.key(),
        destination: ctx.accounts.destination.key(),
        amount,
        position_claimed,
        revenue_claimed,
        weight,
        timestamp: now,
    });
    Ok(())
}
