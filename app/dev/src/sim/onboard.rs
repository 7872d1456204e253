//! Phase "onboard": the owners funded from the genesis supply, their collateral locked, every
//! device onboarded on-chain and synced by both oracles, and the customers funded in USDC.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use depin_client::builders::{
    TokenProgram, associated_token_address, create_associated_token_account_idempotent, mint_to,
    rewards_ix, staking_ix, transfer_checked,
};
use depin_client::onboarding::{Onboard, local_code};
use depin_client::solana_signer::Signer;
use staking::state::LockupKind;

use super::chain::{self, bar, each};
use super::oracles::Oracle;
use super::{OWNER_LAMPORTS, Sim, position, unix_now};

/// Tokens each owner locks beyond its devices' collateral (base units, 6 decimals: 100 tokens).
const EXTRA_STAKE: u64 = 100_000_000;
/// One year, the lock of every fifth owner (the others lock nothing: 1x weight).
const YEAR: u64 = 31_536_000;
/// How long the simulated devices' onboarding codes are valid (a day).
const CODE_VALID_SECS: i64 = 86_400;
/// USDC each customer gets (base units: 1,000,000 USDC).
const CUSTOMER_USDC: u64 = 1_000_000_000_000;

impl Sim<'_> {
    /// Funds and stakes every owner, onboards every device, waits until both oracles have
    /// synced them all from the chain (they refuse reports from devices they do not know), and
    /// funds the customers.
    pub(super) async fn onboard(&mut self) -> Result<()> {
        let funding = self.owner_funding();
        self.fund_owners(&funding).await?;
        self.stake(&funding).await?;
        self.onboard_devices().await?;
        self.await_sync().await?;
        self.fund_customers().await
    }

    /// Each owner's tokens: its devices' collateral plus [`EXTRA_STAKE`], by owner index.
    fn owner_funding(&self) -> Vec<(usize, u64)> {
        let collateral = self.chain.collateral;
        self.fleet
            .owners
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let n = u64::try_from(w.devices.len()).unwrap_or(u64::MAX);
                (i, n.saturating_mul(collateral).saturating_add(EXTRA_STAKE))
            })
            .collect()
    }

    /// Each owner gets its tokens from the genesis account, and SOL for fees.
    async fn fund_owners(&self, funding: &[(usize, u64)]) -> Result<()> {
        let (mint, tp, decimals) = (self.chain.mint, self.chain.tp, self.chain.n0.decimals);
        let genesis = rewards_ix::genesis_pda().0;
        let pb = bar(funding.len(), "fund owners", self.quiet);
        each(funding.to_vec(), &pb, |(i, amount)| async move {
            let owner = self.fleet.owners[i].keypair.pubkey();
            let payer = self.deployer.pubkey();
            let ata = associated_token_address(&owner, &mint, tp);
            let ixs = [
                create_associated_token_account_idempotent(&payer, &owner, &mint, tp),
                transfer_checked(tp, &genesis, &mint, &ata, &payer, amount, decimals),
                chain::transfer_lamports(payer, owner, OWNER_LAMPORTS),
            ];
            self.ledger
                .send(
                    &self.sender,
                    "fund owner",
                    &ixs,
                    &self.deployer,
                    &[],
                    || format!("funding owner {owner}"),
                )
                .await?;
            Ok(())
        })
        .await
    }

    /// Each owner locks its tokens in position 0 (every fifth for a year, the others unlocked).
    async fn stake(&self, funding: &[(usize, u64)]) -> Result<()> {
        let (mint, tp) = (self.chain.mint, self.chain.tp);
        let pb = bar(funding.len(), "stake", self.quiet);
        each(funding.to_vec(), &pb, |(i, amount)| async move {
            let owner = &self.fleet.owners[i].keypair;
            let source = associated_token_address(&owner.pubkey(), &mint, tp);
            let ix = staking_ix::stake(
                staking_ix::stake_accounts(owner.pubkey(), 0, mint, source, tp),
                staking_ix::StakeArgs {
                    id: 0,
                    kind: LockupKind::Cliff,
                    lockup_secs: if i % 5 == 0 { YEAR } else { 0 },
                    amount,
                },
            );
            self.ledger
                .send(&self.sender, "stake", &[ix], owner, &[], || {
                    format!("staking for owner {}", owner.pubkey())
                })
                .await?;
            Ok(())
        })
        .await
    }

    /// Every device through `onboard_device`: its onboarding code (signed with the device key,
    /// as `depin-agent onboarding-code` does), then its owner and the maker sign.
    async fn onboard_devices(&self) -> Result<()> {
        let (mint, tp) = (self.chain.mint, self.chain.tp);
        let pb = bar(self.fleet.devices.len(), "onboard", self.quiet);
        each(
            (0..self.fleet.devices.len()).collect(),
            &pb,
            |d| async move {
                let device = &self.fleet.devices[d];
                let owner = &self.fleet.owners[device.owner].keypair;
                let onboard = Onboard {
                    code: local_code(
                        &device.keypair,
                        &owner.pubkey(),
                        rewards::state::DeviceKind::Connectivity,
                        unix_now().saturating_add(CODE_VALID_SECS),
                    ),
                    maker: self.maker.pubkey(),
                    location: device.cell,
                    position: position(&owner.pubkey()),
                    fee_source: associated_token_address(&owner.pubkey(), &mint, tp),
                    token_program: tp,
                };
                let signers = [owner, &self.maker];
                self.ledger
                    .send(
                        &self.sender,
                        "onboard device",
                        &onboard.instructions_paid_by(self.deployer.pubkey()),
                        &self.deployer,
                        &signers,
                        || format!("onboarding device {}", device.keypair.pubkey()),
                    )
                    .await?;
                Ok(())
            },
        )
        .await
    }

    /// Waits (up to 60 s) until both oracles' registries hold every device.
    async fn await_sync(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.seats.iter().any(|s| s.registered() < self.o.devices) {
            if Instant::now() > deadline {
                bail!(
                    "the oracles did not sync {} devices from the chain within 60 s (they have {:?})",
                    self.o.devices,
                    self.seats
                        .iter()
                        .map(Oracle::registered)
                        .collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    /// Each customer gets USDC (minted by the deployer, the local USDC's authority) and SOL.
    async fn fund_customers(&self) -> Result<()> {
        let (usdc, usdc_tp) = (self.chain.usdc, TokenProgram::SplToken);
        let pb = bar(self.customers.len(), "customers", self.quiet);
        each(self.customers.iter().collect(), &pb, |c| async move {
            let payer = self.deployer.pubkey();
            let ata = associated_token_address(&c.pubkey(), &usdc, usdc_tp);
            let ixs = [
                create_associated_token_account_idempotent(&payer, &c.pubkey(), &usdc, usdc_tp),
                mint_to(usdc_tp, &usdc, &ata, &payer, CUSTOMER_USDC),
                chain::transfer_lamports(payer, c.pubkey(), OWNER_LAMPORTS),
            ];
            self.ledger
                .send(
                    &self.sender,
                    "fund customer",
                    &ixs,
                    &self.deployer,
                    &[],
                    || "funding a customer".to_string(),
                )
                .await?;
            Ok(())
        })
        .await
    }
}
