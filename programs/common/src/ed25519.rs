//! The ed25519 signature-verification precompile's instruction, as the programs read it through
//! the instructions sysvar: which (public key, message) pairs it verified from its own data.
//!
//! The precompile fails the whole transaction unless every signature it lists verifies
//! (strictly), so a program that finds an entry here with the key and message it expects knows
//! that key signed that message in this transaction.

/// The precompile's program id (`Ed25519SigVerify111111111111111111111111111`).
pub const PROGRAM_ID: [u8; 32] = [
    3, 125, 70, 214, 124, 147, 251, 190, 18, 249, 66, 143, 131, 141, 64, 255, 5, 112, 116, 73, 39,
    244, 138, 100, 252, 202, 112, 68, 128, 0, 0, 0,
];

/// An offsets entry: seven u16 LE.
const ENTRY: usize = 14;

/// The (public key, message) of each signature an ed25519 precompile instruction verifies whose
/// key, signature and message all lie in the instruction's own data; signatures referring to
/// another instruction, or out of bounds, are skipped (the precompile has verified every one).
///
/// Layout: `count: u8, padding: u8`, then per signature seven u16 LE: signature offset,
/// signature instruction index, public key offset, public key instruction index, message
/// offset, message size, message instruction index (`u16::MAX` = this instruction). Several
/// signatures may share one copy of the message, so a quorum fits one transaction.
pub fn signatures(data: &[u8]) -> impl Iterator<Item = ([u8; 32], &[u8])> {
    let count = usize::from(data.first().copied().unwrap_or(0));
    (0..count).filter_map(move |i| {
        let base = 2 + i * ENTRY;
        let field = |k: usize| {
            let at = base + 2 * k;
            data.get(at..at + 2)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        };
        let this = usize::from(u16::MAX);
        if field(1)? != this || field(3)? != this || field(6)? != this {
            return None;
        }
        let (sig_off, key_off, msg_off, msg_len) = (field(0)?, field(2)?, field(4)?, field(5)?);
        data.get(sig_off..sig_off.checked_add(64)?)?;
        let key: [u8; 32] = data
            .get(key_off..key_off.checked_add(32)?)?
            .try_into()
            .ok()?;
        Some((key, data.get(msg_off..msg_off.checked_add(msg_len)?)?))
    })
}

/// Whether the precompile instruction `data` verified `key`'s signature over exactly `message`.
pub fn verifies(data: &[u8], key: &[u8; 32], message: &[u8]) -> bool {
    signatures(data).any(|(k, m)| k == *key && m == message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed25519_data(key: [u8; 32], msg: &[u8]) -> Vec<u8> {
        let mut data = vec![1u8, 0];
        let msg_len = u16::try_from(msg.len()).unwrap();
        for v in [48u16, u16::MAX, 16, u16::MAX, 112, msg_len, u16::MAX] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        data.extend_from_slice(&key);
        data.extend_from_slice(&[0u8; 64]);
        data.extend_from_slice(msg);
        data
    }

    fn all(d: &[u8]) -> Vec<([u8; 32], Vec<u8>)> {
        signatures(d).map(|(k, m)| (k, m.to_vec())).collect()
    }

    #[test]
    fn parsing() {
        let msg = [4u8; 124];
        let data = ed25519_data([5; 32], &msg);
        assert_eq!(all(&data), vec![([5; 32], msg.to_vec())]);
        assert!(verifies(&data, &[5; 32], &msg));
        assert!(!verifies(&data, &[6; 32], &msg));
        assert!(!verifies(&data, &[5; 32], &msg[..123]));
        let mut other = data.clone();
        other[8..10].copy_from_slice(&0u16.to_le_bytes()); // key in another instruction
        assert_eq!(all(&other), vec![]);
        let mut elsewhere = data.clone();
        elsewhere[4..6].copy_from_slice(&0u16.to_le_bytes()); // signature in another one
        assert!(!verifies(&elsewhere, &[5; 32], &msg));
        let mut message_elsewhere = data.clone();
        message_elsewhere[14..16].copy_from_slice(&1u16.to_le_bytes());
        assert!(!verifies(&message_elsewhere, &[5; 32], &msg));
        let mut long = data.clone();
        long[12..14].copy_from_slice(&125u16.to_le_bytes());
        assert_eq!(all(&long), vec![]);
        let mut two = data.clone();
        two[0] = 2; // the second entry would lie in the key's bytes: refers elsewhere
        assert_eq!(all(&two).len(), 1);
        assert_eq!(all(&data[..10]), vec![]);
        assert_eq!(all(&[]), vec![]);
    }

    /// Two signatures sharing one message: `count = 2`, two entries, the message, then each key
    /// and signature.
    #[test]
    fn parsing_a_shared_message() {
        let msg = [4u8; 124];
        let msg_off: u16 = 2 + 2 * 14;
        let first = msg_off + 124;
        let mut data = vec![2u8, 0];
        for i in 0..2u16 {
            let key = first + i * 96;
            for v in [key + 32, u16::MAX, key, u16::MAX, msg_off, 124, u16::MAX] {
                data.extend_from_slice(&v.to_le_bytes());
            }
        }
        data.extend_from_slice(&msg);
        for k in [6u8, 7] {
            data.extend_from_slice(&[k; 32]);
            data.extend_from_slice(&[0; 64]);
        }
        assert_eq!(
            all(&data),
            vec![([6; 32], msg.to_vec()), ([7; 32], msg.to_vec())]
        );
    }
}
