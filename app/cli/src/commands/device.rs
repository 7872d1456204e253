//! `depin device onboard | transfer | update-location | decommission | list`: the owner's
//! devices, over JSON-RPC.

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use depin_client::Sender;
use depin_client::accounts::{fetch, program_accounts, token_balance};
use depin_client::builders::{associated_token_address, rewards_ix, staking_ix};
use depin_client::maker_api;
use depin_client::onboarding::{self, Collateral};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_message::Message;
use depin_client::solana_signer::Signer;
use depin_client::solana_transaction::Transaction;
use depin_formats::onboarding::{OnboardingCode, REWARDS_PROGRAM_ID};
use rewards::state::{Device, DeviceKind, DeviceStatus};

use super::common::{network, print_landed, staking_config, token_program};
use crate::{ClusterArgs, Output, runtime};

/// Byte offset of `Device::owner` (discriminator, bump, kind, status, device key).
const DEVICE_OWNER_OFFSET: usize = 8 + 1 + 1 + 1 + 32;

/// `depin device ...`.
#[derive(Subcommand)]
pub enum DeviceCommand {
    Onboard(Onboard),
    Transfer(Transfer),
    UpdateLocation(UpdateLocation),
    Decommission(Decommission),
    List(List),
}

impl DeviceCommand {
    /// Runs the subcommand.
    ///
    /// # Errors
    ///
    /// Whatever the subcommand refuses or the cluster returns.
    pub fn run(&self) -> Result<()> {
        match self {
            Self::Onboard(args) => onboard(args),
            Self::Transfer(args) => transfer(args),
            Self::UpdateLocation(args) => update_location(args),
            Self::Decommission(args) => decommission(args),
            Self::List(args) => list(args),
        }
    }
}

