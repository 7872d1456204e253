//! Shared helpers for the program tests, the SBF conformance suite and the compute-unit bench.
//!
//! Every test runs the programs as built SBF (`target/deploy/<program>.so`, from
//! `scripts/build-sbf`) inside LiteSVM, next to the real SPL Token, Token-2022 and ATA programs
//! that LiteSVM preloads. Nothing is mocked: signatures are verified, sysvars are real, and time
//! moves only through `warp`.
// Test support: fail loudly. LiteSVM's own result type has a large error variant.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::result_large_err
)]

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anchor_lang::AccountDeserialize;
use litesvm::LiteSVM;
pub use litesvm::types::{FailedTransactionMetadata, TransactionMetadata, TransactionResult};
use solana_account::Account;
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
pub use solana_message::AddressLookupTableAccount;
use solana_message::VersionedMessage;
use solana_signer::Signer;
use solana_transaction::Transaction;
pub use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;

pub mod amm;
pub mod builders;
pub mod governance;
pub mod pyth;

pub use anchor_lang::prelude::Pubkey;
pub use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
pub use anchor_spl;
pub use depin_client::onboarding;
pub use depin_client::slash;
pub use litesvm;
pub use merkle_sum;
pub use rewards;
pub use solana_account;
pub use solana_keypair;
pub use solana_signer;

/// SOL given to every funded test key.
pub const FUND_LAMPORTS: u64 = 100_000_000_000;

pub use depin_client::builders::{
    BPF_LOADER_UPGRADEABLE, Deployment, TokenProgram, anchor_ix, event_authority,
    program_data_address,
};

/// A program the harness can load: its id, its `.so` name and its source folder.
#[derive(Clone, Copy, Debug)]
pub struct ProgramSpec {
    pub id: Pubkey,
    /// File stem in `target/deploy/`.
    pub name: &'static str,
    /// Source folders (the program's and the shared crates it builds in), relative to the
    /// workspace root; a newer file in any of them means a stale `.so`.
    pub dirs: &'static [&'static str],
}

pub const REWARDS: ProgramSpec = ProgramSpec {
    id: rewards::ID,
    name: "rewards",
    dirs: &["programs/rewards", "programs/merkle-sum", "programs/common"],
};
pub const STAKING: ProgramSpec = ProgramSpec {
    id: staking::ID,
    name: "staking",
    dirs: &["programs/staking", "programs/common"],
};
pub const TREASURY: ProgramSpec = ProgramSpec {
    id: treasury::ID,
    name: "treasury",
    dirs: &["programs/treasury", "programs/common"],
};
/// The SBF conformance program (tests/sbf-conformance): proves the toolchain, not the protocol.
pub const SBF_CONFORMANCE: ProgramSpec = ProgramSpec {
    id: sbf_conformance::ID,
    name: "sbf_conformance",
    dirs: &["tests/sbf-conformance/program"],
};
/// The three protocol programs.
pub const PROTOCOL_PROGRAMS: [ProgramSpec; 3] = [REWARDS, STAKING, TREASURY];

/// The workspace root (the folder holding `Anchor.toml`), found at run time.
///
/// Order: `$DEPIN_ROOT`; else the nearest ancestor of the run-time `$CARGO_MANIFEST_DIR` (which
/// `cargo test`/`cargo run` set) holding `Anchor.toml`; else the same walk from the compile-time
/// manifest folder. Resolving at run time matters: clones at different paths share one target
/// dir, and cargo may reuse a binary built in another clone, whose compile-time path then points
/// at that other clone's programs and tables.
pub fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("DEPIN_ROOT") {
        return PathBuf::from(root);
    }
    let runtime = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    for start in runtime
        .into_iter()
        .chain([PathBuf::from(env!("CARGO_MANIFEST_DIR"))])
    {
        if let Some(root) = start.ancestors().find(|d| d.join("Anchor.toml").is_file()) {
            return root.to_path_buf();
        }
    }
    panic!("no Anchor.toml above $CARGO_MANIFEST_DIR; set DEPIN_ROOT to the repository root")
}

fn newest_mtime(dir: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.flatten() {
        let path = entry.path();
        let candidate = if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            newest_mtime(&path)
        } else {
            entry.metadata().ok()?.modified().ok().map(|t| (t, path))
        };
        if let Some(c) = candidate
            && newest.as_ref().is_none_or(|n| c.0 > n.0)
        {
            newest = Some(c);
        }
    }
    newest
}

