//! The main job's timings: runs `depin-dev sim --json` (a local validator, the migrations, two
//! oracle processes and a simulated fleet; see ARCHITECTURE.md, "The simulator") for each
//! scenario, one after the other, and prints a table of wall time split by phase, with the
//! transactions sent and the blockhash expiries they met; the table is also written to
//! `bench/network.md`.
//!
//! ```text
//! cargo build -p depin-dev -p depin-oracle --bins
//! cargo run -p depin-bench --example network -- [--quick] [--only TEXT]
//! ```
//!
//! Scenarios: the default demo (1,000 devices, 3 epochs); 1,000 owners' claims (1,000 devices,
//! one owner each, 1 epoch); 10,000 devices for 1 epoch. `--quick` runs only 50 devices for
//! 1 epoch. Epochs run in real time (15 s on the local network), so the full set takes about
//! twenty minutes.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

struct Scenario {
    name: &'static str,
    args: &'static [&'static str],
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "default demo: 1,000 devices, 3 epochs",
        args: &["--devices", "1000", "--epochs", "3"],
    },
    Scenario {
        name: "1,000 owners' claims: 1,000 devices, 1 epoch",
        args: &["--devices", "1000", "--owners", "1000", "--epochs", "1"],
    },
    Scenario {
        name: "10,000 devices, 1 epoch",
        args: &["--devices", "10000", "--epochs", "1"],
    },
];

const QUICK: Scenario = Scenario {
    name: "quick: 50 devices, 1 epoch",
    args: &["--devices", "50", "--epochs", "1"],
};

/// The phases of `depin-dev sim`'s report, in order, as the table's columns.
const PHASES: [(&str, &str); 9] = [
    ("local network + migrations", "network"),
    ("oracles", "oracles"),
    ("onboard", "onboard"),
    ("epochs (real time)", "epochs"),
    ("final roots", "roots"),
    ("claims", "claims"),
    ("treasury", "treasury"),
    ("governance", "vote"),
    ("conservation checks", "checks"),
];

fn run(depin: &PathBuf, out: &PathBuf, s: &Scenario) -> Result<Value> {
    eprintln!("running: {} ...", s.name);
    let output = Command::new(depin)
        .arg("sim")
        .args(s.args)
        .args(["--json", "--out"])
        .arg(out)
        .output()
        .with_context(|| format!("running {}", depin.display()))?;
    if !output.status.success() {
        bail!(
            "{}: depin-dev sim failed ({}):\n{}",
            s.name,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("{}: the report", s.name))
}

const USAGE: &str = "usage: network [--quick] [--only TEXT]
  runs `depin-dev sim` per scenario and writes the table to bench/network.md
  --quick       50 devices for one epoch only
  --only TEXT   only the scenarios whose name contains TEXT";

fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let quick = std::env::args().any(|a| a == "--quick");
    // Examples live in <target>/debug/examples/; the binaries one folder up.
    let exe = std::env::current_exe()?;
    let bin_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .ok_or_else(|| anyhow::anyhow!("{} has no grandparent folder", exe.display()))?;
    let depin = bin_dir.join("depin-dev");
    if !depin.is_file() {
        bail!(
            "{} is missing: cargo build -p depin-dev -p depin-oracle --bins",
            depin.display()
        );
    }
    let root = repository_root()?;
    let out = root.join("target/bench-network");
    // `--only TEXT`: the scenarios whose name contains TEXT (the table then has only those).
    let args: Vec<String> = std::env::args().collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1));
    let scenarios: Vec<&Scenario> = if quick {
        vec![&QUICK]
    } else {
        SCENARIOS
            .iter()
            .filter(|s| only.is_none_or(|o| s.name.contains(o.as_str())))
            .collect()
    };

    let mut table = String::new();
    let _ = writeln!(
        table,
        "| scenario | wall s | {} | transactions | expiries | ms per slot | clock behind s | checks |",
        PHASES.map(|(_, short)| format!("{short} s")).join(" | ")
    );
    let _ = writeln!(
        table,
        "|---|---:|{}---:|---:|---:|---:|---|",
        "---:|".repeat(PHASES.len())
    );
    for s in scenarios {
        let r = run(&depin, &out, s)?;
        let phase = |name: &str| {
            r["phases"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["phase"] == name)
                .and_then(|p| p["secs"].as_f64())
                .map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
        };
        let txs: u64 = r["transactions"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        let checks = r["checks"].as_array().map_or(0, Vec::len);
        let ok = r["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["ok"] == Value::Bool(true));
        let row = format!(
            "| {} | {:.1} | {} | {txs} | {} | {:.0} | {} | {} |",
            s.name,
            r["wall_secs"].as_f64().unwrap_or(0.0),
            PHASES.map(|(name, _)| phase(name)).join(" | "),
            r["blockhash_expiries"],
            r["validator"]["ms_per_slot"].as_f64().unwrap_or(0.0),
            r["validator"]["clock_behind_secs"],
            if ok {
                format!("{checks} ok")
            } else {
                "FAILED".to_string()
            }
        );
        // Each row as it comes, so a failed later scenario keeps the earlier ones.
        eprintln!("{row}");
        let _ = writeln!(table, "{row}");
    }
    println!("\n{table}");
    let md = root.join(if quick || only.is_some() {
        "target/bench-network.md"
    } else {
        "bench/network.md"
    });
    let doc = format!(
        "# The main job's timings\n\nPrinted by `cargo run -p depin-bench --example network` (bench/examples/network.rs): \
         `depin-dev sim` per scenario on this machine, wall time split by phase (\"epochs\" is real \
         time: 15 s epochs), the transactions the simulation sent and the blockhash expiries \
         they met (re-signs; nothing else is retried), and the validator's pace when the last \
         root was final: its average slot (400 ms nominal) and how far its clock was behind \
         this machine's.\n\n{table}"
    );
    std::fs::write(&md, doc).with_context(|| format!("writing {}", md.display()))?;
    eprintln!("written to {}", md.display());
    Ok(())
}

/// The repository: `$DEPIN_ROOT`, else the nearest folder above the current one with
/// `Anchor.toml`.
fn repository_root() -> Result<PathBuf> {
    if let Some(root) = std::env::var_os("DEPIN_ROOT") {
        return Ok(PathBuf::from(root));
    }
    let cwd = std::env::current_dir()?;
    cwd.ancestors()
        .find(|d| d.join("Anchor.toml").is_file())
        .map(std::path::Path::to_path_buf)
        .ok_or_else(|| anyhow!("run from the repository, or set DEPIN_ROOT"))
}
