//! Which cluster and which key: the Solana CLI's conventions, so `--url` and `--keypair` mean here
//! what they mean to `solana` and `anchor`.
//!
//! - `--url` takes a moniker (`localhost`/`l`, `devnet`/`d`, `testnet`/`t`, `mainnet-beta`/`m`)
//!   or an `http(s)://` URL; the WebSocket URL is derived the way the Solana CLI does (same host,
//!   `ws(s)://`, port + 1 when a port is given).
//! - Without `--url` or `--keypair`, the values in `~/.config/solana/cli/config.yml`
//!   (`json_rpc_url`, `keypair_path`) apply when that file exists, and otherwise `localhost` and
//!   `~/.config/solana/id.json`.

use std::path::{Path, PathBuf};

use solana_keypair::{Keypair, read_keypair_file};
use solana_pubkey::Pubkey;

use crate::sender::{SendConfig, Sender};

/// The local validator's JSON-RPC URL (`depin-dev localnet`, `solana-test-validator`).
pub const LOCALHOST_URL: &str = "http://127.0.0.1:8899";

/// Where the local network keeps its token/USD price: a Pyth `PriceUpdateV2` that `depin-dev
/// localnet` and `depin-dev sim` write into a new ledger's genesis (the address is
/// sha256("depin localnet: token/USD price update")). There is no Pyth receiver program or
/// Wormhole on a local network, so nothing updates it: it is as old as the ledger.
pub const LOCALNET_PRICE_UPDATE: Pubkey =
    Pubkey::from_str_const("F7t6eWr2haPnxdBT78ZKEj38aAVweVXF8JWun4c4UGgH");

/// Why a cluster or a keypair could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "--url {0:?} is neither a moniker (localhost, devnet, testnet, mainnet-beta, or l/d/t/m) \
         nor an http:// or https:// URL"
    )]
    BadUrl(String),
    #[error(
        "cannot read the keypair {path}: {reason} (pass --keypair <file>, or create one with \
         `solana-keygen new`)"
    )]
    Keypair { path: PathBuf, reason: String },
    #[error("no home directory ($HOME is unset): pass --keypair and --url explicitly")]
    NoHome,
}

/// A resolved cluster: where JSON-RPC and PubSub listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub rpc_url: String,
    pub ws_url: String,
}

impl Cluster {
    /// Resolves a `--url` value: a moniker or an `http(s)://` URL.
    pub fn parse(url_or_moniker: &str) -> Result<Self, ClusterError> {
        let rpc_url = match url_or_moniker.trim() {
            "l" | "localhost" => LOCALHOST_URL.to_string(),
            "d" | "devnet" => "https://api.devnet.solana.com".to_string(),
            "t" | "testnet" => "https://api.testnet.solana.com".to_string(),
            "m" | "mainnet-beta" => "https://api.mainnet-beta.solana.com".to_string(),
            url if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_string()
            }
            other => return Err(ClusterError::BadUrl(other.to_string())),
        };
        let ws_url = websocket_url(&rpc_url);
        Ok(Self { rpc_url, ws_url })
    }
}

