//! Onboarding without shared keys (`docs/onboarding.md`): the owner's transaction, built from
//! the device's onboarding code, and the maker's strict check of that transaction before it adds
//! its signature.
//!
//! ```text
//!   [compute budget]* [staking stake | add_to_position]? ed25519(device's code) onboard_device
//!   signers: owner (fee payer) and maker; the device signs nothing here: its code is the proof
//! ```

use anchor_lang::{AnchorDeserialize, Discriminator};
use depin_formats::onboarding::{DeviceKind as CodeKind, OnboardingCode};
use solana_instruction::{AccountMeta, Instruction};
use solana_message::compiled_instruction::CompiledInstruction;
use solana_message::{
    AddressLookupTableAccount, CompileError, Hash, Message, MessageHeader, VersionedMessage, v0,
};

use crate::builders::ed25519::{ED25519_PROGRAM_ID, single_signature_ix};
use crate::builders::rewards_ix::{self, DeviceKind, OnboardDeviceArgs};
use crate::builders::{Pubkey, TokenProgram, staking_ix};

/// What the owner asks to onboard: the device's code, the maker that vouches for it, and the
/// owner's accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Onboard {
    pub code: OnboardingCode,
    pub maker: Pubkey,
    /// The asserted H3 cell.
    pub location: u64,
    /// The owner's staking position that takes the device's collateral.
    pub position: Pubkey,
    /// The owner's network-token account the fee is burned from.
    pub fee_source: Pubkey,
    pub token_program: TokenProgram,
}

impl Onboard {
    /// The code's owner: the fee payer and the owner of everything else.
    #[must_use]
    pub fn owner(&self) -> Pubkey {
        Pubkey::new_from_array(self.code.onboarding.owner.0)
    }

    /// The device key the code was signed with.
    #[must_use]
    pub fn device(&self) -> Pubkey {
        Pubkey::new_from_array(self.code.onboarding.device.0)
    }

    /// The device's signature, then `onboard_device`; the owner pays the device account's rent.
    #[must_use]
    pub fn instructions(&self) -> [Instruction; 2] {
        self.instructions_paid_by(self.owner())
    }

    /// As [`Onboard::instructions`], with `payer` paying the rent (the simulator's deployer; a
    /// maker signs only an owner-paid onboarding).
    #[must_use]
    pub fn instructions_paid_by(&self, payer: Pubkey) -> [Instruction; 2] {
        let owner = self.owner();
        let o = &self.code.onboarding;
        let onboard = rewards_ix::onboard_device(
            rewards_ix::onboard_device_accounts(
                payer,
                owner,
                self.device(),
                self.maker,
                self.fee_source,
                self.token_program,
                self.position,
            ),
            OnboardDeviceArgs {
                kind: device_kind(o.kind),
                location: self.location,
                expires_at: o.expires_at,
            },
        );
        [device_signature_ix(&self.code), onboard]
    }
}

impl Onboard {
    /// The owner's message: `collateral` (a stake or top-up, from [`Collateral::instruction`])
    /// if any, the device's signature and `onboard_device`; a v0 message through the network's
    /// lookup table `table` when there is one (928 bytes for the largest, which leaves room for a
    /// compute-unit limit and price: as legacy it is 1,202 of the packet's 1,232), else legacy.
    /// The owner pays; the owner and the maker sign.
    ///
    /// # Errors
    ///
    /// The v0 compiler's (too many accounts).
    pub fn message(
        &self,
        collateral: Option<Instruction>,
        table: Option<&AddressLookupTableAccount>,
        blockhash: Hash,
    ) -> Result<VersionedMessage, CompileError> {
        let owner = self.owner();
        let ixs: Vec<Instruction> = collateral.into_iter().chain(self.instructions()).collect();
        Ok(match table {
            Some(t) => VersionedMessage::V0(v0::Message::try_compile(
                &owner,
                &ixs,
                std::slice::from_ref(t),
                blockhash,
            )?),
            None => VersionedMessage::Legacy(Message::new_with_blockhash(
                &ixs,
                Some(&owner),
                &blockhash,
            )),
        })
    }
}

