use anchor_lang::prelude::*;

use crate::constants::{MAX_PROBE_STEP, PROBE_SEED, PROPOSAL_SEED};
use crate::error::RewardsError;
use crate::instructions::shared::probe_step;
use crate::state::{Probe, ProbeSide, RootProposal};
use crate::types::{MerkleNode, ProbeTarget};

/// Arguments of `open_probe`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct OpenProbeArgs {
    /// Which of the proposal's trees: the base (final) root it extends, or its own.
    pub side: ProbeSide,
    /// The leaf whose path the probe follows.
    pub index: u64,
    /// The node proven, on that path.
    pub target: ProbeTarget,
    /// The siblings from the target up to the root, bottom first, without sides (they follow
    /// from the index and the leaf count); at most `MAX_PROBE_STEP`.
    pub path: Vec<MerkleNode>,
}

/// Anyone, during a proposal's dispute window, starts a probe on one of its trees: proves a node
/// on the path of leaf `index` against the tree's root. Deep trees take further
/// `extend_probe` steps, each small enough for one transaction (docs/fraud-proofs.md).
#[derive(Accounts)]
#[instruction(args: OpenProbeArgs)]
pub struct OpenProbe<'info> {
    /// Pays the probe's rent, returned by `close_probe`.
    #[account(mut)]
    pub opener: Signer<'info>,

    #[account(
        seeds = [
            PROPOSAL_SEED,
            &proposal.epoch.to_le_bytes(),
            &proposal.set_version.to_le_bytes(),
            &proposal.round.to_le_bytes(),
            &proposal.root,
            &proposal.total.to_le_bytes(),
            &proposal.leaves.to_le_bytes(),
            &proposal.manifest_hash,
        ],
        bump = proposal.bump,
    )]
    pub proposal: Box<Account<'info, RootProposal>>,

    #[account(
        init,
        payer = opener,
        space = Probe::SIZE,
        seeds = [
            PROBE_SEED,
            proposal.key().as_ref(),
            &[args.side.seed()],
            &args.index.to_le_bytes(),
        ],
        bump,
    )]
    pub probe: Box<Account<'info, Probe>>,

    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<OpenProbe>, args: OpenProbeArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let proposal = &ctx.accounts.proposal;
    require!(proposal.is_disputable(now), RewardsError::NotDisputable);
    require!(
        args.path.len() <= MAX_PROBE_STEP,
        RewardsError::ProofTooDeep
    );
    let (root, leaves) = proposal.tree(args.side);
    let height = merkle_sum::height(leaves).ok_or(RewardsError::FraudNotInRoot)?;
    let (level, node, leaf) = args.target.resolve();
    if level < height {
        probe_step(
            &root,
            height,
            (node, leaf.is_some()),
            level,
            args.index,
            leaves,
            &args.path,
        )?;
    } else {
        // The root itself (a one-leaf tree's leaf is its root).
        require!(
            level == height && node == root && args.path.is_empty() && args.index < leaves,
            RewardsError::FraudNotInRoot
        );
    }
    ctx.accounts.probe.set_inner(Probe {
        bump: ctx.bumps.probe,
        proposal: proposal.key(),
        side: args.side,
        index: args.index,
        opener: ctx.accounts.opener.key(),
        level: u8::try_from(level).map_err(|_| RewardsError::FraudNotInRoot)?,
        node: node.into(),
        leaf,
        demand: None,
    });
    Ok(())
}
