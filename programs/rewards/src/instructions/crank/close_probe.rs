use anchor_lang::prelude::*;

use crate::error::RewardsError;
use crate::state::{Probe, ProposalStatus, RootProposal};

/// Permissionless housekeeping: closes a probe once its proposal can no longer be disputed
/// (past its window, final, voided, or closed) and returns the rent to whoever opened it, and
/// an unearned demand deposit to whoever paid it. A probe whose demand is unanswered stays while its proposal is
/// posted: it is the evidence that keeps the root from becoming final.
#[derive(Accounts)]
pub struct CloseProbe<'info> {
    #[account(mut, close = opener)]
    pub probe: Box<Account<'info, Probe>>,

    /// CHECK: the probe's proposal (address checked); read if it still exists.
    #[account(address = probe.proposal @ RewardsError::WrongProbe)]
    pub proposal: UncheckedAccount<'info>,

    /// CHECK: receives the rent; must be the probe's opener.
    #[account(mut, address = probe.opener @ RewardsError::WrongProbe)]
    pub opener: UncheckedAccount<'info>,

    /// CHECK: the demander of an unearned demand deposit (required then, and must be the
    /// demand's `demander`): the deposit goes back to whoever paid it, not to the opener.
    #[account(mut)]
    pub demander: Option<UncheckedAccount<'info>>,
}

pub fn handler(ctx: Context<CloseProbe>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let info = &ctx.accounts.proposal;
    // A closed proposal (rent returned, no longer owned by this program) is settled.
    if info.owner == &crate::ID && !info.data_is_empty() {
        let data = info.try_borrow_data()?;
        let proposal = RootProposal::try_deserialize(&mut &data[..])?;
        let blocking =
            proposal.status == ProposalStatus::Posted && ctx.accounts.probe.demand.is_some();
        require!(
            !proposal.is_disputable(now) && !blocking,
            RewardsError::ProbeStillLive
        );
    }
    if let Some(demand) = ctx.accounts.probe.demand {
        let demander = ctx
            .accounts
            .demander
            .as_ref()
            .filter(|d| d.key() == demand.demander)
            .ok_or(RewardsError::WrongProbe)?;
        ctx.accounts.probe.sub_lamports(demand.deposit)?;
        demander.add_lamports(demand.deposit)?;
    }
    Ok(())
}
