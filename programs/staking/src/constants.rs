//! PDA seeds and protocol limits. Seeds live here and nowhere else.

/// Seed of the staking config PDA: `["config"]`. It owns the vault.
pub const CONFIG_SEED: &[u8] = b"config";
/// Seed of the vault token account PDA: `["vault"]`; holds every locked token.
pub const VAULT_SEED: &[u8] = b"vault";

/// Layout version written into new `StakingConfig` accounts (2: the timelock and the revenue
/// stream).
pub const CONFIG_VERSION: u8 = 2;
/// The largest lockup multiplier governance may set: 100x (Helium's maximum). 1x is
/// `depin_common::bps::ONE`.
pub const MAX_MULTIPLIER_CAP_BPS: u32 = 1_000_000;
/// The longest lockup governance may allow: 10 years.
pub const MAX_LOCKUP_CAP_SECS: u64 = 10 * 365 * 86_400;
/// The shortest unstaking cooldown governance may set: 3 days, the default voting time of an
/// spl-governance (Realms) proposal, so tokens that voted cannot be withdrawn, staked by
/// another wallet and vote again on the same proposal (review F5).
pub const MIN_COOLDOWN_SECS: u64 = 3 * 86_400;
/// The longest revenue stream governance may set: 30 days.
pub const MAX_STREAM_SECS: u64 = 30 * 86_400;
/// The longest unstaking cooldown governance may set: 1 year.
pub const MAX_COOLDOWN_SECS: u64 = 365 * 86_400;
/// Seed of a position PDA: `["position", owner, id_le]`; the owner picks `id`.
pub const POSITION_SEED: &[u8] = b"position";
/// Seed of the revenue vault PDA: `["revenue_vault"]`, a token account of the revenue
/// (stablecoin) mint owned by the config PDA. The treasury transfers the stakers' share here.
pub const REVENUE_VAULT_SEED: &[u8] = b"revenue_vault";
/// Seed of a voter-weight record PDA: `["voter_weight_record", realm, governing_token_mint,
/// governing_token_owner]`.
pub const VOTER_WEIGHT_RECORD_SEED: &[u8] = b"voter_weight_record";
/// Seed, under the **rewards** program, of the PDA that signs `bind_collateral` and
/// `release_collateral`: `["collateral_authority"]`.
pub const COLLATERAL_AUTHORITY_SEED: &[u8] = b"collateral_authority";
/// That PDA's address (checked by a unit test): `bind_collateral` and `release_collateral`
/// compare the signer with this constant instead of deriving the PDA on every call (a
/// `find_program_address` costs ~1,500 CU per bump tried).
pub const COLLATERAL_AUTHORITY: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("D4DMM1nyT5H48iJUjutpALQnFAHYpJhnLdm4Z94UHRBu");
/// Seed, under the rewards program, of its oracle set: `["oracle_set"]`.
pub const ORACLE_SET_SEED: &[u8] = b"oracle_set";
/// The rewards program (its id is checked against `rewards::ID` by the program tests; staking
/// does not link the rewards crate).
pub const REWARDS_PROGRAM_ID: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("5yruxM2F78Bw4EKcCp1oR1MxrETSAJWWLfchwBwK7Btc");
/// The rewards program's network account, PDA `["network"]` (derived at compile time): staking
/// reads how many of its epochs are final (`state::rewards_network`).
pub const REWARDS_NETWORK: anchor_lang::prelude::Pubkey = rewards_pda(b"network");
/// The rewards program's oracle set, PDA `["oracle_set"]` (derived at compile time): its
/// quorum approves slashes.
pub const REWARDS_ORACLE_SET: anchor_lang::prelude::Pubkey = rewards_pda(ORACLE_SET_SEED);

/// The canonical PDA of the rewards program for one seed, computed at compile time, so that
/// instructions compare addresses instead of deriving them (~1,500 CU per bump tried).
const fn rewards_pda(seed: &[u8]) -> anchor_lang::prelude::Pubkey {
    anchor_lang::prelude::Pubkey::new_from_array(
        anchor_lang::derive_program_address(&[seed], &REWARDS_PROGRAM_ID.to_bytes()).0,
    )
}
/// The ed25519 signature-verification precompile.
pub const ED25519_PROGRAM_ID: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::Pubkey::new_from_array(depin_common::ed25519::PROGRAM_ID);
/// Layout version written into new `Position` accounts (2: the revenue share moved to the
/// owner's `Staker`).
pub const POSITION_VERSION: u8 = 2;
/// Seed of a queued parameter change: `["change", id_le]`. The timelock's bounds and grace period
/// are `depin_common::timelock`'s.
pub const CHANGE_SEED: &[u8] = b"change";
/// Seed of an owner's staker PDA: `["staker", owner]`, created by the owner's first `stake`.
pub const STAKER_SEED: &[u8] = b"staker";

/// Seed of an offence's slash record: `["slash", position, evidence_hash]`.
pub const SLASH_RECORD_SEED: &[u8] = b"slash";
/// Seed of the approvals gathered for one slash:
/// `["slash_approval", position, evidence_hash, amount_bps_le]`.
pub const SLASH_APPROVAL_SEED: &[u8] = b"slash_approval";
/// Layout version written into new `Staker` accounts.
pub const STAKER_VERSION: u8 = 1;
/// How long a voting tally over several transactions may take, from its first transaction to
/// the voter-weight update that uses it. Shorter than any allowed cooldown, so a tallied token
/// cannot be withdrawn and staked again into a position the same tally counts.
pub const TALLY_WINDOW_SECS: i64 = 120;
/// spl-governance (Realms), at its mainnet address: the DAO program whose realm
/// (`StakingConfig::realm`) uses this program as its voter-weight addin. Its token owner records
/// are read to refuse `unstake` and `withdraw` while the owner has votes not relinquished.
pub const GOVERNANCE_PROGRAM_ID: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw");
/// Seed, under spl-governance, of a token owner record: `["governance", realm, mint, owner]`.
pub const TOKEN_OWNER_RECORD_SEED: &[u8] = b"governance";
/// The largest slash governance may allow per proposal: half the collateral.
pub const MAX_SLASH_CAP_BPS: u16 = 5_000;
/// The longest appeal window governance may set: thirty days.
pub const MAX_APPEAL_SECS: u64 = 30 * 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ed25519_precompile_id() {
        assert_eq!(
            ED25519_PROGRAM_ID,
            anchor_lang::prelude::pubkey!("Ed25519SigVerify111111111111111111111111111")
        );
    }

    #[test]
    fn collateral_authority_is_the_rewards_pda() {
        let (pda, _) = anchor_lang::prelude::Pubkey::find_program_address(
            &[COLLATERAL_AUTHORITY_SEED],
            &REWARDS_PROGRAM_ID,
        );
        assert_eq!(
            COLLATERAL_AUTHORITY, pda,
            "COLLATERAL_AUTHORITY must be {pda}"
        );
    }

    #[test]
    fn rewards_addresses_are_the_rewards_pdas() {
        for (seed, address) in [
            (b"network".as_slice(), REWARDS_NETWORK),
            (ORACLE_SET_SEED, REWARDS_ORACLE_SET),
        ] {
            let (pda, _) =
                anchor_lang::prelude::Pubkey::find_program_address(&[seed], &REWARDS_PROGRAM_ID);
            assert_eq!(address, pda);
        }
    }
}