/// Where the collateral a [`Collateral`] asks for comes from: the owner's staking position and
/// the staked token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stake {
    /// The position's id (`Onboard::position` is `position_pda(owner, id)`).
    pub position_id: u64,
    /// The staking config's `stake_mint` and its token program.
    pub stake_mint: Pubkey,
    pub token_program: TokenProgram,
    /// A new position's cliff lock, seconds (0: unlocked collateral).
    pub lockup_secs: u64,
}

impl Onboard {
    /// The staking instruction that gives the position the collateral still `needed`, paid from
    /// the owner's token account of the staked token: `stake` opening position `position_id`,
    /// `add_to_position`, or none. It goes before the device's signature (`check_message` allows
    /// exactly these).
    #[must_use]
    pub fn collateral_ix(&self, needed: Collateral, stake: &Stake) -> Option<Instruction> {
        let owner = self.owner();
        let source = crate::builders::associated_token_address(
            &owner,
            &stake.stake_mint,
            stake.token_program,
        );
        match needed {
            Collateral::Enough => None,
            Collateral::Open(amount) => Some(staking_ix::stake(
                staking_ix::stake_accounts(
                    owner,
                    stake.position_id,
                    stake.stake_mint,
                    source,
                    stake.token_program,
                ),
                staking_ix::StakeArgs {
                    id: stake.position_id,
                    kind: staking_ix::LockupKind::Cliff,
                    lockup_secs: stake.lockup_secs,
                    amount,
                },
            )),
            Collateral::Add(amount) => Some(staking_ix::add_to_position(
                staking_ix::add_to_position_accounts(
                    owner,
                    self.position,
                    stake.stake_mint,
                    source,
                    stake.token_program,
                ),
                amount,
            )),
        }
    }
}

/// Whether `maker` has an approved, active maker account: what the owner's CLI and the maker
/// service both check before a maker signs.
///
/// # Errors
///
/// The account could not be read or is not a maker account.
pub async fn maker_active(
    rpc: &impl crate::accounts::AccountSource,
    maker: &Pubkey,
) -> Result<bool, crate::accounts::FetchError> {
    let account = rewards_ix::maker_pda(maker).0;
    let found = crate::accounts::fetch::<rewards::state::Maker>(rpc, "maker", &account).await?;
    Ok(found.is_some_and(|m| m.active))
}

/// Whether `device` has its account already (onboarded once, decommissioned or not).
///
/// # Errors
///
/// The account could not be read or is not a device account.
pub async fn device_onboarded(
    rpc: &impl crate::accounts::AccountSource,
    device: &Pubkey,
) -> Result<bool, crate::accounts::FetchError> {
    let account = rewards_ix::device_pda(device).0;
    let found = crate::accounts::fetch::<rewards::state::Device>(rpc, "device", &account).await?;
    Ok(found.is_some())
}

/// The program's `DeviceKind` for a code's kind.
#[must_use]
pub const fn device_kind(kind: CodeKind) -> DeviceKind {
    match kind {
        CodeKind::Connectivity => DeviceKind::Connectivity,
        CodeKind::Compute => DeviceKind::Compute,
    }
}

/// The ed25519 precompile instruction that carries the device's signature over its onboarding
/// message, as `onboard_device` looks for it.
#[must_use]
pub fn device_signature_ix(code: &OnboardingCode) -> Instruction {
    let program = depin_formats::keys::Pubkey(rewards::ID.to_bytes());
    let message = code.onboarding.signing_message(&program);
    single_signature_ix(&code.onboarding.device.0, &code.signature.0, &message)
}

/// The onboarding code a device key held in this process would print: for the simulator, the
/// tests and the benches. A real device signs on the device (`depin-agent onboarding-code`).
#[must_use]
pub fn local_code(
    device: &solana_keypair::Keypair,
    owner: &Pubkey,
    kind: DeviceKind,
    expires_at: i64,
) -> OnboardingCode {
    let kind = match kind {
        DeviceKind::Connectivity => CodeKind::Connectivity,
        DeviceKind::Compute => CodeKind::Compute,
    };
    depin_formats::onboarding::Onboarding::sign(
        &ed25519_dalek::SigningKey::from_bytes(device.secret_bytes()),
        depin_formats::keys::Pubkey(owner.to_bytes()),
        kind,
        expires_at,
        &depin_formats::keys::Pubkey(rewards::ID.to_bytes()),
    )
}

/// How much collateral the owner must still lock so its position can back one more device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collateral {
    /// The position holds enough.
    Enough,
    /// Add this many base units to the existing position.
    Add(u64),
    /// No position yet: open one with this many.
    Open(u64),
}

