//! **Test fixture, not part of the protocol.** The SBF toolchain conformance program: each
//! instruction exercises one thing the registry-only SBF chain must compile correctly (128-bit
//! and soft-float libcalls, stack arguments, large returns, vtables, memcpy/memmove, heap and
//! call depth, sysvars, syscalls, CPIs and Anchor's account machinery). The host test
//! (`tests/sbf-conformance/main.rs`) runs the same pure functions ([`cases`]) natively and compares
//! the results exactly.
//!
//! Results come back as Anchor return values, or, for the large batched cases, in an output
//! account owned by this program.
#![allow(unexpected_cfgs)]

// The registry-only SBF chain takes its i128 and soft-float libcalls from this crate.
#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

extern crate alloc;

use anchor_lang::prelude::*;
use anchor_lang::system_program::{Transfer, transfer};
use anchor_spl::token_interface::{
    self, Burn, Mint, MintTo, TokenAccount, TokenInterface, TransferChecked,
};

pub mod cases;

declare_id!("4revRMdv77GRfekHBKoHj79hSafMNYzKsWRsJqWVn8Hd");

/// The ed25519 signature-verification precompile.
pub const ED25519_PROGRAM_ID: Pubkey = pubkey!("Ed25519SigVerify111111111111111111111111111");
/// The instructions sysvar.
pub const INSTRUCTIONS_SYSVAR_ID: Pubkey = solana_instructions_sysvar::ID;

pub const VAULT_SEED: &[u8] = b"vault";
pub const RECORD_SEED: &[u8] = b"record";
pub const COUNTER_SEED: &[u8] = b"counter";
pub const AUTHORITY_SEED: &[u8] = b"authority";

/// Data lengths whose `Rent::minimum_balance` the `sysvars` instruction reports.
pub const RENT_LENS: [u64; 4] = [0, 1, 165, 10_240];

#[program]
pub mod sbf_conformance {
    use super::*;

    /// Runs inputs `start..start + count` of conformance case `case` (see [`cases::case`]),
    /// writes the records at the start of `output` and returns how many bytes it wrote.
    pub fn run_case(ctx: Context<RunCase>, case: u8, start: u32, count: u32) -> Result<u32> {
        let mut data = ctx.accounts.output.try_borrow_mut_data()?;
        let mut out = cases::Out::new(&mut data);
        cases::run(case, start, count, &mut out).map_err(ConformanceError::from)?;
        u32::try_from(out.len()).map_err(|_| error!(ConformanceError::OutputFull))
    }

    /// Rent, Clock and EpochSchedule as `Sysvar::get` sees them.
    #[allow(deprecated)]
    pub fn sysvars(_ctx: Context<Empty>) -> Result<SysvarsView> {
        let rent = Rent::get()?;
        let clock = Clock::get()?;
        let schedule = EpochSchedule::get()?;
        let mut minimum_balance = [0u64; 4];
        for (m, len) in minimum_balance.iter_mut().zip(RENT_LENS) {
            *m = rent.minimum_balance(
                usize::try_from(len).map_err(|_| error!(ConformanceError::OutOfRange))?,
            );
        }
        Ok(SysvarsView {
            lamports_per_byte_year: rent.lamports_per_byte_year,
            exemption_threshold_bits: rent.exemption_threshold.to_bits(),
            burn_percent: rent.burn_percent,
            minimum_balance,
            slot: clock.slot,
            epoch_start_timestamp: clock.epoch_start_timestamp,
            epoch: clock.epoch,
            leader_schedule_epoch: clock.leader_schedule_epoch,
            unix_timestamp: clock.unix_timestamp,
            slots_per_epoch: schedule.slots_per_epoch,
            leader_schedule_slot_offset: schedule.leader_schedule_slot_offset,
            warmup: schedule.warmup,
            first_normal_epoch: schedule.first_normal_epoch,
            first_normal_slot: schedule.first_normal_slot,
            epoch_of_clock_slot: schedule.get_epoch(clock.slot),
            first_slot_of_clock_epoch: schedule.get_first_slot_in_epoch(clock.epoch),
        })
    }

    /// Allocates `total` bytes on the heap in `chunk`-byte pieces; returns their checksum.
    pub fn heap(_ctx: Context<Empty>, total: u32, chunk: u32) -> Result<u64> {
        Ok(cases::heap_checksum(total, chunk))
    }

    /// Recurses `depth` frames deep.
    pub fn recurse(_ctx: Context<Empty>, depth: u32, seed: u64) -> Result<u64> {
        Ok(cases::recurse(depth, seed))
    }

