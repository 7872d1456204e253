//! The DePIN protocol's shared wire and file formats: what a device signs and sends, and what an
//! oracle publishes for each epoch. Devices, the oracle, the owner CLI and the simulator all
//! read and write them through this crate, so none of them needs the oracle to sign a report,
//! read a published epoch or rebuild a claim proof.
//!
//! ```text
//!  api           the rewards API's JSON (docs/api.md): wallet summaries, proofs, per-epoch
//!                device rows, epoch status; amounts as decimal strings; the proof check
//!  keys          Pubkey, Sig: 32/64 bytes, base58 in every text format; ed25519 key checks
//!  key_file      a secret key in a keypair file, read only when private (no link, mode, owner)
//!  report        the signed device report: JSON and binary encodings (docs/reports.md),
//!                signing, single and batch verification, stable error reasons
//!  params        params.json (EpochConfig: budget = emission + carried, HalvingSchedule, window,
//!                customers, ScoringParams, Bps)
//!  reasons       the reason codes of devices.csv
//!  rate_limit    a GCRA budget per key (the oracle's ingest, the maker service)
//!  offences      the slashable offences, found in published epochs, and their evidence
//!  onboarding    the device's signed onboarding code (docs/onboarding.md): message, text
//!                code, verification, the rewards program id
//!  transparency  epochs/epoch-<n>/{devices.csv, wallets.csv, manifest.json, manifest_hash}
//!                (docs/transparency.md): rows, canonical JSON, writers and strict readers
//!  tree          the merkle-sum reward tree over wallets.csv (docs/merkle-sum.md) and the
//!                leaf order wallets.csv keeps from one epoch to the next
//! ```
//!
//! Plain data and encodings only: scoring, the epoch engine and `epoch verify` live in the
//! oracle (`depin-oracle`).

pub mod api;
#[cfg(unix)]
pub mod key_file;
pub mod keys;
pub mod offences;
pub mod onboarding;
pub mod params;
pub mod rate_limit;
pub mod reasons;
pub mod report;
pub mod transparency;
pub mod tree;

/// `usize` to `u64` for the counts the files and the engine record (lossless on every supported
/// target; saturates otherwise).
#[must_use]
pub fn count_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
