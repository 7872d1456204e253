//! Making signed reports: a payload, the time and the next nonce from a [`NonceSource`], signed
//! with the device key. The agent uses it with its durable nonce file; a simulator may use it
//! with in-memory nonces for many devices.

use depin_formats::keys::pubkey_of;
use depin_formats::report::{Payload, Report, SignedReport};
use ed25519_dalek::SigningKey;

use crate::nonce::NonceSource;

/// One device's report maker.
pub struct Maker<N> {
    key: SigningKey,
    nonces: N,
}

impl<N: NonceSource> Maker<N> {
    #[must_use]
    pub const fn new(key: SigningKey, nonces: N) -> Self {
        Self { key, nonces }
    }

    /// Signs `payload` made at `timestamp` (unix seconds) with the next nonce.
    ///
    /// # Errors
    ///
    /// The nonce source could not reserve a nonce.
    pub fn make(&mut self, payload: Payload, timestamp: i64) -> std::io::Result<SignedReport> {
        let nonce = self.nonces.next_nonce()?;
        Ok(Report {
            device: pubkey_of(&self.key),
            timestamp,
            nonce,
            payload,
        }
        .sign(&self.key))
    }

    /// The nonce source (to peek at it).
    pub const fn nonces(&self) -> &N {
        &self.nonces
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::nonce::Counter;
    use depin_formats::report::Heartbeat;

    #[test]
    fn signs_with_consecutive_nonces() {
        let mut m = Maker::new(SigningKey::from_bytes(&[1; 32]), Counter(7));
        let a = m
            .make(Payload::Heartbeat(Heartbeat::default()), 100)
            .unwrap();
        let b = m
            .make(Payload::Heartbeat(Heartbeat::default()), 101)
            .unwrap();
        assert_eq!((a.report.nonce, b.report.nonce), (7, 8));
        a.verify().unwrap();
        b.verify().unwrap();
        assert_eq!(SignedReport::from_binary(&a.to_binary()).unwrap(), a);
    }
}
