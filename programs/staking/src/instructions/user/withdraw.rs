use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

use crate::constants::{CONFIG_SEED, GOVERNANCE_PROGRAM_ID, TOKEN_OWNER_RECORD_SEED};
use crate::error::StakingError;
use crate::events::Withdrawn;
use crate::state::{Position, StakingConfig, spl_governance};

/// The owner withdraws `amount` of its cooling tokens once the cooldown has ended, into a token
/// account it owns. Refused while a slash is pending. Cooling tokens carry no weight, so the
/// revenue accumulator is not touched.
#[event_cpi]
#[derive(Accounts)]
pub struct Withdraw<'info> {
    /// The position's owner.
    pub owner: Signer<'info>,

    /// The staking config: its mint, vault and token program are checked; signs for the vault.
    #[account(
        mut,
        has_one = stake_mint @ StakingError::WrongMint,
        has_one = vault @ StakingError::WrongVault,
        constraint = config.token_program == token_program.key() @ StakingError::WrongTokenProgram,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The owner's position.
    #[account(
        mut,
        has_one = owner @ StakingError::NotPositionOwner,
    )]
    pub position: Box<Account<'info, Position>>,

    /// The network token mint (the config's).
    pub stake_mint: Box<InterfaceAccount<'info, Mint>>,

    /// The staking vault (the config's).
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// A token account of the owner's for the network token.
    #[account(
        mut,
        constraint = destination.owner == owner.key() @ StakingError::WrongTokenAccountOwner,
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The token program of the network token (the config's).
    pub token_program: Interface<'info, TokenInterface>,

    /// CHECK: spl-governance's token owner record of `owner` in the config's realm, for the
    /// stake mint (seeds checked; it may not exist). Refused while it holds votes not
    /// relinquished (`spl_governance::require_no_open_votes`).
    #[account(
        seeds = [
            TOKEN_OWNER_RECORD_SEED,
            config.realm.as_ref(),
            config.stake_mint.as_ref(),
            owner.key().as_ref(),
        ],
        bump,
        seeds::program = GOVERNANCE_PROGRAM_ID,
    )]
    pub token_owner_record: UncheckedAccount<'info>,
}

impl Withdraw<'_> {
    /// Accounts: `owner` signs and owns `position` and `destination`; `config`, `stake_mint`,
    /// `vault` and `token_program` are checked by their constraints; `destination`'s mint by
    /// `transfer_checked`. State: no pending slash, the cooldown is over, enough is cooling.
    pub fn validate(&self, amount: u64) -> Result<()> {
        let p = &self.position;
        require!(amount > 0, StakingError::ZeroAmount);
        require!(p.pending_slash.is_none(), StakingError::SlashPending);
        spl_governance::require_no_open_votes(&self.token_owner_record, &p.owner)?;
        require!(amount <= p.cooling, StakingError::InsufficientCooling);
        let now = Clock::get()?.unix_timestamp;
        require!(now >= p.cooldown_end, StakingError::CooldownNotOver);
        Ok(())
    }
}

pub fn handler(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    position.cooling = position
        .cooling
        .checked_sub(amount)
        .ok_or(StakingError::InsufficientCooling)?;
    position.withdrawn = position
        .withdrawn
        .checked_add(amount)
        .ok_or(StakingError::MathOverflow)?;
    config.total_locked = config
        .total_locked
        .checked_sub(amount)
        .ok_or(StakingError::MathOverflow)?;
    position.invariant()?;
    config.invariant()?;
    let (cooling_after, total_locked, bump) = (position.cooling, config.total_locked, config.bump);

    let bump = [bump];
    let seeds: &[&[u8]] = &[CONFIG_SEED, &bump];
    token_interface::transfer_checked(
        CpiContext::new_with_signer(
            ctx.accounts.token_program.key(),
            TransferChecked {
                from: ctx.accounts.vault.to_account_info(),
                mint: ctx.accounts.stake_mint.to_account_info(),
                to: ctx.accounts.destination.to_account_info(),
                authority: ctx.accounts.config.to_account_info(),
            },
            &[seeds],
        ),
        amount,
        ctx.accounts.stake_mint.decimals,
    )?;

    emit_cpi!(Withdrawn {
        position: ctx.accounts.position.key(),
        destination: ctx.accounts.destination.key(),
        amount,
        cooling_after,
        total_locked,
        timestamp: now,
    });
    Ok(())
}
