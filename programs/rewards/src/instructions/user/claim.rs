use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenInterface, TransferChecked};

use crate::constants::{CLAIM_SEED, NETWORK_ADDRESS, NETWORK_SEED};
use crate::error::RewardsError;
use crate::events::Claimed;
use crate::instructions::shared::{check_destination, verify_and_record};
use crate::state::{ClaimRecord, Network};
use crate::types::ProofNode;

/// Arguments of `claim`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ClaimArgs {
    /// The wallet's cumulative lifetime amount in the latest final root.
    pub cumulative_amount: u64,
    /// The merkle-sum proof of `(wallet, cumulative_amount)`.
    pub proof: Vec<ProofNode>,
}

/// Anyone pays a wallet what the latest final root owes it: `cumulative_amount − claimed`. The
/// tokens go only to a token account the wallet owns, so auto-claim cranks are safe, and skipping
/// epochs costs nothing (the leaf is cumulative). The first claim creates the wallet's claim
/// record, paid for by `payer`.
#[event_cpi]
#[derive(Accounts)]
pub struct Claim<'info> {
    /// Sends the claim and pays the claim record's rent the first time (any key).
    #[account(mut)]
    pub payer: Signer<'info>,

    /// CHECK: any key; it is the leaf's wallet, proven by the merkle-sum proof, and must own
    /// `destination`. It does not sign.
    pub wallet: UncheckedAccount<'info>,

    // `dup`: the mutable accounts here are of distinct account types, so none can alias another;
    // it skips Anchor's duplicate-account check (a HashSet, ~1,900 CU).
    #[account(
        init_if_needed,
        dup,
        payer = payer,
        space = ClaimRecord::SIZE,
        seeds = [CLAIM_SEED, wallet.key().as_ref()],
        bump,
    )]
    pub claim_record: Box<Account<'info, ClaimRecord>>,

    #[account(
        mut,
        dup,
        address = NETWORK_ADDRESS @ RewardsError::WrongNetwork,
        has_one = mint @ RewardsError::WrongMint,
        has_one = rewards_vault @ RewardsError::WrongVault,
        constraint = network.token_program == token_program.key() @ RewardsError::WrongTokenProgram,
    )]
    pub network: Box<Account<'info, Network>>,

    /// CHECK: the network's mint (`has_one`). Its decimals are the network's, and the token
    /// program checks it against the vault and the destination.
    pub mint: UncheckedAccount<'info>,

    /// CHECK: the network's rewards vault (`has_one`); the token program checks the rest.
    #[account(mut)]
    pub rewards_vault: UncheckedAccount<'info>,

    /// CHECK: the wallet's token account for the network token. Its owner and mint are read from
    /// the token account layout (`check_destination`); the token program checks the rest.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,

    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<Claim>, args: ClaimArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let wallet = ctx.accounts.wallet.key();
    check_destination(
        &ctx.accounts.destination,
        &ctx.accounts.token_program.key(),
        &ctx.accounts.network.mint,
        &wallet,
    )?;
    let paid = verify_and_record(
        &mut ctx.accounts.network,
        &mut ctx.accounts.claim_record,
        ctx.bumps.claim_record,
        &wallet,
        &args,
    )?;

    let bump = [ctx.accounts.network.bump];
    let seeds: &[&[u8]] = &[NETWORK_SEED, &bump];
    token_interface::transfer_checked(
        CpiContext::new_with_signer(
            ctx.accounts.token_program.key(),
            TransferChecked {
                from: ctx.accounts.rewards_vault.to_account_info(),
                mint: ctx.accounts.mint.to_account_info(),
                to: ctx.accounts.destination.to_account_info(),
                authority: ctx.accounts.network.to_account_info(),
            },
            &[seeds],
        ),
        paid.amount,
        ctx.accounts.network.decimals,
    )?;

    emit_cpi!(Claimed {
        wallet,
        destination: ctx.accounts.destination.key(),
        amount: paid.amount,
        cumulative: args.cumulative_amount,
        epochs: paid.epochs,
        total_claimed: paid.total_claimed,
        timestamp: now,
    });
    Ok(())
}