    /// The `vault` PDA pays `amount` lamports to `recipient` through a system CPI it signs.
    pub fn pda_transfer(ctx: Context<PdaTransfer>, amount: u64) -> Result<()> {
        let bump = [ctx.bumps.vault];
        let seeds: &[&[u8]] = &[VAULT_SEED, &bump];
        let signer = &[seeds];
        transfer(
            CpiContext::new_with_signer(
                ctx.accounts.system_program.key(),
                Transfer {
                    from: ctx.accounts.vault.to_account_info(),
                    to: ctx.accounts.recipient.to_account_info(),
                },
                signer,
            ),
            amount,
        )
    }

    /// `init`: creates the payer's record with `len` bytes of `fill`.
    pub fn init_record(ctx: Context<InitRecord>, len: u32, fill: u8) -> Result<()> {
        let record = &mut ctx.accounts.record;
        record.owner = ctx.accounts.payer.key();
        record.bump = ctx.bumps.record;
        record.data = alloc::vec![fill; len as usize];
        Ok(())
    }

    /// `realloc`: resizes the record to hold `len` bytes, all set to `fill`.
    pub fn resize_record(ctx: Context<ResizeRecord>, len: u32, fill: u8) -> Result<()> {
        ctx.accounts.record.data = alloc::vec![fill; len as usize];
        Ok(())
    }

    /// `close`: closes the record, paying its lamports to `receiver`.
    pub fn close_record(_ctx: Context<CloseRecord>) -> Result<()> {
        Ok(())
    }

    /// `init_if_needed`: creates the counter on first use; increments it; returns the count.
    pub fn bump_counter(ctx: Context<BumpCounter>) -> Result<u64> {
        let counter = &mut ctx.accounts.counter;
        counter.count = counter
            .count
            .checked_add(1)
            .ok_or(ConformanceError::Overflow)?;
        counter.bump = ctx.bumps.counter;
        Ok(counter.count)
    }

    /// `emit!`: logs the event as "Program data: <base64>".
    pub fn emit_event(ctx: Context<Emit>, value: u64, tag: [u8; 8]) -> Result<()> {
        emit!(Pinged {
            who: ctx.accounts.signer.key(),
            value,
            tag,
            wide: value as u128 * 1000
        });
        Ok(())
    }

    /// `emit_cpi!`: the event as a self-CPI.
    pub fn emit_cpi_event(ctx: Context<EmitCpi>, value: u64, tag: [u8; 8]) -> Result<()> {
        emit_cpi!(Pinged {
            who: ctx.accounts.signer.key(),
            value,
            tag,
            wide: value as u128 * 1000
        });
        Ok(())
    }

    /// anchor-spl `mint_to`, signed by the `authority` PDA.
    pub fn token_mint_to(ctx: Context<TokenOps>, amount: u64) -> Result<()> {
        let bump = [ctx.bumps.authority];
        let seeds: &[&[u8]] = &[AUTHORITY_SEED, &bump];
        let signer = &[seeds];
        token_interface::mint_to(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.key(),
                MintTo {
                    mint: ctx.accounts.mint.to_account_info(),
                    to: ctx.accounts.source.to_account_info(),
                    authority: ctx.accounts.authority.to_account_info(),
                },
                signer,
            ),
            amount,
        )
    }

    /// anchor-spl `transfer_checked` from `source` (owned by the PDA) to `destination`.
    pub fn token_transfer_checked(ctx: Context<TokenOps>, amount: u64) -> Result<()> {
        let bump = [ctx.bumps.authority];
        let seeds: &[&[u8]] = &[AUTHORITY_SEED, &bump];
        let signer = &[seeds];
        token_interface::transfer_checked(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.key(),
                TransferChecked {
                    from: ctx.accounts.source.to_account_info(),
                    mint: ctx.accounts.mint.to_account_info(),
                    to: ctx.accounts.destination.to_account_info(),
                    authority: ctx.accounts.authority.to_account_info(),
                },
                signer,
            ),
            amount,
            ctx.accounts.mint.decimals,
        )
    }

    /// anchor-spl `burn` from `source`.
    pub fn token_burn(ctx: Context<TokenOps>, amount: u64) -> Result<()> {
        let bump = [ctx.bumps.authority];
        let seeds: &[&[u8]] = &[AUTHORITY_SEED, &bump];
        let signer = &[seeds];
        token_interface::burn(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.key(),
                Burn {
                    mint: ctx.accounts.mint.to_account_info(),
                    from: ctx.accounts.source.to_account_info(),
                    authority: ctx.accounts.authority.to_account_info(),
                },
                signer,
            ),
            amount,
        )
    }

    /// Reads the ed25519 instruction at index 0 through the instructions sysvar and returns the
    /// public key, signature and message it carries (single signature, all in that instruction).
    pub fn read_ed25519(ctx: Context<ReadEd25519>) -> Result<Ed25519Seen> {
        let sysvar = ctx.accounts.instructions.to_account_info();
        let current_index = solana_instructions_sysvar::load_current_index_checked(&sysvar)?;
        let ix = solana_instructions_sysvar::load_instruction_at_checked(0, &sysvar)?;
        require_keys_eq!(
            ix.program_id,
            ED25519_PROGRAM_ID,
            ConformanceError::NotEd25519
        );
        parse_ed25519(current_index, &ix.data)
    }

    /// Returns instruction `index` of this transaction as the instructions sysvar holds it.
    pub fn read_instruction(ctx: Context<ReadEd25519>, index: u16) -> Result<SeenInstruction> {
        let sysvar = ctx.accounts.instructions.to_account_info();
        let current_index = solana_instructions_sysvar::load_current_index_checked(&sysvar)?;
        let ix = solana_instructions_sysvar::load_instruction_at_checked(index as usize, &sysvar)?;
        Ok(SeenInstruction {
            current_index,
            program_id: ix.program_id,
            accounts: ix
                .accounts
                .iter()
                .map(|m| (m.pubkey, m.is_signer, m.is_writable))
                .collect(),
            data: ix.data,
        })
    }

    /// The parser `read_ed25519` uses, on ed25519 instruction bytes passed in directly.
    pub fn parse_ed25519_data(_ctx: Context<Empty>, data: Vec<u8>) -> Result<Ed25519Seen> {
        parse_ed25519(u16::MAX, &data)
    }
}

