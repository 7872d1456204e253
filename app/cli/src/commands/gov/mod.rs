//! `depin gov propose | apply | cancel | list`: each program's timelocked parameter changes,
//! over JSON-RPC (docs/rewards-rules.md, docs/staking.md, docs/treasury.md).
//!
//! Governance (the program's `authority`) proposes a change, which anyone may apply once its
//! timelock has passed (and before its 14-day grace ends), and which governance may cancel
//! until then. When the authority is a key, it signs here (`-k`). When it is a DAO (an
//! spl-governance account, as the local network's staking authority is), nothing here can
//! sign for it: `--print-instruction` prints the instruction a DAO proposal carries instead
//! (proposed by the DAO's native treasury, which pays the change's rent), for Realms or
//! `spl-governance InsertTransaction`.

mod params;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anyhow::{Result, anyhow, bail};
use base64::Engine as _;
use clap::Subcommand;
use depin_client::Sender;
use depin_client::accounts::{AccountSource, cluster_time, fetch, program_accounts};
use depin_client::builders::{governance, rewards_ix, staking_ix, treasury_ix};
use depin_client::solana_signer::Signer;
use depin_common::timelock::Schedule;

pub use params::{RewardsParam, StakingParam, TreasuryParam, Voting};

use super::common::print_landed;
use crate::{ClusterArgs, Output, runtime};

/// `depin gov ...`.
#[derive(Subcommand)]
pub enum GovCommand {
    Propose(Propose),
    Apply(Apply),
    Cancel(Cancel),
    List(List),
}

impl GovCommand {
    /// Runs the subcommand.
    ///
    /// # Errors
    ///
    /// Whatever the subcommand refuses or the cluster returns.
    pub fn run(&self) -> Result<()> {
        match self {
            Self::Propose(args) => propose(args),
            Self::Apply(args) => apply(args),
            Self::Cancel(args) => cancel(args),
            Self::List(args) => list(args),
        }
    }
}

/// A governed program.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    Rewards,
    Staking,
    Treasury,
}

impl Program {
    const ALL: [Self; 3] = [Self::Rewards, Self::Staking, Self::Treasury];

    const fn name(self) -> &'static str {
        match self {
            Self::Rewards => "rewards",
            Self::Staking => "staking",
            Self::Treasury => "treasury",
        }
    }
}

/// A change to propose: the program, then its parameter and values.
#[derive(Subcommand, Clone, Debug)]
pub enum Change {
    /// A rewards-network parameter.
    #[command(subcommand)]
    Rewards(RewardsParam),
    /// A staking parameter.
    #[command(subcommand)]
    Staking(StakingParam),
    /// A treasury parameter.
    #[command(subcommand)]
    Treasury(TreasuryParam),
}

impl Change {
    const fn program(&self) -> Program {
        match self {
            Self::Rewards(_) => Program::Rewards,
            Self::Staking(_) => Program::Staking,
            Self::Treasury(_) => Program::Treasury,
        }
    }

    fn describe(&self) -> (String, String) {
        match self {
            Self::Rewards(p) => params::describe(p),
            Self::Staking(p) => params::describe(p),
            Self::Treasury(p) => params::describe(p),
        }
    }

    /// `propose_change` of change `id`, paid by `proposer`, signed by `authority`.
    fn propose_ix(&self, proposer: Pubkey, authority: Pubkey, id: u64) -> Instruction {
        match self.clone() {
            Self::Rewards(p) => rewards_ix::propose_change_ix(proposer, authority, id, p.into()),
            Self::Staking(p) => staking_ix::propose_change_ix(proposer, authority, id, p.into()),
            Self::Treasury(p) => treasury_ix::propose_change(proposer, authority, id, p.into()),
        }
    }
}

/// Who governs a program and its timelock.
struct Governed {
    authority: Pubkey,
    /// The next change's id.
    next_id: u64,
    timelock_secs: u64,
}

