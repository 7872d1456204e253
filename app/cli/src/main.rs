//! `depin`: the protocol's command-line tool for device owners, stakers, customers and the
//! treasury, over JSON-RPC. One module of `depin_cli::commands` per command:
//! - `device onboard | transfer | decommission | list` (`device`), `rewards status | claim`
//!   (`rewards`);
//! - `stake lock | extend | unlock | unstake | withdraw | claim-revenue | status` (`stake`);
//! - `pay` (`pay`), `treasury buyback | report` (`treasury`);
//! - `credits buy | consume | balance` (`credits`), `gov propose | apply | cancel | list` (`gov`);
//! - `migrate` initialises a cluster over JSON-RPC from a config file (`depin-migrations`).
//!
//! The developer commands (`localnet`, `sim`) are `depin-dev` (app/dev): they link the validator.
use std::process::ExitCode;

use anyhow::Result;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use depin_cli::Reported;
use depin_cli::commands::{credits, device, gov, migrate, pay, rewards, slash, stake, treasury};

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
    Pay(pay::Pay),
    /// Devices: onboard, transfer, decommission, list.
    #[command(subcommand)]
    Device(device::DeviceCommand),
    /// Rewards: what a wallet has earned and claimed, and claims.
    #[command(subcommand)]
    Rewards(rewards::RewardsCommand),
    /// Staking: lock, extend, unlock, unstake, withdraw, claim revenue, status.
    #[command(subcommand)]
    Stake(stake::StakeCommand),
    /// Slashing a provider's collateral: list the oracles' findings, propose, overturn, execute.
    #[command(subcommand)]
    Slash(slash::SlashCommand),
    /// The treasury: the buyback-and-burn crank and the transparency report.
    #[command(subcommand)]
    Treasury(treasury::TreasuryCommand),
    /// Service credits: buy them with network tokens, consume them (the service operator),
    /// balance.
    #[command(subcommand)]
    Credits(credits::CreditsCommand),
    /// Governance: propose, apply, cancel and list each program's timelocked parameter changes.
    #[command(subcommand)]
    Gov(gov::GovCommand),
    Migrate(migrate::Migrate),
}

impl Command {
    fn run(&self) -> Result<()> {
        match self {
            Self::Pay(args) => pay::run(args),
            Self::Device(command) => command.run(),
            Self::Rewards(command) => command.run(),
            Self::Stake(command) => command.run(),
            Self::Slash(command) => command.run(),
            Self::Treasury(command) => command.run(),
            Self::Credits(command) => command.run(),
            Self::Gov(command) => command.run(),
            Self::Migrate(args) => migrate::run(args),
        }
    }
}

/// Whether the command `matches` names asked for `--json` (the flag of the innermost
/// subcommand, `depin_cli::Output`).
fn wants_json(matches: &ArgMatches) -> bool {
    match matches.subcommand() {
        Some((_, inner)) => wants_json(inner),
        None => matches!(matches.try_get_one::<bool>("json"), Ok(Some(true))),
    }
}

/// `{"error": reason}` on stdout: a `--json` caller's one document when the command fails.
fn print_json_error(reason: &str) {
    println!("{}", serde_json::json!({ "error": reason }));
}

fn main() -> ExitCode {
    // A `--json` request is honoured even when the arguments do not parse.
    let asked_json = std::env::args_os().any(|a| a == "--json");
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) if asked_json && e.use_stderr() => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            print_json_error(first.trim_start_matches("error: "));
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let json = wants_json(&matches);
    let result = Cli::from_arg_matches(&matches)
        .map_err(anyhow::Error::from)
        .and_then(|cli| cli.command.run());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json && e.downcast_ref::<Reported>().is_none() {
                print_json_error(&format!("{e:#}"));
            }
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_commands_are_consistent() {
        Cli::command().debug_assert();
    }

    /// The leaf commands under `command`, by their full names.
    fn leaves(command: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
        let name = format!("{path} {}", command.get_name());
        if command.get_subcommands().next().is_none() {
            out.push((name.clone(), command.clone()));
        }
        for sub in command.get_subcommands() {
            leaves(sub, &name, out);
        }
    }

    #[test]
    fn every_command_takes_json() {
        let mut all = Vec::new();
        let mut cli = Cli::command();
        cli.build();
        leaves(&cli, "", &mut all);
        // clap's own `help` subcommands print help, not results.
        all.retain(|(name, _)| !name.split(' ').any(|word| word == "help"));
        assert!(all.len() >= 20, "{} commands", all.len());
        let missing: Vec<_> = all
            .iter()
            .filter(|(_, c)| !c.get_arguments().any(|a| a.get_long() == Some("json")))
            .map(|(name, _)| name.clone())
            .collect();
        assert!(missing.is_empty(), "no --json: {missing:?}");
    }
}
