//! `depin rewards status | claim`: what a wallet has earned and claimed, and claims, over
//! JSON-RPC.
//!
//! A claim needs the wallet's leaf and proof in the latest final root. They come from an
//! oracle's rewards API (`--api URL`, docs/api.md), or offline from the oracle's published
//! `wallets.csv` for that epoch (`--wallets FILE`, docs/transparency.md), whose whole tree is
//! rebuilt. Either way the proof is folded up to the root read from the chain before anything
//! is sent, so a stale or altered answer is refused by name, never sent to fail on-chain.

use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use depin_client::accounts::fetch;
use depin_client::builders::{rewards_ix, staking_ix};
use depin_client::claim::{claim_ixs, send_claim};
use depin_client::lookup_table::network_table;
use depin_client::solana_signer::Signer;
use depin_client::{Sender, rewards_api};
use depin_formats::transparency::parse_wallets_csv;
use rewards::state::{ClaimRecord, Network};

use super::common::{network, print_landed, token_program};
use crate::{ClusterArgs, Output, Reported, runtime};

/// `depin rewards ...`.
#[derive(Subcommand)]
pub enum RewardsCommand {
    Status(Status),
    Claim(Claim),
}

impl RewardsCommand {
    /// Runs the subcommand.
    ///
    /// # Errors
    ///
    /// Whatever the subcommand refuses or the cluster returns.
    pub fn run(&self) -> Result<()> {
        match self {
            Self::Status(args) => status(args),
            Self::Claim(args) => claim(args),
        }
    }
}

/// A wallet's leaf in a published `wallets.csv`, with its proof, after checking that the file's
/// root is the final root on-chain.
struct Leaf {
    cumulative: u64,
    proof: Vec<rewards_ix::ProofNode>,
}

fn leaf_from_wallets_csv(path: &Path, wallet: &Pubkey, network: &Network) -> Result<Option<Leaf>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading --wallets {}", path.display()))?;
    let rows = parse_wallets_csv(&bytes)
        .with_context(|| format!("--wallets {}: not a wallets.csv", path.display()))?;
    let tree = depin_formats::tree::tree(&rows)
        .with_context(|| format!("--wallets {}: not a reward tree", path.display()))?
        .ok_or_else(|| anyhow!("--wallets {}: no wallets", path.display()))?;
    let root = tree.root();
    let fin = &network.final_root;
    if (root.hash, root.sum) != (fin.root, fin.total) {
        bail!(
            "--wallets {} has root {} (total {}), but the final root on-chain is {} (total {}, \
             epoch {}): use the wallets.csv of the latest final epoch",
            path.display(),
            hex::encode(root.hash),
            root.sum,
            hex::encode(fin.root),
            fin.total,
            fin.epochs.saturating_sub(1)
        );
    }
    let Some(index) = rows
        .iter()
        .position(|w| w.wallet.to_bytes() == wallet.to_bytes())
    else {
        return Ok(None);
    };
    let proof = tree
        .proof(index)
        .ok_or_else(|| anyhow!("no proof for leaf {index}"))?;
    Ok(Some(Leaf {
        cumulative: rows[index].cumulative,
        proof: rewards_ix::proof_nodes(&proof),
    }))
}

/// The wallet's leaf from an oracle's rewards API, after its proof folds up to the final root
/// on chain.
async fn leaf_from_api(api: &str, wallet: &Pubkey, network: &Network) -> Result<Option<Leaf>> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let summary = rewards_api::wallet_summary(&http, api, wallet).await?;
    Ok(
        rewards_api::claim_args(&summary, wallet, &network.final_root)?.map(|args| Leaf {
            cumulative: args.cumulative_amount,
            proof: args.proof,
        }),
    )
}

/// Where the leaf comes from: `--api`, else `--wallets`.
#[derive(clap::Args, Clone, Debug)]
#[group(required = false, multiple = false)]
pub struct LeafSource {
    /// An oracle's rewards API, for example http://127.0.0.1:8080 (its answer is checked
    /// against the final root on chain).
    #[arg(long)]
    pub api: Option<String>,
    /// Offline: the oracle's wallets.csv of the latest final epoch (its root is checked
    /// against the chain).
    #[arg(long)]
    pub wallets: Option<PathBuf>,
}

impl LeafSource {
    /// The wallet's leaf, if it has one; `Ok(None)` also when no source is given.
    async fn leaf(&self, wallet: &Pubkey, network: &Network) -> Result<Option<Leaf>> {
        match (&self.api, &self.wallets) {
            (Some(api), _) => leaf_from_api(api, wallet, network).await,
            (None, Some(path)) => leaf_from_wallets_csv(path, wallet, network),
            (None, None) => Ok(None),
        }
    }

    const fn given(&self) -> bool {
        self.api.is_some() || self.wallets.is_some()
    }

    fn name(&self) -> String {
        match (&self.api, &self.wallets) {
            (Some(api), _) => format!("the rewards API {api}"),
            (None, Some(path)) => path.display().to_string(),
            (None, None) => "nothing".to_owned(),
        }
    }
}

