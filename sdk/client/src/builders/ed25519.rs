//! The ed25519 signature-verification precompile's instruction, in the one form the programs
//! read (`staking::math::slash::ed25519_single`, the rewards program's equivocation proof): one
//! signature whose public key, signature and message all lie in the instruction's own data.
//!
//! ```text
//! count = 1, padding = 0,
//! sig_offset, sig_ix = u16::MAX, key_offset, key_ix = u16::MAX, msg_offset, msg_len, msg_ix = u16::MAX
//! key (32) || signature (64) || message
//! ```

use super::{Instruction, Pubkey};

/// The ed25519 signature-verification precompile.
pub const ED25519_PROGRAM_ID: Pubkey =
    anchor_lang::prelude::pubkey!("Ed25519SigVerify111111111111111111111111111");

/// Bytes before the key: the count, the padding and the seven offsets.
const HEADER: u16 = 2 + 14;

/// Bytes an instruction verifying one signature over a `message_len`-byte message adds to a
/// transaction: its data, its program-id index and its empty account list, each with their
/// compact lengths.
#[must_use]
pub const fn signature_ix_bytes(message_len: usize) -> usize {
    let data = HEADER as usize + 32 + 64 + message_len;
    // program id index (1) + account count (1) + data length (compact u16: 2 bytes from 128).
    1 + 1 + if data < 128 { 1 } else { 2 } + data
}

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
        assert_eq!(signature_ix_bytes(124), 4 + 236);
    }
}
