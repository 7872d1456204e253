//! The DePIN oracle: the report ingest service and the deterministic epoch core. The formats it
//! reads and writes (keys, signed reports, params.json, the transparency files, the reward tree)
//! are the `depin-formats` crate (`sdk/formats`), shared with devices and clients.
//!
//! ```text
//!  devices ──POST /v1/reports{,/batch} (JSON | binary)──► ingest/ (axum, under the supervisor)
//!        │  content type, size, in-flight limit (429), decode, registry, timestamp window,
//!        │  ed25519 batch verify (depin_formats::report), per-device rate limit (429)
//!        ▼
//!  store/: one transaction per request, UNIQUE(device, nonce); ack only after commit
//!         (SQLite WAL by default | PostgreSQL, same schema)
//!        ▼
//!  epoch/publish (the epoch task in `serve`): at each boundary, the epoch's stored rows as
//!        │  reports.jsonl, registry.csv, the previous wallets.csv → epoch-inputs/epoch-<n>/
//!        │  (with agree/: the stored rows are this oracle's report set, committed on-chain;
//!        │  reports.jsonl is the union of the sets the chain includes, epoch/union)
//!        ▼
//!  epoch/inputs: decode, verify device signatures (batch), group by device ──┐
//!  registry/: snapshot from the chain (sync) or registry.csv (file) ──────────┤ verify/: per
//!  params.json (EpochConfig: window, ScoringParams, customers) ───────────────┘ device, by kind
//!        ▼                                          (connectivity | compute) → Verdict
//!  epoch/: budget = emission + carried (epoch/budget: unspent emission carried forward),
//!         exact budget split (largest remainder), roll up to owner wallets,
//!         cumulative = previous + epoch, merkle-sum tree over (wallet, cumulative)
//!        ▼
//!  epochs/epoch-<n>/{devices.csv, wallets.csv, manifest.json, manifest_hash}
//!         (depin_formats::transparency; epoch/audit re-derives them: `epoch verify`)
//!        ▼   and a published_epochs row (never recomputed)
//!  chain/submit: the published root on-chain (crank, bond, write-ahead vote intent,
//!         vote_root, finalize_root after the dispute window) over JSON-RPC with failover
//!  watch/: every posted root checked against the published files (own and peers', served by
//!         ingest/epochs: GET /v1/epochs/{n}/{file}); frauds proven in probe steps, demands
//!         opened on unverifiable roots and answered on the roots whose tree it holds
//! ```
//!
//! Data flows one way: `ingest` → `store` → `epoch::inputs` → `verify` → `epoch` → files →
//! `chain`, with `registry` beside it (read by the ingest and the epoch). Everything from
//! `verify` on is integer-only and independent of input order, so the same inputs give
//! byte-identical files on any machine. `settings` loads the service's TOML and environment;
//! `supervisor` runs its tasks and stops them in reverse order; `server` serves the ingest.

pub mod agree;
pub mod api;
pub mod chain;
pub mod epoch;
pub mod ingest;
pub mod offences;
pub mod registry;
pub mod server;
pub mod settings;
pub mod store;
pub mod supervisor;
pub mod verify;
pub mod watch;
pub mod web;