/// Parses a one-signature ed25519 instruction whose offsets all point into itself.
fn parse_ed25519(current_index: u16, data: &[u8]) -> Result<Ed25519Seen> {
    let bad = || error!(ConformanceError::BadEd25519Data);
    let num_signatures = *data.first().ok_or_else(bad)?;
    require_eq!(num_signatures, 1, ConformanceError::BadEd25519Data);
    let offsets = data.get(2..16).ok_or_else(bad)?;
    let field = |k: usize| u16::from_le_bytes([offsets[2 * k], offsets[2 * k + 1]]);
    let (sig_off, sig_ix, pk_off, pk_ix, msg_off, msg_len, msg_ix) = (
        field(0),
        field(1),
        field(2),
        field(3),
        field(4),
        field(5),
        field(6),
    );
    for ix in [sig_ix, pk_ix, msg_ix] {
        require_eq!(ix, u16::MAX, ConformanceError::BadEd25519Data);
    }
    let slice = |off: u16, len: usize| data.get(off as usize..off as usize + len).ok_or_else(bad);
    let pubkey: [u8; 32] = slice(pk_off, 32)?.try_into().map_err(|_| bad())?;
    let signature: [u8; 64] = slice(sig_off, 64)?.try_into().map_err(|_| bad())?;
    let message = slice(msg_off, msg_len as usize)?.to_vec();
    Ok(Ed25519Seen {
        current_index,
        num_signatures,
        pubkey: Pubkey::new_from_array(pubkey),
        signature,
        message,
    })
}

#[error_code]
pub enum ConformanceError {
    #[msg("unknown conformance case")]
    UnknownCase,
    #[msg("output account too small")]
    OutputFull,
    #[msg("input range out of bounds")]
    OutOfRange,
    #[msg("arithmetic overflow")]
    Overflow,
    #[msg("instruction 0 is not an ed25519 instruction")]
    NotEd25519,
    #[msg("malformed ed25519 instruction data")]
    BadEd25519Data,
}

impl From<cases::CaseError> for ConformanceError {
    fn from(e: cases::CaseError) -> Self {
        match e {
            cases::CaseError::UnknownCase => ConformanceError::UnknownCase,
            cases::CaseError::OutputFull => ConformanceError::OutputFull,
            cases::CaseError::OutOfRange => ConformanceError::OutOfRange,
        }
    }
}

/// What `sysvars` returns.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SysvarsView {
    pub lamports_per_byte_year: u64,
    pub exemption_threshold_bits: u64,
    pub burn_percent: u8,
    /// `Rent::minimum_balance` of each of [`RENT_LENS`].
    pub minimum_balance: [u64; 4],
    pub slot: u64,
    pub epoch_start_timestamp: i64,
    pub epoch: u64,
    pub leader_schedule_epoch: u64,
    pub unix_timestamp: i64,
    pub slots_per_epoch: u64,
    pub leader_schedule_slot_offset: u64,
    pub warmup: bool,
    pub first_normal_epoch: u64,
    pub first_normal_slot: u64,
    pub epoch_of_clock_slot: u64,
    pub first_slot_of_clock_epoch: u64,
}

