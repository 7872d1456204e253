//! The device's onboarding code: the device's own signature that it agrees to be onboarded to one
//! owner's wallet, as one kind, until a time. The device signs it on the device (the agent's
//! `depin-agent onboarding-code`); the owner's CLI and the maker's service read it, and the
//! rewards program checks the same signature with the ed25519 precompile. Specified in
//! `docs/onboarding.md`.
//!
//! ```text
//! signed message = b"depin-onboard-v1" ‖ rewards program id [32] ‖ device [32] ‖ owner [32]
//!                  ‖ kind u8 (0 connectivity, 1 compute) ‖ expires_at i64 LE
//! code           = "depin-onboard:1:" + base58(device [32] ‖ owner [32] ‖ kind u8
//!                  ‖ expires_at i64 LE ‖ signature [64])          (137 bytes)
//! ```
//!
//! The program id is in the signed message but not in the code: a code signed for another
//! deployment does not verify here. Expiry is the caller's check ([`OnboardingCode::expired`]):
//! decoding and verifying do not read a clock.

use ed25519_dalek::{Signature, Signer, SigningKey};

use crate::keys::{Pubkey, Sig, pubkey_of, verifying_key};

pub use depin_common::onboarding::{DOMAIN_TAG, MAX_VALIDITY_SECS, MESSAGE_BYTES};
/// The text prefix of a version-1 code.
pub const CODE_PREFIX: &str = "depin-onboard:1:";
/// Device, owner, kind, expires_at, signature.
pub const CODE_BYTES: usize = 32 + 32 + 1 + 8 + 64;
/// The rewards program's id (`declare_id!` in `programs/rewards`;
/// `5yruxM2F78Bw4EKcCp1oR1MxrETSAJWWLfchwBwK7Btc`, checked by a test).
pub const REWARDS_PROGRAM_ID: Pubkey = Pubkey([
    73, 255, 181, 183, 58, 24, 46, 183, 12, 11, 180, 200, 148, 218, 255, 159, 37, 226, 2, 39, 23,
    32, 139, 200, 18, 84, 129, 232, 112, 187, 50, 105,
]);

/// The device's kind, as the rewards program's `DeviceKind` (its byte is the Borsh index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    Connectivity = 0,
    Compute = 1,
}

impl DeviceKind {
    /// From its byte.
    #[must_use]
    pub const fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(Self::Connectivity),
            1 => Some(Self::Compute),
            _ => None,
        }
    }

    /// Its name as registry.csv and the CLI write it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Connectivity => "connectivity",
            Self::Compute => "compute",
        }
    }
}

impl core::str::FromStr for DeviceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "connectivity" => Ok(Self::Connectivity),
            "compute" => Ok(Self::Compute),
            other => Err(format!(
                "unknown device kind {other:?} (connectivity or compute)"
            )),
        }
    }
}

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnboardingError {
    #[error("not an onboarding code: it must start with {CODE_PREFIX:?}")]
    Prefix,
    #[error("invalid base58 in the onboarding code: {0}")]
    Base58(String),
    #[error("an onboarding code holds {CODE_BYTES} bytes, this one {0}")]
    Length(usize),
    #[error("unknown device kind byte {0} (0 connectivity, 1 compute)")]
    Kind(u8),
    #[error("the device key is not a valid ed25519 public key")]
    DeviceKey,
    #[error("the device's signature over the onboarding code does not verify")]
    BadSignature,
}

impl OnboardingError {
    /// A stable machine-readable reason.
    #[must_use]
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::Prefix => "not_an_onboarding_code",
            Self::Base58(_) => "invalid_base58",
            Self::Length(_) => "wrong_length",
            Self::Kind(_) => "unknown_kind",
            Self::DeviceKey => "invalid_device_key",
            Self::BadSignature => "bad_signature",
        }
    }
}

/// What the device agrees to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Onboarding {
    pub device: Pubkey,
    pub owner: Pubkey,
    pub kind: DeviceKind,
    /// Unix seconds after which the code is refused.
    pub expires_at: i64,
}

/// An [`Onboarding`] and the device's signature over [`Onboarding::signing_message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OnboardingCode {
    pub onboarding: Onboarding,
    pub signature: Sig,
}

impl Onboarding {
    /// `DOMAIN_TAG ‖ program_id ‖ device ‖ owner ‖ kind ‖ expires_at LE`: what the device signs
    /// and the ed25519 precompile instruction carries.
    #[must_use]
    pub fn signing_message(&self, program_id: &Pubkey) -> [u8; MESSAGE_BYTES] {
        depin_common::onboarding::message(
            &program_id.0,
            &self.device.0,
            &self.owner.0,
            self.kind as u8,
            self.expires_at,
        )
    }

