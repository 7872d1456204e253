//! The reward tree: the merkle-sum tree (`merkle-sum`, the same encoding the rewards program
//! checks claims against) over wallets.csv's `(wallet, cumulative)` rows. The epoch engine,
//! `epoch verify` and claimants rebuilding a proof all build it here.

use merkle_sum::{MerkleSumError, Node, Tree};

use crate::transparency::WalletRow;

/// The merkle-sum tree over `(wallet, cumulative)`, one leaf per row in row order (wallets.csv
/// order: ascending by wallet); `None` when there is no wallet yet.
///
/// # Errors
///
/// [`MerkleSumError`] (unsorted rows or a total above u64).
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
/// [`MerkleSumError`] (unsorted rows or a total above u64).
pub fn root(wallets: &[WalletRow]) -> Result<Option<Node>, MerkleSumError> {
    Ok(tree(wallets)?.map(|t| t.root()))
}
