//! A test-only failpoint (built only with the `test-failpoints` feature): makes the epoch task
//! publish, and so the submitter vote, a **dishonest** tree. The end-to-end tests use it to run
//! colluding oracles against an honest watcher (`tests/collusion_localnet.rs`).
//!
//! `DEPIN_ORACLE_DISHONEST=<victim>:<amount>:<beneficiary>` (base58 wallets, base units): in an
//! epoch whose previous totals give `victim` more than `amount`, `amount` moves from the victim's
//! cumulative total to the beneficiary's. The engine's rows are changed after the engine and
//! before the tree, so the published files rebuild the dishonest root:
//!
//! - the total and the leaf count stay the same, every sum in the tree is consistent;
//! - each row still adds up (`cumulative = previous + epoch_reward`): the `previous` column of
//!   both wallets is shifted, the epoch rewards (which devices.csv pays) are left alone;
//! - the victim's posted amount is its final amount less `amount` plus its epoch reward: a
//!   provable decrease whenever `amount` exceeds what it earned in the epoch.
//!
//! Epochs in which the victim has not yet earned more than `amount` are published honestly, so
//! an oracle started with the variable is honest until the victim holds an earlier total: its
//! first dishonest root is a decrease against a root the victim earned in. The beneficiary must
//! have a row in that epoch (the publication fails otherwise: a misconfigured test, not a lie).

use std::str::FromStr;

use depin_formats::keys::Pubkey;
use depin_formats::transparency::WalletRow;

/// The variable read by the epoch task (only in a `test-failpoints` build).
pub const ENV: &str = "DEPIN_ORACLE_DISHONEST";

/// What to misreport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dishonest {
    /// The wallet whose earlier total is lowered.
    pub victim: Pubkey,
    /// Base units moved from the victim to the beneficiary.
    pub amount: u64,
    /// The wallet that gets them.
    pub beneficiary: Pubkey,
}

/// Why the failpoint could not be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DishonestError {
    #[error("{ENV}={value:?}: {reason} (expected <victim>:<amount>:<beneficiary>)")]
    Parse { value: String, reason: String },
    #[error("{ENV}: the beneficiary {0} has no row in this epoch")]
    NoBeneficiary(Pubkey),
    #[error("{ENV}: the beneficiary's total overflows u64")]
    Overflow,
}

impl FromStr for Dishonest {
    type Err = DishonestError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| DishonestError::Parse {
            value: value.to_owned(),
            reason,
        };
        let parts: Vec<&str> = value.split(':').collect();
        let [victim, amount, beneficiary] = parts[..] else {
            return Err(err(format!("{} fields", parts.len())));
        };
        let key = |s: &str| Pubkey::from_str(s).map_err(|e| err(format!("{s:?}: {e}")));
        let parsed = Self {
            victim: key(victim)?,
            amount: amount
                .parse()
                .map_err(|e| err(format!("amount {amount:?}: {e}")))?,
            beneficiary: key(beneficiary)?,
        };
        if parsed.amount == 0 || parsed.victim == parsed.beneficiary {
            return Err(err(
                "the amount must be nonzero and the wallets different".to_owned()
            ));
        }
        Ok(parsed)
    }
}

impl Dishonest {
    /// The failpoint of the process environment, if set.
    ///
    /// # Errors
    ///
    /// A value that does not parse.
    pub fn from_env() -> Result<Option<Self>, DishonestError> {
        std::env::var(ENV).ok().map(|v| v.parse()).transpose()
    }

