//! Builds each program's Anchor IDL the way `anchor build` does (Anchor's `idl-build` feature,
//! through `anchor-lang-idl`'s `IdlBuilder`) and writes it to `target/idl/<program>.json`.
//!
//!   idl-gen            build, write target/idl/, and copy to idl/ (the checked-in copies)
//!   idl-gen --check    build, write target/idl/, and fail if any idl/ copy differs
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anchor_lang_idl::build::IdlBuilder;
use anchor_lang_idl::types::Idl;
use anyhow::{Context, Result, bail};

mod resolve;

/// Programs whose IDLs are published: `(program folder, IDL file stem)`.
const PROGRAMS: [(&str, &str); 3] = [
    ("programs/rewards", "rewards"),
    ("programs/staking", "staking"),
    ("programs/treasury", "treasury"),
];

fn build_one(root: &Path, dir: &str) -> Result<Idl> {
    IdlBuilder::new()
        .program_path(root.join(dir))
        .build()
        .with_context(|| format!("building the IDL of {dir}"))
}

/// Every program's IDL, with the accounts Anchor leaves unresolved resolved (`resolve`).
fn build_all(root: &Path) -> Result<Vec<Idl>> {
    let mut idls = PROGRAMS
        .iter()
        .map(|(dir, _)| build_one(root, dir))
        .collect::<Result<Vec<_>>>()?;
    let addresses = resolve::Addresses {
        rewards: idls[0].address.clone(),
        staking: idls[1].address.clone(),
        treasury: idls[2].address.clone(),
    };
    for ((_, name), idl) in PROGRAMS.iter().zip(&mut idls) {
        resolve::patch(name, idl, &addresses).with_context(|| format!("resolving {name}"))?;
    }
    Ok(idls)
}

fn run(check: bool) -> Result<()> {
    // Run-time first: a binary reused from another clone (shared target dir) must still work on
    // the clone that runs it.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let root: PathBuf = match std::env::var_os("DEPIN_ROOT") {
        Some(root) => PathBuf::from(root),
        None => manifest.join("../..").canonicalize()?,
    };
    std::fs::create_dir_all(root.join("target/idl"))?;
    std::fs::create_dir_all(root.join("idl"))?;
    let mut stale = Vec::new();
    for ((_, name), idl) in PROGRAMS.iter().zip(build_all(&root)?) {
        let json = serde_json::to_string_pretty(&idl)? + "\n";
        let file = format!("{name}.json");
        std::fs::write(root.join("target/idl").join(&file), &json)?;
        let checked_in = root.join("idl").join(&file);
        let same = std::fs::read_to_string(&checked_in).is_ok_and(|old| old == json);
        if check {
            if !same {
                stale.push(format!("idl/{file}"));
            }
        } else if !same {
            std::fs::write(&checked_in, &json)?;
            println!("idl-gen: updated idl/{file}");
        }
        println!("idl-gen: target/idl/{file} ({} bytes)", json.len());
    }
    if !stale.is_empty() {
        bail!(
            "stale IDL: {} differ from the programs; run `scripts/build-idl` and commit the result",
            stale.join(", ")
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    // IdlBuilder re-invokes cargo with `+$RUSTUP_TOOLCHAIN` when that is set (as rustup's proxy
    // does for `cargo run`), and formats it wrongly; the toolchain is already the right one.
    // SAFETY: single-threaded, before anything else runs.
    unsafe { std::env::remove_var("RUSTUP_TOOLCHAIN") };
    // IdlBuilder builds with RUSTFLAGS="-A warnings"; in a target dir of its own, that does not
    // invalidate the normal build's artifacts.
    if let Ok(dir) = std::env::var("IDL_CARGO_TARGET_DIR") {
        // SAFETY: as above.
        unsafe { std::env::set_var("CARGO_TARGET_DIR", dir) };
    }
    let check = std::env::args().any(|a| a == "--check");
    match run(check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idl-gen: {e:#}");
            ExitCode::FAILURE
        }
    }
}
