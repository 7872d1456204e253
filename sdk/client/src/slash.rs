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
use staking::state::{Position, SlashApproval};

use crate::accounts::{AccountSource, FetchError, fetch, fetch_migrated};
use crate::builders::ed25519::{shared_message_ix, shared_message_ix_bytes};
use crate::builders::{Instruction, rewards_ix, staking_ix};

/// The largest transaction the cluster accepts (the packet size less the IP and UDP headers).
pub const PACKET_DATA_SIZE: usize = 1_232;

/// Bytes of a `propose_slash` transaction besides its ed25519 instruction, at most: one
/// signature; eleven keys (the nine of `propose_slash`, the ed25519 precompile and the
/// compute-budget program); the blockhash; a compute-unit limit and price (a [`crate::Sender`]
/// may add both); and `propose_slash` with its ten account indexes (no `approval`: the program id
/// stands in) and 42 bytes of data. `approve_slash` has the same shape (nine keys, nine indexes).
const PROPOSE_BASE_BYTES: usize =
    (1 + 64) + 3 + (1 + 11 * 32) + 32 + 1 + (3 + 5) + (3 + 9) + (1 + 1 + 10 + 1 + 42);
/// The same for `propose_slash` with its `approval` account: one key more.
const PROPOSE_WITH_APPROVAL_BASE_BYTES: usize = PROPOSE_BASE_BYTES + 32;
/// The same for `approve_slash`: its nine accounts, all keys of their own.
const APPROVE_BASE_BYTES: usize = PROPOSE_BASE_BYTES - 1;

/// The most oracle signatures one `propose_slash` transaction carries: all in one ed25519
/// instruction over a single copy of the message (`slash::tests::fits`).
pub const MAX_SIGNATURES_PER_PROPOSAL: usize = max_signatures(PROPOSE_BASE_BYTES);
/// The same for `propose_slash` counting the approvals `approve_slash` recorded.
pub const MAX_SIGNATURES_WITH_APPROVAL: usize = max_signatures(PROPOSE_WITH_APPROVAL_BASE_BYTES);
/// The same for one `approve_slash` transaction.
pub const MAX_SIGNATURES_PER_APPROVAL: usize = max_signatures(APPROVE_BASE_BYTES);

