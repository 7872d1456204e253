//! `depin-agent`: the device agent. See `app/agent/README.md`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use depin_agent::settings::Settings;
use depin_agent::status::{Status, now_ms};
use depin_agent::{agent, inbox, key, onboarding};
use depin_formats::keys::Pubkey;
use depin_formats::onboarding::{DeviceKind, MAX_VALIDITY_SECS, REWARDS_PROGRAM_ID};
use depin_formats::report::{Beacon, Payload, Witness};

#[derive(Parser)]
#[command(name = "depin-agent", version, about = "The DePIN device agent")]
struct Cli {
    /// Settings file (TOML); default /etc/depin-agent.toml if it exists. DEPIN_AGENT__<KEY>
    /// environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the state directory (0700) and the device key (0600) if absent; print the key.
    Init,
    /// Print the device's public key.
    Pubkey,
    /// Run: make reports, buffer them, send them to every oracle (until SIGTERM/Ctrl-C).
    Run,
    /// Print the running agent's status (from status.json).
    Status {
        /// The raw status.json, plus "stale" and "running" (true|false).
        #[arg(long)]
        json: bool,
    },
    /// Hand a heard beacon to the running agent (it signs and sends it as a witness report).
    Witness {
        /// The beaconer's device key (base58).
        #[arg(long)]
        beaconer: Pubkey,
        #[arg(long)]
        beacon_id: u64,
        /// Received signal strength, deci-dBm (-1105 = -110.5 dBm).
        #[arg(long, allow_hyphen_values = true)]
        rssi_ddbm: i16,
        #[arg(long)]
        frequency_khz: u32,
    },
    /// Hand a transmitted beacon to the running agent (it signs and sends it).
    Beacon {
        #[arg(long)]
        beacon_id: u64,
        /// Transmit power (EIRP), deci-dBm (270 = 27.0 dBm).
        #[arg(long, allow_hyphen_values = true)]
        tx_power_ddbm: i16,
        #[arg(long)]
        frequency_khz: u32,
    },
    /// Print the device's signed onboarding code for an owner, and its QR code.
    OnboardingCode {
        /// The owner's wallet (base58).
        #[arg(long)]
        owner: Pubkey,
        /// connectivity or compute.
        #[arg(long, default_value = "connectivity")]
        kind: DeviceKind,
        /// How long the code stays valid (humantime: 24h, 30m; at most 7 days).
        #[arg(long, default_value = "24h", value_parser = parse_validity)]
        valid_for: Duration,
        /// The rewards program (default: this release's).
        #[arg(long)]
        program_id: Option<Pubkey>,
        /// The code only, no QR code.
        #[arg(long)]
        no_qr: bool,
    },
}

/// `--valid-for`: a humantime duration of at most `MAX_VALIDITY_SECS` (7 days).
fn parse_validity(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if i64::try_from(d.as_secs()).map_or(true, |s| s > MAX_VALIDITY_SECS) {
        return Err(format!(
            "at most {} (the rewards program refuses a code valid for longer)",
            humantime::format_duration(Duration::from_secs(MAX_VALIDITY_SECS.unsigned_abs()))
        ));
    }
    Ok(d)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: Cli) -> Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    let dir = settings.state_dir.clone();
    match cli.command {
        Command::Init => {
            let (k, created) = key::init(&dir)?;
            let verb = if created {
                "created"
            } else {
                "kept the existing"
            };
            eprintln!("{verb} device key {}", key::key_path(&dir).display());
            println!("{}", key::device(&k));
        }
        Command::Pubkey => println!("{}", key::device(&key::load(&dir)?)),
        Command::Run => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(agent::run(settings))?;
        }
        Command::Status { json } => {
            key::check_private(&dir, 0o700)?;
            let status = Status::read(&dir)?;
            let now = now_ms();
            if json {
                let mut v = serde_json::to_value(&status)?;
                if let Some(o) = v.as_object_mut() {
                    o.insert("stale".into(), status.stale(now).into());
                    o.insert("running".into(), status.running(now).into());
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print!("{}", status.render(now));
            }
        }
        Command::Witness {
            beaconer,
            beacon_id,
            rssi_ddbm,
            frequency_khz,
        } => {
            key::check_private(&dir, 0o700)?;
            let p = Payload::Witness(Box::new(Witness {
                beaconer,
                beacon_id,
                rssi_ddbm,
                frequency_khz,
            }));
            let path = inbox::submit(&dir, &p)?;
            eprintln!("handed to the agent: {}", path.display());
        }
        Command::Beacon {
            beacon_id,
            tx_power_ddbm,
            frequency_khz,
        } => {
            key::check_private(&dir, 0o700)?;
            let p = Payload::Beacon(Beacon {
                beacon_id,
                tx_power_ddbm,
                frequency_khz,
            });
            let path = inbox::submit(&dir, &p)?;
            eprintln!("handed to the agent: {}", path.display());
        }
        Command::OnboardingCode {
            owner,
            kind,
            valid_for,
            program_id,
            no_qr,
        } => {
            let k = key::load(&dir)?;
            let now = i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX);
            let expires_at = now
                .checked_add(i64::try_from(valid_for.as_secs()).context("--valid-for too long")?)
                .context("--valid-for too long")?;
            let program = program_id.unwrap_or(REWARDS_PROGRAM_ID);
            let text = onboarding::code(&k, owner, kind, expires_at, &program).encode();
            if !no_qr {
                println!("{}", onboarding::qr(&text).map_err(anyhow::Error::msg)?);
            }
            println!("{text}");
            eprintln!(
                "device {} for owner {owner} as {}, valid until unix {expires_at}",
                key::device(&k),
                kind.name()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn valid_for_is_capped_at_seven_days() {
        assert_eq!(
            parse_validity("7days").unwrap(),
            Duration::from_secs(604_800)
        );
        assert_eq!(parse_validity("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(
            parse_validity("7days 1s").unwrap_err(),
            "at most 7days (the rewards program refuses a code valid for longer)"
        );
        assert!(parse_validity("soon").is_err());
    }
}
