use anchor_lang::prelude::*;

use crate::constants::MAX_ORACLES;
use crate::error::RewardsError;

/// One oracle's seat in the set.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct OracleSeat {
    /// The oracle's signing key (default = empty seat).
    pub key: Pubkey,
    /// `epoch + 1` of the last root this oracle voted for under this set version (0 = none).
    /// An oracle votes once per epoch and round (`OracleSet::last_rounds`): a second, different
    /// vote in the same round is refused, and a void (a new round) frees every seat that was
    /// not slashed.
    pub last_vote: u64,
}

/// The oracles that vote on reward roots. PDA `["oracle_set"]`.
///
/// Replacing the set bumps `set_version`; proposals carry the version they were voted under,
/// so every vote that is not yet final is void after a rotation.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct OracleSet {
    /// Layout version (`ORACLE_SET_VERSION`).
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Votes needed to post a root: more than half of `count`, at most `count`.
    pub threshold: u8,
    /// Seats in use: `seats[..count]`.
    pub count: u8,
    /// Bumped by every rotation (starts at 1).
    pub set_version: u32,
    /// Bond each oracle must hold to vote, in lamports.
    pub bond: u64,
    /// Share of slashed bonds paid to the challenger who proved the fraud, in bps; the rest is
    /// burned (sent to the incinerator).
    pub challenger_bps: u16,
    /// Unix time of the last rotation.
    pub rotated_at: i64,
    /// Seats (bit `i` = `seats[i]`) slashed by a fraud proof under this set version: they may
    /// not vote until the next rotation.
    pub slashed: u16,
    /// The oracles, in the order given at rotation; the vote bitmask indexes this array.
    pub seats: [OracleSeat; MAX_ORACLES],
    /// The voting round (`Network::voided_roots`) of each seat's `last_vote`. Kept apart from
    /// the seats so that the layout the staking program reads (`OracleSetView`) is unchanged.
    pub last_rounds: [u64; MAX_ORACLES],
    /// The latest `dispute_ends` of a root posted under this set version (0 = none).
    pub posted_until: i64,
    /// The latest `dispute_ends` of a root posted under any earlier set version: a proposal
    /// stays challengeable after a rotation until its own window ends, so an oracle rotated out
    /// may withdraw its bond only from then on.
    pub retired_until: i64,
    /// Space for fields added by later versions; zero.
    pub reserved: [u8; 48],
}

impl OracleSet {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// A freshly rotated set: `oracles` seated in order with no votes, nothing slashed. The
    /// caller has validated the set (`validate_oracle_set`).
    pub fn seated(
        bump: u8,
        oracles: &[Pubkey],
        threshold: u8,
        bond: u64,
        challenger_bps: u16,
        set_version: u32,
        now: i64,
    ) -> Result<Self> {
        let mut seats = [OracleSeat::default(); MAX_ORACLES];
        require!(oracles.len() <= MAX_ORACLES, RewardsError::InvalidOracleSet);
        for (seat, key) in seats.iter_mut().zip(oracles) {
            seat.key = *key;
        }
        Ok(Self {
            version: crate::constants::ORACLE_SET_VERSION,
            bump,
            threshold,
            count: u8::try_from(oracles.len()).map_err(|_| RewardsError::InvalidOracleSet)?,
            set_version,
            bond,
            challenger_bps,
            rotated_at: now,
            slashed: 0,
            seats,
            last_rounds: [0; MAX_ORACLES],
            posted_until: 0,
            retired_until: 0,
            reserved: [0; 48],
        })
    }

    /// The set that replaces this one: `next`, with every window of this and earlier set
    /// versions carried into `retired_until`.
    pub fn succeeded_by(&self, mut next: Self) -> Self {
        next.retired_until = self.retired_until.max(self.posted_until);
        next
    }

    /// Whether the oracle in `seat` was slashed under this set version.
    pub fn is_slashed(&self, seat: usize) -> bool {
        seat < MAX_ORACLES && self.slashed & (1u16 << seat) != 0
    }

    /// The seat index of `key`, if it is in the set.
    pub fn seat_of(&self, key: &Pubkey) -> Option<usize> {
        self.seats
            .iter()
            .take(usize::from(self.count))
            .position(|s| s.key == *key)
    }

    /// Checked after every change.
    pub fn invariant(&self) -> Result<()> {
        let n = usize::from(self.count);
        require!(
            (1..=MAX_ORACLES).contains(&n)
                && usize::from(self.threshold) * 2 > n
                && usize::from(self.threshold) <= n
                && self.set_version > 0
                && self.bond > 0
                && self.challenger_bps <= crate::constants::MAX_CHALLENGER_BPS,
            RewardsError::InvariantViolated
        );
        Ok(())
    }
}

/// An oracle's bond, in SOL: PDA `["bond", oracle]`, holding `amount` lamports above its rent.
/// Independent of the set, so rotation never touches a bond. SOL, not the network token, so the
/// first oracles can bond before any reward exists, and slashing never moves the token supply.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct OracleBond {
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// The oracle's key.
    pub oracle: Pubkey,
    /// Lamports bonded, above the account's rent (zero after a slash).
    pub amount: u64,
}

impl OracleBond {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;
}
