//! `depin stake ...`: the staker's commands over JSON-RPC: lock (create a position or add to
//! it), extend, unlock (a constant lock starts to run down), unstake (into the cooldown),
//! withdraw, claim-revenue, and status. Each reads the position first and refuses by name what
//! the program would refuse.

use anchor_lang::prelude::Pubkey;
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use depin_client::Sender;
use depin_client::accounts::{AccountSource, fetch, token_balance};
use depin_client::builders::{
    TokenProgram, associated_token_address, create_associated_token_account_idempotent, governance,
    staking_ix,
};
use depin_client::solana_signer::Signer;
use staking::state::{LockupKind, Position, Staker, StakingConfig};

use super::common::{network, print_landed, staking_config, token_program};
use crate::{ClusterArgs, Output, runtime};

/// `depin stake ...`.
#[derive(Subcommand)]
pub enum StakeCommand {
    Lock(Lock),
    Extend(Extend),
    Unlock(Unlock),
    Unstake(Unstake),
    Withdraw(Withdraw),
    ClaimRevenue(ClaimRevenue),
    Status(Status),
}

impl StakeCommand {
    /// Runs the subcommand.
    ///
    /// # Errors
    ///
    /// Whatever the subcommand refuses or the cluster returns.
    pub fn run(&self) -> Result<()> {
        match self {
            Self::Lock(args) => lock(args),
            Self::Extend(args) => extend(args),
            Self::Unlock(args) => unlock(args),
            Self::Unstake(args) => unstake(args),
            Self::Withdraw(args) => withdraw(args),
            Self::ClaimRevenue(args) => claim_revenue(args),
            Self::Status(args) => status(args),
        }
    }
}

async fn position(sender: &Sender, owner: &Pubkey, id: u64) -> Result<Option<Position>> {
    Ok(fetch::<Position>(
        sender,
        "staking position",
        &staking_ix::position_pda(owner, id).0,
    )
    .await?)
}

async fn existing(sender: &Sender, owner: &Pubkey, id: u64) -> Result<Position> {
    position(sender, owner, id).await?.ok_or_else(|| {
        anyhow!("{owner} has no staking position #{id} (`depin stake lock` creates one)")
    })
}

/// The token program of the staked token or the revenue coin (`what`).
fn coin_program(owner: &Pubkey, what: &str) -> Result<TokenProgram> {
    token_program(owner).map_err(|e| anyhow!("{what}: {e}"))
}