/// Register a device owned by the signer from the device's onboarding code: one transaction
/// stakes the collateral still missing and onboards; the maker's service co-signs it. No other
/// party's secret key is used here.
#[derive(clap::Args)]
pub struct Onboard {
    /// The device's onboarding code (`depin-agent onboarding-code --owner <this wallet>`).
    #[arg(long)]
    pub code: String,
    /// The maker service's base URL (it checks the code and co-signs).
    #[arg(long)]
    pub maker_url: String,
    /// Asserted location: an H3 cell index in hex.
    #[arg(long)]
    pub location: String,
    /// The signer's staking position that holds the collateral (opened if missing).
    #[arg(long, default_value_t = 0)]
    pub position_id: u64,
    /// A new position's cliff lock, in seconds (0: unlocked collateral).
    #[arg(long, default_value_t = 0)]
    pub lockup_secs: u64,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin device onboard`: reads the code (it must verify, name the signer as owner, not be
/// expired by the cluster's clock, and its device must have no account yet), the network, the
/// staking config and the position; refuses by name (`insufficient_collateral`, with the
/// figures) before asking the maker when the signer's tokens do not cover the fee and the
/// collateral still needed, and (`maker_not_approved`) when the service's key (from its
/// `/v1/health`) is no active maker; else builds one transaction (`[compute budget] [stake |
/// add_to_position] ed25519(code) onboard_device`), simulates it (signatures unchecked: a
/// refusal there is the program's, before the maker spends the code), has the maker service
/// sign it (its signature must verify for its key over the message), signs it as the owner and
/// sends it.
///
/// # Errors
///
/// A refusal above, the maker service's refusal (its reason), or a failed send.
pub fn onboard(args: &Onboard) -> Result<()> {
    let Onboard {
        ref code,
        ref maker_url,
        ref location,
        position_id,
        lockup_secs,
        ref cluster,
        output: Output { json },
    } = *args;
    let cell = u64::from_str_radix(location.trim_start_matches("0x"), 16)
        .ok()
        .filter(|c| rewards::state::is_h3_cell(*c))
        .ok_or_else(|| anyhow!("--location {location:?} is not a hex H3 cell index"))?;
    let decoded = OnboardingCode::decode(code)
        .and_then(|c| c.verify(&REWARDS_PROGRAM_ID).map(|()| c))
        .map_err(|e| anyhow!("--code: {}: {e}", e.reason()))?;
    let (sender, owner) = cluster.connect()?;
    let code_owner = Pubkey::new_from_array(decoded.onboarding.owner.0);
    if code_owner != owner.pubkey() {
        bail!(
            "--code: wrong_owner: the code onboards to {code_owner}, not to the signer {}",
            owner.pubkey()
        );
    }
    runtime()?.block_on(async {
        let now = depin_client::accounts::cluster_time(&sender).await?;
        if decoded.expired(now) {
            bail!(
                "--code: code_expired: it expired at {} (cluster time {now}); ask the device \
                 for a new one",
                decoded.onboarding.expires_at
            );
        }
        let device = Pubkey::new_from_array(decoded.onboarding.device.0);
        let account = rewards_ix::device_pda(&device).0;
        if onboarding::device_onboarded(&sender, &device).await? {
            bail!("--code: device_already_onboarded: device {device} has its account {account}");
        }
        let network = network(&sender).await?;
        let config = staking_config(&sender).await?;
        let tp = token_program(&network.token_program)?;
        let plan = OnboardPlan {
            onboard: onboarding::Onboard {
                code: decoded,
                maker: Pubkey::default(),
                location: cell,
                position: staking_ix::position_pda(&owner.pubkey(), position_id).0,
                fee_source: associated_token_address(&owner.pubkey(), &network.mint, tp),
                token_program: tp,
            },
            stake: onboarding::Stake {
                position_id,
                stake_mint: config.stake_mint,
                token_program: token_program(&config.token_program)?,
                lockup_secs,
            },
        };
        let needed = plan
            .collateral(&sender, config.min_device_collateral)
            .await?;
        plan.check_funds(&sender, network.onboard_fee, needed)
            .await?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        let mut plan = plan;
        plan.onboard.maker = maker_api::maker_key(&http, maker_url).await?;
        approved_maker(&sender, &plan.onboard.maker, maker_url).await?;
        let landed = plan
            .send(&sender, &owner, needed, &http, maker_url, code)
            .await?;
        print_landed(
            &format!(
                "Onboarded device {device} (maker {}, collateral added {})",
                plan.onboard.maker,
                needed.amount()
            ),
            &landed,
            json,
            serde_json::json!({"device": device.to_string(),
                "account": account.to_string(),
                "maker": plan.onboard.maker.to_string(),
                "position": plan.onboard.position.to_string(),
                "collateral_added": needed.amount(), "fee": network.onboard_fee}),
        );
        Ok(())
    })
}

/// Refuses (`maker_not_approved`) a maker service whose key has no active maker account.
async fn approved_maker(sender: &Sender, maker: &Pubkey, url: &str) -> Result<()> {
    if !onboarding::maker_active(sender, maker).await? {
        let account = rewards_ix::maker_pda(maker).0;
        bail!(
            "--maker-url: maker_not_approved: the service at {url} signs as {maker}, which is not \
             an approved, active maker on this network (no active maker account at {account})"
        );
    }
    Ok(())
}

/// An onboarding being prepared: what it onboards and where the collateral comes from.
struct OnboardPlan {
    onboard: onboarding::Onboard,
    stake: onboarding::Stake,
}

impl OnboardPlan {
    /// The collateral the position still needs for one more device.
    async fn collateral(&self, sender: &Sender, min: u64) -> Result<Collateral> {
        let position =
            fetch::<staking::state::Position>(sender, "staking position", &self.onboard.position)
                .await?;
        Collateral::needed(min, position.map(|p| (p.amount, p.bound_devices)))
            .ok_or_else(|| anyhow!("the collateral needed overflows"))
    }

    /// Refuses, by name and with the figures, when the owner's tokens do not cover the fee and
    /// the collateral still needed.
    async fn check_funds(&self, sender: &Sender, fee: u64, needed: Collateral) -> Result<()> {
        let owner = self.onboard.owner();
        let stake_source =
            associated_token_address(&owner, &self.stake.stake_mint, self.stake.token_program);
        let fee_balance = token_balance(sender, &self.onboard.fee_source).await;
        let (have, want) = if stake_source == self.onboard.fee_source {
            (fee_balance, fee.checked_add(needed.amount()))
        } else {
            let stake_balance = token_balance(sender, &stake_source).await;
            if stake_balance < needed.amount() {
                bail!(
                    "insufficient_collateral: {owner} holds {stake_balance} of the staked token, \
                     the position needs {} more",
                    needed.amount()
                );
            }
            (fee_balance, Some(fee))
        };
        let want = want.ok_or_else(|| anyhow!("the fee and collateral overflow"))?;
        if have < want {
            bail!(
                "insufficient_collateral: {owner} holds {have} network tokens, the onboarding \
                 needs {want} (fee {fee} + collateral still needed {})",
                needed.amount()
            );
        }
        Ok(())
    }

    /// Builds the transaction, has the maker sign it, signs it and sends it.
    async fn send(
        &self,
        sender: &Sender,
        owner: &Keypair,
        needed: Collateral,
        http: &reqwest::Client,
        maker_url: &str,
        code: &str,
    ) -> Result<depin_client::Landed> {
        const WHAT: &str = "rewards: onboard_device";
        let mut ixs: Vec<_> = self
            .onboard
            .collateral_ix(needed, &self.stake)
            .into_iter()
            .collect();
        ixs.extend(self.onboard.instructions());
        let ixs = sender.with_budget(&ixs);
        let (blockhash, last_valid) = sender.latest_blockhash(WHAT).await?;
        let message = Message::new_with_blockhash(&ixs, Some(&owner.pubkey()), &blockhash);
        // The program's verdict before the maker records the code: a transaction that would
        // fail here would spend the code for nothing.
        sender
            .simulate_unsigned(WHAT, &Transaction::new_unsigned(message.clone()))
            .await?;
        // The owner signs first: the maker spends a code only for the wallet it names.
        let owner_signature = owner.sign_message(&maker_api::message_bytes(&message));
        let maker_signature = maker_api::ask_maker(
            http,
            maker_url,
            code,
            &message,
            &owner_signature,
            &self.onboard.maker,
        )
        .await?;
        let mut tx = Transaction::new_unsigned(message);
        tx.signatures = vec![owner_signature, maker_signature];
        Ok(sender.send_signed(WHAT, tx, last_valid).await?)
    }
}

/// The device's account, which must belong to `owner` (the signer).
async fn owned_device(sender: &Sender, device: &Pubkey, owner: &Pubkey) -> Result<Device> {
    let d = fetch::<Device>(sender, "device", &rewards_ix::device_pda(device).0)
        .await?
        .ok_or_else(|| anyhow!("--device {device}: not registered"))?;
    if d.owner != *owner {
        bail!(
            "--device {device} belongs to {}, not to the signer {owner}",
            d.owner
        );
    }
    Ok(d)
}

/// Give a device to a new owner (both sign); its collateral moves to their position.
#[derive(clap::Args)]
pub struct Transfer {
    #[arg(long)]
    pub device: Pubkey,
    /// The new owner's keypair (they co-sign and must have collateral staked).
    #[arg(long)]
    pub new_owner_keypair: PathBuf,
    /// The new owner's staking position for the collateral.
    #[arg(long, default_value_t = 0)]
    pub new_position_id: u64,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin device transfer`: the signer (the owner) and the new owner both sign; the device's
/// collateral moves from the old position to the new owner's position `new_position_id`.
///
/// # Errors
///
/// A bad keypair file, a device the signer does not own, or a failed send.
pub fn transfer(args: &Transfer) -> Result<()> {
    let Transfer {
        device,
        ref new_owner_keypair,
        new_position_id,
        ref cluster,
        output: Output { json },
    } = *args;
    let new_owner = read_keypair_file(new_owner_keypair)
        .map_err(|e| anyhow!("--new-owner-keypair {}: {e}", new_owner_keypair.display()))?;
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let d = owned_device(&sender, &device, &owner.pubkey()).await?;
        let new_position = staking_ix::position_pda(&new_owner.pubkey(), new_position_id).0;
        let ix = rewards_ix::transfer_device_ix(
            owner.pubkey(),
            new_owner.pubkey(),
            device,
            d.position,
            new_position,
        );
        let landed = sender
            .send("rewards: transfer_device", &[ix], &owner, &[&new_owner])
            .await?;
        print_landed(
            &format!("Transferred device {device} to {}", new_owner.pubkey()),
            &landed,
            json,
            serde_json::json!({"device": device.to_string(),
                "new_owner": new_owner.pubkey().to_string()}),
        );
        Ok(())
    })
}

/// Assert a device's new location (an H3 cell), burning the network's location fee; it counts
/// from the next epoch on.
#[derive(clap::Args)]
pub struct UpdateLocation {
    #[arg(long)]
    pub device: Pubkey,
    /// The new location: an H3 cell index in hex, like `device onboard --location`.
    #[arg(long)]
    pub location: String,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin device update-location`: the signer (the owner) asserts the device's new cell and
/// burns `location_fee` from its network-token account. Refused before anything is sent when
/// the program would refuse it: not the owner's, not active, not an H3 cell, the current cell,
/// or too soon (an epoch scored with the previous cell is not final, or the device moved in
/// this epoch already: `Device::prev_location_needed`, `location_updated_in_epoch_of`).
///
/// # Errors
///
/// A bad `--location`, one of the refusals above, or a failed send.
pub fn update_location(args: &UpdateLocation) -> Result<()> {
    let UpdateLocation {
        device,
        ref location,
        ref cluster,
        output: Output { json },
    } = *args;
    let cell = u64::from_str_radix(location.trim_start_matches("0x"), 16)
        .ok()
        .filter(|c| rewards::state::is_h3_cell(*c))
        .ok_or_else(|| anyhow!("--location {location:?} is not a hex H3 cell index"))?;
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let d = owned_device(&sender, &device, &owner.pubkey()).await?;
        if d.status != DeviceStatus::Active {
            bail!("--device {device} is decommissioned");
        }
        if d.location == cell {
            bail!("--device {device} is at {cell:x} already");
        }
        let network = network(&sender).await?;
        let now = depin_client::accounts::cluster_time(&sender).await?;
        let schedule = network.emission.schedule();
        if d.location_updated_in_epoch_of(&schedule, now) {
            bail!(
                "--device {device} moved in this epoch already (at {}): one location update an \
                 epoch",
                d.location_since
            );
        }
        if d.prev_location_needed(&schedule, network.final_root.epochs) {
            bail!(
                "--device {device}: too soon, the oracles still score an unfinished epoch at its \
                 previous cell {:x} ({} epochs must be final, {} are)",
                d.prev_location,
                rewards::state::prev_location_kept_until(&schedule, d.location_since),
                network.final_root.epochs
            );
        }
        let tp = token_program(&network.token_program)?;
        let fee_source = associated_token_address(&owner.pubkey(), &network.mint, tp);
        let ix = rewards_ix::update_location_ix(owner.pubkey(), device, fee_source, tp, cell);
        let landed = sender
            .send("rewards: update_location", &[ix], &owner, &[])
            .await?;
        print_landed(
            &format!(
                "Moved device {device} from {:x} to {cell:x} (fee {}); the new cell counts from \
                 the next epoch (until then the device is scored at the old cell)",
                d.location, network.location_fee
            ),
            &landed,
            json,
            serde_json::json!({"device": device.to_string(),
                "old_location": format!("{:x}", d.location),
                "location": format!("{cell:x}"), "fee": network.location_fee}),
        );
        Ok(())
    })
}

/// Retire a device for good; its collateral is released.
#[derive(clap::Args)]
pub struct Decommission {
    #[arg(long)]
    pub device: Pubkey,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin device decommission`: retires the device and releases its collateral.
///
/// # Errors
///
/// A device the signer does not own, or a failed send.
pub fn decommission(args: &Decommission) -> Result<()> {
    let Decommission {
        device,
        ref cluster,
        output: Output { json },
    } = *args;
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let d = owned_device(&sender, &device, &owner.pubkey()).await?;
        let ix = rewards_ix::decommission_device_ix(owner.pubkey(), device, d.position);
        let landed = sender
            .send("rewards: decommission_device", &[ix], &owner, &[])
            .await?;
        print_landed(
            &format!("Decommissioned device {device}"),
            &landed,
            json,
            serde_json::json!({"device": device.to_string()}),
        );
        Ok(())
    })
}

/// Every registered device, or one owner's.
#[derive(clap::Args)]
pub struct List {
    #[arg(long)]
    pub owner: Option<Pubkey>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin device list`: every registered device, or one owner's.
///
/// # Errors
///
/// The cluster cannot be read.
pub fn list(args: &List) -> Result<()> {
    let List {
        owner,
        ref cluster,
        output: Output { json },
    } = *args;
    let sender = cluster.reader()?;
    runtime()?.block_on(async {
        let filter = owner.map(|o| (DEVICE_OWNER_OFFSET, o.to_bytes().to_vec()));
        let mut devices = program_accounts::<Device>(&sender, "device", Device::SIZE, filter)
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect::<Vec<_>>();
        devices.sort_by_key(|d| (d.owner, d.device));
        if json {
            print_json(&devices);
        } else {
            print_table(&devices);
        }
        Ok(())
    })
}

fn kind(d: &Device) -> &'static str {
    match d.kind {
        DeviceKind::Connectivity => "connectivity",
        DeviceKind::Compute => "compute",
    }
}

fn status(d: &Device) -> &'static str {
    match d.status {
        DeviceStatus::Active => "active",
        DeviceStatus::Decommissioned => "decommissioned",
    }
}

/// `depin device list --json`: one array of device objects.
fn print_json(devices: &[Device]) {
    let rows: Vec<_> = devices
        .iter()
        .map(|d| {
            serde_json::json!({
                "device": d.device.to_string(), "owner": d.owner.to_string(),
                "maker": d.maker.to_string(), "kind": kind(d), "status": status(d),
                "location": format!("{:x}", d.location),
                "position": d.position.to_string(), "onboarded_at": d.onboarded_at,
            })
        })
        .collect();
    println!("{}", serde_json::Value::Array(rows));
}

/// `depin device list`: one row per device and the count.
fn print_table(devices: &[Device]) {
    println!(
        "{:<44} {:<44} {:<12} {:<14} {:<16}",
        "device", "owner", "kind", "status", "location"
    );
    for d in devices {
        println!(
            "{:<44} {:<44} {:<12} {:<14} {:<16x}",
            d.device.to_string(),
            d.owner.to_string(),
            kind(d),
            status(d),
            d.location
        );
    }
    println!("{} devices", devices.len());
}
