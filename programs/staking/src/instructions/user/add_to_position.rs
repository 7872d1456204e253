use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenInterface, TransferChecked};

use crate::error::StakingError;
use crate::events::PositionIncreased;
use crate::state::{Position, StakingConfig};

/// Anyone adds network tokens to an existing position, under the position's current lock. The
/// owner does not sign: adding can only give the owner more locked tokens. This is how the
/// rewards program's claim deposits time-locked rewards (docs/staking.md).
///
/// The tokens are locked and vote at once; they earn revenue from the position's next
/// re-weighing (`refresh_position`, which anyone may add to the same transaction, or any owner
/// action). So the depositor needs neither the owner's `Staker` account nor its signature, and
/// the revenue vault is not read (kept in the accounts for the rewards program's CPI layout).
#[event_cpi]
#[derive(Accounts)]
pub struct AddToPosition<'info> {
    /// Pays the tokens: the owner, or anyone else (a CPI from the rewards program's claim).
    pub depositor: Signer<'info>,

    /// The staking config: its mint, vault, revenue vault and token program are checked.
    #[account(
        mut,
        has_one = stake_mint @ StakingError::WrongMint,
        constraint = config.token_program == token_program.key() @ StakingError::WrongTokenProgram,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The position to add to (any owner's).
    #[account(mut)]
    pub position: Box<Account<'info, Position>>,

    /// The network token mint (the config's).
    pub stake_mint: Box<InterfaceAccount<'info, Mint>>,

    /// CHECK: the depositor's token account; the token program's `transfer_checked` checks
    /// that it is a token account of `stake_mint` owned by `depositor`.
    #[account(mut)]
    pub source: UncheckedAccount<'info>,

    /// CHECK: the config's vault (address checked); the token program credits it.
    #[account(mut, address = config.vault @ StakingError::WrongVault)]
    pub vault: UncheckedAccount<'info>,

    /// CHECK: the config's revenue vault (address checked). Not read (the weight does not change
    /// here); kept so that callers' account lists, the rewards program's CPI among them, stay
    /// as they were.
    #[account(address = config.revenue_vault @ StakingError::WrongRevenueVault)]
    pub revenue_vault: UncheckedAccount<'info>,

    /// The token program of the network token (the config's).
    pub token_program: Interface<'info, TokenInterface>,
}

impl AddToPosition<'_> {
    /// Accounts: `depositor` signs (any key); `config`, `position`, `stake_mint`, `vault`,
    /// `revenue_vault` and `token_program` are checked by their constraints; `source` by
    /// `transfer_checked`. Args: a non-zero amount.
    pub fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, StakingError::ZeroAmount);
        Ok(())
    }
}

pub fn handler(ctx: Context<AddToPosition>, amount: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    token_interface::transfer_checked(
        CpiContext::new(
            ctx.accounts.token_program.key(),
            TransferChecked {
                from: ctx.accounts.source.to_account_info(),
                mint: ctx.accounts.stake_mint.to_account_info(),
                to: ctx.accounts.vault.to_account_info(),
                authority: ctx.accounts.depositor.to_account_info(),
            },
        ),
        amount,
        ctx.accounts.stake_mint.decimals,
    )?;

    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    let amount_before = position.amount;
    position.amount = amount_before
        .checked_add(amount)
        .ok_or(StakingError::MathOverflow)?;
    position.deposited = position
        .deposited
        .checked_add(amount)
        .ok_or(StakingError::MathOverflow)?;
    config.total_locked = config
        .total_locked
        .checked_add(amount)
        .ok_or(StakingError::MathOverflow)?;
    position.invariant()?;
    config.invariant()?;
    let (amount_after, total_locked, stored_weight) =
        (position.amount, config.total_locked, position.weight);

    emit_cpi!(PositionIncreased {
        position: ctx.accounts.position.key(),
        depositor: ctx.accounts.depositor.key(),
        amount,
        amount_before,
        amount_after,
        total_locked,
        stored_weight,
        timestamp: now,
    });
    Ok(())
}
