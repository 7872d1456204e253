//! A local Solana network: agave's validator (`solana-test-validator` 4.2.2) run in this process,
//! serving real JSON-RPC and WebSocket, with the protocol's programs deployed.
//!
//! ```text
//!   Localnet::start(config)
//!     │  new ledger:  genesis = every feature on (SBPF v3) + SPL Token, Token-2022, ATA
//!     │               + rewards, staking, treasury, spl-token-swap, spl-governance
//!     │                 (upgradeable, from target/deploy/*.so,
//!     │                 upgrade authority = DEPLOYER) ; faucet-keypair.json = the genesis mint
//!     │  old ledger:  genesis untouched; the bank is rebuilt from the last snapshot + blockstore
//!     ├─ faucet thread ── TCP 127.0.0.1:<faucet_port> ── signs airdrops with the mint keypair
//!     └─ validator ─┬─ JSON-RPC  http://127.0.0.1:<rpc_port>   (history + program logs on)
//!                   ├─ PubSub    ws://127.0.0.1:<rpc_port + 1>/
//!                   └─ gossip, TPU, TVU, repair: first free ports in `dynamic_port_range`
//! ```
//!
//! The crate is a separate workspace member on purpose: the validator is ~850 crates and a cold
//! build of about half an hour on 2 cores, which the program tests (`depin-tests`) never pay.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use solana_account::{Account, AccountSharedData};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_faucet::faucet::{Faucet, run_faucet};
use solana_keypair::{Keypair, read_keypair_file, write_keypair_file};
use solana_net_utils::SocketAddrSpace;
use solana_pubkey::Pubkey;
use solana_rpc::rpc::JsonRpcConfig;
use solana_signer::Signer;
use solana_test_validator::{TestValidator, TestValidatorGenesis, UpgradeableProgramInfo};

pub use solana_client;
pub use solana_commitment_config;
pub use solana_keypair;
pub use solana_pubkey;
pub use solana_signer;

/// The default JSON-RPC port (Solana's usual localnet port); PubSub listens on the next one.
pub const DEFAULT_RPC_PORT: u16 = 8899;
/// The default faucet port (Solana's usual faucet port).
pub const DEFAULT_FAUCET_PORT: u16 = 9900;
/// Where gossip, TPU, TVU and repair sockets go (the first free ports in it). Disjoint from the
/// RPC, PubSub and faucet defaults, and wide enough for a few validators side by side (each needs
/// about 30 ports; the in-range search skips ports another process holds).
pub const DEFAULT_DYNAMIC_PORT_RANGE: (u16, u16) = (8000, 8200);
/// The largest genesis archive a new ledger may unpack. agave's default (10 MiB) no longer holds
/// the five programs the genesis deploys (rewards, staking, treasury, spl-token-swap and
/// spl-governance: about 10.5 MB unpacked since `claim_in_stablecoin`); the limit guards a
/// validator against a hostile genesis, which a local network builds itself.
pub const GENESIS_ARCHIVE_LIMIT: u64 = 64 * 1024 * 1024;
/// How often [`Localnet::start`] tries a new ledger whose validator lost a port race.
pub const START_ATTEMPTS: u32 = 3;
/// Lamports airdropped to [`deployer`] when a new ledger is created.
pub const DEPLOYER_LAMPORTS: u64 = 1_000_000_000_000;

/// The protocol's programs, deployed from `<programs_dir>/<name>.so` at their `declare_id!`s.
pub const PROTOCOL_PROGRAMS: [(&str, Pubkey); 3] = [
    (
        "rewards",
        Pubkey::from_str_const("5yruxM2F78Bw4EKcCp1oR1MxrETSAJWWLfchwBwK7Btc"),
    ),
    (
        "staking",
        Pubkey::from_str_const("AtbUXJf62DoLaxEaZgGJp1AQbhGruJ4N2WcHrtfS1dwF"),
    ),
    (
        "treasury",
        Pubkey::from_str_const("EzNm4uWXMjsznQDvJuZApAvy2xupkNnCGs7vYsM6FU4b"),
    ),
];

/// The AMM the treasury's buyback trades in (spl-token-swap 3.0.0, built into
/// `<programs_dir>/spl_token_swap.so` by `scripts/build-sbf`), deployed at its own id.
pub const AMM_PROGRAM: (&str, Pubkey) = (
    "spl_token_swap",
    Pubkey::from_str_const("SwapsVeCiPHMUAtzQWZw7RjsKjgCjhwU55QGu4U1Szw"),
);

