//! PDA seeds and protocol limits. Seeds live here and nowhere else.

/// Seed of the network config PDA: `["network"]`. It is also the mint authority.
pub const NETWORK_SEED: &[u8] = b"network";
/// The network config's address: the PDA `["network"]` with its canonical bump, derived at
/// compile time. Instructions check the network against it (a 32-byte compare) instead of
/// re-deriving the PDA from the stored bump (`create_program_address`, ~1,500 CU).
pub const NETWORK_ADDRESS: anchor_lang::prelude::Pubkey = pda(NETWORK_SEED);
/// Seed of the network token mint PDA: `["mint"]`.
pub const MINT_SEED: &[u8] = b"mint";

/// Layout version written into new `Network` accounts.
pub const NETWORK_VERSION: u8 = 1;
/// The most decimals the network token may have (the SPL convention for 64-bit amounts).
pub const MAX_DECIMALS: u8 = 9;
/// Seed of the rewards vault PDA: `["rewards_vault"]`, a token account owned by the network PDA
/// that holds every minted epoch until it is claimed.
pub const REWARDS_VAULT_SEED: &[u8] = b"rewards_vault";
/// Seed of the genesis account PDA: `["genesis"]`, a token account owned by the network's
/// `genesis_owner` that receives the genesis supply when the network is created.
pub const GENESIS_SEED: &[u8] = b"genesis";
/// Seed of the oracle set PDA: `["oracle_set"]`.
pub const ORACLE_SET_SEED: &[u8] = b"oracle_set";
/// The oracle set's address: the PDA `["oracle_set"]`, derived at compile time like
/// [`NETWORK_ADDRESS`].
pub const ORACLE_SET_ADDRESS: anchor_lang::prelude::Pubkey = pda(ORACLE_SET_SEED);
/// Seed of a root proposal PDA:
/// `["proposal", epoch_le, set_version_le, round_le, root, total_le, leaves_le, manifest_hash]`.
pub const PROPOSAL_SEED: &[u8] = b"proposal";
/// Seed of a fraud-proof probe: `["probe", proposal, side, index_le]`.
pub const PROBE_SEED: &[u8] = b"probe";
/// Most siblings one probe step carries: 16 x 40 bytes keeps `open_probe` and `extend_probe`
/// well inside a 1,232-byte transaction without a lookup table, and two steps reach 2^32 leaves.
pub const MAX_PROBE_STEP: usize = 16;
/// Lamports an availability demand deposits while fewer than [`DEMAND_DOUBLING`] demands are
/// open on its root; whoever answers it earns them (a few times the fees of the two probe steps
/// an answer takes, and a price on spamming demands).
pub const DEMAND_DEPOSIT: u64 = 100_000;
/// The deposit doubles with every this many demands open on one root
/// (`RootProposal::demand_deposit`): a flood that could outrun the answerers costs the flooder
/// exponentially, while a few hundred honest demands cost the base deposit.
pub const DEMAND_DOUBLING: u32 = 256;
/// Most leaves a root may have (indices are u64, the tree's height at most 32).
pub const MAX_LEAVES: u64 = 1 << 32;
/// Seed of an epoch's input commitments: `["inputs", epoch_le]` (`EpochInputs`).
pub const INPUTS_SEED: &[u8] = b"inputs";
/// Final roots that must follow an epoch's before its `EpochInputs` may be closed out: an
/// oracle that was down for fewer epochs still reads which report sets each missed epoch
/// included, and catches up from the chain (docs/oracle-agreement.md).
pub const INPUTS_KEPT_EPOCHS: u64 = 16;
/// Layout version written into new `EpochInputs` accounts.
pub const INPUTS_VERSION: u8 = 1;
/// Longest input window (`Network::input_secs`): one day.
pub const MAX_INPUT_SECS: u64 = 86_400;
/// Seed of a wallet's claim record PDA: `["claim", wallet]`.
pub const CLAIM_SEED: &[u8] = b"claim";

