//! The device key, kept on the device: a Solana keypair JSON file (64 numbers: the 32-byte secret
//! seed, then the public key), mode 0600 in a state directory of mode 0700. Every command refuses
//! a key file or state directory that group or other may read or write. The key file is opened
//! without following a symbolic link, and its type, mode and owner (the effective uid) are checked
//! on the open handle it is then read from. The secret is never printed.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use depin_formats::key_file::{self, KeyFileError};
use depin_formats::keys::{Pubkey, pubkey_of};
use ed25519_dalek::SigningKey;
use rand::RngCore as _;

/// The key file's name in the state directory.
pub const KEY_FILE: &str = "device-key.json";

/// Why the key or the state directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: no device key; run `depin-agent init` first")]
    Missing(String),
    /// The checks every key holder makes (`depin_formats::key_file`).
    #[error(transparent)]
    File(#[from] KeyFileError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| {
        KeyError::File(KeyFileError::Io {
            path: path.display().to_string(),
            source,
        })
    }
}

/// Refuses `path` when group or other have any permission on it (`want` is the mode to advise).
///
/// # Errors
///
/// A loose mode, or the file cannot be read.
pub fn check_private(path: &Path, want: u32) -> Result<(), KeyError> {
    Ok(key_file::check_private(path, want)?)
}

/// Creates the state directory (mode 0700) if missing, and checks its mode.
///
/// # Errors
///
/// It cannot be created, or group/other may access it.
pub fn ensure_state_dir(dir: &Path) -> Result<(), KeyError> {
    if !dir.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(dir))?;
    }
    check_private(dir, 0o700)
}

/// The key file's path in `state_dir`.
#[must_use]
pub fn key_path(state_dir: &Path) -> PathBuf {
    state_dir.join(KEY_FILE)
}

/// Loads the device key, after checking the state directory's mode and the key file
/// (`depin_formats::key_file::load`).
///
/// # Errors
///
/// [`KeyError`]: missing, permissions, or not a 64-number keypair whose public half matches.
pub fn load(state_dir: &Path) -> Result<SigningKey, KeyError> {
    check_private(state_dir, 0o700)?;
    let path = key_path(state_dir);
    if path.symlink_metadata().is_err() {
        return Err(KeyError::Missing(path.display().to_string()));
    }
    Ok(key_file::load(&path)?)
}

/// Generates the device key if there is none (file mode 0600, written durably); returns the key
/// and whether it was created now.
///
/// # Errors
///
/// The state directory or key file has a bad mode, or cannot be written.
pub fn init(state_dir: &Path) -> Result<(SigningKey, bool), KeyError> {
    ensure_state_dir(state_dir)?;
    if key_path(state_dir).symlink_metadata().is_ok() {
        return load(state_dir).map(|k| (k, false));
    }
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let key = SigningKey::from_bytes(&seed);
    let path = key_path(state_dir);
    crate::fsutil::write_atomic(&path, key_file::to_json(&key).as_bytes(), 0o600)
        .map_err(io(&path))?;
    Ok((key, true))
}

/// The device's public key.
#[must_use]
pub fn device(key: &SigningKey) -> Pubkey {
    pubkey_of(key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn init_load_and_permissions() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        let (key, created) = init(&dir).unwrap();
        assert!(created);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&key_path(&dir)), 0o600);
        let (again, created) = init(&dir).unwrap();
        assert!(!created);
        assert_eq!(again.to_bytes(), key.to_bytes());
        // Solana's format: 64 numbers, the public key last.
        let bytes: Vec<u8> =
            serde_json::from_str(&std::fs::read_to_string(key_path(&dir)).unwrap()).unwrap();
        assert_eq!(bytes.len(), 64);
        assert_eq!(&bytes[32..], key.verifying_key().as_bytes());

        std::fs::set_permissions(key_path(&dir), std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = load(&dir).unwrap_err().to_string();
        let path = key_path(&dir).display().to_string();
        assert_eq!(
            err,
            format!(
                "{path} has mode 0640: group and other must have no access to a secret key; fix it with `chmod 600 {path}`"
            )
        );
        std::fs::set_permissions(key_path(&dir), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = load(&dir).unwrap_err().to_string();
        let d = dir.display().to_string();
        assert_eq!(
            err,
            format!(
                "{d} has mode 0755: group and other must have no access to a secret key; fix it with `chmod 700 {d}`"
            )
        );
        assert!(init(&dir).is_err());
    }

    #[test]
    fn a_symlinked_key_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        init(&dir).unwrap();
        let elsewhere = tmp.path().join("key.json");
        std::fs::rename(key_path(&dir), &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, key_path(&dir)).unwrap();
        let path = key_path(&dir).display().to_string();
        let want = format!(
            "{path} is a symbolic link or not a regular file: a secret key must be a regular file"
        );
        assert_eq!(load(&dir).unwrap_err().to_string(), want);
        // init does not write through it either.
        assert_eq!(init(&dir).unwrap_err().to_string(), want);
        // A dangling link is not "missing" (init would otherwise create a key through it).
        std::fs::remove_file(&elsewhere).unwrap();
        assert_eq!(init(&dir).unwrap_err().to_string(), want);
        assert!(!elsewhere.exists());
        // A directory in its place.
        std::fs::remove_file(key_path(&dir)).unwrap();
        DirBuilder::new()
            .mode(0o700)
            .create(key_path(&dir))
            .unwrap();
        assert_eq!(load(&dir).unwrap_err().to_string(), want);
        // (A key owned by another uid is refused too; not tested: the tests may run as root.)
    }
}
