//! Public keys and signatures as fixed byte arrays, written as base58 in every text format.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a base58 key or signature could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("invalid base58: {0}")]
    Base58(String),
    #[error("expected {expected} bytes, got {got}")]
    Length { expected: usize, got: usize },
}

fn decode_fixed<const N: usize>(s: &str) -> Result<[u8; N], KeyParseError> {
    let bytes = bs58::decode(s)
        .into_vec()
        .map_err(|e| KeyParseError::Base58(e.to_string()))?;
    let got = bytes.len();
    <[u8; N]>::try_from(bytes).map_err(|_| KeyParseError::Length { expected: N, got })
}

/// A 32-byte ed25519 public key (device, owner wallet, maker or customer).
///
/// Ordered by its raw bytes: every canonical ordering in the oracle (registry, devices.csv, the
/// wallets each epoch appends to wallets.csv) is this byte order, not the order of the base58
/// strings.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pubkey(pub [u8; 32]);

impl Pubkey {
    /// The raw bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }
}

impl fmt::Display for Pubkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).into_string())
    }
}

impl fmt::Debug for Pubkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pubkey({self})")
    }
}

impl FromStr for Pubkey {
    type Err = KeyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode_fixed::<32>(s).map(Self)
    }
}

impl Serialize for Pubkey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Pubkey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A 64-byte ed25519 signature, base58 in text formats.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sig(pub [u8; 64]);

impl fmt::Display for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).into_string())
    }
}

impl fmt::Debug for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sig({self})")
    }
}

impl FromStr for Sig {
    type Err = KeyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode_fixed::<64>(s).map(Self)
    }
}

impl Serialize for Sig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The verifying key for `key`, refusing keys that are not curve points and weak (small-order)
/// keys, for which a signature proves nothing.
#[must_use]
pub fn verifying_key(key: &Pubkey) -> Option<ed25519_dalek::VerifyingKey> {
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&key.0).ok()?;
    if vk.is_weak() { None } else { Some(vk) }
}

/// The public key of a signing key.
#[must_use]
pub fn pubkey_of(signer: &ed25519_dalek::SigningKey) -> Pubkey {
    Pubkey(signer.verifying_key().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base58_round_trip_and_errors() {
        let key = Pubkey([7; 32]);
        let text = key.to_string();
        assert_eq!(text.parse::<Pubkey>().unwrap(), key);
        assert_eq!(
            "11".parse::<Pubkey>(),
            Err(KeyParseError::Length {
                expected: 32,
                got: 2
            })
        );
        assert!(matches!(
            "0OIl".parse::<Pubkey>(),
            Err(KeyParseError::Base58(_))
        ));
        let sig = Sig([9; 64]);
        assert_eq!(sig.to_string().parse::<Sig>().unwrap(), sig);
    }

    #[test]
    fn weak_and_invalid_keys_are_refused() {
        // The identity point (y = 1) is small-order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(verifying_key(&Pubkey(identity)).is_none());
        let signer = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        assert!(verifying_key(&pubkey_of(&signer)).is_some());
    }
}