/// Layout version written into new `OracleSet` accounts.
pub const ORACLE_SET_VERSION: u8 = 1;
/// The most oracles a set may hold (the vote bitmask is a `u16`).
pub const MAX_ORACLES: usize = 16;
/// Longest epoch: one year.
pub const MAX_EPOCH_SECS: u64 = 365 * 86_400;
/// Shortest epoch: ten seconds, room for a local network's demo epochs (a few uptime slots and
/// a dispute window of at most half the epoch). Real networks configure hours or days; the
/// circuit breaker and the max supply bound the emission whatever the length.
pub const MIN_EPOCH_SECS: u64 = 10;
/// Longest dispute window: thirty days.
pub const MAX_DISPUTE_SECS: u64 = 30 * 86_400;
/// Longest circuit-breaker window: thirty days.
pub const MAX_MINT_WINDOW_SECS: u64 = 30 * 86_400;
/// Seed of an oracle's bond PDA: `["bond", oracle]`; it holds the bond, in lamports.
pub const BOND_SEED: &[u8] = b"bond";
/// Where the burned part of a slashed bond goes: lamports sent here leave the SOL supply.
pub const INCINERATOR: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("1nc1nerator11111111111111111111111111111111");
/// Seed of an approved maker's PDA: `["maker", maker]`.
pub const MAKER_SEED: &[u8] = b"maker";
/// Seed of a device's PDA: `["device", device]`. One per device key: it deduplicates devices.
pub const DEVICE_SEED: &[u8] = b"device";
/// Epochs in a slashable-offence window (`depin_formats::offences::WINDOW_EPOCHS`, checked by
/// the program tests): windows are aligned, 0-2, 3-5, ...
pub const OFFENCE_WINDOW_EPOCHS: u64 = 3;
/// Epochs that must be final after the offence window of a device's previous owner before the
/// device changes hands again (`Device::prev_owner_needed`): the time to approve and propose a
/// slash of the previous owner's position while `prev_position` still names it.
pub const SLASH_GRACE_EPOCHS: u64 = 3;
/// Seed of a queued parameter change: `["change", id_le]`. The timelock's bounds and grace period
/// are `depin_common::timelock`'s.
pub const CHANGE_SEED: &[u8] = b"change";
/// Most of a slash the challenger may receive: half. More would let oracles claw back their own
/// slashed bonds by challenging themselves.
pub const MAX_CHALLENGER_BPS: u16 = 5_000;
/// Seed of the PDA that signs the staking program's `bind_collateral` and
/// `release_collateral`: `["collateral_authority"]`. It holds nothing; its canonical bump is
/// stored in `Network::collateral_authority_bump`.
pub const COLLATERAL_AUTHORITY_SEED: &[u8] = b"collateral_authority";
/// The collateral authority's address: the PDA `["collateral_authority"]` of this program
/// (checked by a unit test). Checked as a constant, not re-derived (~1,500 CU).
pub const COLLATERAL_AUTHORITY: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("D4DMM1nyT5H48iJUjutpALQnFAHYpJhnLdm4Z94UHRBu");
/// The staking program (its id is checked against `staking::ID` by the program tests; the two
/// program crates do not link each other).
pub const STAKING_PROGRAM_ID: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("AtbUXJf62DoLaxEaZgGJp1AQbhGruJ4N2WcHrtfS1dwF");
/// The staking config's address: the PDA `["config"]` of the staking program (checked by a unit
/// test). Only this config's `min_device_collateral` and vault are accepted.
pub const STAKING_CONFIG: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("5PRuP37p8st1RGLFp7Ndf4VmFzhxfCZYSo19x2aANFHE");

/// Seed of the PDA that signs the treasury's `buy_claim` (`claim_in_stablecoin`):
/// `["stable_claim"]` (the treasury's `STABLE_CLAIM_SEED`). It holds nothing.
pub const STABLE_CLAIM_SEED: &[u8] = b"stable_claim";
/// The stable-claim authority's address, derived at compile time (checked by a unit test); the
/// treasury accepts no other signer for `buy_claim`.
pub const STABLE_CLAIM_AUTHORITY: anchor_lang::prelude::Pubkey = pda(STABLE_CLAIM_SEED);
/// Its canonical bump, derived at compile time with the address (checked by the same test).
pub const STABLE_CLAIM_BUMP: u8 =
    anchor_lang::derive_program_address(&[STABLE_CLAIM_SEED], &crate::ID.to_bytes()).1;
/// The treasury program (its id is checked against `treasury::ID` by the program tests).
pub const TREASURY_PROGRAM_ID: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("EzNm4uWXMjsznQDvJuZApAvy2xupkNnCGs7vYsM6FU4b");

