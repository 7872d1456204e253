//! The owner's commands over JSON-RPC: devices (onboard, transfer, decommission, list) and
//! rewards (status, claim).
//!
//! A claim needs the wallet's leaf and proof in the latest final root. They come from the
//! oracle's published `wallets.csv` for that epoch (`docs/transparency.md`): the whole tree is
//! rebuilt from it and its root compared with the one on-chain before anything is sent, so a
//! stale or altered file is refused by name, never sent to fail on-chain.

use std::path::Path;

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use depin_client::accounts::{fetch, program_accounts};
use depin_client::builders::{
    TokenProgram, associated_token_address, create_associated_token_account_idempotent, rewards_ix,
    staking_ix,
};
use depin_client::solana_keypair::read_keypair_file;
use depin_client::solana_signer::Signer;
use depin_client::{Landed, Sender};
use depin_oracle::transparency::parse_wallets_csv;
use harness::rewards;
use rewards::state::{ClaimRecord, Device, DeviceKind, DeviceStatus, Network};

use crate::migrate::connect;
use crate::{ClusterArgs, runtime};

/// Byte offset of `Device::owner` (discriminator, bump, kind, status, device key).
const DEVICE_OWNER_OFFSET: usize = 8 + 1 + 1 + 1 + 32;

async fn network(sender: &Sender) -> Result<Network> {
    fetch::<Network>(sender, "rewards network", &rewards_ix::network_pda().0)
        .await?
        .ok_or_else(|| {
            anyhow!(
                "no rewards network at {} on {} (run `depin migrate`)",
                rewards_ix::network_pda().0,
                sender.rpc().url()
            )
        })
}

fn token_program(network: &Network) -> Result<TokenProgram> {
    TokenProgram::from_owner(&network.token_program)
        .ok_or_else(|| anyhow!("unknown token program {}", network.token_program))
}

fn print_landed(what: &str, landed: &Landed, json: bool, fields: serde_json::Value) {
    if json {
        let mut v = fields;
        v["signature"] = landed.signature.to_string().into();
        v["slot"] = landed.slot.into();
        println!("{v}");
    } else {
        println!("{what} in {}", landed.signature);
    }
}