/// The bytes of `target/deploy/<name>.so`. Panics with a clear message when the file is missing
/// or older than any file in the program's source folder.
pub fn program_bytes(spec: &ProgramSpec) -> Vec<u8> {
    let root = workspace_root();
    let so = root.join("target/deploy").join(format!("{}.so", spec.name));
    let built = match std::fs::metadata(&so).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(_) => panic!(
            "{} is missing: build the programs with `scripts/build-sbf` (scripts/test does it for you)",
            so.display()
        ),
    };
    for dir in spec.dirs {
        if let Some((changed, path)) = newest_mtime(&root.join(dir)) {
            assert!(
                changed <= built,
                "{} is older than {}: rebuild with `scripts/build-sbf` (scripts/test does it for you)",
                so.display(),
                path.display()
            );
        }
    }
    std::fs::read(&so).expect("read .so")
}

/// A LiteSVM with the given programs loaded from their built `.so` files.
pub struct TestEnv {
    pub svm: LiteSVM,
    /// Pays fees and rent.
    pub payer: Keypair,
    /// Upgrade authority of every loaded program.
    pub deployer: Keypair,
}

impl Deployment for TestEnv {
    fn payer(&self) -> Pubkey {
        self.payer.pubkey()
    }
    fn deployer(&self) -> Pubkey {
        self.deployer.pubkey()
    }
}

impl TestEnv {
    /// The three protocol programs, with `deployer` as their upgrade authority.
    pub fn new() -> Self {
        Self::with_programs(&PROTOCOL_PROGRAMS)
    }

    /// Payer and deployer keys are fixed, not random: the SBF code compares keys with early exits,
    /// so compute units depend on the key bytes, and the CU table must be reproducible.
    pub fn with_programs(programs: &[ProgramSpec]) -> Self {
        let mut svm = LiteSVM::new();
        let payer = Keypair::new_from_array([0x50; 32]);
        let deployer = Keypair::new_from_array([0xde; 32]);
        svm.airdrop(&payer.pubkey(), FUND_LAMPORTS)
            .expect("airdrop payer");
        svm.airdrop(&deployer.pubkey(), FUND_LAMPORTS)
            .expect("airdrop deployer");
        let mut env = Self {
            svm,
            payer,
            deployer,
        };
        for spec in programs {
            env.load_program(spec);
        }
        env
    }

    /// Loads `spec`'s `.so` under the upgradeable loader and makes `deployer` its upgrade
    /// authority, as a real deployment would (LiteSVM's `add_program` leaves it empty).
    pub fn load_program(&mut self, spec: &ProgramSpec) {
        let bytes = program_bytes(spec);
        self.svm.add_program(spec.id, &bytes).expect("load program");
        let address = program_data_address(&spec.id);
        let mut account = self.svm.get_account(&address).expect("ProgramData exists");
        // UpgradeableLoaderState::ProgramData { slot: u64, upgrade_authority_address: Option<Pubkey> }
        // in bincode: tag 3 (u32), slot, then the option tag and the key.
        assert_eq!(account.data[0..4], 3u32.to_le_bytes(), "ProgramData tag");
        account.data[12] = 1;
        account.data[13..45].copy_from_slice(self.deployer.pubkey().as_ref());
        self.svm
            .set_account(address, account)
            .expect("set ProgramData");
    }

    /// A new keypair with `FUND_LAMPORTS`.
    pub fn funded_keypair(&mut self) -> Keypair {
        let kp = Keypair::new();
        self.svm
            .airdrop(&kp.pubkey(), FUND_LAMPORTS)
            .expect("airdrop");
        kp
    }

    /// Signs `ixs` with the payer plus `signers` and sends them in one transaction.
    pub fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TransactionResult {
        let tx = self.transaction(ixs, signers);
        self.svm.send_transaction(tx)
    }

