//! Phase "claims": every owner claims what the last final root owes it, with a proof rebuilt
//! from the wallets.csv oracle 0 published for that epoch.

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use depin_client::builders::{
    associated_token_address, create_associated_token_account_idempotent, rewards_ix,
};
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
}

impl Claims {
    /// Row `i`'s wallet.
    pub fn wallet(&self, i: usize) -> Pubkey {
        Pubkey::new_from_array(self.rows[i].wallet.to_bytes())
    }
}

impl Sim<'_> {
    /// Reads the last final epoch's wallets.csv, checks that its tree has the on-chain root,
    /// and sends one `claim` per wallet owed anything (the deployer pays; the tokens go to the
    /// wallet's token account).
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
        let claimed: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].cumulative > 0)
            .collect();
        let claims = Claims { rows, claimed };
        let pb = bar(claims.claimed.len(), "claims", self.quiet);
        each(claims.claimed.clone(), &pb, |i| {
            let proof = tree.proof(i).map(|p| rewards_ix::proof_nodes(&p));
            self.claim(&claims, i, proof)
        })
        .await?;
        Ok(claims)
    }

    /// Row `i`'s claim of its cumulative total, with its proof (`None`: the tree had none).
    async fn claim(
        &self,
        claims: &Claims,
        i: usize,
        proof: Option<Vec<rewards_ix::ProofNode>>,
    ) -> Result<()> {
        let (mint, tp) = (self.chain.mint, self.chain.tp);
        let wallet = claims.wallet(i);
        let proof = proof.ok_or_else(|| anyhow!("no proof for wallet {wallet}"))?;
        let payer = self.deployer.pubkey();
        let ata = associated_token_address(&wallet, &mint, tp);
        let ixs = [
            create_associated_token_account_idempotent(&payer, &wallet, &mint, tp),
            rewards_ix::claim(
                rewards_ix::claim_accounts(payer, wallet, ata, tp),
                rewards_ix::ClaimArgs {
                    cumulative_amount: claims.rows[i].cumulative,
                    proof,
                },
            ),
        ];
        self.ledger
            .send(&self.sender, "claim", &ixs, &self.deployer, &[], || {
                format!("claim for {wallet}")
            })
            .await?;
        Ok(())
    }
}
