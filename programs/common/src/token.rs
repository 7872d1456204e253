//! Named, length-checked, read-only views of the SPL Token account and mint layouts.
//!
//! Token-2022 uses the same base layouts and appends its account type and extensions after them,
//! so one view reads either program's accounts. A view checks only the length: the caller checks
//! the account's owner (the token program) or its address before trusting what it reads.
//!
//! ```text
//! token account (165 bytes)                     mint (82 bytes)
//!   0  mint               [u8; 32]                0  mint_authority    COption<[u8; 32]> (4 + 32)
//!  32  owner              [u8; 32]               36  supply            u64
//!  64  amount             u64                    44  decimals          u8
//!  72  delegate           COption<[u8; 32]>      45  is_initialized    bool
//! 108  state              u8                     46  freeze_authority  COption<[u8; 32]> (4 + 32)
//! 109  is_native          COption<u64> (4 + 8)
//! 121  delegated_amount   u64
//! 129  close_authority    COption<[u8; 32]>
//! ```
//!
//! Integers are little-endian; a `COption` is a 4-byte tag (1 = `Some`) followed by the value.

/// A token account's state byte: uninitialized.
pub const STATE_UNINITIALIZED: u8 = 0;
/// A token account's state byte: initialized.
pub const STATE_INITIALIZED: u8 = 1;
/// A token account's state byte: frozen.
pub const STATE_FROZEN: u8 = 2;

/// Byte offsets of the token account's fields.
mod account {
    pub const MINT: usize = 0;
    pub const OWNER: usize = 32;
    pub const AMOUNT: usize = 64;
    pub const DELEGATE: usize = 72;
    pub const STATE: usize = 108;
    pub const IS_NATIVE: usize = 109;
    pub const DELEGATED_AMOUNT: usize = 121;
    pub const CLOSE_AUTHORITY: usize = 129;
    pub const LEN: usize = 165;
}

/// Byte offsets of the mint's fields.
mod mint {
    pub const MINT_AUTHORITY: usize = 0;
    pub const SUPPLY: usize = 36;
    pub const DECIMALS: usize = 44;
    pub const IS_INITIALIZED: usize = 45;
    pub const FREEZE_AUTHORITY: usize = 46;
    pub const LEN: usize = 82;
}

/// A read-only view of a token account's base layout (SPL Token or Token-2022).
#[derive(Clone, Copy, Debug)]
pub struct TokenAccountView<'a>(&'a [u8; account::LEN]);

impl<'a> TokenAccountView<'a> {
    /// Length of the base layout.
    pub const LEN: usize = account::LEN;

    /// The view of `data`; `None` if it is shorter than the base layout.
    #[inline]
    pub fn from_bytes(data: &'a [u8]) -> Option<Self> {
        data.first_chunk().map(Self)
    }

    /// The mint whose tokens the account holds.
    #[inline]
    pub fn mint(&self) -> [u8; 32] {
        field(self.0, account::MINT)
    }

    /// The owner: the key that may transfer the tokens.
    #[inline]
    pub fn owner(&self) -> [u8; 32] {
        field(self.0, account::OWNER)
    }

    /// The balance, in the mint's base units.
    #[inline]
    pub fn amount(&self) -> u64 {
        u64::from_le_bytes(field(self.0, account::AMOUNT))
    }

    /// The delegate, if any.
    #[inline]
    pub fn delegate(&self) -> Option<[u8; 32]> {
        option(self.0, account::DELEGATE)
    }

    /// The state byte: [`STATE_UNINITIALIZED`], [`STATE_INITIALIZED`] or [`STATE_FROZEN`].
    #[inline]
    pub fn state(&self) -> u8 {
        self.0[account::STATE]
    }

    /// The rent-exempt reserve of a wrapped-SOL account; `None` for any other account.
    #[inline]
    pub fn is_native(&self) -> Option<u64> {
        option(self.0, account::IS_NATIVE).map(u64::from_le_bytes)
    }

    /// What the delegate may still transfer.
    #[inline]
    pub fn delegated_amount(&self) -> u64 {
        u64::from_le_bytes(field(self.0, account::DELEGATED_AMOUNT))
    }

