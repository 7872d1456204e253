//! `depin device onboard | transfer | update-location | decommission | list`: the owner's
//! devices, over JSON-RPC.

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use depin_client::Sender;
use depin_client::accounts::{fetch, program_accounts};
use depin_client::builders::{associated_token_address, rewards_ix, staking_ix};
use depin_client::solana_keypair::read_keypair_file;
use depin_client::solana_signer::Signer;
use rewards::state::{Device, DeviceKind, DeviceStatus};

use super::common::{network, print_landed, token_program};
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

/// Register a device owned by the signer: the device and an approved maker co-sign, and
/// one device's collateral is bound in the signer's staking position.
#[derive(clap::Args)]
pub struct Onboard {
    /// The device's keypair (it signs the device's reports).
    #[arg(long)]
    pub device_keypair: PathBuf,
    /// The maker's keypair (an approved maker co-signs every onboarding).
    #[arg(long)]
    pub maker_keypair: PathBuf,
    /// Asserted location: an H3 cell index in hex.
    #[arg(long)]
    pub location: String,
    /// What the device does.
    #[arg(long, value_enum, default_value_t = Kind::Connectivity)]
    pub kind: Kind,
    /// The signer's staking position that holds the collateral.
    #[arg(long, default_value_t = 0)]
    pub position_id: u64,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// A device's kind, as `--kind` spells it.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    Connectivity,
    Compute,
}

impl From<Kind> for DeviceKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Connectivity => Self::Connectivity,
            Kind::Compute => Self::Compute,
        }
    }
}

/// `depin device onboard`: the signer owns the device; the device and the maker co-sign. The
/// device's collateral is bound in the owner's staking position `position_id`.
///
/// # Errors
///
/// A bad `--location` or keypair file, no staking position, or a failed send.
pub fn onboard(args: &Onboard) -> Result<()> {
    let Onboard {
        ref device_keypair,
        ref maker_keypair,
        ref location,
        kind,
        position_id,
        ref cluster,
        output: Output { json },
    } = *args;
    let kind = DeviceKind::from(kind);
    let location = u64::from_str_radix(location.trim_start_matches("0x"), 16)
        .with_context(|| format!("--location {location:?} is not a hex H3 cell index"))?;
    let device = read_keypair_file(device_keypair)
        .map_err(|e| anyhow!("--device-keypair {}: {e}", device_keypair.display()))?;
    let maker = read_keypair_file(maker_keypair)
        .map_err(|e| anyhow!("--maker-keypair {}: {e}", maker_keypair.display()))?;
    let (sender, owner) = cluster.connect()?;
    runtime()?.block_on(async {
        let network = network(&sender).await?;
        let tp = token_program(&network.token_program)?;
        let position = staking_ix::position_pda(&owner.pubkey(), position_id).0;
        if fetch::<staking::state::Position>(&sender, "staking position", &position)
            .await?
            .is_none()
        {
            bail!(
                "{} has no staking position #{position_id} ({position}) to hold the device's \
                 collateral: lock tokens first (`depin stake lock`)",
                owner.pubkey()
            );
        }
        let now = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs(),
        )?;
        let onboard = depin_client::onboarding::Onboard {
            code: depin_client::onboarding::local_code(&device, &owner.pubkey(), kind, now + 3_600),
            maker: maker.pubkey(),
            location,
            position,
            fee_source: associated_token_address(&owner.pubkey(), &network.mint, tp),
            token_program: tp,
        };
        let landed = sender
            .send(
                "rewards: onboard_device",
                &onboard.instructions(),
                &owner,
                &[&maker],
            )
            .await?;
        print_landed(
            &format!("Onboarded device {}", device.pubkey()),
            &landed,
            json,
            serde_json::json!({"device": device.pubkey().to_string(),
                "account": rewards_ix::device_pda(&device.pubkey()).0.to_string()}),
        );
        Ok(())
    })
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
