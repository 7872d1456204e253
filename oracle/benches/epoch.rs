//! Epoch engine benchmark (not a timed test): synthetic devices x 24 reports each, wall time
//! per phase and peak RSS, printed as a markdown table.
//!
//! ```text
//! cargo bench -p depin-oracle --bench epoch                      # 10k and 100k devices
//! cargo bench -p depin-oracle --bench epoch -- 1000000           # any sizes
//! cargo bench -p depin-oracle --bench epoch -- path 100000        # the real input path
//! ```
//!
//! `path` measures what `oracle serve`'s epoch task and `oracle epoch run` really do, from a
//! SQLite database of signed reports (see `run_path`); `DEPIN_BENCH_KEEP=1` keeps its data
//! directory (for a profile of `oracle epoch run` over it).
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

use depin_formats::keys::Pubkey;
use depin_formats::params::{EpochConfig, EpochWindow, HalvingSchedule, ScoringParams};
use depin_formats::report::{
    Beacon, Heartbeat, JobReceipt, Payload, Report, Speedtest, Witness, verify_batch,
};
use depin_formats::transparency::{self, EpochResult};
use depin_oracle::epoch::audit::verify_epoch_dir;
use depin_oracle::epoch::{self, DeviceReports, EpochReports};
use depin_oracle::registry::{Device, DeviceKind, DeviceStatus, Registry};
use depin_oracle::verify::{Context, Observation};
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
    let (devices, groups, previous) = generate_groups(n, customer, &|i| key(b"device", i));
    (
        Registry::new(devices).unwrap(),
        EpochReports::from_groups(groups),
        previous,
    )
}

