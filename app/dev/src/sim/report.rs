//! Phase "metrics + compute units", and the report: compute units by instruction kind (the
//! simulation's own transactions, sampled, and every transaction of the oracles), the treasury
//! summary (also `<out>/treasury.json`), and the report's JSON.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use depin_client::solana_signer::Signer;
use serde_json::{Value, json};

use super::Sim;
use super::chain;
use super::checks::Checked;
use super::epochs::{Final, Traffic};
use super::treasury::Buyback;

impl Sim<'_> {
    /// Measures compute units, writes `<out>/treasury.json`, ends the last phase and returns
    /// the report.
    pub(super) async fn report(
        &mut self,
        fin: &Final,
        traffic: &Traffic,
        buyback: &Buyback,
        checked: Checked,
        vote: Value,
    ) -> Result<Value> {
        let cu = self.compute_units().await?;
        let treasury = self.treasury_report(traffic, buyback, &checked);
        std::fs::write(
            self.out.join("treasury.json"),
            serde_json::to_vec_pretty(&treasury)?,
        )?;
        self.phases.end("metrics + compute units");
        let o = self.o;
        let f = &fin.network.final_root;
        Ok(json!({
            "rpc_url": self.url,
            "out": self.out.display().to_string(),
            "devices": {"total": o.devices, "owners": o.owners, "by_fault": self.fleet.faults(),
                "last_epoch": checked.epochs.last_status},
            "epochs": checked.epochs.list.iter().map(|e| &e.json).collect::<Vec<_>>(),
            "final_root": {"epochs": f.epochs, "total": f.total, "root": hex::encode(f.root)},
            "rewards_vault": checked.tokens.vault_json,
            "tokens": checked.tokens.json,
            "top_owners": self.top_owners(&checked.earned),
            "ingest": {"reports_signed": traffic.signed_reports,
                "missed_slots": traffic.missed_slots, "oracles": checked.ingest,
                "replayed_report": traffic.replay},
            "treasury": treasury,
            "governance": vote,
            "supply": checked.supply,
            "claims": checked.claims,
            "transactions": self.ledger.counts(),
            "blockhash_expiries": self.ledger.expiries(),
            "compute_units": cu,
            "validator": fin.validator,
            "phases": self.phases.json(),
            "wall_secs": self.phases.started.elapsed().as_secs_f64(),
            "checks": checked.checks.into_json(),
        }))
    }

    /// Compute units by instruction kind: up to five of each kind of the simulation's own
    /// transactions, and every transaction of the oracles (named by their last instruction that
    /// is not a transfer).
    async fn compute_units(&self) -> Result<Vec<Value>> {
        let (http, url) = (&self.http, &self.url);
        let mut cu: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for (kind, sig) in self.ledger.samples(5) {
            let (units, _) = chain::cu_of(http, url, &sig).await?;
            cu.entry(kind.to_string()).or_default().push(units);
        }
        for s in &self.seats {
            for sig in chain::signatures_of(http, url, &s.keypair.pubkey()).await? {
                let (units, names) = chain::cu_of(http, url, &sig).await?;
                if let Some(name) = names.iter().rev().find(|n| !n.starts_with("Transfer")) {
                    cu.entry(format!("oracle: {name}")).or_default().push(units);
                }
            }
        }
        Ok(cu
            .iter()
            .map(|(k, v)| {
                let n = u64::try_from(v.len()).unwrap_or(1).max(1);
                json!({"kind": k, "sampled": v.len(), "mean": v.iter().sum::<u64>() / n,
                    "max": v.iter().max()})
            })
            .collect())
    }

    /// The report's `treasury`: the payments, the coin's buckets and totals, the stakers'
    /// claims and the buyback.
    fn treasury_report(&self, traffic: &Traffic, bought: &Buyback, checked: &Checked) -> Value {
        let (coin, b) = (&checked.end.coin, &checked.end.coin.buckets);
        json!({
            "mint": self.chain.usdc.to_string(), "payments": traffic.payments,
            "received": coin.total_received,
            "buckets": {"buyback": b.buyback, "stakers": b.stakers, "operations": b.operations},
            "bought_back": coin.total_bought_back,
            "routed_to_stakers": coin.total_routed_to_stakers,
            "swept_to_operations": coin.total_swept_to_operations,
            "stakers_claimed": checked.revenue_claimed, "revenue_vault": checked.revenue_vault,
            "burned_by_buybacks": checked.end.treasury.total_bought_burned,
            "buyback": {"pool": bought.pool.to_string(), "spent": bought.spent,
                "burned": bought.burned, "signature": bought.signature.to_string(),
                "reserves_before": {"usdc": bought.reserves.0, "tokens": bought.reserves.1},
                "price_update": depin_client::cluster::LOCALNET_PRICE_UPDATE.to_string()},
        })
    }

    /// The five owners that earned most (ties by key), with their device counts.
    fn top_owners(&self, earned: &BTreeMap<Pubkey, u64>) -> Vec<Value> {
        let mut top: Vec<(&Pubkey, &u64)> = earned.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        top.iter()
            .take(5)
            .map(|(w, amount)| {
                let devices = self
                    .fleet
                    .owners
                    .iter()
                    .find(|x| x.keypair.pubkey() == **w)
                    .map_or(0, |x| x.devices.len());
                json!({"owner": w.to_string(), "devices": devices, "earned": amount})
            })
            .collect()
    }
}
