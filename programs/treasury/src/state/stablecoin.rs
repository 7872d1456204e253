use anchor_lang::prelude::*;

use crate::error::TreasuryError;

/// Revenue owed to each use, in the stablecoin's base units. The vault holds exactly their sum.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct Buckets {
    pub buyback: u64,
    pub stakers: u64,
    pub operations: u64,
}

impl Buckets {
    pub fn total(&self) -> Result<u64> {
        self.buyback
            .checked_add(self.stakers)
            .and_then(|t| t.checked_add(self.operations))
            .ok_or_else(|| error!(TreasuryError::MathOverflow))
    }
}

/// The AMM pool a stablecoin's buybacks must trade in, pinned by governance, so that a crank
/// cannot route the buyback through a pool of its own making. The buyback proves the trade by
/// the reserves: they must move by exactly what the treasury spent and received. All default:
/// no venue yet (every buyback is refused).
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct Venue {
    /// The pool (network token / this coin); it must be among the swap's accounts.
    pub pool: Pubkey,
    /// The pool's reserve of this coin: a buyback raises it by exactly what the vault spent.
    pub quote_reserve: Pubkey,
    /// The pool's reserve of the network token: a buyback lowers it by exactly what `bought`
    /// received.
    pub token_reserve: Pubkey,
}

impl Venue {
    /// No venue (all default keys), or three distinct non-default keys, none of them the coin's
    /// `vault` or `bought` account (a venue that names them could never pass the buyback's
    /// reserve check: refused when pinned rather than at every buyback).
    pub fn check(&self, vault: &Pubkey, bought: &Pubkey) -> Result<()> {
        if *self == Self::default() {
            return Ok(());
        }
        let keys = [self.pool, self.quote_reserve, self.token_reserve];
        let ok = keys
            .iter()
            .all(|k| *k != Pubkey::default() && k != vault && k != bought)
            && keys[0] != keys[1]
            && keys[0] != keys[2]
            && keys[1] != keys[2];
        require!(ok, TreasuryError::InvalidVenue);
        Ok(())
    }
}

/// An accepted stablecoin, its vault and its ledger. PDA `["stablecoin", mint]`; the authority of
/// its vault and of its `bought` account.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Stablecoin {
    /// Layout version (`STABLECOIN_VERSION`).
    pub version: u8,
    /// Canonical bumps of this PDA, the vault and the `bought` account.
    pub bump: u8,
    pub vault_bump: u8,
    pub bought_bump: u8,
    /// Governance may stop accepting new payments in this coin (buckets still drain).
    pub enabled: bool,
    pub decimals: u8,
    pub mint: Pubkey,
    /// SPL Token or Token-2022: the program owning `mint`.
    pub token_program: Pubkey,
    /// Token account PDA `["vault", mint]` holding every unit of revenue not yet spent.
    pub vault: Pubkey,
    /// Token account PDA `["bought", mint]` (network token) a buyback receives into and burns from.
    pub bought: Pubkey,
    /// Where the stakers' share goes: the staking program's revenue vault for this coin, or the
    /// default key when staking takes no revenue in this coin (the share then waits).
    pub stakers_destination: Pubkey,
    /// Where buybacks trade: the pinned pool and its two reserves.
    pub venue: Venue,
    /// The most a buyback may spend per buyback epoch, in base units.
    pub buyback_cap_per_epoch: u64,
    /// The epoch `spent_in_epoch` counts for.
    pub buyback_epoch: u64,
    pub spent_in_epoch: u64,
    pub buckets: Buckets,
    /// Lifetime totals, in base units: received = buckets + bought back + routed + swept.
    pub total_received: u64,
    pub total_bought_back: u64,
    pub total_routed_to_stakers: u64,
    pub total_swept_to_operations: u64,
    /// Payments recorded (customer and operator).
    pub payments: u64,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 64],
}

impl Stablecoin {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Checked after every change: not a unit is unaccounted for.
    pub fn invariant(&self) -> Result<()> {
        let out = self
            .buckets
            .total()?
            .checked_add(self.total_bought_back)
            .and_then(|t| t.checked_add(self.total_routed_to_stakers))
            .and_then(|t| t.checked_add(self.total_swept_to_operations))
            .ok_or(TreasuryError::MathOverflow)?;
        require!(
            out == self.total_received && self.spent_in_epoch <= self.buyback_cap_per_epoch,
            TreasuryError::InvariantViolated
        );
        Ok(())
    }
}

