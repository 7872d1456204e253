//! Steps shared by several instructions: the part of a claim shared by `claim` and
//! `claim_to_position` (check the destination, verify the merkle-sum proof of
//! `(wallet, cumulative_amount)` against the latest final root, and record the payment), and the
//! probe step shared by `open_probe` and `extend_probe`; and the fee burn shared by
//! `onboard_device` and `update_location`.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Burn, Mint, TokenAccount, TokenInterface};
use depin_common::token::TokenAccountView;

use crate::error::RewardsError;
use crate::instructions::user::claim::ClaimArgs;
use crate::math::fraud::{self, FraudError};
use crate::state::{ClaimRecord, Network};
use crate::types::{MerkleNode, ProofNode};

/// A fraud check's refusal as this program's error.
pub fn fraud_error(e: FraudError) -> RewardsError {
    match e {
        FraudError::NotInRoot => RewardsError::FraudNotInRoot,
        FraudError::PreimageMismatch => RewardsError::FraudPreimageMismatch,
        FraudError::SumConsistent => RewardsError::FraudSumConsistent,
        FraudError::NoDecrease => RewardsError::FraudNoDecrease,
        FraudError::NotDuplicate => RewardsError::FraudNotDuplicate,
    }
}

/// One probe step (`math::fraud::step`): `node` at `level` on leaf `index`'s path below
/// `anchor` at `anchor_level`, in a tree of `leaves` leaves. A leaf preimage (`is_leaf`) at
/// level 0 may also confirm a level-0 node an earlier step left without one (`anchor_level` 0,
/// same node); nothing else may step from level 0.
pub fn probe_step(
    anchor: &merkle_sum::Node,
    anchor_level: u32,
    (node, is_leaf): (merkle_sum::Node, bool),
    level: u32,
    index: u64,
    leaves: u64,
    path: &[MerkleNode],
) -> Result<()> {
    if anchor_level == 0 && level == 0 {
        require!(
            is_leaf && node == *anchor && path.is_empty(),
            RewardsError::FraudNotInRoot
        );
        return Ok(());
    }
    let siblings = path.iter().map(|n| merkle_sum::Node::from(*n));
    fraud::step(anchor, anchor_level, node, level, index, leaves, siblings)
        .map_err(|e| error!(fraud_error(e)))
}

/// Checks that `destination` is owned by `token_program` and holds `mint` for `wallet`, reading
/// the two fields through the token account view instead of unpacking the whole account. That is
/// enough: the transfer that follows fails unless `destination` is an initialized, unfrozen token
/// account of `mint`, and for such an account these bytes are its mint and owner. Refuses another
/// program's account or one shorter than a token account (`NotATokenAccount`), another mint
/// (`WrongMint`) and another owner (`WrongTokenAccountOwner`).
pub fn check_destination(
    destination: &AccountInfo,
    token_program: &Pubkey,
    mint: &Pubkey,
    wallet: &Pubkey,
) -> Result<()> {
    require_keys_eq!(
        *destination.owner,
        *token_program,
        RewardsError::NotATokenAccount
    );
    let data = destination.try_borrow_data()?;
    let account = TokenAccountView::from_bytes(&data).ok_or(RewardsError::NotATokenAccount)?;
    require!(account.mint() == mint.to_bytes(), RewardsError::WrongMint);
    require!(
        account.owner() == wallet.to_bytes(),
        RewardsError::WrongTokenAccountOwner
    );
    Ok(())
}

/// What a verified claim pays.
pub struct Payment {
    /// Base units to pay now: `cumulative_amount − claimed` before this claim (never zero).
    pub amount: u64,
    /// The network's claims so far, this one included.
    pub total_claimed: u64,
    /// The final root's epoch count.
    pub epochs: u64,
}

/// Verifies `args` for `wallet` against `network`'s final root, then moves `record` to
/// `args.cumulative_amount` and adds the difference to `network.total_claimed` (re-checking the
/// network invariant). Refuses a proof that does not fold to the root (`InvalidProof`), an
/// over-deep proof (`ProofTooDeep`) and a cumulative amount already paid (`NothingToClaim`).
/// The caller then pays `amount` from the rewards vault.
pub fn verify_and_record(
    network: &mut Network,
    record: &mut ClaimRecord,
    record_bump: u8,
    wallet: &Pubkey,
    args: &ClaimArgs,
) -> Result<Payment> {
    let final_root = network.final_root;
    require!(
        args.proof.len() <= merkle_sum::MAX_DEPTH,
        RewardsError::ProofTooDeep
    );
    let leaf = merkle_sum::leaf(&wallet.to_bytes(), args.cumulative_amount);
    let root = merkle_sum::Node {
        hash: final_root.root,
        sum: final_root.total,
    };
    // Folded in place: collecting the nodes into the shared crate's `Sibling`s first cost about
    // 650 CU for a 20-level proof.
    let folded = merkle_sum::fold_siblings(leaf, args.proof.iter().map(ProofNode::sibling))
        .map_err(|_| RewardsError::InvalidProof)?;
    require!(folded == root, RewardsError::InvalidProof);

    record.bump = record_bump;
    let amount = args
        .cumulative_amount
        .checked_sub(record.claimed)
        .filter(|a| *a > 0)
        .ok_or(RewardsError::NothingToClaim)?;
    record.claimed = args.cumulative_amount;

    network.total_claimed = network
        .total_claimed
        .checked_add(amount)
        .ok_or(RewardsError::MathOverflow)?;
    network.invariant()?;
    Ok(Payment {
        amount,
        total_claimed: network.total_claimed,
        epochs: final_root.epochs,
    })
}

/// Burns `fee` network tokens from `from` (its owner `authority` signs) and counts them in
/// `network.total_burned`; nothing when the fee is zero.
pub fn burn_fee<'info>(
    network: &mut Network,
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    from: &InterfaceAccount<'info, TokenAccount>,
    authority: &Signer<'info>,
    fee: u64,
) -> Result<()> {
    if fee == 0 {
        return Ok(());
    }
    network.total_burned = network
        .total_burned
        .checked_add(fee)
        .ok_or(RewardsError::MathOverflow)?;
    token_interface::burn(
        CpiContext::new(
            token_program.key(),
            Burn {
                mint: mint.to_account_info(),
                from: from.to_account_info(),
                authority: authority.to_account_info(),
            },
        ),
        fee,
    )
}
