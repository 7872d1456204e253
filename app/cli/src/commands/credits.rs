//! `depin credits buy | consume | balance`: service credits, over JSON-RPC (docs/treasury.md).
//!
//! A customer burns network tokens for credits at the treasury's conservative oracle price
//! (`burn_for_credits`: `floor(tokens × price bound × credits_per_usd)`); the service operator
//! burns the credits that delivered service used (`consume_credits`, as the credits mint's
//! permanent delegate). Credits live in the holder's associated Token-2022 account of the
//! credits mint and cannot be transferred.

use anchor_lang::prelude::Pubkey;
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use depin_client::Sender;
use depin_client::accounts::{AccountSource, token_balance};
use depin_client::builders::{
    TokenProgram, associated_token_address, create_associated_token_account_idempotent, treasury_ix,
};
use depin_client::solana_signer::Signer;
use treasury::instructions::ConsumeCreditsArgs;
use treasury::state::Treasury;

use super::common::{print_landed, token_program};
use crate::{ClusterArgs, Output, runtime};

/// `depin credits ...`.
#[derive(Subcommand)]
pub enum CreditsCommand {
    Buy(Buy),
    Consume(Consume),
    Balance(Balance),
}

impl CreditsCommand {
    /// Runs the subcommand.
    ///
    /// # Errors
    ///
    /// Whatever the subcommand refuses or the cluster returns.
    pub fn run(&self) -> Result<()> {
        match self {
            Self::Buy(args) => buy(args),
            Self::Consume(args) => consume(args),
            Self::Balance(args) => balance(args),
        }
    }
}

/// The treasury, with its credits mint created, or an error naming what is missing.
async fn credits_treasury(sender: &Sender) -> Result<Treasury> {
    let treasury = super::common::treasury(sender).await?;
    if treasury.credits_mint == Pubkey::default() {
        bail!("the treasury has no credits mint yet (governance runs `initialize_credits`)");
    }
    Ok(treasury)
}

/// `wallet`'s credits account: its associated Token-2022 account of the credits mint.
fn credits_account(wallet: &Pubkey) -> Pubkey {
    associated_token_address(
        wallet,
        &treasury_ix::credits_mint_pda().0,
        TokenProgram::Token2022,
    )
}

