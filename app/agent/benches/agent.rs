//! The agent's memory and CPU at one report a minute, and its behaviour through a one-hour
//! outage, on a scaled clock (a benchmark that prints a table, never a timed test).
//!
//! ```text
//! cargo build -p depin-oracle --bin oracle       # the receiving oracle (debug is enough)
//! cargo bench -p depin-agent --bench agent                  # factor 60: 1 s stands for 1 min
//! cargo bench -p depin-agent --bench agent -- --factor 120  # faster, coarser
//! ```
//!
//! Every duration of the protocol is divided by the factor: the heartbeat interval (60 s), the
//! outage (1 h), the agent's default `max_age` (55 m) and backoff (1 s .. 60 s), and the oracle's
//! `ingest.max_past_skew` (1 h). The agent's tick (1 s: inbox, status.json) is not scaled: it
//! is a fixed cost per second, measured on its own in phase 1 (no reports), so the CPU at the
//! real rate is 60 s of phase 1's rate plus one report's cost from phase 2.
//!
//! 1. idle: the release `depin-agent` with one heartbeat an hour, for 30 s: CPU per second;
//! 2. steady: one report per scaled minute for 60 scaled minutes with the oracle up: CPU per
//!    report, RSS;
//! 3. outage: the oracle killed for one scaled hour and restarted on its data: reports
//!    buffered, expired (older than `max_age` when it came back), drained, and the time to
//!    drain.
//!
//! `cargo test --all-targets` runs this binary without `--bench`: it then does nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    reason = "a benchmark binary: failing loudly is the point"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::Oracle;
use depin_agent::settings::Settings;
use depin_agent::status::Status;
use tokio::process::{Child, Command};

/// (CPU seconds, RSS KiB, peak RSS KiB) of a process: the CPU time of all its threads in
/// nanoseconds (`/proc/<pid>/task/*/schedstat`; `stat`'s clock ticks are 10 ms, too coarse).
fn usage(pid: u32) -> (f64, u64, u64) {
    let mut ns = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let sched =
            std::fs::read_to_string(task.unwrap().path().join("schedstat")).unwrap_or_default();
        ns += sched
            .split_whitespace()
            .next()
            .map_or(0, |v| v.parse().unwrap());
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap())
            .unwrap()
    };
    (ns as f64 / 1e9, kib("VmRSS:"), kib("VmHWM:"))
}

/// The agent's settings: the defaults' durations divided by `factor`, the heartbeat `interval`.
fn config(path: &Path, state: &Path, url: &str, interval: Duration, factor: u32) {
    let d = Settings::default();
    let ms = |d: Duration| format!("\"{}ms\"", d.as_millis());
    std::fs::write(
        path,
        format!(
            "state_dir = {state:?}\noracles = [{url:?}]\ninterval = {}\nmax_age = {}\nbackoff_min = {}\nbackoff_max = {}\nshutdown_grace = \"2s\"\n",
            ms(interval),
            ms(d.max_age / factor),
            ms((d.backoff_min / factor).max(Duration::from_millis(10))),
            ms(d.backoff_max / factor),
        ),
    )
    .unwrap();
}

fn agent(config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_depin-agent"));
    c.arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    c
}

async fn stop(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    child.wait().await.unwrap();
}

