//! The workspace's own promises: program ids agree everywhere, and the harness refuses to run
//! tests against a missing or stale `.so`.

use harness::{ProgramSpec, REWARDS, STAKING, TREASURY, program_bytes, workspace_root};

#[test]
fn anchor_toml_names_the_declared_program_ids() {
    let toml = std::fs::read_to_string(workspace_root().join("Anchor.toml")).unwrap();
    for cluster in ["[programs.localnet]", "[programs.devnet]"] {
        let section = toml
            .split(cluster)
            .nth(1)
            .unwrap_or_else(|| panic!("{cluster} missing"));
        let section = section.split("\n[").next().unwrap();
        for spec in [REWARDS, STAKING, TREASURY] {
            let line = format!("{} = \"{}\"", spec.name, spec.id);
            assert!(section.contains(&line), "{cluster} must contain `{line}`");
        }
    }
}

#[test]
fn idl_addresses_are_the_declared_program_ids() {
    for spec in [REWARDS, STAKING, TREASURY] {
        let path = workspace_root()
            .join("idl")
            .join(format!("{}.json", spec.name));
        let idl = std::fs::read_to_string(&path).unwrap();
        assert!(
            idl.contains(&format!("\"address\": \"{}\"", spec.id)),
            "{} must carry the address {}",
            path.display(),
            spec.id
        );
    }
}

#[test]
#[should_panic(
    expected = "target/deploy/no_such_program.so is missing: build the programs with `scripts/build-sbf`"
)]
fn a_missing_so_is_a_clear_failure() {
    let spec = ProgramSpec {
        id: rewards::ID,
        name: "no_such_program",
        dirs: &["programs/rewards"],
    };
    program_bytes(&spec);
}

#[test]
#[should_panic(expected = "rewards.so is older than")]
fn a_stale_so_is_a_clear_failure() {
    // A shared source folder (listed second, like merkle-sum for rewards) with a file written
    // now, after the .so was built.
    const DIR: &str = "target/stale-source-check";
    let abs = workspace_root().join(DIR);
    std::fs::create_dir_all(&abs).unwrap();
    std::fs::write(abs.join("lib.rs"), "// newer than any build").unwrap();
    let spec = ProgramSpec {
        id: rewards::ID,
        name: "rewards",
        dirs: &["programs/rewards", DIR],
    };
    program_bytes(&spec);
}