async fn governed(sender: &Sender, program: Program) -> Result<Governed> {
    Ok(match program {
        Program::Rewards => {
            let n = super::common::network(sender).await?;
            Governed {
                authority: n.authority,
                next_id: n.changes_proposed,
                timelock_secs: n.timelock_secs,
            }
        }
        Program::Staking => {
            let c = super::common::staking_config(sender).await?;
            Governed {
                authority: c.authority,
                next_id: c.changes_proposed,
                timelock_secs: c.timelock_secs,
            }
        }
        Program::Treasury => {
            let t = super::common::treasury(sender).await?;
            Governed {
                authority: t.authority,
                next_id: t.changes_proposed,
                timelock_secs: t.timelock_secs,
            }
        }
    })
}

/// A queued change, whichever program's.
struct Pending {
    program: Program,
    id: u64,
    address: Pubkey,
    proposer: Pubkey,
    param: String,
    values: String,
    schedule: Schedule,
    /// A treasury `BuybackVenue` change's coin (its stablecoin account is applied too).
    coin: Option<Pubkey>,
}

impl Pending {
    /// "pending" (timelock running), "ready" (may be applied), or "expired" (the grace is over:
    /// only a cancel removes it).
    fn status(&self, now: i64) -> &'static str {
        if self.schedule.is_expired(now) {
            "expired"
        } else if self.schedule.is_due(now) {
            "ready"
        } else {
            "pending"
        }
    }

    fn json(&self, now: i64) -> serde_json::Value {
        serde_json::json!({
            "program": self.program.name(), "id": self.id, "address": self.address.to_string(),
            "param": self.param, "value": self.values, "proposer": self.proposer.to_string(),
            "proposed_at": self.schedule.proposed_at, "eta": self.schedule.eta,
            "expires_at": self.schedule.expires_at().ok(), "status": self.status(now),
        })
    }

    fn apply_ix(&self) -> Instruction {
        match self.program {
            Program::Rewards => rewards_ix::apply_change_ix(self.id, self.proposer),
            Program::Staking => staking_ix::apply_change_ix(self.id, self.proposer),
            Program::Treasury => treasury_ix::apply_change(
                self.id,
                self.proposer,
                self.coin.map(|mint| treasury_ix::stablecoin_pda(&mint).0),
            ),
        }
    }

    fn cancel_ix(&self, authority: Pubkey) -> Instruction {
        match self.program {
            Program::Rewards => rewards_ix::cancel_change_ix(authority, self.id, self.proposer),
            Program::Staking => staking_ix::cancel_change_ix(authority, self.id, self.proposer),
            Program::Treasury => treasury_ix::cancel_change(authority, self.id, self.proposer),
        }
    }
}

fn rewards_pending(address: Pubkey, c: rewards::state::PendingChange) -> Pending {
    let (param, values) = params::describe(&RewardsParam::from(&c.update));
    Pending {
        program: Program::Rewards,
        id: c.id,
        address,
        proposer: c.proposer,
        param,
        values,
        schedule: c.schedule(),
        coin: None,
    }
}

fn staking_pending(address: Pubkey, c: staking::state::PendingChange) -> Pending {
    let (param, values) = params::describe(&StakingParam::from(&c.update));
    Pending {
        program: Program::Staking,
        id: c.id,
        address,
        proposer: c.proposer,
        param,
        values,
        schedule: c.schedule(),
        coin: None,
    }
}

fn treasury_pending(address: Pubkey, c: treasury::state::PendingChange) -> Pending {
    let coin = match &c.update {
        treasury::state::TreasuryUpdate::BuybackVenue { mint, .. } => Some(*mint),
        _ => None,
    };
    let (param, values) = params::describe(&TreasuryParam::from(&c.update));
    Pending {
        program: Program::Treasury,
        id: c.id,
        address,
        proposer: c.proposer,
        param,
        values,
        schedule: c.schedule(),
        coin,
    }
}

