//! The ed25519 signature-verification precompile's instruction, in the forms the programs read:
//! everything in the instruction's own data (every instruction index `u16::MAX`).
//!
//! ```text
//! one signature (the rewards program's equivocation proof, staking's slash):
//!   count = 1, padding, 7 × u16 offsets, key (32) || signature (64) || message
//! several over one message (staking's slash: a quorum in one transaction):
//!   count = k, padding, k × 7 × u16 offsets, message, k × (key (32) || signature (64))
//! ```

use super::{Instruction, Pubkey};

/// The ed25519 signature-verification precompile.
pub const ED25519_PROGRAM_ID: Pubkey =
    anchor_lang::prelude::pubkey!("Ed25519SigVerify111111111111111111111111111");

/// Bytes before the key: the count, the padding and the seven offsets.
const HEADER: u16 = 2 + 14;

/// Verifies `signature` by `pubkey` over `message`; the transaction fails unless it holds. (A
/// message over 65,535 bytes, which no transaction carries, gets a length that fails it too.)
#[must_use]
pub fn single_signature_ix(pubkey: &[u8; 32], signature: &[u8; 64], message: &[u8]) -> Instruction {
    let key_offset = HEADER;
    let sig_offset = key_offset + 32;
    let msg_offset = sig_offset + 64;
    let message_len = u16::try_from(message.len()).unwrap_or(u16::MAX);
    let mut data = vec![1u8, 0];
    for field in [
        sig_offset,
        u16::MAX,
        key_offset,
        u16::MAX,
        msg_offset,
        message_len,
        u16::MAX,
    ] {
        data.extend_from_slice(&field.to_le_bytes());
    }
    data.extend_from_slice(pubkey);
    data.extend_from_slice(signature);
    data.extend_from_slice(message);
    Instruction {
        program_id: ED25519_PROGRAM_ID,
        accounts: vec![],
        data,
    }
}

/// Verifies every `(key, signature)` of `signatures` over one shared copy of `message`: 110 bytes
/// per signature instead of 240 for a 124-byte message.
#[must_use]
pub fn shared_message_ix(signatures: &[([u8; 32], [u8; 64])], message: &[u8]) -> Instruction {
    let k = signatures.len();
    let msg_offset = 2 + 14 * k;
    let first = msg_offset + message.len();
    let field = |v: usize| u16::try_from(v).unwrap_or(u16::MAX).to_le_bytes();
    let mut data = vec![u8::try_from(k).unwrap_or(u8::MAX), 0];
    for i in 0..k {
        let key = first + i * 96;
        for v in [key + 32, usize::from(u16::MAX), key, usize::from(u16::MAX)] {
            data.extend_from_slice(&field(v));
        }
        for v in [msg_offset, message.len(), usize::from(u16::MAX)] {
            data.extend_from_slice(&field(v));
        }
    }
    data.extend_from_slice(message);
    for (key, signature) in signatures {
        data.extend_from_slice(key);
        data.extend_from_slice(signature);
    }
    Instruction {
        program_id: ED25519_PROGRAM_ID,
        accounts: vec![],
        data,
    }
}

/// Bytes a [`shared_message_ix`] of `k` signatures over a `message_len`-byte message adds to a
/// transaction (its data, program-id index, empty account list and their compact lengths).
#[must_use]
pub const fn shared_message_ix_bytes(k: usize, message_len: usize) -> usize {
    let data = 2 + 14 * k + message_len + 96 * k;
    1 + 1 + if data < 128 { 1 } else { 2 } + data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_size() {
        let ix = single_signature_ix(&[5; 32], &[6; 64], &[7; 124]);
        assert_eq!(ix.data.len(), 16 + 32 + 64 + 124);
        assert_eq!(&ix.data[..4], &[1, 0, 48, 0]);
        assert_eq!(&ix.data[16..48], &[5; 32]);
        assert_eq!(&ix.data[48..112], &[6; 64]);
    }

    #[test]
    fn shared_message_layout() {
        let ix = shared_message_ix(&[([5; 32], [6; 64]), ([7; 32], [8; 64])], &[9; 124]);
        assert_eq!(ix.data.len(), 2 + 28 + 124 + 192);
        assert_eq!(&ix.data[..2], &[2, 0]);
        // Entry 0: signature at 154 + 32, key at 154, message at 30 (124 bytes).
        let entry: Vec<u16> = ix.data[2..16]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(entry, [186, u16::MAX, 154, u16::MAX, 30, 124, u16::MAX]);
        assert_eq!(&ix.data[154..186], &[5; 32]);
        assert_eq!(&ix.data[250..282], &[7; 32]);
        assert_eq!(shared_message_ix_bytes(2, 124), 4 + ix.data.len());
    }
}