/// What `read_ed25519` saw.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct Ed25519Seen {
    pub current_index: u16,
    pub num_signatures: u8,
    pub pubkey: Pubkey,
    pub signature: [u8; 64],
    pub message: Vec<u8>,
}

/// What `read_instruction` saw.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SeenInstruction {
    pub current_index: u16,
    pub program_id: Pubkey,
    /// (key, is_signer, is_writable) of each account.
    pub accounts: Vec<(Pubkey, bool, bool)>,
    pub data: Vec<u8>,
}

#[event]
#[derive(Debug, PartialEq, Eq)]
pub struct Pinged {
    pub who: Pubkey,
    pub value: u64,
    pub tag: [u8; 8],
    pub wide: u128,
}

#[account]
#[derive(Debug, PartialEq, Eq)]
pub struct Record {
    pub owner: Pubkey,
    pub bump: u8,
    pub data: Vec<u8>,
}

impl Record {
    /// Account size holding `len` data bytes: discriminator, owner, bump, Vec length, bytes.
    pub const fn space(len: u32) -> usize {
        8 + 32 + 1 + 4 + len as usize
    }
}

#[account]
#[derive(Debug, PartialEq, Eq)]
pub struct Counter {
    pub count: u64,
    pub bump: u8,
}

impl Counter {
    pub const SPACE: usize = 8 + 8 + 1;
}

#[derive(Accounts)]
pub struct Empty {}

#[derive(Accounts)]
pub struct RunCase<'info> {
    /// CHECK: any account this program owns; its data is overwritten with the records.
    #[account(mut, owner = crate::ID)]
    pub output: UncheckedAccount<'info>,
}

#[derive(Accounts)]
pub struct PdaTransfer<'info> {
    #[account(mut, seeds = [VAULT_SEED], bump)]
    pub vault: SystemAccount<'info>,
    #[account(mut)]
    pub recipient: SystemAccount<'info>,
    pub system_program: Program<'info, System>,
}

#[derive(Accounts)]
#[instruction(len: u32)]
pub struct InitRecord<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(init, payer = payer, space = Record::space(len), seeds = [RECORD_SEED, payer.key().as_ref()], bump)]
    pub record: Account<'info, Record>,
    pub system_program: Program<'info, System>,
}

#[derive(Accounts)]
#[instruction(len: u32)]
pub struct ResizeRecord<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(
        mut,
        seeds = [RECORD_SEED, payer.key().as_ref()],
        bump = record.bump,
        realloc = Record::space(len),
        realloc::payer = payer,
        realloc::zero = true,
    )]
    pub record: Account<'info, Record>,
    pub system_program: Program<'info, System>,
}

#[derive(Accounts)]
pub struct CloseRecord<'info> {
    pub payer: Signer<'info>,
    /// CHECK: only receives lamports.
    #[account(mut)]
    pub receiver: UncheckedAccount<'info>,
    #[account(mut, close = receiver, seeds = [RECORD_SEED, payer.key().as_ref()], bump = record.bump)]
    pub record: Account<'info, Record>,
}

#[derive(Accounts)]
pub struct BumpCounter<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(init_if_needed, payer = payer, space = Counter::SPACE, seeds = [COUNTER_SEED, payer.key().as_ref()], bump)]
    pub counter: Account<'info, Counter>,
    pub system_program: Program<'info, System>,
}

#[derive(Accounts)]
pub struct Emit<'info> {
    pub signer: Signer<'info>,
}

#[event_cpi]
#[derive(Accounts)]
pub struct EmitCpi<'info> {
    pub signer: Signer<'info>,
}

#[derive(Accounts)]
pub struct TokenOps<'info> {
    #[account(mut, mint::token_program = token_program)]
    pub mint: InterfaceAccount<'info, Mint>,
    /// CHECK: the PDA that is the mint authority and the owner of `source`; signs the CPIs.
    #[account(seeds = [AUTHORITY_SEED], bump)]
    pub authority: UncheckedAccount<'info>,
    #[account(mut, token::mint = mint, token::authority = authority, token::token_program = token_program)]
    pub source: InterfaceAccount<'info, TokenAccount>,
    #[account(mut, token::mint = mint, token::token_program = token_program)]
    pub destination: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

#[derive(Accounts)]
pub struct ReadEd25519<'info> {
    /// CHECK: the instructions sysvar (address checked).
    #[account(address = INSTRUCTIONS_SYSVAR_ID)]
    pub instructions: UncheckedAccount<'info>,
}
