//! The small on-chain helpers the rewards, staking and treasury programs share, each in one place:
//!
//! - [`bps`]: basis points ([`bps::Bps`]): shares and multipliers, applied with exact rounding.
//! - [`ed25519`]: what an ed25519 precompile instruction verified, read from its own data.
//! - [`onboarding`]: the message a device signs to be onboarded, and its validity window.
//! - [`timelock`]: the governance timelock's rules ([`timelock::Schedule`]): its bounds, the ETA
//!   of a queued change, and when it is due or expired.
//! - [`token`]: named, length-checked read-only views of the SPL Token account and mint layouts
//!   (which Token-2022 shares), in place of bare byte offsets.
//!
//! A plain `no_std` library with no dependencies (like `merkle-sum`): no accounts, no Anchor, no
//! errors of any program. Each program maps this crate's error values to its own error codes, and
//! keeps its own instructions and account types (and so its own IDL).
// `std` only for the tests (proptest).
#![cfg_attr(not(test), no_std)]

pub mod bps;
pub mod ed25519;
pub mod onboarding;
pub mod timelock;
pub mod token;
