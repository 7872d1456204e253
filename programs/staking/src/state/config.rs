use anchor_lang::prelude::*;
use depin_common::bps;

use crate::constants::{
    MAX_APPEAL_SECS, MAX_COOLDOWN_SECS, MAX_LOCKUP_CAP_SECS, MAX_MULTIPLIER_CAP_BPS,
    MAX_SLASH_CAP_BPS, MAX_STREAM_SECS, MIN_COOLDOWN_SECS,
};
use crate::error::StakingError;
use crate::math::{revenue, weight};
use crate::state::{Position, Staker};

/// How a position's voting weight is derived from its locked amount.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VotingMode {
    /// weight = amount x lockup multiplier.
    Linear,
    /// weight = sqrt(amount) x lockup multiplier: favours many small holders.
    Quadratic,
}

impl From<VotingMode> for weight::Mode {
    fn from(m: VotingMode) -> Self {
        match m {
            VotingMode::Linear => weight::Mode::Linear,
            VotingMode::Quadratic => weight::Mode::Quadratic,
        }
    }
}

/// Staking parameters and totals. PDA `["config"]`; owns the vault and the revenue vault.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct StakingConfig {
    /// Layout version (`CONFIG_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Canonical bump of the vault PDA.
    pub vault_bump: u8,
    /// Canonical bump of the revenue vault PDA (0 until `initialize_revenue`).
    pub revenue_vault_bump: u8,
    /// Linear or quadratic voting weight.
    pub voting_mode: VotingMode,
    /// Multiplier at `max_lockup_secs`, in basis points (10,000 = 1x).
    pub max_multiplier_bps: u32,
    /// Largest slash per proposal, in basis points of the position's tokens.
    pub max_slash_bps: u16,
    /// Governance key: changes parameters through the timelock, overturns slashes.
    pub authority: Pubkey,
    /// The token that is locked (the network token).
    pub stake_mint: Pubkey,
    /// The token program that owns `stake_mint`.
    pub token_program: Pubkey,
    /// The vault token account (PDA `["vault"]`).
    pub vault: Pubkey,
    /// The revenue (stablecoin) mint; default until `initialize_revenue`.
    pub revenue_mint: Pubkey,
    /// The token program that owns `revenue_mint`.
    pub revenue_token_program: Pubkey,
    /// The revenue vault (PDA `["revenue_vault"]`); default until `initialize_revenue`.
    pub revenue_vault: Pubkey,
    /// Longest lockup; locking this long earns the maximum multiplier.
    pub max_lockup_secs: u64,
    /// Delay between unstaking and withdrawal, so collateral cannot leave ahead of a slash.
    pub cooldown_secs: u64,
    /// How long governance may overturn a proposed slash before it can be executed.
    pub appeal_secs: u64,
    /// Collateral a device owner must lock per device, in base units.
    pub min_device_collateral: u64,
    /// Tokens in all positions (locked plus cooling down), in base units. The vault holds at
    /// least this much.
    pub total_locked: u64,
    /// Tokens burned by executed slashes.
    pub total_slashed: u64,
    /// Sum of the stored weights of all positions.
    pub total_weight: u128,
    /// Revenue per unit of weight, scaled by `math::revenue::SCALE`.
    pub reward_per_weight: u128,
    /// Remainder of the last accrual's division, in revenue units × SCALE.
    pub revenue_carry: u128,
    /// Revenue folded into the accumulator so far.
    pub revenue_distributed: u64,
    /// Revenue paid to stakers so far. The revenue vault holds at least
    /// `revenue_distributed − revenue_claimed`; anything above that is the next accrual.
    pub revenue_claimed: u64,
    /// Unix time the config was created.
    pub created_at: i64,
    /// Delay between proposing and applying a parameter change, in seconds.
    pub timelock_secs: u64,
    /// Number of changes ever proposed (the next change's id).
    pub changes_proposed: u64,
    /// Revenue that arrives is folded in linearly over this many seconds (0: at once), so it
    /// goes to the weight staked while it streams, not to whoever staked just before it landed.
    pub revenue_stream_secs: u64,
    /// Revenue that arrived and is not folded yet; the revenue vault holds it on top of what is
    /// owed.
    pub revenue_streaming: u64,
    /// When the stream was last advanced, and when it ends (everything folded).
    pub stream_updated: i64,
    pub stream_end: i64,
    /// The spl-governance realm whose community votes this program weighs (default: none yet).
    /// Voter-weight records are kept for this realm and the stake mint only, and `unstake` and
    /// `withdraw` are refused while the owner's token owner record in it has votes not
    /// relinquished, so the same tokens cannot vote twice.
    pub realm: Pubkey,
    /// This deployment's slash domain, set once at initialisation
    /// (`math::slash::slash_domain`): every slash message starts with it, so an approval signed
    /// for one cluster (devnet) cannot be replayed on another (mainnet) by an oracle that uses
    /// the same key on both.
    pub slash_domain: [u8; 32],
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 16],
}

impl StakingConfig {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// When tokens that start cooling down at `now` may be withdrawn (`unstake`, and
    /// `execute_slash`'s restart).
    pub fn cooldown_end(&self, now: i64) -> Result<i64> {
        i64::try_from(self.cooldown_secs)
            .ok()
            .and_then(|cooldown| now.checked_add(cooldown))
            .ok_or_else(|| error!(StakingError::MathOverflow))
    }

