use anchor_lang::prelude::*;
use depin_common::timelock;

use crate::constants::{
    MAX_BUYBACK_EPOCH_SECS, MAX_CONF_CAP_BPS, MAX_CONF_MULTIPLE_BPS, MAX_PRICE_AGE_CAP_SECS,
    MAX_SLIPPAGE_CAP_BPS, MIN_BUYBACK_EPOCH_SECS,
};
use crate::error::TreasuryError;
use crate::math::RevenueSplit;

/// The revenue split as stored: basis points that add up to exactly 10,000.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitBps {
    /// Share for buyback and burn; also receives the rounding dust.
    pub buyback_bps: u16,
    /// Share routed to the staking program's revenue accumulator.
    pub stakers_bps: u16,
    /// Share for operations.
    pub operations_bps: u16,
}

impl SplitBps {
    /// The checked split, or `InvalidSplit`.
    pub fn checked(&self) -> Result<RevenueSplit> {
        RevenueSplit::new(self.buyback_bps, self.stakers_bps, self.operations_bps)
            .ok_or_else(|| error!(TreasuryError::InvalidSplit))
    }
}

/// How the treasury reads the network token's price (a Pyth `PriceUpdateV2`, token/USD).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceConfig {
    /// The pinned Pyth feed id (token/USD); an update for any other feed is refused.
    pub feed_id: [u8; 32],
    /// The oldest `publish_time` accepted, in seconds before now (1..=3600).
    pub max_age_secs: u64,
    /// The widest EMA confidence accepted, in bps of the EMA price (<= 1,000).
    pub max_conf_bps: u16,
    /// `k`: the price used is EMA - k x EMA confidence, with k in bps (10,000 = 1; <= 50,000).
    pub conf_multiple_bps: u32,
    /// How far below the bound's value the buyback's output may fall, in bps (<= 2,000).
    pub max_slippage_bps: u16,
}

impl PriceConfig {
    pub fn validate(&self) -> Result<()> {
        require!(
            (1..=MAX_PRICE_AGE_CAP_SECS).contains(&self.max_age_secs)
                && self.max_conf_bps <= MAX_CONF_CAP_BPS
                && self.conf_multiple_bps <= MAX_CONF_MULTIPLE_BPS
                && self.max_slippage_bps <= MAX_SLIPPAGE_CAP_BPS,
            TreasuryError::InvalidPriceConfig
        );
        Ok(())
    }
}

/// The buyback's venue and pacing.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuybackConfig {
    /// The only program the buyback's swap may call (an AMM).
    pub amm_program: Pubkey,
    /// Length of a buyback epoch; each stablecoin's cap applies per epoch.
    pub epoch_secs: u64,
}

impl BuybackConfig {
    pub fn validate(&self) -> Result<()> {
        require!(
            self.amm_program != Pubkey::default()
                && (MIN_BUYBACK_EPOCH_SECS..=MAX_BUYBACK_EPOCH_SECS).contains(&self.epoch_secs),
            TreasuryError::InvalidBuybackConfig
        );
        Ok(())
    }
}

/// The keys with a role in the treasury besides governance.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles {
    /// Deposits revenue on behalf of customers who paid in fiat (`pay_for`).
    pub payment_operator: Pubkey,
    /// Records delivered service and burns the customer's credits (`consume_credits`).
    pub service_operator: Pubkey,
    /// Owner of the token accounts the operations share is swept to.
    pub operations_owner: Pubkey,
}

/// Treasury parameters and totals. PDA `["treasury"]`; mint authority and permanent delegate
/// of the service-credits mint.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Treasury {
    /// Layout version (`TREASURY_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Canonical bump of the credits mint PDA (0 until `initialize_credits`).
    pub credits_bump: u8,
    /// How revenue is divided.
    pub split: SplitBps,
    /// Governance key: changes parameters through the timelock.
    pub authority: Pubkey,
    /// The network token that buybacks buy and burn.
    pub network_mint: Pubkey,
    /// The service-credits mint (Token-2022, NonTransferable); default until created.
    pub credits_mint: Pubkey,
    /// Service credits per US dollar of token burned (e.g. 100,000: 1 credit = $0.00001).
    pub credits_per_usd: u64,
    pub price: PriceConfig,
    pub buyback: BuybackConfig,
    pub roles: Roles,
    /// Delay between proposing and applying a parameter change, in seconds.
    pub timelock_secs: u64,
    /// Number of changes ever proposed (the next change's id).
    pub changes_proposed: u64,
    /// Network tokens burned by buybacks, in base units.
    pub total_bought_burned: u64,
    /// Network tokens burned for service credits, in base units.
    pub total_credit_burned: u64,
    /// Service credits minted and consumed.
    pub credits_minted: u64,
    pub credits_consumed: u64,
    /// Unix time the treasury was created; buyback epochs count from it.
    pub created_at: i64,
    /// The newest `publish_time` of a price the treasury used: prices only move forward, so a
    /// caller cannot pick the most favourable of the recent updates.
    pub last_price_publish_time: i64,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 120],
}

impl Treasury {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Checked after every change.
    pub fn invariant(&self) -> Result<()> {
        self.split.checked()?;
        self.price.validate()?;
        self.buyback.validate()?;
        require!(
            timelock::check_delay(self.timelock_secs).is_ok()
                && self.credits_per_usd > 0
                && self.credits_consumed <= self.credits_minted
                && self.authority != Pubkey::default(),
            TreasuryError::InvariantViolated
        );
        Ok(())
    }

    /// The buyback epoch `now` falls in.
    pub fn buyback_epoch(&self, now: i64) -> Result<u64> {
        let elapsed = u64::try_from(now.saturating_sub(self.created_at))
            .map_err(|_| TreasuryError::MathOverflow)?;
        elapsed
            .checked_div(self.buyback.epoch_secs)
            .ok_or_else(|| error!(TreasuryError::MathOverflow))
    }

    /// Counts `tokens` bought and burned (by `buyback` or `buy_claim`), and re-checks the
    /// invariant.
    pub fn count_bought_burned(&mut self, tokens: u64) -> Result<()> {
        self.total_bought_burned = self
            .total_bought_burned
            .checked_add(tokens)
            .ok_or(TreasuryError::MathOverflow)?;
        self.invariant()
    }
}

impl Treasury {
    /// Signer seeds of this PDA (the credits mint's authority and permanent delegate).
    pub fn signer_seeds(&self) -> [&[u8]; 2] {
        [
            crate::constants::TREASURY_SEED,
            std::slice::from_ref(&self.bump),
        ]
    }
}
