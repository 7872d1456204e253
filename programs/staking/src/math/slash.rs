//! The slash message that the rewards program's oracle quorum signs (its signatures arrive in
//! ed25519 precompile instructions, read with `depin_common::ed25519`).

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
