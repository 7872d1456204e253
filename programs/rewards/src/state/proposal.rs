use anchor_lang::prelude::*;

use crate::constants::{DEMAND_DEPOSIT, DEMAND_DOUBLING, MAX_ORACLES};
use crate::state::ProbeSide;

/// The final root a proposal extends.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct BaseRoot {
    pub root: [u8; 32],
    pub total: u64,
    pub leaves: u64,
}

/// Where a proposal stands.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Collecting votes.
    Voting,
    /// Reached the threshold; open to fraud proofs until `dispute_ends`.
    Posted,
    /// Final: claims are paid against it.
    Final,
    /// Proven fraudulent during its dispute window; never final.
    Voided,
}

/// A candidate reward root for one epoch, under one oracle-set version. PDA
/// `["proposal", epoch_le, set_version_le, round_le, root, total_le, leaves_le, manifest_hash]`:
/// oracles that agree on the `(epoch, root, total, leaves, manifest_hash)` tuple vote on the same
/// account, no tuple can take another's address, and a void (which starts a new round) frees
/// every tuple again.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct RootProposal {
    /// Canonical bump of this PDA.
    pub bump: u8,
    pub status: ProposalStatus,
    /// The oracle whose vote created it and paid its rent; the rent goes back to it on close.
    pub payer: Pubkey,
    /// Seats (bit `i` = `OracleSet::seats[i]`) that voted for it.
    pub votes: u16,
    /// The oracle-set version the votes were cast under.
    pub set_version: u32,
    /// The network's voting round (`Network::voided_roots`) when it was created.
    pub round: u64,
    /// The epoch the root is for.
    pub epoch: u64,
    /// Merkle-sum root hash over `(wallet, cumulative amount)` in index order.
    pub root: [u8; 32],
    /// The root's sum.
    pub total: u64,
    /// The root's leaf count.
    pub leaves: u64,
    /// Hash of the oracle's input manifest.
    pub manifest_hash: [u8; 32],
    /// The final root this one extends (the network's final root when the proposal was
    /// created): decrease proofs compare against it, even after a later root became final.
    pub base: BaseRoot,
    /// Availability demands on its posted tree not yet answered: it cannot become final while
    /// any is open.
    pub open_demands: u32,
    /// The key of the oracle in each seat that voted (bit `i` of `votes` = `voters[i]`), so a
    /// fraud proven after a rotation still slashes exactly these oracles.
    pub voters: [Pubkey; MAX_ORACLES],
    /// Unix time the threshold was reached (0 while voting).
    pub posted_at: i64,
    /// Unix time from which it may be finalized (0 while voting).
    pub dispute_ends: i64,
    /// Seats (bit `i` = `OracleSet::seats[i]`) that contested it (`contest_root`): they voted
    /// another tuple for the epoch and round and could not rebuild this one.
    pub contested: u16,
    /// When contested: it may become final only from then on (`dispute_ends` plus twice the
    /// governance timelock, time for a rotation to land). 0 when not contested.
    pub contest_ends: i64,
}

impl RootProposal {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Posted and inside its dispute window: fraud may still be proven against it, whatever
    /// happened to the oracle set since.
    pub fn is_disputable(&self, now: i64) -> bool {
        self.status == ProposalStatus::Posted && now < self.dispute_ends
    }

    /// The time an availability demand on this proposal gives for its answer: a third of the
    /// proposal's own dispute window (fixed when it posted, whatever governance does to
    /// `dispute_secs` later), at least one second.
    pub fn answer_secs(&self) -> Option<i64> {
        // Unsigned division: SBF has no signed one.
        let window = u64::try_from(self.dispute_ends.checked_sub(self.posted_at)?).ok()?;
        i64::try_from(window / 3).ok().filter(|secs| *secs >= 1)
    }

    /// The deadline of a demand opened at `now`, if one may be: demands are taken in the first
    /// third of the window, so every deadline leaves at least another third in which a decrease
    /// the answer reveals can still be proven.
    pub fn demand_deadline(&self, now: i64) -> Option<i64> {
        let answer = self.answer_secs()?;
        let deadline = now.checked_add(answer)?;
        let proof_time = deadline.checked_add(answer)?;
        (self.is_disputable(now) && proof_time <= self.dispute_ends).then_some(deadline)
    }

    /// The first time it may become final, with the governance timelock now `timelock_secs`:
    /// `dispute_ends`, or if contested the later of `contest_ends` and
    /// `dispute_ends + 2 x timelock_secs` (a timelock raised since the contest lengthens the
    /// hold, so a rotation proposed at once can still land first). `None` on overflow.
    pub fn final_from(&self, timelock_secs: u64) -> Option<i64> {
        if self.contested == 0 {
            return Some(self.dispute_ends);
        }
        let hold = i64::try_from(timelock_secs.checked_mul(2)?).ok()?;
        Some(self.contest_ends.max(self.dispute_ends.checked_add(hold)?))
    }

    /// The deposit of the next demand: [`DEMAND_DEPOSIT`] doubled once for every
    /// [`DEMAND_DOUBLING`] demands already open. `None` once it no longer fits a `u64`.
    pub fn demand_deposit(&self) -> Option<u64> {
        let doublings = self.open_demands / DEMAND_DOUBLING;
        let factor = 1u64.checked_shl(doublings)?;
        DEMAND_DEPOSIT.checked_mul(factor)
    }

    /// The root a probe on `side` descends: `(root node, leaf count)`.
    pub fn tree(&self, side: ProbeSide) -> (merkle_sum::Node, u64) {
        match side {
            ProbeSide::Base => (
                merkle_sum::Node {
                    hash: self.base.root,
                    sum: self.base.total,
                },
                self.base.leaves,
            ),
            ProbeSide::Posted => (
                merkle_sum::Node {
                    hash: self.root,
                    sum: self.total,
                },
                self.leaves,
            ),
        }
    }
}