impl Collateral {
    /// From the staking config's `min_device_collateral` and the position's `(amount,
    /// bound_devices)`, None if it does not exist. None on overflow.
    #[must_use]
    pub fn needed(min_device_collateral: u64, position: Option<(u64, u32)>) -> Option<Self> {
        let Some((amount, bound)) = position else {
            return Some(Self::Open(min_device_collateral));
        };
        let required = min_device_collateral.checked_mul(u64::from(bound).checked_add(1)?)?;
        Some(match required.checked_sub(amount) {
            Some(0) | None => Self::Enough,
            Some(short) => Self::Add(short),
        })
    }

    /// Tokens the owner must have on top of the onboarding fee.
    #[must_use]
    pub const fn amount(self) -> u64 {
        match self {
            Self::Enough => 0,
            Self::Add(a) | Self::Open(a) => a,
        }
    }
}

/// Why a maker refuses to sign a transaction presented as an onboarding. Each has a stable
/// [`Refusal::reason`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the fee payer must be the code's owner {0}")]
    FeePayerNotOwner(Pubkey),
    #[error("the transaction must be signed by exactly the owner and the maker")]
    WrongSigners,
    #[error("the maker's key may appear only as onboard_device's maker, read-only")]
    MakerMisused,
    #[error(
        "instruction {0} is not allowed in an onboarding (compute budget, staking stake or add_to_position, the device's ed25519 signature, onboard_device)"
    )]
    UnexpectedInstruction(usize),
    #[error("the transaction must hold exactly one onboard_device")]
    OnboardCount,
    #[error("onboard_device's accounts or arguments are not those of this code, maker and owner")]
    OnboardMismatch,
    #[error(
        "the transaction must hold the device's signature over this code, exactly once, before onboard_device"
    )]
    DeviceSignature,
    #[error("a v0 transaction may load addresses only from the network's lookup table")]
    UnknownLookupTable,
    #[error("an onboarding is a legacy or v0 transaction")]
    UnsupportedVersion,
    #[error(
        "a malformed message: an account index out of range, a bad header, or a program id loaded from a table"
    )]
    Malformed,
}

impl Refusal {
    /// A stable machine-readable reason.
    #[must_use]
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::FeePayerNotOwner(_) => "fee_payer_not_owner",
            Self::WrongSigners => "wrong_signers",
            Self::MakerMisused => "maker_misused",
            Self::UnexpectedInstruction(_) => "unexpected_instruction",
            Self::OnboardCount => "onboard_count",
            Self::OnboardMismatch => "onboard_mismatch",
            Self::DeviceSignature => "device_signature",
            Self::UnknownLookupTable => "unknown_lookup_table",
            Self::UnsupportedVersion => "unsupported_version",
            Self::Malformed => "malformed_message",
        }
    }
}

/// The maker's check of a transaction message before signing it: it onboards exactly the
/// code's device for the code's owner with this maker, the owner pays, and nothing else can use
/// the maker's signature. Returns what it onboards.
///
/// # Errors
///
/// The first [`Refusal`] found.
pub fn check_message(
    message: &Message,
    maker: &Pubkey,
    code: &OnboardingCode,
) -> Result<Onboard, Refusal> {
    check_versioned(
        &VersionedMessage::Legacy(message.clone()),
        None,
        maker,
        code,
    )
}

/// [`check_message`] for a legacy or v0 message; a v0 message may load addresses from the
/// network's lookup table `table` only (read from the chain by the checker, never taken from
/// the requester).
///
/// # Errors
///
/// The first [`Refusal`] found.
pub fn check_versioned(
    message: &VersionedMessage,
    table: Option<&AddressLookupTableAccount>,
    maker: &Pubkey,
    code: &OnboardingCode,
) -> Result<Onboard, Refusal> {
    let owner = Pubkey::new_from_array(code.onboarding.owner.0);
    let resolved = Resolved::new(message, table)?;
    check_signers(&resolved, &owner, maker)?;
    let instructions = resolved.decompile()?;
    let mut onboard = None;
    let mut signatures = 0;
    let signature_ix = device_signature_ix(code);
    for (i, ix) in instructions.iter().enumerate() {
        match classify(ix) {
            Kind::ComputeBudget | Kind::Staking => {
                if ix.accounts.iter().any(|m| m.pubkey == *maker) {
                    return Err(Refusal::MakerMisused);
                }
            }
            Kind::Ed25519 if ix.data == signature_ix.data && onboard.is_none() => signatures += 1,
            Kind::Onboard if onboard.is_none() => onboard = Some(i),
            Kind::Onboard => return Err(Refusal::OnboardCount),
            Kind::Ed25519 | Kind::Other => return Err(Refusal::UnexpectedInstruction(i)),
        }
    }
    let at = onboard.ok_or(Refusal::OnboardCount)?;
    if signatures != 1 {
        return Err(Refusal::DeviceSignature);
    }
    rebuild_onboard(&instructions[at], maker, code)
}

