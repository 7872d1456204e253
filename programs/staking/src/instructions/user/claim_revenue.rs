use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

use crate::constants::CONFIG_SEED;
use crate::error::StakingError;
use crate::events::RevenueClaimed;
use crate::instructions::shared;
use crate::state::{Staker, StakingConfig};

/// The owner claims its revenue share, in O(1) whatever its number of positions: sync, settle
/// the owner's `Staker`, pay everything pending into a token account of the owner's.
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

    /// The owner's stake as a whole.
    #[account(mut, has_one = owner @ StakingError::WrongStaker)]
    pub staker: Box<Account<'info, Staker>>,

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
    let staker = &mut ctx.accounts.staker;
    let revenue_synced = shared::begin(config, staker, revenue_balance, now)?;
    let amount = staker.pending_revenue;
    require!(amount > 0, StakingError::NothingToClaim);
    staker.pending_revenue = 0;
    staker.revenue_claimed = staker
        .revenue_claimed
        .checked_add(amount)
        .ok_or(StakingError::MathOverflow)?;
    config.revenue_claimed = config
        .revenue_claimed
        .checked_add(amount)
        .ok_or(StakingError::MathOverflow)?;
    config.invariant()?;
    let event = RevenueClaimed {
        owner: staker.owner,
        destination: ctx.accounts.destination.key(),
        amount,
        owner_claimed: staker.revenue_claimed,
        revenue_claimed: config.revenue_claimed,
        owner_weight: staker.weight,
        reward_per_weight: config.reward_per_weight,
        revenue_synced,
        timestamp: now,
    };
    let bump = [config.bump];
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
    emit_cpi!(event);
    Ok(())
}
