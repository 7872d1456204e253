use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenInterface, TransferChecked};

use crate::constants::{POSITION_SEED, POSITION_VERSION, STAKER_SEED, STAKER_VERSION};
use crate::error::StakingError;
use crate::events::Staked;
use crate::instructions::shared;
use crate::state::{LockupKind, Position, Staker, StakingConfig, VoteTally};

/// Arguments of `stake`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct StakeArgs {
    /// The owner's choice of position id (part of the position's address).
    pub id: u64,
    /// Cliff (decays from now) or constant (no decay until `start_unlock`).
    pub kind: LockupKind,
    /// Lock duration, in seconds: 0 to `max_lockup_secs`.
    pub lockup_secs: u64,
    /// Network tokens to lock, in base units (more than zero).
    pub amount: u64,
}

/// The owner opens a position: locks `amount` network tokens from a token account it owns
/// into the vault, with a lockup kind and duration.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: StakeArgs)]
pub struct Stake<'info> {
    /// The staker: signs, pays the position's rent and owns `source`.
    #[account(mut)]
    pub owner: Signer<'info>,

    /// The staking config: its mint, vault, revenue vault and token program are checked.
    #[account(
        mut,
        has_one = stake_mint @ StakingError::WrongMint,
        constraint = config.token_program == token_program.key() @ StakingError::WrongTokenProgram,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The new position, PDA `["position", owner, id_le]`.
    #[account(
        init,
        payer = owner,
        space = Position::SIZE,
        seeds = [POSITION_SEED, owner.key().as_ref(), &args.id.to_le_bytes()],
        bump,
    )]
    pub position: Box<Account<'info, Position>>,

    /// The owner's stake as a whole, PDA `["staker", owner]`: created by the owner's first
    /// `stake`, then found at that address.
    #[account(
        init_if_needed,
        payer = owner,
        space = Staker::SIZE,
        seeds = [STAKER_SEED, owner.key().as_ref()],
        bump,
    )]
    pub staker: Box<Account<'info, Staker>>,

    /// The network token mint (the config's).
    pub stake_mint: Box<InterfaceAccount<'info, Mint>>,

    /// CHECK: the owner's token account the tokens come from; the token program's
    /// `transfer_checked` checks that it is a token account of `stake_mint` owned by `owner`.
    #[account(mut)]
    pub source: UncheckedAccount<'info>,

    /// CHECK: the config's vault (address checked); the token program credits it.
    #[account(mut, address = config.vault @ StakingError::WrongVault)]
    pub vault: UncheckedAccount<'info>,

    /// CHECK: the config's revenue vault (address checked), a token account this program
    /// created; only its balance is read, to sync the revenue before the weight changes.
    #[account(address = config.revenue_vault @ StakingError::WrongRevenueVault)]
    pub revenue_vault: UncheckedAccount<'info>,

    /// The token program of the network token (the config's).
    pub token_program: Interface<'info, TokenInterface>,

    /// Creates the position.
    pub system_program: Program<'info, System>,
}

impl Stake<'_> {
    /// Accounts: `owner` signs; `config`, `position`, `stake_mint`, `vault`, `revenue_vault`,
    /// `token_program` and `system_program` are checked by their constraints; `source` by the
    /// token program's `transfer_checked` (owner signature, mint). Args: a non-zero amount and a
    /// lockup within the config's maximum.
    pub fn validate(&self, args: &StakeArgs) -> Result<()> {
        require!(args.amount > 0, StakingError::ZeroAmount);
        require!(
            args.lockup_secs <= self.config.max_lockup_secs,
            StakingError::InvalidLockup
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<Stake>, args: StakeArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let lockup = i64::try_from(args.lockup_secs).map_err(|_| StakingError::MathOverflow)?;
    let lock_end = match args.kind {
        LockupKind::Cliff => now.checked_add(lockup).ok_or(StakingError::MathOverflow)?,
        LockupKind::Constant => 0,
    };
    token_interface::transfer_checked(
        CpiContext::new(
            ctx.accounts.token_program.key(),
            TransferChecked {
                from: ctx.accounts.source.to_account_info(),
                mint: ctx.accounts.stake_mint.to_account_info(),
                to: ctx.accounts.vault.to_account_info(),
                authority: ctx.accounts.owner.to_account_info(),
            },
        ),
        args.amount,
        ctx.accounts.stake_mint.decimals,
    )?;

    let revenue_balance = shared::token_amount(&ctx.accounts.revenue_vault)?;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    position.set_inner(Position {
        version: POSITION_VERSION,
        bump: ctx.bumps.position,
        kind: args.kind,
        bound_devices: 0,
        owner: ctx.accounts.owner.key(),
        id: args.id,
        amount: args.amount,
        lockup_secs: args.lockup_secs,
        lock_end,
        cooling: 0,
        cooldown_end: 0,
        weight: 0,
        deposited: args.amount,
        withdrawn: 0,
        slashed: 0,
        slash_nonce: 0,
        pending_slash: None,
        created_at: now,
        liable_devices: 0,
        liable_until_epochs: 0,
        reserved: [0; 52],
    });
    config.total_locked = config
        .total_locked
        .checked_add(args.amount)
        .ok_or(StakingError::MathOverflow)?;
    let staker = &mut ctx.accounts.staker;
    if staker.version == 0 {
        // The owner's first position: a new staker, settled from the current accumulator.
        staker.set_inner(Staker {
            version: STAKER_VERSION,
            bump: ctx.bumps.staker,
            owner: ctx.accounts.owner.key(),
            positions: 0,
            weight: 0,
            reward_checkpoint: config.reward_per_weight,
            pending_revenue: 0,
            revenue_claimed: 0,
            tally: VoteTally::default(),
            reserved: [0; 64],
        });
    }
    staker.positions = staker
        .positions
        .checked_add(1)
        .ok_or(StakingError::MathOverflow)?;
    // A new position has no weight yet: sync, settle the owner, then weigh the position.
    let synced = shared::begin(config, staker, revenue_balance, now)?;
    let weight = shared::finish(config, staker, position, now, synced)?;
    let total_locked = config.total_locked;

    emit_cpi!(Staked {
        position: ctx.accounts.position.key(),
        owner: ctx.accounts.owner.key(),
        id: args.id,
        kind: args.kind,
        lockup_secs: args.lockup_secs,
        lock_end,
        amount: args.amount,
        total_locked,
        weight,
        timestamp: now,
    });
    Ok(())
}
