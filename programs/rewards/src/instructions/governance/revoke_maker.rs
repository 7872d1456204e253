use anchor_lang::prelude::*;

use crate::constants::{MAKER_SEED, NETWORK_ADDRESS};
use crate::error::RewardsError;
use crate::events::MakerRevoked;
use crate::state::{Maker, Network};

/// Governance revokes a maker: it can no longer co-sign onboardings. Devices it already
/// onboarded stay registered.
#[event_cpi]
#[derive(Accounts)]
pub struct RevokeMaker<'info> {
    pub authority: Signer<'info>,

    #[account(
        address = NETWORK_ADDRESS @ RewardsError::WrongNetwork,
        has_one = authority @ RewardsError::NotAuthority,
    )]
    pub network: Box<Account<'info, Network>>,

    #[account(
        mut,
        seeds = [MAKER_SEED, maker_account.key.as_ref()],
        bump = maker_account.bump,
    )]
    pub maker_account: Box<Account<'info, Maker>>,
}

pub fn handler(ctx: Context<RevokeMaker>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let account = &mut ctx.accounts.maker_account;
    require!(account.active, RewardsError::MakerNotActive);
    account.active = false;
    emit_cpi!(MakerRevoked {
        maker: account.key,
        timestamp: now,
    });
    Ok(())
}