/// A message's account keys as the runtime orders them (the static keys, then each table's
/// writable loads, then each table's read-only loads), its header and its instructions.
struct Resolved<'a> {
    header: MessageHeader,
    keys: Vec<Pubkey>,
    /// How many of `keys` are the message's own (static): program ids must be among them.
    statics: usize,
    instructions: &'a [CompiledInstruction],
}

impl<'a> Resolved<'a> {
    fn new(
        message: &'a VersionedMessage,
        table: Option<&AddressLookupTableAccount>,
    ) -> Result<Self, Refusal> {
        // What the runtime refuses (indexes out of range, a bad header) is refused here too.
        message.sanitize().map_err(|_| Refusal::Malformed)?;
        let m = match message {
            VersionedMessage::Legacy(m) => {
                return Ok(Self {
                    header: m.header,
                    keys: m.account_keys.clone(),
                    statics: m.account_keys.len(),
                    instructions: &m.instructions,
                });
            }
            VersionedMessage::V0(m) => m,
            // Any later version: not what an onboarding is built as.
            _ => return Err(Refusal::UnsupportedVersion),
        };
        let mut keys = m.account_keys.clone();
        let load = |indexes: &[u8], keys: &mut Vec<Pubkey>| -> Result<(), Refusal> {
            let table = table.ok_or(Refusal::UnknownLookupTable)?;
            for &i in indexes {
                let key = table.addresses.get(usize::from(i));
                keys.push(*key.ok_or(Refusal::UnknownLookupTable)?);
            }
            Ok(())
        };
        if m.address_table_lookups
            .iter()
            .any(|l| Some(&l.account_key) != table.map(|t| &t.key))
        {
            return Err(Refusal::UnknownLookupTable);
        }
        for l in &m.address_table_lookups {
            load(&l.writable_indexes, &mut keys)?;
        }
        for l in &m.address_table_lookups {
            load(&l.readonly_indexes, &mut keys)?;
        }
        Ok(Self {
            header: m.header,
            statics: m.account_keys.len(),
            keys,
            instructions: &m.instructions,
        })
    }
}

/// Exactly two signers: the owner (fee payer, first) and the maker, which is read-only.
fn check_signers(message: &Resolved, owner: &Pubkey, maker: &Pubkey) -> Result<(), Refusal> {
    let keys = &message.keys;
    if keys.first() != Some(owner) {
        return Err(Refusal::FeePayerNotOwner(*owner));
    }
    if message.header.num_required_signatures != 2 || keys.get(1) != Some(maker) {
        return Err(Refusal::WrongSigners);
    }
    // Signers come writable first: the owner (fee payer) alone may be writable.
    let h = message.header;
    if h.num_required_signatures
        .saturating_sub(h.num_readonly_signed_accounts)
        != 1
    {
        return Err(Refusal::MakerMisused);
    }
    Ok(())
}

/// The message's instructions with their accounts' keys and signer flags (writable flags are the
/// whole message's, so they are not compared per instruction).
impl Resolved<'_> {
    /// Refuses an index out of range and a program id loaded from a table, as the runtime does.
    fn decompile(&self) -> Result<Vec<Instruction>, Refusal> {
        let key = |i: u8| {
            self.keys
                .get(usize::from(i))
                .copied()
                .ok_or(Refusal::Malformed)
        };
        let signers = usize::from(self.header.num_required_signatures);
        self.instructions
            .iter()
            .map(|c| {
                if usize::from(c.program_id_index) >= self.statics {
                    return Err(Refusal::Malformed);
                }
                let accounts = c
                    .accounts
                    .iter()
                    .map(|&i| {
                        Ok(AccountMeta {
                            pubkey: key(i)?,
                            is_signer: usize::from(i) < signers,
                            is_writable: false,
                        })
                    })
                    .collect::<Result<_, Refusal>>()?;
                Ok(Instruction {
                    program_id: key(c.program_id_index)?,
                    accounts,
                    data: c.data.clone(),
                })
            })
            .collect()
    }
}

