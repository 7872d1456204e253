//! `depin`: the protocol's command-line tool.
//!
//! Today it has one command, `demo`: it deploys the three programs (as built SBF) into an
//! in-process Solana runtime (LiteSVM), initialises the network, staking and the treasury, and
//! prints what was created. The local validator over JSON-RPC, migrations and the owner,
//! operator and treasury commands arrive with the network and CLI issue.
use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};

use anchor_lang::prelude::Pubkey;
use harness::builders::{GenesisParams, genesis};
use harness::solana_signer::Signer;
use harness::{PROTOCOL_PROGRAMS, TestEnv, TokenProgram};

#[derive(Parser)]
#[command(
    name = "depin",
    version,
    about = "DePIN reward protocol: owners, operators, treasury"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Deploy the programs into an in-process runtime, initialise them, and print what was created.
    Demo {
        /// Put the network token under Token-2022 instead of SPL Token.
        #[arg(long)]
        token_2022: bool,
        /// Token decimals.
        #[arg(long, default_value_t = 6)]
        decimals: u8,
        /// Maximum supply, in whole tokens.
        #[arg(long, default_value_t = 10_000_000_000)]
        max_supply: u64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

struct Created {
    what: &'static str,
    address: Pubkey,
    owner: Pubkey,
    bytes: usize,
    lamports: u64,
    cu: u64,
}

fn run_demo(
    token_program: TokenProgram,
    decimals: u8,
    max_supply_tokens: u64,
) -> Result<Vec<Created>> {
    let max_supply = 10u64
        .checked_pow(u32::from(decimals))
        .and_then(|unit| unit.checked_mul(max_supply_tokens))
        .ok_or_else(|| {
            anyhow!("--max-supply {max_supply_tokens} with {decimals} decimals overflows u64")
        })?;
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let params = GenesisParams {
        token_program,
        governance: deployer.pubkey(),
        decimals,
        max_supply,
        start_ts: env.now(),
    };
    let mut created = Vec::new();
    for step in genesis(&env, &params) {
        let meta = env.send(&[step.ix], &[&deployer]).map_err(|f| {
            anyhow!(
                "{}::{} failed: {:?}\n{}",
                step.program,
                step.instruction,
                f.err,
                f.meta.pretty_logs()
            )
        })?;
        for (what, address) in step.created {
            let account = env
                .account(&address)
                .with_context(|| format!("{what} {address} was not created"))?;
            created.push(Created {
                what,
                address,
                owner: account.owner,
                bytes: account.data.len(),
                lamports: account.lamports,
                cu: meta.compute_units_consumed,
            });
        }
    }
    Ok(created)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo {
            token_2022,
            decimals,
            max_supply,
            json,
        } => {
            let tp = if token_2022 {
                TokenProgram::Token2022
            } else {
                TokenProgram::SplToken
            };
            let created = run_demo(tp, decimals, max_supply)?;
            if json {
                let rows: Vec<_> = created
                    .iter()
                    .map(|c| serde_json::json!({
                        "account": c.what, "address": c.address.to_string(), "owner": c.owner.to_string(),
                        "bytes": c.bytes, "lamports": c.lamports, "instruction_cu": c.cu,
                    }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!("Programs deployed (in-process LiteSVM, built SBF from target/deploy):");
                for spec in PROTOCOL_PROGRAMS {
                    println!("  {:<9} {}", spec.name, spec.id);
                }
                println!(
                    "\n{:<20} {:<45} {:<45} {:>6} {:>10} {:>7}",
                    "account", "address", "owner", "bytes", "lamports", "CU"
                );
                for c in &created {
                    println!(
                        "{:<20} {:<45} {:<45} {:>6} {:>10} {:>7}",
                        c.what, c.address, c.owner, c.bytes, c.lamports, c.cu
                    );
                }
            }
        }
    }
    Ok(())
}
