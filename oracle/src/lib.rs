//! The DePIN oracle: the report ingest service and the deterministic epoch core.
//!
//! ```text
//!  devices ──POST /v1/reports{,/batch} (JSON | binary)──► ingest (axum, under the supervisor)
//!        │  content type, size, in-flight limit (429), decode, registry, timestamp window,
//!        │  ed25519 batch verify, per-device rate limit (429)
//!        ▼
//!  store: one transaction per request, UNIQUE(device, nonce); ack only after commit
//!         (SQLite WAL by default | PostgreSQL, same schema)
//!        ▼   publish (the epoch task in `serve`): at each boundary, the epoch's stored rows
//!        ▼   as reports.jsonl, the registry, the previous wallets.csv → the same path as below
//!        ▼   → epochs/epoch-<n>/ and a published_epochs row (never recomputed)
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
//!  submit: the published root on-chain (crank, bond, write-ahead vote intent, vote_root,
//!          finalize_root after the dispute window) over JSON-RPC with failover
//! ```
//!
//! Data flows one way: `ingest` → `store` → `report` → `verify` → `epoch` → `transparency`.
//! Everything from `verify` on is integer-only and independent of input order, so the same
//! inputs give byte-identical files on any machine. `settings` loads the service's TOML and
//! environment; `supervisor` runs its tasks and stops them in reverse order.

pub mod epoch;
pub mod ingest;
pub mod inputs;
pub mod keys;
pub mod math;
pub mod publish;
pub mod report;
pub mod server;
pub mod settings;
pub mod store;
pub mod submit;
pub mod supervisor;
pub mod sync;
pub mod transparency;
pub mod verify;
