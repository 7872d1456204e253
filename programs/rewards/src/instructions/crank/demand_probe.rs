use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Transfer};

use crate::constants::NETWORK_ADDRESS;
use crate::error::RewardsError;
use crate::state::{Demand, Network, Probe, ProbeSide, RootProposal};

/// Anyone who cannot get the posted tree (its files are missing or do not rebuild the root)
/// demands one leaf of it: the probe (opened at the root if nothing else is known) must be
/// walked to its leaf within a third of the proposal's dispute window, by the voters or anyone
/// holding the tree, who earns the deposit. An unanswered demand voids the root and slashes
/// every voter (`Evidence::Unanswered`), and the proposal cannot become final while one is open.
/// Demands are taken in the first third of the window only, so after every deadline a third of
/// the window remains to prove what the answer revealed; and only while the root's epoch is not
/// final (another root of the epoch became final: this one never will). An older set's root
/// still takes demands: withholding stays slashable after a rotation, so rotated-out oracles keep
/// answering until `OracleSet::retired_until`. The deposit doubles with every
/// `DEMAND_DOUBLING` demands open on the root; the demander names the most it will deposit
/// (`max_deposit`), since anyone can raise the price by opening demands.
#[derive(Accounts)]
pub struct DemandProbe<'info> {
    /// Pays the deposit.
    #[account(mut)]
    pub demander: Signer<'info>,

    #[account(address = NETWORK_ADDRESS @ RewardsError::WrongNetwork)]
    pub network: Box<Account<'info, Network>>,

    #[account(mut, address = probe.proposal @ RewardsError::WrongProbe)]
    pub proposal: Box<Account<'info, RootProposal>>,

    #[account(mut)]
    pub probe: Box<Account<'info, Probe>>,

    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<DemandProbe>, max_deposit: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let probe = &ctx.accounts.probe;
    require!(
        probe.side == ProbeSide::Posted && probe.leaf.is_none() && probe.demand.is_none(),
        RewardsError::CannotDemand
    );
    let proposal = &ctx.accounts.proposal;
    let deadline = proposal
        .demand_deadline(now)
        .ok_or(RewardsError::CannotDemand)?;
    require!(
        proposal.epoch >= ctx.accounts.network.final_root.epochs,
        RewardsError::NeverFinal
    );
    let deposit = proposal
        .demand_deposit()
        .ok_or(RewardsError::TooManyDemands)?;
    // Anyone may raise the price by opening demands (the voters of a withheld root too, who
    // answer their own and get the deposits back): the demander names its limit.
    require!(deposit <= max_deposit, RewardsError::DepositAboveMax);
    system_program::transfer(
        CpiContext::new(
            ctx.accounts.system_program.key(),
            Transfer {
                from: ctx.accounts.demander.to_account_info(),
                to: ctx.accounts.probe.to_account_info(),
            },
        ),
        deposit,
    )?;
    ctx.accounts.probe.demand = Some(Demand {
        demander: ctx.accounts.demander.key(),
        deadline,
        deposit,
    });
    let proposal = &mut ctx.accounts.proposal;
    proposal.open_demands = proposal
        .open_demands
        .checked_add(1)
        .ok_or(RewardsError::MathOverflow)?;
    Ok(())
}
