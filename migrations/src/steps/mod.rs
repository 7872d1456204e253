//! The migration's steps, each: read the chain, compare with the config, send only what is
//! missing. One file per program it initialises, in the order [`migrate`] runs them:
//!
//! ```text
//!  rewards   initialize_network, the oracle set (rotated through the timelock), makers
//!  tokens    the stablecoin mints (created on a local network from their keypair files)
//!  governance  the realm (spl-governance over the network token, staking as its addin)
//!  staking   initialize_staking (naming the realm), initialize_revenue
//!  governance  the staking config's governance, whose native treasury gets SOL for the rent of
//!            the changes it proposes
//!  treasury  initialize_treasury, then (after the pools) add_stablecoin, initialize_credits
//!  pool      each coin's AMM pool (the local network's, created at derived keys)
//! ```
//!
//! This file holds what they share: the run's context ([`Ctx`]: config, sender, signer,
//! report), the field-by-field [`Diff`] of chain and config, and account creation.

mod governance;
mod pool;
mod rewards;
mod staking;
mod tokens;
mod treasury;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use depin_client::accounts::cluster_time;
use depin_client::builders::{DeploymentKeys, TokenProgram};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_signer::Signer;
use depin_client::{SendError, Sender};

pub use pool::{localnet_pool, pool_keypair};

use crate::config::{Config, StablecoinConfig, key};
use crate::{MigrateError, Outcome, Report};

/// Collects the fields where the chain and the config disagree.
#[derive(Default)]
struct Diff(Vec<String>);

impl Diff {
    fn check<T: PartialEq + std::fmt::Debug>(&mut self, field: &str, chain: T, config: T) {
        if chain != config {
            self.0
                .push(format!("{field}: on-chain {chain:?}, config {config:?}"));
        }
    }

    fn outcome(self) -> Outcome {
        if self.0.is_empty() {
            Outcome::Unchanged
        } else {
            Outcome::Differs { fields: self.0 }
        }
    }
}

/// A coin of the config with its resolved mint.
struct Coin<'a> {
    config: &'a StablecoinConfig,
    mint: Pubkey,
    token_program: TokenProgram,
}

struct Ctx<'a> {
    config: &'a Config,
    sender: &'a Sender,
    deployer: &'a Keypair,
    me: Pubkey,
    keys: DeploymentKeys,
    report: Report,
}

impl Ctx<'_> {
    async fn send(
        &self,
        step: &str,
        ixs: &[Instruction],
        extra: &[&Keypair],
    ) -> Result<Outcome, SendError> {
        let landed = self.sender.send(step, ixs, self.deployer, extra).await?;
        Ok(Outcome::Applied {
            signature: landed.signature,
        })
    }

    /// The migration can only sign as its own key.
    fn require_signer(
        &self,
        step: &str,
        field: &'static str,
        key: &Pubkey,
    ) -> Result<(), MigrateError> {
        if *key == self.me {
            Ok(())
        } else {
            Err(MigrateError::NeedsSigner {
                step: step.to_string(),
                field,
                key: key.to_string(),
                signer: self.me.to_string(),
            })
        }
    }

    fn key(&self, field: &str, value: &str) -> Result<Pubkey, MigrateError> {
        if value == "dao"
            && let Some(g) = &self.config.governance
        {
            return Ok(g.dao());
        }
        Ok(key(field, value, &self.me)?)
    }

    /// The cluster's clock (`Clock::unix_timestamp`).
    async fn cluster_time(&self, step: &str) -> Result<i64, MigrateError> {
        cluster_time(self.sender)
            .await
            .map_err(|e| MigrateError::Chain {
                step: step.to_string(),
                reason: e.to_string(),
            })
    }
}

/// Runs every step in order; see the crate docs.
pub async fn migrate(
    config: &Config,
    sender: &Sender,
    deployer: &Keypair,
) -> Result<Report, MigrateError> {
    config.check()?;
    let me = deployer.pubkey();
    let mut ctx = Ctx {
        config,
        sender,
        deployer,
        me,
        keys: DeploymentKeys {
            payer: me,
            deployer: me,
        },
        report: Report::default(),
    };
    rewards::network(&mut ctx).await?;
    rewards::oracle_set(&mut ctx).await?;
    rewards::makers(&mut ctx).await?;
    rewards::lookup_table(&mut ctx).await?;
    let coins = tokens::stablecoin_mints(&mut ctx).await?;
    // The realm first: staking checks the realm it is to name.
    governance::realm(&mut ctx).await?;
    staking::initialize(&mut ctx).await?;
    staking::revenue(&mut ctx, &coins).await?;
    governance::governance(&mut ctx).await?;
    treasury::initialize(&mut ctx).await?;
    let venues = pool::venues(&mut ctx, &coins).await?;
    treasury::stablecoins(&mut ctx, &coins, &venues).await?;
    treasury::credits(&mut ctx).await?;
    Ok(ctx.report)
}

/// The rent-exempt balance of `len` bytes.
async fn rent(ctx: &Ctx<'_>, step: &str, len: usize) -> Result<u64, MigrateError> {
    ctx.sender
        .call(|rpc| rpc.get_minimum_balance_for_rent_exemption(len))
        .await
        .map_err(|e| MigrateError::Chain {
            step: step.to_string(),
            reason: format!("rent: {e}"),
        })
}

/// `create_account` of `len` bytes for `owner`, paid by the deployer.
async fn create_account(
    ctx: &Ctx<'_>,
    step: &str,
    key: &Pubkey,
    len: usize,
    owner: &Pubkey,
) -> Result<Instruction, MigrateError> {
    Ok(
        anchor_lang::solana_program::system_instruction::create_account(
            &ctx.me,
            key,
            rent(ctx, step, len).await?,
            len as u64,
            owner,
        ),
    )
}

/// A token instruction that could not be built, as the step's error.
fn token_ix_error(step: &str, e: impl std::fmt::Display) -> MigrateError {
    MigrateError::Chain {
        step: step.to_string(),
        reason: e.to_string(),
    }
}