enum Kind {
    ComputeBudget,
    Staking,
    Ed25519,
    Onboard,
    Other,
}

fn classify(ix: &Instruction) -> Kind {
    let starts = |d: &[u8]| ix.data.starts_with(d);
    if ix.program_id == solana_compute_budget_interface::ID {
        Kind::ComputeBudget
    } else if ix.program_id == staking::ID
        && (starts(staking::instruction::Stake::DISCRIMINATOR)
            || starts(staking::instruction::AddToPosition::DISCRIMINATOR))
    {
        Kind::Staking
    } else if ix.program_id == ED25519_PROGRAM_ID {
        Kind::Ed25519
    } else if ix.program_id == rewards::ID
        && starts(rewards::instruction::OnboardDevice::DISCRIMINATOR)
    {
        Kind::Onboard
    } else {
        Kind::Other
    }
}

/// Reads the location, position, fee source and token program from `ix`, rebuilds the
/// `onboard_device` this code and maker make with them, and requires `ix` to be exactly it.
fn rebuild_onboard(
    ix: &Instruction,
    maker: &Pubkey,
    code: &OnboardingCode,
) -> Result<Onboard, Refusal> {
    let data = ix.data.get(8..).ok_or(Refusal::OnboardMismatch)?;
    let args = OnboardDeviceArgs::try_from_slice(data).map_err(|_| Refusal::OnboardMismatch)?;
    let account = |field: Pubkey| -> Result<Pubkey, Refusal> {
        let at = template_index(&field).ok_or(Refusal::OnboardMismatch)?;
        ix.accounts
            .get(at)
            .map(|m| m.pubkey)
            .ok_or(Refusal::OnboardMismatch)
    };
    let token_program = TokenProgram::from_owner(&account(TEMPLATE_TOKEN_PROGRAM)?)
        .ok_or(Refusal::OnboardMismatch)?;
    let onboard = Onboard {
        code: *code,
        maker: *maker,
        location: args.location,
        position: account(TEMPLATE_POSITION)?,
        fee_source: account(TEMPLATE_FEE_SOURCE)?,
        token_program,
    };
    let [_, mut expected] = onboard.instructions();
    for m in &mut expected.accounts {
        m.is_writable = false;
    }
    if *ix == expected {
        Ok(onboard)
    } else {
        Err(Refusal::OnboardMismatch)
    }
}

const TEMPLATE_POSITION: Pubkey = Pubkey::new_from_array([1; 32]);
const TEMPLATE_FEE_SOURCE: Pubkey = Pubkey::new_from_array([2; 32]);
const TEMPLATE_TOKEN_PROGRAM: Pubkey = Pubkey::new_from_array([3; 32]);