const fn max_signatures(base: usize) -> usize {
    let mut k = 0;
    while base + shared_message_ix_bytes(k + 1, SLASH_MESSAGE_LEN) <= PACKET_DATA_SIZE {
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
/// transferred it (its released collateral stays liable, `Position::liable_until_epochs`). A second
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

/// The approvals `approve_slash` has recorded for one slash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The `SlashApproval` account exists (a proposal passes it, to count and close it).
    pub exists: bool,
    /// Its seats that count now: signed for the current set version and slash nonce, members
    /// not slashed since (bit `i` = seat `i`).
    pub seats: u16,
}

impl Recorded {
    /// Whether `seat` is recorded.
    #[must_use]
    pub fn has(&self, seat: usize) -> bool {
        seat < 16 && self.seats & (1 << seat) != 0
    }

    /// How many seats are recorded.
    #[must_use]
    pub fn count(&self) -> usize {
        (0..16).filter(|&seat| self.has(seat)).count()
    }
}

/// What `approve_slash` has recorded for slashing `args` of `position` at slash nonce `nonce`,
/// counted as `propose_slash` would under `set`.
///
/// # Errors
///
/// An RPC or account failure.
pub async fn recorded(
    rpc: &impl AccountSource,
    set: &OracleSet,
    position: &Pubkey,
    args: &ProposeSlashArgs,
    nonce: u64,
) -> Result<Recorded, FetchError> {
    let pda = staking_ix::slash_approval_pda(position, &args.evidence_hash, args.amount_bps).0;
    let record = fetch::<SlashApproval>(rpc, "slash approval", &pda).await?;
    let current = record
        .as_ref()
        .map_or(0, |r| r.current(set.set_version, nonce));
    let seats = (0..usize::from(set.count))
        .filter(|&seat| current & (1 << seat) != 0 && !set.is_slashed(seat))
        .fold(0u16, |mask, seat| mask | (1 << seat));
    Ok(Recorded {
        exists: record.is_some(),
        seats,
    })
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

/// `[ed25519 (every key and signature over one copy of message), approve_slash]`, paid by
/// `payer`: the signers' approvals recorded for a later `propose_slash`.
#[must_use]
pub fn approve_ixs(
    payer: Pubkey,
    position: Pubkey,
    args: &ProposeSlashArgs,
    message: &[u8],
    signatures: &[OracleSignature],
) -> Vec<Instruction> {
    let accounts = staking_ix::approve_slash_accounts(payer, position, args);
    vec![
        shared_message_ix(signatures, message),
        staking_ix::approve_slash(accounts, args.clone()),
    ]
}

/// The transactions that propose slashing `args` of `position` with `signatures` (each a new
/// approval of `message`, together enough for the quorum with those already recorded):
///
/// - with no `approval` account on chain and signatures that fit one transaction:
///   `[ed25519, propose_slash]`;
/// - otherwise `[ed25519, approve_slash]` for all but the last
///   [`MAX_SIGNATURES_WITH_APPROVAL`], [`MAX_SIGNATURES_PER_APPROVAL`] at a time, then
///   `[ed25519, propose_slash(approval)]` with the rest (no ed25519 if none is left).
#[must_use]
pub fn proposal_txs(
    proposer: Pubkey,
    position: Pubkey,
    args: &ProposeSlashArgs,
    message: &[u8],
    signatures: &[OracleSignature],
    approval_exists: bool,
) -> Vec<Vec<Instruction>> {
    if !approval_exists && signatures.len() <= MAX_SIGNATURES_PER_PROPOSAL {
        return vec![propose_ixs(
            proposer,
            position,
            args.clone(),
            message,
            signatures,
        )];
    }
    let split = signatures
        .len()
        .saturating_sub(MAX_SIGNATURES_WITH_APPROVAL);
    let (early, last) = signatures.split_at(split);
    let mut txs: Vec<Vec<Instruction>> = early
        .chunks(MAX_SIGNATURES_PER_APPROVAL)
        .map(|chunk| approve_ixs(proposer, position, args, message, chunk))
        .collect();
    let mut accounts = staking_ix::propose_slash_accounts(proposer, position, &args.evidence_hash);
    accounts.approval =
        Some(staking_ix::slash_approval_pda(&position, &args.evidence_hash, args.amount_bps).0);
    let mut final_tx = Vec::new();
    if !last.is_empty() {
        final_tx.push(shared_message_ix(last, message));
    }
    final_tx.push(staking_ix::propose_slash(accounts, args.clone()));
    txs.push(final_tx);
    txs
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::Discriminator;
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

    fn args() -> ProposeSlashArgs {
        ProposeSlashArgs {
            amount_bps: 500,
            evidence_hash: [7; 32],
        }
    }

    /// `n` oracles' signatures over a slash message, and the message.
    fn signatures(n: usize) -> (Vec<OracleSignature>, [u8; SLASH_MESSAGE_LEN]) {
        let msg = message([9; 32], &Pubkey::new_unique(), 500, [7; 32], 1, 0);
        let sigs = (0..n)
            .map(|_| {
                let k = Keypair::new();
                (k.pubkey().to_bytes(), *k.sign_message(&msg).as_array())
            })
            .collect();
        (sigs, msg)
    }

    /// The wire size of `ixs` behind a compute-unit limit and price.
    fn size(proposer: Pubkey, ixs: Vec<Instruction>) -> usize {
        let mut all = vec![
            ComputeBudgetInstruction::set_compute_unit_limit(200_000),
            ComputeBudgetInstruction::set_compute_unit_price(1_000),
        ];
        all.extend(ixs);
        wire_size(&Message::new(&all, Some(&proposer)))
    }

    /// The bounds are exact: the largest `propose_slash` (with and without recorded approvals)
    /// and `approve_slash` fit a packet with a compute budget, one more signature does not.
    #[test]
    fn fits() {
        let (proposer, position) = (Pubkey::new_unique(), Pubkey::new_unique());
        let (sigs, msg) = signatures(MAX_SIGNATURES_PER_PROPOSAL + 1);
        let plain = |k: usize| {
            size(
                proposer,
                propose_ixs(proposer, position, args(), &msg, &sigs[..k]),
            )
        };
        let approve = |k: usize| {
            let accounts = staking_ix::approve_slash_accounts(proposer, position, &args());
            let ixs = vec![
                shared_message_ix(&sigs[..k], &msg),
                staking_ix::approve_slash(accounts, args()),
            ];
            size(proposer, ixs)
        };
        let recorded = |k: usize| {
            let mut ixs = propose_ixs(proposer, position, args(), &msg, &sigs[..k]);
            let mut accounts = staking_ix::propose_slash_accounts(proposer, position, &[7; 32]);
            accounts.approval = Some(staking_ix::slash_approval_pda(&position, &[7; 32], 500).0);
            ixs[1] = staking_ix::propose_slash(accounts, args());
            size(proposer, ixs)
        };
        type Size<'a> = &'a dyn Fn(usize) -> usize;
        let shapes: [(Size, usize, usize); 3] = [
            (&plain, PROPOSE_BASE_BYTES, MAX_SIGNATURES_PER_PROPOSAL),
            (&approve, APPROVE_BASE_BYTES, MAX_SIGNATURES_PER_APPROVAL),
            (
                &recorded,
                PROPOSE_WITH_APPROVAL_BASE_BYTES,
                MAX_SIGNATURES_WITH_APPROVAL,
            ),
        ];
        for (size, base, max) in shapes {
            for k in [1, max] {
                assert_eq!(
                    size(k),
                    base + shared_message_ix_bytes(k, SLASH_MESSAGE_LEN)
                );
            }
            assert!(size(max) <= PACKET_DATA_SIZE);
            assert!(size(max + 1) > PACKET_DATA_SIZE);
        }
        assert_eq!(
            [
                MAX_SIGNATURES_PER_PROPOSAL,
                MAX_SIGNATURES_PER_APPROVAL,
                MAX_SIGNATURES_WITH_APPROVAL
            ],
            [5, 5, 4]
        );
    }

    /// A quorum too large for one transaction is recorded in chunks, the last four proposed.
    #[test]
    fn large_quorums_are_split() {
        let (proposer, position) = (Pubkey::new_unique(), Pubkey::new_unique());
        let (sigs, msg) = signatures(16);
        let plan = |k: usize, exists: bool| -> Vec<(u8, &'static str)> {
            proposal_txs(proposer, position, &args(), &msg, &sigs[..k], exists)
                .into_iter()
                .map(|tx| {
                    assert!(size(proposer, tx.clone()) <= PACKET_DATA_SIZE);
                    let signed = if tx.len() == 2 { tx[0].data[0] } else { 0 };
                    let last = &tx[tx.len() - 1].data[..8];
                    let name = if last == staking::instruction::ApproveSlash::DISCRIMINATOR {
                        "approve"
                    } else {
                        "propose"
                    };
                    (signed, name)
                })
                .collect()
        };
        assert_eq!(plan(5, false), [(5, "propose")]);
        assert_eq!(plan(6, false), [(2, "approve"), (4, "propose")]);
        assert_eq!(
            plan(16, false),
            [
                (5, "approve"),
                (5, "approve"),
                (2, "approve"),
                (4, "propose")
            ]
        );
        assert_eq!(plan(3, true), [(3, "propose")]);
        assert_eq!(plan(0, true), [(0, "propose")]);
    }
}