/// `depin device onboard`: the signer owns the device; the device and the maker co-sign. The
/// device's collateral is bound in the owner's staking position `position_id`.
pub fn onboard(
    args: &ClusterArgs,
    device_keypair: &Path,
    maker_keypair: &Path,
    location: &str,
    kind: DeviceKind,
    position_id: u64,
    json: bool,
) -> Result<()> {
    let location = u64::from_str_radix(location.trim_start_matches("0x"), 16)
        .with_context(|| format!("--location {location:?} is not a hex H3 cell index"))?;
    let device = read_keypair_file(device_keypair)
        .map_err(|e| anyhow!("--device-keypair {}: {e}", device_keypair.display()))?;
    let maker = read_keypair_file(maker_keypair)
        .map_err(|e| anyhow!("--maker-keypair {}: {e}", maker_keypair.display()))?;
    let (sender, owner) = connect(args)?;
    runtime()?.block_on(async {
        let network = network(&sender).await?;
        let tp = token_program(&network)?;
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
        let fee_source = associated_token_address(&owner.pubkey(), &network.mint, tp);
        let ix = rewards_ix::onboard_device(
            rewards_ix::onboard_device_accounts(
                owner.pubkey(),
                owner.pubkey(),
                device.pubkey(),
                maker.pubkey(),
                fee_source,
                tp,
                position,
            ),
            rewards_ix::OnboardDeviceArgs { kind, location },
        );
        let landed = sender
            .send("rewards: onboard_device", &[ix], &owner, &[&device, &maker])
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

/// `depin device transfer`: the signer (the owner) and the new owner both sign; the device's
/// collateral moves from the old position to the new owner's position `new_position_id`.
pub fn transfer(
    args: &ClusterArgs,
    device: Pubkey,
    new_owner_keypair: &Path,
    new_position_id: u64,
    json: bool,
) -> Result<()> {
    let new_owner = read_keypair_file(new_owner_keypair)
        .map_err(|e| anyhow!("--new-owner-keypair {}: {e}", new_owner_keypair.display()))?;
    let (sender, owner) = connect(args)?;
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

/// `depin device decommission`: retires the device and releases its collateral.
pub fn decommission(args: &ClusterArgs, device: Pubkey, json: bool) -> Result<()> {
    let (sender, owner) = connect(args)?;
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

/// `depin device list`: every registered device, or one owner's.
pub fn list(args: &ClusterArgs, owner: Option<Pubkey>, json: bool) -> Result<()> {
    let (sender, _) = connect(args)?;
    runtime()?.block_on(async {
        let filter = owner.map(|o| (DEVICE_OWNER_OFFSET, o.to_bytes().to_vec()));
        let mut devices = program_accounts::<Device>(&sender, "device", Device::SIZE, filter)
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect::<Vec<_>>();
        devices.sort_by_key(|d| (d.owner, d.device));
        let kind = |d: &Device| match d.kind {
            DeviceKind::Connectivity => "connectivity",
            DeviceKind::Compute => "compute",
        };
        let status = |d: &Device| match d.status {
            DeviceStatus::Active => "active",
            DeviceStatus::Decommissioned => "decommissioned",
        };
        if json {
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
        } else {
            println!(
                "{:<44} {:<44} {:<12} {:<14} {:<16}",
                "device", "owner", "kind", "status", "location"
            );
            for d in &devices {
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
        Ok(())
    })
}

/// A wallet's leaf in a published `wallets.csv`, with its proof, after checking that the file's
/// root is the final root on-chain.
struct Leaf {
    cumulative: u64,
    proof: Vec<rewards_ix::ProofNode>,
}

fn leaf_from_wallets_csv(path: &Path, wallet: &Pubkey, network: &Network) -> Result<Option<Leaf>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading --wallets {}", path.display()))?;
    let rows = parse_wallets_csv(&bytes)
        .with_context(|| format!("--wallets {}: not a wallets.csv", path.display()))?;
    let tree = depin_oracle::epoch::tree(&rows)
        .with_context(|| format!("--wallets {}: rows not in wallet order", path.display()))?
        .ok_or_else(|| anyhow!("--wallets {}: no wallets", path.display()))?;
    let root = tree.root();
    let fin = &network.final_root;
    if (root.hash, root.sum) != (fin.root, fin.total) {
        bail!(
            "--wallets {} has root {} (total {}), but the final root on-chain is {} (total {}, \
             epoch {}): use the wallets.csv of the latest final epoch",
            path.display(),
            hex::encode(root.hash),
            root.sum,
            hex::encode(fin.root),
            fin.total,
            fin.epochs.saturating_sub(1)
        );
    }
    let Some(index) = rows
        .iter()
        .position(|w| w.wallet.to_bytes() == wallet.to_bytes())
    else {
        return Ok(None);
    };
    let proof = tree
        .proof(index)
        .ok_or_else(|| anyhow!("no proof for leaf {index}"))?;
    Ok(Some(Leaf {
        cumulative: rows[index].cumulative,
        proof: rewards_ix::proof_nodes(&proof),
    }))
}

async fn claimed(sender: &Sender, wallet: &Pubkey) -> Result<u64> {
    Ok(fetch::<ClaimRecord>(
        sender,
        "claim record",
        &rewards_ix::claim_record_pda(wallet).0,
    )
    .await?
    .map_or(0, |r| r.claimed))
}

/// `depin rewards status`: the final root, and (with `--wallets`) what the wallet may claim.
pub fn status(
    args: &ClusterArgs,
    wallet: Option<Pubkey>,
    wallets_csv: Option<&Path>,
    json: bool,
) -> Result<()> {
    let (sender, me) = connect(args)?;
    let wallet = wallet.unwrap_or_else(|| me.pubkey());
    runtime()?.block_on(async {
        let network = network(&sender).await?;
        let claimed = claimed(&sender, &wallet).await?;
        let earned = match wallets_csv {
            Some(path) => {
                Some(leaf_from_wallets_csv(path, &wallet, &network)?.map_or(0, |l| l.cumulative))
            }
            None => None,
        };
        let claimable = earned.map(|e| e.saturating_sub(claimed));
        let fin = &network.final_root;
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "wallet": wallet.to_string(), "final_epochs": fin.epochs,
                    "final_root": hex::encode(fin.root), "final_total": fin.total,
                    "epochs_minted": network.epochs_minted, "claimed": claimed,
                    "earned": earned, "claimable": claimable,
                })
            );
        } else {
            println!(
                "final root: {} epochs, total {}, root {}",
                fin.epochs,
                fin.total,
                hex::encode(fin.root)
            );
            println!("wallet {wallet}: claimed {claimed}");
            if let (Some(e), Some(c)) = (earned, claimable) {
                println!("  earned (cumulative) {e}, claimable now {c}");
            }
        }
        Ok(())
    })
}

/// `depin rewards claim`: pays the wallet (default: the signer) everything the final root owes
/// it, to its associated token account (created if missing), or with `--to-position` into the
/// signer's own staking position (time-locked).
pub fn claim(
    args: &ClusterArgs,
    wallet: Option<Pubkey>,
    wallets_csv: &Path,
    to_position: Option<u64>,
    json: bool,
) -> Result<()> {
    let (sender, payer) = connect(args)?;
    let wallet = wallet.unwrap_or_else(|| payer.pubkey());
    if to_position.is_some() && wallet != payer.pubkey() {
        bail!("--to-position: only the wallet itself may claim into its position (sign with it)");
    }
    runtime()?.block_on(async {
        let network = network(&sender).await?;
        let tp = token_program(&network)?;
        let leaf = leaf_from_wallets_csv(wallets_csv, &wallet, &network)?.ok_or_else(|| {
            anyhow!(
                "wallet {wallet} has no row in {}: it has earned nothing yet",
                wallets_csv.display()
            )
        })?;
        let before = claimed(&sender, &wallet).await?;
        if leaf.cumulative <= before {
            bail!(
                "wallet {wallet}: nothing to claim (earned {}, already claimed {before})",
                leaf.cumulative
            );
        }
        let amount = leaf.cumulative - before;
        let claim_args = rewards_ix::ClaimArgs {
            cumulative_amount: leaf.cumulative,
            proof: leaf.proof,
        };
        let (ixs, to) = match to_position {
            Some(id) => {
                let position = staking_ix::position_pda(&wallet, id).0;
                let ix = rewards_ix::claim_to_position(
                    rewards_ix::claim_to_position_accounts(wallet, position, tp),
                    claim_args,
                );
                (vec![ix], position)
            }
            None => {
                let ata = associated_token_address(&wallet, &network.mint, tp);
                let create = create_associated_token_account_idempotent(
                    &payer.pubkey(),
                    &wallet,
                    &network.mint,
                    tp,
                );
                let ix = rewards_ix::claim(
                    rewards_ix::claim_accounts(payer.pubkey(), wallet, ata, tp),
                    claim_args,
                );
                (vec![create, ix], ata)
            }
        };
        let landed = sender.send("rewards: claim", &ixs, &payer, &[]).await?;
        print_landed(
            &format!("Claimed {amount} for {wallet} into {to}"),
            &landed,
            json,
            serde_json::json!({"wallet": wallet.to_string(), "amount": amount,
                "cumulative": leaf.cumulative, "to": to.to_string()}),
        );
        Ok(())
    })
}
