//! What reports to make when: a heartbeat every `interval` (with the configured fix), a speed
//! test every `speedtest_every` when a measuring command is configured, and the inbox's witness
//! and beacon payloads every tick.

use std::time::Duration;

use depin_formats::report::{Heartbeat, Payload, Speedtest};
use serde::Deserialize;

use crate::settings::Settings;

/// The heartbeat payload.
#[must_use]
pub fn heartbeat(settings: &Settings) -> Payload {
    Payload::Heartbeat(Heartbeat {
        location: settings.location(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Measured {
    download_kbps: u32,
    upload_kbps: u32,
    latency_ms: u32,
}

/// Parses the speed-test command's output: one JSON object
/// `{"download_kbps": .., "upload_kbps": .., "latency_ms": ..}`.
///
/// # Errors
///
/// Anything else.
pub fn parse_speedtest(stdout: &[u8]) -> Result<Payload, String> {
    let m: Measured =
        serde_json::from_slice(stdout).map_err(|e| format!("speed test output: {e}"))?;
    Ok(Payload::Speedtest(Speedtest {
        download_kbps: m.download_kbps,
        upload_kbps: m.upload_kbps,
        latency_ms: m.latency_ms,
    }))
}

/// Runs the configured speed-test command (at most `timeout`); `None` without one.
///
/// # Errors
///
/// It could not start, failed, timed out, or printed something else.
pub async fn speedtest(command: &[String], timeout: Duration) -> Option<Result<Payload, String>> {
    let (program, args) = command.split_first()?;
    let run = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    Some(match tokio::time::timeout(timeout, run).await {
        Err(_) => Err(format!("speed test command timed out after {timeout:?}")),
        Ok(Err(e)) => Err(format!("speed test command {program:?}: {e}")),
        Ok(Ok(out)) if !out.status.success() => {
            Err(format!("speed test command exited {}", out.status))
        }
        Ok(Ok(out)) => parse_speedtest(&out.stdout),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn speedtest_output() {
        assert_eq!(
            parse_speedtest(br#"{"download_kbps": 50000, "upload_kbps": 10000, "latency_ms": 12}"#)
                .unwrap(),
            Payload::Speedtest(Speedtest {
                download_kbps: 50_000,
                upload_kbps: 10_000,
                latency_ms: 12
            })
        );
        assert!(parse_speedtest(br#"{"download_kbps": 1}"#).is_err());
    }

    #[tokio::test]
    async fn runs_the_command() {
        let cmd: Vec<String> = [
            "sh",
            "-c",
            r#"echo '{"download_kbps":1,"upload_kbps":2,"latency_ms":3}'"#,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        let got = speedtest(&cmd, Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            got,
            Payload::Speedtest(Speedtest {
                download_kbps: 1,
                upload_kbps: 2,
                latency_ms: 3
            })
        );
        assert!(speedtest(&[], Duration::from_secs(1)).await.is_none());
    }
}