/// Every queued change of `program`, by id.
async fn all_pending(sender: &Sender, program: Program) -> Result<Vec<Pending>> {
    let mut out: Vec<Pending> = match program {
        Program::Rewards => {
            use rewards::state::PendingChange as C;
            program_accounts::<C>(sender, "rewards change", C::SIZE, None)
                .await?
                .into_iter()
                .map(|(a, c)| rewards_pending(a, c))
                .collect()
        }
        Program::Staking => {
            use staking::state::PendingChange as C;
            program_accounts::<C>(sender, "staking change", C::SIZE, None)
                .await?
                .into_iter()
                .map(|(a, c)| staking_pending(a, c))
                .collect()
        }
        Program::Treasury => {
            use treasury::state::PendingChange as C;
            program_accounts::<C>(sender, "treasury change", C::SIZE, None)
                .await?
                .into_iter()
                .map(|(a, c)| treasury_pending(a, c))
                .collect()
        }
    };
    out.sort_by_key(|p| p.id);
    Ok(out)
}

/// The change a command names: its id, or its account's address.
/// The change account of `program`'s change `id`.
fn change_address(program: Program, id: u64) -> Pubkey {
    match program {
        Program::Rewards => rewards_ix::change_pda(id).0,
        Program::Staking => staking_ix::change_pda(id).0,
        Program::Treasury => treasury_ix::change_pda(id).0,
    }
}

async fn one_pending(sender: &Sender, program: Program, change: &str) -> Result<Pending> {
    let address = match change.parse::<u64>() {
        Ok(id) => change_address(program, id),
        Err(_) => change.parse::<Pubkey>().map_err(|_| {
            anyhow!("change {change:?}: neither a change id nor a change account's address")
        })?,
    };
    let missing = || {
        anyhow!(
            "no pending {} change {change} ({address}): never proposed, or already applied or \
             cancelled (`depin gov list`)",
            program.name()
        )
    };
    Ok(match program {
        Program::Rewards => rewards_pending(
            address,
            fetch(sender, "rewards change", &address)
                .await?
                .ok_or_else(missing)?,
        ),
        Program::Staking => staking_pending(
            address,
            fetch(sender, "staking change", &address)
                .await?
                .ok_or_else(missing)?,
        ),
        Program::Treasury => treasury_pending(
            address,
            fetch(sender, "treasury change", &address)
                .await?
                .ok_or_else(missing)?,
        ),
    })
}

/// Flags of the commands that governance signs.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct Authority {
    /// Send nothing: print the instruction (JSON, its data in base64) for a DAO proposal to
    /// carry, signed by the program's authority as it is on chain (an spl-governance account:
    /// the DAO's native treasury proposes and pays the rent).
    #[arg(long, global = true)]
    pub print_instruction: bool,
}

/// The instruction as JSON: program, accounts, data in base64.
fn instruction_json(ix: &Instruction) -> serde_json::Value {
    let accounts: Vec<_> = ix
        .accounts
        .iter()
        .map(|a| {
            serde_json::json!({"pubkey": a.pubkey.to_string(), "is_signer": a.is_signer,
                "is_writable": a.is_writable})
        })
        .collect();
    serde_json::json!({
        "program_id": ix.program_id.to_string(),
        "accounts": accounts,
        "data": base64::engine::general_purpose::STANDARD.encode(&ix.data),
    })
}

/// Whether `authority` is an spl-governance account (a DAO's governance).
async fn is_dao(sender: &Sender, authority: &Pubkey) -> Result<bool> {
    Ok(sender
        .owner_and_data(authority)
        .await?
        .is_some_and(|(owner, _)| owner == governance::GOVERNANCE_PROGRAM_ID))
}

/// The refusal when the signer is not the program's authority.
async fn not_authority(
    sender: &Sender,
    program: Program,
    authority: &Pubkey,
    signer: &Pubkey,
) -> anyhow::Error {
    let dao = match is_dao(sender, authority).await {
        Ok(true) => " (an spl-governance DAO)",
        _ => "",
    };
    anyhow!(
        "the {} authority is {authority}{dao}, not the signer {signer}: sign with it, or pass \
         --print-instruction for the instruction a DAO proposal carries",
        program.name()
    )
}