/// The DAO program whose realm weighs votes with the staking program (spl-governance 4.0.0,
/// built into `<programs_dir>/spl_governance.so` by `scripts/build-sbf`), at its mainnet id.
pub const GOVERNANCE_PROGRAM: (&str, Pubkey) = (
    "spl_governance",
    Pubkey::from_str_const("GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw"),
);

/// The Pyth receiver program, owner of every `PriceUpdateV2` account.
pub const PYTH_RECEIVER: Pubkey =
    Pubkey::from_str_const("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");

/// An account written into a new ledger's genesis, such as the local network's price feed (a
/// Pyth `PriceUpdateV2`, which on a real cluster only the Pyth receiver program writes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisAccount {
    pub address: Pubkey,
    pub owner: Pubkey,
    pub data: Vec<u8>,
}

/// The token programs every genesis holds (agave's `solana-program-binaries`, not ours).
pub const GENESIS_TOKEN_PROGRAMS: [(&str, Pubkey); 3] = [
    (
        "spl-token",
        Pubkey::from_str_const("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"),
    ),
    (
        "token-2022",
        Pubkey::from_str_const("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"),
    ),
    (
        "associated-token",
        Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"),
    ),
];

/// The upgrade authority of every deployed program: the same fixed key the program-test harness
/// uses as its deployer (`tests/harness/lib.rs`, `Keypair::new_from_array([0xde; 32])`), so the
/// harness's genesis builders drive a localnet unchanged. Its secret is
/// public: localnet only. It is also written to `<ledger>/deployer-keypair.json`, for the
/// `solana` and `anchor` CLIs.
pub fn deployer() -> Keypair {
    Keypair::new_from_array([0xde; 32])
}

/// What to start. [`LocalnetConfig::new`] gives the `depin-dev localnet` defaults,
/// [`LocalnetConfig::for_tests`] free ports everywhere.
#[derive(Clone, Debug)]
pub struct LocalnetConfig {
    /// The ledger folder. An existing ledger is resumed; a missing or empty one is created.
    pub ledger: PathBuf,
    /// JSON-RPC port; PubSub is `rpc_port + 1`. 0: pick a free pair.
    pub rpc_port: u16,
    /// Faucet port (airdrops). 0: pick a free one.
    pub faucet_port: u16,
    /// Ports for gossip, TPU, TVU and repair (the first free ones in this half-open range).
    pub dynamic_port_range: (u16, u16),
    /// Where `rewards.so`, `staking.so` and `treasury.so` are (read only for a new ledger).
    pub programs_dir: PathBuf,
    /// Upgrade authority of the deployed programs.
    pub upgrade_authority: Pubkey,
    /// Extra accounts for a new ledger's genesis (rent-exempt; ignored when resuming).
    pub genesis_accounts: Vec<GenesisAccount>,
    /// Start at this slot, skipping the ones between (agave's `--warp-slot`), for tests that
    /// must move the cluster clock ahead (a governance timelock). The bank is rebuilt from the
    /// ledger's last full snapshot (one every 100 slots: `getHighestSnapshotSlot`); anything
    /// that landed after it is dropped. The clock then follows the warp: see
    /// [`warp_slot_for_clock_jump`]. None: no warp.
    pub warp_slot: Option<u64>,
}

impl LocalnetConfig {
    /// The defaults of `depin-dev localnet`: RPC 8899, PubSub 8900, faucet 9900, programs from
    /// `target/deploy`, upgrade authority [`deployer`].
    pub fn new(ledger: impl Into<PathBuf>) -> Self {
        Self {
            ledger: ledger.into(),
            rpc_port: DEFAULT_RPC_PORT,
            faucet_port: DEFAULT_FAUCET_PORT,
            dynamic_port_range: DEFAULT_DYNAMIC_PORT_RANGE,
            programs_dir: PathBuf::from("target/deploy"),
            upgrade_authority: deployer().pubkey(),
            genesis_accounts: Vec::new(),
            warp_slot: None,
        }
    }

    /// Free RPC/PubSub and faucet ports, so a test runs beside a `depin-dev localnet` on the defaults.
    pub fn for_tests(ledger: impl Into<PathBuf>, programs_dir: impl Into<PathBuf>) -> Self {
        Self {
            rpc_port: 0,
            faucet_port: 0,
            programs_dir: programs_dir.into(),
            ..Self::new(ledger)
        }
    }
}

