use anchor_lang::prelude::*;

use crate::constants::{
    GOVERNANCE_PROGRAM_ID, REWARDS_NETWORK, REWARDS_PROGRAM_ID, TOKEN_OWNER_RECORD_SEED,
};
use crate::error::StakingError;
use crate::events::Unstaked;
use crate::instructions::shared;
use crate::state::{Position, Staker, StakingConfig, rewards_network, spl_governance};

/// The owner moves `amount` unlocked tokens (the lock has run out) into the cooldown: they lose
/// their weight at once and may be withdrawn `cooldown_secs` later. Unstaking again restarts
/// the cooldown for everything cooling. Refused while a slash is pending, and for the
/// collateral of bound devices.
#[event_cpi]
#[derive(Accounts)]
pub struct Unstake<'info> {
    /// The position's owner.
    pub owner: Signer<'info>,

    /// The staking config; its revenue vault is checked.
    #[account(mut)]
    pub config: Box<Account<'info, StakingConfig>>,

    /// The owner's position.
    #[account(
        mut,
        has_one = owner @ StakingError::NotPositionOwner,
    )]
    pub position: Box<Account<'info, Position>>,

    /// The position owner's stake as a whole (its revenue share moves with the position's
    /// weight).
    #[account(mut, has_one = owner @ StakingError::WrongStaker)]
    pub staker: Box<Account<'info, Staker>>,

    /// CHECK: the config's revenue vault (address checked), a token account this program
    /// created; only its balance is read, to sync the revenue before the weight changes.
    #[account(address = config.revenue_vault @ StakingError::WrongRevenueVault)]
    pub revenue_vault: UncheckedAccount<'info>,

    /// CHECK: spl-governance's token owner record of `owner` in the config's realm, for the
    /// stake mint (seeds checked; it may not exist). Refused while it holds votes not
    /// relinquished (`spl_governance::require_no_open_votes`).
    #[account(
        seeds = [
            TOKEN_OWNER_RECORD_SEED,
            config.realm.as_ref(),
            config.stake_mint.as_ref(),
            owner.key().as_ref(),
        ],
        bump,
        seeds::program = GOVERNANCE_PROGRAM_ID,
    )]
    pub token_owner_record: UncheckedAccount<'info>,

    /// CHECK: the rewards program's network (address checked; owner and discriminator checked
    /// in `validate` when read): its count of final epochs ends the liability of devices
    /// released from the position (`Position::liable_until_epochs`). Read only when the position
    /// has released devices.
    #[account(address = REWARDS_NETWORK @ StakingError::WrongRewardsNetwork)]
    pub rewards_network: UncheckedAccount<'info>,
}

impl Unstake<'_> {
    /// Accounts: `owner` signs and owns `position`; `config` and `revenue_vault` are checked by
    /// their constraints. State: no pending slash, the lock has run out, and what stays locked
    /// covers `min_device_collateral` for each bound or still liable device (by the rewards
    /// network's final epochs).
    pub fn validate(&self, amount: u64) -> Result<()> {
        let p = &self.position;
        require!(amount > 0, StakingError::ZeroAmount);
        require!(p.pending_slash.is_none(), StakingError::SlashPending);
        spl_governance::require_no_open_votes(&self.token_owner_record, &p.owner)?;
        let now = Clock::get()?.unix_timestamp;
        require!(p.remaining_secs(now) == 0, StakingError::StillLocked);
        let left = p
            .amount
            .checked_sub(amount)
            .ok_or(StakingError::InsufficientLocked)?;
        let final_epochs = if p.liable_devices == 0 {
            0
        } else {
            self.final_epochs()?
        };
        let required = u128::from(self.config.min_device_collateral)
            * u128::from(p.collateral_devices(final_epochs));
        require!(u128::from(left) >= required, StakingError::CollateralBound);
        Ok(())
    }
}

impl Unstake<'_> {
    /// How many epochs of the rewards network are final.
    fn final_epochs(&self) -> Result<u64> {
        let network = &self.rewards_network;
        require_keys_eq!(
            *network.owner,
            REWARDS_PROGRAM_ID,
            StakingError::WrongRewardsNetwork
        );
        let data = network.try_borrow_data()?;
        Ok(rewards_network::final_epochs(&data).ok_or(StakingError::WrongRewardsNetwork)?)
    }
}

pub fn handler(ctx: Context<Unstake>, amount: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let revenue_balance = shared::token_amount(&ctx.accounts.revenue_vault)?;
    let config = &mut ctx.accounts.config;
    let position = &mut ctx.accounts.position;
    let staker = &mut ctx.accounts.staker;
    let synced = shared::begin(config, staker, revenue_balance, now)?;
    position.amount = position
        .amount
        .checked_sub(amount)
        .ok_or(StakingError::InsufficientLocked)?;
    position.cooling = position
        .cooling
        .checked_add(amount)
        .ok_or(StakingError::MathOverflow)?;
    position.cooldown_end = config.cooldown_end(now)?;
    let weight = shared::finish(config, staker, position, now, synced)?;
    let (amount_after, cooling_after, cooldown_end) =
        (position.amount, position.cooling, position.cooldown_end);

    emit_cpi!(Unstaked {
        position: ctx.accounts.position.key(),
        amount,
        amount_after,
        cooling_after,
        cooldown_end,
        weight,
        timestamp: now,
    });
    Ok(())
}
