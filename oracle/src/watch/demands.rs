//! Which leaves the watcher demands of a posted root that no source's files rebuild (pure but
//! for the process's secret salt). A withheld tree can lower any base leaf, and a demand shows
//! one leaf: so the watcher demands the leaves of the wallets it protects, any indices it is
//! told to, and a few more drawn at random from the base's leaves.
//!
//! ```text
//! base leaves 0 .. b   (only these can be lowered: leaves at b or past are new this epoch)
//!   watched wallets ─► their base indices (the base tree held; else none, logged)
//!   demand_indices  ─► those below b
//!   demand_sample   ─► k indices from SHA-256(salt ‖ proposal ‖ n) mod b, n = 0, 1, ...
//! ```
//!
//! The sample is fixed per process and proposal (a retried pass demands the same leaves), and
//! unknown to anyone else: colluders who lower m of b leaves escape k draws with probability
//! about (1 - m/b)^k, so a watcher per wallet owner, or many watchers, is what makes withholding
//! hopeless. Each demand costs its deposit (`DEMAND_DEPOSIT`, doubling with every 256 demands
//! open on the root), earned by whoever answers it; the watcher pays at most
//! `watch.max_demand_deposit` a demand (the voters of a withheld root can raise the price by
//! demanding and answering their own leaves: past the cap, the contest is what holds the root).

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};

use depin_client::solana_pubkey::Pubkey;
use sha2::{Digest, Sha256};

use super::evidence::Row;

/// Most leaves one pass demands of one proposal (one transaction each).
pub const MAX_DEMANDS: usize = 64;

/// The default of `watch.max_demand_deposit`: 1,000,000 lamports (up to three doublings of the
/// 100,000-lamport base, 768 demands open on the root).
pub const DEFAULT_MAX_DEPOSIT: u64 = 1_000_000;

/// What the watcher demands of a withheld tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemandPlan {
    wallets: Vec<[u8; 32]>,
    indices: Vec<u64>,
    sample: u32,
    salt: [u8; 32],
    max_deposit: u64,
}

impl DemandPlan {
    /// The plan for `wallets`, `indices` and `sample` random draws, salted with `salt`.
    #[must_use]
    pub const fn new(
        wallets: Vec<[u8; 32]>,
        indices: Vec<u64>,
        sample: u32,
        salt: [u8; 32],
    ) -> Self {
        Self {
            wallets,
            indices,
            sample,
            salt,
            max_deposit: DEFAULT_MAX_DEPOSIT,
        }
    }

    /// The plan paying at most `max_deposit` lamports a demand.
    #[must_use]
    pub const fn with_max_deposit(mut self, max_deposit: u64) -> Self {
        self.max_deposit = max_deposit;
        self
    }

    /// The most this watcher deposits for one demand.
    #[must_use]
    pub const fn max_deposit(&self) -> u64 {
        self.max_deposit
    }

    /// A salt no one else knows: the standard library's per-process random hasher keys, from
    /// the operating system.
    #[must_use]
    pub fn secret_salt() -> [u8; 32] {
        let mut salt = [0u8; 32];
        for chunk in salt.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u8(0);
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
        salt
    }

    /// Whether any wallet is watched (their indices need the base tree).
    #[must_use]
    pub fn watches_wallets(&self) -> bool {
        !self.wallets.is_empty()
    }

    /// The leaves to demand of `proposal`, whose base has `base_leaves` leaves (`base_rows`
    /// when held), ascending, at most [`MAX_DEMANDS`] (watched wallets first, then the given
    /// indices, then the draws).
    #[must_use]
    pub fn leaves(
        &self,
        proposal: &Pubkey,
        base_leaves: u64,
        base_rows: Option<&[Row]>,
    ) -> Vec<u64> {
        let mut chosen = BTreeSet::new();
        let mut add = |i: u64| {
            if i < base_leaves && chosen.len() < MAX_DEMANDS {
                chosen.insert(i);
            }
        };
        if let Some(rows) = base_rows {
            for (index, (wallet, _)) in (0u64..).zip(rows) {
                if self.wallets.contains(wallet) {
                    add(index);
                }
            }
        }
        self.indices.iter().copied().for_each(&mut add);
        if base_leaves > 0 {
            for n in 0..self.sample {
                add(self.draw(proposal, n) % base_leaves);
            }
        }
        chosen.into_iter().collect()
    }

    fn draw(&self, proposal: &Pubkey, n: u32) -> u64 {
        let digest = Sha256::new()
            .chain_update(self.salt)
            .chain_update(proposal.as_ref())
            .chain_update(n.to_le_bytes())
            .finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn w(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn watched_wallets_and_indices_are_demanded_below_the_base_count() {
        let rows = [(w(1), 5), (w(2), 5), (w(3), 5), (w(4), 5)];
        let plan = DemandPlan::new(vec![w(3), w(9)], vec![1, 3, 7], 0, [0; 32]);
        let p = Pubkey::new_unique();
        // w(3) at 2; w(9) is not in the base; index 7 is past it.
        assert_eq!(plan.leaves(&p, 4, Some(&rows)), vec![1, 2, 3]);
        // Without the base tree the wallets cannot be placed.
        assert_eq!(plan.leaves(&p, 4, None), vec![1, 3]);
        // An empty base: nothing can be lowered, nothing is demanded.
        assert_eq!(plan.leaves(&p, 0, Some(&[])), Vec::<u64>::new());
        assert!(plan.watches_wallets());
    }

    #[test]
    fn the_sample_is_fixed_per_salt_and_proposal_and_differs_across_them() {
        let (p, q) = (Pubkey::new_unique(), Pubkey::new_unique());
        let plan = DemandPlan::new(Vec::new(), Vec::new(), 8, [7; 32]);
        let leaves = plan.leaves(&p, 1 << 20, None);
        assert!(!leaves.is_empty() && leaves.len() <= 8, "{leaves:?}");
        assert!(leaves.iter().all(|i| *i < 1 << 20));
        assert!(leaves.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            plan.leaves(&p, 1 << 20, None),
            leaves,
            "a retry draws the same"
        );
        assert_ne!(plan.leaves(&q, 1 << 20, None), leaves);
        let other = DemandPlan::new(Vec::new(), Vec::new(), 8, [8; 32]);
        assert_ne!(other.leaves(&p, 1 << 20, None), leaves);
        // A one-leaf base: every draw is leaf 0.
        assert_eq!(plan.leaves(&p, 1, None), vec![0]);
    }

    #[test]
    fn at_most_max_demands_and_watched_wallets_come_first() {
        let rows: Vec<Row> = (0..200u8).map(|i| (w(i), 1)).collect();
        let plan = DemandPlan::new(vec![w(199)], (0..100).collect(), 50, [1; 32]);
        let leaves = plan.leaves(&Pubkey::new_unique(), 200, Some(&rows));
        assert_eq!(leaves.len(), MAX_DEMANDS);
        assert!(leaves.contains(&199));
        assert_eq!(leaves[..MAX_DEMANDS - 1], (0..63).collect::<Vec<u64>>()[..]);
    }

    #[test]
    fn the_secret_salt_differs_between_calls() {
        assert_ne!(DemandPlan::secret_salt(), DemandPlan::secret_salt());
        assert_ne!(DemandPlan::secret_salt(), [0; 32]);
    }
}
