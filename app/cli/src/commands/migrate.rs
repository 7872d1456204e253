//! `depin migrate`: applies a deployment config to a cluster and prints what each step did.

use std::path::Path;

use anyhow::Result;
use depin_client::cluster::{load_keypair, resolve_cluster, resolve_keypair_path};
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_migrations::{Config, Outcome};

use crate::ClusterArgs;

/// The cluster, the signer and the sender the flags name.
pub fn connect(args: &ClusterArgs) -> Result<(Sender, depin_client::solana_keypair::Keypair)> {
    let cluster = resolve_cluster(args.url.as_deref())?;
    let keypair = load_keypair(&resolve_keypair_path(args.keypair.as_deref())?)?;
    let sender = Sender::new(
        cluster.rpc_url,
        SendConfig {
            cu_price_micro_lamports: args.priority_fee,
            ..SendConfig::default()
        },
    );
    Ok((sender, keypair))
}

pub fn run(config_path: &Path, args: &ClusterArgs, json: bool) -> Result<()> {
    let config = Config::load(config_path)?;
    let (sender, keypair) = connect(args)?;
    let runtime = crate::runtime()?;
    if !json {
        eprintln!(
            "Migrating {} with {} as {} ...",
            sender.rpc().url(),
            config_path.display(),
            keypair.pubkey()
        );
    }
    let report = runtime.block_on(depin_migrations::migrate(&config, &sender, &keypair))?;
    if json {
        let steps: Vec<_> = report
            .steps
            .iter()
            .map(|s| {
                let (outcome, detail) = match &s.outcome {
                    Outcome::Applied { signature } => ("applied", signature.to_string()),
                    Outcome::Unchanged => ("unchanged", String::new()),
                    Outcome::Differs { fields } => ("differs", fields.join("; ")),
                    Outcome::Pending { detail } => ("pending", detail.clone()),
                };
                serde_json::json!({ "step": s.name, "outcome": outcome, "detail": detail })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "in_sync": report.in_sync(), "applied": report.applied(), "steps": steps,
            }))?
        );
    } else {
        println!("{report}");
    }
    Ok(())
}
