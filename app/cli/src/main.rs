//! `depin`: the protocol's command-line tool for device owners, stakers, customers and the
//! treasury, over JSON-RPC. One module of `depin_cli::commands` per command:
//! - `device onboard | transfer | decommission | list` (`device`), `rewards status | claim`
//!   (`rewards`);
//! - `stake lock | extend | unlock | unstake | withdraw | claim-revenue | status` (`stake`);
//! - `pay` (`pay`), `treasury buyback | report` (`treasury`);
//! - `migrate` initialises a cluster over JSON-RPC from a config file (`depin-migrations`).
//!
//! The developer commands (`localnet`, `sim`) are `depin-dev` (app/dev): they link the validator.
use anyhow::Result;
use clap::{Parser, Subcommand};
use depin_cli::commands::{device, migrate, pay, rewards, slash, stake, treasury};

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
    Migrate(migrate::Migrate),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Pay(args) => pay::run(&args),
        Command::Device(command) => command.run(),
        Command::Rewards(command) => command.run(),
        Command::Stake(command) => command.run(),
        Command::Slash(command) => command.run(),
        Command::Treasury(command) => command.run(),
        Command::Migrate(args) => migrate::run(&args),
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
}