    /// Signs with the device key (`device` is set from it).
    #[must_use]
    pub fn sign(
        device_key: &SigningKey,
        owner: Pubkey,
        kind: DeviceKind,
        expires_at: i64,
        program_id: &Pubkey,
    ) -> OnboardingCode {
        let onboarding = Self {
            device: pubkey_of(device_key),
            owner,
            kind,
            expires_at,
        };
        let signature = Sig(device_key
            .sign(&onboarding.signing_message(program_id))
            .to_bytes());
        OnboardingCode {
            onboarding,
            signature,
        }
    }
}

impl OnboardingCode {
    /// The 137 bytes the text code carries.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let o = &self.onboarding;
        let mut b = Vec::with_capacity(CODE_BYTES);
        b.extend_from_slice(&o.device.0);
        b.extend_from_slice(&o.owner.0);
        b.push(o.kind as u8);
        b.extend_from_slice(&o.expires_at.to_le_bytes());
        b.extend_from_slice(&self.signature.0);
        b
    }

    /// `depin-onboard:1:` + base58 of [`OnboardingCode::to_bytes`].
    #[must_use]
    pub fn encode(&self) -> String {
        format!(
            "{CODE_PREFIX}{}",
            bs58::encode(self.to_bytes()).into_string()
        )
    }

    /// Parses a text code (surrounding whitespace ignored). Checks the layout, not the
    /// signature.
    ///
    /// # Errors
    ///
    /// [`OnboardingError::Prefix`], `Base58`, `Length`, `Kind`.
    pub fn decode(text: &str) -> Result<Self, OnboardingError> {
        let body = text
            .trim()
            .strip_prefix(CODE_PREFIX)
            .ok_or(OnboardingError::Prefix)?;
        let bytes = bs58::decode(body)
            .into_vec()
            .map_err(|e| OnboardingError::Base58(e.to_string()))?;
        Self::from_bytes(&bytes)
    }

    /// Parses the 137 bytes.
    ///
    /// # Errors
    ///
    /// [`OnboardingError::Length`], `Kind`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, OnboardingError> {
        let b: &[u8; CODE_BYTES] = bytes
            .try_into()
            .map_err(|_| OnboardingError::Length(bytes.len()))?;
        let (device, rest) = b.split_at(32);
        let (owner, rest) = rest.split_at(32);
        let (kind, rest) = rest.split_at(1);
        let (expires, sig) = rest.split_at(8);
        let kind_byte = kind.first().copied().unwrap_or(u8::MAX);
        let arr32 =
            |s: &[u8]| <[u8; 32]>::try_from(s).map_err(|_| OnboardingError::Length(s.len()));
        Ok(Self {
            onboarding: Onboarding {
                device: Pubkey(arr32(device)?),
                owner: Pubkey(arr32(owner)?),
                kind: DeviceKind::from_byte(kind_byte).ok_or(OnboardingError::Kind(kind_byte))?,
                expires_at: i64::from_le_bytes(
                    <[u8; 8]>::try_from(expires).map_err(|_| OnboardingError::Length(8))?,
                ),
            },
            signature: Sig(<[u8; 64]>::try_from(sig).map_err(|_| OnboardingError::Length(64))?),
        })
    }

    /// Checks the device's signature for the program `program_id` (weak or invalid device keys
    /// are refused), strictly (`verify_strict`: a small-order `R` is refused too), as the
    /// on-chain ed25519 precompile does: a code that passes here passes there.
    ///
    /// # Errors
    ///
    /// [`OnboardingError::DeviceKey`], [`OnboardingError::BadSignature`].
    pub fn verify(&self, program_id: &Pubkey) -> Result<(), OnboardingError> {
        let vk = verifying_key(&self.onboarding.device).ok_or(OnboardingError::DeviceKey)?;
        vk.verify_strict(
            &self.onboarding.signing_message(program_id),
            &Signature::from_bytes(&self.signature.0),
        )
        .map_err(|_| OnboardingError::BadSignature)
    }

    /// Whether the code has expired at unix time `now` (the caller's check).
    #[must_use]
    pub const fn expired(&self, now: i64) -> bool {
        now > self.onboarding.expires_at
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn vector() -> OnboardingCode {
        Onboarding::sign(
            &SigningKey::from_bytes(&[1; 32]),
            Pubkey([2; 32]),
            DeviceKind::Connectivity,
            1_767_225_600,
            &REWARDS_PROGRAM_ID,
        )
    }

    #[test]
    fn program_id_is_the_rewards_programs() {
        let src = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../programs/rewards/src/lib.rs"),
        )
        .unwrap();
        let id = src
            .split("declare_id!(\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap();
        assert_eq!(REWARDS_PROGRAM_ID.to_string(), id);
    }

    #[test]
    fn known_answer_vector() {
        let code = vector();
        assert_eq!(
            hex::encode(code.onboarding.signing_message(&REWARDS_PROGRAM_ID)),
            KAT_MESSAGE
        );
        assert_eq!(code.encode(), KAT_CODE);
        let back = OnboardingCode::decode(KAT_CODE).unwrap();
        assert_eq!(back, code);
        back.verify(&REWARDS_PROGRAM_ID).unwrap();
        assert_eq!(back.to_bytes().len(), CODE_BYTES);
        assert_eq!(
            code.onboarding.signing_message(&REWARDS_PROGRAM_ID).len(),
            MESSAGE_BYTES
        );
        assert_eq!(MESSAGE_BYTES, 121);
    }

    /// A signature with the identity as `R` and `S = k·a` verifies under the loose check
    /// (`[S]B - [k]A` is the identity) but not the strict one the precompile applies.
    #[test]
    fn a_small_order_r_is_refused() {
        use curve25519_dalek::scalar::Scalar;
        use sha2::{Digest as _, Sha512};
        let key = SigningKey::from_bytes(&[1; 32]);
        let onboarding = vector().onboarding;
        let message = onboarding.signing_message(&REWARDS_PROGRAM_ID);
        let mut r = [0u8; 32];
        r[0] = 1;
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(r)
                .chain_update(key.verifying_key().as_bytes())
                .chain_update(message),
        );
        let s = k * key.to_scalar();
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r);
        sig[32..].copy_from_slice(s.as_bytes());
        let loose = ed25519_dalek::Verifier::verify(
            &key.verifying_key(),
            &message,
            &Signature::from_bytes(&sig),
        );
        assert!(loose.is_ok(), "the forged signature passes the loose check");
        let code = OnboardingCode {
            onboarding,
            signature: Sig(sig),
        };
        assert_eq!(
            code.verify(&REWARDS_PROGRAM_ID),
            Err(OnboardingError::BadSignature)
        );
    }

    #[test]
    fn refusals() {
        let code = vector();
        // Another program's deployment.
        assert_eq!(
            code.verify(&Pubkey([9; 32])),
            Err(OnboardingError::BadSignature)
        );
        // Another owner under the same signature.
        let mut other = code;
        other.onboarding.owner = Pubkey([3; 32]);
        assert_eq!(
            other.verify(&REWARDS_PROGRAM_ID),
            Err(OnboardingError::BadSignature)
        );
        let mut bytes = code.to_bytes();
        bytes.pop();
        assert_eq!(
            OnboardingCode::from_bytes(&bytes),
            Err(OnboardingError::Length(136))
        );
        let short = format!("{CODE_PREFIX}{}", bs58::encode(&bytes).into_string());
        assert_eq!(
            OnboardingCode::decode(&short),
            Err(OnboardingError::Length(136))
        );
        let mut bytes = code.to_bytes();
        bytes[64] = 2;
        assert_eq!(
            OnboardingCode::from_bytes(&bytes),
            Err(OnboardingError::Kind(2))
        );
        assert_eq!(
            OnboardingCode::decode("depin-onboard:2:abc"),
            Err(OnboardingError::Prefix)
        );
        assert!(matches!(
            OnboardingCode::decode("depin-onboard:1:0OIl"),
            Err(OnboardingError::Base58(_))
        ));
        // Expiry is the caller's: decode and verify read no clock.
        assert!(!code.expired(1_767_225_600));
        assert!(code.expired(1_767_225_601));
    }

    const KAT_MESSAGE: &str = "646570696e2d6f6e626f6172642d763149ffb5b73a182eb70c0bb4c894daff9f25e2022717208bc8125481e870bb32698a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c02020202020202020202020202020202020202020202020202020202020202020000b9556900000000";
    const KAT_CODE: &str = "depin-onboard:1:oCGBAGTXGooNFCtB7u557eNedVP9z58AyHycaKN6MKmrKH91eNdQETrjCkyASP2HmoMmjN4GixTc9f7WXX4XtsSsDa66sbXD9o6HLHCDbCnTbs5WbPdY5xjP1nToEz33qfZsW2WyXZEvLZVkPVLUL7kNF75SqEjufv45EP4uL6erFvuWZs1b2isADDt";
}
