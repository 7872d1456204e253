//! The treasury transparency report: folds the program's events into totals an auditor, the CLI
//! and the web page show. Lives in the client library, not in the program crate: it is host-only.
//!
//! Events come from `emit_cpi!`: each is the data of an inner instruction to this program,
//! `EVENT_IX_TAG_LE || event discriminator || borsh fields`. `TreasuryEvent::decode` reads one.
use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AnchorDeserialize, Discriminator};

use treasury::events::{
    BuybackExecuted, ClaimBought, CreditsConsumed, CreditsMinted, OperationsSwept, RevenueReceived,
    StakersRouted,
};

/// The events that move value.
pub enum TreasuryEvent {
    Revenue(RevenueReceived),
    Buyback(BuybackExecuted),
    /// A claim's tokens bought from the buyback bucket and burned (`buy_claim`): a buyback.
    ClaimBought(ClaimBought),
    StakersRouted(StakersRouted),
    OperationsSwept(OperationsSwept),
    CreditsMinted(CreditsMinted),
    CreditsConsumed(CreditsConsumed),
}

impl TreasuryEvent {
    /// Decodes the data of an `emit_cpi!` inner instruction; `None` for anything else (other
    /// instructions, events that move no value).
    pub fn decode(ix_data: &[u8]) -> Option<Self> {
        let rest = ix_data.strip_prefix(anchor_lang::event::EVENT_IX_TAG_LE)?;
        fn parse<E: AnchorDeserialize + Discriminator>(rest: &[u8]) -> Option<E> {
            let mut body = rest.strip_prefix(E::DISCRIMINATOR)?;
            E::deserialize(&mut body).ok()
        }
        parse(rest)
            .map(Self::Revenue)
            .or_else(|| parse(rest).map(Self::Buyback))
            .or_else(|| parse(rest).map(Self::ClaimBought))
            .or_else(|| parse(rest).map(Self::StakersRouted))
            .or_else(|| parse(rest).map(Self::OperationsSwept))
            .or_else(|| parse(rest).map(Self::CreditsMinted))
            .or_else(|| parse(rest).map(Self::CreditsConsumed))
    }
}

/// Revenue and its uses in one stablecoin, in its base units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoinTotals {
    pub payments: u64,
    pub received: u128,
    pub to_buyback: u128,
    pub to_stakers: u128,
    pub to_operations: u128,
    /// Spent on buybacks (claims bought from the bucket included).
    pub bought_back: u128,
    pub routed_to_stakers: u128,
    pub swept_to_operations: u128,
}

/// One buyback, as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuybackLine {
    pub timestamp: i64,
    pub stable_mint: Pubkey,
    pub quote_spent: u64,
    pub tokens_burned: u64,
    /// The oracle bound checked against: mantissa x 10^exponent USD per token.
    pub price_bound: u64,
    pub price_exponent: i32,
    /// The wallet whose claim the bucket bought (`buy_claim`); `None` for a pool buyback.
    pub claimant: Option<Pubkey>,
}

/// The folded report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreasuryReport {
    /// Per stablecoin mint.
    pub coins: BTreeMap<Pubkey, CoinTotals>,
    /// Revenue per (reference, stablecoin mint).
    pub by_reference: BTreeMap<([u8; 32], Pubkey), u128>,
    pub buybacks: Vec<BuybackLine>,
    /// Network tokens burned by buybacks (claims bought included) and for credits.
    pub burned_by_buyback: u128,
    pub burned_for_credits: u128,
    pub credits_minted: u128,
    pub credits_consumed: u128,
    /// Network token supply after each burn, in event order: `(timestamp, supply)`.
    pub supply: Vec<(i64, u64)>,
}

impl TreasuryReport {
    /// Folds events in the order they happened.
    pub fn fold<I: IntoIterator<Item = TreasuryEvent>>(events: I) -> Self {
        let mut r = Self::default();
        for event in events {
            r.apply(event);
        }
        r
    }

    fn apply(&mut self, event: TreasuryEvent) {
        match event {
            TreasuryEvent::Revenue(e) => {
                let c = self.coins.entry(e.mint).or_default();
                c.payments += 1;
                c.received += u128::from(e.amount);
                c.to_buyback += u128::from(e.to_buyback);
                c.to_stakers += u128::from(e.to_stakers);
                c.to_operations += u128::from(e.to_operations);
                *self.by_reference.entry((e.reference, e.mint)).or_default() +=
                    u128::from(e.amount);
            }
            TreasuryEvent::Buyback(e) => {
                self.coins.entry(e.stable_mint).or_default().bought_back +=
                    u128::from(e.quote_spent);
                self.burned_by_buyback += u128::from(e.tokens_burned);
                self.supply.push((e.timestamp, e.supply_after));
                self.buybacks.push(BuybackLine {
                    timestamp: e.timestamp,
                    stable_mint: e.stable_mint,
                    quote_spent: e.quote_spent,
                    tokens_burned: e.tokens_burned,
                    price_bound: e.price_bound,
                    price_exponent: e.price_exponent,
                    claimant: None,
                });
            }
            TreasuryEvent::ClaimBought(e) => {
                self.coins.entry(e.stable_mint).or_default().bought_back +=
                    u128::from(e.stable_out);
                self.burned_by_buyback += u128::from(e.tokens_burned);
                self.supply.push((e.timestamp, e.supply_after));
                self.buybacks.push(BuybackLine {
                    timestamp: e.timestamp,
                    stable_mint: e.stable_mint,
                    quote_spent: e.stable_out,
                    tokens_burned: e.tokens_burned,
                    price_bound: e.price_bound,
                    price_exponent: e.price_exponent,
                    claimant: Some(e.claimant),
                });
            }
            TreasuryEvent::StakersRouted(e) => {
                self.coins.entry(e.mint).or_default().routed_to_stakers += u128::from(e.amount);
            }
            TreasuryEvent::OperationsSwept(e) => {
                self.coins.entry(e.mint).or_default().swept_to_operations += u128::from(e.amount);
            }
            TreasuryEvent::CreditsMinted(e) => {
                self.burned_for_credits += u128::from(e.tokens_burned);
                self.credits_minted += u128::from(e.credits);
                self.supply.push((e.timestamp, e.token_supply_after));
            }
            TreasuryEvent::CreditsConsumed(e) => {
                self.credits_consumed += u128::from(e.credits);
            }
        }
    }

    /// Stablecoin still held for a coin: received minus every use.
    pub fn held(&self, mint: &Pubkey) -> u128 {
        self.coins.get(mint).map_or(0, |c| {
            c.received - c.bought_back - c.routed_to_stakers - c.swept_to_operations
        })
    }
}