    /// The key that may close the account, if not the owner.
    #[inline]
    pub fn close_authority(&self) -> Option<[u8; 32]> {
        option(self.0, account::CLOSE_AUTHORITY)
    }
}

/// A read-only view of a mint's base layout (SPL Token or Token-2022).
#[derive(Clone, Copy, Debug)]
pub struct MintView<'a>(&'a [u8; mint::LEN]);

impl<'a> MintView<'a> {
    /// Length of the base layout.
    pub const LEN: usize = mint::LEN;

    /// The view of `data`; `None` if it is shorter than the base layout.
    #[inline]
    pub fn from_bytes(data: &'a [u8]) -> Option<Self> {
        data.first_chunk().map(Self)
    }

    /// The key that may mint, if any (`None`: the supply is fixed).
    #[inline]
    pub fn mint_authority(&self) -> Option<[u8; 32]> {
        option(self.0, mint::MINT_AUTHORITY)
    }

    /// Tokens in existence, in base units.
    #[inline]
    pub fn supply(&self) -> u64 {
        u64::from_le_bytes(field(self.0, mint::SUPPLY))
    }

    /// Decimal places of one whole token.
    #[inline]
    pub fn decimals(&self) -> u8 {
        self.0[mint::DECIMALS]
    }

    /// Whether the mint is initialized.
    #[inline]
    pub fn is_initialized(&self) -> bool {
        self.0[mint::IS_INITIALIZED] != 0
    }

    /// The key that may freeze token accounts of this mint, if any.
    #[inline]
    pub fn freeze_authority(&self) -> Option<[u8; 32]> {
        option(self.0, mint::FREEZE_AUTHORITY)
    }
}

/// Token-2022 extension types (the `ExtensionType` discriminants, pinned against the
/// `spl-token-2022` interface by the program tests) that decide whether a mint may be a revenue
/// coin.
pub mod extension {
    pub const UNINITIALIZED: u16 = 0;
    pub const TRANSFER_FEE_CONFIG: u16 = 1;
    pub const MINT_CLOSE_AUTHORITY: u16 = 3;
    pub const CONFIDENTIAL_TRANSFER_MINT: u16 = 4;
    pub const DEFAULT_ACCOUNT_STATE: u16 = 6;
    pub const PERMANENT_DELEGATE: u16 = 12;
    pub const TRANSFER_HOOK: u16 = 14;
    pub const CONFIDENTIAL_TRANSFER_FEE_CONFIG: u16 = 16;
    pub const METADATA_POINTER: u16 = 18;
    pub const TOKEN_METADATA: u16 = 19;
    pub const GROUP_POINTER: u16 = 20;
    pub const TOKEN_GROUP: u16 = 21;
    pub const GROUP_MEMBER_POINTER: u16 = 22;
    pub const TOKEN_GROUP_MEMBER: u16 = 23;
    pub const CONFIDENTIAL_MINT_BURN: u16 = 24;
    /// Where a Token-2022 account's type byte sits (after the base account layout's length), and
    /// the type byte of a mint.
    pub const ACCOUNT_TYPE_AT: usize = super::account::LEN;
    pub const ACCOUNT_TYPE_MINT: u8 = 1;
}

/// Why a mint may not hold revenue: each would break the ledger (the vault must hold exactly what
/// the books say, every unit worth one unit) or let someone else move or freeze the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MintRefusal {
    /// A transfer fee: the vault would receive less than the payment booked.
    TransferFee,
    /// A transfer hook: another program runs (and may refuse) on every transfer.
    TransferHook,
    /// A permanent delegate: it could move the vault's tokens.
    PermanentDelegate,
    /// Confidential transfers (or their fees, or confidential mint/burn): balances the ledger
    /// cannot see.
    ConfidentialTransfer,
    /// New token accounts start frozen.
    FrozenByDefault,
    /// A mint close authority: once the supply is 0 the mint can be closed and created again at
    /// the same address with other extensions, past this check.
    CloseAuthority,
    /// Any other extension, by its type (allowed: metadata and group pointers and data, a
    /// default state of `Initialized`).
    Unsupported(u16),
    /// The data is not a mint's (too short, wrong account type, a truncated extension).
    Malformed,
}

