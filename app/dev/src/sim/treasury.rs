//! Phase "treasury": the customers' USDC split three ways. The stakers' share goes to staking and
//! the operations share to its owner; the buyback spends the buyback share through the local
//! network's AMM pool and burns what it buys; every owner claims its revenue share.

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow};
use depin_client::accounts::{fetch, token_balance};
use depin_client::builders::{
    TokenProgram, associated_token_address, create_associated_token_account_idempotent, staking_ix,
    treasury_ix,
};
use depin_client::solana_signature::Signature;
use depin_client::solana_signer::Signer;
use treasury::state::{Stablecoin, Treasury};

use super::Sim;
use super::chain::{bar, each};

/// The buyback, as landed.
pub(super) struct Buyback {
    /// The pinned pool it went through.
    pub pool: Pubkey,
    /// The buyback bucket it was given (all of it).
    pub quote_in: u64,
    /// USDC spent and network tokens bought (and burned).
    pub spent: u64,
    pub burned: u64,
    pub signature: Signature,
    /// The pool's reserves before: USDC, tokens.
    pub reserves: (u64, u64),
}

impl Sim<'_> {
    /// The local USDC's treasury account.
    pub(super) async fn stablecoin(&self) -> Result<Stablecoin> {
        let key = treasury_ix::stablecoin_pda(&self.chain.usdc).0;
        fetch::<Stablecoin>(&self.sender, "stablecoin", &key)
            .await?
            .ok_or_else(|| anyhow!("USDC is not an accepted stablecoin"))
    }

    /// The treasury account.
    pub(super) async fn treasury(&self) -> Result<Treasury> {
        fetch::<Treasury>(&self.sender, "treasury", &treasury_ix::treasury_pda().0)
            .await?
            .ok_or_else(|| anyhow!("no treasury"))
    }

    /// Routes the stakers' share to staking (and syncs it there) and sweeps the operations
    /// share to its owner, in one transaction. Returns the coin as it was before.
    pub(super) async fn revenue(&self) -> Result<Stablecoin> {
        let (usdc, usdc_tp) = (self.chain.usdc, TokenProgram::SplToken);
        let coin = self.stablecoin().await?;
        let operations = self.treasury().await?.roles.operations_owner;
        let ops_ata = associated_token_address(&operations, &usdc, usdc_tp);
        let ixs = [
            treasury_ix::route_to_stakers(usdc, usdc_tp, coin.stakers_destination),
            staking_ix::sync_revenue_ix(),
            create_associated_token_account_idempotent(
                &self.deployer.pubkey(),
                &operations,
                &usdc,
                usdc_tp,
            ),
            treasury_ix::sweep_operations(usdc, usdc_tp, ops_ata),
        ];
        self.ledger
            .send(
                &self.sender,
                "route + sweep",
                &ixs,
                &self.deployer,
                &[],
                || "routing revenue to the stakers".to_string(),
            )
            .await?;
        Ok(coin)
    }

    /// Spends `coin`'s whole buyback bucket through the pinned pool, priced against the genesis
    /// price feed, and burns what it bought.
    pub(super) async fn buyback(&self, coin: &Stablecoin) -> Result<Buyback> {
        let (mint, usdc) = (self.chain.mint, self.chain.usdc);
        let pool = depin_migrations::localnet_pool("USDC", mint, usdc);
        let reserves = (
            token_balance(&self.sender, &pool.vault_b).await,
            token_balance(&self.sender, &pool.vault_a).await,
        );
        let quote_in = coin.buckets.buyback;
        let bought = depin_cli::commands::treasury::buyback(
            &self.sender,
            &self.deployer,
            usdc,
            depin_client::cluster::LOCALNET_PRICE_UPDATE,
            Some(quote_in),
        )
        .await
        .context("the buyback")?;
        self.ledger.record("buyback", &bought.landed);
        Ok(Buyback {
            pool: bought.pool,
            quote_in,
            spent: bought.spent,
            burned: bought.burned,
            signature: bought.landed.signature,
            reserves,
        })
    }

    /// Every owner claims its share of the stakers' revenue, in USDC.
    pub(super) async fn claim_revenue(&self) -> Result<()> {
        let (usdc, usdc_tp) = (self.chain.usdc, TokenProgram::SplToken);
        let pb = bar(self.fleet.owners.len(), "revenue", self.quiet);
        each(
            (0..self.fleet.owners.len()).collect(),
            &pb,
            |i| async move {
                let owner = &self.fleet.owners[i].keypair;
                let destination = associated_token_address(&owner.pubkey(), &usdc, usdc_tp);
                let ixs = [
                    create_associated_token_account_idempotent(
                        &self.deployer.pubkey(),
                        &owner.pubkey(),
                        &usdc,
                        usdc_tp,
                    ),
                    staking_ix::claim_revenue(staking_ix::claim_revenue_accounts(
                        owner.pubkey(),
                        usdc,
                        destination,
                        usdc_tp,
                    )),
                ];
                self.ledger
                    .send(
                        &self.sender,
                        "claim revenue",
                        &ixs,
                        &self.deployer,
                        &[owner],
                        || format!("revenue claim of {}", owner.pubkey()),
                    )
                    .await?;
                Ok(())
            },
        )
        .await
    }
}