    /// Checked after every change.
    pub fn invariant(&self) -> Result<()> {
        require!(
            (1..=MAX_LOCKUP_CAP_SECS).contains(&self.max_lockup_secs)
                && (bps::ONE..=MAX_MULTIPLIER_CAP_BPS).contains(&self.max_multiplier_bps)
                && (MIN_COOLDOWN_SECS..=MAX_COOLDOWN_SECS).contains(&self.cooldown_secs)
                && (1..=MAX_APPEAL_SECS).contains(&self.appeal_secs)
                && (1..=MAX_SLASH_CAP_BPS).contains(&self.max_slash_bps)
                && self.revenue_claimed <= self.revenue_distributed
                && depin_common::timelock::check_delay(self.timelock_secs).is_ok()
                && self.revenue_stream_secs <= MAX_STREAM_SECS
                && self.authority != Pubkey::default(),
            StakingError::InvariantViolated
        );
        Ok(())
    }

    /// Revenue held for stakers: folded into the accumulator and not yet claimed.
    pub fn revenue_owed(&self) -> u64 {
        self.revenue_distributed - self.revenue_claimed // invariant: claimed <= distributed
    }

    /// Advances the revenue stream to `now` and takes in what arrived in the vault since the last
    /// sync (the balance above what is owed and still streaming): first the stream releases its
    /// share of the time since its last update into the accumulator, then new revenue joins the
    /// stream, whose end moves to the amount-weighted mean of the remainder's end and `now +
    /// revenue_stream_secs` (`math::revenue::joined_end`: a dust arrival barely moves it); with
    /// a stream length of 0 (or past the end) everything streaming is folded at once. Nothing is
    /// folded while no weight exists: the revenue waits, and its stream starts over once weight
    /// appears. Returns the amount folded.
    pub fn sync_revenue(&mut self, vault_balance: u64, now: i64) -> Result<u64> {
        let release = revenue::released(
            self.revenue_streaming,
            self.stream_updated,
            self.stream_end,
            now,
        );
        let mut folded = self.fold(release)?;
        let arrived = vault_balance
            .saturating_sub(self.revenue_owed())
            .saturating_sub(self.revenue_streaming);
        let secs =
            i64::try_from(self.revenue_stream_secs).map_err(|_| StakingError::MathOverflow)?;
        let full = now.checked_add(secs).ok_or(StakingError::MathOverflow)?;
        if arrived > 0 {
            self.stream_end = revenue::joined_end(
                self.revenue_streaming,
                self.stream_end.max(now),
                arrived,
                full,
                now,
            );
            self.revenue_streaming = self
                .revenue_streaming
                .checked_add(arrived)
                .ok_or(StakingError::MathOverflow)?;
        }
        if self.total_weight == 0 && self.revenue_streaming > 0 {
            // Nobody earns while no weight exists: the stream starts over once some does, so a
            // first staker cannot take a backlog in one transaction.
            self.stream_end = self.stream_end.max(full);
        }
        if now >= self.stream_end {
            folded = folded
                .checked_add(self.fold(self.revenue_streaming)?)
                .ok_or(StakingError::MathOverflow)?;
        }
        self.stream_updated = now;
        Ok(folded)
    }

    /// Folds `amount` of the stream into the accumulator, if any weight exists. Returns what
    /// was folded (`amount` or 0).
    fn fold(&mut self, amount: u64) -> Result<u64> {
        if amount == 0 {
            return Ok(0);
        }
        let Some((rpw, carry)) = revenue::accrue(
            self.reward_per_weight,
            self.revenue_carry,
            amount,
            self.total_weight,
        )
        .map_err(|_| StakingError::MathOverflow)?
        else {
            return Ok(0);
        };
        self.reward_per_weight = rpw;
        self.revenue_carry = carry;
        self.revenue_streaming = self
            .revenue_streaming
            .checked_sub(amount)
            .ok_or(StakingError::InvariantViolated)?;
        self.revenue_distributed = self
            .revenue_distributed
            .checked_add(amount)
            .ok_or(StakingError::MathOverflow)?;
        Ok(amount)
    }

    /// The lockup multiplier of `position` at `now`, in bps.
    pub fn multiplier_bps(&self, position: &Position, now: i64) -> Result<u32> {
        weight::multiplier_bps(
            position.remaining_secs(now),
            self.max_lockup_secs,
            self.max_multiplier_bps,
        )
        .map_err(|_| error!(StakingError::MathOverflow))
    }

    /// `tally` with `position` added at `now` (its locked tokens only; cooling tokens have no
    /// weight).
    pub fn tally(
        &self,
        tally: weight::Tally,
        position: &Position,
        now: i64,
    ) -> Result<weight::Tally> {
        let m = self.multiplier_bps(position, now)?;
        tally
            .add(position.amount, m)
            .map_err(|_| error!(StakingError::MathOverflow))
    }

    /// Recomputes `position`'s revenue weight at `now` and moves its owner's (`staker`) and
    /// `total_weight` with it. The caller has settled the owner first. Returns
    /// `(weight_before, weight_after, multiplier_bps)`.
    pub fn reweigh(
        &mut self,
        staker: &mut Staker,
        position: &mut Position,
        now: i64,
    ) -> Result<(u128, u128, u32)> {
        let before = position.weight;
        let m = self.multiplier_bps(position, now)?;
        // The multiplier never exceeds the maximum, so neither does the weight.
        require!(
            m <= self.max_multiplier_bps && staker.reward_checkpoint == self.reward_per_weight,
            StakingError::InvariantViolated
        );
        let after = weight::revenue_weight(position.amount, m);
        let moved = |total: u128| {
            total
                .checked_sub(before)
                .and_then(|t| t.checked_add(after))
                .ok_or(StakingError::MathOverflow)
        };
        self.total_weight = moved(self.total_weight)?;
        staker.weight = moved(staker.weight)?;
        position.weight = after;
        Ok((before, after, m))
    }
}
