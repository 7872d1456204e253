//! `oracle`: the DePIN oracle's command line.
//!
//! ```text
//! oracle epoch run --inputs <dir> --out <dir>     compute an epoch, write epoch-<n>/
//! oracle epoch verify <epoch-dir> [--previous <dir>]  re-derive it from the published files
//! oracle keys generate --out <file>               a test device/customer keypair
//! oracle keys show <file>                         its public key
//! oracle serve [--config <toml>] [--data-dir <dir>]   the HTTP ingest and epoch task (docs/oracle.md)
//! oracle migrate [--config <toml>] [--data-dir <dir>] apply the storage migrations
//! oracle submit [--config <toml>] [--data-dir <dir>] [--once]  put published roots on-chain
//! oracle watch [--config <toml>] [--data-dir <dir>] [--once]   prove frauds, answer demands
//! ```

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use depin_formats::keys::pubkey_of;
use depin_formats::transparency::write_epoch;
use depin_oracle::chain::submit::{Progress, SubmitTask, sender_for};
use depin_oracle::epoch::audit::verify_epoch_dir;
use depin_oracle::epoch::publish::Publisher;
use depin_oracle::epoch::{self, inputs};
use depin_oracle::ingest::Ingest;
use depin_oracle::registry::file::load_registry_csv;
use depin_oracle::registry::shared::{DeviceRegistry, SharedRegistry};
use depin_oracle::registry::sync::RegistrySync;
use depin_oracle::server;
use depin_oracle::settings::{RegistrySource, Settings};
use depin_oracle::store::Store;
use depin_oracle::supervisor::Supervisor;
use depin_oracle::watch::Watcher;
use ed25519_dalek::SigningKey;

#[derive(Parser)]
#[command(
    name = "oracle",
    version,
    about = "DePIN oracle: report ingest, epochs, transparency files, keys"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute or audit an epoch.
    #[command(subcommand)]
    Epoch(EpochCommand),
    /// Test keypairs for devices and customers.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Run the service: the HTTP ingest and (with epoch.enabled) the epoch task.
    Serve(ServiceArgs),
    /// Apply the storage migrations and exit (`serve` also applies them at start).
    Migrate(ServiceArgs),
    /// Put the published epochs' roots on-chain (crank, bond, vote, finalize), until every one
    /// is final; the `[submit]` settings name the RPC URLs and the oracle's keypair.
    Submit {
        #[command(flatten)]
        service: ServiceArgs,
        /// One pass, then exit: print where each epoch stands.
        #[arg(long)]
        once: bool,
    },
    /// Watch every posted root (permissionless): check it against the published files (this
    /// oracle's and the `[watch]` peers'), prove frauds on-chain, demand a leaf of a root
    /// nobody's files rebuild, answer the demands on the roots whose tree it holds.
    Watch {
        #[command(flatten)]
        service: ServiceArgs,
        /// One pass, then exit: print what it saw and did.
        #[arg(long)]
        once: bool,
    },
}

#[derive(clap::Args)]
struct ServiceArgs {
    /// A settings TOML file (see oracle/oracle.example.toml); env DEPIN_ORACLE__SECTION__KEY
    /// overrides it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Overrides storage.data_dir.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

impl ServiceArgs {
    fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = Settings::load(self.config.as_deref())?;
        if let Some(dir) = &self.data_dir {
            s.storage.data_dir.clone_from(dir);
        }
        Ok(s)
    }
}

#[derive(Subcommand)]
enum EpochCommand {
    /// Score the epoch in --inputs and write <out>/epoch-<n>/.
    Run {
        /// Directory with params.json, registry.csv, reports.jsonl [, previous_wallets.csv].
        #[arg(long)]
        inputs: PathBuf,
        /// Directory to create epoch-<n>/ in.
        #[arg(long)]
        out: PathBuf,
    },
    /// Recompute the root and every sum of a published epoch directory and compare.
    Verify {
        /// The epoch-<n> directory.
        dir: PathBuf,
        /// The previous epoch's directory, to check previous_cumulative against it.
        #[arg(long)]
        previous: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Write a new keypair (Solana JSON format: 64 numbers, secret then public).
    Generate {
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the base58 public key of a keypair file.
    Show { file: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service logs JSON lines when stderr is not a terminal (log collectors); the one-shot
    // commands, and any terminal, get plain text.
    let service = matches!(
        cli.command,
        Command::Serve(_) | Command::Migrate(_) | Command::Watch { once: false, .. }
    );
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(terminal)
        .with_env_filter(filter);
    if service && !terminal {
        builder.json().init();
    } else {
        builder.init();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            runtime()?.block_on(serve(args.settings()?, args.config.as_deref()))
        }
        Command::Migrate(args) => runtime()?.block_on(migrate(&args.settings()?)),
        Command::Submit { service, once } => runtime()?.block_on(submit(service.settings()?, once)),
        Command::Watch { service, once } => runtime()?.block_on(watch(service.settings()?, once)),
        Command::Epoch(EpochCommand::Run { inputs, out }) => epoch_run(&inputs, &out),
        Command::Epoch(EpochCommand::Verify { dir, previous }) => {
            let v = verify_epoch_dir(&dir, previous.as_deref())
                .with_context(|| format!("epoch verify FAILED for {}", dir.display()))?;
            println!(
                "epoch {} OK: {} devices, {} wallets, root {} sum {}, manifest_hash {}",
                v.epoch,
                v.devices,
                v.wallets,
                v.root_hash.as_deref().unwrap_or("none"),
                v.root_sum,
                v.manifest_hash
            );
            Ok(())
        }
        Command::Keys(KeysCommand::Generate { out }) => {
            if out.exists() {
                bail!("{} exists; refusing to overwrite a key", out.display());
            }
            let mut seed = [0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut seed))
                .context("reading /dev/urandom")?;
            let signer = SigningKey::from_bytes(&seed);
            let mut bytes = signer.to_bytes().to_vec();
            bytes.extend_from_slice(&signer.verifying_key().to_bytes());
            std::fs::write(&out, serde_json::to_string(&bytes)?)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("{}", pubkey_of(&signer));
            Ok(())
        }
        Command::Keys(KeysCommand::Show { file }) => {
            println!("{}", pubkey_of(&read_keypair(&file)?));
            Ok(())
        }
    }
}

fn read_keypair(path: &Path) -> anyhow::Result<SigningKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let bytes: Vec<u8> =
        serde_json::from_str(&text).context("keypair file is not a JSON byte array")?;
    let pair: [u8; 64] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("keypair file must hold 64 bytes"))?;
    let signer = SigningKey::from_keypair_bytes(&pair).context("inconsistent keypair")?;
    Ok(signer)
}