/// Why a localnet did not start. Each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum LocalnetError {
    #[error(
        "{path} is missing: build the programs with `scripts/build-sbf rewards staking treasury`"
    )]
    MissingProgram { path: PathBuf },
    #[error(
        "{what} port {port} is in use (another `depin-dev localnet` or solana-test-validator?): \
         stop it, or choose another port ({flag})"
    )]
    PortInUse {
        what: &'static str,
        port: u16,
        flag: &'static str,
    },
    #[error("no two adjacent free TCP ports found for JSON-RPC and PubSub")]
    NoFreePorts,
    #[error(
        "{ledger} holds a ledger without faucet-keypair.json (not made by depin-dev localnet?): \
         start with --reset to create a new one"
    )]
    ForeignLedger { ledger: PathBuf },
    #[error(
        "{ledger} exists and is not a ledger (no genesis.bin); refusing to delete it for --reset"
    )]
    NotALedger { ledger: PathBuf },
    #[error("the faucet did not start: {0}")]
    Faucet(String),
    #[error("the validator did not start: {0}")]
    Validator(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Keypair(String),
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> LocalnetError {
    let context = context.into();
    move |source| LocalnetError::Io { context, source }
}

/// A running local network. Stop it with [`Localnet::shutdown`]; dropping it also stops it.
pub struct Localnet {
    validator: Option<TestValidator>,
    faucet: Option<FaucetTask>,
    faucet_keypair: Keypair,
    faucet_addr: SocketAddr,
    ledger: PathBuf,
    resumed: bool,
    startup: Duration,
}

struct FaucetTask {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FaucetTask {
    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FaucetTask {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The repository root (the folder holding `Anchor.toml`), for tests and tools that start a
/// local network from `target/deploy`: `$DEPIN_ROOT`, else the nearest ancestor of the run-time
/// `$CARGO_MANIFEST_DIR`, else of this crate's folder. None outside a checkout.
pub fn workspace_root() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("DEPIN_ROOT") {
        return Some(PathBuf::from(root));
    }
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from(env!("CARGO_MANIFEST_DIR"))])
        .find_map(|start| {
            start
                .ancestors()
                .find(|d| d.join("Anchor.toml").is_file())
                .map(Path::to_path_buf)
        })
}

/// True when `ledger` holds a ledger made by agave's test validator (the check it uses itself).
pub fn ledger_exists(ledger: &Path) -> bool {
    TestValidatorGenesis::ledger_exists(ledger)
}

/// The slot length the local network's banks count in their clock estimate: 200 ms, every
/// feature being on (`reduce_slot_time_to_200ms`). The validator itself makes about three
/// slots a second.
pub const SLOT_MS: u64 = 200;

/// The warp slot ([`LocalnetConfig::warp_slot`]) that moves the cluster clock at least `secs`
/// past where it stood at the last full snapshot, for a ledger now at `slot` with epochs of
/// `slots_per_epoch` slots (the local network's have no warm-up). None if `secs` needs more than
/// an epoch's worth of slots.
///
/// Why it works (agave 4.2's TowerBFT clock, `Bank::update_clock`): the warped bank keeps the
/// snapshot's time `t` as its epoch's start time. The validator's vote timestamps, which lie
/// more than an epoch behind the warp, no longer count; its next votes carry its wall clock,
/// far behind the slot-based estimate `t + (slot - first slot of the epoch) x SLOT_MS`, and the
/// clock is clamped to at most 25 % behind that estimate. So the warp lands `jump` slots into an
/// epoch that starts more than an epoch after `slot`, with `0.75 x jump x SLOT_MS >= secs`: the
/// clock stands at `t` until the validator's first vote after the restart, jumps to
/// `t + 0.75 x jump x SLOT_MS`, then advances 150 ms a slot (about half a second a second).
#[must_use]
pub fn warp_slot_for_clock_jump(secs: u64, slot: u64, slots_per_epoch: u64) -> Option<u64> {
    // 0.75 x SLOT_MS per slot: ceil(secs x 1000 / 150).
    let jump = secs.checked_mul(1_000)?.div_ceil(SLOT_MS * 3 / 4);
    if jump >= slots_per_epoch {
        return None;
    }
    let mut epoch = slot / slots_per_epoch + 1;
    loop {
        let warp = epoch.checked_mul(slots_per_epoch)?.checked_add(jump)?;
        // Every vote so far (at or before `slot`) is more than an epoch behind the warp.
        if warp - slot > slots_per_epoch {
            return Some(warp);
        }
        epoch += 1;
    }
}

/// Deletes the ledger at `ledger` (for `--reset`). Refuses a folder that does not look like a
/// ledger, so a mistyped path is never wiped.
pub fn reset_ledger(ledger: &Path) -> Result<(), LocalnetError> {
    if !ledger.exists() {
        return Ok(());
    }
    let empty = std::fs::read_dir(ledger)
        .map_err(io(format!("read {}", ledger.display())))?
        .next()
        .is_none();
    if !empty && !ledger.join("genesis.bin").is_file() {
        return Err(LocalnetError::NotALedger {
            ledger: ledger.to_path_buf(),
        });
    }
    std::fs::remove_dir_all(ledger).map_err(io(format!("delete {}", ledger.display())))
}

/// A TCP port nobody listens on now, on every interface (the RPC server binds 0.0.0.0).
fn port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
}

