//! Slashing a provider's collateral (docs/staking.md, "Slashing"): from an offence found in the
//! published epochs (`depin_formats::offences`) to the staking position that holds the device's
//! collateral, the message the oracle quorum signs, and the `propose_slash` transaction.
//!
//! ```text
//!  finding (device, owner) ── Device account ── owner still the finding's? ── Device::position
//!      └─ SlashMessage(position, amount_bps, evidence_hash, set_version, slash_nonce)
//!           └─ k oracle signatures ── [ed25519 × k, propose_slash] ── appeal window ── execute_slash
//! ```

use anchor_lang::prelude::Pubkey;
use rewards::state::{Device, OracleSet};
use staking::instructions::ProposeSlashArgs;
use staking::math::slash::{SLASH_MESSAGE_LEN, SlashMessage};
use staking::state::Position;

use crate::accounts::{AccountSource, FetchError, fetch, fetch_migrated};
use crate::builders::ed25519::{shared_message_ix, shared_message_ix_bytes};
use crate::builders::{Instruction, rewards_ix, staking_ix};

/// The largest transaction the cluster accepts (the packet size less the IP and UDP headers).
pub const PACKET_DATA_SIZE: usize = 1_232;

/// Bytes of a `propose_slash` transaction besides its ed25519 instruction, at most: one
/// signature; eleven keys (the nine of `propose_slash`, the ed25519 precompile and the
/// compute-budget program); the blockhash; a compute-unit limit and price (a [`crate::Sender`]
/// may add both); and `propose_slash` with its nine accounts and 42 bytes of data.
const PROPOSE_BASE_BYTES: usize =
    (1 + 64) + 3 + (1 + 11 * 32) + 32 + 1 + (3 + 5) + (3 + 9) + (1 + 1 + 9 + 1 + 42);

/// The most oracle signatures one `propose_slash` transaction carries: all in one ed25519
/// instruction over a single copy of the message (`slash::tests::fits`).
pub const MAX_SIGNATURES_PER_PROPOSAL: usize = max_signatures();

const fn max_signatures() -> usize {
    let mut k = 0;
    while PROPOSE_BASE_BYTES + shared_message_ix_bytes(k + 1, SLASH_MESSAGE_LEN) <= PACKET_DATA_SIZE
    {
        k += 1;
    }
    k
}

/// An oracle's approval: its key and its ed25519 signature over a slash message.
pub type OracleSignature = ([u8; 32], [u8; 64]);

/// Why an offence cannot be charged to a position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unslashable {
    #[error("device {0} is not onboarded")]
    NoDevice(Pubkey),
    #[error(
        "device {device} has passed through another owner since the offence: {owner} now, \
         {prev_owner} before, {offender} at the offence"
    )]
    OwnerChanged {
        device: Pubkey,
        owner: Pubkey,
        prev_owner: Pubkey,
        offender: Pubkey,
    },
    #[error("position {0}, which held the device's collateral, no longer exists")]
    NoPosition(Pubkey),
}

/// The position an offence by `device`, owned by `offender` at the time, is charged to: the
/// one holding the device's collateral while the offender owned it. That is the device's
/// position while the offender still owns it, and `prev_position` once the offender has
/// transferred it (its released collateral stays liable, `Position::liable_until`). A second
/// transfer overwrites `prev_position`, but not before the epochs the offender was paid for,
/// their offence window and a grace are final (`TransferTooSoon`,
/// `rewards::state::prev_owner_kept_until`): until then every oracle reads the same target.
///
/// # Errors
///
/// The outer error is an RPC or account failure; the inner one why the offence cannot be charged.
pub async fn target(
    rpc: &impl AccountSource,
    device: &Pubkey,
    offender: &Pubkey,
) -> Result<Result<(Pubkey, Position), Unslashable>, FetchError> {
    let Some(d) = fetch::<Device>(rpc, "device", &rewards_ix::device_pda(device).0).await? else {
        return Ok(Err(Unslashable::NoDevice(*device)));
    };
    let address = if d.owner == *offender {
        d.position
    } else if d.prev_owner == *offender {
        d.prev_position
    } else {
        return Ok(Err(Unslashable::OwnerChanged {
            device: *device,
            owner: d.owner,
            prev_owner: d.prev_owner,
            offender: *offender,
        }));
    };
    position_at(rpc, address).await
}

