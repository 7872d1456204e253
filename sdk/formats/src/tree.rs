//! The reward tree: the merkle-sum tree (`merkle-sum`, the same encoding the rewards program
//! checks claims against) over wallets.csv's `(wallet, cumulative)` rows. The epoch engine,
//! `epoch verify` and claimants rebuilding a proof all build it here.
//!
//! Leaf `i` is row `i` of wallets.csv. The rows keep their order from one epoch to the next, so a
//! wallet keeps its leaf index for ever (`docs/merkle-sum.md`, section 9):
//!
//! ```text
//! epoch n's wallets.csv = epoch n-1's wallets, same order, cumulative not lower
//!                       + the wallets new in epoch n, ascending by their 32 bytes
//! ```
//!
//! [`check_leaf_order`] is the one check of that rule.

use std::collections::HashMap;

use merkle_sum::{MerkleSumError, Node, Tree};

use crate::keys::Pubkey;
use crate::transparency::WalletRow;

/// The merkle-sum tree over `(wallet, cumulative)`, one leaf per row in row order (wallets.csv
/// order: the leaf index order); `None` when there is no wallet yet.
///
/// # Errors
///
/// [`MerkleSumError`] (a repeated wallet or a total above u64).
pub fn tree(wallets: &[WalletRow]) -> Result<Option<Tree>, MerkleSumError> {
    if wallets.is_empty() {
        return Ok(None);
    }
    let leaves: Vec<([u8; 32], u64)> = wallets
        .iter()
        .map(|w| (w.wallet.to_bytes(), w.cumulative))
        .collect();
    Tree::new(&leaves).map(Some)
}

/// The merkle-sum root over `(wallet, cumulative)` (the root [`tree`] would have); `None` when
/// there is no wallet yet.
///
/// # Errors
///
/// [`MerkleSumError`] (a repeated wallet or a total above u64).
pub fn root(wallets: &[WalletRow]) -> Result<Option<Node>, MerkleSumError> {
    Ok(tree(wallets)?.map(|t| t.root()))
}

/// Why a wallets.csv does not keep the previous epoch's leaf order. `line` is the line of
/// wallets.csv (the header is line 1, leaf `i` is line `i + 2`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LeafOrderError {
    #[error(
        "wallets.csv has {rows} rows, the previous epoch's {previous}: wallet {wallet} (line \
         {line} of the previous wallets.csv) is missing (a wallet never disappears)"
    )]
    Missing {
        line: usize,
        wallet: Pubkey,
        rows: usize,
        previous: usize,
    },
    #[error(
        "wallets.csv line {line}: wallet {found}, but the previous epoch's wallets.csv has \
         {expected} there (a wallet keeps its index)"
    )]
    Moved {
        line: usize,
        found: Pubkey,
        expected: Pubkey,
    },
    #[error(
        "wallets.csv line {line}: wallet {wallet} has cumulative {cumulative}, below its \
         previous {previous}"
    )]
    Decreased {
        line: usize,
        wallet: Pubkey,
        cumulative: u64,
        previous: u64,
    },
    #[error("wallets.csv line {line}: new wallet {wallet} repeats line {first}")]
    Repeated {
        line: usize,
        wallet: Pubkey,
        first: usize,
    },
    #[error(
        "wallets.csv line {line}: new wallet {wallet} does not sort after the new wallet \
         {before} on the line above (new wallets are appended in ascending byte order)"
    )]
    Unordered {
        line: usize,
        wallet: Pubkey,
        before: Pubkey,
    },
}

/// The wallets.csv line of leaf `index`.
const fn line_of(index: usize) -> usize {
    index.saturating_add(2)
}

/// Checks that `current` (an epoch's wallets.csv rows) keeps the leaf order of `previous` (the
/// previous epoch's): it starts with the same wallets at the same indices, each with a
/// cumulative not lower than before, followed by wallets not seen before in strictly ascending
/// byte order. With no previous epoch, pass an empty `previous`.
///
/// # Errors
///
/// The first break of the rule, checked leaf by leaf: [`LeafOrderError::Missing`],
/// [`LeafOrderError::Moved`] or [`LeafOrderError::Decreased`] for a previous leaf, then
/// [`LeafOrderError::Repeated`] or [`LeafOrderError::Unordered`] for a new one.
pub fn check_leaf_order(
    previous: &[WalletRow],
    current: &[WalletRow],
) -> Result<(), LeafOrderError> {
    check_kept(previous, current)?;
    check_appended(previous, current)
}