/// Queue a parameter change of a program (signed by its governance), or print the
/// instruction a DAO proposal carries (`--print-instruction`).
#[derive(clap::Args)]
pub struct Propose {
    #[command(subcommand)]
    pub change: Change,
    #[command(flatten)]
    pub authority: Authority,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin gov propose`.
///
/// # Errors
///
/// A program not migrated, a signer that is not the program's authority (without
/// `--print-instruction`), or a failed send (the program checks the value's bounds).
pub fn propose(args: &Propose) -> Result<()> {
    let program = args.change.program();
    let (param, values) = args.change.describe();
    if args.authority.print_instruction {
        let sender = args.cluster.reader()?;
        return runtime()?.block_on(async {
            let g = governed(&sender, program).await?;
            let proposer = if is_dao(&sender, &g.authority).await? {
                governance::native_treasury_pda(&g.authority)
            } else {
                g.authority
            };
            let ix = args.change.propose_ix(proposer, g.authority, g.next_id);
            print_instruction(args.output, program, g.next_id, &ix);
            Ok(())
        });
    }
    let (sender, signer) = args.cluster.connect()?;
    runtime()?.block_on(async {
        let g = governed(&sender, program).await?;
        if g.authority != signer.pubkey() {
            return Err(not_authority(&sender, program, &g.authority, &signer.pubkey()).await);
        }
        let id = g.next_id;
        let ix = args.change.propose_ix(signer.pubkey(), signer.pubkey(), id);
        let landed = sender
            .send(
                &format!("{}: propose_change", program.name()),
                &[ix],
                &signer,
                &[],
            )
            .await?;
        // The change has landed: a failed read after it must not report a failure (a retry
        // would propose a second change). Its ETA is then unknown here; `gov list` shows it.
        let eta = match one_pending(&sender, program, &id.to_string()).await {
            Ok(change) => Some(change.schedule.eta),
            Err(e) => {
                eprintln!("warning: change #{id} landed, but reading it back failed: {e:#}");
                None
            }
        };
        let address = change_address(program, id);
        let when = eta.map_or_else(|| "(see `depin gov list`)".to_string(), |t| t.to_string());
        print_landed(
            &format!(
                "Proposed {} change #{id} ({param} {values}); it may be applied from {when} \
                 (after the {} s timelock): `depin gov apply {} {id}`",
                program.name(),
                g.timelock_secs,
                program.name()
            ),
            &landed,
            args.output.json,
            serde_json::json!({"program": program.name(), "id": id,
                "address": address.to_string(), "param": param, "value": values,
                "eta": eta, "timelock_secs": g.timelock_secs}),
        );
        Ok(())
    })
}

fn print_instruction(output: Output, program: Program, id: u64, ix: &Instruction) {
    let json = serde_json::json!({"program": program.name(), "id": id,
        "instruction": instruction_json(ix)});
    // The instruction is for a machine either way: JSON, pretty unless --json.
    if output.json {
        println!("{json}");
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_else(|_| json.to_string())
        );
    }
}

/// Apply a change whose timelock has passed (anyone may; the rent goes back to its proposer).
#[derive(clap::Args)]
pub struct Apply {
    #[arg(value_enum)]
    pub program: Program,
    /// The change's id, or its account's address.
    pub change: String,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin gov apply`.
///
/// # Errors
///
/// No such change, its timelock still running or its grace over (refused by name before
/// anything is sent), or a failed send (the program re-validates the value).
pub fn apply(args: &Apply) -> Result<()> {
    let (sender, payer) = args.cluster.connect()?;
    runtime()?.block_on(async {
        let change = one_pending(&sender, args.program, &args.change).await?;
        let now = cluster_time(&sender).await?;
        let id = change.id;
        let name = args.program.name();
        match change.status(now) {
            "pending" => bail!(
                "{name} change #{id} may be applied from {} ({} s from cluster time {now}): \
                 its timelock is still running",
                change.schedule.eta,
                change.schedule.eta - now
            ),
            "expired" => bail!(
                "{name} change #{id} expired at {} (cluster time {now}): it can only be \
                 cancelled",
                change.schedule.expires_at().unwrap_or_default()
            ),
            _ => {}
        }
        let landed = sender
            .send(
                &format!("{name}: apply_change"),
                &[change.apply_ix()],
                &payer,
                &[],
            )
            .await?;
        print_landed(
            &format!(
                "Applied {name} change #{id} ({} {})",
                change.param, change.values
            ),
            &landed,
            args.output.json,
            serde_json::json!({"program": name, "id": id, "param": change.param,
                "value": change.values}),
        );
        Ok(())
    })
}

/// Withdraw a change before it is applied (signed by the program's governance), or print the
/// instruction a DAO proposal carries (`--print-instruction`).
#[derive(clap::Args)]
pub struct Cancel {
    #[arg(value_enum)]
    pub program: Program,
    /// The change's id, or its account's address.
    pub change: String,
    #[command(flatten)]
    pub authority: Authority,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin gov cancel`.
///
/// # Errors
///
/// No such change, a signer that is not the program's authority (without
/// `--print-instruction`), or a failed send.
pub fn cancel(args: &Cancel) -> Result<()> {
    let name = args.program.name();
    if args.authority.print_instruction {
        let sender = args.cluster.reader()?;
        return runtime()?.block_on(async {
            let g = governed(&sender, args.program).await?;
            let change = one_pending(&sender, args.program, &args.change).await?;
            let ix = change.cancel_ix(g.authority);
            print_instruction(args.output, args.program, change.id, &ix);
            Ok(())
        });
    }
    let (sender, signer) = args.cluster.connect()?;
    runtime()?.block_on(async {
        let g = governed(&sender, args.program).await?;
        let change = one_pending(&sender, args.program, &args.change).await?;
        if g.authority != signer.pubkey() {
            return Err(not_authority(&sender, args.program, &g.authority, &signer.pubkey()).await);
        }
        let landed = sender
            .send(
                &format!("{name}: cancel_change"),
                &[change.cancel_ix(signer.pubkey())],
                &signer,
                &[],
            )
            .await?;
        print_landed(
            &format!(
                "Cancelled {name} change #{} ({} {})",
                change.id, change.param, change.values
            ),
            &landed,
            args.output.json,
            serde_json::json!({"program": name, "id": change.id, "param": change.param,
                "value": change.values}),
        );
        Ok(())
    })
}

/// Every queued change (of one program, or all three): its parameter, value, proposer, when it
/// may be applied, and its status (pending, ready, expired). Reads only: loads no keypair.
#[derive(clap::Args)]
pub struct List {
    #[arg(value_enum)]
    pub program: Option<Program>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: Output,
}

/// `depin gov list`.
///
/// # Errors
///
/// The cluster cannot be read.
pub fn list(args: &List) -> Result<()> {
    let sender = args.cluster.reader()?;
    runtime()?.block_on(async {
        let now = cluster_time(&sender).await?;
        let programs = args.program.map_or(Program::ALL.to_vec(), |p| vec![p]);
        let mut changes = Vec::new();
        for program in programs {
            changes.extend(all_pending(&sender, program).await?);
        }
        args.output.print(
            &serde_json::json!({
                "cluster_time": now,
                "changes": changes.iter().map(|c| c.json(now)).collect::<Vec<_>>(),
            }),
            || {
                println!(
                    "{:<9} {:>4} {:<8} {:>12} {:<22} value / proposer",
                    "program", "id", "status", "eta", "param"
                );
                for c in &changes {
                    println!(
                        "{:<9} {:>4} {:<8} {:>12} {:<22} {} / {}",
                        c.program.name(),
                        c.id,
                        c.status(now),
                        c.schedule.eta,
                        c.param,
                        c.values,
                        c.proposer
                    );
                }
                println!("{} change(s); cluster time {now}", changes.len());
            },
        );
        Ok(())
    })
}
