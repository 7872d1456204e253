//! Instruction builders for the protocol programs: the PDAs and the default (correct) account
//! set of each instruction, built from the programs' own Anchor account and instruction types,
//! so they cannot drift from the IDL. The CLI, the migrations, the fleet simulator, the program
//! tests (which substitute single accounts to check refusals) and the bench all use these.

pub use anchor_lang::prelude::Pubkey;
pub use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{InstructionData, ToAccountMetas};

pub mod amm;
pub mod ed25519;
pub mod governance;
pub mod rewards_ix;
pub mod staking_ix;
pub mod treasury_ix;

/// The upgradeable BPF loader, which owns the programs and their ProgramData accounts.
pub const BPF_LOADER_UPGRADEABLE: Pubkey = anchor_lang::solana_program::bpf_loader_upgradeable::ID;

/// The associated token account program.
pub const ASSOCIATED_TOKEN_PROGRAM: Pubkey =
    Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// Who pays for and who deploys a deployment: what the `initialize_*` instructions need (the
/// payer of rent, and each program's upgrade authority, which alone may initialise it).
pub trait Deployment {
    fn payer(&self) -> Pubkey;
    fn deployer(&self) -> Pubkey;
}

/// A deployment named by its two keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeploymentKeys {
    pub payer: Pubkey,
    pub deployer: Pubkey,
}

impl Deployment for DeploymentKeys {
    fn payer(&self) -> Pubkey {
        self.payer
    }
    fn deployer(&self) -> Pubkey {
        self.deployer
    }
}

/// The two token programs the protocol supports for its token and stablecoins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProgram {
    SplToken,
    Token2022,
}

impl TokenProgram {
    pub fn id(self) -> Pubkey {
        match self {
            TokenProgram::SplToken => anchor_spl::token::ID,
            TokenProgram::Token2022 => anchor_spl::token_2022::ID,
        }
    }

    /// The token program that owns an account, if it is one of the two.
    pub fn from_owner(owner: &Pubkey) -> Option<Self> {
        [TokenProgram::SplToken, TokenProgram::Token2022]
            .into_iter()
            .find(|p| p.id() == *owner)
    }
}

/// An Anchor instruction from its account struct and instruction data.
pub fn anchor_ix(
    program_id: Pubkey,
    accounts: impl ToAccountMetas,
    data: impl InstructionData,
) -> Instruction {
    Instruction {
        program_id,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// The `event_authority` PDA that `#[event_cpi]` instructions sign with.
pub fn event_authority(program_id: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"__event_authority"], program_id).0
}

/// A program's ProgramData account under the upgradeable loader.
pub fn program_data_address(program_id: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[program_id.as_ref()], &BPF_LOADER_UPGRADEABLE).0
}

/// The associated token account of `owner` for `mint` under `token_program`.
pub fn associated_token_address(
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: TokenProgram,
) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.id().as_ref(), mint.as_ref()],
        &ASSOCIATED_TOKEN_PROGRAM,
    )
    .0
}

/// Creates `owner`'s associated token account for `mint` if it does not exist yet (the ATA
/// program's `CreateIdempotent`, which sizes the account for the mint's extensions).
pub fn create_associated_token_account_idempotent(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: TokenProgram,
) -> Instruction {
    Instruction {
        program_id: ASSOCIATED_TOKEN_PROGRAM,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(associated_token_address(owner, mint, token_program), false),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(token_program.id(), false),
        ],
        data: vec![1],
    }
}

/// SPL Token / Token-2022 `MintTo` (instruction 7): `amount` of `mint` to the token account `to`,
/// signed by the mint authority.
pub fn mint_to(
    token_program: TokenProgram,
    mint: &Pubkey,
    to: &Pubkey,
    authority: &Pubkey,
    amount: u64,
) -> Instruction {
    let mut data = vec![7u8];
    data.extend_from_slice(&amount.to_le_bytes());
    Instruction {
        program_id: token_program.id(),
        accounts: vec![
            AccountMeta::new(*mint, false),
            AccountMeta::new(*to, false),
            AccountMeta::new_readonly(*authority, true),
        ],
        data,
    }
}

/// SPL Token / Token-2022 `TransferChecked` (instruction 12): `amount` of `mint` (with `decimals`)
/// from the token account `from` to `to`, signed by `from`'s owner.
pub fn transfer_checked(
    token_program: TokenProgram,
    from: &Pubkey,
    mint: &Pubkey,
    to: &Pubkey,
    owner: &Pubkey,
    amount: u64,
    decimals: u8,
) -> Instruction {
    let mut data = vec![12u8];
    data.extend_from_slice(&amount.to_le_bytes());
    data.push(decimals);
    Instruction {
        program_id: token_program.id(),
        accounts: vec![
            AccountMeta::new(*from, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new(*to, false),
            AccountMeta::new_readonly(*owner, true),
        ],
        data,
    }
}
