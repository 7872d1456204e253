//! `depin slash ...`: slashing a provider's collateral for an offence the oracles found
//! (docs/staking.md, "Slashing"), one command per step:
//!
//! ```text
//! list      GET <oracle>/v1/offences: each offence, its position and status
//! propose   the oracles' approvals of one offence (or each approved one), checked here, then
//!           [ed25519 × threshold, propose_slash] — anyone may submit; a quorum too large for
//!           one transaction goes in [ed25519 × 5, approve_slash] ... then
//!           [ed25519 × ≤4, propose_slash(approval)], resuming from what is already recorded
//! overturn  the staking authority cancels a pending slash during its appeal window
//! execute   anyone burns a pending slash once its appeal window is over
//! ```

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use depin_client::Sender;
use depin_client::accounts::{cluster_time, fetch};
use depin_client::builders::staking_ix;
use depin_client::slash::{self as slashing, OracleSignature};
use depin_client::solana_signature::Signature;
use depin_client::solana_signer::Signer;
use depin_formats::offences::{Approval, ApprovalStatus, Listing};
use depin_formats::transparency::sha256_hex;
use staking::instructions::ProposeSlashArgs;
use staking::state::Position;

use super::common::{print_landed, staking_config, token_program};
use crate::{ClusterArgs, Output, Reported, runtime};

/// `depin slash ...`.
#[derive(Subcommand)]
pub enum SlashCommand {
    List(List),
    Propose(Propose),
    /// Overturn a pending slash during its appeal window (signed by the staking authority).
    Overturn(Slashed),
    /// Burn a pending slash once its appeal window is over (anyone may).
    Execute(Slashed),
}

impl SlashCommand {
    /// Runs the subcommand.
    ///
    /// # Errors
    ///
    /// Whatever the subcommand refuses, an oracle answers or the cluster returns.
    pub fn run(&self) -> Result<()> {
        match self {
            Self::List(args) => list(args),
            Self::Propose(args) => propose(args),
            Self::Overturn(args) => overturn(args),
            Self::Execute(args) => execute(args),
        }
    }
}

/// The offences an oracle found in its published epochs, with each one's status.
#[derive(clap::Args)]
pub struct List {
    /// The oracle's base URL (e.g. http://127.0.0.1:8080).
    #[arg(long)]
    pub oracle: String,
    #[command(flatten)]
    pub output: Output,
}

