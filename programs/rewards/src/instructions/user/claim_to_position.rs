use anchor_lang::prelude::*;
use anchor_lang::solana_program::program::invoke_signed;
use anchor_spl::token_interface::TokenInterface;

use crate::constants::{
    CLAIM_SEED, NETWORK_ADDRESS, NETWORK_SEED, STAKING_CONFIG, STAKING_PROGRAM_ID,
};
use crate::error::RewardsError;
use crate::events::ClaimedToPosition;
use crate::instructions::shared::verify_and_record;
use crate::instructions::user::claim::ClaimArgs;
use crate::staking_cpi::{AddToPositionAccounts, add_to_position_ix, position_owner};
use crate::state::{ClaimRecord, Network};

/// The wallet takes what the latest final root owes it (`cumulative_amount − claimed`, the same
/// proof and claim record as `claim`) as a time-locked reward: the rewards vault pays it into the
/// wallet's own staking position by CPI to `staking::add_to_position`, signed by the network PDA
/// (the vault's owner), and the position's lock and multiplier apply at once. Unlike `claim`,
/// only the wallet may send it: it chooses to lock the wallet's tokens.
#[event_cpi]
#[derive(Accounts)]
pub struct ClaimToPosition<'info> {
    /// The leaf's wallet, proven by the merkle-sum proof; signs, and pays the claim record's
    /// rent the first time.
    #[account(mut)]
    pub wallet: Signer<'info>,

    #[account(
        init_if_needed,
        payer = wallet,
        space = ClaimRecord::SIZE,
        seeds = [CLAIM_SEED, wallet.key().as_ref()],
        bump,
    )]
    pub claim_record: Box<Account<'info, ClaimRecord>>,

    #[account(
        mut,
        address = NETWORK_ADDRESS @ RewardsError::WrongNetwork,
        has_one = mint @ RewardsError::WrongMint,
        has_one = rewards_vault @ RewardsError::WrongVault,
        constraint = network.token_program == token_program.key() @ RewardsError::WrongTokenProgram,
    )]
    pub network: Box<Account<'info, Network>>,

    /// CHECK: the network's mint (`has_one` on `network`); staking checks it is the stake mint.
    pub mint: UncheckedAccount<'info>,

    /// CHECK: the network's rewards vault (`has_one` on `network`), the deposit's source.
    #[account(mut)]
    pub rewards_vault: UncheckedAccount<'info>,

    /// CHECK: the wallet's staking position: a staking `Position` whose `owner` is `wallet`
    /// (checked in `validate`).
    #[account(mut)]
    pub position: UncheckedAccount<'info>,

    /// CHECK: the staking config (address checked); staking checks the mint, vaults and token
    /// program against it.
    #[account(mut, address = STAKING_CONFIG @ RewardsError::WrongStakingConfig)]
    pub staking_config: UncheckedAccount<'info>,

    /// CHECK: the staking vault; staking checks it against its config.
    #[account(mut)]
    pub staking_vault: UncheckedAccount<'info>,

    /// CHECK: the staking revenue vault; staking checks it against its config.
    pub staking_revenue_vault: UncheckedAccount<'info>,

    pub token_program: Interface<'info, TokenInterface>,

    /// CHECK: the staking program's event authority; staking checks it.
    pub staking_event_authority: UncheckedAccount<'info>,

    /// CHECK: the staking program (address checked).
    #[account(address = STAKING_PROGRAM_ID @ RewardsError::WrongStakingProgram)]
    pub staking_program: UncheckedAccount<'info>,

    pub system_program: Program<'info, System>,
}

impl ClaimToPosition<'_> {
    /// Accounts: `position` is a staking position of `wallet` (the rest are constraints; the
    /// proof is verified in the handler, as in `claim`).
    pub fn validate(&self) -> Result<()> {
        require_keys_eq!(
            position_owner(&self.position)?,
            self.wallet.key(),
            RewardsError::NotPositionOwner
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<ClaimToPosition>, args: ClaimArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let wallet = ctx.accounts.wallet.key();
    let paid = verify_and_record(
        &mut ctx.accounts.network,
        &mut ctx.accounts.claim_record,
        ctx.bumps.claim_record,
        &wallet,
        &args,
    )?;

    let a = &ctx.accounts;
    let ix = add_to_position_ix(
        &AddToPositionAccounts {
            depositor: a.network.key(),
            config: a.staking_config.key(),
            position: a.position.key(),
            stake_mint: a.mint.key(),
            source: a.rewards_vault.key(),
            vault: a.staking_vault.key(),
            revenue_vault: a.staking_revenue_vault.key(),
            token_program: a.token_program.key(),
            event_authority: a.staking_event_authority.key(),
        },
        paid.amount,
    );
    let bump = [a.network.bump];
    let seeds: &[&[u8]] = &[NETWORK_SEED, &bump];
    invoke_signed(
        &ix,
        &[
            a.network.to_account_info(),
            a.staking_config.to_account_info(),
            a.position.to_account_info(),
            a.mint.to_account_info(),
            a.rewards_vault.to_account_info(),
            a.staking_vault.to_account_info(),
            a.staking_revenue_vault.to_account_info(),
            a.token_program.to_account_info(),
            a.staking_event_authority.to_account_info(),
            a.staking_program.to_account_info(),
        ],
        &[seeds],
    )?;

    emit_cpi!(ClaimedToPosition {
        wallet,
        position: ctx.accounts.position.key(),
        amount: paid.amount,
        cumulative: args.cumulative_amount,
        epochs: paid.epochs,
        total_claimed: paid.total_claimed,
        timestamp: now,
    });
    Ok(())
}