/// Lock network tokens from the signer's token account: creates position --id, or adds to
/// it if it exists (its lock is unchanged).
#[derive(clap::Args)]
pub struct Lock {
    /// Base units.
    #[arg(long)]
    pub amount: u64,
    /// Lock length in seconds (0: unlocked, e.g. plain device collateral).
    #[arg(long, default_value_t = 0)]
    pub lockup_secs: u64,
    /// A constant lock (no decay until `stake unlock`) instead of a cliff.
    #[arg(long)]
    pub constant: bool,
    #[arg(long, default_value_t = 0)]
    pub id: u64,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin stake lock`: creates position `id` with `amount` locked for `lockup_secs`, or adds
/// `amount` to it if it exists (its lock is unchanged; `extend` lengthens it).
pub fn lock(l: &Lock) -> Result<()> {
    let (cluster, json) = (&l.cluster, l.output.json);
    if l.amount == 0 {
        bail!("--amount must be more than 0");
    }
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let config = staking_config(&sender).await?;
        if l.lockup_secs > config.max_lockup_secs {
            bail!(
                "--lockup-secs {} is longer than the longest lock, {} s",
                l.lockup_secs,
                config.max_lockup_secs
            );
        }
        let tp = coin_program(&config.token_program, "the staked token")?;
        let source = associated_token_address(&owner.pubkey(), &config.stake_mint, tp);
        let key = staking_ix::position_pda(&owner.pubkey(), l.id).0;
        let (ix, what) = match position(&sender, &owner.pubkey(), l.id).await? {
            None => (
                staking_ix::stake(
                    staking_ix::stake_accounts(owner.pubkey(), l.id, config.stake_mint, source, tp),
                    staking_ix::StakeArgs {
                        id: l.id,
                        kind: if l.constant {
                            LockupKind::Constant
                        } else {
                            LockupKind::Cliff
                        },
                        lockup_secs: l.lockup_secs,
                        amount: l.amount,
                    },
                ),
                "staking: stake",
            ),
            Some(_) => (
                staking_ix::add_to_position(
                    staking_ix::add_to_position_accounts(
                        owner.pubkey(),
                        key,
                        config.stake_mint,
                        source,
                        tp,
                    ),
                    l.amount,
                ),
                "staking: add_to_position",
            ),
        };
        // Tokens added to a position earn revenue from its next re-weighing: in the same
        // transaction.
        let refresh = staking_ix::refresh_position_ix(owner.pubkey(), key);
        let ixs = if what == "staking: add_to_position" {
            vec![ix, refresh]
        } else {
            vec![ix]
        };
        let landed = sender.send(what, &ixs, &owner, &[]).await?;
        print_landed(
            &format!("Locked {} in position #{} ({key})", l.amount, l.id),
            &landed,
            json,
            serde_json::json!({"position": key.to_string(), "id": l.id, "amount": l.amount}),
        );
        Ok(())
    })
}

/// Lengthen a position's lock to --lockup-secs from now.
#[derive(clap::Args)]
pub struct Extend {
    #[arg(long, default_value_t = 0)]
    pub id: u64,
    #[arg(long)]
    pub lockup_secs: u64,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin stake extend`: lengthens the lock to `lockup_secs` from now (never shortens it).
pub fn extend(args: &Extend) -> Result<()> {
    let Extend {
        id,
        lockup_secs,
        ref cluster,
        output: Output { json },
    } = *args;
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        existing(&sender, &owner.pubkey(), id).await?;
        let key = staking_ix::position_pda(&owner.pubkey(), id).0;
        let ix = staking_ix::extend_lock_ix(owner.pubkey(), key, lockup_secs);
        let landed = sender
            .send("staking: extend_lock", &[ix], &owner, &[])
            .await?;
        print_landed(
            &format!("Extended position #{id} to {lockup_secs} s"),
            &landed,
            json,
            serde_json::json!({"position": key.to_string(), "lockup_secs": lockup_secs}),
        );
        Ok(())
    })
}

/// A constant lock starts to run down.
#[derive(clap::Args)]
pub struct Unlock {
    #[arg(long, default_value_t = 0)]
    pub id: u64,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin stake unlock`: a constant lock starts to run down (`lockup_secs` from now).
pub fn unlock(args: &Unlock) -> Result<()> {
    let Unlock {
        id,
        ref cluster,
        output: Output { json },
    } = *args;
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let p = existing(&sender, &owner.pubkey(), id).await?;
        if p.kind != LockupKind::Constant {
            bail!(
                "position #{id} is a cliff lock: it already runs down (see `depin stake status`)"
            );
        }
        let key = staking_ix::position_pda(&owner.pubkey(), id).0;
        let ix = staking_ix::start_unlock_ix(owner.pubkey(), key);
        let landed = sender
            .send("staking: start_unlock", &[ix], &owner, &[])
            .await?;
        print_landed(
            &format!("Position #{id} unlocks in {} s", p.lockup_secs),
            &landed,
            json,
            serde_json::json!({"position": key.to_string()}),
        );
        Ok(())
    })
}

/// Move unlocked tokens into the cooldown.
#[derive(clap::Args)]
pub struct Unstake {
    #[arg(long, default_value_t = 0)]
    pub id: u64,
    #[arg(long)]
    pub amount: u64,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin stake unstake`: moves `amount` whose lock has run out into the cooldown.
pub fn unstake(args: &Unstake) -> Result<()> {
    let Unstake {
        id,
        amount,
        ref cluster,
        output: Output { json },
    } = *args;
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let config = staking_config(&sender).await?;
        let p = existing(&sender, &owner.pubkey(), id).await?;
        let final_epochs = if p.liable_devices == 0 {
            0
        } else {
            network(&sender).await?.final_root.epochs
        };
        collateral_allows(&p, &config, amount, final_epochs)?;
        let record = no_open_votes(&sender, &config, &owner.pubkey()).await?;
        let key = staking_ix::position_pda(&owner.pubkey(), id).0;
        let ix = staking_ix::unstake_ix(owner.pubkey(), key, amount, record);
        let landed = sender.send("staking: unstake", &[ix], &owner, &[]).await?;
        print_landed(
            &format!("Unstaked {amount} from position #{id} (cooling down)"),
            &landed,
            json,
            serde_json::json!({"position": key.to_string(), "amount": amount}),
        );
        Ok(())
    })
}