/// The position at `address`, for a charge already decided.
///
/// # Errors
///
/// As [`target`].
pub async fn position_at(
    rpc: &impl AccountSource,
    address: Pubkey,
) -> Result<Result<(Pubkey, Position), Unslashable>, FetchError> {
    Ok(fetch::<Position>(rpc, "staking position", &address)
        .await?
        .map(|p| (address, p))
        .ok_or(Unslashable::NoPosition(address)))
}

/// The rewards program's oracle set, whose quorum approves slashes.
///
/// # Errors
///
/// An RPC or account failure; [`FetchError::Missing`] if there is no set.
pub async fn oracle_set(rpc: &impl AccountSource) -> Result<OracleSet, FetchError> {
    fetch_migrated(rpc, "oracle set", &rewards_ix::oracle_set_pda().0).await
}

/// The message each oracle signs to approve slashing `amount_bps` of `position`, on the
/// deployment whose `StakingConfig::slash_domain` is `domain`.
#[must_use]
pub fn message(
    domain: [u8; 32],
    position: &Pubkey,
    amount_bps: u16,
    evidence_hash: [u8; 32],
    set_version: u32,
    slash_nonce: u64,
) -> [u8; SLASH_MESSAGE_LEN] {
    SlashMessage {
        domain,
        position: position.to_bytes(),
        amount_bps,
        evidence_hash,
        set_version,
        slash_nonce,
    }
    .to_bytes()
}

/// `[ed25519 (every key and signature over one copy of message), propose_slash]`, submitted
/// (and the slash record's rent paid) by `proposer`.
#[must_use]
pub fn propose_ixs(
    proposer: Pubkey,
    position: Pubkey,
    args: ProposeSlashArgs,
    message: &[u8],
    signatures: &[OracleSignature],
) -> Vec<Instruction> {
    let accounts = staking_ix::propose_slash_accounts(proposer, position, &args.evidence_hash);
    vec![
        shared_message_ix(signatures, message),
        staking_ix::propose_slash(accounts, args),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_compute_budget_interface::ComputeBudgetInstruction;
    use solana_keypair::Keypair;
    use solana_message::Message;
    use solana_signer::Signer;

    /// The wire size of a legacy transaction, from its compiled message.
    fn wire_size(m: &Message) -> usize {
        let compact = |n: usize| if n < 128 { 1 } else { 2 };
        let ixs: usize = m
            .instructions
            .iter()
            .map(|ix| {
                1 + compact(ix.accounts.len())
                    + ix.accounts.len()
                    + compact(ix.data.len())
                    + ix.data.len()
            })
            .sum();
        let keys = m.account_keys.len();
        1 + 64 * usize::from(m.header.num_required_signatures)
            + 3
            + compact(keys)
            + 32 * keys
            + 32
            + compact(m.instructions.len())
            + ixs
    }

    /// The bound is exact: the largest proposal fits a packet with a compute budget, one more
    /// signature does not.
    #[test]
    fn fits() {
        let proposer = Pubkey::new_unique();
        let oracles: Vec<Keypair> = (0..=MAX_SIGNATURES_PER_PROPOSAL)
            .map(|_| Keypair::new())
            .collect();
        let position = Pubkey::new_unique();
        let msg = message([9; 32], &position, 500, [7; 32], 1, 0);
        let size = |n: usize| {
            let sigs: Vec<OracleSignature> = oracles[..n]
                .iter()
                .map(|k| (k.pubkey().to_bytes(), *k.sign_message(&msg).as_array()))
                .collect();
            let args = ProposeSlashArgs {
                amount_bps: 500,
                evidence_hash: [7; 32],
            };
            let mut ixs = vec![
                ComputeBudgetInstruction::set_compute_unit_limit(200_000),
                ComputeBudgetInstruction::set_compute_unit_price(1_000),
            ];
            ixs.extend(propose_ixs(proposer, position, args, &msg, &sigs));
            wire_size(&Message::new(&ixs, Some(&proposer)))
        };
        let max = MAX_SIGNATURES_PER_PROPOSAL;
        for k in [1, max] {
            assert_eq!(
                size(k),
                PROPOSE_BASE_BYTES + shared_message_ix_bytes(k, SLASH_MESSAGE_LEN)
            );
        }
        assert!(size(max) <= PACKET_DATA_SIZE);
        assert!(size(max + 1) > PACKET_DATA_SIZE);
        assert_eq!(MAX_SIGNATURES_PER_PROPOSAL, 5);
    }
}