/// Where [`free_port_pair`] looks: below Linux's ephemeral range (32768–60999), so no outgoing
/// connection (an RPC client's, an oracle's) can take a port between the check and the
/// validator's bind, which comes seconds later, after genesis and the ledger.
const AUTO_RPC_PORTS: (u16, u16) = (20_000, 32_000);

/// Two adjacent free ports (JSON-RPC and PubSub) in [`AUTO_RPC_PORTS`]. The search starts at a
/// place drawn from the process id and the clock and moves on with every call, so localnets
/// started side by side (tests in one binary, or several binaries) do not pick the same pair.
fn free_port_pair() -> Result<u16, LocalnetError> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let (low, high) = AUTO_RPC_PORTS;
    let pairs = u32::from(high - low) / 2;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed = std::process::id()
        .wrapping_mul(7_919)
        .wrapping_add(nanos)
        .wrapping_add(CALLS.fetch_add(97, Ordering::Relaxed));
    for step in 0..pairs {
        let offset = u16::try_from(seed.wrapping_add(step) % pairs).unwrap_or(0);
        let port = low + 2 * offset;
        if port_is_free(port) && port_is_free(port + 1) {
            return Ok(port);
        }
    }
    Err(LocalnetError::NoFreePorts)
}

fn check_port(what: &'static str, port: u16, flag: &'static str) -> Result<(), LocalnetError> {
    if port_is_free(port) {
        Ok(())
    } else {
        Err(LocalnetError::PortInUse { what, port, flag })
    }
}

/// Starts the faucet on its own thread and runtime; returns once it listens (or failed to).
fn start_faucet(keypair: Keypair, port: u16) -> Result<(FaucetTask, SocketAddr), LocalnetError> {
    let faucet = Arc::new(Mutex::new(Faucet::new(keypair, None, None, None)));
    let (addr_tx, addr_rx) = crossbeam_channel::bounded(1);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let bind = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let thread = std::thread::Builder::new()
        .name("depinFaucet".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = addr_tx.send(Err(format!("faucet runtime: {e}")));
                    return;
                }
            };
            runtime.block_on(async move {
                tokio::select! {
                    () = run_faucet(faucet, bind, Some(addr_tx)) => {}
                    _ = stop_rx => {}
                }
            });
        })
        .map_err(io("spawn the faucet thread"))?;
    let mut task = FaucetTask {
        stop: Some(stop_tx),
        thread: Some(thread),
    };
    match addr_rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(addr)) => Ok((task, addr)),
        Ok(Err(e)) => {
            task.stop();
            if port != 0 && e.contains("in use") {
                Err(LocalnetError::PortInUse {
                    what: "faucet",
                    port,
                    flag: "--faucet-port",
                })
            } else {
                Err(LocalnetError::Faucet(e))
            }
        }
        Err(e) => {
            task.stop();
            Err(LocalnetError::Faucet(e.to_string()))
        }
    }
}