/// Seed of the network's lookup-table record: `["lut"]`. It holds the address of the frozen
/// address lookup table that `create_lookup_table` made, so clients find it without a list.
pub const LUT_SEED: &[u8] = b"lut";
/// Seed of the lookup table's authority: `["lut_authority"]`. It holds nothing and signs only
/// the creation, extension and freezing of the network's table, in one instruction.
pub const LUT_AUTHORITY_SEED: &[u8] = b"lut_authority";
/// The lookup-table authority's address (checked by a unit test).
pub const LUT_AUTHORITY: anchor_lang::prelude::Pubkey = pda(LUT_AUTHORITY_SEED);
/// Layout version written into the lookup-table record.
pub const LUT_VERSION: u8 = 1;
/// The address lookup table program.
pub const ADDRESS_LOOKUP_TABLE_PROGRAM_ID: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("AddressLookupTab1e1111111111111111111111111");
/// This program's event authority (`#[event_cpi]`): `["__event_authority"]`.
pub const EVENT_AUTHORITY: anchor_lang::prelude::Pubkey = pda(b"__event_authority");
/// The staking vault: the PDA `["vault"]` of the staking program (checked by a unit test).
pub const STAKING_VAULT: anchor_lang::prelude::Pubkey = staking_pda(b"vault");
/// The staking revenue vault: the PDA `["revenue_vault"]` of the staking program.
pub const STAKING_REVENUE_VAULT: anchor_lang::prelude::Pubkey = staking_pda(b"revenue_vault");
/// The staking program's event authority: the PDA `["__event_authority"]` of staking.
pub const STAKING_EVENT_AUTHORITY: anchor_lang::prelude::Pubkey = staking_pda(b"__event_authority");

/// The canonical PDA of the staking program for one seed, computed at compile time.
const fn staking_pda(seed: &[u8]) -> anchor_lang::prelude::Pubkey {
    let program = STAKING_PROGRAM_ID.to_bytes();
    let (address, _bump) = anchor_lang::derive_program_address(&[seed], &program);
    anchor_lang::prelude::Pubkey::new_from_array(address)
}

/// The canonical PDA of this program for one seed, computed at compile time.
const fn pda(seed: &[u8]) -> anchor_lang::prelude::Pubkey {
    let (address, _bump) = anchor_lang::derive_program_address(&[seed], &crate::ID.to_bytes());
    anchor_lang::prelude::Pubkey::new_from_array(address)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::prelude::Pubkey;

    #[test]
    fn collateral_authority_is_the_pda() {
        let (pda, _) = Pubkey::find_program_address(&[COLLATERAL_AUTHORITY_SEED], &crate::ID);
        assert_eq!(
            COLLATERAL_AUTHORITY, pda,
            "COLLATERAL_AUTHORITY must be {pda}"
        );
    }

    #[test]
    fn stable_claim_authority_is_the_canonical_pda() {
        let (pda, bump) = Pubkey::find_program_address(&[STABLE_CLAIM_SEED], &crate::ID);
        assert_eq!((STABLE_CLAIM_AUTHORITY, STABLE_CLAIM_BUMP), (pda, bump));
    }

    #[test]
    fn singleton_addresses_are_the_canonical_pdas() {
        let network = Pubkey::find_program_address(&[NETWORK_SEED], &crate::ID).0;
        let oracle_set = Pubkey::find_program_address(&[ORACLE_SET_SEED], &crate::ID).0;
        assert_eq!((NETWORK_ADDRESS, ORACLE_SET_ADDRESS), (network, oracle_set));
    }

    #[test]
    fn lookup_table_constants_are_the_pdas() {
        let own = |seed: &[u8]| Pubkey::find_program_address(&[seed], &crate::ID).0;
        let staking = |seed: &[u8]| Pubkey::find_program_address(&[seed], &STAKING_PROGRAM_ID).0;
        assert_eq!(LUT_AUTHORITY, own(LUT_AUTHORITY_SEED));
        assert_eq!(EVENT_AUTHORITY, own(b"__event_authority"));
        assert_eq!(STAKING_VAULT, staking(b"vault"));
        assert_eq!(STAKING_REVENUE_VAULT, staking(b"revenue_vault"));
        assert_eq!(STAKING_EVENT_AUTHORITY, staking(b"__event_authority"));
    }

    #[test]
    fn staking_config_is_the_pda() {
        let (pda, _) = Pubkey::find_program_address(&[b"config"], &STAKING_PROGRAM_ID);
        assert_eq!(STAKING_CONFIG, pda, "STAKING_CONFIG must be {pda}");
    }
}
