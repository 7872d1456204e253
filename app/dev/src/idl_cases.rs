//! `depin-dev idl-cases`: the instructions a wallet or a crank sends, each built by the sdk's
//! builders from the accounts on a running network, written as JSON for the stock Anchor client
//! test (`tests/idl-client`). Each case names the accounts its caller supplies (its subject and
//! its own token accounts; signers are always supplied); the test builds the same instruction
//! from the IDL and those accounts alone, and compares keys, flags and data byte for byte.
//!
//! The builders need only addresses, so keys the network has never seen (a new device, a
//! customer) are fixed placeholders. One thing is sent, with `--authority`: a change proposal to
//! the rewards and the treasury programs (each re-setting a value to what it is, so applying it
//! changes nothing), when none is pending, so `apply_change` has a subject; and a probe at the
//! root of a proposal in its dispute window (a probe at the root proves nothing against anyone),
//! so the probe cranks have one.
use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, Discriminator, Owner, Space};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use depin_client::accounts::{cluster_time, fetch_migrated, program_accounts};
use depin_client::builders::{
    TokenProgram, associated_token_address, rewards_ix as rw, staking_ix as st, treasury_ix as tr,
};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use rewards::state::Probe;
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct Args {
    /// The network's JSON-RPC URL.
    #[arg(long)]
    rpc: String,
    /// Where the cases go (JSON).
    #[arg(long)]
    out: PathBuf,
    /// The rewards and treasury authority's keypair: proposes a no-op change to each when none
    /// is pending, and opens a probe at a root (the `apply_change` and probe cases need them).
    /// Without it those cases are left out. (Staking's `apply_change` needs a pending staking
    /// change: the simulator's governance phase leaves one.)
    #[arg(long)]
    authority: Option<PathBuf>,
    /// A staker's keypair (holding a few network tokens) and the oracles' keypairs (`--oracle`,
    /// repeated, a quorum): the staker opens a 1-token position, one oracle records an approval
    /// against it and the quorum proposes a slash of it that floors to nothing, so the slash
    /// approval and record account types exist on the network. Nothing is taken from anyone.
    #[arg(long, requires = "oracle")]
    staker: Option<PathBuf>,
    #[arg(long = "oracle")]
    oracle: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    // It sends governance proposals, a probe and oracle-signed slashes: a local network only.
    let host = reqwest::Url::parse(&args.rpc)
        .with_context(|| format!("--rpc {}", args.rpc))?
        .host_str()
        .map(str::to_owned);
    if !matches!(host.as_deref(), Some("127.0.0.1" | "localhost" | "[::1]")) {
        bail!(
            "--rpc {}: idl-cases runs against a local network only",
            args.rpc
        );
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let authority = args.authority.as_deref().map(keypair).transpose()?;
    let sender = Sender::new(args.rpc, SendConfig::default());
    if let Some(staker) = &args.staker {
        let oracles = args
            .oracle
            .iter()
            .map(|p| keypair(p))
            .collect::<Result<Vec<_>>>()?;
        runtime.block_on(slash_accounts(&sender, &keypair(staker)?, &oracles))?;
    }
    let cases = runtime.block_on(cases(&sender, authority.as_ref()))?;
    let count = cases.len();
    std::fs::write(
        &args.out,
        serde_json::to_string_pretty(&json!({ "cases": cases }))?,
    )
    .with_context(|| format!("writing {}", args.out.display()))?;
    println!("idl-cases: {count} cases written to {}", args.out.display());
    Ok(())
}

fn keypair(path: &std::path::Path) -> Result<Keypair> {
    read_keypair_file(path).map_err(|e| anyhow!("reading {}: {e}", path.display()))
}

/// One case: the instruction, and the names of the accounts its caller supplies.
fn case(program: &str, name: &str, ix: Instruction, inputs: &[&str]) -> Value {
    let keys: Vec<Value> = ix
        .accounts
        .iter()
        .map(|m| json!({ "pubkey": m.pubkey.to_string(), "isSigner": m.is_signer, "isWritable": m.is_writable }))
        .collect();
    json!({
        "program": program,
        "name": name,
        "programId": ix.program_id.to_string(),
        "inputs": inputs,
        "keys": keys,
        "data": hex::encode(&ix.data),
    })
}

/// The first account of type `T` on the network (by address), as the subject of its cases.
async fn first<T>(sender: &Sender, what: &'static str) -> Result<(Pubkey, T)>
where
    T: AccountDeserialize + Owner + Discriminator + Space,
{
    program_accounts::<T>(sender, what, 8 + T::INIT_SPACE, None)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("no {what} on the network (run a sim first)"))
}

/// A cell for the `update_location` case (the builders need no valid state; only the bytes
/// are compared): next to San Francisco's, H3 resolution 9.
const MOVED_CELL: u64 = 0x0892_8308_ae07_ffff;

/// Placeholders for keys the network has not seen.
fn placeholder(tag: u8) -> Pubkey {
    Pubkey::new_from_array([tag; 32])
}

async fn cases(sender: &Sender, authority: Option<&Keypair>) -> Result<Vec<Value>> {
    let mut out = rewards_cases(sender).await?;
    out.extend(staking_cases(sender).await?);
    out.extend(treasury_cases(sender).await?);
    if let Some(authority) = authority {
        out.extend(change_cases(sender, authority).await?);
        out.extend(probe_cases(sender, authority).await?);
    }
    Ok(out)
}

/// `apply_change` of rewards and treasury, on a pending change (proposed here when none is).
async fn change_cases(sender: &Sender, authority: &Keypair) -> Result<Vec<Value>> {
    use rewards::state::{Network, ParamUpdate};
    use treasury::state::{Treasury, TreasuryUpdate};
    let key = authority.pubkey();
    if first::<rewards::state::PendingChange>(sender, "rewards change")
        .await
        .is_err()
    {
        let network: Network = fetch_migrated(sender, "network", &rw::network_pda().0).await?;
        let update = ParamUpdate::OnboardFee {
            fee: network.onboard_fee,
        };
        let ix = rw::propose_change_ix(key, key, network.changes_proposed, update);
        sender
            .send("propose a rewards change", &[ix], authority, &[])
            .await?;
    }
    if first::<treasury::state::PendingChange>(sender, "treasury change")
        .await
        .is_err()
    {
        let treasury: Treasury = fetch_migrated(sender, "treasury", &tr::treasury_pda().0).await?;
        let update = TreasuryUpdate::CreditsPerUsd(treasury.credits_per_usd);
        let ix = tr::propose_change(key, key, treasury.changes_proposed, update);
        sender
            .send("propose a treasury change", &[ix], authority, &[])
            .await?;
    }
    let (_, rewards_change) =
        first::<rewards::state::PendingChange>(sender, "rewards change").await?;
    let (_, treasury_change) =
        first::<treasury::state::PendingChange>(sender, "treasury change").await?;
    Ok(vec![
        case(
            "rewards",
            "apply_change",
            rw::apply_change_ix(rewards_change.id, rewards_change.proposer),
            &["change"],
        ),
        case(
            "treasury",
            "apply_change",
            tr::apply_change(treasury_change.id, treasury_change.proposer, None),
            &["change", "stablecoin"],
        ),
    ])
}

fn token_program(id: &Pubkey) -> Result<TokenProgram> {
    TokenProgram::from_owner(id).ok_or_else(|| anyhow!("{id} is not a token program"))
}

async fn rewards_cases(sender: &Sender) -> Result<Vec<Value>> {
    use rewards::instructions::{ClaimArgs, CommitReportsArgs, OnboardDeviceArgs, VoteRootArgs};
    use rewards::state::{Device, EpochInputs, Network, OracleBond, OracleSet, RootProposal};
    let network: Network = fetch_migrated(sender, "network", &rw::network_pda().0).await?;
    let set: OracleSet = fetch_migrated(sender, "oracle set", &rw::oracle_set_pda().0).await?;
    let tp = token_program(&network.token_program)?;
    let (_, device) = first::<Device>(sender, "device").await?;
    let (proposal, root) = first::<RootProposal>(sender, "root proposal").await?;
    let (_, bond) = first::<OracleBond>(sender, "oracle bond").await?;
    let (_, inputs) = first::<EpochInputs>(sender, "epoch inputs").await?;
    let (owner, oracle) = (device.owner, bond.oracle);
    let destination = associated_token_address(&owner, &network.mint, tp);
    let claim_args = || ClaimArgs {
        cumulative_amount: 1_000,
        proof: vec![],
    };
    let vote = VoteRootArgs {
        epoch: root.epoch + 1,
        root: [3; 32],
        total: 5_000,
        leaves: 12,
        manifest_hash: [4; 32],
    };
    let new_device = placeholder(1);
    let onboard = rw::onboard_device(
        rw::onboard_device_accounts(
            owner,
            owner,
            new_device,
            device.maker,
            destination,
            tp,
            device.position,
        ),
        OnboardDeviceArgs {
            kind: device.kind,
            location: device.location,
            expires_at: device.onboarded_at,
        },
    );
    let commit = CommitReportsArgs {
        epoch: root.epoch + 1,
        hash: [5; 32],
        reports: 40,
        bytes: 4_000,
    };
    let (first_probe, second_probe) = (placeholder(2), placeholder(3));
    let voters = rw::proposal_voters(&root);
    Ok(vec![
        case(
            "rewards",
            "claim",
            rw::claim(
                rw::claim_accounts(owner, owner, destination, tp),
                claim_args(),
            ),
            &["wallet", "destination"],
        ),
        case(
            "rewards",
            "claim_to_position",
            rw::claim_to_position(
                rw::claim_to_position_accounts(owner, device.position, tp),
                claim_args(),
            ),
            &["position"],
        ),
        case(
            "rewards",
            "crank_epoch",
            rw::crank_epoch(rw::crank_epoch_accounts(tp)),
            &[],
        ),
        case(
            "rewards",
            "onboard_device",
            onboard,
            &["device", "fee_source", "position"],
        ),
        case(
            "rewards",
            "transfer_device",
            rw::transfer_device_ix(
                owner,
                placeholder(4),
                device.device,
                device.position,
                placeholder(5),
            ),
            &["device_account", "new_position"],
        ),
        case(
            "rewards",
            "update_location",
            rw::update_location_ix(owner, device.device, destination, tp, MOVED_CELL),
            &["device_account", "fee_source"],
        ),
        case(
            "rewards",
            "decommission_device",
            rw::decommission_device_ix(owner, device.device, device.position),
            &["device_account"],
        ),
        case(
            "rewards",
            "finalize_root",
            rw::finalize_root(rw::finalize_root_accounts(proposal)),
            &["proposal"],
        ),
        case(
            "rewards",
            "close_proposal",
            rw::close_proposal_ix(proposal, root.payer),
            &["proposal"],
        ),
        case(
            "rewards",
            "contest_root",
            rw::contest_root_ix(oracle, proposal),
            &["proposal"],
        ),
        case(
            "rewards",
            "vote_root",
            rw::vote_root(
                rw::vote_root_accounts_in(oracle, set.set_version, network.voided_roots, &vote),
                vote,
            ),
            &[],
        ),
        case(
            "rewards",
            "commit_reports",
            rw::commit_reports_ix(oracle, commit),
            &[],
        ),
        case(
            "rewards",
            "ack_reports",
            rw::ack_reports_ix(oracle, root.epoch, 1),
            &["inputs"],
        ),
        case(
            "rewards",
            "close_inputs",
            rw::close_inputs_ix(inputs.epoch, inputs.payer),
            &["inputs"],
        ),
        case(
            "rewards",
            "post_bond",
            rw::post_bond(rw::post_bond_accounts(oracle), 1_000),
            &[],
        ),
        case(
            "rewards",
            "withdraw_bond",
            rw::withdraw_bond(rw::withdraw_bond_accounts(oracle), 1_000),
            &[],
        ),
        case(
            "rewards",
            "create_lookup_table",
            rw::create_lookup_table_ix(owner, 4_242),
            &[],
        ),
        case(
            "rewards",
            "prove_fraud",
            rw::prove_fraud_ix(
                owner,
                proposal,
                (first_probe, Some(second_probe)),
                rewards::instructions::Evidence::Decrease,
                &voters,
            ),
            &["proposal", "first", "second"],
        ),
    ])
}

async fn staking_cases(sender: &Sender) -> Result<Vec<Value>> {
    use staking::instructions::{CreateVoterWeightRecordArgs, ProposeSlashArgs, StakeArgs};
    use staking::state::{LockupKind, PendingChange, Position, StakingConfig};
    let config: StakingConfig =
        fetch_migrated(sender, "staking config", &st::config_pda().0).await?;
    let tp = token_program(&config.token_program)?;
    let rtp = token_program(&config.revenue_token_program)?;
    let (position, held) = first::<Position>(sender, "position").await?;
    let owner = held.owner;
    let source = associated_token_address(&owner, &config.stake_mint, tp);
    let revenue_to = associated_token_address(&owner, &config.revenue_mint, rtp);
    let tor = st::token_owner_record(&config.realm, &config.stake_mint, &owner);
    let (_, pending) = first::<PendingChange>(sender, "staking change").await?;
    let stake = StakeArgs {
        id: 77,
        kind: LockupKind::Constant,
        lockup_secs: 86_400,
        amount: 1_000,
    };
    let slash = || ProposeSlashArgs {
        amount_bps: 100,
        evidence_hash: [6; 32],
    };
    let record = st::voter_weight_record_pda(&config.realm, &config.stake_mint, &owner).0;
    let vwr = CreateVoterWeightRecordArgs {
        realm: config.realm,
        governing_token_mint: config.stake_mint,
        governing_token_owner: owner,
    };
    Ok(vec![
        case(
            "staking",
            "stake",
            st::stake(
                st::stake_accounts(owner, stake.id, config.stake_mint, source, tp),
                stake,
            ),
            &["source"],
        ),
        case(
            "staking",
            "add_to_position",
            st::add_to_position(
                st::add_to_position_accounts(owner, position, config.stake_mint, source, tp),
                1_000,
            ),
            &["position", "source"],
        ),
        case(
            "staking",
            "extend_lock",
            st::extend_lock_ix(owner, position, 86_400),
            &["position"],
        ),
        case(
            "staking",
            "start_unlock",
            st::start_unlock_ix(owner, position),
            &["position"],
        ),
        case(
            "staking",
            "unstake",
            st::unstake_ix(owner, position, 1_000, tor),
            &["position"],
        ),
        case(
            "staking",
            "withdraw",
            st::withdraw(
                st::withdraw_accounts(owner, position, config.stake_mint, source, tp, config.realm),
                1_000,
            ),
            &["position", "destination"],
        ),
        case(
            "staking",
            "claim_revenue",
            st::claim_revenue(st::claim_revenue_accounts(
                owner,
                config.revenue_mint,
                revenue_to,
                rtp,
            )),
            &["destination"],
        ),
        case("staking", "sync_revenue", st::sync_revenue_ix(), &[]),
        case(
            "staking",
            "refresh_position",
            st::refresh_position_ix(owner, position),
            &["position"],
        ),
        case(
            "staking",
            "execute_slash",
            st::execute_slash_ix(owner, position, config.stake_mint, tp),
            &["position"],
        ),
        case(
            "staking",
            "tally_positions",
            st::tally_positions_ix(owner, &[position]),
            &[],
        ),
        case(
            "staking",
            "create_voter_weight_record",
            st::create_voter_weight_record_ix(owner, vwr),
            &[],
        ),
        case(
            "staking",
            "update_voter_weight_record",
            st::update_voter_weight_record_ix(record, owner, &[position]),
            &["staker"],
        ),
        case(
            "staking",
            "propose_slash",
            st::propose_slash(
                st::propose_slash_accounts(owner, position, &slash().evidence_hash),
                slash(),
            ),
            &["position", "approval"],
        ),
        case(
            "staking",
            "approve_slash",
            st::approve_slash(
                st::approve_slash_accounts(owner, position, &slash()),
                slash(),
            ),
            &["position"],
        ),
        case(
            "staking",
            "apply_change",
            st::apply_change_ix(pending.id, pending.proposer),
            &["change"],
        ),
    ])
}

async fn treasury_cases(sender: &Sender) -> Result<Vec<Value>> {
    use treasury::instructions::{ConsumeCreditsArgs, PayArgs, PayForArgs};
    use treasury::state::{Stablecoin, Treasury};
    let treasury: Treasury = fetch_migrated(sender, "treasury", &tr::treasury_pda().0).await?;
    let (_, coin) = first::<Stablecoin>(sender, "stablecoin").await?;
    let tp = token_program(&coin.token_program)?;
    let customer = placeholder(7);
    let customer_tokens = associated_token_address(&customer, &coin.mint, tp);
    let operator = treasury.roles.payment_operator;
    let operator_tokens = associated_token_address(&operator, &coin.mint, tp);
    let operations = associated_token_address(&treasury.roles.operations_owner, &coin.mint, tp);
    let credits = placeholder(8);
    let network_tp = token_program(&network_token_program(sender, &treasury.network_mint).await?)?;
    let owner_tokens = associated_token_address(&customer, &treasury.network_mint, network_tp);
    let pay = PayArgs {
        amount: 1_000,
        reference: [9; 32],
    };
    let pay_for = PayForArgs {
        amount: 1_000,
        reference: [9; 32],
        customer,
    };
    let consume = ConsumeCreditsArgs {
        amount: 10,
        usage_reference: [10; 32],
    };
    Ok(vec![
        case(
            "treasury",
            "pay",
            tr::pay(
                tr::pay_accounts(customer, coin.mint, tp, customer_tokens),
                pay,
            ),
            &["mint", "payer_tokens"],
        ),
        case(
            "treasury",
            "pay_for",
            tr::pay_for(
                tr::pay_for_accounts(operator, coin.mint, tp, operator_tokens),
                pay_for,
            ),
            &["mint", "operator_tokens"],
        ),
        case(
            "treasury",
            "route_to_stakers",
            tr::route_to_stakers(coin.mint, tp, coin.stakers_destination),
            &["mint"],
        ),
        case(
            "treasury",
            "sweep_operations",
            tr::sweep_operations(coin.mint, tp, operations),
            &["mint"],
        ),
        case(
            "treasury",
            "burn_for_credits",
            tr::burn_for_credits(
                tr::burn_for_credits_accounts(
                    customer,
                    treasury.network_mint,
                    network_tp,
                    owner_tokens,
                    placeholder(11),
                    credits,
                ),
                1_000,
            ),
            &[
                "owner_tokens",
                "price_update",
                "credits_account",
                "network_token_program",
            ],
        ),
        // A claim in the coin: the wallet names its account, the coin, the price update and the
        // coin's venue reserves (pinned in the ledger under other names) and token program.
        case(
            "rewards",
            "claim_in_stablecoin",
            rw::claim_in_stablecoin(
                rw::claim_in_stablecoin_accounts(
                    customer,
                    customer_tokens,
                    &tr::StableClaimVenue {
                        stable_mint: coin.mint,
                        stable_token_program: tp,
                        network_token_program: network_tp,
                        price_update: placeholder(11),
                        venue: coin.venue,
                    },
                ),
                rw::ClaimInStablecoinArgs {
                    claim: rw::ClaimArgs {
                        cumulative_amount: 1_000,
                        proof: vec![],
                    },
                    min_stable_out: 400,
                },
            ),
            &[
                "destination",
                "stable_mint",
                "price_update",
                "pool_quote_reserve",
                "pool_token_reserve",
                "stable_token_program",
            ],
        ),
        case(
            "treasury",
            "consume_credits",
            tr::consume_credits(
                tr::consume_credits_accounts(treasury.roles.service_operator, credits),
                consume,
            ),
            &["credits_account"],
        ),
    ])
}

/// The token program that owns `mint`.
async fn network_token_program(sender: &Sender, mint: &Pubkey) -> Result<Pubkey> {
    let account = sender
        .call(|rpc| rpc.get_account(mint))
        .await
        .with_context(|| format!("reading the mint {mint}"))?;
    Ok(account.owner)
}

/// The probe cranks, on a probe at the root of a proposal (opened here when none exists).
async fn probe_cases(sender: &Sender, opener: &Keypair) -> Result<Vec<Value>> {
    use rewards::instructions::ExtendProbeArgs;
    use rewards::types::ProbeTarget;
    let (probe, held) = match first::<Probe>(sender, "probe").await {
        Ok(found) => found,
        Err(_) => open_probe(sender, opener).await?,
    };
    let key = opener.pubkey();
    let extend = ExtendProbeArgs {
        target: ProbeTarget::Leaf {
            wallet: placeholder(12),
            amount: 1,
        },
        path: vec![],
    };
    let proposal = held.proposal;
    Ok(vec![
        case(
            "rewards",
            "close_probe",
            rw::close_probe_ix(probe, proposal, held.opener, None),
            &["probe", "demander"],
        ),
        case(
            "rewards",
            "demand_probe",
            rw::demand_probe_ix(key, proposal, probe, 1_000),
            &["probe"],
        ),
        case(
            "rewards",
            "extend_probe",
            rw::extend_probe_ix(key, proposal, probe, extend),
            &["probe"],
        ),
    ])
}

/// Opens a probe at the root of the proposal whose dispute window ends last, once one is open
/// for at least two more seconds (a new root is posted each epoch); gives up after two minutes.
async fn open_probe(sender: &Sender, opener: &Keypair) -> Result<(Pubkey, Probe)> {
    use rewards::state::RootProposal;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let now = cluster_time(sender).await?;
        let open =
            program_accounts::<RootProposal>(sender, "root proposal", RootProposal::SIZE, None)
                .await?
                .into_iter()
                .filter(|(_, p)| p.is_disputable(now + 2))
                .max_by_key(|(_, p)| p.dispute_ends);
        if let Some((proposal, root)) = open {
            let args = rw::open_probe_at_root(&root, 0).ok_or_else(|| anyhow!("an empty root"))?;
            let ix = rw::open_probe_ix(opener.pubkey(), proposal, args);
            match sender.send("open a probe", &[ix], opener, &[]).await {
                Ok(_) => return first::<Probe>(sender, "probe").await,
                Err(e) if Instant::now() < deadline => eprintln!("idl-cases: retrying: {e}"),
                Err(e) => return Err(e.into()),
            }
        }
        if Instant::now() >= deadline {
            bail!(
                "no root proposal in its dispute window for 120 s: is the network's oracle running?"
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A slash approval and a slash record on the network, at no one's cost: `staker` stakes one
/// base unit in a position of its own (id [`SLASHED_ID`]), the first oracle records its
/// approval of slashing it (evidence `[0x5a; 32]`), and the quorum proposes a 1 bps slash with
/// other evidence, which floors to 0 tokens: recorded as done, nothing pending. Skipped when
/// both kinds already exist.
async fn slash_accounts(sender: &Sender, staker: &Keypair, oracles: &[Keypair]) -> Result<()> {
    use staking::instructions::{ProposeSlashArgs, StakeArgs};
    use staking::state::{LockupKind, Position, SlashApproval, SlashRecord, StakingConfig};
    let approval = first::<SlashApproval>(sender, "slash approval")
        .await
        .is_ok();
    let record = first::<SlashRecord>(sender, "slash record").await.is_ok();
    if approval && record {
        return Ok(());
    }
    let config: StakingConfig =
        fetch_migrated(sender, "staking config", &st::config_pda().0).await?;
    let set = depin_client::slash::oracle_set(sender).await?;
    let owner = staker.pubkey();
    let tp = token_program(&config.token_program)?;
    let source = associated_token_address(&owner, &config.stake_mint, tp);
    let position = st::position_pda(&owner, SLASHED_ID).0;
    let stake = StakeArgs {
        id: SLASHED_ID,
        kind: LockupKind::Cliff,
        lockup_secs: 0,
        amount: 1,
    };
    if !depin_client::accounts::exists(sender, "position", &position).await? {
        let accounts = st::stake_accounts(owner, SLASHED_ID, config.stake_mint, source, tp);
        let ix = st::stake(accounts, stake);
        sender
            .send("stake one base unit", &[ix], staker, &[])
            .await?;
    }
    let slash = |evidence_hash| ProposeSlashArgs {
        amount_bps: 1,
        evidence_hash,
    };
    let signed = |args: &ProposeSlashArgs, keys: &[Keypair]| {
        let msg = depin_client::slash::message(
            config.slash_domain,
            &position,
            args.amount_bps,
            args.evidence_hash,
            set.set_version,
            0,
        );
        let sigs: Vec<([u8; 32], [u8; 64])> = keys
            .iter()
            .map(|k| (k.pubkey().to_bytes(), *k.sign_message(&msg).as_array()))
            .collect();
        (msg, sigs)
    };
    let approve = slash([0x5a; 32]);
    let (msg, sigs) = signed(&approve, &oracles[..1]);
    let ixs = depin_client::slash::approve_ixs(owner, position, &approve, &msg, &sigs);
    sender.send("approve_slash", &ixs, staker, &[]).await?;
    let propose = slash([0x5b; 32]);
    // Only a slash that floors to nothing: refuse if the position grew since it was staked
    // (anyone may add to a position).
    let held: Position = fetch_migrated(sender, "position", &position).await?;
    let tokens = u128::from(held.amount) + u128::from(held.cooling);
    if tokens * u128::from(propose.amount_bps) / 10_000 != 0 || held.pending_slash.is_some() {
        bail!("position {position} holds {tokens} base units: a 1 bps slash would take some");
    }
    let (msg, sigs) = signed(&propose, oracles);
    let ixs = depin_client::slash::propose_ixs(owner, position, propose, &msg, &sigs);
    sender.send("propose_slash", &ixs, staker, &[]).await?;
    Ok(())
}

/// The position id `slash_accounts` stakes at.
const SLASHED_ID: u64 = 9_001;