    /// Like `send`, but expires the blockhash first so that an identical transaction can be sent
    /// again as a *new* transaction (not a duplicate signature).
    pub fn send_fresh(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TransactionResult {
        self.svm.expire_blockhash();
        self.send(ixs, signers)
    }

    /// A lookup table holding `addresses`, installed at a fixed address derived from `seed`,
    /// active from the current slot on. Its account is in the real ALT program's format, so the
    /// runtime resolves v0 transactions through it exactly as on a cluster.
    pub fn lookup_table(&mut self, seed: u8, addresses: &[Pubkey]) -> AddressLookupTableAccount {
        use solana_address_lookup_table_interface::state::{AddressLookupTable, LookupTableMeta};
        let key = Pubkey::new_from_array([seed; 32]);
        let table = AddressLookupTable {
            meta: LookupTableMeta {
                deactivation_slot: u64::MAX,
                last_extended_slot: 0,
                last_extended_slot_start_index: 0,
                authority: None,
                _padding: 0,
            },
            addresses: std::borrow::Cow::Borrowed(addresses),
        };
        let data = table.serialize_for_tests().expect("serialize lookup table");
        let account = Account {
            lamports: self.rent_exempt(data.len()),
            data,
            owner: solana_address_lookup_table_interface::program::ID,
            executable: false,
            rent_epoch: 0,
        };
        self.svm
            .set_account(key, account)
            .expect("set lookup table");
        // Lookups need the table to predate the current slot.
        let slot = self.svm.get_sysvar::<anchor_lang::prelude::Clock>().slot;
        self.svm.warp_to_slot(slot + 1);
        AddressLookupTableAccount {
            key,
            addresses: addresses.to_vec(),
        }
    }

    /// Sends `ixs` as a v0 transaction (no lookup table) behind a compute-budget instruction,
    /// after checking that its wire size is at most the 1,232-byte packet limit, which LiteSVM
    /// does not enforce. Returns the result and the wire size.
    pub fn send_v0_within_packet(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> (TransactionResult, usize) {
        self.svm.expire_blockhash();
        let mut all = vec![compute_unit_limit(400_000)];
        all.extend_from_slice(ixs);
        let tx = self.transaction_v0(&all, signers, &[]);
        let size = wire_size(&tx);
        assert!(
            size <= PACKET_DATA_SIZE,
            "{size} bytes exceed the packet limit"
        );
        (self.svm.send_transaction(tx), size)
    }

    /// A signed v0 transaction (payer first) resolving accounts through `tables`.
    pub fn transaction_v0(
        &self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        tables: &[AddressLookupTableAccount],
    ) -> VersionedTransaction {
        self.transaction_v0_paid_by(&self.payer, ixs, signers, tables)
    }

    /// As `transaction_v0`, with `payer` paying the fee (a wallet that signs anyway saves the
    /// harness payer's 64-byte signature).
    pub fn transaction_v0_paid_by(
        &self,
        payer: &Keypair,
        ixs: &[Instruction],
        signers: &[&Keypair],
        tables: &[AddressLookupTableAccount],
    ) -> VersionedTransaction {
        let mut all: Vec<&Keypair> = vec![payer];
        all.extend(
            signers
                .iter()
                .copied()
                .filter(|s| s.pubkey() != payer.pubkey()),
        );
        let message = solana_message::v0::Message::try_compile(
            &payer.pubkey(),
            ixs,
            tables,
            self.svm.latest_blockhash(),
        )
        .expect("compile v0 message");
        VersionedTransaction::try_new(VersionedMessage::V0(message), &all).expect("sign v0")
    }

    /// The signed transaction `send` would send.
    pub fn transaction(&self, ixs: &[Instruction], signers: &[&Keypair]) -> Transaction {
        let mut all: Vec<&Keypair> = vec![&self.payer];
        all.extend(
            signers
                .iter()
                .copied()
                .filter(|s| s.pubkey() != self.payer.pubkey()),
        );
        Transaction::new_signed_with_payer(
            ixs,
            Some(&self.payer.pubkey()),
            &all,
            self.svm.latest_blockhash(),
        )
    }

    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        self.svm.get_account(address)
    }

    /// The lamports at `address` (0 if there is no account).
    pub fn lamports(&self, address: &Pubkey) -> u64 {
        self.account(address).map_or(0, |a| a.lamports)
    }

    /// A copy of the account at `from`, changed by `edit`, stored at a new address (the
    /// substituted-account tests' lookalikes). Panics if `from` does not exist.
    pub fn copy_account(&mut self, from: &Pubkey, edit: impl FnOnce(&mut Account)) -> Pubkey {
        let mut account = self.account(from).expect("the account to copy exists");
        edit(&mut account);
        let copy = Pubkey::new_unique();
        self.svm
            .set_account(copy, account)
            .expect("storing the copy");
        copy
    }

    /// Deserialises an Anchor account (discriminator checked).
    pub fn anchor_account<T: AccountDeserialize>(&self, address: &Pubkey) -> T {
        let account = self
            .account(address)
            .unwrap_or_else(|| panic!("account {address} missing"));
        T::try_deserialize(&mut account.data.as_slice()).expect("deserialize account")
    }

    /// The SVM clock's unix time.
    pub fn now(&self) -> i64 {
        self.svm
            .get_sysvar::<anchor_lang::prelude::Clock>()
            .unix_timestamp
    }

    /// Lamports for a rent-exempt account of `len` bytes.
    pub fn rent_exempt(&self, len: usize) -> u64 {
        self.svm.minimum_balance_for_rent_exemption(len)
    }

    /// Moves the clock to `unix_timestamp` (and the slot forward by the same number of
    /// 400 ms slots), then expires the blockhash, as time passing on a real cluster would.
    pub fn warp_to_timestamp(&mut self, unix_timestamp: i64) {
        let mut clock: anchor_lang::prelude::Clock = self.svm.get_sysvar();
        let delta = unix_timestamp - clock.unix_timestamp;
        assert!(delta >= 0, "time only moves forward");
        let slots = u64::try_from(delta).expect("delta >= 0") * 5 / 2;
        clock.slot += slots;
        clock.unix_timestamp = unix_timestamp;
        self.svm.warp_to_slot(clock.slot);
        self.svm.set_sysvar(&clock);
        self.svm.expire_blockhash();
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

/// An Anchor instruction from its generated `accounts::X` and `instruction::X` types.
/// Every event of type `E` emitted through `emit_cpi!` in this transaction, decoded from the
/// self-CPIs recorded in its inner instructions. They are recognised by Anchor's event tag and
/// `E`'s discriminator (the metadata does not carry the message's account keys, so the emitting
/// program is not checked here).
pub fn cpi_events<E: anchor_lang::Event + anchor_lang::AnchorDeserialize>(
    meta: &TransactionMetadata,
) -> Vec<E> {
    let tag = anchor_lang::event::EVENT_IX_TAG_LE;
    let mut out = Vec::new();
    for inner in meta.inner_instructions.iter().flatten() {
        let ix = &inner.instruction;
        let data = &ix.data;
        if data.len() < 16 || &data[..8] != tag || &data[8..16] != E::DISCRIMINATOR {
            continue;
        }
        out.push(E::deserialize(&mut &data[16..]).expect("decode event"));
    }
    out
}

/// The largest transaction the network accepts, and a transaction's size on the wire.
pub use depin_client::sender::{PACKET_DATA_SIZE, wire_size};

/// The compute-budget program's `SetComputeUnitLimit(units)` (discriminant 2, then u32 LE).
pub fn compute_unit_limit(units: u32) -> Instruction {
    let mut data = vec![2u8];
    data.extend_from_slice(&units.to_le_bytes());
    Instruction {
        program_id: anchor_lang::prelude::pubkey!("ComputeBudget111111111111111111111111111111"),
        accounts: Vec::new(),
        data,
    }
}

/// The error code of the instruction that failed, asserting that instruction `index` failed with
/// a custom program error.
pub fn custom_error(result: &TransactionResult, index: u8) -> u32 {
    match result {
        Ok(meta) => panic!(
            "expected instruction {index} to fail, but it succeeded:\n{}",
            meta.pretty_logs()
        ),
        Err(FailedTransactionMetadata { err, meta }) => match err {
            TransactionError::InstructionError(i, InstructionError::Custom(code))
                if *i == index =>
            {
                *code
            }
            other => panic!(
                "expected a custom error in instruction {index}, got {other:?}:\n{}",
                meta.pretty_logs()
            ),
        },
    }
}

/// Asserts that instruction `index` failed with custom error `code`.
#[track_caller]
pub fn assert_custom_error(result: &TransactionResult, index: u8, code: u32) {
    let got = custom_error(result, index);
    if got != code {
        let logs = result
            .as_ref()
            .err()
            .map(|f| f.meta.pretty_logs())
            .unwrap_or_default();
        panic!("expected custom error {code} in instruction {index}, got {got}:\n{logs}");
    }
}

/// Asserts that the transaction failed with exactly `expected`.
#[track_caller]
pub fn assert_tx_error(result: &TransactionResult, expected: TransactionError) {
    match result {
        Ok(meta) => panic!(
            "expected {expected:?}, but the transaction succeeded:\n{}",
            meta.pretty_logs()
        ),
        Err(f) => assert_eq!(f.err, expected, "logs:\n{}", f.meta.pretty_logs()),
    }
}

/// Unwraps a successful result, printing the logs when it failed.
#[track_caller]
pub fn expect_ok(result: TransactionResult) -> TransactionMetadata {
    match result {
        Ok(meta) => meta,
        Err(f) => panic!("transaction failed: {:?}\n{}", f.err, f.meta.pretty_logs()),
    }
}

/// A mint's base state, read through the token interface (works for both token programs).
pub fn read_mint(env: &TestEnv, address: &Pubkey) -> (Account, anchor_spl::token_interface::Mint) {
    let account = env
        .account(address)
        .unwrap_or_else(|| panic!("mint {address} missing"));
    let mint = anchor_spl::token_interface::Mint::try_deserialize(&mut account.data.as_slice())
        .expect("decode mint");
    (account, mint)
}

/// A token account's base state, read through the token interface.
pub fn read_token_account(
    env: &TestEnv,
    address: &Pubkey,
) -> (Account, anchor_spl::token_interface::TokenAccount) {
    let account = env
        .account(address)
        .unwrap_or_else(|| panic!("token account {address} missing"));
    let state =
        anchor_spl::token_interface::TokenAccount::try_deserialize(&mut account.data.as_slice())
            .expect("decode token account");
    (account, state)
}

/// Creates a plain mint (no extensions) under `token_program`, with `authority` as mint authority.
pub fn create_mint(
    env: &mut TestEnv,
    token_program: TokenProgram,
    authority: &Pubkey,
    decimals: u8,
) -> Pubkey {
    create_mint_at(env, token_program, authority, decimals, &Keypair::new())
}

/// `create_mint` at `mint`'s address (a fixed key, for reproducible benches).
pub fn create_mint_at(
    env: &mut TestEnv,
    token_program: TokenProgram,
    authority: &Pubkey,
    decimals: u8,
    mint: &Keypair,
) -> Pubkey {
    use anchor_lang::solana_program::system_instruction;
    let len = <anchor_spl::token::spl_token::state::Mint as anchor_lang::solana_program::program_pack::Pack>::LEN;
    let create = system_instruction::create_account(
        &env.payer.pubkey(),
        &mint.pubkey(),
        env.rent_exempt(len),
        len as u64,
        &token_program.id(),
    );
    let init = anchor_spl::token_2022::spl_token_2022::instruction::initialize_mint2(
        &token_program.id(),
        &mint.pubkey(),
        authority,
        None,
        decimals,
    )
    .expect("initialize_mint2");
    expect_ok(env.send(&[create, init], &[mint]));
    mint.pubkey()
}

/// A Token-2022 mint extension, for the tests of revenue-coin admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MintExtension {
    TransferFee,
    TransferHook,
    PermanentDelegate,
    ConfidentialTransfer,
    /// `DefaultAccountState` with new accounts frozen.
    DefaultFrozen,
    /// `DefaultAccountState` with new accounts initialized (harmless).
    DefaultInitialized,
    /// `MintCloseAuthority` (harmless).
    CloseAuthority,
    NonTransferable,
}

/// Creates a Token-2022 mint carrying `extension`, with `authority` as mint authority (and as the
/// extension's authority where it has one).
pub fn create_mint_with_extension(
    env: &mut TestEnv,
    authority: &Pubkey,
    decimals: u8,
    extension: MintExtension,
) -> Pubkey {
    use anchor_lang::solana_program::system_instruction;
    use anchor_spl::token_2022::spl_token_2022::extension::{
        ExtensionType, confidential_transfer, default_account_state, transfer_fee, transfer_hook,
    };
    use anchor_spl::token_2022::spl_token_2022::{instruction as token_ix, state};
    let program = TokenProgram::Token2022.id();
    let mint = Keypair::new();
    let key = mint.pubkey();
    let (kind, init) = match extension {
        MintExtension::TransferFee => (
            ExtensionType::TransferFeeConfig,
            transfer_fee::instruction::initialize_transfer_fee_config(
                &program,
                &key,
                Some(authority),
                Some(authority),
                100,
                1_000_000,
            ),
        ),
        MintExtension::TransferHook => (
            ExtensionType::TransferHook,
            transfer_hook::instruction::initialize(
                &program,
                &key,
                Some(*authority),
                Some(Pubkey::new_unique()),
            ),
        ),
        MintExtension::PermanentDelegate => (
            ExtensionType::PermanentDelegate,
            token_ix::initialize_permanent_delegate(&program, &key, authority),
        ),
        MintExtension::ConfidentialTransfer => (
            ExtensionType::ConfidentialTransferMint,
            confidential_transfer::instruction::initialize_mint(
                &program,
                &key,
                Some(*authority),
                true,
                None,
            ),
        ),
        MintExtension::DefaultFrozen | MintExtension::DefaultInitialized => (
            ExtensionType::DefaultAccountState,
            default_account_state::instruction::initialize_default_account_state(
                &program,
                &key,
                &if extension == MintExtension::DefaultFrozen {
                    state::AccountState::Frozen
                } else {
                    state::AccountState::Initialized
                },
            ),
        ),
        MintExtension::CloseAuthority => (
            ExtensionType::MintCloseAuthority,
            token_ix::initialize_mint_close_authority(&program, &key, Some(authority)),
        ),
        MintExtension::NonTransferable => (
            ExtensionType::NonTransferable,
            token_ix::initialize_non_transferable_mint(&program, &key),
        ),
    };
    let len = ExtensionType::try_calculate_account_len::<state::Mint>(&[kind]).expect("mint len");
    let create = system_instruction::create_account(
        &env.payer.pubkey(),
        &key,
        env.rent_exempt(len),
        len as u64,
        &program,
    );
    // A frozen default state needs a freeze authority.
    let freeze = (extension == MintExtension::DefaultFrozen).then_some(authority);
    let init_mint = token_ix::initialize_mint2(&program, &key, authority, freeze, decimals)
        .expect("initialize_mint2");
    expect_ok(env.send(&[create, init.expect("extension"), init_mint], &[&mint]));
    key
}

/// Creates a plain token account of `mint` owned by `owner` (not an ATA: any account the owner
/// holds must work) and returns its address.
pub fn create_token_account(
    env: &mut TestEnv,
    token_program: TokenProgram,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Pubkey {
    create_token_account_at(env, token_program, mint, owner, &Keypair::new())
}

/// `create_token_account` at `account`'s address (a fixed key, for reproducible benches).
pub fn create_token_account_at(
    env: &mut TestEnv,
    token_program: TokenProgram,
    mint: &Pubkey,
    owner: &Pubkey,
    account: &Keypair,
) -> Pubkey {
    use anchor_lang::solana_program::system_instruction;
    // Token-2022 accounts of a mint without extensions have the SPL Token layout and size.
    let len = <anchor_spl::token::spl_token::state::Account as anchor_lang::solana_program::program_pack::Pack>::LEN;
    let create = system_instruction::create_account(
        &env.payer.pubkey(),
        &account.pubkey(),
        env.rent_exempt(len),
        len as u64,
        &token_program.id(),
    );
    let init = anchor_spl::token_2022::spl_token_2022::instruction::initialize_account3(
        &token_program.id(),
        &account.pubkey(),
        mint,
        owner,
    )
    .expect("initialize_account3");
    expect_ok(env.send(&[create, init], &[account]));
    account.pubkey()
}

/// An ed25519-program instruction verifying `signature` of `message` by `pubkey` (the one form
/// the programs read), and the precompile's id.
pub use depin_client::builders::ed25519::{
    ED25519_PROGRAM_ID, single_signature_ix as ed25519_instruction,
};

/// Mints `amount` of `mint` to `to`, signed by the mint authority.
pub fn mint_to(
    env: &mut TestEnv,
    token_program: TokenProgram,
    mint: &Pubkey,
    authority: &Keypair,
    to: &Pubkey,
    amount: u64,
) {
    let ix = anchor_spl::token_2022::spl_token_2022::instruction::mint_to(
        &token_program.id(),
        mint,
        to,
        &authority.pubkey(),
        &[],
        amount,
    )
    .expect("mint_to");
    expect_ok(env.send_fresh(&[ix], &[authority]));
}

/// The associated token account of `owner` for `mint`, created through the real ATA program
/// (which sizes it for the mint's extensions, e.g. a NonTransferable mint's accounts).
pub fn create_ata(
    env: &mut TestEnv,
    token_program: TokenProgram,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Pubkey {
    let ata_program = anchor_lang::prelude::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");
    let (ata, _) = Pubkey::find_program_address(
        &[owner.as_ref(), token_program.id().as_ref(), mint.as_ref()],
        &ata_program,
    );
    let ix = Instruction {
        program_id: ata_program,
        accounts: vec![
            AccountMeta::new(env.payer.pubkey(), true),
            AccountMeta::new(ata, false),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(token_program.id(), false),
        ],
        data: vec![0],
    };
    expect_ok(env.send_fresh(&[ix], &[]));
    ata
}
