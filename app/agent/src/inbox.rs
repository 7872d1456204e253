//! Witness and beacon reports handed in by the radio side: `depin-agent witness ...` and
//! `depin-agent beacon ...` write one JSON payload per file into `<state_dir>/inbox/`
//! (atomically: a hidden temporary file renamed into place). The running agent signs each with
//! the next nonce, writes it to the spool, and only then removes the file: only the running
//! agent allocates nonces. A crash between the spool write and the removal makes the agent sign
//! that payload again after the restart, as a second report with a new nonce.

use std::path::{Path, PathBuf};

use depin_formats::report::Payload;

/// The inbox's directory in the state directory.
pub const INBOX_DIR: &str = "inbox";

/// The inbox directory.
#[must_use]
pub fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join(INBOX_DIR)
}

/// Writes one payload (a witness or beacon) for the running agent.
///
/// # Errors
///
/// Another kind of payload, or an I/O error.
pub fn submit(state_dir: &Path, payload: &Payload) -> std::io::Result<PathBuf> {
    if !matches!(payload, Payload::Witness(_) | Payload::Beacon(_)) {
        return Err(std::io::Error::other(
            "only witness and beacon payloads go through the inbox",
        ));
    }
    let dir = dir(state_dir);
    std::fs::create_dir_all(&dir)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let path = dir.join(format!("{nanos:024}-{}.json", std::process::id()));
    let json = serde_json::to_vec(payload).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(&path, &json, 0o600)?;
    Ok(path)
}

/// The waiting files, oldest first (hidden temporaries and refused files are skipped).
///
/// # Errors
///
/// The directory cannot be read.
pub fn pending(state_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let dir = dir(state_dir);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    files.sort();
    Ok(files)
}

/// Reads one file's payload.
///
/// # Errors
///
/// Not a witness or beacon payload in JSON.
pub fn read(path: &Path) -> Result<Payload, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let payload: Payload = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    match payload {
        Payload::Witness(_) | Payload::Beacon(_) => Ok(payload),
        _ => Err("only witness and beacon payloads are taken from the inbox".into()),
    }
}

/// Done with a file: removes it (durably).
///
/// # Errors
///
/// I/O errors.
pub fn remove(path: &Path) -> std::io::Result<()> {
    std::fs::remove_file(path)?;
    crate::fsutil::sync_dir(path.parent().unwrap_or_else(|| Path::new(".")))
}

/// A file that cannot be read as a payload is renamed `<name>.refused` and left for a person.
///
/// # Errors
///
/// I/O errors.
pub fn refuse(path: &Path) -> std::io::Result<()> {
    let mut to = path.as_os_str().to_owned();
    to.push(".refused");
    std::fs::rename(path, to)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use depin_formats::keys::Pubkey;
    use depin_formats::report::{Beacon, Heartbeat, Witness};

    #[test]
    fn submit_pending_read_remove() {
        let tmp = tempfile::tempdir().unwrap();
        let w = Payload::Witness(Box::new(Witness {
            beaconer: Pubkey([5; 32]),
            beacon_id: 9,
            rssi_ddbm: -1105,
            frequency_khz: 915_000,
        }));
        let b = Payload::Beacon(Beacon {
            beacon_id: 3,
            tx_power_ddbm: 270,
            frequency_khz: 915_000,
        });
        let p1 = submit(tmp.path(), &w).unwrap();
        let p2 = submit(tmp.path(), &b).unwrap();
        assert!(submit(tmp.path(), &Payload::Heartbeat(Heartbeat::default())).is_err());
        assert_eq!(pending(tmp.path()).unwrap(), vec![p1.clone(), p2.clone()]);
        assert_eq!(read(&p1).unwrap(), w);
        remove(&p1).unwrap();
        std::fs::write(&p2, b"{}").unwrap();
        assert!(read(&p2).is_err());
        refuse(&p2).unwrap();
        assert!(pending(tmp.path()).unwrap().is_empty());
    }
}
