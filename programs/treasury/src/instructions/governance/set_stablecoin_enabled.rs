use anchor_lang::prelude::*;

use crate::constants::TREASURY_ADDRESS;
use crate::error::TreasuryError;
use crate::events::StablecoinEnabledChanged;
use crate::state::{Stablecoin, Treasury};

/// Governance stops (or resumes) accepting payments in a stablecoin, at once: a depegged or
/// compromised coin must not wait out the timelock. Its buckets still drain through buyback,
/// routing and sweeping.
#[event_cpi]
#[derive(Accounts)]
pub struct SetStablecoinEnabled<'info> {
    /// The treasury's governance authority.
    pub authority: Signer<'info>,

    /// The treasury config, at its PDA `["treasury"]`.
    #[account(address = TREASURY_ADDRESS, has_one = authority @ TreasuryError::NotAuthority)]
    pub treasury: Box<Account<'info, Treasury>>,

    /// The coin's ledger, PDA `["stablecoin", mint]` (only `add_stablecoin` creates these).
    #[account(mut)]
    pub stablecoin: Box<Account<'info, Stablecoin>>,
}

pub fn handler(ctx: Context<SetStablecoinEnabled>, enabled: bool) -> Result<()> {
    let stablecoin = &mut ctx.accounts.stablecoin;
    let before = stablecoin.enabled;
    stablecoin.enabled = enabled;
    stablecoin.invariant()?;
    emit_cpi!(StablecoinEnabledChanged {
        mint: stablecoin.mint,
        enabled_before: before,
        enabled_after: enabled,
        timestamp: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
