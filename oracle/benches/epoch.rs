//! Epoch engine benchmark (not a timed test): synthetic devices x 24 reports each, wall time
//! per phase and peak RSS, printed as a markdown table.
//!
//! ```text
//! cargo bench -p depin-oracle --bench epoch                      # 10k and 100k devices
//! cargo bench -p depin-oracle --bench epoch -- 1000000           # any sizes
//! ```
//!
//! Data generation is excluded: the peak-RSS counter is reset (`/proc/self/clear_refs`) after
//! the data is built, so "peak RSS" is the process's high-water mark while the engine runs,
//! which includes the input reports it holds. Signature checks happen at ingest, not in the
//! engine; their batch throughput is measured separately on a sample.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "a benchmark binary: failing loudly is the point"
)]

use std::time::{Duration, Instant};

use depin_oracle::epoch::{self, DeviceReports, EpochConfig, EpochReports};
use depin_oracle::keys::Pubkey;
use depin_oracle::report::{
    Beacon, Heartbeat, JobReceipt, Payload, Report, Speedtest, Witness, verify_batch,
};
use depin_oracle::transparency;
use depin_oracle::verify::{
    Context, Device, DeviceKind, DeviceStatus, EpochWindow, Observation, Registry, ScoringParams,
};
use ed25519_dalek::SigningKey;
use h3o::{LatLng, Resolution};
use sha2::{Digest, Sha256};

const START: i64 = 1_767_225_600;
const GRID: usize = 1000;
const FREQ: u32 = 915_000;

fn key(tag: &[u8], i: usize) -> Pubkey {
    Pubkey(
        Sha256::new()
            .chain_update(tag)
            .chain_update(i.to_le_bytes())
            .finalize()
            .into(),
    )
}

fn proc_status(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{}", kib / 1024)
}

/// Devices on a ~1.1 km grid (0.01°), 1% compute nodes, three devices per owner.
fn generate(n: usize, customer: &SigningKey) -> (Registry, EpochReports, Vec<(Pubkey, u64)>) {
    let mut devices = Vec::with_capacity(n);
    for i in 0..n {
        let lat = 30.0 + (i / GRID) as f64 * 0.01;
        let lon = -100.0 + (i % GRID) as f64 * 0.01;
        devices.push(Device {
            key: key(b"device", i),
            owner: key(b"owner", i / 3),
            maker: key(b"maker", 0),
            location: u64::from(LatLng::new(lat, lon).unwrap().to_cell(Resolution::Ten)),
            kind: if i % 100 == 99 {
                DeviceKind::Compute
            } else {
                DeviceKind::Connectivity
            },
            status: if i % 1000 == 7 {
                DeviceStatus::Decommissioned
            } else {
                DeviceStatus::Active
            },
        });
    }
    let mut groups = Vec::with_capacity(n);
    for (i, d) in devices.iter().enumerate() {
        let mut o = Vec::with_capacity(24);
        let mut nonce = 0u64;
        let mut push = |t: i64, p: Payload| {
            o.push(Observation {
                timestamp: START + t,
                nonce,
                payload: p,
            });
            nonce += 1;
        };
        if d.kind == DeviceKind::Compute {
            for j in 0..24u64 {
                let r = if j < 4 {
                    Payload::JobReceipt(Box::new(JobReceipt::signed(&d.key, j, 100 + j, customer)))
                } else {
                    Payload::Heartbeat(Heartbeat::default())
                };
                push(j as i64 * 3600, r);
            }
        } else {
            // 20 heartbeats (every 10th device is offline half the day), a speedtest, a
            // beacon and two witnesses of neighbours' beacons.
            let hours = if i % 10 == 3 { 10 } else { 20 };
            for h in 0..20i64 {
                if h < hours {
                    push(h * 3600 + 30, Payload::Heartbeat(Heartbeat::default()));
                } else {
                    push(h * 3600 + 40, Payload::Heartbeat(Heartbeat::default()));
                }
            }
            push(
                3600,
                Payload::Speedtest(Speedtest {
                    download_kbps: [150_000, 60_000, 30_000, 1_000][i % 4],
                    upload_kbps: 12_000,
                    latency_ms: 30,
                }),
            );
            push(
                7200,
                Payload::Beacon(Beacon {
                    beacon_id: i as u64,
                    tx_power_ddbm: 270,
                    frequency_khz: FREQ,
                }),
            );
            for (k, neighbour) in [i + 1, i + GRID].into_iter().enumerate() {
                let neighbour = neighbour % n;
                push(
                    7300 + k as i64,
                    Payload::Witness(Box::new(Witness {
                        beaconer: key(b"device", neighbour),
                        beacon_id: neighbour as u64,
                        rssi_ddbm: if i % 17 == 0 { -300 } else { -1000 },
                        frequency_khz: FREQ,
                    })),
                );
            }
        }
        groups.push(DeviceReports {
            device: d.key,
            observations: o,
        });
    }
    let previous = (0..n / 3)
        .step_by(2)
        .map(|w| (key(b"owner", w), 1_000 + w as u64))
        .collect();
    (
        Registry::new(devices).unwrap(),
        EpochReports::from_groups(groups),
        previous,
    )
}