/// Whether unstaking `amount` while `final_epochs` epochs are final leaves the collateral of the
/// position's bound devices, and of those released but still liable for offences (the program
/// refuses otherwise, with `CollateralBound`; this says why first).
fn collateral_allows(
    p: &Position,
    config: &StakingConfig,
    amount: u64,
    final_epochs: u64,
) -> Result<()> {
    let devices = p.collateral_devices(final_epochs);
    let required = u128::from(config.min_device_collateral) * u128::from(devices);
    let free = u128::from(p.amount).saturating_sub(required);
    if u128::from(amount) <= free || amount > p.amount {
        return Ok(());
    }
    let liable = devices - u64::from(p.bound_devices);
    let why = if liable > 0 {
        format!(
            "{} bound device(s) and {liable} released device(s) that stay liable for offences \
             until the network's first {} epochs are final ({final_epochs} are now)",
            p.bound_devices, p.liable_until_epochs
        )
    } else {
        format!("{} bound device(s)", p.bound_devices)
    };
    bail!("the position holds the collateral of {why}: at most {free} can be unstaked now")
}

/// `owner`'s token owner record in the staking config's realm, after checking that it holds no
/// vote not relinquished (the program refuses `unstake` and `withdraw` then; this says why first).
async fn no_open_votes(sender: &Sender, config: &StakingConfig, owner: &Pubkey) -> Result<Pubkey> {
    let record = staking_ix::token_owner_record(&config.realm, &config.stake_mint, owner);
    let account = sender
        .owner_and_data(&record)
        .await
        .map_err(|e| anyhow!("token owner record {record}: {e}"))?;
    let data = account.map(|(_, data)| data).unwrap_or_default();
    if let Some((_, votes)) = governance::token_owner_record_votes(&data)
        && votes > 0
    {
        bail!(
            "{owner} has {votes} vote(s) in realm {} not relinquished yet: relinquish them \
             (spl-governance RelinquishVote) before unstaking or withdrawing",
            config.realm
        );
    }
    Ok(record)
}

/// Cooled-down tokens back to the signer's token account (default: all of them).
#[derive(clap::Args)]
pub struct Withdraw {
    #[arg(long, default_value_t = 0)]
    pub id: u64,
    #[arg(long)]
    pub amount: Option<u64>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin stake withdraw`: cooled-down tokens back to the owner's token account.
pub fn withdraw(args: &Withdraw) -> Result<()> {
    let Withdraw {
        id,
        amount,
        ref cluster,
        output: Output { json },
    } = *args;
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let config = staking_config(&sender).await?;
        let p = existing(&sender, &owner.pubkey(), id).await?;
        let amount = amount.unwrap_or(p.cooling);
        if amount == 0 || amount > p.cooling {
            bail!(
                "position #{id} has {} cooling down (unstake first; withdraw after the cooldown)",
                p.cooling
            );
        }
        let tp = coin_program(&config.token_program, "the staked token")?;
        no_open_votes(&sender, &config, &owner.pubkey()).await?;
        let key = staking_ix::position_pda(&owner.pubkey(), id).0;
        let destination = associated_token_address(&owner.pubkey(), &config.stake_mint, tp);
        let accounts = staking_ix::withdraw_accounts(
            owner.pubkey(),
            key,
            config.stake_mint,
            destination,
            tp,
            config.realm,
        );
        let ix = staking_ix::withdraw(accounts, amount);
        let landed = sender.send("staking: withdraw", &[ix], &owner, &[]).await?;
        print_landed(
            &format!("Withdrew {amount} from position #{id}"),
            &landed,
            json,
            serde_json::json!({"position": key.to_string(), "amount": amount}),
        );
        Ok(())
    })
}

/// The signer's share of the stakers' revenue (over all its positions), to its token account.
#[derive(clap::Args)]
pub struct ClaimRevenue {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin stake claim-revenue`: the owner's share of the treasury's stakers' revenue, earned by
/// all its positions, in the revenue coin, to the owner's token account (created if missing).
pub fn claim_revenue(args: &ClaimRevenue) -> Result<()> {
    let ClaimRevenue {
        ref cluster,
        output: Output { json },
    } = *args;
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let config = staking_config(&sender).await?;
        if config.revenue_mint == Pubkey::default() {
            bail!("the staking program has no revenue coin yet (initialize_revenue)");
        }
        existing_staker(&sender, &owner.pubkey()).await?;
        let tp = coin_program(&config.revenue_token_program, "the revenue coin")?;
        let destination = associated_token_address(&owner.pubkey(), &config.revenue_mint, tp);
        let create = create_associated_token_account_idempotent(
            &owner.pubkey(),
            &owner.pubkey(),
            &config.revenue_mint,
            tp,
        );
        let ix = staking_ix::claim_revenue(staking_ix::claim_revenue_accounts(
            owner.pubkey(),
            config.revenue_mint,
            destination,
            tp,
        ));
        let before = token_balance(&sender, &destination).await;
        let landed = sender
            .send("staking: claim_revenue", &[create, ix], &owner, &[])
            .await?;
        let amount = token_balance(&sender, &destination)
            .await
            .saturating_sub(before);
        print_landed(
            &format!(
                "Claimed {amount} of {} revenue for {}",
                config.revenue_mint,
                owner.pubkey()
            ),
            &landed,
            json,
            serde_json::json!({"owner": owner.pubkey().to_string(), "amount": amount,
                "mint": config.revenue_mint.to_string()}),
        );
        Ok(())
    })
}

