use anchor_lang::compat::solana_instructions_sysvar as ix_sysvar;
use anchor_lang::prelude::*;
use depin_common::bps::Bps;

use super::approvals::{check_oracle_set, keys, message, oracle_set, signers};
use crate::constants::{REWARDS_PROGRAM_ID, SLASH_APPROVAL_SEED, SLASH_RECORD_SEED};
use crate::error::StakingError;
use crate::events::SlashProposed;
use crate::state::{PendingSlash, Position, SlashApproval, SlashRecord, StakingConfig};

/// Arguments of `propose_slash`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposeSlashArgs {
    /// Fraction of the position's tokens (locked plus cooling) to burn, in bps: 1 to the
    /// config's `max_slash_bps`.
    pub amount_bps: u16,
    /// Hash of the published proof of the provider's fault.
    pub evidence_hash: [u8; 32],
}

/// Anyone submits a slash approved by the rewards program's oracle quorum: at least
/// `threshold` distinct, unslashed members of its oracle set signed the slash message
/// (`math::slash::SlashMessage`, which binds this program, the position, the fraction, the
/// evidence hash, the oracle set version and the position's slash nonce), each verified by an
/// ed25519 precompile instruction earlier in the same transaction (one signature each, or several
/// sharing one copy of the message) or recorded earlier by `approve_slash` (the optional
/// `approval`, closed here). The slash then waits out the appeal window; meanwhile the
/// position can neither start unlocking, unstake nor withdraw. The offence's `SlashRecord` is
/// created here: the same evidence is never proposed against the position again. A slash of
/// nothing (the fraction of the position's tokens floors to 0) records the offence and leaves
/// nothing pending (`SlashProposed::amount` 0, `appeal_ends` now).
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: ProposeSlashArgs)]
pub struct ProposeSlash<'info> {
    /// Submits the approved slash (any key) and pays the slash record's rent.
    #[account(mut)]
    pub proposer: Signer<'info>,

    /// The staking config (`max_slash_bps`, `appeal_secs`).
    pub config: Box<Account<'info, StakingConfig>>,

    /// The position to slash.
    #[account(mut)]
    pub position: Box<Account<'info, Position>>,

    /// CHECK: the rewards program's oracle set: owner is the rewards program (constraint),
    /// address is its `["oracle_set"]` PDA and the bytes carry the `OracleSet` discriminator
    /// (both in `validate`).
    #[account(owner = REWARDS_PROGRAM_ID @ StakingError::WrongOracleSet)]
    pub oracle_set: UncheckedAccount<'info>,

    /// CHECK: the instructions sysvar (address checked); the ed25519 verifications are read
    /// from it.
    #[account(address = ix_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,

    /// The offence's record, `["slash", position, evidence_hash]`: created here; one that
    /// already holds a proposal is refused (`SlashAlreadyProposed`, in `validate`).
    #[account(
        init_if_needed,
        payer = proposer,
        space = 8 + SlashRecord::INIT_SPACE,
        seeds = [SLASH_RECORD_SEED, position.key().as_ref(), args.evidence_hash.as_ref()],
        bump,
    )]
    pub slash_record: Box<Account<'info, SlashRecord>>,

    /// The approvals `approve_slash` recorded for this slash (position, evidence and amount), if
    /// the quorum's signatures did not fit this transaction. Closed here; its rent goes to the
    /// proposer.
    #[account(
        mut,
        close = proposer,
        seeds = [
            SLASH_APPROVAL_SEED,
            position.key().as_ref(),
            args.evidence_hash.as_ref(),
            &args.amount_bps.to_le_bytes(),
        ],
        bump = approval.bump,
    )]
    pub approval: Option<Box<Account<'info, SlashApproval>>>,

    pub system_program: Program<'info, System>,
}

impl ProposeSlash<'_> {
    /// Accounts: `proposer` signs (any key); `config` and `position` are identified by owner and type (only `initialize_staking` and `stake` create those types, each at its PDA, so seeds are not re-derived: 1,500 CU each);
    /// `oracle_set` by its owner and here by its address; `instructions` by its address;
    /// `slash_record` by its seeds. Args: `amount_bps` within the config's maximum. State: no
    /// slash already pending, and none ever proposed with this evidence against this position.
    pub fn validate(&self, args: &ProposeSlashArgs) -> Result<()> {
        require!(
            args.amount_bps > 0 && args.amount_bps <= self.config.max_slash_bps,
            StakingError::InvalidSlashBps
        );
        require!(
            self.position.pending_slash.is_none(),
            StakingError::SlashPending
        );
        require!(
            self.slash_record.position == Pubkey::default(),
            StakingError::SlashAlreadyProposed
        );
        check_oracle_set(&self.oracle_set.key())
    }
}

pub fn handler(ctx: Context<ProposeSlash>, args: ProposeSlashArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let set = oracle_set(&ctx.accounts.oracle_set)?;
    let position_key = ctx.accounts.position.key();
    let position = &mut ctx.accounts.position;
    let msg = message(
        &ctx.accounts.config,
        &position_key,
        position.slash_nonce,
        &args,
        &set,
    );
    let recorded = ctx
        .accounts
        .approval
        .as_ref()
        .map_or(0, |a| a.current(set.set_version, position.slash_nonce));
    let mask = set.voting(signers(&ctx.accounts.instructions, &set, &msg)? | recorded);
    require!(
        mask.count_ones() >= u32::from(set.threshold),
        StakingError::NotEnoughOracleSignatures
    );

    let tokens = position
        .amount
        .checked_add(position.cooling)
        .ok_or(StakingError::MathOverflow)?;
    let share = Bps::share(args.amount_bps).ok_or(StakingError::InvalidSlashBps)?;
    let amount = share.apply(tokens).ok_or(StakingError::MathOverflow)?;
    // A slash of nothing (an empty position, or a fraction that floors to 0) still records the
    // offence as done, so the position's later findings can follow; nothing is pending.
    let appeal_ends = if amount == 0 {
        now
    } else {
        i64::try_from(ctx.accounts.config.appeal_secs)
            .ok()
            .and_then(|appeal| now.checked_add(appeal))
            .ok_or(StakingError::MathOverflow)?
    };
    let slash_nonce = position.slash_nonce;
    position.pending_slash = (amount > 0).then_some(PendingSlash {
        amount_bps: args.amount_bps,
        amount,
        evidence_hash: args.evidence_hash,
        set_version: set.set_version,
        proposed_at: now,
        appeal_ends,
    });
    position.slash_nonce = slash_nonce
        .checked_add(1)
        .ok_or(StakingError::MathOverflow)?;
    let record = &mut ctx.accounts.slash_record;
    record.bump = ctx.bumps.slash_record;
    record.position = position_key;
    record.evidence_hash = args.evidence_hash;
    record.slash_nonce = slash_nonce;
    record.amount_bps = args.amount_bps;
    record.proposed_at = now;
    position.invariant()?;
    let owner = position.owner;

    emit_cpi!(SlashProposed {
        position: position_key,
        owner,
        amount_bps: args.amount_bps,
        amount,
        tokens,
        evidence_hash: args.evidence_hash,
        set_version: set.set_version,
        slash_nonce,
        signers: keys(&set, mask),
        appeal_ends,
        timestamp: now,
    });
    Ok(())
}