/// Gather the oracles' approvals of an offence and submit `propose_slash`.
#[derive(clap::Args)]
pub struct Propose {
    /// Each oracle to ask (repeat the flag).
    #[arg(long = "oracle", required = true)]
    pub oracles: Vec<String>,
    /// The offence's evidence hash (hex); default: every offence a quorum approved.
    #[arg(long)]
    pub evidence: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// A slashed position, for `overturn` and `execute`.
#[derive(clap::Args)]
pub struct Slashed {
    /// The slashed position.
    #[arg(long)]
    pub position: Pubkey,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// The most bytes read from an oracle's listing.
const MAX_LISTING_BYTES: usize = 16 << 20;

/// `GET <oracle>/v1/offences`.
async fn listing(client: &reqwest::Client, oracle: &str) -> Result<Listing> {
    let url = format!("{}/v1/offences", oracle.trim_end_matches('/'));
    let mut response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("GET {url}"))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_LISTING_BYTES {
            bail!("GET {url}: the listing is over {MAX_LISTING_BYTES} bytes");
        }
    }
    if !status.is_success() {
        bail!(
            "GET {url}: HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    serde_json::from_slice(&body).with_context(|| format!("GET {url}: not an offence listing"))
}

fn http() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .context("build the HTTP client")
}

/// `depin slash list`.
pub fn list(l: &List) -> Result<()> {
    let listed = runtime()?.block_on(async { listing(&http()?, &l.oracle).await })?;
    if l.output.json {
        println!("{}", serde_json::to_string(&listed)?);
        return Ok(());
    }
    println!(
        "oracle {} (set version {}, threshold {}): {} offence(s)",
        listed.oracle,
        listed.set_version,
        listed.threshold,
        listed.offences.len()
    );
    for a in &listed.offences {
        println!(
            "  {:<9} {:<17} device {} epochs {}.. {} bps  position {} nonce {}  evidence {}  {}",
            a.status.code(),
            a.offence,
            a.device,
            a.first_epoch,
            a.amount_bps,
            a.position.as_deref().unwrap_or("-"),
            a.slash_nonce.map_or_else(|| "-".into(), |n| n.to_string()),
            a.evidence_hash,
            a.detail
        );
    }
    Ok(())
}

/// An approval and the oracle that listed it.
#[derive(Clone)]
struct Signed {
    oracle: String,
    approval: Approval,
}

/// The approvals of each evidence hash across `listings`, approved ones only.
fn approvals(listings: &[Listing]) -> BTreeMap<String, Vec<Signed>> {
    let mut by_hash: BTreeMap<String, Vec<Signed>> = BTreeMap::new();
    for l in listings {
        for a in l
            .offences
            .iter()
            .filter(|a| a.status == ApprovalStatus::Approved)
        {
            by_hash
                .entry(a.evidence_hash.clone())
                .or_default()
                .push(Signed {
                    oracle: l.oracle.clone(),
                    approval: a.clone(),
                });
        }
    }
    by_hash
}

/// A slash the oracles approved, checked here: its arguments, its message, and the signatures
/// that verify over that message by distinct unslashed members of the oracle set.
struct Verified {
    args: ProposeSlashArgs,
    message: Vec<u8>,
    signatures: Vec<OracleSignature>,
}

/// The signatures of `approvals` that verify over the message the chain expects now.
fn verified(
    approvals: &[Signed],
    position: &Pubkey,
    nonce: u64,
    set: &rewards::state::OracleSet,
    domain: [u8; 32],
) -> Result<Verified> {
    // Only approvals whose evidence document hashes to their evidence hash count.
    let honest: Vec<&Signed> = approvals
        .iter()
        .filter(|s| sha256_hex(s.approval.evidence.as_bytes()) == s.approval.evidence_hash)
        .collect();
    let first = &honest
        .first()
        .ok_or_else(|| anyhow!("no approval with an evidence document that matches its hash"))?
        .approval;
    let hash: [u8; 32] = hex::decode(&first.evidence_hash)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            anyhow!(
                "evidence hash {} is not 32 bytes of hex",
                first.evidence_hash
            )
        })?;
    let args = ProposeSlashArgs {
        amount_bps: first.amount_bps,
        evidence_hash: hash,
    };
    let message = slashing::message(
        domain,
        position,
        args.amount_bps,
        hash,
        set.set_version,
        nonce,
    );
    let mut seats = 0u16;
    let mut signatures = Vec::new();
    for Signed { oracle, approval } in honest {
        let Ok(oracle) = oracle.parse::<Pubkey>() else {
            continue;
        };
        let Some(signature) = approval
            .signature
            .as_deref()
            .and_then(|s| s.parse::<Signature>().ok())
        else {
            continue;
        };
        let Some(seat) = set.seat_of(&oracle).filter(|&s| !set.is_slashed(s)) else {
            continue;
        };
        if seats & (1 << seat) != 0 || !signature.verify(oracle.as_ref(), &message) {
            continue;
        }
        seats |= 1 << seat;
        signatures.push((oracle.to_bytes(), *signature.as_array()));
    }
    Ok(Verified {
        args,
        message: message.to_vec(),
        signatures,
    })
}