/// [`generate`]'s devices (device `i` has key `device_key(i)`) and their reports, group `i`
/// being device `i`'s.
fn generate_groups(
    n: usize,
    customer: &SigningKey,
    device_key: &(dyn Fn(usize) -> Pubkey + Sync),
) -> (Vec<Device>, Vec<DeviceReports>, Vec<(Pubkey, u64)>) {
    let mut devices = Vec::with_capacity(n);
    for i in 0..n {
        let lat = 30.0 + (i / GRID) as f64 * 0.01;
        let lon = -100.0 + (i % GRID) as f64 * 0.01;
        devices.push(Device {
            key: device_key(i),
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
                        beaconer: device_key(neighbour),
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
    (devices, groups, previous)
}

struct Row {
    devices: usize,
    phases: Vec<(&'static str, Duration)>,
    total: Duration,
    peak_kib: u64,
    data_kib: u64,
}

/// The benchmark's emission schedule: 500,000,000,000 per epoch, no halving in sight.
const EMISSION: HalvingSchedule = HalvingSchedule {
    initial_epoch_emission: 500_000_000_000,
    halving_interval_epochs: 1_000_000,
};

fn run(n: usize) -> Row {
    let customer = SigningKey::from_bytes(&[30; 32]);
    let (registry, reports, previous) = generate(n, &customer);
    let data_kib = proc_status("VmRSS:");
    // Reset the high-water mark: generation is excluded.
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    // Epoch 1 after the previous totals: the emission of epochs 0..=1 less them.
    let budget =
        epoch::budget::derive(&EMISSION, 1, epoch::previous_total(&previous).unwrap()).unwrap();
    let config = EpochConfig {
        epoch: 1,
        budget: budget.budget,
        emission: budget.emission,
        carried: budget.carried,
        emission_schedule: EMISSION,
        window: EpochWindow::new(START, START + 24 * 3600).unwrap(),
        customers: vec![depin_formats::keys::pubkey_of(&customer)],
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
    let root = depin_formats::tree::root(&wallets).unwrap();
    lap("tree", &mut t);
    let result = EpochResult {
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
    let verified = verify_epoch_dir(&written.dir, None).unwrap();
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
                device: depin_formats::keys::pubkey_of(s),
                timestamp: START + i as i64,
                nonce: i as u64,
                payload: Payload::Heartbeat(Heartbeat::default()),
            }
            .sign(s)
        })
        .collect();
    let t = Instant::now();
    let ok = reports
        .chunks(depin_oracle::epoch::inputs::BATCH)
        .flat_map(verify_batch)
        .filter(Result::is_ok)
        .count();
    assert_eq!(ok, n);
    (n, t.elapsed())
}

/// One size of the input-path benchmark.
struct PathRow {
    devices: usize,
    reports: usize,
    db_mib: u64,
    jsonl_mib: u64,
    publish: Duration,
    publish_peak_kib: u64,
    run: Duration,
    run_peak_kib: u64,
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Runs `cmd` to completion: its wall time and peak RSS (KiB). The peak is the child's own
/// `VmHWM`, polled every 5 ms until it exits (it only grows). `wait4`'s `ru_maxrss` would not
/// do: Linux starts it at the parent's high-water mark when the child is spawned with a shared
/// address space, as `posix_spawn` does.
fn run_child(cmd: &mut std::process::Command) -> (Duration, u64) {
    let t = Instant::now();
    let mut child = cmd
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            let hwm = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(hwm);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = t.elapsed();
    assert!(status.success(), "{cmd:?} failed: {status}");
    (elapsed, peak_kib)
}

/// The settings of the input-path benchmark's oracle, over `dir`.
fn path_settings(dir: &std::path::Path) -> depin_oracle::settings::Settings {
    use depin_oracle::settings::{Settings, SqliteSync, StorageSettings};
    let customer = SigningKey::from_bytes(&[30; 32]);
    let mut settings = Settings {
        storage: StorageSettings {
            data_dir: dir.to_path_buf(),
            // Only the data set-up's inserts: the measured part reads.
            sqlite_synchronous: SqliteSync::Normal,
            ..StorageSettings::default()
        },
        ..Settings::default()
    };
    settings.epoch.enabled = true;
    settings.epoch.start_ts = START;
    settings.epoch.epoch_secs = 24 * 3600;
    settings.epoch.close_delay = Duration::ZERO;
    settings.epoch.initial_epoch_emission = EMISSION.initial_epoch_emission;
    settings.epoch.halving_interval_epochs = EMISSION.halving_interval_epochs;
    settings.epoch.customers = vec![depin_formats::keys::pubkey_of(&customer)];
    settings
}

/// `publish-epoch <dir>`: this benchmark re-run as a child process, which runs the epoch task
/// of `oracle serve` (`Publisher::publish_next`) once over the database in `dir`, so that its
/// peak RSS is its own.
fn publish_epoch(dir: &std::path::Path) {
    use depin_oracle::epoch::publish::Publisher;
    use depin_oracle::store::Store;
    let settings = path_settings(dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::connect(&settings.storage).await.unwrap();
        let publisher = Publisher::new(&settings, store.clone()).unwrap();
        let published = publisher
            .publish_next(START + 2 * 24 * 3600)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(published.epoch, 0);
        store.close().await;
    });
}

/// The real input path at `n` devices: every report signed by its device's real key and
/// stored in a SQLite oracle database in timestamp order; then, each as its own process,
/// (1) the epoch task of `oracle serve` (`publish-epoch`: the streaming query, reports.jsonl,
/// signature re-verification, the engine, the files and their self-check) and (2) `oracle
/// epoch run` over the input directory the task wrote. Both must write the same
/// manifest.json, byte for byte.
fn run_path(n: usize) -> PathRow {
    use depin_formats::report::SignedReport;
    use depin_oracle::store::Store;
    use rayon::prelude::*;

    let customer = SigningKey::from_bytes(&[30; 32]);
    let signers: Vec<SigningKey> = (0..n)
        .into_par_iter()
        .map(|i| {
            let seed: [u8; 32] = Sha256::new()
                .chain_update(b"device-seed")
                .chain_update(i.to_le_bytes())
                .finalize()
                .into();
            SigningKey::from_bytes(&seed)
        })
        .collect();
    let pubkeys: Vec<Pubkey> = signers.iter().map(depin_formats::keys::pubkey_of).collect();
    let (devices, groups, _) = generate_groups(n, &customer, &|i| pubkeys[i]);
    let reports: usize = groups.iter().map(|g| g.observations.len()).sum();

    let dir = std::env::temp_dir().join(format!("depin-oracle-path-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let settings = path_settings(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("device,owner,maker,location,kind,status\n");
    for d in &devices {
        let kind = match d.kind {
            DeviceKind::Connectivity => "connectivity",
            DeviceKind::Compute => "compute",
        };
        let status = match d.status {
            DeviceStatus::Active => "active",
            DeviceStatus::Decommissioned => "decommissioned",
        };
        csv.push_str(&format!(
            "{},{},{},{:x},{kind},{status}\n",
            d.key, d.owner, d.maker, d.location
        ));
    }
    std::fs::write(settings.registry_csv(), csv).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(async {
        let store = Store::connect(&settings.storage).await.unwrap();
        store.migrate().await.unwrap();
        store
    });
    // Stored in timestamp order, as an ingest stores reports that arrive as they are made
    // (the table's rowid order then follows ts, as the epoch's index scan reads it).
    let mut order: Vec<(i64, u32, u8)> = Vec::with_capacity(reports);
    for (d, g) in groups.iter().enumerate() {
        for (k, o) in g.observations.iter().enumerate() {
            order.push((
                o.timestamp,
                u32::try_from(d).unwrap(),
                u8::try_from(k).unwrap(),
            ));
        }
    }
    order.sort_unstable();
    for chunk in order.chunks(240_000) {
        let signed: Vec<SignedReport> = chunk
            .par_iter()
            .map(|&(_, d, k)| {
                let g = &groups[d as usize];
                let o = &g.observations[usize::from(k)];
                Report {
                    device: g.device,
                    timestamp: o.timestamp,
                    nonce: o.nonce,
                    payload: o.payload.clone(),
                }
                .sign(&signers[d as usize])
            })
            .collect();
        rt.block_on(async {
            for batch in signed.chunks(4096) {
                store.insert_all(batch, 0).await.unwrap();
            }
        });
    }
    drop(order);
    drop((signers, pubkeys, devices, groups));
    let db_mib = dir_bytes(&dir) >> 20;

    rt.block_on(store.close());
    drop(rt);

    let (publish, publish_peak_kib) = run_child(
        std::process::Command::new(std::env::current_exe().unwrap())
            .arg("publish-epoch")
            .arg(&dir),
    );
    let inputs = dir.join("epoch-inputs/epoch-0");
    let jsonl_mib = std::fs::metadata(inputs.join("reports.jsonl"))
        .unwrap()
        .len()
        >> 20;
    let out = dir.join("epoch-run");
    let (run, run_peak_kib) = run_child(
        std::process::Command::new(env!("CARGO_BIN_EXE_oracle"))
            .arg("epoch")
            .arg("run")
            .arg("--inputs")
            .arg(&inputs)
            .arg("--out")
            .arg(&out),
    );
    let manifest = |d: &std::path::Path| std::fs::read(d.join("epoch-0/manifest.json")).unwrap();
    assert!(
        manifest(&dir.join("epochs")) == manifest(&out),
        "the epoch task and epoch run disagree"
    );
    if std::env::var_os("DEPIN_BENCH_KEEP").is_some() {
        eprintln!("kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    PathRow {
        devices: n,
        reports,
        db_mib,
        jsonl_mib,
        publish,
        publish_peak_kib,
        run,
        run_peak_kib,
    }
}

fn print_path(rows: &[PathRow]) {
    println!();
    println!(
        "Epoch input path, {} cores, SQLite: the epoch task of `oracle serve` (store → reports.jsonl → re-verified signatures → engine → files → self-check) and `oracle epoch run` over its input directory (own process)",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!();
    println!(
        "| devices | reports | database (MiB) | reports.jsonl (MiB) | epoch task (s) | epoch task peak RSS (MiB) | epoch run (s) | epoch run peak RSS (MiB) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {:.1} | {} | {:.1} | {} |",
            r.devices,
            r.reports,
            r.db_mib,
            r.jsonl_mib,
            r.publish.as_secs_f64(),
            mib(r.publish_peak_kib),
            r.run.as_secs_f64(),
            mib(r.run_peak_kib)
        );
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` this only smoke-tests
    // the harness at a tiny size.
    let benching = std::env::args().any(|a| a == "--bench");
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "publish-epoch") {
        // The epoch task's own log lines time its phases.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(std::io::stderr)
            .init();
        publish_epoch(std::path::Path::new(&args[i + 1]));
        return;
    }
    // `path`: the real input path instead of the engine alone.
    if args.iter().any(|a| a == "path") {
        let sizes = match (sizes.is_empty(), benching) {
            (false, _) => sizes,
            (true, true) => vec![10_000, 100_000],
            (true, false) => vec![200],
        };
        let rows: Vec<PathRow> = sizes.iter().map(|n| run_path(*n)).collect();
        print_path(&rows);
        return;
    }
    if !benching {
        // The smoke test covers the input path too.
        print_path(&[run_path(200)]);
    }
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
        depin_oracle::epoch::inputs::BATCH,
        d.as_secs_f64(),
        n as f64 / d.as_secs_f64()
    );
}
