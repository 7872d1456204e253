//! Phase "claims": every owner claims what the last final root owes it, with the proof oracle
//! 0's rewards API gives (`GET /v1/wallets/{wallet}`, docs/api.md), checked against the final
//! root on chain before it is sent. The API's answers are checked against the wallets.csv oracle
//! 0 published for that epoch: the amounts before the claims, and zero left to claim after.

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use depin_client::claim::{claim_ixs, send_claim};
use depin_client::lookup_table::network_table;
use depin_client::rewards_api;
use depin_client::solana_message::AddressLookupTableAccount;
use depin_client::solana_signer::Signer;
use depin_formats::transparency::{WALLETS_CSV, WalletRow, parse_wallets_csv};
use rewards::state::Network;

use super::Sim;
use super::chain::{bar, each};

/// The claims against the final root.
pub(super) struct Claims {
    /// wallets.csv of the root's last epoch: every wallet's cumulative reward.
    pub rows: Vec<WalletRow>,
    /// The rows that claimed (those owed anything), by index.
    pub claimed: Vec<usize>,
    /// The rows owed something that were left to claim later (`--leave-unclaimed`), by index:
    /// their owners' keypairs are in `<out>/owners/`.
    pub left: Vec<usize>,
}

impl Claims {
    /// Row `i`'s wallet.
    pub fn wallet(&self, i: usize) -> Pubkey {
        Pubkey::new_from_array(self.rows[i].wallet.to_bytes())
    }
}

impl Sim<'_> {
    /// Reads the last final epoch's wallets.csv, checks that its tree has the on-chain root,
    /// and sends one `claim` per wallet owed anything with the API's proof (the deployer pays;
    /// the tokens go to the wallet's token account); then every claimed wallet's summary must
    /// show all of it claimed and nothing claimable.
    pub(super) async fn claim_all(&self, fin: &Network) -> Result<Claims> {
        let last = fin.final_root.epochs - 1;
        let path = self.seats[0].epoch_dir(last).join(WALLETS_CSV);
        let rows = parse_wallets_csv(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )?;
        let tree = depin_formats::tree::tree(&rows)?
            .ok_or_else(|| anyhow!("{}: no wallets earned anything", path.display()))?;
        if (tree.root().hash, tree.root().sum) != (fin.final_root.root, fin.final_root.total) {
            bail!("{} does not match the final root on-chain", path.display());
        }
        let mut claimed: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].cumulative > 0)
            .collect();
        let left: Vec<usize> = claimed
            .drain(..self.o.leave_unclaimed.min(claimed.len()))
            .collect();
        let claims = Claims {
            rows,
            claimed,
            left,
        };
        self.write_left_keypairs(&claims)?;
        // Each claim is a v0 transaction through the network's lookup table, as owners send it.
        let tables: Vec<_> = network_table(&self.sender).await?.into_iter().collect();
        if tables.is_empty() {
            bail!("the network has no lookup table: `depin migrate` creates it");
        }
        let pb = bar(claims.claimed.len(), "claims", self.quiet);
        each(claims.claimed.clone(), &pb, |i| {
            self.claim(&claims, i, fin, &tables)
        })
        .await?;
        // The API reads a claim record at most every 2 s (the oracle's CHAIN_TTL).
        tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
        for &i in &claims.claimed {
            let wallet = claims.wallet(i);
            let s = rewards_api::wallet_summary(&self.http, &self.seats[0].url, &wallet).await?;
            let cumulative = claims.rows[i].cumulative;
            if (s.cumulative, s.claimed, s.claimable) != (cumulative, cumulative, 0) {
                bail!(
                    "the rewards API shows wallet {wallet} with cumulative {}, claimed {}, \
                     claimable {} after its claim of {cumulative}",
                    s.cumulative,
                    s.claimed,
                    s.claimable
                );
            }
        }
        Ok(claims)
    }

    /// The keypairs of the owners left to claim later, as `<out>/owners/<wallet>.json` (Solana
    /// CLI files), so they can claim by hand or from the web app.
    fn write_left_keypairs(&self, claims: &Claims) -> Result<()> {
        if claims.left.is_empty() {
            return Ok(());
        }
        let dir = self.out.join("owners");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for &i in &claims.left {
            let wallet = claims.wallet(i);
            let owner = self
                .fleet
                .owners
                .iter()
                .find(|o| o.keypair.pubkey() == wallet)
                .ok_or_else(|| anyhow!("wallet {wallet} is not one of the fleet's owners"))?;
            let path = dir.join(format!("{wallet}.json"));
            depin_client::solana_keypair::write_keypair_file(&owner.keypair, &path)
                .map_err(|e| anyhow!("writing {}: {e}", path.display()))?;
        }
        Ok(())
    }

    /// Row `i`'s claim of its cumulative total, with the proof oracle 0's rewards API gives,
    /// after checking the API's amounts against the row and its proof against the chain.
    async fn claim(
        &self,
        claims: &Claims,
        i: usize,
        fin: &Network,
        tables: &[AddressLookupTableAccount],
    ) -> Result<()> {
        let (mint, tp) = (self.chain.mint, self.chain.tp);
        let wallet = claims.wallet(i);
        let cumulative = claims.rows[i].cumulative;
        let summary = rewards_api::wallet_summary(&self.http, &self.seats[0].url, &wallet).await?;
        if (summary.cumulative, summary.claimed, summary.claimable) != (cumulative, 0, cumulative) {
            bail!(
                "the rewards API shows wallet {wallet} with cumulative {}, claimed {}, claimable \
                 {}; its wallets.csv row says {cumulative}, nothing claimed yet",
                summary.cumulative,
                summary.claimed,
                summary.claimable
            );
        }
        let args = rewards_api::claim_args(&summary, &wallet, &fin.final_root)?
            .ok_or_else(|| anyhow!("the rewards API gives wallet {wallet} no leaf"))?;
        let payer = self.deployer.pubkey();
        let (ixs, _) = claim_ixs(&payer, wallet, &mint, tp, None, args);
        let landed = send_claim(&self.sender, &self.deployer, &ixs, tables)
            .await
            .with_context(|| format!("claim for {wallet}"))?;
        self.ledger.record("claim", &landed);
        Ok(())
    }
}
