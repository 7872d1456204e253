use anchor_lang::prelude::*;

use crate::constants::{MAKER_SEED, NETWORK_ADDRESS};
use crate::error::RewardsError;
use crate::events::MakerApproved;
use crate::state::{Maker, Network};

/// Governance approves a maker (or re-approves a revoked one): its key may then co-sign
/// onboardings.
#[event_cpi]
#[derive(Accounts)]
#[instruction(maker: Pubkey)]
pub struct ApproveMaker<'info> {
    /// Pays the maker account's rent the first time.
    #[account(mut)]
    pub payer: Signer<'info>,

    pub authority: Signer<'info>,

    #[account(
        address = NETWORK_ADDRESS @ RewardsError::WrongNetwork,
        has_one = authority @ RewardsError::NotAuthority,
    )]
    pub network: Box<Account<'info, Network>>,

    #[account(
        init_if_needed,
        payer = payer,
        space = Maker::SIZE,
        seeds = [MAKER_SEED, maker.as_ref()],
        bump,
    )]
    pub maker_account: Box<Account<'info, Maker>>,

    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<ApproveMaker>, maker: Pubkey) -> Result<()> {
    require!(maker != Pubkey::default(), RewardsError::InvalidAuthority);
    let now = Clock::get()?.unix_timestamp;
    let account = &mut ctx.accounts.maker_account;
    account.bump = ctx.bumps.maker_account;
    account.key = maker;
    account.active = true;
    account.approved_at = now;
    emit_cpi!(MakerApproved {
        maker,
        timestamp: now,
    });
    Ok(())
}
