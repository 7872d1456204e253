//! `treasury`: stablecoin revenue in, buyback and burn, service credits.
//! See `PROTOCOL.md` (section `treasury`) and `ARCHITECTURE.md`.
//!
//! This file only dispatches: each instruction lives in its own file under `instructions/`.
#![allow(unexpected_cfgs)]

// The registry-only SBF chain takes its i128 and soft-float libcalls from this crate.
#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

use anchor_lang::prelude::*;

pub mod constants;
pub mod error;
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;

use instructions::*;

declare_id!("EzNm4uWXMjsznQDvJuZApAvy2xupkNnCGs7vYsM6FU4b");

#[program]
pub mod treasury {
    use super::*;

    /// Creates the treasury config: the revenue split between buyback, stakers and operations,
    /// and the governance timelock. Only the program's upgrade authority may call it, once.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn initialize_treasury(
        ctx: Context<InitializeTreasury>,
        args: InitializeTreasuryArgs,
    ) -> Result<()> {
        instructions::admin::initialize_treasury::handler(ctx, args)
    }
}
