//! `uplink::send_batch` against a real `oracle serve` on loopback, one rule per answer: 200
//! stores, 422 `stale_timestamp` drops that report and sends the rest, 409 `replayed_nonce`
//! counts as stored when it names the sent report's signature and is a conflict when it names
//! another, 422 `future_timestamp` drops that report, 403 `unknown_device` and 429 `rate_limited` (with its Retry-After) are
//! failures that settle nothing. And the agent's own `max_age` (the real binary): reports
//! buffered while the only oracle is down are dropped once older than it, counted as expired, and
//! never sent; the rest are.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::Oracle;
use depin_agent::make::Maker;
use depin_agent::nonce::Counter;
use depin_agent::uplink::{self, Failure, Outcome};
use depin_formats::keys::pubkey_of;
use depin_formats::report::{Heartbeat, Payload, SignedReport};
use ed25519_dalek::SigningKey;

fn now() -> i64 {
    i64::try_from(depin_agent::status::now_ms() / 1000).unwrap()
}

fn heartbeat(m: &mut Maker<Counter>, ts: i64) -> Vec<u8> {
    m.make(Payload::Heartbeat(Heartbeat::default()), ts)
        .unwrap()
        .to_binary()
}

#[tokio::test]
async fn each_answer_and_its_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let key = SigningKey::from_bytes(&[3; 32]);
    let device = pubkey_of(&key);
    let mut oracle = Oracle::new(
        tmp.path(),
        0,
        &device,
        "max_past_skew = \"60s\"\nrate_limit_reports = 5\npeer_rate_limit_reports = 0\npeer_failed_requests = 0\n",
    );
    oracle.start().await;
    let client = uplink::client(Duration::from_secs(5)).unwrap();
    let mut m = Maker::new(key, Counter(1));
    let t = now();

    // A stale report in the middle: dropped, the others stored by the re-sent request.
    let batch = [
        heartbeat(&mut m, t),
        heartbeat(&mut m, t - 3600),
        heartbeat(&mut m, t),
    ];
    let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
    let r = uplink::send_batch(&client, &oracle.url(), &refs).await;
    assert_eq!(r.failure, None);
    assert_eq!(
        r.outcomes,
        vec![
            Some(Outcome::Stored),
            Some(Outcome::Expired),
            Some(Outcome::Stored)
        ]
    );

    // The same two again (their answer "lost"): each one is 409, acknowledged.
    let again = [refs[0], refs[2]];
    let r = uplink::send_batch(&client, &oracle.url(), &again).await;
    assert_eq!(r.failure, None);
    assert_eq!(
        r.outcomes,
        vec![Some(Outcome::AlreadyStored), Some(Outcome::AlreadyStored)]
    );
    assert!(r.outcomes.iter().flatten().all(|o| o.acknowledged()));

    // Nonce 1 again with other content (a copied or restored state directory), and a report
    // ahead of the oracle's clock (this device's clock was set back since): the 422 comes
    // first (index 1), then the 409 names another signature. Both dropped, neither
    // acknowledged, nothing stored.
    let mut reused = Maker::new(SigningKey::from_bytes(&[3; 32]), Counter(1));
    let other = heartbeat(&mut reused, t - 1);
    assert_eq!(SignedReport::from_binary(&other).unwrap().report.nonce, 1);
    let ahead = heartbeat(&mut m, t + 3600);
    let r = uplink::send_batch(&client, &oracle.url(), &[&other, &ahead]).await;
    assert_eq!(r.failure, None);
    assert_eq!(
        r.outcomes,
        vec![Some(Outcome::Conflict), Some(Outcome::Future)]
    );
    assert!(!Outcome::Conflict.acknowledged());
    assert!(!Outcome::Future.acknowledged());

    // A stored report after a new one: the new one is stored by the request that follows the
    // 409 (nothing of a refused batch is stored).
    let fresh = heartbeat(&mut m, t);
    let r = uplink::send_batch(&client, &oracle.url(), &[&fresh, refs[0]]).await;
    assert_eq!(r.failure, None);
    assert_eq!(
        r.outcomes,
        vec![Some(Outcome::Stored), Some(Outcome::AlreadyStored)]
    );
    assert_eq!(r.settled_prefix(), 2);

    // A device the oracle does not know: 403, nothing settled.
    let mut stranger = Maker::new(SigningKey::from_bytes(&[4; 32]), Counter(1));
    let unknown = heartbeat(&mut stranger, t);
    let r = uplink::send_batch(&client, &oracle.url(), &[&unknown]).await;
    assert_eq!(r.outcomes, vec![None]);
    assert!(
        matches!(&r.failure, Some(Failure::Refused(403, reason, _)) if reason == "unknown_device"),
        "{:?}",
        r.failure
    );

    // Over the device's budget (5 per hour, 3 stored): 429 with Retry-After.
    let more = [
        heartbeat(&mut m, t),
        heartbeat(&mut m, t),
        heartbeat(&mut m, t),
    ];
    let refs: Vec<&[u8]> = more.iter().map(Vec::as_slice).collect();
    let r = uplink::send_batch(&client, &oracle.url(), &refs).await;
    assert_eq!(r.outcomes, vec![None, None, None]);
    match r.failure {
        Some(Failure::RetryAfter(Some(d), reason)) => {
            assert_eq!(reason, "rate_limited");
            assert!(
                d > Duration::ZERO && d <= Duration::from_secs(3600),
                "{d:?}"
            );
        }
        other => panic!("expected 429 rate_limited with Retry-After, got {other:?}"),
    }

    // Nothing but the three accepted reports is stored, in nonce order.
    let stored: Vec<u64> = oracle.stored().await.into_iter().map(|s| s.0).collect();
    let nonce = |b: &[u8]| SignedReport::from_binary(b).unwrap().report.nonce;
    assert_eq!(
        stored,
        vec![nonce(&batch[0]), nonce(&batch[2]), nonce(&fresh)]
    );

    // Nobody listening: a transient failure.
    oracle.kill().await;
    let r = uplink::send_batch(&client, &oracle.url(), &[&fresh]).await;
    assert_eq!(r.outcomes, vec![None]);
    assert!(
        matches!(r.failure, Some(Failure::Transient(_))),
        "{:?}",
        r.failure
    );
}

