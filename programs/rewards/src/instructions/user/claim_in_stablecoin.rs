use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenInterface, TransferChecked};
use depin_common::token::TokenAccountView;

use crate::constants::{
    CLAIM_SEED, NETWORK_ADDRESS, NETWORK_SEED, STABLE_CLAIM_AUTHORITY, TREASURY_PROGRAM_ID,
};
use crate::error::RewardsError;
use crate::events::ClaimedInStablecoin;
use crate::instructions::shared::verify_and_record;
use crate::instructions::user::claim::ClaimArgs;
use crate::state::{ClaimRecord, Network};
use crate::treasury_cpi::BuyClaimAccounts;

/// Arguments of `claim_in_stablecoin`: the claim, and the least stablecoin the wallet accepts.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ClaimInStablecoinArgs {
    pub claim: ClaimArgs,
    /// The least stablecoin (base units) the wallet accepts for the claim.
    pub min_stable_out: u64,
}

/// The wallet takes what the latest final root owes it (`cumulative_amount − claimed`, the same
/// proof and claim record as `claim`) in a stablecoin the treasury accepts: the rewards vault
/// pays the claimed tokens into that coin's `bought` account, and `treasury::buy_claim`, signed
/// by this program's `["stable_claim"]` PDA, pays the wallet from the coin's buyback bucket at
/// the lower of the oracle bound and the pinned pool's spot price and burns the tokens. Only the
/// wallet may send it: it chooses to sell.
#[event_cpi]
#[derive(Accounts)]
pub struct ClaimInStablecoin<'info> {
    /// The leaf's wallet, proven by the merkle-sum proof; signs, and pays the claim record's
    /// rent the first time.
    #[account(mut)]
    pub wallet: Signer<'info>,

    #[account(
        init_if_needed,
        payer = wallet,
        space = ClaimRecord::SIZE,
        seeds = [CLAIM_SEED, wallet.key().as_ref()],
        bump,
    )]
    pub claim_record: Box<Account<'info, ClaimRecord>>,

    #[account(
        mut,
        address = NETWORK_ADDRESS @ RewardsError::WrongNetwork,
        has_one = mint @ RewardsError::WrongMint,
        has_one = rewards_vault @ RewardsError::WrongVault,
        constraint = network.token_program == token_program.key() @ RewardsError::WrongTokenProgram,
    )]
    pub network: Box<Account<'info, Network>>,

    /// CHECK: the network's mint (`has_one`); the treasury burns the claim from it.
    #[account(mut)]
    pub mint: UncheckedAccount<'info>,

    /// CHECK: the network's rewards vault (`has_one`), the claim's source.
    #[account(mut)]
    pub rewards_vault: UncheckedAccount<'info>,

    /// CHECK: this program's `["stable_claim"]` PDA (address checked); it signs `buy_claim`.
    #[account(address = STABLE_CLAIM_AUTHORITY @ RewardsError::WrongStableClaimAuthority)]
    pub stable_claim_authority: UncheckedAccount<'info>,

    /// CHECK: the treasury config; the treasury checks it (and every account below).
    #[account(mut)]
    pub treasury: UncheckedAccount<'info>,

    /// CHECK: the coin's treasury ledger `["stablecoin", mint]`.
    #[account(mut)]
    pub stablecoin: UncheckedAccount<'info>,

    /// CHECK: the coin's treasury vault, which pays the wallet.
    #[account(mut)]
    pub stable_vault: UncheckedAccount<'info>,

    /// CHECK: the coin's mint.
    pub stable_mint: UncheckedAccount<'info>,

    /// CHECK: the wallet's token account of the coin (the treasury checks the wallet owns it);
    /// its balance is read before and after.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,

    /// CHECK: the coin's `bought` account (network token), which receives the claim for the
    /// treasury to burn.
    #[account(mut)]
    pub bought: UncheckedAccount<'info>,

    /// CHECK: the Pyth `PriceUpdateV2` the treasury reads.
    pub price_update: UncheckedAccount<'info>,

    /// CHECK: the coin's pinned pool reserves, read by the treasury for the spot price.
    pub pool_quote_reserve: UncheckedAccount<'info>,
    /// CHECK: as above.
    pub pool_token_reserve: UncheckedAccount<'info>,

    /// CHECK: the coin's token program (the treasury checks it against the ledger).
    pub stable_token_program: UncheckedAccount<'info>,

    pub token_program: Interface<'info, TokenInterface>,

    /// CHECK: the treasury's event authority; the treasury checks it.
    pub treasury_event_authority: UncheckedAccount<'info>,

    /// CHECK: the treasury program (address checked).
    #[account(address = TREASURY_PROGRAM_ID @ RewardsError::WrongTreasuryProgram)]
    pub treasury_program: UncheckedAccount<'info>,

    pub system_program: Program<'info, System>,
}