fn epoch_run(inputs_dir: &Path, out: &Path) -> anyhow::Result<()> {
    let inputs = inputs::load(inputs_dir)
        .with_context(|| format!("loading inputs from {}", inputs_dir.display()))?;
    for (reason, count) in &inputs.rejected {
        tracing::warn!(reason, count, "reports refused before scoring");
    }
    let result = epoch::run(
        &inputs.config,
        &inputs.registry,
        inputs.reports,
        inputs.previous,
    )?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let written = write_epoch(out, &result, &inputs.hashes, &inputs.rejected)?;
    println!(
        "epoch {} written to {}: distributed {} of {}, {} wallets, root {} sum {}, manifest_hash {}",
        result.config.epoch,
        written.dir.display(),
        result.distributed,
        result.config.budget,
        result.wallets.len(),
        result
            .root
            .map_or_else(|| "none".to_owned(), |r| hex::encode(r.hash)),
        result.root.map_or(0, |r| r.sum),
        hex::encode(written.manifest_hash)
    );
    Ok(())
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.storage)
        .await
        .context("opening the report store")?;
    store
        .migrate()
        .await
        .context("migrating the report store")?;
    Ok(store)
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    println!("{} store migrated", store.backend());
    store.close().await;
    Ok(())
}

/// Installs the SIGTERM and SIGINT (Ctrl-C) handlers now, so that a signal that arrives as soon
/// as the server is up is not lost; the returned future resolves on the first of them.
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = int.recv() => tracing::info!("SIGINT (Ctrl-C)"),
        }
    })
}

/// `oracle submit`: passes until every published epoch is final (or one pass with `--once`),
/// printing each epoch's state as it changes.
async fn submit(settings: Settings, once: bool) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    let task = SubmitTask::new(&settings, store.clone())?;
    println!("oracle {}", task.oracle());
    let mut last = Vec::new();
    let result = loop {
        let seen = match task.pass().await {
            Ok(seen) => seen,
            Err(e) => break Err(anyhow::Error::new(e)),
        };
        if seen != last {
            for (epoch, progress) in seen.iter().filter(|s| !last.contains(*s)) {
                match progress {
                    Progress::Final => println!("epoch {epoch}: final"),
                    Progress::Waiting(why) => println!("epoch {epoch}: waiting: {why}"),
                }
            }
            std::io::Write::flush(&mut std::io::stdout())?;
        }
        let done = seen.iter().all(|(_, p)| *p == Progress::Final);
        if once || done {
            break Ok(());
        }
        last = seen;
        tokio::time::sleep(settings.submit.poll_interval).await;
    };
    let m = task.metrics();
    println!("final on-chain: {} epoch(s)", m.final_epochs.get());
    println!(
        "sent: {} crank, {} bond, {} vote, {} finalize; {} re-signed after expiry",
        m.transactions.with_label_values(&["crank"]).get(),
        m.transactions.with_label_values(&["bond"]).get(),
        m.transactions.with_label_values(&["vote"]).get(),
        m.transactions.with_label_values(&["finalize"]).get(),
        m.expiries.get()
    );
    store.close().await;
    result
}