    /// Moves `amount` from the victim's total to the beneficiary's in `wallets` (the engine's
    /// rows, in leaf order), if the victim's previous total exceeds it. Returns whether it did.
    ///
    /// # Errors
    ///
    /// The victim qualifies but the beneficiary has no row, or its total would overflow.
    pub fn apply(&self, wallets: &mut [WalletRow]) -> Result<bool, DishonestError> {
        let Some(v) = wallets
            .iter()
            .position(|w| w.wallet == self.victim && w.previous > self.amount)
        else {
            return Ok(false);
        };
        let b = wallets
            .iter()
            .position(|w| w.wallet == self.beneficiary)
            .ok_or(DishonestError::NoBeneficiary(self.beneficiary))?;
        let raised = &wallets[b];
        let (previous, cumulative) = raised
            .previous
            .checked_add(self.amount)
            .zip(raised.cumulative.checked_add(self.amount))
            .ok_or(DishonestError::Overflow)?;
        wallets[b].previous = previous;
        wallets[b].cumulative = cumulative;
        // previous > amount, and cumulative >= previous: neither underflows, neither reaches 0.
        wallets[v].previous -= self.amount;
        wallets[v].cumulative -= self.amount;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn row(n: u8, epoch_reward: u64, previous: u64) -> WalletRow {
        WalletRow {
            wallet: Pubkey([n; 32]),
            epoch_reward,
            previous,
            cumulative: previous + epoch_reward,
        }
    }

    fn failpoint(amount: u64) -> Dishonest {
        Dishonest {
            victim: Pubkey([1; 32]),
            amount,
            beneficiary: Pubkey([2; 32]),
        }
    }

    #[test]
    fn it_parses_victim_amount_and_beneficiary() {
        let (v, b) = (Pubkey([1; 32]), Pubkey([2; 32]));
        assert_eq!(
            format!("{v}:1000:{b}").parse::<Dishonest>().unwrap(),
            failpoint(1_000)
        );
        for bad in [
            String::new(),
            format!("{v}:1000"),
            format!("{v}:x:{b}"),
            format!("{v}:0:{b}"),
            format!("{v}:5:{v}"),
            format!("nope:5:{b}"),
            format!("{v}:5:{b}:extra"),
        ] {
            let err = bad.parse::<Dishonest>().unwrap_err();
            assert!(
                matches!(err, DishonestError::Parse { .. }),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn the_total_and_leaf_count_stay_and_every_row_adds_up() {
        let mut rows = vec![row(1, 0, 900), row(3, 50, 100), row(2, 30, 200)];
        assert!(failpoint(400).apply(&mut rows).unwrap());
        assert_eq!(
            rows,
            vec![
                WalletRow {
                    wallet: Pubkey([1; 32]),
                    epoch_reward: 0,
                    previous: 500,
                    cumulative: 500,
                },
                row(3, 50, 100),
                WalletRow {
                    wallet: Pubkey([2; 32]),
                    epoch_reward: 30,
                    previous: 600,
                    cumulative: 630,
                },
            ]
        );
        assert_eq!(rows.iter().map(|r| r.cumulative).sum::<u64>(), 1_280);
    }

    #[test]
    fn an_epoch_before_the_victim_holds_more_than_the_amount_is_honest() {
        // Not in the previous totals yet (a new wallet), or not more than the amount.
        for mut rows in [
            vec![row(2, 10, 0), row(1, 500, 0)],
            vec![row(1, 0, 400), row(2, 10, 0)],
            vec![row(2, 10, 0)],
        ] {
            let before = rows.clone();
            assert!(!failpoint(400).apply(&mut rows).unwrap());
            assert_eq!(rows, before);
        }
    }

    #[test]
    fn a_missing_beneficiary_or_an_overflow_fails_the_publication() {
        let mut rows = vec![row(1, 0, 900), row(3, 1, 1)];
        assert_eq!(
            failpoint(400).apply(&mut rows),
            Err(DishonestError::NoBeneficiary(Pubkey([2; 32])))
        );
        let mut rows = vec![row(1, 0, 900), row(2, 0, u64::MAX - 10)];
        assert_eq!(
            failpoint(400).apply(&mut rows),
            Err(DishonestError::Overflow)
        );
        assert_eq!(rows[0].cumulative, 900, "nothing changed");
    }
}
