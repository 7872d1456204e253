//! `rewards`: the network token's mint, its emission, the device registry, oracle reward roots
//! and claims. See `PROTOCOL.md` (section `rewards`) and `ARCHITECTURE.md`.
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

declare_id!("5yruxM2F78Bw4EKcCp1oR1MxrETSAJWWLfchwBwK7Btc");

#[program]
pub mod rewards {
    use super::*;

    /// Creates the network: its config account and the token mint, whose mint authority is the
    /// network PDA and whose supply can never exceed `max_supply`. Only the program's upgrade
    /// authority may call it, once.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn initialize_network(
        ctx: Context<InitializeNetwork>,
        args: InitializeNetworkArgs,
    ) -> Result<()> {
        instructions::admin::initialize_network::handler(ctx, args)
    }
}
