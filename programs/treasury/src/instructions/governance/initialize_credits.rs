use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, CreateAccount};
use anchor_spl::token_2022::spl_token_2022::extension::ExtensionType;
use anchor_spl::token_2022::spl_token_2022::state::Mint as MintState;
use anchor_spl::token_2022::{self, InitializeMint2, Token2022};
use anchor_spl::token_2022_extensions::{
    NonTransferableMintInitialize, PermanentDelegateInitialize, non_transferable_mint_initialize,
    permanent_delegate_initialize,
};

use crate::constants::{CREDITS_DECIMALS, CREDITS_SEED, TREASURY_SEED};
use crate::error::TreasuryError;
use crate::events::CreditsMintCreated;
use crate::state::Treasury;

/// Governance creates the service-credits mint: Token-2022 with the NonTransferable extension
/// (credits cannot be sold on) and the treasury PDA as mint authority and permanent delegate (so
/// `consume_credits` can burn what the service used). No freeze authority.
#[event_cpi]
#[derive(Accounts)]
pub struct InitializeCredits<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The treasury's governance authority.
    pub authority: Signer<'info>,

    #[account(
        mut,
        seeds = [TREASURY_SEED],
        bump = treasury.bump,
        has_one = authority @ TreasuryError::NotAuthority,
        constraint = treasury.credits_mint == Pubkey::default() @ TreasuryError::WrongCreditsMint,
    )]
    pub treasury: Box<Account<'info, Treasury>>,

    /// CHECK: the credits mint PDA `["credits"]`, created and initialised here (its seeds are
    /// checked; `create_account` fails if it already exists).
    #[account(mut, seeds = [CREDITS_SEED], bump)]
    pub credits_mint: UncheckedAccount<'info>,

    pub token_2022_program: Program<'info, Token2022>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InitializeCredits>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let space = ExtensionType::try_calculate_account_len::<MintState>(&[
        ExtensionType::NonTransferable,
        ExtensionType::PermanentDelegate,
    ])
    .map_err(|_| TreasuryError::MathOverflow)?;
    let bump = [ctx.bumps.credits_mint];
    let mint_seeds: [&[u8]; 2] = [CREDITS_SEED, &bump];
    let token_program = ctx.accounts.token_2022_program.to_account_info();
    let mint = ctx.accounts.credits_mint.to_account_info();
    let space_u64 = u64::try_from(space).map_err(|_| TreasuryError::MathOverflow)?;
    system_program::create_account(
        CpiContext::new_with_signer(
            ctx.accounts.system_program.key(),
            CreateAccount {
                from: ctx.accounts.payer.to_account_info(),
                to: mint.clone(),
            },
            &[&mint_seeds],
        ),
        Rent::get()?.minimum_balance(space),
        space_u64,
        &token_program.key(),
    )?;
    non_transferable_mint_initialize(CpiContext::new(
        token_program.key(),
        NonTransferableMintInitialize {
            token_program_id: token_program.clone(),
            mint: mint.clone(),
        },
    ))?;
    let treasury_key = ctx.accounts.treasury.key();
    permanent_delegate_initialize(
        CpiContext::new(
            token_program.key(),
            PermanentDelegateInitialize {
                token_program_id: token_program.clone(),
                mint: mint.clone(),
            },
        ),
        &treasury_key,
    )?;
    token_2022::initialize_mint2(
        CpiContext::new(token_program.key(), InitializeMint2 { mint: mint.clone() }),
        CREDITS_DECIMALS,
        &treasury_key,
        None,
    )?;

    let treasury = &mut ctx.accounts.treasury;
    treasury.credits_mint = mint.key();
    treasury.credits_bump = ctx.bumps.credits_mint;
    treasury.invariant()?;
    emit_cpi!(CreditsMintCreated {
        mint: mint.key(),
        credits_per_usd: treasury.credits_per_usd,
        timestamp: now,
    });
    Ok(())
}
