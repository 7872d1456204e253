//! Pure treasury math: no accounts, no Anchor. Unit and property tests sit beside each module.
//!
//! - `split`: the exact revenue split (dust to the buyback bucket), in `depin_common::bps` shares;
//! - `price`: the conservative oracle price (EMA minus k x confidence), the buyback's minimum
//!   output and the service credits a burn buys.

pub mod price;
pub mod split;

pub use split::*;