/// Admits a mint as a revenue coin: SPL Token's layout, or Token-2022's with only the harmless
/// extensions. Walks the extensions' type-length-value list after the account type byte.
pub fn admit_revenue_mint(data: &[u8]) -> Result<(), MintRefusal> {
    use extension::*;
    if data.len() < mint::LEN {
        return Err(MintRefusal::Malformed);
    }
    if data.len() == mint::LEN {
        return Ok(());
    }
    if data.get(ACCOUNT_TYPE_AT) != Some(&ACCOUNT_TYPE_MINT) {
        return Err(MintRefusal::Malformed);
    }
    let mut at = ACCOUNT_TYPE_AT + 1;
    while let Some(header) = data.get(at..at + 4) {
        let kind = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let value = data
            .get(at + 4..at + 4 + len)
            .ok_or(MintRefusal::Malformed)?;
        match kind {
            UNINITIALIZED => break,
            TRANSFER_FEE_CONFIG => return Err(MintRefusal::TransferFee),
            TRANSFER_HOOK => return Err(MintRefusal::TransferHook),
            PERMANENT_DELEGATE => return Err(MintRefusal::PermanentDelegate),
            CONFIDENTIAL_TRANSFER_MINT
            | CONFIDENTIAL_TRANSFER_FEE_CONFIG
            | CONFIDENTIAL_MINT_BURN => return Err(MintRefusal::ConfidentialTransfer),
            DEFAULT_ACCOUNT_STATE if value.first() != Some(&STATE_INITIALIZED) => {
                return Err(MintRefusal::FrozenByDefault);
            }
            MINT_CLOSE_AUTHORITY => return Err(MintRefusal::CloseAuthority),
            DEFAULT_ACCOUNT_STATE
            | METADATA_POINTER
            | TOKEN_METADATA
            | GROUP_POINTER
            | TOKEN_GROUP
            | GROUP_MEMBER_POINTER
            | TOKEN_GROUP_MEMBER => {}
            other => return Err(MintRefusal::Unsupported(other)),
        }
        at += 4 + len;
    }
    Ok(())
}

/// The `N` bytes at `at` of a fixed-size layout. Every call site passes constant offsets inside
/// the layout, so the bounds checks compile away.
#[inline(always)]
fn field<const N: usize, const L: usize>(data: &[u8; L], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&data[at..at + N]);
    out
}

