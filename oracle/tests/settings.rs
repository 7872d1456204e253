//! Settings: the checked-in template parses and equals the built-in defaults, the environment
//! overrides the file, and unknown keys are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// figment::Jail closures return figment::Error, which is large; that is its API.
#![allow(clippy::result_large_err)]

use std::path::Path;
use std::time::Duration;

use depin_oracle::settings::{Settings, SqliteSync};

fn template() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/oracle.example.toml"))
}

#[test]
fn the_template_parses_to_the_defaults() {
    figment::Jail::expect_with(|_jail| {
        let s = Settings::load(Some(template())).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.ingest.max_past_skew, Duration::from_secs(3600));
        assert_eq!(s.storage.sqlite_synchronous, SqliteSync::Full);
        assert_eq!(s.registry_csv(), Path::new("./oracle-data/registry.csv"));
        Ok(())
    });
}

#[test]
fn the_environment_wins_over_the_file() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "oracle.toml",
            r#"
            [server]
            listen = "127.0.0.1:9000"
            retry_after = "2s"
            [storage]
            url = "sqlite:///from/file.db"
            "#,
        )?;
        jail.set_env("DEPIN_ORACLE__SERVER__LISTEN", "0.0.0.0:7000");
        jail.set_env("DEPIN_ORACLE__INGEST__RATE_LIMIT_REPORTS", "5");
        jail.set_env("DEPIN_ORACLE__INGEST__MAX_FUTURE_SKEW", "90s");
        jail.set_env("DEPIN_ORACLE__STORAGE__SQLITE_SYNCHRONOUS", "normal");
        let s = Settings::load(Some(Path::new("oracle.toml"))).unwrap();
        assert_eq!(s.server.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(s.server.retry_after, Duration::from_secs(2));
        assert_eq!(s.storage.url, "sqlite:///from/file.db");
        assert_eq!(s.ingest.rate_limit_reports, 5);
        assert_eq!(s.ingest.max_future_skew, Duration::from_secs(90));
        assert_eq!(s.storage.sqlite_synchronous, SqliteSync::Normal);
        // Untouched keys keep their defaults.
        assert_eq!(s.server.max_body_bytes, 1 << 20);
        Ok(())
    });
}

#[test]
fn unknown_keys_and_bad_values_are_refused() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("typo.toml", "[server]\nlisten_addr = \"127.0.0.1:1\"\n")?;
        let e = Settings::load(Some(Path::new("typo.toml"))).unwrap_err();
        assert!(e.to_string().contains("listen_addr"), "{e}");
        jail.create_file("ok.toml", "")?;
        jail.set_env("DEPIN_ORACLE__SERVER__RETRY_AFTER", "soon");
        assert!(Settings::load(Some(Path::new("ok.toml"))).is_err());
        let missing = Settings::load(Some(Path::new("missing.toml"))).unwrap_err();
        assert!(missing.to_string().contains("missing.toml"), "{missing}");
        Ok(())
    });
}
