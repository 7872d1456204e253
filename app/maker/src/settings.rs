//! The maker service's settings: built-in defaults, then the TOML file (`--config`; default
//! `/etc/depin-maker.toml`, used only if it exists), then `DEPIN_MAKER__<KEY>` environment
//! variables (the environment wins), as the device agent's. Unknown keys are refused. Durations
//! are humantime strings (`"1h"`, `"10s"`). Every key is listed in `app/maker/README.md`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The environment prefix.
pub const ENV_PREFIX: &str = "DEPIN_MAKER__";
/// The configuration file read when `--config` is not given (if it exists).
pub const DEFAULT_CONFIG: &str = "/etc/depin-maker.toml";

/// Everything the service reads at start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// The cluster's JSON-RPC URL (the maker's and the devices' accounts).
    pub rpc_url: String,
    /// The maker key (a Solana keypair file, mode 0600, owned by the service's user).
    pub keypair: PathBuf,
    /// The used-code store and the lock (mode 0700).
    pub state_dir: PathBuf,
    /// Signatures one owner may get per `rate_window` (0: no limit).
    pub per_owner: u32,
    /// Signatures the service gives per `rate_window`, all owners together (0: no limit).
    pub global: u32,
    /// The window of both limits.
    #[serde(with = "humantime_serde")]
    pub rate_window: Duration,
    /// The most bytes a request body may hold.
    pub max_body_bytes: usize,
    /// The longest a request may take (the chain reads included).
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8790)),
            rpc_url: "http://127.0.0.1:8899".to_string(),
            keypair: PathBuf::from("/var/lib/depin-maker/maker-key.json"),
            state_dir: PathBuf::from("/var/lib/depin-maker"),
            per_owner: 10,
            global: 600,
            rate_window: Duration::from_secs(3600),
            max_body_bytes: depin_client::maker_api::MAX_REQUEST_BYTES,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("settings: {0}")]
    Figment(#[from] Box<figment::Error>),
    #[error("settings: {0}")]
    Invalid(String),
}

impl Settings {
    /// Defaults, then `file` (given: it must exist; not given: [`DEFAULT_CONFIG`] if it
    /// exists), then the environment.
    ///
    /// # Errors
    ///
    /// A missing or malformed file, an unknown key, a wrong type, or [`Settings::validate`].
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let default = Path::new(DEFAULT_CONFIG);
        let file = file.or_else(|| default.exists().then_some(default));
        let mut f = Figment::from(Serialized::defaults(Self::default()));
        if let Some(path) = file {
            f = f.merge(Toml::file_exact(path));
        }
        let s: Self = f
            .merge(Env::prefixed(ENV_PREFIX).split("__"))
            .extract()
            .map_err(Box::new)?;
        s.validate()?;
        Ok(s)
    }

    /// Value checks.
    ///
    /// # Errors
    ///
    /// A zero window or timeout, a body limit under 1 KiB, a non-http RPC URL.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let bad = |m: &str| Err(SettingsError::Invalid(m.to_string()));
        if self.rate_window.is_zero() || self.request_timeout.is_zero() {
            return bad("rate_window and request_timeout must be above zero");
        }
        if self.max_body_bytes < 1024 {
            return bad("max_body_bytes must be at least 1024");
        }
        if !(self.rpc_url.starts_with("http://") || self.rpc_url.starts_with("https://")) {
            return bad("rpc_url must start with http:// or https://");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::result_large_err)]
    use super::*;

    #[test]
    fn file_then_environment_and_unknown_keys() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "maker.toml",
                "listen = \"127.0.0.1:9000\"\nper_owner = 3\nrate_window = \"10m\"\n",
            )?;
            jail.set_env("DEPIN_MAKER__PER_OWNER", "4");
            jail.set_env("DEPIN_MAKER__STATE_DIR", "/srv/maker");
            let s = Settings::load(Some(Path::new("maker.toml"))).unwrap();
            assert_eq!(s.listen, SocketAddr::from(([127, 0, 0, 1], 9000)));
            assert_eq!(s.per_owner, 4);
            assert_eq!(s.rate_window, Duration::from_secs(600));
            assert_eq!(s.state_dir, PathBuf::from("/srv/maker"));
            assert_eq!(s.global, 600);
            jail.create_file("bad.toml", "listen_on = \"127.0.0.1:1\"\n")?;
            let err = Settings::load(Some(Path::new("bad.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("unknown field: found `listen_on`"), "{err}");
            jail.set_env("DEPIN_MAKER__RATE_WINDOW", "0s");
            let err = Settings::load(Some(Path::new("maker.toml")))
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                "settings: rate_window and request_timeout must be above zero"
            );
            Ok(())
        });
    }
}