/// A `COption<[u8; N]>` at `at`: a 4-byte little-endian tag (1 = `Some`), then the value.
#[inline(always)]
fn option<const N: usize, const L: usize>(data: &[u8; L], at: usize) -> Option<[u8; N]> {
    let tag = u32::from_le_bytes(field(data, at));
    (tag == 1).then(|| field(data, at + 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_account() -> Vec<u8> {
        let mut d = vec![0u8; 165];
        d[0..32].fill(1); // mint
        d[32..64].fill(2); // owner
        d[64..72].copy_from_slice(&1_234_567u64.to_le_bytes());
        d[72..76].copy_from_slice(&1u32.to_le_bytes()); // delegate: Some
        d[76..108].fill(3);
        d[108] = STATE_FROZEN;
        d[121..129].copy_from_slice(&55u64.to_le_bytes());
        d
    }

    #[test]
    fn token_account_fields() {
        let data = token_account();
        let a = TokenAccountView::from_bytes(&data).unwrap();
        assert_eq!(a.mint(), [1; 32]);
        assert_eq!(a.owner(), [2; 32]);
        assert_eq!(a.amount(), 1_234_567);
        assert_eq!(a.delegate(), Some([3; 32]));
        assert_eq!(a.state(), STATE_FROZEN);
        assert_eq!(a.is_native(), None);
        assert_eq!(a.delegated_amount(), 55);
        assert_eq!(a.close_authority(), None);
    }

    #[test]
    fn token_2022_extensions_are_ignored_and_short_data_refused() {
        let mut data = token_account();
        data.extend_from_slice(&[2, 7, 7, 7]); // account type, then extensions
        assert_eq!(
            TokenAccountView::from_bytes(&data).map(|a| a.amount()),
            Some(1_234_567)
        );
        assert!(TokenAccountView::from_bytes(&data[..164]).is_none());
        assert!(MintView::from_bytes(&data[..81]).is_none());
    }

    #[test]
    fn mint_fields() {
        let mut d = vec![0u8; 82];
        d[0..4].copy_from_slice(&1u32.to_le_bytes());
        d[4..36].fill(9);
        d[36..44].copy_from_slice(&u64::MAX.to_le_bytes());
        d[44] = 6;
        d[45] = 1;
        let m = MintView::from_bytes(&d).unwrap();
        assert_eq!(m.mint_authority(), Some([9; 32]));
        assert_eq!(m.supply(), u64::MAX);
        assert_eq!(m.decimals(), 6);
        assert!(m.is_initialized());
        assert_eq!(m.freeze_authority(), None);
    }

    /// A Token-2022 mint carrying `extensions` (type, value).
    fn mint_with(extensions: &[(u16, &[u8])]) -> Vec<u8> {
        let mut d = vec![0u8; 165];
        d[45] = 1;
        d.push(extension::ACCOUNT_TYPE_MINT);
        for (kind, value) in extensions {
            d.extend_from_slice(&kind.to_le_bytes());
            d.extend_from_slice(&u16::try_from(value.len()).unwrap().to_le_bytes());
            d.extend_from_slice(value);
        }
        d
    }

    #[test]
    fn revenue_mints_with_harmless_extensions_are_admitted() {
        assert_eq!(admit_revenue_mint(&[0u8; 82]), Ok(()));
        assert_eq!(admit_revenue_mint(&mint_with(&[])), Ok(()));
        let harmless = mint_with(&[
            (extension::GROUP_POINTER, &[5; 64]),
            (extension::DEFAULT_ACCOUNT_STATE, &[STATE_INITIALIZED]),
            (extension::METADATA_POINTER, &[1; 64]),
        ]);
        assert_eq!(admit_revenue_mint(&harmless), Ok(()));
        // Padding after the last extension ends the list.
        let mut padded = harmless.clone();
        padded.extend_from_slice(&[0; 6]);
        assert_eq!(admit_revenue_mint(&padded), Ok(()));
    }

    #[test]
    fn revenue_mints_with_dangerous_extensions_are_refused_by_name() {
        let cases: [(u16, &[u8], MintRefusal); 9] = [
            (
                extension::MINT_CLOSE_AUTHORITY,
                &[5; 32],
                MintRefusal::CloseAuthority,
            ),
            (
                extension::TRANSFER_FEE_CONFIG,
                &[0; 108],
                MintRefusal::TransferFee,
            ),
            (
                extension::TRANSFER_HOOK,
                &[0; 64],
                MintRefusal::TransferHook,
            ),
            (
                extension::PERMANENT_DELEGATE,
                &[7; 32],
                MintRefusal::PermanentDelegate,
            ),
            (
                extension::CONFIDENTIAL_TRANSFER_MINT,
                &[0; 65],
                MintRefusal::ConfidentialTransfer,
            ),
            (
                extension::CONFIDENTIAL_TRANSFER_FEE_CONFIG,
                &[0; 129],
                MintRefusal::ConfidentialTransfer,
            ),
            (
                extension::DEFAULT_ACCOUNT_STATE,
                &[STATE_FROZEN],
                MintRefusal::FrozenByDefault,
            ),
            (9, &[], MintRefusal::Unsupported(9)),
            (26, &[0; 33], MintRefusal::Unsupported(26)),
        ];
        for (kind, value, refusal) in cases {
            let data = mint_with(&[(extension::METADATA_POINTER, &[5; 64]), (kind, value)]);
            assert_eq!(admit_revenue_mint(&data), Err(refusal), "extension {kind}");
        }
    }

    #[test]
    fn malformed_mints_are_refused() {
        assert_eq!(admit_revenue_mint(&[0u8; 81]), Err(MintRefusal::Malformed));
        let mut wrong_type = mint_with(&[]);
        wrong_type[165] = 2;
        assert_eq!(admit_revenue_mint(&wrong_type), Err(MintRefusal::Malformed));
        let mut truncated = mint_with(&[(extension::METADATA_POINTER, &[5; 64])]);
        truncated.pop();
        assert_eq!(admit_revenue_mint(&truncated), Err(MintRefusal::Malformed));
    }
}
