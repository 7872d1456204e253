//! The device's onboarding signature: what a device signs to agree to be onboarded to one
//! owner's wallet, as one kind, until a time (`docs/onboarding.md`). The rewards program checks
//! it through the ed25519 precompile in `onboard_device`; `depin-formats` builds and reads the
//! code that carries it off chain. Both take the layout from here.
//!
//! ```text
//! message = b"depin-onboard-v1" ‖ rewards program id [32] ‖ device [32] ‖ owner [32]
//!           ‖ kind u8 (0 connectivity, 1 compute) ‖ expires_at i64 LE            (121 bytes)
//! ```

/// Domain separation of the device's onboarding signature.
pub const DOMAIN_TAG: &[u8; 16] = b"depin-onboard-v1";
/// The signed message's length: tag, program id, device, owner, kind, expires_at.
pub const MESSAGE_BYTES: usize = 16 + 32 + 32 + 32 + 1 + 8;
/// The longest validity a code may have: `expires_at` at most this many seconds after the time
/// it is checked (7 days). The program refuses a later `expires_at`; the agent refuses to make
/// one.
pub const MAX_VALIDITY_SECS: i64 = 7 * 24 * 3600;

/// The message a device signs to be onboarded.
pub fn message(
    program_id: &[u8; 32],
    device: &[u8; 32],
    owner: &[u8; 32],
    kind: u8,
    expires_at: i64,
) -> [u8; MESSAGE_BYTES] {
    let mut out = [0u8; MESSAGE_BYTES];
    let parts: [&[u8]; 6] = [
        DOMAIN_TAG,
        program_id,
        device,
        owner,
        &[kind],
        &expires_at.to_le_bytes(),
    ];
    let mut at = 0;
    for part in parts {
        out[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    out
}

/// Why an `expires_at` is refused at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryError {
    /// `now > expires_at`.
    Expired,
    /// `expires_at > now + MAX_VALIDITY_SECS`.
    TooLong,
}

/// Checks `expires_at` lies in `[now, now + MAX_VALIDITY_SECS]`.
///
/// # Errors
///
/// [`ExpiryError::Expired`] or [`ExpiryError::TooLong`].
pub fn check_expiry(expires_at: i64, now: i64) -> Result<(), ExpiryError> {
    if now > expires_at {
        return Err(ExpiryError::Expired);
    }
    if expires_at > now.saturating_add(MAX_VALIDITY_SECS) {
        return Err(ExpiryError::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let m = message(&[1; 32], &[2; 32], &[3; 32], 1, 0x0102_0304_0506_0708);
        assert_eq!(&m[..16], b"depin-onboard-v1");
        assert_eq!(&m[16..48], &[1; 32]);
        assert_eq!(&m[48..80], &[2; 32]);
        assert_eq!(&m[80..112], &[3; 32]);
        assert_eq!(m[112], 1);
        assert_eq!(&m[113..], &[8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn expiry_bounds() {
        let now = 1_000;
        assert_eq!(check_expiry(now, now), Ok(()));
        assert_eq!(check_expiry(now - 1, now), Err(ExpiryError::Expired));
        assert_eq!(check_expiry(now + MAX_VALIDITY_SECS, now), Ok(()));
        assert_eq!(
            check_expiry(now + MAX_VALIDITY_SECS + 1, now),
            Err(ExpiryError::TooLong)
        );
        assert_eq!(check_expiry(i64::MAX, i64::MAX), Ok(()));
        assert_eq!(check_expiry(i64::MIN, 0), Err(ExpiryError::Expired));
    }
}