impl Localnet {
    /// Starts the validator and the faucet and waits until the programs answer. Call it from a
    /// multi-threaded tokio runtime (it blocks a worker while the validator boots).
    ///
    /// A new ledger whose validator could not bind a port (another process took it after the
    /// check) is deleted and started again, up to [`START_ATTEMPTS`] times.
    pub async fn start(config: LocalnetConfig) -> Result<Self, LocalnetError> {
        let fresh = !config.ledger.exists();
        let mut attempt = 1;
        loop {
            match Self::start_once(config.clone()).await {
                Err(LocalnetError::Validator(e))
                    if fresh
                        && attempt < START_ATTEMPTS
                        && e.contains("Address already in use") =>
                {
                    eprintln!(
                        "localnet: attempt {attempt}: the validator could not bind a port ({e}); retrying"
                    );
                    std::fs::remove_dir_all(&config.ledger).map_err(io(format!(
                        "delete the unstarted ledger {}",
                        config.ledger.display()
                    )))?;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn start_once(config: LocalnetConfig) -> Result<Self, LocalnetError> {
        let started = Instant::now();
        let ledger = config.ledger.clone();
        let resumed = ledger_exists(&ledger);

        let programs: Vec<UpgradeableProgramInfo> = PROTOCOL_PROGRAMS
            .iter()
            .chain([&AMM_PROGRAM, &GOVERNANCE_PROGRAM])
            .map(|(name, id)| UpgradeableProgramInfo {
                program_id: *id,
                loader: solana_sdk_ids::bpf_loader_upgradeable::id(),
                upgrade_authority: config.upgrade_authority,
                program_path: config.programs_dir.join(format!("{name}.so")),
            })
            .collect();
        if !resumed {
            // A resumed ledger already holds its programs; a new one needs every file.
            if let Some(missing) = programs.iter().find(|p| !p.program_path.is_file()) {
                return Err(LocalnetError::MissingProgram {
                    path: missing.program_path.clone(),
                });
            }
        }

        let rpc_port = if config.rpc_port == 0 {
            free_port_pair()?
        } else {
            check_port("JSON-RPC", config.rpc_port, "--rpc-port")?;
            let pubsub = config
                .rpc_port
                .checked_add(1)
                .ok_or(LocalnetError::PortInUse {
                    what: "PubSub (JSON-RPC + 1)",
                    port: config.rpc_port,
                    flag: "--rpc-port",
                })?;
            check_port("PubSub (JSON-RPC + 1)", pubsub, "--rpc-port")?;
            config.rpc_port
        };

        // The genesis mint signs airdrops, and `start` pays with it while it waits for the
        // programs, so a resumed ledger must get the same key back: it lives in the ledger.
        let faucet_path = ledger.join("faucet-keypair.json");
        let faucet_keypair = if faucet_path.is_file() {
            read_keypair_file(&faucet_path).map_err(|e| {
                LocalnetError::Keypair(format!("read {}: {e}", faucet_path.display()))
            })?
        } else if resumed {
            return Err(LocalnetError::ForeignLedger { ledger });
        } else {
            std::fs::create_dir_all(&ledger).map_err(io(format!("create {}", ledger.display())))?;
            let keypair = Keypair::new();
            write_keypair_file(&keypair, &faucet_path).map_err(|e| {
                LocalnetError::Keypair(format!("write {}: {e}", faucet_path.display()))
            })?;
            keypair
        };
        let deployer_path = ledger.join("deployer-keypair.json");
        if !deployer_path.is_file() {
            write_keypair_file(&deployer(), &deployer_path).map_err(|e| {
                LocalnetError::Keypair(format!("write {}: {e}", deployer_path.display()))
            })?;
        }

        let (faucet, faucet_addr) =
            start_faucet(faucet_keypair.insecure_clone(), config.faucet_port)?;

        let mut genesis = TestValidatorGenesis::default();
        genesis.max_genesis_archive_unpacked_size = Some(GENESIS_ARCHIVE_LIMIT);
        genesis
            .ledger_path(&ledger)
            .rpc_port(rpc_port)
            .rpc_config(JsonRpcConfig {
                // getTransaction, and the program logs in it.
                enable_rpc_transaction_history: true,
                enable_extended_tx_metadata_storage: true,
                faucet_addr: Some(faucet_addr),
                ..JsonRpcConfig::default_for_test()
            })
            .gossip_port(0)
            .port_range(config.dynamic_port_range)
            .add_upgradeable_programs_with_path(&programs);
        if let Some(slot) = config.warp_slot {
            genesis.warp_slot(slot);
        }
        for a in &config.genesis_accounts {
            // Rent exemption at the default rent: (128 + len) bytes x 3,480 lamports x 2 years.
            let lamports = (128 + a.data.len() as u64) * 3_480 * 2;
            genesis.add_account(
                a.address,
                AccountSharedData::from(Account {
                    lamports,
                    data: a.data.clone(),
                    owner: a.owner,
                    executable: false,
                    rent_epoch: 0,
                }),
            );
        }
        // Errors from agave are `Box<dyn Error>` (not Send): turn them into text at once.
        let validator = match genesis
            .start_async_with_mint_address(&faucet_keypair, SocketAddrSpace::new(true))
            .await
        {
            Ok(validator) => validator,
            Err(e) => return Err(LocalnetError::Validator(e.to_string())),
        };

        let mut localnet = Self {
            validator: Some(validator),
            faucet: Some(faucet),
            faucet_keypair,
            faucet_addr,
            ledger,
            resumed,
            startup: Duration::ZERO,
        };
        if !resumed {
            localnet.fund_deployer().await?;
        }
        localnet.startup = started.elapsed();
        Ok(localnet)
    }

    async fn fund_deployer(&self) -> Result<(), LocalnetError> {
        let rpc = self.rpc_client();
        let deployer = deployer().pubkey();
        let signature = rpc
            .request_airdrop(&deployer, DEPLOYER_LAMPORTS)
            .await
            .map_err(|e| LocalnetError::Faucet(format!("airdrop to the deployer: {e}")))?;
        for _ in 0..100 {
            if rpc.confirm_transaction(&signature).await.unwrap_or(false) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(LocalnetError::Faucet(
            "the airdrop to the deployer was not confirmed in 10 s".into(),
        ))
    }

    fn validator(&self) -> &TestValidator {
        // Only `shutdown` (which consumes self) and Drop take it.
        self.validator
            .as_ref()
            .unwrap_or_else(|| unreachable!("the validator is present until shutdown"))
    }

    /// `http://127.0.0.1:<rpc_port>`.
    pub fn rpc_url(&self) -> String {
        self.validator().rpc_url()
    }

    /// `ws://127.0.0.1:<rpc_port + 1>/`.
    pub fn ws_url(&self) -> String {
        self.validator().rpc_pubsub_url()
    }

    /// A nonblocking RPC client at `confirmed` commitment.
    pub fn rpc_client(&self) -> RpcClient {
        RpcClient::new_with_commitment(self.rpc_url(), CommitmentConfig::confirmed())
    }

    /// The genesis mint, which holds the network's SOL and signs the faucet's airdrops.
    pub fn faucet_keypair(&self) -> &Keypair {
        &self.faucet_keypair
    }

    /// Where the faucet listens (`127.0.0.1:<faucet_port>`).
    pub fn faucet_addr(&self) -> SocketAddr {
        self.faucet_addr
    }

    /// The ledger folder.
    pub fn ledger(&self) -> &Path {
        &self.ledger
    }

    /// True when an existing ledger was resumed, false when this start created it.
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// Wall-clock time `start` took (validator boot, programs answering, deployer funded).
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// Stops the validator (flushing its ledger) and the faucet, and waits for both.
    pub async fn shutdown(mut self) {
        let validator = self.validator.take();
        let faucet = self.faucet.take();
        // Closing the validator joins its threads and drops its runtimes: never on a tokio worker.
        let _ = tokio::task::spawn_blocking(move || {
            drop(validator);
            drop(faucet);
        })
        .await;
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let validator = self.validator.take();
        let faucet = self.faucet.take();
        if validator.is_none() && faucet.is_none() {
            return;
        }
        // Dropped without `shutdown`, possibly inside a runtime: close on a plain thread.
        let closer = std::thread::spawn(move || {
            drop(validator);
            drop(faucet);
        });
        let _ = closer.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warp_lands_far_enough_into_an_epoch_that_starts_an_epoch_later() {
        // 3,720 s at 150 ms a slot: 24,800 slots into the epoch.
        let epoch = 432_000;
        assert_eq!(
            warp_slot_for_clock_jump(3_720, 500, epoch),
            Some(epoch + 24_800)
        );
        // Votes up to slot 24,800 would still count at slot epoch + 24,800: one epoch later.
        assert_eq!(
            warp_slot_for_clock_jump(3_720, 24_800, epoch),
            Some(2 * epoch + 24_800)
        );
        assert_eq!(
            warp_slot_for_clock_jump(3_720, epoch + 5, epoch),
            Some(2 * epoch + 24_800)
        );
        // A jump of an epoch's worth of slots or more cannot be made in one epoch.
        assert_eq!(warp_slot_for_clock_jump(3_720, 500, 24_800), None);
        // ceil(1,000 / 150) = 7 slots.
        assert_eq!(warp_slot_for_clock_jump(1, 0, 32), Some(32 + 7));
    }
}
