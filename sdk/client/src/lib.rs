//! The protocol's client side over JSON-RPC, shared by the CLI, the migrations and the fleet
//! simulator: [`cluster`] resolves `--url` and `--keypair` the way the Solana CLI does, and
//! [`sender::Sender`] lands each transaction exactly once, re-signing only after a blockhash has
//! expired without it.

pub mod accounts;
pub mod builders;
pub mod claim;
pub mod cluster;
pub mod lookup_table;
pub mod maker_api;
pub mod onboarding;
pub mod pyth;
pub mod rewards_api;
pub mod sender;
pub mod slash;
pub mod supply;
pub mod treasury_report;

pub use cluster::{Cluster, ClusterError};
pub use sender::{Landed, SendConfig, SendError, Sender};

pub use solana_client;
pub use solana_commitment_config;
pub use solana_keypair;
pub use solana_message;
pub use solana_pubkey;
pub use solana_signature;
pub use solana_signer;
pub use solana_transaction;
