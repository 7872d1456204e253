use anchor_lang::prelude::*;

use crate::error::StakingError;
use crate::events::SlashOverturned;
use crate::state::{Position, StakingConfig};

/// Governance overturns a pending slash during its appeal window (the appeal succeeded). The
/// signatures that approved it cannot be used again: the slash nonce has moved on.
#[event_cpi]
#[derive(Accounts)]
pub struct OverturnSlash<'info> {
    /// The config's authority (governance).
    pub authority: Signer<'info>,

    /// The staking config.
    #[account(
        has_one = authority @ StakingError::NotAuthority,
    )]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The position with the pending slash.
    #[account(mut)]
    pub position: Box<Account<'info, Position>>,
}

impl OverturnSlash<'_> {
    /// Accounts: `authority` signs and is the config's (`has_one`); `position` is checked by its
    /// seeds. State: a slash is pending and its appeal window is open.
    pub fn validate(&self) -> Result<()> {
        let slash = self
            .position
            .pending_slash
            .ok_or(StakingError::NoPendingSlash)?;
        let now = Clock::get()?.unix_timestamp;
        require!(now < slash.appeal_ends, StakingError::AppealWindowClosed);
        Ok(())
    }
}

pub fn handler(ctx: Context<OverturnSlash>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let position = &mut ctx.accounts.position;
    let slash = position
        .pending_slash
        .take()
        .ok_or(StakingError::NoPendingSlash)?;
    // Nothing could leave while the slash was pending: the cooldown resumes where it stood, so
    // an overturn does not open the way out ahead of the position's next finding.
    let pending_secs = now.saturating_sub(slash.proposed_at).max(0);
    position.cooldown_end = position
        .cooldown_end
        .checked_add(pending_secs)
        .ok_or(StakingError::MathOverflow)?;
    position.invariant()?;
    let cooldown_end = position.cooldown_end;
    emit_cpi!(SlashOverturned {
        position: ctx.accounts.position.key(),
        amount: slash.amount,
        evidence_hash: slash.evidence_hash,
        authority: ctx.accounts.authority.key(),
        cooldown_end,
        timestamp: now,
    });
    Ok(())
}
