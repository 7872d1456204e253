//! The agent's settings: built-in defaults, then the TOML file (`--config`; default
//! `/etc/depin-agent.toml`, used only if it exists), then `DEPIN_AGENT__<KEY>` environment
//! variables (the environment wins). Unknown keys are refused. Durations are humantime strings
//! (`"500ms"`, `"60s"`, `"55m"`). Every key is listed in `app/agent/README.md`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The environment prefix.
pub const ENV_PREFIX: &str = "DEPIN_AGENT__";
/// The most reports per request `batch_size` may ask for: the oracle's default
/// `server.max_batch_reports` (a smaller limit at an oracle is met by halving, see
/// `crate::agent`).
pub const MAX_BATCH_SIZE: usize = 4096;
/// The configuration file read when `--config` is not given (if it exists).
pub const DEFAULT_CONFIG: &str = "/etc/depin-agent.toml";

/// Everything the agent reads at start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The device key, nonce mark, spool, cursors, inbox and status.json (mode 0700).
    pub state_dir: PathBuf,
    /// Ingest base URLs of the oracles (each gets every report).
    pub oracles: Vec<String>,
    /// Heartbeat period.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// Speed test period (only with `speedtest_command`).
    #[serde(with = "humantime_serde")]
    pub speedtest_every: Duration,
    /// A command (program and arguments) that prints `{"download_kbps","upload_kbps",
    /// "latency_ms"}`; empty: no speed tests.
    pub speedtest_command: Vec<String>,
    /// A static position fix for heartbeats, degrees (both or neither).
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// A buffered report older than this is dropped before sending (the oracles take 1 h).
    #[serde(with = "humantime_serde")]
    pub max_age: Duration,
    /// First retry delay after a failure (doubled per failure, with jitter).
    #[serde(with = "humantime_serde")]
    pub backoff_min: Duration,
    /// Longest retry delay.
    #[serde(with = "humantime_serde")]
    pub backoff_max: Duration,
    /// Most reports per batch request.
    pub batch_size: usize,
    /// One request's timeout (connect, send, answer).
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// How often the inbox (witness/beacon files) is read and status.json written.
    #[serde(with = "humantime_serde")]
    pub tick: Duration,
    /// Nonces reserved per write of the high-water mark.
    pub nonce_block: u64,
    /// Records per spool segment (a segment is deleted once every oracle has passed it).
    pub segment_records: u64,
    /// On SIGTERM/SIGINT: how long to keep sending what is buffered before exiting.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from("/var/lib/depin-agent"),
            oracles: Vec::new(),
            interval: Duration::from_secs(60),
            speedtest_every: Duration::from_secs(3600),
            speedtest_command: Vec::new(),
            lat: None,
            lon: None,
            max_age: Duration::from_secs(55 * 60),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            batch_size: 64,
            request_timeout: Duration::from_secs(10),
            tick: Duration::from_secs(1),
            nonce_block: 1024,
            segment_records: 1024,
            shutdown_grace: Duration::from_secs(5),
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
        let mut s: Self = f
            .merge(Env::prefixed(ENV_PREFIX).split("__"))
            .extract()
            .map_err(Box::new)?;
        s.normalise();
        s.validate()?;
        Ok(s)
    }

    /// Oracle URLs without trailing slashes (the cursors are keyed by URL: `http://a/` and
    /// `http://a` are one oracle).
    pub fn normalise(&mut self) {
        for u in &mut self.oracles {
            let trimmed = u.trim_end_matches('/').len();
            u.truncate(trimmed);
        }
    }

    /// Value checks.
    ///
    /// # Errors
    ///
    /// A half position fix or one out of range, a zero period, batch, block or segment size, a
    /// non-http oracle URL, the same oracle twice, a `batch_size` over [`MAX_BATCH_SIZE`].
    pub fn validate(&self) -> Result<(), SettingsError> {
        let bad = |m: &str| Err(SettingsError::Invalid(m.to_string()));
        match (self.lat, self.lon) {
            (None, None) => {}
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                    return bad("lat must lie in [-90, 90] and lon in [-180, 180]");
                }
            }
            _ => return bad("lat and lon go together: set both or neither"),
        }
        if self.interval.is_zero() || self.tick.is_zero() || self.speedtest_every.is_zero() {
            return bad("interval, tick and speedtest_every must be above zero");
        }
        if self.batch_size == 0 || self.nonce_block == 0 || self.segment_records == 0 {
            return bad("batch_size, nonce_block and segment_records must be at least 1");
        }
        if self.batch_size > MAX_BATCH_SIZE {
            return Err(SettingsError::Invalid(format!(
                "batch_size must be at most {MAX_BATCH_SIZE} (the oracles' default batch limit)"
            )));
        }
        if let Some((i, url)) = self.oracles.iter().enumerate().find(|(i, u)| {
            self.oracles
                .get(..*i)
                .is_some_and(|before| before.contains(u))
        }) {
            return Err(SettingsError::Invalid(format!(
                "oracle URL {url:?} is listed twice (at {i}; trailing slashes do not count)"
            )));
        }
        if self.backoff_min > self.backoff_max {
            return bad("backoff_min must not exceed backoff_max");
        }
        if let Some(url) = self
            .oracles
            .iter()
            .find(|u| !(u.starts_with("http://") || u.starts_with("https://")))
        {
            return Err(SettingsError::Invalid(format!(
                "oracle URL {url:?} must start with http:// or https://"
            )));
        }
        Ok(())
    }

    /// The heartbeat's position fix, in 1e-7 degrees.
    #[must_use]
    pub fn location(&self) -> Option<depin_formats::report::Location> {
        let (lat, lon) = (self.lat?, self.lon?);
        #[allow(clippy::cast_possible_truncation)] // checked to lie within ±180 by validate
        Some(depin_formats::report::Location {
            lat_e7: (lat * 1e7).round() as i32,
            lon_e7: (lon * 1e7).round() as i32,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]
    use super::*;

    #[test]
    fn file_then_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "agent.toml",
                r#"state_dir = "/tmp/s"
oracles = ["http://a:1", "http://b:2"]
interval = "30s"
lat = 37.7749
lon = -122.4194
"#,
            )?;
            jail.set_env("DEPIN_AGENT__INTERVAL", "250ms");
            jail.set_env("DEPIN_AGENT__ORACLES", r#"["http://c:3/", "https://d//"]"#);
            jail.set_env("DEPIN_AGENT__BATCH_SIZE", "8");
            let s = Settings::load(Some(Path::new("agent.toml"))).unwrap();
            assert_eq!(s.state_dir, PathBuf::from("/tmp/s"));
            assert_eq!(
                s.oracles,
                vec!["http://c:3".to_string(), "https://d".to_string()]
            );
            assert_eq!(s.interval, Duration::from_millis(250));
            assert_eq!(s.batch_size, 8);
            assert_eq!(s.max_age, Duration::from_secs(3300));
            assert_eq!(
                s.location(),
                Some(depin_formats::report::Location {
                    lat_e7: 377_749_000,
                    lon_e7: -1_224_194_000
                })
            );
            Ok(())
        });
    }

    #[test]
    fn refusals() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("a.toml", "intervall = \"30s\"\n")?;
            let err = Settings::load(Some(Path::new("a.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("unknown field: found `intervall`"), "{err}");
            jail.create_file("b.toml", "lat = 10.0\n")?;
            let err = Settings::load(Some(Path::new("b.toml")))
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                "settings: lat and lon go together: set both or neither"
            );
            jail.create_file(
                "c.toml",
                "oracles = [\"http://a:1\", \"http://b\", \"http://a:1/\"]\n",
            )?;
            let err = Settings::load(Some(Path::new("c.toml")))
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                "settings: oracle URL \"http://a:1\" is listed twice (at 2; trailing slashes do not count)"
            );
            jail.create_file("d.toml", "batch_size = 4097\n")?;
            let err = Settings::load(Some(Path::new("d.toml")))
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                "settings: batch_size must be at most 4096 (the oracles' default batch limit)"
            );
            jail.create_file("e.toml", "batch_size = 4096\n")?;
            assert_eq!(
                Settings::load(Some(Path::new("e.toml")))
                    .unwrap()
                    .batch_size,
                4096
            );
            jail.set_env("DEPIN_AGENT__NO_SUCH_KEY", "1");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("no_such_key"), "{err}");
            Ok(())
        });
    }
}
