//! `staking`: time-locked positions, voting weight, provider collateral, slashing and revenue
//! share. See `docs/protocol.md` (section `staking`) and `ARCHITECTURE.md`.
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
use state::StakingUpdate;

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

    /// The deployer picks the revenue (stablecoin) mint once and creates the revenue vault PDA
    /// `["revenue_vault"]`, into which the treasury transfers the stakers' share.
    #[access_control(ctx.accounts.validate())]
    pub fn initialize_revenue(ctx: Context<InitializeRevenue>) -> Result<()> {
        instructions::admin::initialize_revenue::handler(ctx)
    }

    /// The owner opens a position: locks network tokens with a lockup kind and duration.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn stake(ctx: Context<Stake>, args: StakeArgs) -> Result<()> {
        instructions::user::stake::handler(ctx, args)
    }

    /// Anyone adds network tokens to an existing position (time-locked reward deposits).
    #[access_control(ctx.accounts.validate(amount))]
    pub fn add_to_position(ctx: Context<AddToPosition>, amount: u64) -> Result<()> {
        instructions::user::add_to_position::handler(ctx, amount)
    }

    /// The owner extends a position's lock to `lockup_secs` (never shorter than what is left).
    #[access_control(ctx.accounts.validate(lockup_secs))]
    pub fn extend_lock(ctx: Context<ExtendLock>, lockup_secs: u64) -> Result<()> {
        instructions::user::extend_lock::handler(ctx, lockup_secs)
    }

    /// The owner starts unlocking a constant position: it becomes a decaying cliff.
    #[access_control(ctx.accounts.validate())]
    pub fn start_unlock(ctx: Context<StartUnlock>) -> Result<()> {
        instructions::user::start_unlock::handler(ctx)
    }

    /// The owner moves unlocked tokens into the cooldown.
    #[access_control(ctx.accounts.validate(amount))]
    pub fn unstake(ctx: Context<Unstake>, amount: u64) -> Result<()> {
        instructions::user::unstake::handler(ctx, amount)
    }

    /// The owner withdraws tokens whose cooldown has ended.
    #[access_control(ctx.accounts.validate(amount))]
    pub fn withdraw(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
        instructions::user::withdraw::handler(ctx, amount)
    }

    /// The owner counts its positions towards its voting weight over several transactions.
    pub fn tally_positions<'info>(ctx: Context<'info, TallyPositions<'info>>) -> Result<()> {
        instructions::user::tally_positions::handler(ctx)
    }

    /// The owner claims its revenue share over all its positions (O(1)).
    pub fn claim_revenue(ctx: Context<ClaimRevenue>) -> Result<()> {
        instructions::user::claim_revenue::handler(ctx)
    }

    /// Permissionless: folds newly arrived revenue into the accumulator.
    pub fn sync_revenue(ctx: Context<SyncRevenue>) -> Result<()> {
        instructions::crank::sync_revenue::handler(ctx)
    }

    /// Permissionless: settles a position and refreshes its stored (decaying) weight.
    pub fn refresh_position(ctx: Context<RefreshPosition>) -> Result<()> {
        instructions::crank::refresh_position::handler(ctx)
    }

    /// Anyone creates a voter's spl-governance voter-weight record for a realm.
    pub fn create_voter_weight_record(
        ctx: Context<CreateVoterWeightRecord>,
        args: CreateVoterWeightRecordArgs,
    ) -> Result<()> {
        instructions::crank::create_voter_weight_record::handler(ctx, args)
    }

    /// Permissionless: writes the voter's current weight over all its positions (passed as
    /// remaining accounts, or tallied before) into its voter-weight record, valid in this slot.
    pub fn update_voter_weight_record<'info>(
        ctx: Context<'info, UpdateVoterWeightRecord<'info>>,
    ) -> Result<()> {
        instructions::crank::update_voter_weight_record::handler(ctx)
    }

    /// Anyone submits a slash signed by the rewards program's oracle quorum; it waits out the
    /// appeal window.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn propose_slash(ctx: Context<ProposeSlash>, args: ProposeSlashArgs) -> Result<()> {
        instructions::oracle::propose_slash::handler(ctx, args)
    }

    /// Anyone records oracle approvals of a slash whose quorum does not fit one
    /// `propose_slash` transaction.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn approve_slash(ctx: Context<ApproveSlash>, args: ProposeSlashArgs) -> Result<()> {
        instructions::oracle::approve_slash::handler(ctx, args)
    }

    /// Governance queues a parameter change behind the timelock.
    pub fn propose_change(ctx: Context<ProposeChange>, update: StakingUpdate) -> Result<()> {
        instructions::governance::propose_change::handler(ctx, update)
    }

    /// Anyone applies a queued change once its timelock has passed.
    pub fn apply_change(ctx: Context<ApplyChange>) -> Result<()> {
        instructions::governance::apply_change::handler(ctx)
    }

    /// Governance withdraws a queued change.
    pub fn cancel_change(ctx: Context<CancelChange>) -> Result<()> {
        instructions::governance::cancel_change::handler(ctx)
    }

    /// Governance overturns a pending slash during its appeal window.
    #[access_control(ctx.accounts.validate())]
    pub fn overturn_slash(ctx: Context<OverturnSlash>) -> Result<()> {
        instructions::governance::overturn_slash::handler(ctx)
    }

    /// Permissionless: executes a slash whose appeal window has passed (burns its tokens).
    #[access_control(ctx.accounts.validate())]
    pub fn execute_slash(ctx: Context<ExecuteSlash>) -> Result<()> {
        instructions::crank::execute_slash::handler(ctx)
    }

    /// The rewards program (its collateral authority PDA) binds a device's collateral.
    #[access_control(ctx.accounts.validate())]
    pub fn bind_collateral(ctx: Context<BindCollateral>) -> Result<()> {
        instructions::cpi::bind_collateral::handler(ctx)
    }

    /// The rewards program (its collateral authority PDA) releases a device's collateral.
    #[access_control(ctx.accounts.validate())]
    pub fn release_collateral(
        ctx: Context<ReleaseCollateral>,
        final_epochs: u64,
        liable_until_epochs: u64,
    ) -> Result<()> {
        instructions::cpi::release_collateral::handler(ctx, final_epochs, liable_until_epochs)
    }
}
