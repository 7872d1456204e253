//! `depin migrate`: applies a deployment config to a cluster and prints what each step did.

use std::path::PathBuf;

use anyhow::Result;
use depin_client::solana_signer::Signer;
use depin_migrations::{Config, Outcome};

use crate::{ClusterArgs, Output};

/// Initialise a cluster from a config file (migrations/localnet.toml by default),
/// idempotently: what exists and matches is left alone, what differs is reported, only what
/// is missing is sent.
#[derive(clap::Args)]
pub struct Migrate {
    /// The deployment config.
    #[arg(long, default_value = "migrations/localnet.toml")]
    pub config: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin migrate`: runs the migration `--config` describes and prints its report.
///
/// # Errors
///
/// An unreadable or invalid config, or a step that fails (the steps before it stay applied).
pub fn run(args: &Migrate) -> Result<()> {
    let Migrate {
        config: ref config_path,
        ref cluster,
        output: Output { json },
    } = *args;
    let config = Config::load(config_path)?;
    let (sender, keypair) = cluster.connect()?;
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
