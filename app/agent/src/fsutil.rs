//! Durable file writes: write a temporary file, fsync it, rename it over the target, fsync the
//! directory. After a crash the target holds either the old or the new content, never a mix.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt as _};
use std::path::Path;

/// Replaces `path` with `bytes` atomically and durably, the new file with mode `mode`.
///
/// # Errors
///
/// Any I/O error, with the path.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    write_via_temp(path, bytes, mode, true)
}

/// Replaces `path` with `bytes` atomically for readers (temporary file, rename) but without
/// fsync: for files rewritten every second whose loss in a power cut costs nothing
/// (status.json), sparing the device's flash and CPU.
///
/// # Errors
///
/// Any I/O error, with the path.
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    write_via_temp(path, bytes, mode, false)
}

fn write_via_temp(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = (|| -> std::io::Result<()> {
        // A stale temporary file (a crash mid-write), or anything planted there (a symbolic
        // link), goes; the new one is created exclusively, never through a link.
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The mode as asked, whatever the umask.
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        if durable {
            sync_dir(dir)?;
        }
        Ok(())
    })();
    result.map_err(|e| std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display())))
}

/// fsyncs a directory (its entries: a rename or a new file in it survives a crash).
///
/// # Errors
///
/// The directory cannot be opened or synced.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = "lock";

/// An exclusive lock (`flock`) on `<state_dir>/lock`, held until dropped: one process at a time
/// reserves nonces and writes the spool.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// Takes the state directory's lock and writes this process's id into the lock file.
///
/// # Errors
///
/// Another process holds it (the error names the lock file and the pid written there), or an
/// I/O error.
pub fn lock_state(dir: &Path) -> std::io::Result<StateLock> {
    use std::io::{Read as _, Seek as _};
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("opening {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another process".to_string()
            } else {
                format!("process {holder}")
            };
            return Err(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!(
                    "{} is locked by {who}: another agent runs on this state directory",
                    path.display()
                ),
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("locking {}: {e}", path.display()),
            ));
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())?;
    Ok(StateLock { _file: file })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_stale_or_planted_temp_file_is_replaced_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("k.json");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::write(&elsewhere, b"untouched").unwrap();
        std::os::unix::fs::symlink(&elsewhere, tmp.path().join(".k.json.tmp")).unwrap();
        write_atomic(&target, b"new", 0o600).unwrap();
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"untouched");
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let meta = std::fs::symlink_metadata(&target).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        // A stale regular temp file with a looser mode.
        std::fs::write(tmp.path().join(".k.json.tmp"), b"stale").unwrap();
        std::fs::set_permissions(
            tmp.path().join(".k.json.tmp"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        write_atomic(&target, b"newer", 0o600).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"newer");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn the_state_lock_is_exclusive() {
        let tmp = tempfile::tempdir().unwrap();
        let held = lock_state(tmp.path()).unwrap();
        let err = lock_state(tmp.path()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        assert_eq!(
            err.to_string(),
            format!(
                "{} is locked by process {}: another agent runs on this state directory",
                tmp.path().join(LOCK_FILE).display(),
                std::process::id()
            )
        );
        drop(held);
        lock_state(tmp.path()).unwrap();
    }
}