/// Where the account standing for `field` sits in `onboard_device`'s accounts (the template's
/// other keys are all different from these three).
fn template_index(field: &Pubkey) -> Option<usize> {
    let mut accounts = rewards_ix::onboard_device_accounts(
        Pubkey::new_from_array([4; 32]),
        Pubkey::new_from_array([4; 32]),
        Pubkey::new_from_array([5; 32]),
        Pubkey::new_from_array([6; 32]),
        TEMPLATE_FEE_SOURCE,
        TokenProgram::SplToken,
        TEMPLATE_POSITION,
    );
    accounts.token_program = TEMPLATE_TOKEN_PROGRAM;
    anchor_lang::ToAccountMetas::to_account_metas(&accounts, None)
        .iter()
        .position(|m| m.pubkey == *field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use depin_formats::keys::Pubkey as FormatsKey;
    use ed25519_dalek::SigningKey;

    fn code(owner: &Pubkey) -> OnboardingCode {
        depin_formats::onboarding::Onboarding::sign(
            &SigningKey::from_bytes(&[9; 32]),
            FormatsKey(owner.to_bytes()),
            CodeKind::Connectivity,
            1_800_000_000,
            &FormatsKey(rewards::ID.to_bytes()),
        )
    }

    fn request(owner: Pubkey, maker: Pubkey) -> Onboard {
        Onboard {
            code: code(&owner),
            maker,
            location: 0x08a2_a107_2b59_ffff,
            position: crate::builders::staking_ix::position_pda(&owner, 0).0,
            fee_source: crate::builders::associated_token_address(
                &owner,
                &crate::builders::rewards_ix::mint_pda().0,
                TokenProgram::Token2022,
            ),
            token_program: TokenProgram::Token2022,
        }
    }

    fn message(ixs: &[Instruction], payer: &Pubkey) -> Message {
        Message::new(ixs, Some(payer))
    }

    #[test]
    fn the_owners_transaction_passes_and_is_read_back() {
        let (owner, maker) = (Pubkey::new_unique(), Pubkey::new_unique());
        let r = request(owner, maker);
        let mut ixs = vec![
            solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(
                200_000,
            ),
        ];
        ixs.extend(r.instructions());
        assert_eq!(
            check_message(&message(&ixs, &owner), &maker, &r.code),
            Ok(r)
        );
    }

    #[test]
    fn each_refusal() {
        let (owner, maker) = (Pubkey::new_unique(), Pubkey::new_unique());
        let r = request(owner, maker);
        let [sig, onboard] = r.instructions();
        let check = |ixs: &[Instruction], payer: &Pubkey| {
            check_message(&message(ixs, payer), &maker, &r.code).map_err(|e| e.reason())
        };
        let both = [sig.clone(), onboard.clone()];
        assert_eq!(check(&both, &maker), Err("fee_payer_not_owner"));
        // Another maker's transaction.
        let other = request(owner, Pubkey::new_unique()).instructions();
        assert_eq!(check(&other, &owner), Err("wrong_signers"));
        // The maker's key used elsewhere: a transfer it signs.
        let steal = Instruction::new_with_bytes(
            anchor_lang::system_program::ID,
            &[2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
            vec![
                AccountMeta::new(maker, true),
                AccountMeta::new(owner, false),
            ],
        );
        let ixs = [steal, sig.clone(), onboard.clone()];
        assert_eq!(check(&ixs, &owner), Err("maker_misused"));
        // Anything else.
        let memo = Instruction::new_with_bytes(Pubkey::new_unique(), b"x", vec![]);
        let ixs = [memo, sig.clone(), onboard.clone()];
        assert_eq!(check(&ixs, &owner), Err("unexpected_instruction"));
        assert_eq!(
            check(std::slice::from_ref(&sig), &owner),
            Err("wrong_signers")
        );
        let twice = [sig.clone(), onboard.clone(), onboard.clone()];
        assert_eq!(check(&twice, &owner), Err("onboard_count"));
        assert_eq!(
            check(std::slice::from_ref(&onboard), &owner),
            Err("device_signature")
        );
        let late = [onboard.clone(), sig.clone()];
        assert_eq!(check(&late, &owner), Err("unexpected_instruction"));
        // Another kind than the code's, and a substituted account.
        let mut kind = onboard.clone();
        let at = kind.data.len() - 17;
        kind.data[at] = 1;
        assert_eq!(check(&[sig.clone(), kind], &owner), Err("onboard_mismatch"));
        // An account index past the keys: the runtime refuses it, and so does the check.
        let mut m = message(&[sig.clone(), onboard.clone()], &owner);
        let last = m.instructions.len() - 1;
        m.instructions[last].accounts[10] = 250;
        assert_eq!(
            check_message(&m, &maker, &r.code).map_err(|e| e.reason()),
            Err("malformed_message")
        );
        let mut network = onboard.clone();
        network.accounts[6].pubkey = Pubkey::new_unique();
        assert_eq!(check(&[sig, network], &owner), Err("onboard_mismatch"));
    }

    /// The onboarding's size as a legacy transaction signed by the owner and the maker, with
    /// `collateral` before it.
    fn legacy_size(r: &Onboard, collateral: Instruction) -> usize {
        let mut ixs = vec![collateral];
        ixs.extend(r.instructions());
        let message = message(&ixs, &r.owner());
        assert_eq!(check_message(&message, &r.maker, &r.code).as_ref(), Ok(r));
        1 + 64 * 2 + message.serialize().len()
    }

    /// A new position's stake or a top-up from the owner's account of `mint`.
    fn stake_from(mint: Pubkey, tp: TokenProgram) -> Stake {
        Stake {
            position_id: 0,
            stake_mint: mint,
            token_program: tp,
            lockup_secs: 0,
        }
    }

    /// As legacy transactions, an onboarding that tops up a position and one that opens one
    /// both fit the packet, with no room left for a compute-unit limit and price (two
    /// instructions, about 60 bytes, would take the second over): those go through the
    /// network's lookup table (`a_v0_onboarding_through_the_network_table`).
    #[test]
    fn the_onboarding_transactions_sizes() {
        let (owner, maker) = (Pubkey::new_unique(), Pubkey::new_unique());
        let r = request(owner, maker);
        let stake = stake_from(crate::builders::rewards_ix::mint_pda().0, r.token_program);
        let top_up = r.collateral_ix(Collateral::Add(1), &stake).unwrap();
        assert_eq!(legacy_size(&r, top_up), 1_151);
        let open = r.collateral_ix(Collateral::Open(1), &stake).unwrap();
        assert_eq!(legacy_size(&r, open), 1_202);
    }

    /// The network's lookup table as `create_lookup_table` fills it (`table_addresses`), for a
    /// network whose mint is `mint`.
    fn network_table(mint: Pubkey, tp: TokenProgram) -> AddressLookupTableAccount {
        use crate::builders::{event_authority, rewards_ix as rw};
        AddressLookupTableAccount {
            key: Pubkey::new_unique(),
            addresses: vec![
                rw::network_pda().0,
                mint,
                rw::rewards_vault_pda().0,
                tp.id(),
                anchor_lang::system_program::ID,
                event_authority(&rewards::ID),
                rw::oracle_set_pda().0,
                staking_ix::collateral_authority_pda().0,
                staking::ID,
                staking_ix::config_pda().0,
                staking_ix::vault_pda().0,
                staking_ix::revenue_vault_pda().0,
                event_authority(&staking::ID),
            ],
        }
    }

    /// Through the network's lookup table, an onboarding that opens a position fits the packet
    /// with room for a compute-unit limit and price, and the maker's check reads it back; a
    /// v0 message through any other table is refused.
    #[test]
    fn a_v0_onboarding_through_the_network_table() {
        let (owner, maker) = (Pubkey::new_unique(), Pubkey::new_unique());
        let r = request(owner, maker);
        let mint = crate::builders::rewards_ix::mint_pda().0;
        let table = network_table(mint, r.token_program);
        let stake = r.collateral_ix(Collateral::Open(5), &stake_from(mint, r.token_program));
        let m = r
            .message(stake.clone(), Some(&table), Hash::default())
            .unwrap();
        assert!(matches!(m, VersionedMessage::V0(_)));
        assert_eq!(
            check_versioned(&m, Some(&table), &maker, &r.code).as_ref(),
            Ok(&r)
        );
        let size = 1 + 64 * 2 + m.serialize().len();
        assert_eq!(size, 928);
        // The same message checked against another table, or none.
        let other = AddressLookupTableAccount {
            key: Pubkey::new_unique(),
            addresses: table.addresses.clone(),
        };
        for t in [Some(&other), None] {
            assert_eq!(
                check_versioned(&m, t, &maker, &r.code).map_err(|e| e.reason()),
                Err("unknown_lookup_table")
            );
        }
        // Without a table: a legacy message.
        let legacy = r.message(stake, None, Hash::default()).unwrap();
        assert!(matches!(legacy, VersionedMessage::Legacy(_)));
        assert_eq!(check_versioned(&legacy, None, &maker, &r.code), Ok(r));
    }

    #[test]
    fn collateral_needed() {
        assert_eq!(Collateral::needed(100, None), Some(Collateral::Open(100)));
        assert_eq!(
            Collateral::needed(100, Some((100, 0))),
            Some(Collateral::Enough)
        );
        assert_eq!(
            Collateral::needed(100, Some((250, 2))),
            Some(Collateral::Add(50))
        );
        assert_eq!(
            Collateral::needed(100, Some((900, 2))),
            Some(Collateral::Enough)
        );
        assert_eq!(Collateral::needed(u64::MAX, Some((0, 1))), None);
        assert_eq!(Collateral::Add(50).amount(), 50);
    }
}
