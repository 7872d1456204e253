//! The device agent: keeps the device key on the device, makes signed reports (heartbeats, speed
//! tests, witnesses and beacons), buffers them on disk and delivers each to every configured
//! oracle, in order, through outages, restarts and `kill -9`, without reusing a nonce. Also
//! prints the device's onboarding code. See `app/agent/README.md`.
//!
//! ```text
//!  key         the device key file (Solana keypair JSON), its permission checks
//!  settings    TOML + DEPIN_AGENT__ environment overrides
//!  nonce       nonces reserved in durable blocks (the high-water mark), the clock floor
//!  make        payload + time + nonce, signed (usable with any NonceSource, e.g. a simulator's)
//!  spool       the append-only report log with one cursor per oracle, segments, compaction
//!  uplink      one batch to one oracle and the 200/409/422/429/5xx rules; the backoff
//!  schedule    heartbeats, speed tests (a configured command)
//!  inbox       witness/beacon payloads handed in by the radio side
//!  status      status.json and `depin-agent status`
//!  onboarding  the onboarding code (depin_formats::onboarding) and its terminal QR code
//!  agent       `depin-agent run`: the loop and one drain task per oracle
//!  fsutil      atomic, durable file replacement
//! ```

pub mod agent;
pub mod fsutil;
pub mod inbox;
pub mod key;
pub mod make;
pub mod nonce;
pub mod onboarding;
pub mod schedule;
pub mod settings;
pub mod spool;
pub mod status;
pub mod uplink;
