//! Deploys and initialises a cluster from a config file, over JSON-RPC, idempotently.
//!
//! The programs are deployed by the cluster (the local network's genesis) or by
//! `solana program deploy`; a migration initialises them, in dependency order:
//!
//! ```text
//!  rewards   initialize_network (with the genesis oracle set) ─► oracle set rotation, when
//!            the config's differs (timelocked: propose, later apply) ─► makers
//!  tokens    stablecoin mints (created on a local network from their keypair files)
//!  staking   initialize_staking ─► initialize_revenue (the revenue stablecoin)
//!  treasury  initialize_treasury ─► add_stablecoin (each) ─► initialize_credits
//! ```
//!
//! Every step reads the chain first. What exists and matches the config is left alone and
//! reported `unchanged`; what exists and differs is reported field by field and left alone too
//! (changing a live parameter is governance's job, through the timelock); only what is missing
//! is sent. A second run therefore sends nothing and says so.

pub mod config;
mod steps;

use std::fmt;

pub use config::{Config, ConfigError};
use depin_client::solana_signature::Signature;
pub use steps::{localnet_pool, migrate, pool_keypair};

/// What one step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sent and landed.
    Applied { signature: Signature },
    /// Already on-chain as configured: nothing sent.
    Unchanged,
    /// On-chain, but these fields differ from the config: nothing sent (use governance).
    Differs { fields: Vec<String> },
    /// Waiting on a timelock: nothing more to send yet.
    Pending { detail: String },
}

/// One step of a migration and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub outcome: Outcome,
}

/// Everything a migration did, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub steps: Vec<Step>,
}

impl Report {
    /// Steps that sent a transaction.
    pub fn applied(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Applied { .. }))
            .count()
    }

    /// True when the run sent nothing and nothing differs or waits: the cluster is as configured.
    pub fn in_sync(&self) -> bool {
        self.steps.iter().all(|s| s.outcome == Outcome::Unchanged)
    }

    pub(crate) fn push(&mut self, name: impl Into<String>, outcome: Outcome) {
        self.steps.push(Step {
            name: name.into(),
            outcome,
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
        for step in &self.steps {
            let what = match &step.outcome {
                Outcome::Applied { signature } => format!("applied    {signature}"),
                Outcome::Unchanged => "unchanged".to_string(),
                Outcome::Differs { fields } => format!("DIFFERS    {}", fields.join("; ")),
                Outcome::Pending { detail } => format!("pending    {detail}"),
            };
            writeln!(f, "  {:width$}  {what}", step.name)?;
        }
        if self.in_sync() {
            write!(f, "Nothing to do: the cluster already matches the config.")
        } else {
            write!(
                f,
                "{} step(s) applied, {} unchanged.",
                self.applied(),
                self.steps
                    .iter()
                    .filter(|s| s.outcome == Outcome::Unchanged)
                    .count()
            )
        }
    }
}

/// Why a migration stopped. Steps before it stay applied; a re-run resumes after them.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Send(#[from] depin_client::SendError),
    #[error(transparent)]
    Fetch(#[from] depin_client::accounts::FetchError),
    #[error(
        "{step}: needs the signature of {key} ({field}), but the migration runs as {signer}: run \
         it with that keypair (--keypair), or do this step through governance"
    )]
    NeedsSigner {
        step: String,
        field: &'static str,
        key: String,
        signer: String,
    },
    #[error("{step}: {reason}")]
    Chain { step: String, reason: String },
}
