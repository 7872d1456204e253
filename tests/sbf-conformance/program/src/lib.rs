//! SBF conformance fixture (skeleton; the conformance suite replaces this).
#![allow(unexpected_cfgs)]
#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;
use anchor_lang::prelude::*;

declare_id!("4revRMdv77GRfekHBKoHj79hSafMNYzKsWRsJqWVn8Hd");

#[program]
pub mod sbf_conformance {
    use super::*;

    pub fn ping(_ctx: Context<Ping>) -> Result<()> {
        Ok(())
    }
}

#[derive(Accounts)]
pub struct Ping {}
