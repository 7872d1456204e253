//! Reading the programs' accounts over JSON-RPC, checked the way the programs check them: the
//! owner must be the program and the discriminator the type's.

use anchor_lang::{AccountDeserialize, Discriminator, Owner};
use solana_client::client_error::ClientError;
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_pubkey::Pubkey;

use crate::Sender;

/// Where accounts are read from: one RPC client, or a [`Sender`] (which fails over across its
/// URLs).
pub trait AccountSource {
    /// The account's owner and data at the source's commitment; None when it does not exist.
    fn owner_and_data(
        &self,
        address: &Pubkey,
    ) -> impl Future<Output = Result<Option<(Pubkey, Vec<u8>)>, ClientError>>;
}

impl AccountSource for RpcClient {
    /// `getMultipleAccounts` with one key: unlike `getAccountInfo` in `RpcClient`, its transport
    /// errors come back as they are (not folded into "AccountNotFound"), so a sender can tell a
    /// dead node from a missing account and fail over.
    async fn owner_and_data(
        &self,
        address: &Pubkey,
    ) -> Result<Option<(Pubkey, Vec<u8>)>, ClientError> {
        use solana_client::rpc_config::{RpcAccountInfoConfig, UiAccountEncoding};
        let config = RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(self.commitment()),
            ..RpcAccountInfoConfig::default()
        };
        let accounts = self
            .get_multiple_ui_accounts_with_config(std::slice::from_ref(address), config)
            .await?
            .value;
        let Some(Some(account)) = accounts.into_iter().next() else {
            return Ok(None);
        };
        let owner = account.owner.parse::<Pubkey>().map_err(|e| {
            ClientError::from(solana_client::rpc_request::RpcError::ParseError(format!(
                "owner {}: {e}",
                account.owner
            )))
        })?;
        let data = account.data.decode().ok_or_else(|| {
            ClientError::from(solana_client::rpc_request::RpcError::ParseError(
                "account data is not base64".to_string(),
            ))
        })?;
        Ok(Some((owner, data)))
    }
}

impl AccountSource for Sender {
    async fn owner_and_data(
        &self,
        address: &Pubkey,
    ) -> Result<Option<(Pubkey, Vec<u8>)>, ClientError> {
        self.call(|rpc| rpc.owner_and_data(address)).await
    }
}

/// Why an account could not be read as the expected type.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{what} {address}: owned by {owner}, expected the program {expected}")]
    WrongOwner {
        what: &'static str,
        address: Pubkey,
        owner: Pubkey,
        expected: Pubkey,
    },
    #[error("{what} {address}: not a {what} account ({reason})")]
    WrongType {
        what: &'static str,
        address: Pubkey,
        reason: String,
    },
    #[error("{what} {address}: RPC error: {source}")]
    Rpc {
        what: &'static str,
        address: Pubkey,
        #[source]
        source: Box<ClientError>,
    },
    #[error("no {what} at {address} (run `depin migrate`)")]
    Missing { what: &'static str, address: Pubkey },
}

/// The account at `address` as `T`, or None when it does not exist. `what` names it in errors.
pub async fn fetch<T: AccountDeserialize + Owner>(
    rpc: &impl AccountSource,
    what: &'static str,
    address: &Pubkey,
) -> Result<Option<T>, FetchError> {
    let account = rpc
        .owner_and_data(address)
        .await
        .map_err(|e| FetchError::Rpc {
            what,
            address: *address,
            source: Box::new(e),
        })?;
    let Some((owner, data)) = account else {
        return Ok(None);
    };
    decode(what, address, &owner, &data).map(Some)
}

/// An account already read (its `owner` and `data`) as `T`, checked as [`fetch`] checks it.
///
/// # Errors
///
/// [`FetchError::WrongOwner`] or [`FetchError::WrongType`].
pub fn decode<T: AccountDeserialize + Owner>(
    what: &'static str,
    address: &Pubkey,
    owner: &Pubkey,
    data: &[u8],
) -> Result<T, FetchError> {
    let expected = T::owner();
    if owner.to_bytes() != expected.to_bytes() {
        return Err(FetchError::WrongOwner {
            what,
            address: *address,
            owner: *owner,
            expected: Pubkey::new_from_array(expected.to_bytes()),
        });
    }
    T::try_deserialize(&mut &data[..]).map_err(|e| FetchError::WrongType {
        what,
        address: *address,
        reason: e.to_string(),
    })
}

