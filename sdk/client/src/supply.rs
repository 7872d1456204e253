//! The network token's supply, told one way everywhere (the CLI's `depin treasury report`, the
//! simulator's checks, the web app): everything the rewards program minted (the genesis supply
//! and every epoch's rewards), minus every burn, by the program and reason that burned it.
//! Only the rewards program mints the token, and every protocol burn is counted in one of the
//! three programs' totals, so `supply = minted − burned` exactly; a burn outside the protocol
//! (a holder burning its own tokens) shows as `untracked_burns`.

use anchor_lang::prelude::Pubkey;
use rewards::state::Network;
use staking::state::StakingConfig;
use treasury::state::Treasury;

use crate::accounts::{AccountSource, FetchError, fetch};
use crate::builders::{rewards_ix, staking_ix, treasury_ix};

/// Minted, burned by reason, and the mint's supply, in base units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Supply {
    /// `Network::total_minted`: the genesis supply and every epoch minted.
    pub minted: u64,
    /// `Network::total_burned`: onboarding and location-update fees (the rewards program; the
    /// JSON and the report still call them `onboarding_fees`).
    pub burned_onboarding: u64,
    /// `Treasury::total_bought_burned`: tokens bought back and burned.
    pub burned_buybacks: u64,
    /// `Treasury::total_credit_burned`: tokens burned for service credits.
    pub burned_credits: u64,
    /// `StakingConfig::total_slashed`: collateral slashed and burned.
    pub burned_slashes: u64,
    /// The mint's `supply`.
    pub supply: u64,
}

impl Supply {
    /// The story from the three programs' accounts (a program not initialised burned nothing).
    pub fn new(
        network: &Network,
        treasury: Option<&Treasury>,
        staking: Option<&StakingConfig>,
        supply: u64,
    ) -> Self {
        Self {
            minted: network.total_minted,
            burned_onboarding: network.total_burned,
            burned_buybacks: treasury.map_or(0, |t| t.total_bought_burned),
            burned_credits: treasury.map_or(0, |t| t.total_credit_burned),
            burned_slashes: staking.map_or(0, |s| s.total_slashed),
            supply,
        }
    }

    /// Every protocol burn.
    pub fn burned(&self) -> u128 {
        u128::from(self.burned_onboarding)
            + u128::from(self.burned_buybacks)
            + u128::from(self.burned_credits)
            + u128::from(self.burned_slashes)
    }

    /// Minted minus burned: what the supply should be (negative would be a bug in a program).
    pub fn expected(&self) -> i128 {
        i128::from(self.minted) - i128::try_from(self.burned()).unwrap_or(i128::MAX)
    }

    /// What left the supply outside the protocol's books (0 when the story reconciles).
    pub fn untracked_burns(&self) -> i128 {
        self.expected() - i128::from(self.supply)
    }

    /// The burns as JSON, in base units: `total`, `onboarding_fees`, `buybacks`, `credits`,
    /// `slashes`.
    pub fn burned_json(&self) -> serde_json::Value {
        serde_json::json!({
            "total": u64::try_from(self.burned()).unwrap_or(u64::MAX),
            "onboarding_fees": self.burned_onboarding,
            "buybacks": self.burned_buybacks,
            "credits": self.burned_credits,
            "slashes": self.burned_slashes,
        })
    }

    /// The story as JSON, in base units: `minted`, `burned` ([`Self::burned_json`]), `supply`
    /// and `untracked_burns`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "minted": self.minted,
            "burned": self.burned_json(),
            "supply": self.supply,
            "untracked_burns": i64::try_from(self.untracked_burns()).unwrap_or(i64::MAX),
        })
    }
}

/// Why the story could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SupplyError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("no rewards network at {0} (run `depin migrate`)")]
    NoNetwork(Pubkey),
    #[error("the network mint {0} does not exist or is not a mint")]
    NoMint(Pubkey),
}

/// Reads the story from the chain: the rewards network, the treasury and the staking config (if
/// they exist) and the network mint.
pub async fn read(rpc: &impl AccountSource) -> Result<Supply, SupplyError> {
    let network_key = rewards_ix::network_pda().0;
    let network = fetch::<Network>(rpc, "network", &network_key)
        .await?
        .ok_or(SupplyError::NoNetwork(network_key))?;
    let treasury = fetch::<Treasury>(rpc, "treasury", &treasury_ix::treasury_pda().0).await?;
    let staking =
        fetch::<StakingConfig>(rpc, "staking config", &staking_ix::config_pda().0).await?;
    let mint = network.mint;
    let supply = rpc
        .owner_and_data(&mint)
        .await
        .ok()
        .flatten()
        .and_then(|(_, data)| depin_common::token::MintView::from_bytes(&data).map(|m| m.supply()))
        .ok_or(SupplyError::NoMint(mint))?;
    Ok(Supply::new(
        &network,
        treasury.as_ref(),
        staking.as_ref(),
        supply,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_story_reconciles_only_when_every_burn_is_counted() {
        let s = Supply {
            minted: 1_000,
            burned_onboarding: 10,
            burned_buybacks: 20,
            burned_credits: 30,
            burned_slashes: 40,
            supply: 900,
        };
        assert_eq!(
            (s.burned(), s.expected(), s.untracked_burns()),
            (100, 900, 0)
        );
        let outside = Supply { supply: 895, ..s };
        assert_eq!(outside.untracked_burns(), 5);
        assert_eq!(s.json()["burned"]["slashes"], 40);
    }
}