/// `oracle watch`: passes every `watch.poll_interval` until SIGTERM or Ctrl-C (or one pass with
/// `--once`, then a summary on stdout).
async fn watch(settings: Settings, once: bool) -> anyhow::Result<()> {
    let mut watcher = Watcher::new(&settings).context("starting the watcher")?;
    println!("watcher {}", watcher.payer());
    if once {
        let report = watcher.pass().await.context("watch pass")?;
        println!(
            "posted proposals: {} ({} failed)",
            report.proposals, report.failures
        );
        println!("{}", watcher.metrics().summary());
        return Ok(());
    }
    let stop = stop_signal()?;
    let mut supervisor = Supervisor::new();
    supervisor.add("watch", move |shutdown| watcher.run(shutdown));
    supervisor.run(stop).await?;
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn serve(settings: Settings, config: Option<&Path>) -> anyhow::Result<()> {
    let stop = stop_signal()?;
    if let Some(dir) = &settings.web.dir {
        // What the oracle holds that must never be served: its data, its keys, its settings
        // (which may name a database password or an RPC key), and a SQLite file elsewhere.
        let mut private = vec![
            settings.storage.data_dir.clone(),
            settings.oracle_keypair(),
            settings.watch_keypair(),
        ];
        private.extend(config.map(Path::to_path_buf));
        if let Some(file) = settings.storage.url.strip_prefix("sqlite://") {
            private.push(PathBuf::from(file));
        }
        depin_oracle::web::check_dir(dir, &private)?;
    }
    let store = open_store(&settings).await?;
    let registry_path = settings.registry_csv();
    let registry = load_registry_csv(&registry_path)
        .with_context(|| format!("loading the registry {}", registry_path.display()))?;
    let shared = std::sync::Arc::new(SharedRegistry::new(registry));
    let sync = if settings.registry.source == RegistrySource::Chain {
        let mut sync = RegistrySync::new(
            sender_for(&settings.submit)?,
            std::sync::Arc::clone(&shared),
            registry_path.clone(),
            settings.registry.sync_interval,
        );
        if settings.epoch.enabled {
            let secs = i64::try_from(settings.epoch.epoch_secs)
                .context("epoch.epoch_secs is too large")?;
            sync = sync.freezing(settings.epoch.start_ts, secs);
        }
        // A cluster that cannot be read at start leaves the last synced file in force.
        if let Err(e) = sync.once().await {
            tracing::warn!(error = %e, "registry sync failed at start; using the last synced file");
        }
        Some(sync)
    } else {
        None
    };
    tracing::info!(
        devices = DeviceRegistry::len(shared.as_ref()),
        source = ?settings.registry.source,
        path = %registry_path.display(),
        backend = store.backend(),
        "registry and store ready"
    );
    let ingest = std::sync::Arc::new(Ingest::new(
        &settings,
        store.clone(),
        std::sync::Arc::clone(&shared) as std::sync::Arc<dyn DeviceRegistry>,
    )?);
    let listener = tokio::net::TcpListener::bind(settings.server.listen)
        .await
        .with_context(|| format!("binding {}", settings.server.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    // The bound address on stdout, for scripts and tests that listen on port 0.
    println!("listening on http://{addr}");
    std::io::Write::flush(&mut std::io::stdout())?;
    let grace = settings.server.shutdown_grace;
    let mut supervisor = Supervisor::new();
    let publisher = if settings.epoch.enabled {
        let publisher = Publisher::new(&settings, store.clone())?;
        publisher
            .metrics()
            .register(ingest.metrics().registry())
            .context("registering the epoch metrics")?;
        if let Some(agree) = publisher.agreement_metrics() {
            agree
                .register(ingest.metrics().registry())
                .context("registering the agreement metrics")?;
        }
        Some(publisher)
    } else {
        tracing::info!("epoch task disabled (epoch.enabled = false)");
        None
    };
    let submitter = if settings.submit.enabled {
        let task = SubmitTask::new(&settings, store.clone())?;
        task.metrics()
            .register(ingest.metrics().registry())
            .context("registering the submit metrics")?;
        Some(task)
    } else {
        tracing::info!("submit task disabled (submit.enabled = false)");
        None
    };
    let watcher = if settings.watch.enabled {
        let watcher = Watcher::new(&settings).context("starting the watch task")?;
        watcher
            .metrics()
            .register(ingest.metrics().registry())
            .context("registering the watch metrics")?;
        Some(watcher)
    } else {
        tracing::info!("watch task disabled (watch.enabled = false)");
        None
    };
    let offences = ingest.offences();
    let api = ingest.api();
    supervisor.add("ingest-http", move |shutdown| {
        server::serve_http(listener, ingest, shutdown, grace)
    });
    supervisor.add("rewards-index", move |shutdown| api.run(shutdown));
    if offences.can_approve() {
        supervisor.add("offences", move |shutdown| offences.run(shutdown));
    }
    if let Some(publisher) = publisher {
        supervisor.add("epoch", move |shutdown| publisher.run(shutdown));
    }
    if let Some(sync) = sync {
        supervisor.add("registry-sync", move |shutdown| sync.run(shutdown));
    }
    if let Some(submitter) = submitter {
        supervisor.add("submit", move |shutdown| submitter.run(shutdown));
    }
    if let Some(watcher) = watcher {
        supervisor.add("watch", move |shutdown| watcher.run(shutdown));
    }
    let result = supervisor.run(stop).await;
    store.close().await;
    result?;
    tracing::info!("stopped cleanly");
    Ok(())
}