/// `depin slash propose`.
pub fn propose(p: &Propose) -> Result<()> {
    let (sender, proposer) = p.cluster.connect()?;
    runtime()?.block_on(async {
        let client = http()?;
        let mut listings = Vec::new();
        for oracle in &p.oracles {
            match listing(&client, oracle).await {
                Ok(l) => listings.push(l),
                Err(e) => eprintln!("skipping {oracle}: {e:#}"),
            }
        }
        let mut by_hash = approvals(&listings);
        if let Some(wanted) = &p.evidence {
            let wanted = wanted.to_ascii_lowercase();
            by_hash.retain(|hash, _| *hash == wanted);
            if by_hash.is_empty() {
                bail!("--evidence {wanted}: no oracle asked approves it (see `depin slash list`)");
            }
        }
        if by_hash.is_empty() && !p.output.json {
            println!("no approved offence to propose");
        }
        let set = slashing::oracle_set(&sender).await?;
        let domain = staking_config(&sender).await?.slash_domain;
        let (mut proposed, mut failed) = (Vec::new(), Vec::new());
        for (hash, group) in by_hash {
            let approvers = (&set, domain);
            match propose_one(&sender, &proposer, approvers, &hash, &group, p.output).await {
                Ok(done) => proposed.push(done),
                Err(e) => {
                    eprintln!("offence {hash}: {e:#}");
                    failed.push(
                        serde_json::json!({"evidence_hash": hash, "error": format!("{e:#}")}),
                    );
                }
            }
        }
        let count = failed.len();
        p.output.print(
            &serde_json::json!({"proposed": proposed, "failed": failed}),
            || {},
        );
        if count > 0 {
            return Err(Reported(format!("{count} offence(s) not proposed (above)")).into());
        }
        Ok(())
    })
}

/// `approvers`: the oracle set and the deployment's slash domain.
async fn propose_one(
    sender: &Sender,
    proposer: &depin_client::solana_keypair::Keypair,
    (set, domain): (&rewards::state::OracleSet, [u8; 32]),
    hash: &str,
    group: &[Signed],
    output: Output,
) -> Result<serde_json::Value> {
    // The approvals by what they name (position, amount); each group is checked against the
    // chain, and the first whose signatures reach the threshold is proposed.
    let mut named: BTreeMap<(String, u16), Vec<Signed>> = BTreeMap::new();
    for signed in group {
        if let Some(position) = &signed.approval.position {
            named
                .entry((position.clone(), signed.approval.amount_bps))
                .or_default()
                .push(signed.clone());
        }
    }
    let mut best: Option<(Pubkey, u64, Verified)> = None;
    for ((position, _), approvals) in named {
        let position: Pubkey = position
            .parse()
            .map_err(|_| anyhow!("position {position} is not base58"))?;
        let current = existing(sender, &position).await?;
        if let Some(pending) = &current.pending_slash {
            bail!(
                "position {position} already has a pending slash (evidence {}), executable \
                 from {}",
                hex::encode(pending.evidence_hash),
                pending.appeal_ends
            );
        }
        let nonce = current.slash_nonce;
        let checked = verified(&approvals, &position, nonce, set, domain)?;
        if best
            .as_ref()
            .is_none_or(|(_, _, b)| checked.signatures.len() > b.signatures.len())
        {
            best = Some((position, nonce, checked));
        }
    }
    let (
        position,
        nonce,
        Verified {
            args,
            message,
            mut signatures,
        },
    ) = best.ok_or_else(|| anyhow!("no approval names a position"))?;
    // Approvals already recorded on chain (`approve_slash`, an earlier run) count; only new seats
    // are sent.
    let recorded = slashing::recorded(sender, set, &position, &args, nonce).await?;
    let counted = recorded.count();
    signatures.retain(|(key, _)| {
        set.seat_of(&Pubkey::new_from_array(*key))
            .is_none_or(|seat| !recorded.has(seat))
    });
    let threshold = usize::from(set.threshold);
    let need = threshold.saturating_sub(counted);
    if signatures.len() < need {
        bail!(
            "{} valid approval(s) at slash nonce {nonce} and set version {} ({counted} more \
             recorded on chain), {threshold} needed",
            signatures.len(),
            set.set_version
        );
    }
    signatures.truncate(need);
    let txs = slashing::proposal_txs(
        proposer.pubkey(),
        position,
        &args,
        &message,
        &signatures,
        recorded.exists,
    );
    let mut landed = None;
    for (i, ixs) in txs.iter().enumerate() {
        let label = if i + 1 == txs.len() {
            "propose_slash"
        } else {
            "approve_slash"
        };
        landed = Some(sender.send(label, ixs, proposer, &[]).await?);
    }
    let landed = landed.ok_or_else(|| anyhow!("nothing to send"))?;
    if !output.json {
        println!(
            "slash of {} bps of position {position} proposed (evidence {hash}) in {}",
            args.amount_bps, landed.signature
        );
    }
    Ok(serde_json::json!({
        "position": position.to_string(),
        "evidence_hash": hash,
        "amount_bps": args.amount_bps,
        "slash_nonce": nonce,
        "signers": signatures.len() + counted,
        "transactions": txs.len(),
        "signature": landed.signature.to_string(),
        "slot": landed.slot,
    }))
}

