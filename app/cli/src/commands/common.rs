//! What several commands share: the accounts `depin migrate` creates (the rewards network, the
//! staking config) and the treasury's coin ledgers, read with an error that names what is
//! missing; the token program that owns an account; how a landed transaction is printed.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, Owner};
use anyhow::{Result, anyhow};
use depin_client::accounts::{AccountSource, fetch};
use depin_client::builders::{TokenProgram, rewards_ix, staking_ix, treasury_ix};
use depin_client::{Landed, Sender};
use rewards::state::Network;

/// The `what` account at `address`, one that `depin migrate` creates, or an error that says
/// to run it.
pub(crate) async fn migrated<T: AccountDeserialize + Owner>(
    sender: &Sender,
    what: &'static str,
    address: &Pubkey,
) -> Result<T> {
    fetch::<T>(sender, what, address).await?.ok_or_else(|| {
        anyhow!(
            "no {what} at {address} on {} (run `depin migrate`)",
            sender.rpc().url()
        )
    })
}

/// The rewards network account, or an error that says to run `depin migrate`.
pub(crate) async fn network(sender: &Sender) -> Result<Network> {
    migrated(sender, "rewards network", &rewards_ix::network_pda().0).await
}

/// The staking config, or an error that says to run `depin migrate`.
pub(crate) async fn staking_config(sender: &Sender) -> Result<staking::state::StakingConfig> {
    migrated(sender, "staking config", &staking_ix::config_pda().0).await
}

/// The treasury config, or an error that says to run `depin migrate`.
pub(crate) async fn treasury(sender: &Sender) -> Result<treasury::state::Treasury> {
    migrated(sender, "treasury", &treasury_ix::treasury_pda().0).await
}

/// The token program `owner` names (the owner of a mint or token account).
pub(crate) fn token_program(owner: &Pubkey) -> Result<TokenProgram> {
    TokenProgram::from_owner(owner).ok_or_else(|| anyhow!("unknown token program {owner}"))
}

/// The treasury's ledger for `mint`, or an error naming the mint.
pub(crate) async fn stablecoin(
    rpc: &impl AccountSource,
    mint: &Pubkey,
) -> Result<treasury::state::Stablecoin> {
    fetch::<treasury::state::Stablecoin>(
        rpc,
        "treasury stablecoin",
        &treasury_ix::stablecoin_pda(mint).0,
    )
    .await?
    .ok_or_else(|| anyhow!("--mint {mint}: the treasury does not accept this coin"))
}

/// A landed transaction: `fields` with its signature and slot as one JSON line, or
/// "`what` in `signature`".
pub(crate) fn print_landed(what: &str, landed: &Landed, json: bool, fields: serde_json::Value) {
    if json {
        let mut v = fields;
        v["signature"] = landed.signature.to_string().into();
        v["slot"] = landed.slot.into();
        println!("{v}");
    } else {
        println!("{what} in {}", landed.signature);
    }
}
