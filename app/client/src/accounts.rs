//! Reading the programs' accounts over JSON-RPC, checked the way the programs check them: the
//! owner must be the program and the discriminator the type's.

use anchor_lang::{AccountDeserialize, Owner};
use solana_client::client_error::ClientError;
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_pubkey::Pubkey;

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
}

/// The account at `address` as `T`, or None when it does not exist. `what` names it in errors.
pub async fn fetch<T: AccountDeserialize + Owner>(
    rpc: &RpcClient,
    what: &'static str,
    address: &Pubkey,
) -> Result<Option<T>, FetchError> {
    let account = rpc
        .get_account_with_commitment(address, rpc.commitment())
        .await
        .map_err(|e| FetchError::Rpc {
            what,
            address: *address,
            source: Box::new(e),
        })?
        .value;
    let Some(account) = account else {
        return Ok(None);
    };
    let expected = T::owner();
    if account.owner.to_bytes() != expected.to_bytes() {
        return Err(FetchError::WrongOwner {
            what,
            address: *address,
            owner: account.owner,
            expected: Pubkey::new_from_array(expected.to_bytes()),
        });
    }
    T::try_deserialize(&mut account.data.as_slice())
        .map(Some)
        .map_err(|e| FetchError::WrongType {
            what,
            address: *address,
            reason: e.to_string(),
        })
}

/// True when an account exists at `address`.
pub async fn exists(
    rpc: &RpcClient,
    what: &'static str,
    address: &Pubkey,
) -> Result<bool, FetchError> {
    rpc.get_account_with_commitment(address, rpc.commitment())
        .await
        .map(|r| r.value.is_some())
        .map_err(|e| FetchError::Rpc {
            what,
            address: *address,
            source: Box::new(e),
        })
}
