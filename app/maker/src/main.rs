//! `depin-maker`: the maker service. See `app/maker/README.md`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use depin_formats::key_file;
use depin_formats::keys::pubkey_of;
use depin_maker::service::{Service, router};
use depin_maker::settings::Settings;
use depin_maker::store::{UsedCodes, ensure_state_dir};
use ed25519_dalek::SigningKey;
use rand::RngCore as _;

#[derive(Parser)]
#[command(name = "depin-maker", version, about = "The DePIN maker service")]
struct Cli {
    /// Settings file (TOML); default /etc/depin-maker.toml if it exists. DEPIN_MAKER__<KEY>
    /// environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the state directory (0700) and the maker key (0600) if absent; print the key.
    Init,
    /// Print the maker's public key.
    Pubkey,
    /// Add a device this maker made to the list it signs for (`<state_dir>/devices.txt`);
    /// the running service reads it again.
    Provision {
        /// The device's public key (base58), as `depin-agent init` prints it.
        #[arg(long)]
        device: String,
    },
    /// Serve the API (until SIGTERM or Ctrl-C). Prints `listening on <address>` first.
    Serve,
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
    match execute(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: &Cli) -> Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Init => {
            ensure_state_dir(&settings.state_dir)?;
            let path = &settings.keypair;
            let verb = if path.symlink_metadata().is_ok() {
                "using existing"
            } else {
                let mut seed = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut seed);
                key_file::create(path, &SigningKey::from_bytes(&seed))?;
                "created"
            };
            let key = key_file::load(path)?;
            eprintln!("{verb} maker key {}", path.display());
            println!("{}", pubkey_of(&key));
        }
        Command::Pubkey => println!("{}", pubkey_of(&key_file::load(&settings.keypair)?)),
        Command::Provision { ref device } => {
            let key = depin_maker::devices::decode_key(device)
                .with_context(|| format!("--device {device:?} is not a base58 public key"))?;
            ensure_state_dir(&settings.state_dir)?;
            depin_maker::devices::provision(&settings.state_dir, &key)?;
            eprintln!("provisioned device {device}");
        }
        Command::Serve => serve(&settings)?,
    }
    Ok(())
}

fn serve(settings: &Settings) -> Result<()> {
    let key = key_file::load(&settings.keypair)?;
    let used = Arc::new(UsedCodes::open(&settings.state_dir)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let service = Arc::new(Service::new(settings, key, used));
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("listening on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        println!("listening on {addr}");
        tracing::info!(%addr, maker = %service.maker(), rpc = %settings.rpc_url, "serving");
        let app = router(service, settings.max_body_bytes);
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
        {
            bail!("serving: {e}");
        }
        tracing::info!("stopped");
        Ok(())
    })
}

/// SIGTERM or Ctrl-C.
async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
