//! The ingest's budgets: a GCRA token bucket per device and per client address. One home for
//! the limiter, shared with the maker service: `depin_formats::rate_limit`.

pub use depin_formats::rate_limit::{RateLimiter, client_key};
