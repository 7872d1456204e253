//! The exact budget split: largest remainder, ties by device key.

use depin_formats::keys::Pubkey;

/// The budget divided among scores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// One reward per score, in input order.
    pub rewards: Vec<u64>,
    /// Σ scores.
    pub total_score: u128,
    /// Σ rewards: the budget, or 0 when every score is 0.
    pub distributed: u64,
    /// `budget - distributed`.
    pub unspent: u64,
}

/// Why a split could not be made (inputs of different lengths; the arithmetic cannot fail).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("{scores} scores but {keys} keys")]
    LengthMismatch { scores: usize, keys: usize },
    #[error("sum of scores overflows u128")]
    Overflow,
    #[error("remainder rule invariant broken: {0}")]
    Invariant(&'static str),
}

/// Splits `budget` in proportion to `scores` (one `keys` entry per score, for ties):
///
/// ```text
/// reward_i = floor(budget * score_i / total)        (u128)
/// then (budget - Σ reward_i) units go one each to the scores with the largest
/// remainder (budget * score_i mod total), descending, ties by key ascending.
/// ```
///
/// So Σ rewards == budget exactly, each reward is within 1 of the exact share, and a higher
/// score never gets less. With `total == 0` every reward is 0 and the whole budget is unspent.
///
/// # Errors
///
/// [`SplitError::LengthMismatch`] if `scores` and `keys` differ in length.
pub fn split(budget: u64, scores: &[u64], keys: &[Pubkey]) -> Result<Split, SplitError> {
    if scores.len() != keys.len() {
        return Err(SplitError::LengthMismatch {
            scores: scores.len(),
            keys: keys.len(),
        });
    }
    let total = scores.iter().try_fold(0u128, |acc, s| {
        acc.checked_add(u128::from(*s)).ok_or(SplitError::Overflow)
    })?;
    if total == 0 {
        return Ok(Split {
            rewards: vec![0; scores.len()],
            total_score: 0,
            distributed: 0,
            unspent: budget,
        });
    }
    let budget_wide = u128::from(budget);
    let mut rewards = Vec::with_capacity(scores.len());
    // (remainder, index) of every share with a fractional part.
    let mut fractional: Vec<(u128, usize)> = Vec::new();
    let mut floor_sum: u128 = 0;
    for (i, s) in scores.iter().enumerate() {
        // budget < 2^64 and score < 2^64: the product fits in u128.
        let num = budget_wide * u128::from(*s);
        let floor = num / total;
        let rem = num % total;
        // floor <= budget because score <= total.
        rewards.push(u64::try_from(floor).map_err(|_| SplitError::Invariant("share > budget"))?);
        floor_sum += floor;
        if rem > 0 {
            fractional.push((rem, i));
        }
    }
    let left = usize::try_from(
        budget_wide
            .checked_sub(floor_sum)
            .ok_or(SplitError::Invariant("floors exceed the budget"))?,
    )
    .map_err(|_| SplitError::Invariant("remainder does not fit usize"))?;
    // Σ remainders = left * total and each remainder < total, so left < fractional.len() + 1.
    if left > fractional.len() {
        return Err(SplitError::Invariant(
            "more leftover units than fractional shares",
        ));
    }
    if left > 0 {
        let key_of = |i: usize| keys.get(i).copied().unwrap_or_default();
        let order = |a: &(u128, usize), b: &(u128, usize)| {
            b.0.cmp(&a.0).then_with(|| key_of(a.1).cmp(&key_of(b.1)))
        };
        fractional.select_nth_unstable_by(left - 1, order);
        for (_, i) in fractional.iter().take(left) {
            if let Some(r) = rewards.get_mut(*i) {
                *r += 1;
            }
        }
    }
    Ok(Split {
        rewards,
        total_score: total,
        distributed: budget,
        unspent: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: u8) -> Vec<Pubkey> {
        (0..n).map(|i| Pubkey([i; 32])).collect()
    }

    #[test]
    fn exact_values() {
        // 10 split 1:1:1 -> floors 3,3,3; remainders equal; the extra unit goes to key 0.
        let s = split(10, &[1, 1, 1], &keys(3)).unwrap();
        assert_eq!(s.rewards, vec![4, 3, 3]);
        assert_eq!((s.total_score, s.distributed, s.unspent), (3, 10, 0));
        // 100 split 1:2:3:4 -> 10,20,30,40 exactly.
        let s = split(100, &[1, 2, 3, 4], &keys(4)).unwrap();
        assert_eq!(s.rewards, vec![10, 20, 30, 40]);
        // 7 split 5:3:2 -> 3.5, 2.1, 1.4 -> floors 3,2,1 (6), one unit to the largest remainder (0.5).
        let s = split(7, &[5, 3, 2], &keys(3)).unwrap();
        assert_eq!(s.rewards, vec![4, 2, 1]);
        // Zero scores get nothing even when units are left.
        let s = split(5, &[0, 1, 0, 1], &keys(4)).unwrap();
        assert_eq!(s.rewards, vec![0, 3, 0, 2]);
    }

    #[test]
    fn ties_break_by_key_not_position() {
        let k = vec![Pubkey([9; 32]), Pubkey([1; 32]), Pubkey([5; 32])];
        let s = split(2, &[1, 1, 1], &k).unwrap();
        assert_eq!(s.rewards, vec![0, 1, 1]);
    }

    #[test]
    fn zero_total_leaves_budget_unspent() {
        let s = split(1000, &[0, 0], &keys(2)).unwrap();
        assert_eq!(s.rewards, vec![0, 0]);
        assert_eq!((s.distributed, s.unspent), (0, 1000));
        let s = split(1000, &[], &[]).unwrap();
        assert_eq!((s.distributed, s.unspent), (0, 1000));
    }

    #[test]
    fn extremes_do_not_overflow() {
        let s = split(u64::MAX, &[u64::MAX, u64::MAX, 1], &keys(3)).unwrap();
        assert_eq!(
            s.rewards.iter().map(|r| u128::from(*r)).sum::<u128>(),
            u128::from(u64::MAX)
        );
        assert!(split(1, &[1], &keys(2)).is_err());
    }
}
