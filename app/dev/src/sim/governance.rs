//! Phase "governance": the owners vote in the DAO with their staked weight. Owner 0 proposes
//! that revenue stream to stakers over a day instead of at once, a staking change made by the
//! DAO's governance (the staking authority) through the staking timelock. Every owner votes
//! (owner 1 against, the others for) in the transaction that refreshes its voter weight; the
//! vote runs its whole time, is finalized, and its transaction queues the change.

use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anyhow::{Result, anyhow, bail};
use depin_client::accounts::{AccountSource, cluster_time, fetch};
use depin_client::builders::governance::{
    self, ProposalKeys, ProposalState, Voter, single_choice_weights,
};
use depin_client::builders::staking_ix;
use depin_client::solana_keypair::Keypair;
use depin_client::solana_signer::Signer;
use serde_json::{Value, json};
use staking::state::{PendingChange, StakingConfig, StakingUpdate};

use super::chain::{bar, each};
use super::{Sim, position};

/// What the proposal asks: revenue streams to stakers over a day.
const UPDATE: StakingUpdate = StakingUpdate::RevenueStreamSecs(86_400);

impl Sim<'_> {
    /// The owners' vote; its outcome for the report (`{"skipped": ...}` without a realm).
    pub(super) async fn vote(&self) -> Result<Value> {
        let config =
            fetch::<StakingConfig>(&self.sender, "staking config", &staking_ix::config_pda().0)
                .await?
                .ok_or_else(|| anyhow!("no staking config"))?;
        if config.realm == Pubkey::default() {
            return Ok(json!({"skipped": "the staking config names no realm"}));
        }
        let voters = self.register_voters(&config).await?;
        let (keys, change_id) = self.propose(&config, &voters[0]).await?;
        let pb = bar(voters.len(), "vote", self.quiet);
        each((0..voters.len()).collect(), &pb, |i| {
            let (keys, voter) = (&keys, &voters[i]);
            async move { self.cast(keys, voter, i != 1).await }
        })
        .await?;
        self.finish_vote(&keys, change_id).await?;
        let proposal = self.account_data(&keys.proposal).await?;
        let (yes, no) = single_choice_weights(&proposal)
            .ok_or_else(|| anyhow!("proposal {}: not a single-choice proposal", keys.proposal))?;
        let state = ProposalState::of(&proposal).ok_or_else(|| anyhow!("proposal state"))?;
        let change = fetch::<PendingChange>(
            &self.sender,
            "staking change",
            &staking_ix::change_pda(change_id).0,
        )
        .await?;
        Ok(json!({
            "realm": keys.realm.to_string(),
            "governance": keys.governance.to_string(),
            "proposal": keys.proposal.to_string(),
            "voters": voters.len(),
            "yes_weight": yes,
            "no_weight": no,
            "state": format!("{state:?}"),
            "queued_change": change.map(|c| json!({
                "id": c.id, "update": format!("{:?}", c.update), "eta": c.eta,
            })),
        }))
    }

    /// Each owner's token owner record and voter-weight record in the realm.
    async fn register_voters(&self, config: &StakingConfig) -> Result<Vec<(Keypair, Voter)>> {
        let (realm, mint) = (config.realm, config.stake_mint);
        let pb = bar(self.fleet.owners.len(), "voters", self.quiet);
        each(
            (0..self.fleet.owners.len()).collect(),
            &pb,
            |i| async move {
                let owner = self.fleet.owners[i].keypair.pubkey();
                let payer = self.deployer.pubkey();
                let args = staking_ix::CreateVoterWeightRecordArgs {
                    realm,
                    governing_token_mint: mint,
                    governing_token_owner: owner,
                };
                let ixs = [
                    governance::create_token_owner_record_ix(payer, realm, mint, owner),
                    staking_ix::create_voter_weight_record_ix(payer, args),
                ];
                self.ledger
                    .send(
                        &self.sender,
                        "voter records",
                        &ixs,
                        &self.deployer,
                        &[],
                        || format!("registering voter {owner}"),
                    )
                    .await?;
                Ok(())
            },
        )
        .await?;
        Ok(self
            .fleet
            .owners
            .iter()
            .map(|o| {
                let owner = o.keypair.pubkey();
                let voter = Voter {
                    owner,
                    token_owner_record: governance::token_owner_record_pda(&realm, &mint, &owner),
                    voter_weight_record: staking_ix::voter_weight_record_pda(&realm, &mint, &owner)
                        .0,
                };
                (o.keypair.insecure_clone(), voter)
            })
            .collect())
    }

    /// `proposer` creates the proposal, adds its one transaction (the staking change, proposed
    /// by the DAO and paid by its native treasury) and signs off. Returns its keys and the id
    /// the change will get.
    async fn propose(
        &self,
        config: &StakingConfig,
        (key, voter): &(Keypair, Voter),
    ) -> Result<(ProposalKeys, u64)> {
        let dao = config.authority;
        let seed = Pubkey::new_unique();
        let keys = ProposalKeys {
            realm: config.realm,
            governance: dao,
            mint: config.stake_mint,
            proposal: governance::proposal_pda(&dao, &config.stake_mint, &seed),
            owner_record: voter.token_owner_record,
        };
        let payer = key.pubkey();
        let create = governance::create_proposal_ix(
            payer,
            &keys,
            voter,
            "Stream revenue to stakers over a day",
            "",
            seed,
        );
        let refresh = self.refresh(voter);
        let id = config.changes_proposed;
        let treasury = governance::native_treasury_pda(&dao);
        let change = staking_ix::propose_change_ix(treasury, dao, id, UPDATE);
        let insert = governance::insert_transaction_ix(payer, &keys, payer, 0, 0, &[change]);
        let sign_off = governance::sign_off_proposal_ix(&keys, payer);
        for (kind, ixs) in [
            ("proposal", vec![refresh, create]),
            ("proposal transaction", vec![insert]),
            ("sign off", vec![sign_off]),
        ] {
            self.ledger
                .send(&self.sender, kind, &ixs, key, &[], || {
                    format!("{kind} by {payer}")
                })
                .await?;
        }
        Ok((keys, id))
    }

    /// `update_voter_weight_record` over the owner's one position.
    fn refresh(&self, voter: &Voter) -> anchor_lang::solana_program::instruction::Instruction {
        staking_ix::update_voter_weight_record_ix(
            voter.voter_weight_record,
            voter.owner,
            &[position(&voter.owner)],
        )
    }

    async fn cast(
        &self,
        keys: &ProposalKeys,
        (key, voter): &(Keypair, Voter),
        yes: bool,
    ) -> Result<()> {
        let ixs = [
            self.refresh(voter),
            governance::cast_vote_ix(key.pubkey(), keys, voter, yes),
        ];
        self.ledger
            .send(&self.sender, "vote", &ixs, key, &[], || {
                format!("vote by {}", voter.owner)
            })
            .await?;
        Ok(())
    }

    /// Waits out the voting time on the cluster's clock, finalizes, and executes the passed
    /// proposal's transaction.
    async fn finish_vote(&self, keys: &ProposalKeys, change_id: u64) -> Result<()> {
        let governance = self.account_data(&keys.governance).await?;
        let base_time = governance::voting_base_time(&governance)
            .ok_or_else(|| anyhow!("governance {}: unreadable config", keys.governance))?;
        let end = cluster_time(&self.sender).await? + i64::from(base_time) + 1;
        while cluster_time(&self.sender).await? <= end {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let finalize = governance::finalize_vote_ix(keys);
        self.ledger
            .send(
                &self.sender,
                "finalize vote",
                &[finalize],
                &self.deployer,
                &[],
                || "finalizing the vote".to_string(),
            )
            .await?;
        let state = ProposalState::of(&self.account_data(&keys.proposal).await?);
        if state != Some(ProposalState::Succeeded) {
            bail!("the proposal did not pass: {state:?}");
        }
        let treasury = governance::native_treasury_pda(&keys.governance);
        let change = staking_ix::propose_change_ix(treasury, keys.governance, change_id, UPDATE);
        let execute = governance::execute_transaction_ix(keys, 0, &change);
        self.ledger
            .send(
                &self.sender,
                "execute proposal",
                &[execute],
                &self.deployer,
                &[],
                || "executing the passed proposal".to_string(),
            )
            .await?;
        Ok(())
    }

    async fn account_data(&self, key: &Pubkey) -> Result<Vec<u8>> {
        self.sender
            .owner_and_data(key)
            .await?
            .map(|(_, data)| data)
            .ok_or_else(|| anyhow!("account {key} does not exist"))
    }
}
