//! A secret key kept in a file: a Solana keypair JSON (64 numbers: the 32-byte secret seed, then
//! the public key). One home for how every holder reads its own key (the device agent its device
//! key, the maker service its maker key): the file is opened without following a symbolic link,
//! and its type, mode and owner are checked on the open handle it is then read from. A key that
//! group or other may access, a link, or a file owned by another user is refused, naming the
//! `chmod` or `chown` that fixes it. The secret is never printed.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use ed25519_dalek::SigningKey;

/// Why a key file (or the private directory holding it) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error(
        "{path} has mode {mode:04o}: group and other must have no access to a secret key; fix it with `chmod {want:o} {path}`"
    )]
    Permissions { path: String, mode: u32, want: u32 },
    #[error("{0} is a symbolic link or not a regular file: a secret key must be a regular file")]
    NotRegular(String),
    #[error(
        "{path} is owned by uid {owner}, not by this process's user (uid {euid}): fix it with `chown {euid} {path}`"
    )]
    Owner { path: String, owner: u32, euid: u32 },
    #[error("{path}: {detail}")]
    Malformed { path: String, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Refuses `path` (a file or a directory) when group or other have any permission on it
/// (`want` is the mode to advise).
///
/// # Errors
///
/// [`KeyFileError::Permissions`], or `path` cannot be read.
pub fn check_private(path: &Path, want: u32) -> Result<(), KeyFileError> {
    let mode = std::fs::metadata(path)
        .map_err(io(path))?
        .permissions()
        .mode()
        & 0o7777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions {
            path: path.display().to_string(),
            mode,
            want,
        });
    }
    Ok(())
}

/// Reads and parses the key at `path` (see the module's checks).
///
/// # Errors
///
/// Any [`KeyFileError`].
pub fn load(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = read_private(path)?;
    parse(&text).map_err(|detail| KeyFileError::Malformed {
        path: path.display().to_string(),
        detail,
    })
}

/// Reads the key file: opened without following a symbolic link, then on that handle: a regular
/// file, no access for group or other, owned by the effective uid.
fn read_private(path: &Path) -> Result<String, KeyFileError> {
    let shown = || path.display().to_string();
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) {
                KeyFileError::NotRegular(shown())
            } else {
                io(path)(e)
            }
        })?;
    let meta = file.metadata().map_err(io(path))?;
    if !meta.file_type().is_file() {
        return Err(KeyFileError::NotRegular(shown()));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions {
            path: shown(),
            mode,
            want: 0o600,
        });
    }
    let euid = nix::unistd::geteuid().as_raw();
    if meta.uid() != euid {
        return Err(KeyFileError::Owner {
            path: shown(),
            owner: meta.uid(),
            euid,
        });
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io(path))?;
    Ok(text)
}

/// Parses a Solana keypair JSON (64 numbers).
///
/// # Errors
///
/// Not 64 byte values, or the public half is not the secret's.
pub fn parse(text: &str) -> Result<SigningKey, String> {
    let bytes: Vec<u8> = serde_json::from_str(text)
        .map_err(|_| "not a keypair file (a JSON array of 64 numbers 0..=255)".to_string())?;
    let Ok(pair) = <[u8; 64]>::try_from(bytes.as_slice()) else {
        return Err(format!("a keypair has 64 bytes, this one {}", bytes.len()));
    };
    SigningKey::from_keypair_bytes(&pair)
        .map_err(|_| "the public half does not match the secret half".to_string())
}

/// The key as a keypair file's JSON.
#[must_use]
pub fn to_json(key: &SigningKey) -> String {
    let numbers: Vec<String> = key
        .to_keypair_bytes()
        .iter()
        .map(ToString::to_string)
        .collect();
    format!("[{}]", numbers.join(","))
}

/// Writes `key` to a new file at `path` (mode 0600, created exclusively: an existing file or a
/// symbolic link there is refused, never written through), fsynced with its directory.
///
/// # Errors
///
/// The file exists or cannot be written.
pub fn create(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)
        .map_err(io(path))?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io(path))?;
    f.write_all(to_json(key).as_bytes()).map_err(io(path))?;
    f.sync_all().map_err(io(path))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn create_load_and_refusals() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key.json");
        let key = SigningKey::from_bytes(&[7; 32]);
        create(&path, &key).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load(&path).unwrap().to_bytes(), key.to_bytes());
        // Never over an existing file.
        assert!(create(&path, &SigningKey::from_bytes(&[8; 32])).is_err());
        assert_eq!(load(&path).unwrap().to_bytes(), key.to_bytes());

        let shown = path.display().to_string();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(
            load(&path).unwrap_err().to_string(),
            format!(
                "{shown} has mode 0640: group and other must have no access to a secret key; fix it with `chmod 600 {shown}`"
            )
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = tmp.path().join("link.json");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let l = link.display().to_string();
        assert_eq!(
            load(&link).unwrap_err().to_string(),
            format!(
                "{l} is a symbolic link or not a regular file: a secret key must be a regular file"
            )
        );
        // create does not write through a link either.
        std::fs::remove_file(&path).unwrap();
        assert!(create(&link, &key).is_err());
        assert!(!path.exists());
        // (A key owned by another uid is refused too; not tested: the tests may run as root.)
    }

    #[test]
    fn parse_refusals() {
        assert_eq!(
            parse("[1,2,3]").unwrap_err(),
            "a keypair has 64 bytes, this one 3"
        );
        let mut pair = SigningKey::from_bytes(&[1; 32]).to_keypair_bytes();
        pair[63] ^= 1;
        assert_eq!(
            parse(&serde_json::to_string(&pair.to_vec()).unwrap()).unwrap_err(),
            "the public half does not match the secret half"
        );
        let key = SigningKey::from_bytes(&[3; 32]);
        assert_eq!(parse(&to_json(&key)).unwrap().to_bytes(), key.to_bytes());
    }
}