/// Burn network tokens from the signer's token account for service credits, at the treasury's
/// conservative oracle price (the EMA less its confidence band).
#[derive(clap::Args)]
pub struct Buy {
    /// Network token base units to burn.
    #[arg(long)]
    pub amount: u64,
    /// The Pyth `PriceUpdateV2` account of the pinned feed (default: the local network's).
    #[arg(long, default_value_t = depin_client::cluster::LOCALNET_PRICE_UPDATE)]
    pub price_update: Pubkey,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin credits buy`: burns `amount` of the signer's network tokens and mints the credits the
/// price gives into the signer's credits account (created if missing).
///
/// # Errors
///
/// A zero amount, no treasury or credits mint, more than the signer holds, or a failed send
/// (a stale price is refused by the program by name).
pub fn buy(args: &Buy) -> Result<()> {
    let Buy {
        amount,
        price_update,
        ref cluster,
        output,
    } = *args;
    if amount == 0 {
        bail!("--amount must be more than 0");
    }
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let treasury = credits_treasury(&sender).await?;
        let mint = treasury.network_mint;
        let (mint_owner, _) = sender
            .owner_and_data(&mint)
            .await?
            .ok_or_else(|| anyhow!("the network mint {mint} does not exist"))?;
        let tp = token_program(&mint_owner)?;
        let tokens = associated_token_address(&owner.pubkey(), &mint, tp);
        let held = token_balance(&sender, &tokens).await;
        if held < amount {
            bail!(
                "--amount {amount}: {} holds {held} network token base units in {tokens}",
                owner.pubkey()
            );
        }
        let account = credits_account(&owner.pubkey());
        let before = token_balance(&sender, &account).await;
        let create = create_associated_token_account_idempotent(
            &owner.pubkey(),
            &owner.pubkey(),
            &treasury_ix::credits_mint_pda().0,
            TokenProgram::Token2022,
        );
        let ix = treasury_ix::burn_for_credits(
            treasury_ix::burn_for_credits_accounts(
                owner.pubkey(),
                mint,
                tp,
                tokens,
                price_update,
                account,
            ),
            amount,
        );
        let landed = sender
            .send("treasury: burn_for_credits", &[create, ix], &owner, &[])
            .await?;
        let after = token_balance(&sender, &account).await;
        let credits = after.saturating_sub(before);
        print_landed(
            &format!("Burned {amount} network token base units for {credits} credits"),
            &landed,
            output.json,
            serde_json::json!({"wallet": owner.pubkey().to_string(), "burned": amount,
                "credits": credits, "balance": after, "account": account.to_string()}),
        );
        Ok(())
    })
}

/// The service operator burns credits a customer's service used (signed by the treasury's
/// service operator).
#[derive(clap::Args)]
pub struct Consume {
    /// The customer's wallet (its credits account is the associated one).
    #[arg(long)]
    pub customer: Pubkey,
    /// Credits to burn.
    #[arg(long)]
    pub amount: u64,
    /// The usage reference (up to 32 bytes of text) echoed in the event; default none.
    #[arg(long)]
    pub reference: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin credits consume`: burns `amount` of the customer's credits.
///
/// # Errors
///
/// A zero amount, a bad `--reference`, a signer that is not the service operator, more credits
/// than the customer holds (all refused by name before anything is sent), or a failed send.
pub fn consume(args: &Consume) -> Result<()> {
    let Consume {
        customer,
        amount,
        ref reference,
        ref cluster,
        output,
    } = *args;
    if amount == 0 {
        bail!("--amount must be more than 0");
    }
    let usage_reference = match reference {
        Some(text) => super::pay::reference(text)?,
        None => [0; 32],
    };
    let (sender, operator) = cluster.connect()?;
    runtime()?.block_on(async {
        let treasury = credits_treasury(&sender).await?;
        if treasury.roles.service_operator != operator.pubkey() {
            bail!(
                "the treasury's service operator is {}, not the signer {}: only it consumes \
                 credits",
                treasury.roles.service_operator,
                operator.pubkey()
            );
        }
        let account = credits_account(&customer);
        let held = token_balance(&sender, &account).await;
        if held < amount {
            bail!("--amount {amount}: customer {customer} holds {held} credits");
        }
        let ix = treasury_ix::consume_credits(
            treasury_ix::consume_credits_accounts(operator.pubkey(), account),
            ConsumeCreditsArgs {
                amount,
                usage_reference,
            },
        );
        let landed = sender
            .send("treasury: consume_credits", &[ix], &operator, &[])
            .await?;
        let after = token_balance(&sender, &account).await;
        print_landed(
            &format!("Consumed {amount} credits of {customer} ({after} left)"),
            &landed,
            output.json,
            serde_json::json!({"customer": customer.to_string(), "consumed": amount,
                "balance": after, "reference": reference}),
        );
        Ok(())
    })
}

/// A wallet's credits, and the treasury's credit totals (reads only: loads no keypair when
/// `--wallet` is given).
#[derive(clap::Args)]
pub struct Balance {
    /// Default: the signer's key.
    #[arg(long)]
    pub wallet: Option<Pubkey>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin credits balance`.
///
/// # Errors
///
/// No treasury or credits mint.
pub fn balance(args: &Balance) -> Result<()> {
    let Balance {
        wallet,
        ref cluster,
        output,
    } = *args;
    let (sender, wallet) = cluster.reader_about(wallet)?;
    runtime()?.block_on(async {
        let treasury = credits_treasury(&sender).await?;
        let account = credits_account(&wallet);
        let credits = token_balance(&sender, &account).await;
        output.print(
            &serde_json::json!({
                "wallet": wallet.to_string(), "account": account.to_string(),
                "credits": credits, "credits_per_usd": treasury.credits_per_usd,
                "total_minted": treasury.credits_minted,
                "total_consumed": treasury.credits_consumed,
                "tokens_burned": treasury.total_credit_burned,
            }),
            || {
                println!("wallet {wallet}: {credits} credits ({account})");
                println!(
                    "treasury: {} credits per USD; {} minted, {} consumed, for {} network \
                     token base units burned",
                    treasury.credits_per_usd,
                    treasury.credits_minted,
                    treasury.credits_consumed,
                    treasury.total_credit_burned
                );
            },
        );
        Ok(())
    })
}