/// The previous wallets are the first leaves of `current`, in their order, not lower.
fn check_kept(previous: &[WalletRow], current: &[WalletRow]) -> Result<(), LeafOrderError> {
    for (index, before) in previous.iter().enumerate() {
        let line = line_of(index);
        let Some(now) = current.get(index) else {
            return Err(LeafOrderError::Missing {
                line,
                wallet: before.wallet,
                rows: current.len(),
                previous: previous.len(),
            });
        };
        if now.wallet != before.wallet {
            return Err(LeafOrderError::Moved {
                line,
                found: now.wallet,
                expected: before.wallet,
            });
        }
        if now.cumulative < before.cumulative {
            return Err(LeafOrderError::Decreased {
                line,
                wallet: now.wallet,
                cumulative: now.cumulative,
                previous: before.cumulative,
            });
        }
    }
    Ok(())
}

/// The leaves after the previous ones are new wallets, strictly ascending by bytes.
fn check_appended(previous: &[WalletRow], current: &[WalletRow]) -> Result<(), LeafOrderError> {
    let kept = previous.len().min(current.len());
    let mut lines: HashMap<Pubkey, usize> = current
        .iter()
        .take(kept)
        .enumerate()
        .map(|(index, row)| (row.wallet, line_of(index)))
        .collect();
    let mut before: Option<Pubkey> = None;
    for (index, row) in current.iter().enumerate().skip(kept) {
        let line = line_of(index);
        if let Some(first) = lines.insert(row.wallet, line) {
            return Err(LeafOrderError::Repeated {
                line,
                wallet: row.wallet,
                first,
            });
        }
        if let Some(before) = before.filter(|b| *b >= row.wallet) {
            return Err(LeafOrderError::Unordered {
                line,
                wallet: row.wallet,
                before,
            });
        }
        before = Some(row.wallet);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(first: u8, last: u8) -> Pubkey {
        let mut bytes = [0u8; 32];
        bytes[0] = first;
        bytes[31] = last;
        Pubkey(bytes)
    }

    fn rows(wallets: &[(Pubkey, u64)]) -> Vec<WalletRow> {
        wallets
            .iter()
            .map(|&(wallet, cumulative)| WalletRow {
                wallet,
                epoch_reward: 0,
                previous: cumulative,
                cumulative,
            })
            .collect()
    }

    #[test]
    fn kept_then_appended_in_byte_order() {
        // [00 .. ff] sorts before [01 .. 00]: byte 0 decides.
        let (a, b, c, d) = (key(0, 0xff), key(1, 0), key(2, 0), key(3, 0));
        let previous = rows(&[(c, 5), (b, 7)]);
        assert_eq!(
            check_leaf_order(&[], &previous),
            Err(LeafOrderError::Unordered {
                line: 3,
                wallet: b,
                before: c
            })
        );
        assert_eq!(check_leaf_order(&previous, &previous), Ok(()));
        assert_eq!(
            check_leaf_order(&previous, &rows(&[(c, 5), (b, 9), (a, 1), (d, 1)])),
            Ok(())
        );
        assert_eq!(check_leaf_order(&[], &[]), Ok(()));
        assert_eq!(check_leaf_order(&[], &rows(&[(a, 1), (b, 1)])), Ok(()));
    }

    #[test]
    fn every_break_is_named() {
        let (a, b, c, d) = (key(0, 0xff), key(1, 0), key(2, 0), key(3, 0));
        let previous = rows(&[(c, 5), (b, 7)]);
        let check = |now: &[(Pubkey, u64)]| {
            check_leaf_order(&previous, &rows(now)).map_err(|e| e.to_string())
        };
        assert_eq!(
            check(&[(c, 5)]),
            Err(format!(
                "wallets.csv has 1 rows, the previous epoch's 2: wallet {b} (line 3 of the \
                 previous wallets.csv) is missing (a wallet never disappears)"
            ))
        );
        assert_eq!(
            check(&[(b, 7), (c, 5)]),
            Err(format!(
                "wallets.csv line 2: wallet {b}, but the previous epoch's wallets.csv has {c} \
                 there (a wallet keeps its index)"
            ))
        );
        assert_eq!(
            check(&[(a, 1), (c, 5), (b, 7)]),
            Err(format!(
                "wallets.csv line 2: wallet {a}, but the previous epoch's wallets.csv has {c} \
                 there (a wallet keeps its index)"
            ))
        );
        assert_eq!(
            check(&[(c, 5), (b, 6)]),
            Err(format!(
                "wallets.csv line 3: wallet {b} has cumulative 6, below its previous 7"
            ))
        );
        assert_eq!(
            check(&[(c, 5), (b, 7), (d, 1), (c, 1)]),
            Err(format!("wallets.csv line 5: new wallet {c} repeats line 2"))
        );
        assert_eq!(
            check(&[(c, 5), (b, 7), (a, 1), (a, 1)]),
            Err(format!("wallets.csv line 5: new wallet {a} repeats line 4"))
        );
        assert_eq!(
            check(&[(c, 5), (b, 7), (d, 1), (a, 1)]),
            Err(format!(
                "wallets.csv line 5: new wallet {a} does not sort after the new wallet {d} on \
                 the line above (new wallets are appended in ascending byte order)"
            ))
        );
    }
}
