use anchor_lang::prelude::*;

use crate::error::RewardsError;
use crate::math::emission::EmissionSchedule;
use crate::math::window::{WindowConfig, WindowState};
use crate::state::prev_owner_kept_until;

/// The emission schedule as stored (see [`EmissionSchedule`]).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmissionParams {
    /// Unix time at which epoch 0 starts.
    pub start_ts: i64,
    /// Length of an epoch, in seconds.
    pub epoch_secs: u64,
    /// Emission of each epoch before the first halving, in base units.
    pub initial_epoch_emission: u64,
    /// Emission halves every this many epochs.
    pub halving_interval_epochs: u64,
}

impl EmissionParams {
    pub fn schedule(&self) -> EmissionSchedule {
        EmissionSchedule {
            start_ts: self.start_ts,
            epoch_secs: self.epoch_secs,
            initial_epoch_emission: self.initial_epoch_emission,
            halving_interval_epochs: self.halving_interval_epochs,
        }
    }
}

/// The sliding-window circuit breaker on minting: parameters and state (see
/// [`WindowConfig`]).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintWindow {
    /// Length of the window, in seconds.
    pub window_secs: u64,
    /// Most that may be outstanding in the window, in base units.
    pub threshold: u64,
    /// Unix time of the last recorded mint.
    pub last_ts: i64,
    /// Amount outstanding as of `last_ts`.
    pub amount: u64,
}

impl MintWindow {
    pub fn config(&self) -> WindowConfig {
        WindowConfig {
            window_secs: self.window_secs,
            threshold: self.threshold,
        }
    }

    pub fn state(&self) -> WindowState {
        WindowState {
            last_ts: self.last_ts,
            amount: self.amount,
        }
    }
}

/// The latest final reward root: what claims are paid against.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct FinalRoot {
    /// Number of epochs whose root is final; the next root must be for this epoch.
    pub epochs: u64,
    /// Merkle-sum root hash over `(wallet, cumulative amount)` (zero before the first root).
    pub root: [u8; 32],
    /// The root's sum: every wallet's cumulative reward.
    pub total: u64,
    /// Hash of the oracle's input manifest for that epoch.
    pub manifest_hash: [u8; 32],
    /// The tree's leaf count (0 before the first root or for an empty tree): wallets `0..leaves`
    /// keep their index in every later root.
    pub leaves: u64,
}

/// The network's configuration and mint bookkeeping. PDA `["network"]`; the mint authority and
/// the owner of the rewards vault.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Network {
    /// Layout version (`NETWORK_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Canonical bump of the mint PDA.
    pub mint_bump: u8,
    /// Canonical bump of the rewards vault PDA.
    pub vault_bump: u8,
    /// Decimals of the network token.
    pub decimals: u8,
    /// Governance key: changes parameters through the timelock.
    pub authority: Pubkey,
    /// The network token mint (PDA `["mint"]`).
    pub mint: Pubkey,
    /// The token program that owns the mint (SPL Token or Token-2022).
    pub token_program: Pubkey,
    /// The rewards vault (PDA `["rewards_vault"]`).
    pub rewards_vault: Pubkey,
    /// Hard cap on everything this program may ever mint, in base units.
    pub max_supply: u64,
    /// Everything this program has minted so far (the genesis supply and every epoch), in base
    /// units. Never exceeds `max_supply`.
    pub total_minted: u64,
    /// The emission schedule.
    pub emission: EmissionParams,
    /// The circuit breaker every mint passes.
    pub mint_window: MintWindow,
    /// Epochs minted into the rewards vault; the next `crank_epoch` mints this epoch.
    pub epochs_minted: u64,
    /// Everything minted for rewards so far (`cumulative_budget` in docs/protocol.md).
    pub cumulative_budget: u64,
    /// Everything paid out by claims so far.
    pub total_claimed: u64,
    /// Roots of the current set voided by fraud proofs so far: the current voting round.
    /// Proposals carry it, so votes from before a void never mix with votes after it.
    pub voided_roots: u64,
    /// Everything this program has burned (onboarding and location-update fees). The token's supply = minted − this −
    /// the treasury's and staking's burns (`depin_client::supply`).
    pub total_burned: u64,
    /// Network tokens burned from the owner for each device onboarded, in base units.
    pub onboard_fee: u64,
    /// Seconds a posted root waits, open to fraud proofs, before it can become final.
    pub dispute_secs: u64,
    /// Seconds between proposing a parameter change and applying it.
    pub timelock_secs: u64,
    /// Parameter changes proposed so far (the next change's id).
    pub changes_proposed: u64,
    /// The latest final root.
    pub final_root: FinalRoot,
    /// Unix time the network was created.
    pub created_at: i64,
    /// Canonical bump of the `["collateral_authority"]` PDA, which signs the staking program's
    /// `bind_collateral` / `release_collateral`.
    pub collateral_authority_bump: u8,
    /// Minted once into the genesis account when the network was created; counted in
    /// `total_minted`, never in `cumulative_budget`.
    pub genesis_supply: u64,
    /// Seconds the oracles have to acknowledge each other's report sets once `threshold` seats
    /// have spoken (`EpochInputs::closes_at`); 0 on a network created before it existed, which
    /// takes no commitments until governance sets it (`ParamUpdate::InputSecs`).
    pub input_secs: u64,
    /// Network tokens burned from the owner for each `update_location`, in base units; 0 on a
    /// network created before it existed (its reserved bytes), until governance sets it
    /// (`ParamUpdate::LocationFee`).
    pub location_fee: u64,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 95],
}

impl Network {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// How many epochs must be final before a device whose collateral is released (transferred
    /// or decommissioned) at `now` stops being liable on its old position: the epochs before
    /// the current one paid its owner, so the end of the offence window holding the last of
    /// them and [`crate::constants::SLASH_GRACE_EPOCHS`] more (`prev_owner_kept_until`, the rule `transfer_device`
    /// keeps the previous owner by). Counted in final epochs, not seconds: a stall in finality
    /// (contested roots, a missing oracle) extends the liability instead of running it out. The
    /// tokens then still wait out the staking cooldown (at least 3 days), which a slash takes
    /// first (docs/staking.md, "Slashing"). 0 before the first epoch.
    pub fn liable_until_epochs(&self, now: i64) -> u64 {
        self.emission
            .schedule()
            .epoch_at(now)
            .map_or(0, prev_owner_kept_until)
    }

    /// The most a root for `epoch` may give out in total: what has been minted, and no more than
    /// the emission of epochs `0..=epoch` (later epochs may already be minted as each starts, but
    /// are not that root's to give). Checked when a root is voted and again when it is finalized.
    pub fn root_budget(&self, epoch: u64) -> Result<u64> {
        let epochs = epoch.checked_add(1).ok_or(RewardsError::MathOverflow)?;
        let scheduled = self
            .emission
            .schedule()
            .cumulative_emission(epochs)
            .map_err(|_| RewardsError::MathOverflow)?;
        Ok(self.cumulative_budget.min(scheduled))
    }

    /// Checked after every change: claims <= final total <= cumulative budget, and genesis +
    /// cumulative budget = minted <= max.
    pub fn invariant(&self) -> Result<()> {
        require!(
            self.max_supply > 0
                && self.total_claimed <= self.final_root.total
                && self.final_root.total <= self.cumulative_budget
                && self.genesis_supply.checked_add(self.cumulative_budget)
                    == Some(self.total_minted)
                && self.total_minted <= self.max_supply
                && self.final_root.epochs <= self.epochs_minted,
            RewardsError::InvariantViolated
        );
        Ok(())
    }
}