impl<'info> ClaimInStablecoin<'info> {
    /// The destination's balance (the treasury checks what it is; a short account reads as a
    /// wrong one).
    fn destination_balance(&self) -> Result<u64> {
        let data = self.destination.try_borrow_data()?;
        let account = TokenAccountView::from_bytes(&data).ok_or(RewardsError::NotATokenAccount)?;
        Ok(account.amount())
    }

    /// Pays `amount` from the rewards vault into the coin's `bought` account, the network PDA
    /// signing.
    fn move_to_bought(&self, amount: u64) -> Result<()> {
        let bump = [self.network.bump];
        let seeds: &[&[u8]] = &[NETWORK_SEED, &bump];
        token_interface::transfer_checked(
            CpiContext::new_with_signer(
                self.token_program.key(),
                TransferChecked {
                    from: self.rewards_vault.to_account_info(),
                    mint: self.mint.to_account_info(),
                    to: self.bought.to_account_info(),
                    authority: self.network.to_account_info(),
                },
                &[seeds],
            ),
            amount,
            self.network.decimals,
        )
    }

    /// `treasury::buy_claim` for `amount` tokens, signed by the stable-claim PDA.
    fn buy_claim(&self, amount: u64, min_stable_out: u64) -> Result<()> {
        BuyClaimAccounts {
            claim_authority: self.stable_claim_authority.to_account_info(),
            treasury: self.treasury.to_account_info(),
            stablecoin: self.stablecoin.to_account_info(),
            vault: self.stable_vault.to_account_info(),
            stable_mint: self.stable_mint.to_account_info(),
            claimant: self.wallet.to_account_info(),
            destination: self.destination.to_account_info(),
            network_mint: self.mint.to_account_info(),
            bought: self.bought.to_account_info(),
            price_update: self.price_update.to_account_info(),
            pool_quote_reserve: self.pool_quote_reserve.to_account_info(),
            pool_token_reserve: self.pool_token_reserve.to_account_info(),
            stable_token_program: self.stable_token_program.to_account_info(),
            network_token_program: self.token_program.to_account_info(),
            event_authority: self.treasury_event_authority.to_account_info(),
            program: self.treasury_program.to_account_info(),
        }
        .invoke(amount, min_stable_out)
    }
}

pub fn handler(ctx: Context<ClaimInStablecoin>, args: ClaimInStablecoinArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let wallet = ctx.accounts.wallet.key();
    let paid = verify_and_record(
        &mut ctx.accounts.network,
        &mut ctx.accounts.claim_record,
        ctx.bumps.claim_record,
        &wallet,
        &args.claim,
    )?;

    let a = &ctx.accounts;
    let before = a.destination_balance()?;
    a.move_to_bought(paid.amount)?;
    a.buy_claim(paid.amount, args.min_stable_out)?;
    let stable_out = a
        .destination_balance()?
        .checked_sub(before)
        .filter(|out| *out >= args.min_stable_out)
        .ok_or(RewardsError::StableOutBelowMinimum)?;

    emit_cpi!(ClaimedInStablecoin {
        wallet,
        destination: a.destination.key(),
        stable_mint: a.stable_mint.key(),
        amount: paid.amount,
        stable_out,
        cumulative: args.claim.cumulative_amount,
        epochs: paid.epochs,
        total_claimed: paid.total_claimed,
        timestamp: now,
    });
    Ok(())
}