struct Row {
    devices: usize,
    phases: Vec<(&'static str, Duration)>,
    total: Duration,
    peak_kib: u64,
    data_kib: u64,
}

fn run(n: usize) -> Row {
    let customer = SigningKey::from_bytes(&[30; 32]);
    let (registry, reports, previous) = generate(n, &customer);
    let data_kib = proc_status("VmRSS:");
    // Reset the high-water mark: generation is excluded.
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    let config = EpochConfig {
        epoch: 1,
        budget: 1_000_000_000_000,
        window: EpochWindow::new(START, START + 24 * 3600).unwrap(),
        customers: vec![depin_oracle::keys::pubkey_of(&customer)],
        scoring: ScoringParams::default(),
    };
    let mut phases = Vec::new();
    let t0 = Instant::now();
    let mut lap = |name: &'static str, since: &mut Instant| {
        phases.push((name, since.elapsed()));
        *since = Instant::now();
    };
    let mut t = Instant::now();
    let prepared = epoch::prepare(&registry, reports, &config.window);
    lap("prepare", &mut t);
    let beacons = epoch::beacons(&registry, &prepared);
    lap("beacons", &mut t);
    let ctx = Context {
        window: config.window,
        registry: &registry,
        beacons: &beacons,
        params: &config.scoring,
        customers: &config.customers,
    };
    let verdicts = epoch::score(&registry, prepared, &ctx);
    lap("score", &mut t);
    let (devices, split) = epoch::split_rewards(&registry, verdicts, config.budget).unwrap();
    lap("split", &mut t);
    let wallets = epoch::rollup(&devices, previous).unwrap();
    lap("rollup", &mut t);
    let root = epoch::root(&wallets).unwrap();
    lap("tree", &mut t);
    let result = epoch::EpochResult {
        config: config.clone(),
        total_score: split.total_score,
        distributed: split.distributed,
        unspent: split.unspent,
        devices,
        wallets,
        root,
        reports_scored: 0,
        reports_unknown_device: 0,
    };
    let out = std::env::temp_dir().join(format!("depin-oracle-bench-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let written =
        transparency::write_epoch(&out, &result, &Default::default(), &Default::default()).unwrap();
    lap("write files", &mut t);
    let total = t0.elapsed();
    let verified = transparency::verify_epoch_dir(&written.dir, None).unwrap();
    phases.push(("(verify files)", t.elapsed()));
    assert_eq!(verified.devices, n);
    assert_eq!(result.distributed, config.budget);
    let peak_kib = proc_status("VmHWM:");
    let _ = std::fs::remove_dir_all(&out);
    Row {
        devices: n,
        phases,
        total,
        peak_kib,
        data_kib,
    }
}

fn signature_throughput() -> (usize, Duration) {
    let n = 10_000;
    let signers: Vec<SigningKey> = (0..64u8)
        .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
        .collect();
    let reports: Vec<_> = (0..n)
        .map(|i| {
            let s = &signers[i % signers.len()];
            Report {
                device: depin_oracle::keys::pubkey_of(s),
                timestamp: START + i as i64,
                nonce: i as u64,
                payload: Payload::Heartbeat(Heartbeat::default()),
            }
            .sign(s)
        })
        .collect();
    let t = Instant::now();
    let ok = reports
        .chunks(depin_oracle::inputs::BATCH)
        .flat_map(verify_batch)
        .filter(Result::is_ok)
        .count();
    assert_eq!(ok, n);
    (n, t.elapsed())
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` this only smoke-tests
    // the harness at a tiny size.
    let benching = std::env::args().any(|a| a == "--bench");
    let sizes = match (sizes.is_empty(), benching) {
        (false, _) => sizes,
        (true, true) => vec![10_000, 100_000],
        (true, false) => vec![1_000],
    };
    let rows: Vec<Row> = sizes.iter().map(|n| run(*n)).collect();
    let names: Vec<&str> = rows[0].phases.iter().map(|(n, _)| *n).collect();
    println!();
    println!(
        "Epoch engine, {} cores, 24 reports per device (20 heartbeats, 1 speedtest, 1 beacon, 2 witnesses; 1% compute nodes with 4 receipts)",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!();
    print!("| devices | reports |");
    for n in &names {
        print!(" {n} (s) |");
    }
    println!(" engine total (s) | data RSS (MiB) | peak RSS (MiB) |");
    print!("|---:|---:|");
    for _ in &names {
        print!("---:|");
    }
    println!("---:|---:|---:|");
    for r in &rows {
        print!("| {} | {} |", r.devices, r.devices * 24);
        for (_, d) in &r.phases {
            print!(" {:.3} |", d.as_secs_f64());
        }
        println!(
            " {:.3} | {} | {} |",
            r.total.as_secs_f64(),
            mib(r.data_kib),
            mib(r.peak_kib)
        );
    }
    let (n, d) = signature_throughput();
    println!();
    println!(
        "Ingest signature check (ed25519 batch of {}, one core): {n} reports in {:.3} s = {:.0} reports/s",
        depin_oracle::inputs::BATCH,
        d.as_secs_f64(),
        n as f64 / d.as_secs_f64()
    );
}
