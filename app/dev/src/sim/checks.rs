//! Phase "conservation checks": the oracles stop, the chain is read once in a consistent state,
//! and every token and every dollar is accounted for exactly: the supply, the claims against
//! the final root, the revenue split and the stakers' claims, the buyback's quote, where every
//! minted token is (the rewards vault: owed, given out, carried; the genesis supply; burned),
//! and each published epoch's agreement between the oracles.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anyhow::{Result, bail};
use depin_client::accounts::{fetch, token_balance};
use depin_client::builders::{TokenProgram, associated_token_address, rewards_ix, staking_ix};
use depin_client::solana_signer::Signer;
use depin_client::supply::Supply;
use rewards::state::{ClaimRecord, Network};
use serde_json::{Value, json};
use staking::state::StakingConfig;
use treasury::state::{Stablecoin, Treasury};

use super::claims::Claims;
use super::epochs::Traffic;
use super::published::{Epochs, Tokens};
use super::treasury::Buyback;
use super::{Sim, chain, network};

/// The checks, in the order the report lists them.
#[derive(Default)]
pub(super) struct Checks(Vec<Value>);

impl Checks {
    pub fn add(&mut self, name: &str, ok: bool, detail: String) {
        self.0
            .push(json!({"check": name, "ok": ok, "detail": detail}));
    }

    pub fn into_json(self) -> Vec<Value> {
        self.0
    }
}

/// The chain once the oracles stopped: nothing moves it any more.
pub(super) struct Snapshot {
    pub network: Network,
    /// The rewards vault's balance.
    pub vault: u64,
    pub coin: Stablecoin,
    pub treasury: Treasury,
    /// Minted, burned by reason, and the supply (`depin_client::supply`).
    pub story: Supply,
}

/// What the checks found, for the report.
pub(super) struct Checked {
    pub checks: Checks,
    pub end: Snapshot,
    /// Each oracle's ingest counters, read before it stopped.
    pub ingest: Vec<Value>,
    /// The report's `supply` and `claims`.
    pub supply: Value,
    pub claims: Value,
    /// Each claiming wallet's published cumulative total.
    pub earned: BTreeMap<Pubkey, u64>,
    /// What the owners hold of the stakers' revenue, and what stays in staking's revenue vault.
    pub revenue_claimed: u64,
    pub revenue_vault: u64,
    pub epochs: Epochs,
    /// Where every minted token is.
    pub tokens: Tokens,
}

