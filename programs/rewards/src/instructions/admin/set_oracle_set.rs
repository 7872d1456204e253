use anchor_lang::prelude::*;

use crate::constants::{MAX_BPS, MAX_ORACLES, NETWORK_SEED, ORACLE_SET_SEED, ORACLE_SET_VERSION};
use crate::error::RewardsError;
use crate::events::OracleSetChanged;
use crate::state::{Network, OracleSeat, OracleSet};

/// Arguments of `set_oracle_set`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SetOracleSetArgs {
    /// 1 to 16 distinct oracle keys; the order fixes each oracle's seat.
    pub oracles: Vec<Pubkey>,
    /// Votes needed to post a root: more than half of the oracles, at most all of them.
    pub threshold: u8,
    /// Bond each oracle must hold to vote, in lamports (> 0).
    pub bond: u64,
    /// Share of slashed bonds paid to a successful challenger, in bps (at most 10,000).
    pub challenger_bps: u16,
}

/// Governance replaces the oracle set (creating it the first time). The set version goes up,
/// which voids every proposal that is not yet final.
#[event_cpi]
#[derive(Accounts)]
pub struct SetOracleSet<'info> {
    /// Pays the rent of the oracle set account the first time.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// The network authority (governance).
    pub authority: Signer<'info>,

    #[account(
        seeds = [NETWORK_SEED],
        bump = network.bump,
        has_one = authority @ RewardsError::NotAuthority,
    )]
    pub network: Box<Account<'info, Network>>,

    #[account(
        init_if_needed,
        payer = payer,
        space = OracleSet::SIZE,
        seeds = [ORACLE_SET_SEED],
        bump,
    )]
    pub oracle_set: Box<Account<'info, OracleSet>>,

    pub system_program: Program<'info, System>,
}

impl SetOracleSet<'_> {
    /// Accounts: `authority` must be the network's (checked by `has_one`); `oracle_set` is the
    /// canonical PDA. Arguments: checked here.
    pub fn validate(&self, args: &SetOracleSetArgs) -> Result<()> {
        let n = args.oracles.len();
        require!(
            (1..=MAX_ORACLES).contains(&n),
            RewardsError::InvalidOracleSet
        );
        for (i, key) in args.oracles.iter().enumerate() {
            require!(*key != Pubkey::default(), RewardsError::InvalidOracleSet);
            require!(
                !args.oracles[..i].contains(key),
                RewardsError::InvalidOracleSet
            );
        }
        let k = usize::from(args.threshold);
        require!(k * 2 > n && k <= n, RewardsError::InvalidThreshold);
        require!(
            args.bond > 0 && args.challenger_bps <= MAX_BPS,
            RewardsError::InvalidBond
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<SetOracleSet>, args: SetOracleSetArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let set = &mut ctx.accounts.oracle_set;
    let set_version = set
        .set_version
        .checked_add(1)
        .ok_or(RewardsError::MathOverflow)?;
    let mut seats = [OracleSeat::default(); MAX_ORACLES];
    for (seat, key) in seats.iter_mut().zip(&args.oracles) {
        seat.key = *key;
    }
    set.set_inner(OracleSet {
        version: ORACLE_SET_VERSION,
        bump: ctx.bumps.oracle_set,
        threshold: args.threshold,
        count: u8::try_from(args.oracles.len()).map_err(|_| RewardsError::InvalidOracleSet)?,
        set_version,
        bond: args.bond,
        challenger_bps: args.challenger_bps,
        rotated_at: now,
        slashed: 0,
        seats,
        reserved: [0; 64],
    });
    set.invariant()?;

    emit_cpi!(OracleSetChanged {
        set_version,
        threshold: args.threshold,
        bond: args.bond,
        challenger_bps: args.challenger_bps,
        oracles: args.oracles,
        timestamp: now,
    });
    Ok(())
}
