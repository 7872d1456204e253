use anchor_lang::compat::solana_instructions_sysvar as ix_sysvar;
use anchor_lang::prelude::*;
use depin_common::bps::Bps;

use crate::constants::{
    ED25519_PROGRAM_ID, ORACLE_SET_SEED, REWARDS_PROGRAM_ID, SLASH_RECORD_SEED,
};
use crate::error::StakingError;
use crate::events::SlashProposed;
use crate::math::slash::{SlashMessage, ed25519_signatures};
use crate::state::{OracleSetView, PendingSlash, Position, SlashRecord, StakingConfig};

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
/// sharing one copy of the message). The slash then waits out the appeal window; meanwhile the
/// position can neither start unlocking, unstake nor withdraw. The offence's `SlashRecord` is
/// created here: the same evidence is never proposed against the position again.
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
        seeds = [SLASH_RECORD_SEED, position.key().as_ref(), &args.evidence_hash],
        bump,
    )]
    pub slash_record: Box<Account<'info, SlashRecord>>,

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
        let (expected, _) = Pubkey::find_program_address(&[ORACLE_SET_SEED], &REWARDS_PROGRAM_ID);
        require_keys_eq!(
            self.oracle_set.key(),
            expected,
            StakingError::WrongOracleSet
        );
        Ok(())
    }
}

/// The oracle set keys that signed `message` in ed25519 instructions before this one.
fn signers(
    sysvar: &AccountInfo,
    set: &OracleSetView,
    message: &[u8],
) -> Result<(u16, Vec<Pubkey>)> {
    let current = ix_sysvar::load_current_index_checked(sysvar)?;
    let mut mask: u16 = 0;
    let mut keys = Vec::new();
    for index in 0..current {
        let ix = ix_sysvar::load_instruction_at_checked(usize::from(index), sysvar)?;
        if ix.program_id != ED25519_PROGRAM_ID {
            continue;
        }
        for (key, signed) in ed25519_signatures(&ix.data) {
            if signed != message {
                continue;
            }
            if let Some(seat) = set.voting_seat(&key)
                && mask & (1u16 << seat) == 0
            {
                mask |= 1u16 << seat;
                keys.push(Pubkey::new_from_array(key));
            }
        }
    }
    Ok((mask, keys))
}

pub fn handler(ctx: Context<ProposeSlash>, args: ProposeSlashArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let set = {
        let data = ctx.accounts.oracle_set.try_borrow_data()?;
        OracleSetView::parse(&data).ok_or(StakingError::WrongOracleSet)?
    };
    let position_key = ctx.accounts.position.key();
    let position = &mut ctx.accounts.position;
    let message = SlashMessage {
        domain: ctx.accounts.config.slash_domain,
        position: position_key.to_bytes(),
        amount_bps: args.amount_bps,
        evidence_hash: args.evidence_hash,
        set_version: set.set_version,
        slash_nonce: position.slash_nonce,
    }
    .to_bytes();
    let (mask, keys) = signers(&ctx.accounts.instructions.to_account_info(), &set, &message)?;
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
    require!(amount > 0, StakingError::ZeroAmount);
    let appeal =
        i64::try_from(ctx.accounts.config.appeal_secs).map_err(|_| StakingError::MathOverflow)?;
    let appeal_ends = now.checked_add(appeal).ok_or(StakingError::MathOverflow)?;
    let slash_nonce = position.slash_nonce;
    position.pending_slash = Some(PendingSlash {
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
        signers: keys,
        appeal_ends,
        timestamp: now,
    });
    Ok(())
}