#[tokio::test]
async fn reports_older_than_max_age_are_dropped_not_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let config = tmp.path().join("agent.toml");
    let agent = || {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_depin-agent"));
        c.arg("--config").arg(&config).kill_on_drop(true);
        c
    };
    std::fs::write(&config, format!("state_dir = {state:?}\n")).unwrap();
    let out = agent().arg("init").output().await.unwrap();
    let device = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut oracle = Oracle::new(
        tmp.path(),
        0,
        &device,
        "rate_limit_reports = 0\npeer_rate_limit_reports = 0\n",
    );
    std::fs::write(
        &config,
        format!(
            "state_dir = {state:?}\noracles = [{:?}]\ninterval = \"200ms\"\ntick = \"100ms\"\nmax_age = \"2s\"\nbackoff_min = \"100ms\"\nbackoff_max = \"300ms\"\nshutdown_grace = \"10s\"\n",
            oracle.url()
        ),
    )
    .unwrap();
    // The oracle is down for the first 4 s.
    let mut run = agent()
        .arg("run")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    oracle.start().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(run.id().unwrap()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(run.wait().await.unwrap().success());
    let status = depin_agent::status::Status::read(&state).unwrap();
    let o = &status.oracles[0];
    assert!(o.expired >= 5, "{o:?}");
    assert!(o.acknowledged >= 5, "{o:?}");
    assert_eq!(o.queue_depth, 0);
    assert_eq!(o.expired + o.acknowledged, status.generated);
    // Exactly the acknowledged ones are stored.
    let stored = oracle.stored().await;
    assert_eq!(stored.len() as u64, o.acknowledged);
}

#[tokio::test]
async fn a_second_agent_on_the_same_state_dir_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let config = tmp.path().join("agent.toml");
    let port = common::free_port();
    std::fs::write(
        &config,
        format!(
            "state_dir = {state:?}\noracles = [\"http://127.0.0.1:{port}\"]\ntick = \"100ms\"\nshutdown_grace = \"1s\"\n"
        ),
    )
    .unwrap();
    let agent = || {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_depin-agent"));
        c.arg("--config").arg(&config).kill_on_drop(true);
        c
    };
    assert!(agent().arg("init").output().await.unwrap().status.success());
    let mut first = agent()
        .arg("run")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = first.id().unwrap();
    // Running once its status is written.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while depin_agent::status::Status::read(&state).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first agent never wrote its status"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hwm = || std::fs::read_to_string(state.join("nonce.hwm")).unwrap();
    let mark = hwm();
    let second = tokio::time::timeout(Duration::from_secs(20), agent().arg("run").output())
        .await
        .expect("a second agent ran on the same state directory")
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8(second.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "error: {} is locked by process {pid}: another agent runs on this state directory",
            state.join("lock").display()
        )),
        "{stderr}"
    );
    // The refused agent reserved no nonce block.
    assert_eq!(hwm(), mark);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(first.wait().await.unwrap().success());
    // Once the first has stopped, the lock is free.
    let mut third = agent()
        .arg("run")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        third.try_wait().unwrap(),
        None,
        "the third agent did not start"
    );
    third.kill().await.unwrap();
}