/// The Solana CLI's rule: `http` → `ws`, `https` → `wss`, and an explicit port + 1.
pub fn websocket_url(rpc_url: &str) -> String {
    let (scheme, rest) = match rpc_url.split_once("://") {
        Some(("https", rest)) => ("wss", rest),
        Some((_, rest)) => ("ws", rest),
        None => ("ws", rpc_url),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    // An IPv6 literal keeps its colons inside brackets; only a colon after `]` (or in a plain
    // host) starts a port.
    let port_at = match authority.rfind(']') {
        Some(close) => authority[close..].find(':').map(|i| close + i),
        None => authority.rfind(':'),
    };
    let authority = match port_at.and_then(|i| {
        authority[i + 1..]
            .parse::<u16>()
            .ok()
            .map(|p| (&authority[..i], p))
    }) {
        Some((host, port)) => format!("{host}:{}", port.saturating_add(1)),
        None => authority.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

/// The Solana CLI's config file, `~/.config/solana/cli/config.yml`.
pub fn cli_config_path() -> Option<PathBuf> {
    home().map(|h| h.join(".config/solana/cli/config.yml"))
}

/// The default keypair, `~/.config/solana/id.json`.
pub fn default_keypair_path() -> Result<PathBuf, ClusterError> {
    home()
        .map(|h| h.join(".config/solana/id.json"))
        .ok_or(ClusterError::NoHome)
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// `json_rpc_url` and `keypair_path` from a Solana CLI config file (its flat `key: value` lines;
/// the file is written by `solana config set`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CliConfig {
    pub json_rpc_url: Option<String>,
    pub keypair_path: Option<PathBuf>,
}

impl CliConfig {
    /// Reads the file; a missing or unreadable file gives the empty config.
    pub fn load(path: &Path) -> Self {
        std::fs::read_to_string(path)
            .map(|text| Self::parse(&text))
            .unwrap_or_default()
    }

    pub fn parse(text: &str) -> Self {
        let mut config = Self::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            if value.is_empty() {
                continue;
            }
            match key.trim() {
                "json_rpc_url" => config.json_rpc_url = Some(value.to_string()),
                "keypair_path" => config.keypair_path = Some(PathBuf::from(value)),
                _ => {}
            }
        }
        config
    }
}

/// `--url`, else the CLI config's `json_rpc_url`, else `localhost`.
pub fn resolve_cluster(url: Option<&str>) -> Result<Cluster, ClusterError> {
    match url {
        Some(url) => Cluster::parse(url),
        None => {
            let config = cli_config_path()
                .map(|p| CliConfig::load(&p))
                .unwrap_or_default();
            Cluster::parse(config.json_rpc_url.as_deref().unwrap_or("localhost"))
        }
    }
}

/// `--keypair`, else the CLI config's `keypair_path`, else `~/.config/solana/id.json`.
pub fn resolve_keypair_path(keypair: Option<&Path>) -> Result<PathBuf, ClusterError> {
    if let Some(path) = keypair {
        return Ok(path.to_path_buf());
    }
    let config = cli_config_path()
        .map(|p| CliConfig::load(&p))
        .unwrap_or_default();
    match config.keypair_path {
        Some(path) => Ok(path),
        None => default_keypair_path(),
    }
}

/// Reads a keypair file (the Solana CLI's JSON array of 64 bytes).
pub fn load_keypair(path: &Path) -> Result<Keypair, ClusterError> {
    read_keypair_file(path).map_err(|e| ClusterError::Keypair {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The sender and the signer that `--url`, `--keypair` and a priority fee (micro-lamports per
/// compute unit) name; what is missing comes from the Solana CLI's config and defaults.
pub fn connect(
    url: Option<&str>,
    keypair: Option<&Path>,
    priority_fee: u64,
) -> Result<(Sender, Keypair), ClusterError> {
    let keypair = load_keypair(&resolve_keypair_path(keypair)?)?;
    Ok((reader(url, priority_fee)?, keypair))
}

/// The sender that `--url` and a priority fee name, for commands that only read (no keypair).
pub fn reader(url: Option<&str>, priority_fee: u64) -> Result<Sender, ClusterError> {
    let cluster = resolve_cluster(url)?;
    let config = SendConfig {
        cu_price_micro_lamports: priority_fee,
        ..SendConfig::default()
    };
    Ok(Sender::new(cluster.rpc_url, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monikers_resolve_like_the_solana_cli() {
        let local = Cluster::parse("localhost").unwrap();
        assert_eq!(local.rpc_url, "http://127.0.0.1:8899");
        assert_eq!(local.ws_url, "ws://127.0.0.1:8900");
        assert_eq!(Cluster::parse("l").unwrap(), local);
        assert_eq!(
            Cluster::parse("d").unwrap(),
            Cluster {
                rpc_url: "https://api.devnet.solana.com".into(),
                ws_url: "wss://api.devnet.solana.com".into(),
            }
        );
        assert_eq!(
            Cluster::parse("mainnet-beta").unwrap().rpc_url,
            "https://api.mainnet-beta.solana.com"
        );
        assert_eq!(
            Cluster::parse("t").unwrap().ws_url,
            "wss://api.testnet.solana.com"
        );
    }

    #[test]
    fn urls_keep_their_host_and_path_and_move_the_port() {
        let c = Cluster::parse("http://10.0.0.5:18899/").unwrap();
        assert_eq!(c.rpc_url, "http://10.0.0.5:18899");
        assert_eq!(c.ws_url, "ws://10.0.0.5:18900");
        assert_eq!(
            websocket_url("https://rpc.example.com/key/abc"),
            "wss://rpc.example.com/key/abc"
        );
        assert_eq!(websocket_url("http://[::1]:8899"), "ws://[::1]:8900");
        assert_eq!(websocket_url("http://[::1]"), "ws://[::1]");
    }

    #[test]
    fn an_unknown_moniker_is_refused_by_name() {
        let err = Cluster::parse("devnett").unwrap_err();
        assert_eq!(
            err.to_string(),
            "--url \"devnett\" is neither a moniker (localhost, devnet, testnet, mainnet-beta, \
             or l/d/t/m) nor an http:// or https:// URL"
        );
    }

    #[test]
    fn the_cli_config_file_is_read() {
        let config = CliConfig::parse(
            "---\njson_rpc_url: \"http://127.0.0.1:9999\"\nwebsocket_url: ''\n\
             keypair_path: /home/op/.config/solana/ops.json\naddress_labels:\n  \
             '11111111111111111111111111111111': System Program\ncommitment: confirmed\n",
        );
        assert_eq!(
            config,
            CliConfig {
                json_rpc_url: Some("http://127.0.0.1:9999".into()),
                keypair_path: Some(PathBuf::from("/home/op/.config/solana/ops.json")),
            }
        );
    }

    #[test]
    fn a_missing_keypair_names_the_file() {
        let err = load_keypair(Path::new("/nonexistent/id.json")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read the keypair /nonexistent/id.json: "),
            "{err}"
        );
    }
}