impl Stablecoin {
    /// Books `amount` of revenue into the buckets by `split` (dust to buyback). Returns the
    /// split and the buckets before the payment.
    pub fn record_payment(
        &mut self,
        split: &crate::math::RevenueSplit,
        amount: u64,
    ) -> Result<(crate::math::SplitAmounts, Buckets)> {
        require!(amount > 0, TreasuryError::ZeroAmount);
        require!(self.enabled, TreasuryError::StablecoinDisabled);
        let before = self.buckets;
        let parts = split.split(amount).ok_or(TreasuryError::MathOverflow)?;
        let add = |a: u64, b: u64| a.checked_add(b).ok_or(TreasuryError::MathOverflow);
        self.buckets.buyback = add(self.buckets.buyback, parts.buyback)?;
        self.buckets.stakers = add(self.buckets.stakers, parts.stakers)?;
        self.buckets.operations = add(self.buckets.operations, parts.operations)?;
        self.total_received = add(self.total_received, amount)?;
        self.payments = add(self.payments, 1)?;
        self.invariant()?;
        Ok((parts, before))
    }

    /// Moves `amount` out of the vault to `to`, signed by this ledger's PDA (`ledger` is its
    /// account). Shared by the routing and sweeping cranks.
    pub fn pay_out<'info>(
        &self,
        ledger: AccountInfo<'info>,
        vault: AccountInfo<'info>,
        mint: AccountInfo<'info>,
        to: AccountInfo<'info>,
        token_program: Pubkey,
        amount: u64,
    ) -> Result<()> {
        let seeds = self.signer_seeds();
        anchor_spl::token_interface::transfer_checked(
            CpiContext::new_with_signer(
                token_program,
                anchor_spl::token_interface::TransferChecked {
                    from: vault,
                    mint,
                    to,
                    authority: ledger,
                },
                &[&seeds],
            ),
            amount,
            self.decimals,
        )
    }

    /// The pinned pool's two reserves, `(quote, token)`: `quote` and `token` must be the venue's
    /// pinned reserve accounts (`WrongPoolReserve`), token accounts of this coin and of
    /// `network_mint` under their token programs (`WrongPoolReserve`). A coin without a venue
    /// quotes nothing (`NoPoolPrice`). The one place the pin is checked: the buyback reads the
    /// reserves through it before and after its swap, `buy_claim` once for the spot price.
    pub fn pinned_reserves(
        &self,
        quote: &AccountInfo,
        token: &AccountInfo,
        network_token_program: &Pubkey,
        network_mint: &Pubkey,
    ) -> Result<(u64, u64)> {
        require!(self.venue != Venue::default(), TreasuryError::NoPoolPrice);
        require!(
            quote.key() == self.venue.quote_reserve && token.key() == self.venue.token_reserve,
            TreasuryError::WrongPoolReserve
        );
        Ok((
            crate::token_data::reserve(quote, &self.token_program, &self.mint)?,
            crate::token_data::reserve(token, network_token_program, network_mint)?,
        ))
    }

    /// This buyback epoch's spending before a purchase of `amount` (0 in a new epoch), after
    /// checking the purchase fits the buyback bucket (`InsufficientBucket`) and the epoch's cap
    /// (`BuybackCapReached`). Shared by `buyback` and `buy_claim`, which count against one cap.
    pub fn buyback_budget(&self, epoch: u64, amount: u64) -> Result<u64> {
        require!(
            amount <= self.buckets.buyback,
            TreasuryError::InsufficientBucket
        );
        let spent_before = if self.buyback_epoch == epoch {
            self.spent_in_epoch
        } else {
            0
        };
        require!(
            spent_before
                .checked_add(amount)
                .is_some_and(|s| s <= self.buyback_cap_per_epoch),
            TreasuryError::BuybackCapReached
        );
        Ok(spent_before)
    }

    /// Books `spent` of the buyback bucket as bought back in `epoch` (whose spending was
    /// `spent_before`), and re-checks the invariant. Returns the epoch's spending after it.
    pub fn book_buyback(&mut self, spent: u64, epoch: u64, spent_before: u64) -> Result<u64> {
        let overflow = || error!(TreasuryError::MathOverflow);
        let spent_after = spent_before.checked_add(spent).ok_or_else(overflow)?;
        self.buckets.buyback = self
            .buckets
            .buyback
            .checked_sub(spent)
            .ok_or_else(overflow)?;
        self.total_bought_back = self
            .total_bought_back
            .checked_add(spent)
            .ok_or_else(overflow)?;
        self.buyback_epoch = epoch;
        self.spent_in_epoch = spent_after;
        self.invariant()?;
        Ok(spent_after)
    }

    /// Signer seeds of this PDA.
    pub fn signer_seeds(&self) -> [&[u8]; 3] {
        [
            crate::constants::STABLECOIN_SEED,
            self.mint.as_ref(),
            std::slice::from_ref(&self.bump),
        ]
    }
}
