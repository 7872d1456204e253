//! A wallet's claim as clients send it: the instructions (into the wallet's associated token
//! account, created if missing, or into one of its staking positions), sent as a v0 transaction
//! through the network's lookup table when it has one. A first claim whose account creation and
//! proof together exceed the packet creates the account in a transaction of its own first.

use anchor_lang::prelude::Pubkey;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;

use crate::builders::{
    TokenProgram, associated_token_address, create_associated_token_account_idempotent, rewards_ix,
    staking_ix,
};
use crate::sender::{Landed, SendError, Sender};

/// The claim's instructions and where the tokens go: the wallet's staking position
/// `to_position` (the wallet signs), or its associated token account for `mint` (created if
/// missing; `payer` pays).
pub fn claim_ixs(
    payer: &Pubkey,
    wallet: Pubkey,
    mint: &Pubkey,
    tp: TokenProgram,
    to_position: Option<u64>,
    args: rewards_ix::ClaimArgs,
) -> (Vec<Instruction>, Pubkey) {
    match to_position {
        Some(id) => {
            let position = staking_ix::position_pda(&wallet, id).0;
            let ix = rewards_ix::claim_to_position(
                rewards_ix::claim_to_position_accounts(wallet, position, tp),
                args,
            );
            (vec![ix], position)
        }
        None => {
            let ata = associated_token_address(&wallet, mint, tp);
            let create = create_associated_token_account_idempotent(payer, &wallet, mint, tp);
            let ix = rewards_ix::claim(rewards_ix::claim_accounts(*payer, wallet, ata, tp), args);
            (vec![create, ix], ata)
        }
    }
}

/// Sends `ixs` (from [`claim_ixs`]) paid by `payer` through `tables`. When the account creation
/// and the claim do not fit one packet together, the (idempotent) creation goes first on its
/// own; the returned landing is the claim's.
///
/// # Errors
///
/// As [`Sender::send_with_tables`]; `TooLarge` when the claim alone does not fit.
pub async fn send_claim(
    sender: &Sender,
    payer: &Keypair,
    ixs: &[Instruction],
    tables: &[AddressLookupTableAccount],
) -> Result<Landed, SendError> {
    const WHAT: &str = "rewards: claim";
    match sender.send_with_tables(WHAT, ixs, payer, &[], tables).await {
        Err(SendError::TooLarge { .. }) if ixs.len() == 2 => {
            let (create, claim) = ixs.split_at(1);
            let what = "associated token account: create";
            sender
                .send_with_tables(what, create, payer, &[], tables)
                .await?;
            sender
                .send_with_tables(WHAT, claim, payer, &[], tables)
                .await
        }
        landed => landed,
    }
}
