//! Phases "local network + migrations" and "oracles": a new ledger with the programs deployed,
//! `migrations/localnet.toml` applied to it, and oracle seats 0 and 1 running and funded.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use depin_client::accounts::fetch;
use depin_client::builders::{TokenProgram, staking_ix};
use depin_client::solana_keypair::{Keypair, read_keypair_file};
use depin_client::solana_signer::Signer;
use depin_client::{SendConfig, Sender};
use depin_localnet::{Localnet, LocalnetConfig};
use staking::state::StakingConfig;

use super::chain::{self, Ledger};
use super::fleet::Fleet;
use super::oracles::{self, Oracle, OracleParams};
use super::{Chain, Options, Phases, Sim, network, repository_root, say, unix_now};

/// SOL each oracle gets for its bond and fees.
const ORACLE_LAMPORTS: u64 = 5_000_000_000;

/// The local network up, before its migration: what [`Sim::start_network`] hands to
/// [`Started::migrate`].
pub(super) struct Started<'a> {
    o: &'a Options,
    root: PathBuf,
    out: PathBuf,
    net: Localnet,
    sender: Sender,
    phases: Phases,
    chain_started: Instant,
}

impl<'a> Sim<'a> {
    /// Clears `<out>` and starts the in-process validator on a new ledger in `<out>/ledger`,
    /// with the programs of `target/deploy` and the genesis price feed.
    pub(super) async fn start_network(o: &'a Options) -> Result<Started<'a>> {
        let phases = Phases::new();
        let root = repository_root()?;
        if o.out.exists() {
            std::fs::remove_dir_all(&o.out)
                .with_context(|| format!("clearing {}", o.out.display()))?;
        }
        std::fs::create_dir_all(&o.out).with_context(|| format!("creating {}", o.out.display()))?;
        let out = o.out.canonicalize()?;
        say(o.json, "Starting the local network ...");
        let mut config = LocalnetConfig::for_tests(out.join("ledger"), root.join("target/deploy"));
        config.genesis_accounts = vec![crate::localnet::price_feed(&root, unix_now())?];
        let net = Localnet::start(config).await?;
        let chain_started = Instant::now();
        let sender = Sender::new(net.rpc_url(), SendConfig::default());
        Ok(Started {
            o,
            root,
            out,
            net,
            sender,
            phases,
            chain_started,
        })
    }

    /// Starts oracle seats 0 and 1 (`oracle serve`, each in `<out>/oracle-<seat>`) and funds
    /// each one's key for its bond and fees.
    pub(super) async fn start_oracles(&mut self) -> Result<()> {
        let n0 = &self.chain.n0;
        let params = OracleParams {
            root: &self.root,
            out: &self.out,
            rpc_url: &self.url,
            start_ts: n0.emission.start_ts,
            epoch_secs: n0.emission.epoch_secs,
            initial_epoch_emission: n0.emission.initial_epoch_emission,
            halving_interval_epochs: n0.emission.halving_interval_epochs,
            skew_secs: oracles::skew_secs(self.o.devices),
            ports: vec![oracles::free_port()?, oracles::free_port()?],
        };
        for seat in 0..2 {
            let oracle = Oracle::start(&params, seat)?;
            let to = oracle.keypair.pubkey();
            let ix = chain::transfer_lamports(self.deployer.pubkey(), to, ORACLE_LAMPORTS);
            self.ledger
                .send(
                    &self.sender,
                    "fund oracle",
                    &[ix],
                    &self.deployer,
                    &[],
                    || "funding an oracle".to_string(),
                )
                .await?;
            say(
                self.quiet,
                format!("  oracle {seat}: {} ({to})", oracle.url),
            );
            self.seats.push(oracle);
        }
        Ok(())
    }
}

impl<'a> Started<'a> {
    /// Runs `migrations/localnet.toml` with the localnet's deployer, then reads what the other
    /// phases need from the chain and derives the fleet (from `--seed`) and the customers.
    pub(super) async fn migrate(self) -> Result<Sim<'a>> {
        let Self {
            o,
            root,
            out,
            net,
            sender,
            phases,
            chain_started,
        } = self;
        let url = net.rpc_url();
        let deployer = depin_localnet::deployer();
        let config = depin_migrations::Config::load(&root.join("migrations/localnet.toml"))?;
        let migration = depin_migrations::migrate(&config, &sender, &deployer).await?;
        say(
            o.json,
            format!("  {url}: {} migration steps applied", migration.applied()),
        );
        let chain = Chain::read(&sender, &root).await?;
        let maker = keypair(&root, "keys/localnet-maker-0.json")?;
        Ok(Sim {
            o,
            quiet: o.json,
            root,
            out,
            net,
            url,
            sender,
            deployer,
            http: reqwest::Client::new(),
            ledger: Ledger::default(),
            chain,
            maker,
            seats: Vec::new(),
            fleet: Fleet::new(o.devices, o.owners, o.seed)?,
            customers: (0..o.customers).map(|_| Keypair::new()).collect(),
            phases,
            chain_started,
        })
    }
}

impl Chain {
    /// The network, the staking config and the USDC mint as the migration left them.
    async fn read(sender: &Sender, root: &std::path::Path) -> Result<Self> {
        let n0 = network(sender).await?;
        let tp = TokenProgram::from_owner(&n0.token_program)
            .ok_or_else(|| anyhow!("unknown token program {}", n0.token_program))?;
        let staking_config =
            fetch::<StakingConfig>(sender, "staking config", &staking_ix::config_pda().0)
                .await?
                .ok_or_else(|| anyhow!("no staking config"))?;
        Ok(Self {
            schedule: n0.emission.schedule(),
            mint: n0.mint,
            tp,
            usdc: keypair(root, "keys/localnet-usdc-mint.json")?.pubkey(),
            supply_before: chain::supply(sender, &n0.mint).await?,
            collateral: staking_config.min_device_collateral,
            n0,
        })
    }
}

/// The keypair in the repository file `path`.
fn keypair(root: &std::path::Path, path: &str) -> Result<Keypair> {
    let path = root.join(path);
    read_keypair_file(&path).map_err(|e| anyhow!("{}: {e}", path.display()))
}