/// An oracle that takes at most 3 reports a request, an agent with `batch_size` 8 and a backlog:
/// the 413 `batch_too_large` halves the batch (8, 4, 2) and everything is stored, in order,
/// without a refusal counted.
#[tokio::test]
async fn a_batch_too_large_for_the_oracle_is_halved() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let config = tmp.path().join("agent.toml");
    let agent = || {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_depin-agent"));
        c.arg("--config").arg(&config).kill_on_drop(true);
        c
    };
    std::fs::write(&config, format!("state_dir = {state:?}\n")).unwrap();
    let out = agent().arg("init").output().await.unwrap();
    let device = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut oracle = Oracle::with_server(
        tmp.path(),
        0,
        &device,
        "max_batch_reports = 3\n",
        "rate_limit_reports = 0\npeer_rate_limit_reports = 0\n",
    );
    std::fs::write(
        &config,
        format!(
            "state_dir = {state:?}\noracles = [\"{}/\"]\ninterval = \"100ms\"\ntick = \"100ms\"\nbatch_size = 8\nbackoff_min = \"100ms\"\nbackoff_max = \"300ms\"\nshutdown_grace = \"10s\"\n",
            oracle.url()
        ),
    )
    .unwrap();
    let log = std::fs::File::create(tmp.path().join("agent.log")).unwrap();
    let mut run = agent().arg("run").stderr(log).spawn().unwrap();
    // A backlog of some 20 reports while the oracle is down.
    tokio::time::sleep(Duration::from_secs(2)).await;
    oracle.start().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(run.id().unwrap()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(run.wait().await.unwrap().success());
    let status = depin_agent::status::Status::read(&state).unwrap();
    let o = &status.oracles[0];
    // The URL is kept without its trailing slash.
    assert_eq!(o.url, oracle.url());
    assert_eq!(o.queue_depth, 0, "{o:?}");
    assert_eq!(o.refused, 0, "{o:?}");
    assert_eq!(o.acknowledged, status.generated, "{o:?}");
    assert!(status.generated >= 15, "{status:?}");
    let log = std::fs::read_to_string(tmp.path().join("agent.log")).unwrap();
    let halvings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("the oracle refused the batch's size: halved"))
        .collect();
    assert_eq!(halvings.len(), 2, "{log}");
    assert!(halvings[0].contains("batch_size=4"), "{}", halvings[0]);
    assert!(halvings[1].contains("batch_size=2"), "{}", halvings[1]);
    let stored: Vec<u64> = oracle.stored().await.iter().map(|s| s.0).collect();
    assert_eq!(stored.len() as u64, status.generated);
    assert!(stored.windows(2).all(|w| w[0] < w[1]));
}

/// A speed-test command that takes 3 s does not hold the agent's loop: heartbeats go on every
/// 100 ms while it runs, and SIGTERM is answered at once (the command is killed).
#[tokio::test]
async fn a_slow_speed_test_delays_no_heartbeat_and_no_signal() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let config = tmp.path().join("agent.toml");
    let port = common::free_port();
    std::fs::write(
        &config,
        format!(
            "state_dir = {state:?}\noracles = [\"http://127.0.0.1:{port}\"]\ninterval = \"100ms\"\ntick = \"100ms\"\nshutdown_grace = \"1s\"\nspeedtest_every = \"1h\"\nspeedtest_command = [\"sh\", \"-c\", \"sleep 3; echo '{{\\\"download_kbps\\\":1,\\\"upload_kbps\\\":1,\\\"latency_ms\\\":1}}'\"]\n"
        ),
    )
    .unwrap();
    let agent = || {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_depin-agent"));
        c.arg("--config").arg(&config).kill_on_drop(true);
        c
    };
    assert!(agent().arg("init").output().await.unwrap().status.success());
    let mut run = agent()
        .arg("run")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let status = depin_agent::status::Status::read(&state).unwrap();
    assert!(status.generated >= 8, "{status:?}");
    let asked = std::time::Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(run.id().unwrap()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(run.wait().await.unwrap().success());
    // The grace (1 s, nobody listening) and no wait for the speed test's 3 s.
    assert!(
        asked.elapsed() < Duration::from_millis(2500),
        "{:?}",
        asked.elapsed()
    );
}