fn status(state: &Path) -> Status {
    Status::read(state).unwrap()
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("agent bench: run it with `cargo bench -p depin-agent --bench agent`");
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let factor: u32 = args
        .iter()
        .position(|a| a == "--factor")
        .and_then(|i| args.get(i + 1))
        .map_or(60, |v| v.parse().unwrap());
    let scaled = |secs: u64| Duration::from_millis(secs * 1000 / u64::from(factor));
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let cfg = tmp.path().join("agent.toml");
    std::fs::write(&cfg, format!("state_dir = {state:?}\n")).unwrap();
    let out = agent(&cfg).arg("init").output().await.unwrap();
    let device = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut oracle = Oracle::new(
        tmp.path(),
        0,
        &device,
        &format!(
            "max_past_skew = \"{}ms\"\nrate_limit_reports = 0\npeer_rate_limit_reports = 0\n",
            scaled(3600).as_millis()
        ),
    );
    oracle.start().await;

    // 1. Idle: the tick's cost alone.
    config(
        &cfg,
        &state,
        &oracle.url(),
        Duration::from_secs(3600),
        factor,
    );
    let idle_secs = 30.0;
    let mut run = agent(&cfg).arg("run").spawn().unwrap();
    let pid = run.id().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu0, _, _) = usage(pid);
    tokio::time::sleep(Duration::from_secs_f64(idle_secs)).await;
    let (cpu1, idle_rss, _) = usage(pid);
    let idle_rate = (cpu1 - cpu0) / idle_secs;
    stop(&mut run).await;

    // 2. Steady: one report per scaled minute for a scaled hour.
    config(&cfg, &state, &oracle.url(), scaled(60), factor);
    let mut run = agent(&cfg).arg("run").spawn().unwrap();
    let pid = run.id().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (c0, g0) = (usage(pid).0, status(&state).generated);
    let t0 = Instant::now();
    tokio::time::sleep(scaled(3600)).await;
    let (c1, rss, hwm) = usage(pid);
    let g1 = status(&state).generated;
    let wall = t0.elapsed().as_secs_f64();
    let reports = g1 - g0;
    let per_report = ((c1 - c0) - idle_rate * wall).max(0.0) / reports as f64;

    // 3. Outage: the oracle down for a scaled hour.
    oracle.kill().await;
    let before = status(&state).oracles[0].clone();
    tokio::time::sleep(scaled(3600)).await;
    let during = status(&state);
    let buffered = during.oracles[0].queue_depth;
    let (_, outage_rss, _) = usage(pid);
    oracle.start().await;
    let back = Instant::now();
    let drained_at = loop {
        let s = status(&state);
        if s.oracles[0].queue_depth == 0 {
            break back.elapsed();
        }
        assert!(
            back.elapsed() < Duration::from_secs(120),
            "not drained in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let after = status(&state).oracles[0].clone();
    let (cpu_end, _, hwm_end) = usage(pid);
    stop(&mut run).await;
    let expired = after.expired - before.expired;
    let drained = after.acknowledged - before.acknowledged;

    let real_minute_cpu = idle_rate * 60.0 + per_report;
    println!(
        "agent at 1 report a minute, clock scaled {factor}x (1 s stands for {} s)",
        factor
    );
    println!();
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| idle CPU (tick: inbox, status.json; no reports) | {:.3} ms per second |",
        idle_rate * 1e3
    );
    println!(
        "| CPU per report (sign, spool fsync, send, cursor) | {:.3} ms |",
        per_report * 1e3
    );
    println!(
        "| CPU at 1 report a minute (60 s idle + 1 report) | {:.1} ms per minute ({:.4} % of a core) |",
        real_minute_cpu * 1e3,
        real_minute_cpu / 60.0 * 100.0
    );
    println!(
        "| RSS idle / steady / in the outage / peak | {idle_rss} / {rss} / {outage_rss} / {} KiB |",
        hwm.max(hwm_end)
    );
    println!("| reports in the steady scaled hour | {reports} |");
    println!("| outage: buffered when the oracle came back | {buffered} |");
    println!("| outage: expired (older than max_age 55 m) | {expired} |");
    println!("| outage: drained (acknowledged after it) | {drained} |");
    println!(
        "| time to drain after the oracle came back | {:.2} s wall ({:.0} s scaled) |",
        drained_at.as_secs_f64(),
        drained_at.as_secs_f64() * f64::from(factor)
    );
    println!(
        "| agent CPU over the whole run 2 (steady, outage, drain) | {:.3} s |",
        cpu_end
    );
}
