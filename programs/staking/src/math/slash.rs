//! The slash message that the rewards program's oracle quorum signs, and the parser of an
//! ed25519 precompile instruction that carries its signatures, keys and message in its own data
//! (one signature per instruction, or several sharing one message).

use anchor_lang::prelude::Pubkey;
use solana_sha256_hasher::hashv;

/// Domain tag that starts every slash message.
pub const SLASH_TAG: &[u8; 14] = b"depin-slash-v2";
/// Length of a slash message.
pub const SLASH_MESSAGE_LEN: usize = 14 + 32 + 32 + 2 + 32 + 4 + 8;
/// Tag of the slash domain's hash.
pub const SLASH_DOMAIN_TAG: &[u8] = b"depin-slash-domain-v1";

/// What each oracle signs to approve a slash:
/// `"depin-slash-v2" || slash_domain || position || amount_bps_le (u16) || evidence_hash ||
/// oracle_set_version_le (u32) || slash_nonce_le (u64)`.
///
/// `slash_domain` is the deployment's (`StakingConfig::slash_domain`, [`slash_domain`]): it
/// binds the staking program and the cluster, so an approval is valid on one deployment only.
///
/// `slash_nonce` is the position's count of slashes proposed so far, so a signature approves one
/// proposal only: after it is proposed (and executed or overturned) the same signatures are void.
/// `oracle_set_version` voids every approval when the oracle set rotates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlashMessage {
    pub domain: [u8; 32],
    pub position: [u8; 32],
    pub amount_bps: u16,
    pub evidence_hash: [u8; 32],
    pub set_version: u32,
    pub slash_nonce: u64,
}

impl SlashMessage {
    pub fn to_bytes(&self) -> [u8; SLASH_MESSAGE_LEN] {
        let mut out = [0u8; SLASH_MESSAGE_LEN];
        let parts: [&[u8]; 7] = [
            SLASH_TAG,
            &self.domain,
            &self.position,
            &self.amount_bps.to_le_bytes(),
            &self.evidence_hash,
            &self.set_version.to_le_bytes(),
            &self.slash_nonce.to_le_bytes(),
        ];
        let mut at = 0;
        for part in parts {
            out[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        out
    }
}

/// A deployment's slash domain: SHA-256 of [`SLASH_DOMAIN_TAG`], the staking program id, the
/// config's address, and the slot and unix time of `initialize_staking`. Two deployments of the
/// same program (devnet and mainnet) are initialised at different slots and times, so their
/// domains differ.
pub fn slash_domain(config: &Pubkey, slot: u64, unix_timestamp: i64) -> [u8; 32] {
    hashv(&[
        SLASH_DOMAIN_TAG,
        crate::ID.as_ref(),
        config.as_ref(),
        &slot.to_le_bytes(),
        &unix_timestamp.to_le_bytes(),
    ])
    .to_bytes()
}

/// The (public key, message) of each signature an ed25519 precompile instruction verifies whose
/// key, signature and message all lie in the instruction's own data; signatures referring to
/// another instruction, or out of bounds, are skipped (the precompile has verified every one).
///
/// Layout: `count: u8, padding: u8`, then per signature seven u16 LE: signature offset,
/// signature instruction index, public key offset, public key instruction index, message
/// offset, message size, message instruction index (`u16::MAX` = this instruction). Several
/// signatures may share one copy of the message, so a quorum fits one transaction.
pub fn ed25519_signatures(data: &[u8]) -> impl Iterator<Item = ([u8; 32], &[u8])> {
    const ENTRY: usize = 14;
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

    /// The domain binds the config, the slot and the time of initialisation: two deployments
    /// differ.
    #[test]
    fn slash_domains_differ_between_deployments() {
        let config = Pubkey::new_from_array([4; 32]);
        let d = slash_domain(&config, 100, 1_700_000_000);
        assert_eq!(d, slash_domain(&config, 100, 1_700_000_000));
        assert_ne!(d, slash_domain(&config, 101, 1_700_000_000));
        assert_ne!(d, slash_domain(&config, 100, 1_700_000_001));
        assert_ne!(
            d,
            slash_domain(&Pubkey::new_from_array([5; 32]), 100, 1_700_000_000)
        );
        let mut input = SLASH_DOMAIN_TAG.to_vec();
        input.extend_from_slice(crate::ID.as_ref());
        input.extend_from_slice(config.as_ref());
        input.extend_from_slice(&100u64.to_le_bytes());
        input.extend_from_slice(&1_700_000_000i64.to_le_bytes());
        assert_eq!(d, solana_sha256_hasher::hash(&input).to_bytes());
    }

    #[test]
    fn message_layout() {
        let m = SlashMessage {
            domain: [1; 32],
            position: [2; 32],
            amount_bps: 0x0102,
            evidence_hash: [3; 32],
            set_version: 7,
            slash_nonce: 9,
        };
        let b = m.to_bytes();
        assert_eq!(b.len(), 124);
        assert_eq!(&b[..14], b"depin-slash-v2");
        assert_eq!(&b[14..46], &[1; 32]);
        assert_eq!(&b[46..78], &[2; 32]);
        assert_eq!(&b[78..80], &[0x02, 0x01]);
        assert_eq!(&b[80..112], &[3; 32]);
        assert_eq!(&b[112..116], &7u32.to_le_bytes());
        assert_eq!(&b[116..124], &9u64.to_le_bytes());
    }

    #[test]
    fn ed25519_parsing() {
        let msg = [4u8; 124];
        let data = ed25519_data([5; 32], &msg);
        let all = |d: &[u8]| {
            ed25519_signatures(d)
                .map(|(k, m)| (k, m.to_vec()))
                .collect::<Vec<_>>()
        };
        assert_eq!(all(&data), vec![([5; 32], msg.to_vec())]);
        let mut other = data.clone();
        other[8..10].copy_from_slice(&0u16.to_le_bytes()); // key in another instruction
        assert_eq!(all(&other), vec![]);
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
    fn ed25519_parsing_shared_message() {
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
        let got: Vec<([u8; 32], Vec<u8>)> = ed25519_signatures(&data)
            .map(|(k, m)| (k, m.to_vec()))
            .collect();
        assert_eq!(got, vec![([6; 32], msg.to_vec()), ([7; 32], msg.to_vec())]);
    }
}
