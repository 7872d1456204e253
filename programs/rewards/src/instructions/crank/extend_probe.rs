use anchor_lang::prelude::*;

use crate::constants::MAX_PROBE_STEP;
use crate::error::RewardsError;
use crate::instructions::shared::probe_step;
use crate::state::{Probe, RootProposal};
use crate::types::{MerkleNode, ProbeTarget};

/// Arguments of `extend_probe`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ExtendProbeArgs {
    /// The lower node proven, on the probe's path.
    pub target: ProbeTarget,
    /// The siblings from the target up to the probe's current node, bottom first; at most
    /// `MAX_PROBE_STEP`.
    pub path: Vec<MerkleNode>,
}

/// Anyone, during the proposal's dispute window, moves a probe down its path: proves a lower
/// node (or the leaf, with its wallet and amount) against the probe's current node. The step
/// that reaches the leaf of a demanded probe answers the demand and earns its deposit.
#[derive(Accounts)]
pub struct ExtendProbe<'info> {
    /// Any key: the path of an index is unique, so nobody can steer a probe off it. Receives a
    /// demand's deposit if this step answers it.
    #[account(mut)]
    pub signer: Signer<'info>,

    #[account(mut, address = probe.proposal @ RewardsError::WrongProbe)]
    pub proposal: Box<Account<'info, RootProposal>>,

    #[account(mut)]
    pub probe: Box<Account<'info, Probe>>,
}

pub fn handler(ctx: Context<ExtendProbe>, args: ExtendProbeArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let proposal = &ctx.accounts.proposal;
    require!(proposal.is_disputable(now), RewardsError::NotDisputable);
    require!(
        args.path.len() <= MAX_PROBE_STEP,
        RewardsError::ProofTooDeep
    );
    let probe = &mut ctx.accounts.probe;
    // A probe at its leaf is done: nothing may move it (or clear its leaf) before a proof.
    require!(probe.leaf.is_none(), RewardsError::ProbeAtLeaf);
    // A demand answered past its deadline is not answered: it is `Unanswered` evidence.
    require!(
        probe.demand.is_none_or(|d| now < d.deadline),
        RewardsError::DemandExpired
    );
    let (_, leaves) = proposal.tree(probe.side);
    let (level, node, leaf) = args.target.resolve();
    probe_step(
        &probe.node.into(),
        u32::from(probe.level),
        (node, leaf.is_some()),
        level,
        probe.index,
        leaves,
        &args.path,
    )?;
    probe.level = u8::try_from(level).map_err(|_| RewardsError::FraudNotInRoot)?;
    probe.node = node.into();
    probe.leaf = leaf;
    if probe.leaf.is_some()
        && let Some(demand) = probe.demand.take()
    {
        let proposal = &mut ctx.accounts.proposal;
        proposal.open_demands = proposal
            .open_demands
            .checked_sub(1)
            .ok_or(RewardsError::MathOverflow)?;
        ctx.accounts.probe.sub_lamports(demand.deposit)?;
        ctx.accounts.signer.add_lamports(demand.deposit)?;
    }
    Ok(())
}
