//! `staking`: time-locked positions, voting weight, provider collateral, slashing and revenue
//! share. See `PROTOCOL.md` (section `staking`) and `ARCHITECTURE.md`.
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
pub mod state;

use instructions::*;

declare_id!("AtbUXJf62DoLaxEaZgGJp1AQbhGruJ4N2WcHrtfS1dwF");

#[program]
pub mod staking {
    use super::*;

    /// Creates the staking config and the vault that holds every locked token. Only the
    /// program's upgrade authority may call it, once.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn initialize_staking(
        ctx: Context<InitializeStaking>,
        args: InitializeStakingArgs,
    ) -> Result<()> {
        instructions::admin::initialize_staking::handler(ctx, args)
    }
}