async fn existing_staker(sender: &Sender, owner: &Pubkey) -> Result<Staker> {
    fetch::<Staker>(sender, "staker", &staking_ix::staker_pda(owner).0)
        .await?
        .ok_or_else(|| anyhow!("{owner} has no staking position (`depin stake lock` creates one)"))
}

/// A position's numbers.
#[derive(clap::Args)]
pub struct Status {
    /// Default: the signer.
    #[arg(long)]
    pub owner: Option<Pubkey>,
    #[arg(long, default_value_t = 0)]
    pub id: u64,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin stake status`: a position's numbers.
pub fn status(args: &Status) -> Result<()> {
    let Status {
        owner,
        id,
        ref cluster,
        output: Output { json },
    } = *args;
    let (sender, owner) = cluster.reader_about(owner)?;
    runtime()?.block_on(async {
        let p = existing(&sender, &owner, id).await?;
        let staker = existing_staker(&sender, &owner).await?;
        let key = staking_ix::position_pda(&owner, id).0;
        let kind = match p.kind {
            LockupKind::Cliff => "cliff",
            LockupKind::Constant => "constant",
        };
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "position": key.to_string(), "owner": owner.to_string(), "id": id,
                    "kind": kind, "amount": p.amount, "lockup_secs": p.lockup_secs,
                    "lock_end": p.lock_end, "cooling": p.cooling, "cooldown_end": p.cooldown_end,
                    "bound_devices": p.bound_devices,
                    "liable_devices": p.liable_devices,
                    "liable_until_epochs": p.liable_until_epochs,
                    "owner_positions": staker.positions,
                    "owner_pending_revenue": staker.pending_revenue,
                    "owner_revenue_claimed": staker.revenue_claimed,
                })
            );
        } else {
            println!("position #{id} ({key}) of {owner}: {kind} lock");
            println!(
                "  locked {}  cooling {}  devices bound {}",
                p.amount, p.cooling, p.bound_devices
            );
            if p.liable_devices > 0 {
                println!(
                    "  released devices liable for offences: {} (until {} epochs are final)",
                    p.liable_devices, p.liable_until_epochs
                );
            }
            println!(
                "  lockup {} s, ends {}; cooldown ends {}",
                p.lockup_secs, p.lock_end, p.cooldown_end
            );
            println!(
                "  the owner's revenue over its {} positions: pending {} (as of the last touch), claimed {}",
                staker.positions, staker.pending_revenue, staker.revenue_claimed
            );
        }
        Ok(())
    })
}
