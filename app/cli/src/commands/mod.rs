//! One module per command, each with its clap arguments and its `run`: `device`, `rewards`,
//! `stake`, `slash`, `treasury`, `credits`, `gov` (groups of subcommands), `pay` and `migrate`; `common` holds what
//! several of them read or print.
mod common;
pub mod credits;
pub mod device;
pub mod gov;
pub mod migrate;
pub mod pay;
pub mod rewards;
pub mod slash;
pub mod stake;
pub mod treasury;
