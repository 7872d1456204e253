//! `rewards`: the network token's mint, its emission, the device registry, oracle reward roots
//! and claims. See `docs/protocol.md` (section `rewards`) and `ARCHITECTURE.md`.
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
pub mod lookup_table_cpi;
pub mod math;
pub mod staking_cpi;
pub mod state;
pub mod treasury_cpi;
pub mod types;

use instructions::*;
use state::ParamUpdate;

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

    /// Governance queues a parameter change (the oracle set, the dispute window, the onboarding
    /// or location fee, the mint window, the authority or the timelock itself).
    #[access_control(ctx.accounts.validate(&update))]
    pub fn propose_change(ctx: Context<ProposeChange>, update: ParamUpdate) -> Result<()> {
        instructions::governance::propose_change::handler(ctx, update)
    }

    /// Anyone applies a queued change once its timelock has passed.
    pub fn apply_change(ctx: Context<ApplyChange>) -> Result<()> {
        instructions::governance::apply_change::handler(ctx)
    }

    /// Governance cancels a queued change.
    pub fn cancel_change(ctx: Context<CancelChange>) -> Result<()> {
        instructions::governance::cancel_change::handler(ctx)
    }

    /// Governance approves (or re-approves) a maker.
    pub fn approve_maker(ctx: Context<ApproveMaker>, maker: Pubkey) -> Result<()> {
        instructions::governance::approve_maker::handler(ctx, maker)
    }

    /// Governance revokes a maker.
    pub fn revoke_maker(ctx: Context<RevokeMaker>) -> Result<()> {
        instructions::governance::revoke_maker::handler(ctx)
    }

    /// A device joins: the device key, an approved maker and the owner sign; the owner burns the
    /// onboarding fee, and one device's collateral is bound to the owner's staking position.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn onboard_device(ctx: Context<OnboardDevice>, args: OnboardDeviceArgs) -> Result<()> {
        instructions::user::onboard_device::handler(ctx, args)
    }

    /// The owner hands a device to a new owner (both sign); its collateral moves from the old
    /// owner's staking position to the new owner's.
    #[access_control(ctx.accounts.validate())]
    pub fn transfer_device(ctx: Context<TransferDevice>) -> Result<()> {
        instructions::user::transfer_device::handler(ctx)
    }

    /// The owner asserts a device's new H3 cell and burns the location fee; the cell counts from
    /// the next epoch on. Refused while an epoch scored with the previous cell is not final, and
    /// more than once an epoch.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn update_location(ctx: Context<UpdateLocation>, args: UpdateLocationArgs) -> Result<()> {
        instructions::user::update_location::handler(ctx, args)
    }

    /// The owner retires a device for good; its collateral is released.
    pub fn decommission_device(ctx: Context<DecommissionDevice>) -> Result<()> {
        instructions::user::decommission_device::handler(ctx)
    }

    /// Permissionless: mints the next epoch's emission into the rewards vault once it has
    /// started; one epoch per call, never the same epoch twice, within max supply and the
    /// circuit breaker.
    pub fn crank_epoch(ctx: Context<CrankEpoch>) -> Result<()> {
        instructions::crank::crank_epoch::handler(ctx)
    }

    /// An oracle votes for `(epoch, root, total, manifest_hash)`; the threshold-th matching vote
    /// posts the root and opens its dispute window.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn vote_root(ctx: Context<VoteRoot>, args: VoteRootArgs) -> Result<()> {
        instructions::oracle::vote_root::handler(ctx, args)
    }

    /// A seat of the proposal's set that did not vote for a posted root contests it (it cannot
    /// rebuild it, or it is not its own): the root may become final only twice the governance
    /// timelock after its window, time for governance to rotate the set.
    pub fn contest_root(ctx: Context<ContestRoot>) -> Result<()> {
        instructions::oracle::contest_root::handler(ctx)
    }

    /// An oracle of the current set commits the hash of the reports it stored for an ended
    /// epoch (docs/oracle-agreement.md).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn commit_reports(ctx: Context<CommitReports>, args: CommitReportsArgs) -> Result<()> {
        instructions::oracle::commit_reports::handler(ctx, args)
    }

    /// An oracle of the current set says which committed report sets it holds (`held`, bit `i`
    /// = seat `i`); a set held by `threshold` seats is part of the epoch's input.
    pub fn ack_reports(ctx: Context<AckReports>, held: u16) -> Result<()> {
        instructions::oracle::ack_reports::handler(ctx, held)
    }

    /// An oracle deposits network tokens into its bond.
    pub fn post_bond(ctx: Context<PostBond>, amount: u64) -> Result<()> {
        instructions::oracle::post_bond::handler(ctx, amount)
    }

    /// An oracle out of the set, once no root it voted for can still be disputed, withdraws its
    /// bond.
    pub fn withdraw_bond(ctx: Context<WithdrawBond>, amount: u64) -> Result<()> {
        instructions::oracle::withdraw_bond::handler(ctx, amount)
    }

    /// Anyone starts a probe: proves a node on one leaf's path in a proposal's base or posted
    /// tree, during the proposal's dispute window.
    pub fn open_probe(ctx: Context<OpenProbe>, args: OpenProbeArgs) -> Result<()> {
        instructions::crank::open_probe::handler(ctx, args)
    }

    /// Anyone moves a probe down its path (to the leaf, with its wallet and amount).
    pub fn extend_probe(ctx: Context<ExtendProbe>, args: ExtendProbeArgs) -> Result<()> {
        instructions::crank::extend_probe::handler(ctx, args)
    }

    /// Anyone demands, in the first third of a posted root's window, that a posted-side probe be
    /// walked to its leaf within a third of the window (an availability challenge), with a
    /// deposit for whoever answers.
    pub fn demand_probe(ctx: Context<DemandProbe>, max_deposit: u64) -> Result<()> {
        instructions::crank::demand_probe::handler(ctx, max_deposit)
    }

    /// Anyone proves a posted root fraudulent from probes during its dispute window: the root
    /// is voided, every oracle that voted for it is slashed and the challenger is rewarded.
    pub fn prove_fraud<'info>(
        ctx: Context<'info, ProveFraud<'info>>,
        evidence: Evidence,
    ) -> Result<()> {
        instructions::crank::prove_fraud::handler(ctx, evidence)
    }

    /// Permissionless: closes a probe whose proposal can no longer be disputed; the rent goes
    /// back to its opener.
    pub fn close_probe(ctx: Context<CloseProbe>) -> Result<()> {
        instructions::crank::close_probe::handler(ctx)
    }

    /// Permissionless: a posted root past its dispute window becomes the final root.
    pub fn finalize_root(ctx: Context<FinalizeRoot>) -> Result<()> {
        instructions::crank::finalize_root::handler(ctx)
    }

    /// Permissionless: closes a proposal that can no longer become final, returning its rent to
    /// the oracle that created it.
    pub fn close_proposal(ctx: Context<CloseProposal>) -> Result<()> {
        instructions::crank::close_proposal::handler(ctx)
    }

    /// Permissionless: closes an epoch's input commitments once its root and the next
    /// `INPUTS_KEPT_EPOCHS` roots are final (an oracle that lagged that long still reads them),
    /// returning the rent to the oracle that created them.
    pub fn close_inputs(ctx: Context<CloseInputs>) -> Result<()> {
        instructions::crank::close_inputs::handler(ctx)
    }

    /// Permissionless, once: creates the network's address lookup table (the accounts every
    /// claim, onboarding and crank names), freezes it, and records its address at `["lut"]`.
    pub fn create_lookup_table(ctx: Context<CreateLookupTable>, recent_slot: u64) -> Result<()> {
        instructions::crank::create_lookup_table::handler(ctx, recent_slot)
    }

    /// Anyone pays `wallet` what the latest final root owes it, into a token account it owns.
    pub fn claim(ctx: Context<Claim>, args: ClaimArgs) -> Result<()> {
        instructions::user::claim::handler(ctx, args)
    }

    /// The wallet (signing) takes what the latest final root owes it as a time-locked reward:
    /// deposited into its own staking position, under that position's lock.
    #[access_control(ctx.accounts.validate())]
    pub fn claim_to_position(ctx: Context<ClaimToPosition>, args: ClaimArgs) -> Result<()> {
        instructions::user::claim_to_position::handler(ctx, args)
    }

    /// The wallet (signing) takes what the latest final root owes it in a stablecoin: the
    /// treasury buys the claimed tokens from that coin's buyback bucket at the lower of the
    /// oracle bound and the pinned pool's price, and burns them.
    pub fn claim_in_stablecoin(
        ctx: Context<ClaimInStablecoin>,
        args: ClaimInStablecoinArgs,
    ) -> Result<()> {
        instructions::user::claim_in_stablecoin::handler(ctx, args)
    }
}
