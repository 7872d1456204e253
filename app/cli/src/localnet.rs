//! `depin localnet`: starts the `depin-localnet` validator, prints where it listens and what it
//! holds, and runs until Ctrl-C or SIGTERM, then shuts it down cleanly (the ledger is kept, so the
//! next start resumes it).

use anyhow::Result;
use depin_localnet::solana_signer::Signer;
use depin_localnet::{GENESIS_TOKEN_PROGRAMS, Localnet, LocalnetConfig, PROTOCOL_PROGRAMS};

pub fn run(config: LocalnetConfig, reset: bool) -> Result<()> {
    let runtime = crate::runtime()?;
    runtime.block_on(serve(config, reset))
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

    /// Code written against the harness (its genesis builders sign with `env.deployer`) works
    /// unchanged against a localnet: both use the same upgrade authority.
    #[test]
    fn the_localnet_upgrade_authority_is_the_harness_deployer() {
        let env = harness::TestEnv::with_programs(&[]);
        assert_eq!(depin_localnet::deployer().pubkey(), env.deployer.pubkey());
    }
}