async fn claimed(sender: &Sender, wallet: &Pubkey) -> Result<u64> {
    Ok(fetch::<ClaimRecord>(
        sender,
        "claim record",
        &rewards_ix::claim_record_pda(wallet).0,
    )
    .await?
    .map_or(0, |r| r.claimed))
}

/// The final root on-chain and a wallet's claimed amount; with --api or --wallets, what it
/// earned and may claim now.
#[derive(clap::Args)]
pub struct Status {
    /// Default: the signer's key.
    #[arg(long)]
    pub wallet: Option<Pubkey>,
    #[command(flatten)]
    pub source: LeafSource,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin rewards status`: the final root, and (with `--api` or `--wallets`) what the wallet
/// may claim.
///
/// # Errors
///
/// No network on the cluster, an API answer or a `--wallets` file that does not give the final
/// root on chain.
pub fn status(args: &Status) -> Result<()> {
    let Status {
        wallet,
        ref source,
        ref cluster,
        output: Output { json },
    } = *args;
    let (sender, wallet) = cluster.reader_about(wallet)?;
    runtime()?.block_on(async {
        let network = network(&sender).await?;
        let claimed = claimed(&sender, &wallet).await?;
        let earned = if source.given() {
            Some(
                source
                    .leaf(&wallet, &network)
                    .await?
                    .map_or(0, |l| l.cumulative),
            )
        } else {
            None
        };
        let claimable = earned.map(|e| e.saturating_sub(claimed));
        let fin = &network.final_root;
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "wallet": wallet.to_string(), "final_epochs": fin.epochs,
                    "final_root": hex::encode(fin.root), "final_total": fin.total,
                    "epochs_minted": network.epochs_minted, "claimed": claimed,
                    "earned": earned, "claimable": claimable,
                })
            );
        } else {
            println!(
                "final root: {} epochs, total {}, root {}",
                fin.epochs,
                fin.total,
                hex::encode(fin.root)
            );
            println!("wallet {wallet}: claimed {claimed}");
            if let (Some(e), Some(c)) = (earned, claimable) {
                println!("  earned (cumulative) {e}, claimable now {c}");
            }
        }
        Ok(())
    })
}

/// Claim everything the final root owes a wallet (all of its devices at once), or several
/// wallets (repeat `--wallet`). Anyone may send a claim: the wallet does not sign, the signer
/// pays the fee (and the claim record's rent the first time), and the tokens go only to the
/// wallet's own token account.
#[derive(clap::Args)]
pub struct Claim {
    /// Where the proof comes from: `--api URL` or `--wallets FILE` (one is needed).
    #[command(flatten)]
    pub source: LeafSource,
    /// The wallet to claim for (default: the signer's key). Repeat it to claim for several
    /// wallets in one command, paid by the signer: each is reported (claimed, nothing to claim,
    /// or refused with its reason), a refusal does not stop the others, and the command exits
    /// non-zero if any was refused.
    #[arg(long = "wallet", id = "wallet")]
    pub wallets: Vec<Pubkey>,
    /// Pay into the signer's staking position with this id instead (time-locked; one wallet,
    /// the signer's, only).
    #[arg(long)]
    pub to_position: Option<u64>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// What one wallet's claim came to.
enum Outcome {
    Claimed {
        amount: u64,
        cumulative: u64,
        to: Pubkey,
        landed: depin_client::Landed,
    },
    /// Nothing to claim, and why (no leaf, or all of it claimed already).
    Nothing(String),
}

/// What a claim needs besides the wallet.
struct ClaimContext<'a> {
    sender: &'a Sender,
    payer: &'a depin_client::solana_keypair::Keypair,
    network: &'a Network,
    tables: &'a [depin_client::solana_message::AddressLookupTableAccount],
    source: &'a LeafSource,
}

/// Claims for `wallet` what the final root owes it, or says why there is nothing to claim.
async fn claim_one(
    cx: &ClaimContext<'_>,
    wallet: Pubkey,
    to_position: Option<u64>,
) -> Result<Outcome> {
    let ClaimContext {
        sender,
        payer,
        network,
        tables,
        source,
    } = *cx;
    let tp = token_program(&network.token_program)?;
    let Some(leaf) = source.leaf(&wallet, network).await? else {
        return Ok(Outcome::Nothing(format!(
            "wallet {wallet} has no leaf in the final root ({}): nothing to claim; if it has \
             earned, ask another oracle's API or use --wallets",
            source.name()
        )));
    };
    let before = claimed(sender, &wallet).await?;
    if leaf.cumulative <= before {
        return Ok(Outcome::Nothing(format!(
            "wallet {wallet}: nothing to claim (earned {}, already claimed {before})",
            leaf.cumulative
        )));
    }
    let amount = leaf.cumulative - before;
    let claim_args = rewards_ix::ClaimArgs {
        cumulative_amount: leaf.cumulative,
        proof: leaf.proof,
    };
    let (ixs, to) = claim_ixs(
        &payer.pubkey(),
        wallet,
        &network.mint,
        tp,
        to_position,
        claim_args,
    );
    // A v0 transaction through the network's lookup table when it has one: a deep proof fits
    // only that way.
    let landed = send_claim(sender, payer, &ixs, tables).await?;
    if to_position.is_some() {
        // The claimed tokens earn revenue from the position's next re-weighing: do it now (its
        // own transaction, to leave the claim's room to the proof).
        let refresh = staking_ix::refresh_position_ix(wallet, to);
        sender
            .send("staking: refresh_position", &[refresh], payer, &[])
            .await?;
    }
    Ok(Outcome::Claimed {
        amount,
        cumulative: leaf.cumulative,
        to,
        landed,
    })
}

/// `depin rewards claim`: pays each wallet (default: the signer) everything the final root
/// owes it, to its associated token account (created if missing), or with `--to-position`
/// into the signer's own staking position (time-locked).
///
/// # Errors
///
/// No `--api` or `--wallets`, `--to-position` for another wallet or for several; for one
/// wallet, an answer or file that does not give the final root on chain or has no leaf for the
/// wallet, nothing left to claim, or a failed send; for several, any wallet refused (each is
/// reported).
pub fn claim(args: &Claim) -> Result<()> {
    let Claim {
        ref source,
        ref wallets,
        to_position,
        ref cluster,
        output,
    } = *args;
    let (sender, payer) = cluster.connect()?;
    let wallets = if wallets.is_empty() {
        vec![payer.pubkey()]
    } else {
        // Each wallet once, in the order given: a repeat would only report nothing to claim.
        let mut seen = std::collections::HashSet::new();
        wallets
            .iter()
            .copied()
            .filter(|w| seen.insert(*w))
            .collect()
    };
    if !source.given() {
        bail!("say where the proof comes from: --api <oracle URL> or --wallets <wallets.csv>");
    }
    if to_position.is_some() && wallets != [payer.pubkey()] {
        bail!("--to-position: only the wallet itself may claim into its position (sign with it)");
    }
    runtime()?.block_on(async {
        let network = network(&sender).await?;
        let tables: Vec<_> = network_table(&sender).await?.into_iter().collect();
        let cx = ClaimContext {
            sender: &sender,
            payer: &payer,
            network: &network,
            tables: &tables,
            source,
        };
        if let [wallet] = wallets[..] {
            return match claim_one(&cx, wallet, to_position).await? {
                Outcome::Nothing(why) => Err(anyhow!(why)),
                Outcome::Claimed {
                    amount,
                    cumulative,
                    to,
                    landed,
                } => {
                    print_landed(
                        &format!("Claimed {amount} for {wallet} into {to}"),
                        &landed,
                        output.json,
                        serde_json::json!({"wallet": wallet.to_string(), "amount": amount,
                            "cumulative": cumulative, "to": to.to_string()}),
                    );
                    Ok(())
                }
            };
        }
        claim_many(&cx, &wallets, output).await
    })
}

/// Claims for each of `wallets` in turn, past any refusal; one report for all.
async fn claim_many(cx: &ClaimContext<'_>, wallets: &[Pubkey], output: Output) -> Result<()> {
    let mut rows = Vec::with_capacity(wallets.len());
    let (mut total, mut refused) = (0u64, 0usize);
    for &wallet in wallets {
        let row = match claim_one(cx, wallet, None).await {
            Ok(Outcome::Claimed {
                amount,
                cumulative,
                to,
                landed,
            }) => {
                total = total.saturating_add(amount);
                if !output.json {
                    println!(
                        "{wallet}: claimed {amount} into {to} in {}",
                        landed.signature
                    );
                }
                serde_json::json!({"wallet": wallet.to_string(), "status": "claimed",
                    "amount": amount, "cumulative": cumulative, "to": to.to_string(),
                    "signature": landed.signature.to_string(), "slot": landed.slot})
            }
            Ok(Outcome::Nothing(why)) => {
                if !output.json {
                    println!("{wallet}: nothing to claim ({why})");
                }
                serde_json::json!({"wallet": wallet.to_string(), "status": "nothing",
                    "reason": why})
            }
            Err(e) => {
                refused += 1;
                let why = format!("{e:#}");
                if !output.json {
                    println!("{wallet}: refused: {why}");
                }
                serde_json::json!({"wallet": wallet.to_string(), "status": "refused",
                    "reason": why})
            }
        };
        rows.push(row);
    }
    output.print(
        &serde_json::json!({"claims": rows, "total_claimed": total, "refused": refused}),
        || {
            println!(
                "{} wallet(s): {total} claimed, {refused} refused",
                wallets.len()
            )
        },
    );
    if refused > 0 {
        return Err(Reported(format!("{refused} of {} claim(s) refused", wallets.len())).into());
    }
    Ok(())
}
