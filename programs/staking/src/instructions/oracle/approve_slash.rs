use anchor_lang::prelude::*;

use super::approvals::{check_oracle_set, keys, message, oracle_set, signers};
use crate::constants::{REWARDS_PROGRAM_ID, SLASH_APPROVAL_SEED};
use crate::error::StakingError;
use crate::events::SlashApproved;
use crate::instructions::ProposeSlashArgs;
use crate::state::{Position, SlashApproval, StakingConfig};

/// Anyone records oracle approvals of a slash, for a quorum whose signatures do not fit one
/// `propose_slash` transaction: each unslashed member of the rewards program's oracle set that
/// signed the slash message (the one `propose_slash` checks) in an ed25519 instruction earlier in
/// this transaction is added to the slash's `SlashApproval`; `propose_slash` then counts them
/// with its own. Approvals signed under an older oracle set version or slash nonce are dropped
/// first, so only signatures over the message the chain expects now accumulate.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: ProposeSlashArgs)]
pub struct ApproveSlash<'info> {
    /// Submits the approvals (any key) and pays the approval account's rent.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The staking config (`max_slash_bps`, `slash_domain`).
    pub config: Box<Account<'info, StakingConfig>>,

    /// The position to slash (its slash nonce is part of the message).
    pub position: Box<Account<'info, Position>>,

    /// CHECK: the rewards program's oracle set: owner is the rewards program (constraint),
    /// address its `["oracle_set"]` PDA and the bytes an `OracleSet` (both in `validate`).
    #[account(owner = REWARDS_PROGRAM_ID @ StakingError::WrongOracleSet)]
    pub oracle_set: UncheckedAccount<'info>,

    /// CHECK: the instructions sysvar (address checked); the ed25519 verifications are read
    /// from it.
    #[account(address = anchor_lang::compat::solana_instructions_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,

    /// The slash's approvals, `["slash_approval", position, evidence_hash, amount_bps_le]`.
    #[account(
        init_if_needed,
        payer = payer,
        space = 8 + SlashApproval::INIT_SPACE,
        seeds = [
            SLASH_APPROVAL_SEED,
            position.key().as_ref(),
            args.evidence_hash.as_ref(),
            &args.amount_bps.to_le_bytes(),
        ],
        bump,
    )]
    pub approval: Box<Account<'info, SlashApproval>>,

    pub system_program: Program<'info, System>,
}

impl ApproveSlash<'_> {
    /// Accounts: `payer` signs (any key); `config` and `position` by owner and type; `oracle_set`
    /// by its owner and here by its address; `approval` by its seeds. Args: `amount_bps` within
    /// the config's maximum.
    pub fn validate(&self, args: &ProposeSlashArgs) -> Result<()> {
        require!(
            args.amount_bps > 0 && args.amount_bps <= self.config.max_slash_bps,
            StakingError::InvalidSlashBps
        );
        check_oracle_set(&self.oracle_set.key())
    }
}

pub fn handler(ctx: Context<ApproveSlash>, args: ProposeSlashArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let set = oracle_set(&ctx.accounts.oracle_set)?;
    let position = ctx.accounts.position.key();
    let nonce = ctx.accounts.position.slash_nonce;
    let msg = message(&ctx.accounts.config, &position, nonce, &args, &set);
    let signed = signers(&ctx.accounts.instructions, &set, &msg)?;
    let approval = &mut ctx.accounts.approval;
    let held = set.voting(approval.current(set.set_version, nonce));
    let added = signed & !held;
    require!(added != 0, StakingError::NoNewSlashApproval);
    ***approval = SlashApproval {
        bump: ctx.bumps.approval,
        position,
        evidence_hash: args.evidence_hash,
        amount_bps: args.amount_bps,
        set_version: set.set_version,
        slash_nonce: nonce,
        approvals: held | added,
    };
    emit_cpi!(SlashApproved {
        position,
        evidence_hash: args.evidence_hash,
        amount_bps: args.amount_bps,
        set_version: set.set_version,
        slash_nonce: nonce,
        added: keys(&set, added),
        seats: held | added,
        threshold: set.threshold,
        timestamp: now,
    });
    Ok(())
}