impl Sim<'_> {
    /// Reads each oracle's ingest counters, stops the oracles (so no epoch is cranked, rooted or
    /// published while the rest is read), reads the chain, and runs every check.
    pub(super) async fn checks(
        &mut self,
        fin: &Network,
        claims: &Claims,
        traffic: &Traffic,
        buyback: &Buyback,
    ) -> Result<Checked> {
        let mut ingest = Vec::new();
        for (s, sent) in self.seats.iter().zip(&traffic.sent_per_oracle) {
            let (accepted, rejected) = s.metrics(&self.http).await?;
            ingest.push(json!({"oracle": s.seat, "sent": sent, "accepted": accepted,
                "rejected": rejected}));
        }
        for s in &mut self.seats {
            s.stop();
        }
        let end = self.snapshot().await?;
        let mut checks = Checks::default();
        let supply = self.check_supply(&end, &mut checks);
        let (claimed_total, earned) = self.check_claims(fin, claims, &end, &mut checks).await?;
        let (revenue_claimed, revenue_vault) =
            self.check_revenue(&end.coin, traffic, &mut checks).await?;
        check_buyback(buyback, &mut checks);
        let epochs = self.published_epochs(fin, &end.network)?;
        let tokens = self.tokens(&epochs, fin, &end, traffic);
        tokens.check(&mut checks);
        epochs.check_agreement(fin, &mut checks);
        Ok(Checked {
            checks,
            end,
            ingest,
            supply,
            claims: json!({"wallets": claims.claimed.len(), "total": claimed_total,
                "left": {"wallets": claims.left.len(),
                    "total": claims.left.iter().map(|&i| claims.rows[i].cumulative).sum::<u64>()}}),
            earned,
            revenue_claimed,
            revenue_vault,
            epochs,
            tokens,
        })
    }

    /// The network, the supply, the rewards vault, the coin, the treasury and staking's slashes,
    /// read until the network account is the same before and after (a transaction an oracle
    /// sent just before it stopped may still land).
    async fn snapshot(&self) -> Result<Snapshot> {
        for _ in 0..10 {
            let n = network(&self.sender).await?;
            let treasury = self.treasury().await?;
            let staking =
                fetch::<StakingConfig>(&self.sender, "staking config", &staking_ix::config_pda().0)
                    .await?;
            let supply = chain::supply(&self.sender, &self.chain.mint).await?;
            let snapshot = Snapshot {
                story: Supply::new(&n, Some(&treasury), staking.as_ref(), supply),
                vault: token_balance(&self.sender, &n.rewards_vault).await,
                coin: self.stablecoin().await?,
                treasury,
                network: n,
            };
            if network(&self.sender).await? == snapshot.network {
                return Ok(snapshot);
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        bail!("the network account kept changing after the oracles stopped")
    }

    /// Supply after = supply before + minted − burned (onboarding fees, buybacks, credits,
    /// slashes).
    fn check_supply(&self, end: &Snapshot, checks: &mut Checks) -> Value {
        let (n0, n1) = (&self.chain.n0, &end.network);
        let before = self.chain.supply_before;
        let minted = n1.total_minted - n0.total_minted;
        // The treasury and staking start with nothing burned; the network may have.
        let burned = u64::try_from(end.story.burned())
            .unwrap_or(u64::MAX)
            .saturating_sub(n0.total_burned);
        checks.add(
            "supply after = supply before + minted - burned",
            end.story.supply == before + minted - burned,
            format!("{} = {before} + {minted} - {burned}", end.story.supply),
        );
        json!({"before": before, "minted": minted, "burned": burned, "after": end.story.supply})
    }

    /// Every claiming wallet's claim record and balance = its published cumulative total, and
    /// their sum = the final root's total = the network's `total_claimed`. Returns the sum and
    /// each wallet's total.
    async fn check_claims(
        &self,
        fin: &Network,
        claims: &Claims,
        end: &Snapshot,
        checks: &mut Checks,
    ) -> Result<(u64, BTreeMap<Pubkey, u64>)> {
        let (mint, tp) = (self.chain.mint, self.chain.tp);
        let mut claimed_total = 0u64;
        let mut mismatches = Vec::new();
        let mut earned = BTreeMap::new();
        for &i in &claims.claimed {
            let (wallet, published) = (claims.wallet(i), claims.rows[i].cumulative);
            let record_key = rewards_ix::claim_record_pda(&wallet).0;
            let record = fetch::<ClaimRecord>(&self.sender, "claim record", &record_key)
                .await?
                .map_or(0, |r| r.claimed);
            let held =
                token_balance(&self.sender, &associated_token_address(&wallet, &mint, tp)).await;
            if record != published || held != published {
                mismatches.push(format!(
                    "{wallet}: published {published}, claimed {record}, holds {held}"
                ));
            }
            claimed_total += record;
            earned.insert(wallet, published);
        }
        checks.add(
            "every owner claimed exactly its published cumulative total",
            mismatches.is_empty(),
            if mismatches.is_empty() {
                format!("{} wallets, {claimed_total} in total", claims.claimed.len())
            } else {
                mismatches.join("; ")
            },
        );
        let (root_total, total_claimed) = (fin.final_root.total, end.network.total_claimed);
        let left: u64 = claims.left.iter().map(|&i| claims.rows[i].cumulative).sum();
        checks.add(
            "claims + left unclaimed = final root total",
            claimed_total + left == root_total && total_claimed == claimed_total,
            format!(
                "claimed {claimed_total} + left {left} (--leave-unclaimed), root total \
                 {root_total}, network total_claimed {total_claimed}"
            ),
        );
        Ok((claimed_total, earned))
    }

    /// Revenue = its three shares = what the customers paid; the stakers' claims plus what
    /// stays in staking's revenue vault = what was routed to them. Returns those two amounts.
    async fn check_revenue(
        &self,
        coin: &Stablecoin,
        traffic: &Traffic,
        checks: &mut Checks,
    ) -> Result<(u64, u64)> {
        let b = &coin.buckets;
        let revenue = coin.total_received;
        let split = (coin.total_bought_back + b.buyback)
            + (coin.total_routed_to_stakers + b.stakers)
            + (coin.total_swept_to_operations + b.operations);
        checks.add(
            "revenue = buyback + stakers + operations",
            revenue == split,
            format!(
                "{revenue} = ({} + {}) + ({} + {}) + ({} + {})",
                coin.total_bought_back,
                b.buyback,
                coin.total_routed_to_stakers,
                b.stakers,
                coin.total_swept_to_operations,
                b.operations
            ),
        );
        let payments = &traffic.payments;
        let paid: u64 = payments.iter().filter_map(|p| p["amount"].as_u64()).sum();
        checks.add(
            "revenue = what the customers paid",
            revenue == paid,
            format!(
                "{revenue} received, {paid} paid in {} payments",
                payments.len()
            ),
        );
        let (usdc, usdc_tp) = (self.chain.usdc, TokenProgram::SplToken);
        let mut claimed = 0u64;
        for w in &self.fleet.owners {
            let ata = associated_token_address(&w.keypair.pubkey(), &usdc, usdc_tp);
            claimed += token_balance(&self.sender, &ata).await;
        }
        let vault = token_balance(&self.sender, &staking_ix::revenue_vault_pda().0).await;
        let routed = coin.total_routed_to_stakers;
        checks.add(
            "stakers' claims + what stays in the revenue vault = routed to stakers",
            claimed + vault == routed,
            format!("{claimed} + {vault} = {routed}"),
        );
        Ok((claimed, vault))
    }
}

/// The buyback spent and burned exactly what the pool's constant-product pricing says.
fn check_buyback(b: &Buyback, checks: &mut Checks) {
    let (usdc, tokens) = b.reserves;
    let (taken, out_expected) =
        depin_client::builders::amm::expected_swap(usdc, tokens, b.quote_in);
    checks.add(
        "buyback: spent and burned = the pool's constant-product quote",
        b.spent == taken && b.burned == out_expected,
        format!(
            "spent {} of {} (quote {taken}), burned {} (quote {out_expected}), reserves {usdc} \
             USDC / {tokens} tokens",
            b.spent, b.quote_in, b.burned
        ),
    );
}
