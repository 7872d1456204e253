use anchor_lang::prelude::*;

use crate::constants::VOTER_WEIGHT_RECORD_SEED;
use crate::events::VoterWeightRecordCreated;
use crate::state::VoterWeightRecord;

/// Arguments of `create_voter_weight_record`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct CreateVoterWeightRecordArgs {
    /// The realm (spl-governance DAO) that uses this program as its voter-weight addin.
    pub realm: Pubkey,
    /// The realm's governing token mint the weight is for.
    pub governing_token_mint: Pubkey,
    /// The voter: the owner whose positions count.
    pub governing_token_owner: Pubkey,
}

/// Anyone creates the spl-governance voter-weight record of a voter for a realm, PDA
/// `["voter_weight_record", realm, governing_token_mint, governing_token_owner]`, with a zero
/// weight. `update_voter_weight_record` fills it in the voting transaction.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: CreateVoterWeightRecordArgs)]
pub struct CreateVoterWeightRecord<'info> {
    /// Pays the record's rent.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The record, created here at its PDA.
    #[account(
        init,
        payer = payer,
        space = VoterWeightRecord::SIZE,
        seeds = [
            VOTER_WEIGHT_RECORD_SEED,
            args.realm.as_ref(),
            args.governing_token_mint.as_ref(),
            args.governing_token_owner.as_ref(),
        ],
        bump,
    )]
    pub voter_weight_record: Box<Account<'info, VoterWeightRecord>>,

    /// Creates the record.
    pub system_program: Program<'info, System>,
}

pub fn handler(
    ctx: Context<CreateVoterWeightRecord>,
    args: CreateVoterWeightRecordArgs,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    ctx.accounts
        .voter_weight_record
        .set_inner(VoterWeightRecord {
            realm: args.realm,
            governing_token_mint: args.governing_token_mint,
            governing_token_owner: args.governing_token_owner,
            voter_weight: 0,
            voter_weight_expiry: Some(0),
            weight_action: None,
            weight_action_target: None,
            reserved: [0; 8],
        });
    emit_cpi!(VoterWeightRecordCreated {
        record: ctx.accounts.voter_weight_record.key(),
        realm: args.realm,
        governing_token_mint: args.governing_token_mint,
        governing_token_owner: args.governing_token_owner,
        timestamp: now,
    });
    Ok(())
}