/// The account at `address` as `T`, one that `depin migrate` creates: its absence is
/// [`FetchError::Missing`].
///
/// # Errors
///
/// As [`fetch`], and [`FetchError::Missing`].
pub async fn fetch_migrated<T: AccountDeserialize + Owner>(
    rpc: &impl AccountSource,
    what: &'static str,
    address: &Pubkey,
) -> Result<T, FetchError> {
    fetch::<T>(rpc, what, address)
        .await?
        .ok_or(FetchError::Missing {
            what,
            address: *address,
        })
}

/// True when an account exists at `address`.
pub async fn exists(
    rpc: &impl AccountSource,
    what: &'static str,
    address: &Pubkey,
) -> Result<bool, FetchError> {
    rpc.owner_and_data(address)
        .await
        .map(|r| r.is_some())
        .map_err(|e| FetchError::Rpc {
            what,
            address: *address,
            source: Box::new(e),
        })
}

/// Every account of type `T` owned by `T`'s program, optionally only those whose bytes at
/// `offset` equal `bytes` (`getProgramAccounts` with a size, a discriminator and that filter),
/// each checked and decoded, sorted by address.
///
/// # Errors
///
/// An RPC failure (after failover), or an account that does not decode as a `T`.
pub async fn program_accounts<T: AccountDeserialize + Owner + Discriminator>(
    sender: &Sender,
    what: &'static str,
    size: usize,
    filter: Option<(usize, Vec<u8>)>,
) -> Result<Vec<(Pubkey, T)>, FetchError> {
    use solana_client::rpc_config::{
        RpcAccountInfoConfig, RpcProgramAccountsConfig, UiAccountEncoding,
    };
    use solana_client::rpc_filter::{Memcmp, RpcFilterType};
    let mut filters = vec![
        RpcFilterType::DataSize(size as u64),
        RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, T::DISCRIMINATOR.to_vec())),
    ];
    if let Some((offset, bytes)) = filter {
        filters.push(RpcFilterType::Memcmp(Memcmp::new_raw_bytes(offset, bytes)));
    }
    let config = RpcProgramAccountsConfig {
        filters: Some(filters),
        account_config: RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            ..RpcAccountInfoConfig::default()
        },
        ..RpcProgramAccountsConfig::default()
    };
    let program = Pubkey::new_from_array(T::owner().to_bytes());
    let accounts = sender
        .call(|rpc| rpc.get_program_ui_accounts_with_config(&program, config.clone()))
        .await
        .map_err(|e| FetchError::Rpc {
            what,
            address: program,
            source: Box::new(e),
        })?;
    let mut out = Vec::with_capacity(accounts.len());
    for (address, account) in accounts {
        let data = account.data.decode().ok_or_else(|| FetchError::WrongType {
            what,
            address,
            reason: "the RPC node did not return base64 data".to_string(),
        })?;
        let value =
            T::try_deserialize(&mut data.as_slice()).map_err(|e| FetchError::WrongType {
                what,
                address,
                reason: e.to_string(),
            })?;
        out.push((address, value));
    }
    out.sort_by_key(|(address, _)| *address);
    Ok(out)
}

/// The cluster's clock: `Clock::unix_timestamp`, bytes 32..40 of the Clock sysvar (what the
/// programs compare with deadlines, which may differ from this machine's clock).
///
/// # Errors
///
/// An RPC failure, or a Clock sysvar that is missing or too short.
pub async fn cluster_time(source: &impl AccountSource) -> Result<i64, FetchError> {
    const WHAT: &str = "Clock sysvar";
    let clock = Pubkey::from_str_const("SysvarC1ock11111111111111111111111111111111");
    let (_, data) = source
        .owner_and_data(&clock)
        .await
        .map_err(|e| FetchError::Rpc {
            what: WHAT,
            address: clock,
            source: Box::new(e),
        })?
        .unwrap_or_default();
    data.get(32..40)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(i64::from_le_bytes)
        .ok_or_else(|| FetchError::WrongType {
            what: WHAT,
            address: clock,
            reason: format!("{} bytes", data.len()),
        })
}

/// A token account's balance in base units: 0 when it does not exist or cannot be read.
pub async fn token_balance(sender: &Sender, account: &Pubkey) -> u64 {
    sender
        .call(|rpc| rpc.get_token_account_balance(account))
        .await
        .ok()
        .and_then(|b| b.amount.parse().ok())
        .unwrap_or(0)
}