async fn existing(sender: &Sender, position: &Pubkey) -> Result<Position> {
    fetch::<Position>(sender, "staking position", position)
        .await?
        .ok_or_else(|| anyhow!("no staking position at {position}"))
}

/// The position's pending slash and the cluster's clock, or an error naming the missing slash.
async fn pending(
    sender: &Sender,
    position: &Pubkey,
) -> Result<(Position, staking::state::PendingSlash, i64)> {
    let p = existing(sender, position).await?;
    let slash = p
        .pending_slash
        .ok_or_else(|| anyhow!("position {position} has no pending slash"))?;
    Ok((p, slash, cluster_time(sender).await?))
}

/// `depin slash overturn`.
pub fn overturn(o: &Slashed) -> Result<()> {
    let (sender, authority) = o.cluster.connect()?;
    runtime()?.block_on(async {
        let config = staking_config(&sender).await?;
        if config.authority != authority.pubkey() {
            bail!(
                "the staking authority is {}, not {}: overturn through it (a DAO proposal \
                 carrying `overturn_slash` for {})",
                config.authority,
                authority.pubkey(),
                o.position
            );
        }
        let (_, slash, now) = pending(&sender, &o.position).await?;
        if now >= slash.appeal_ends {
            bail!(
                "the appeal window of position {} closed at {} (cluster time {now})",
                o.position,
                slash.appeal_ends
            );
        }
        let ix = staking_ix::overturn_slash_ix(authority.pubkey(), o.position);
        let landed = sender
            .send("overturn_slash", &[ix], &authority, &[])
            .await?;
        print_landed(
            &format!("slash of position {} overturned", o.position),
            &landed,
            o.output.json,
            serde_json::json!({ "position": o.position.to_string(), "amount": slash.amount }),
        );
        Ok(())
    })
}

/// `depin slash execute`.
pub fn execute(e: &Slashed) -> Result<()> {
    let (sender, payer) = e.cluster.connect()?;
    runtime()?.block_on(async {
        let config = staking_config(&sender).await?;
        let (position, slash, now) = pending(&sender, &e.position).await?;
        if now < slash.appeal_ends {
            bail!(
                "the appeal window of position {} is open for {} s more",
                e.position,
                slash.appeal_ends - now
            );
        }
        let tp = token_program(&config.token_program)?;
        let ix = staking_ix::execute_slash_ix(position.owner, e.position, config.stake_mint, tp);
        let landed = sender.send("execute_slash", &[ix], &payer, &[]).await?;
        print_landed(
            &format!("{} tokens of position {} burned", slash.amount, e.position),
            &landed,
            e.output.json,
            serde_json::json!({ "position": e.position.to_string(), "burned": slash.amount }),
        );
        Ok(())
    })
}
