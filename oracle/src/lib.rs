//! The DePIN oracle's deterministic core.
//!
//! ```text
//!  signed reports (JSON | binary)
//!        │  report: decode, check layout, verify device signatures (single or batch)
//!        ▼
//!  observations grouped by device ──┐
//!  registry snapshot ───────────────┤ verify: per device, by kind (connectivity | compute)
//!  ScoringParams, customers ────────┘   → Verdict { score, reasons }
//!        ▼
//!  epoch: exact budget split (largest remainder), roll up to owner wallets,
//!         cumulative = previous + epoch, merkle-sum tree over (wallet, cumulative)
//!        ▼
//!  transparency: epoch-<n>/{devices.csv, wallets.csv, manifest.json, manifest_hash}
//!        ▼
//!  (next: submitter → chain)
//! ```
//!
//! Data flows one way: `report` → `verify` → `epoch` → `transparency`. Everything from `verify`
//! on is integer-only and independent of input order, so the same inputs give byte-identical
//! files on any machine.

pub mod epoch;
pub mod ingest;
pub mod inputs;
pub mod keys;
pub mod math;
pub mod report;
pub mod server;
pub mod settings;
pub mod store;
pub mod supervisor;
pub mod transparency;
pub mod verify;
