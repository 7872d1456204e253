//! The protocol's benchmarks that print tables. They are examples of this crate, so that the
//! test harness they drive stays a dev-dependency:
//! - `cargo run -p depin-bench --example compute-units [-- --check]`: every instruction as built
//!   SBF in LiteSVM, its compute units, transaction size and rent (`bench/compute-units.md`);
//! - `cargo run -p depin-bench --example network [-- --quick]`: `depin-dev sim` per scenario,
//!   wall time by phase (`bench/network.md`).
//! - `cargo run --release -p depin-bench --example api [-- --quick]`: the rewards API's wallet
//!   summaries with proofs over HTTP, a 1,000,000-wallet epoch, requests/s and latency
//!   percentiles (`bench/api.md`).
//!
//! The oracle's benchmarks are `cargo bench` targets of the oracle (`oracle/benches`,
//! `bench/oracle.md`).
