//! `depin-dev localnet`: starts the `depin-localnet` validator, prints where it listens and what it
//! holds, and runs until Ctrl-C or SIGTERM, then shuts it down cleanly (the ledger is kept, so the
//! next start resumes it).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use depin_client::cluster::LOCALNET_PRICE_UPDATE;
use depin_client::pyth::{Price, VerificationLevel, price_update_data};
use depin_localnet::solana_signer::Signer;
use depin_localnet::{
    AMM_PROGRAM, GENESIS_TOKEN_PROGRAMS, GOVERNANCE_PROGRAM, GenesisAccount, Localnet,
    LocalnetConfig, PROTOCOL_PROGRAMS, PYTH_RECEIVER,
};

/// The local network's token price: $0.10 (EMA), with a confidence of $0.0001.
pub const PRICE_E8: i64 = 10_000_000;
pub const PRICE_CONF_E8: u64 = 10_000;

/// The genesis price feed of a new local network: a fully verified Pyth `PriceUpdateV2` at
/// [`LOCALNET_PRICE_UPDATE`] for the feed id in `migrations/localnet.toml`, published now. It is
/// never updated, so the buyback's price check refuses it once it is older than
/// `treasury.price_max_age_secs` (an hour on the local network).
pub fn price_feed(root: &Path, now: i64) -> Result<GenesisAccount> {
    let config_path = root.join("migrations/localnet.toml");
    let config = depin_migrations::Config::load(&config_path)?;
    let feed_id: [u8; 32] = hex::decode(&config.treasury.price_feed_id)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow!("{}: treasury.price_feed_id", config_path.display()))
        .context("the local network's price feed")?;
    Ok(GenesisAccount {
        address: LOCALNET_PRICE_UPDATE,
        owner: PYTH_RECEIVER,
        data: price_update_data(Price {
            feed_id,
            ema_price: PRICE_E8,
            ema_conf: PRICE_CONF_E8,
            exponent: -8,
            publish_time: now,
            verification: VerificationLevel::Full,
        }),
    })
}

/// `depin-dev localnet`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// The ledger folder (default: target/localnet in the repository).
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// JSON-RPC port; PubSub (WebSocket) listens on the next one.
    #[arg(long, default_value_t = depin_localnet::DEFAULT_RPC_PORT)]
    rpc_port: u16,
    /// Faucet port (requestAirdrop).
    #[arg(long, default_value_t = depin_localnet::DEFAULT_FAUCET_PORT)]
    faucet_port: u16,
    /// Where rewards.so, staking.so and treasury.so are (default: target/deploy in the
    /// repository); read only when a new ledger is created.
    #[arg(long)]
    programs: Option<PathBuf>,
    /// Delete the ledger first and start from a new genesis (redeploys the programs).
    #[arg(long)]
    reset: bool,
}

/// Runs the local network until Ctrl-C or SIGTERM.
pub fn run(args: Args) -> Result<()> {
    let root = crate::sim::repository_root()?;
    let mut config =
        LocalnetConfig::new(args.ledger.unwrap_or_else(|| root.join("target/localnet")));
    config.rpc_port = args.rpc_port;
    config.faucet_port = args.faucet_port;
    config.programs_dir = args.programs.unwrap_or_else(|| root.join("target/deploy"));
    config.genesis_accounts = vec![price_feed(&root, crate::sim::unix_now())?];
    let runtime = depin_cli::runtime()?;
    runtime.block_on(serve(config, args.reset))
}

async fn serve(config: LocalnetConfig, reset: bool) -> Result<()> {
    if reset {
        depin_localnet::reset_ledger(&config.ledger)?;
    }
    let ledger = config.ledger.display().to_string();
    eprintln!(
        "Starting the local network ({} ledger {ledger}) ...",
        if depin_localnet::ledger_exists(&config.ledger) {
            "resuming the"
        } else {
            "new"
        }
    );
    let net = Localnet::start(config).await?;
    let slot = net.rpc_client().get_slot().await.unwrap_or_default();
    println!(
        "Local network up in {:.1} s ({} ledger {ledger}, slot {slot})",
        net.startup_time().as_secs_f64(),
        if net.resumed() { "resumed" } else { "new" },
    );
    println!("  JSON-RPC   {}", net.rpc_url());
    println!("  WebSocket  {}", net.ws_url());
    println!(
        "  faucet     {} (mint {}, keypair {}/faucet-keypair.json)",
        net.faucet_addr(),
        net.faucet_keypair().pubkey(),
        ledger
    );
    println!(
        "  upgrade authority {} (keypair {}/deployer-keypair.json)",
        depin_localnet::deployer().pubkey(),
        ledger
    );
    println!("Programs:");
    for (name, id) in PROTOCOL_PROGRAMS
        .iter()
        .chain([&AMM_PROGRAM, &GOVERNANCE_PROGRAM])
        .chain(GENESIS_TOKEN_PROGRAMS.iter())
    {
        println!("  {name:<17} {id}");
    }
    println!(
        "Try: curl -s {} -H 'Content-Type: application/json' \\\n       \
         -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getVersion\"}}'\nCtrl-C to stop.",
        net.rpc_url()
    );

    let signal = shutdown_signal().await;
    eprintln!("{signal}: stopping the local network ...");
    net.shutdown().await;
    eprintln!("stopped; the ledger stays in {ledger} (--reset starts a new one)");
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM and says which.
async fn shutdown_signal() -> &'static str {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = ctrl_c => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = ctrl_c.await;
                "Ctrl-C"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
        "Ctrl-C"
    }
}

#[cfg(test)]
mod tests {
    use depin_localnet::solana_signer::Signer;

    #[test]
    #[allow(clippy::expect_used)]
    fn the_localnet_price_account_is_the_receiver_sdks_type_for_the_pinned_feed() {
        use anchor_lang::AccountDeserialize;
        let root = harness::workspace_root();
        let account = super::price_feed(&root, 1_800_000_000).expect("price feed");
        assert_eq!(
            account.owner.to_bytes(),
            pyth_solana_receiver_sdk::ID.to_bytes()
        );
        let update = pyth_solana_receiver_sdk::price_update::PriceUpdateV2::try_deserialize(
            &mut account.data.as_slice(),
        )
        .expect("a PriceUpdateV2");
        let m = update.price_message;
        assert_eq!(hex::encode(m.feed_id), "7e".repeat(32));
        assert_eq!(
            (m.ema_price, m.ema_conf, m.exponent),
            (10_000_000, 10_000, -8)
        );
        assert_eq!(m.publish_time, 1_800_000_000);
        assert_eq!(
            update.verification_level,
            harness::pyth::VerificationLevel::Full
        );
    }

    /// Code written against the harness (its genesis builders sign with `env.deployer`) works
    /// unchanged against a localnet: both use the same upgrade authority.
    #[test]
    fn the_localnet_upgrade_authority_is_the_harness_deployer() {
        let env = harness::TestEnv::with_programs(&[]);
        assert_eq!(depin_localnet::deployer().pubkey(), env.deployer.pubkey());
    }
}
