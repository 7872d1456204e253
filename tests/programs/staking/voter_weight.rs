//! `staking` voter weight for spl-governance (Realms): the addin's `VoterWeightRecord`,
//! byte for byte, with the current weight of the voter's positions, valid for one slot.
//!
//! `spl-governance-addin-api` is not a dev-dependency (see docs/staking.md): the expected bytes
//! below are written by hand from that crate's `voter_weight.rs` (v0.1.x): an 8-byte
//! discriminator, realm, governing_token_mint, governing_token_owner, voter_weight (u64 LE),
//! voter_weight_expiry (Option<u64>), weight_action (Option<enum u8>), weight_action_target
//! (Option<Pubkey>), reserved [u8; 8]: Borsh, options as a 0/1 tag then the value.

use super::fixture::*;
use anchor_lang::prelude::{Clock, Pubkey};
use harness::builders::staking_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use staking::error::StakingError;
use staking::events::VoterWeightUpdated;
use staking::state::{LockupKind, VoterWeightRecord};

/// `VoterWeightRecord::ACCOUNT_DISCRIMINATOR` of spl-governance-addin-api.
const ADDIN_DISCRIMINATOR: [u8; 8] = [46, 249, 155, 75, 153, 248, 116, 9];

/// The addin layout, by hand.
fn addin_bytes(realm: &Pubkey, mint: &Pubkey, owner: &Pubkey, weight: u64, expiry: u64) -> Vec<u8> {
    let mut b = ADDIN_DISCRIMINATOR.to_vec();
    b.extend_from_slice(realm.as_ref());
    b.extend_from_slice(mint.as_ref());
    b.extend_from_slice(owner.as_ref());
    b.extend_from_slice(&weight.to_le_bytes());
    b.push(1); // Some(expiry)
    b.extend_from_slice(&expiry.to_le_bytes());
    b.push(0); // weight_action: None
    b.push(0); // weight_action_target: None
    b.extend_from_slice(&[0; 8]); // reserved
    b
}

#[test]
fn the_record_has_the_addin_layout_and_the_current_weight() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(10_000);
    let p1 = fx.stake(&owner, source, 1, LockupKind::Cliff, MAX_LOCKUP, 1_000); // 5x
    let p2 = fx.stake(&owner, source, 2, LockupKind::Constant, 250_000, 2_000); // 2x
    let (realm, mint) = (REALM, fx.mint);
    let args = CreateVoterWeightRecordArgs {
        realm,
        governing_token_mint: mint,
        governing_token_owner: owner.pubkey(),
    };
    expect_ok(fx.env.send(
        &[create_voter_weight_record_ix(fx.env.payer.pubkey(), args)],
        &[],
    ));
    let (record, _) = voter_weight_record_pda(&realm, &mint, &owner.pubkey());
    let account = fx.env.account(&record).unwrap();
    assert_eq!(account.owner, staking::ID);
    assert_eq!(VoterWeightRecord::SIZE, 164); // every option Some
    assert_eq!(account.data.len(), 164);
    let fresh = addin_bytes(&realm, &mint, &owner.pubkey(), 0, 0);
    assert_eq!(&account.data[..fresh.len()], fresh.as_slice());
    assert!(account.data[fresh.len()..].iter().all(|b| *b == 0));

    let meta = expect_ok(fx.env.send(
        &[update_voter_weight_record_ix(
            record,
            owner.pubkey(),
            &[p1, p2],
        )],
        &[],
    ));
    let slot = fx.env.svm.get_sysvar::<Clock>().slot;
    let data = fx.env.account(&record).unwrap().data;
    let expected = addin_bytes(&realm, &mint, &owner.pubkey(), 9_000, slot);
    assert_eq!(&data[..expected.len()], expected.as_slice());
    let e: Vec<VoterWeightUpdated> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].positions,
            e[0].voter_weight_before,
            e[0].voter_weight_after,
            e[0].expiry_slot
        ),
        (2, 0, 9_000, slot)
    );

    // Half the cliff has run: 3x on 1,000; the constant lock does not decay.
    fx.warp(500_000);
    expect_ok(fx.env.send(
        &[update_voter_weight_record_ix(
            record,
            owner.pubkey(),
            &[p1, p2],
        )],
        &[],
    ));
    let slot = fx.env.svm.get_sysvar::<Clock>().slot;
    let r: VoterWeightRecord = fx.env.anchor_account(&record);
    assert_eq!((r.voter_weight, r.voter_weight_expiry), (7_000, Some(slot)));
    // The weight is the owner's, over all its positions: one left out is refused.
    let r = fx.env.send_fresh(
        &[update_voter_weight_record_ix(record, owner.pubkey(), &[p2])],
        &[],
    );
    assert_custom_error(&r, 0, code(StakingError::IncompleteTally));
    assert_eq!(
        fx.env
            .anchor_account::<VoterWeightRecord>(&record)
            .voter_weight,
        7_000
    );
}

#[test]
fn positions_counted_twice_or_of_another_owner_are_refused() {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(10_000);
    let p1 = fx.stake(&owner, source, 1, LockupKind::Cliff, MAX_LOCKUP, 1_000);
    let p2 = fx.stake(&owner, source, 2, LockupKind::Cliff, 0, 1_000);
    let (other, other_source) = fx.staker(1_000);
    let foreign = fx.stake(
        &other,
        other_source,
        3,
        LockupKind::Cliff,
        MAX_LOCKUP,
        1_000,
    );
    let (realm, mint) = (REALM, fx.mint);
    let args = CreateVoterWeightRecordArgs {
        realm,
        governing_token_mint: mint,
        governing_token_owner: owner.pubkey(),
    };
    expect_ok(fx.env.send(
        &[create_voter_weight_record_ix(
            fx.env.payer.pubkey(),
            args.clone(),
        )],
        &[],
    ));
    let (record, _) = voter_weight_record_pda(&realm, &mint, &owner.pubkey());
    for positions in [
        vec![p1, p1],
        vec![p2, p1],
        vec![p1, foreign],
        vec![config_pda().0],
    ] {
        let r = fx.env.send_fresh(
            &[update_voter_weight_record_ix(
                record,
                owner.pubkey(),
                &positions,
            )],
            &[],
        );
        assert_custom_error(&r, 0, code(StakingError::WrongPosition));
    }
    // A record of another program (same bytes) is refused by its owner check.
    let fake_key = fx.env.copy_account(&record, |a| a.owner = rewards::ID);
    let r = fx.env.send_fresh(
        &[update_voter_weight_record_ix(
            fake_key,
            owner.pubkey(),
            &[p1, p2],
        )],
        &[],
    );
    assert_custom_error(
        &r,
        0,
        anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram.into(),
    );
    // Creating the same record twice (a replay) is refused.
    let r = fx.env.send_fresh(
        &[create_voter_weight_record_ix(fx.env.payer.pubkey(), args)],
        &[],
    );
    assert_tx_error(
        &r,
        solana_transaction_error::TransactionError::InstructionError(
            0,
            solana_instruction_error::InstructionError::Custom(0),
        ),
    );
    assert_eq!(
        fx.env
            .anchor_account::<VoterWeightRecord>(&record)
            .voter_weight,
        0
    );
}

/// A voter-weight record of `owner` for `realm` and `mint`, created.
fn record_for(fx: &mut Fx, realm: Pubkey, mint: Pubkey, owner: Pubkey) -> Pubkey {
    let args = CreateVoterWeightRecordArgs {
        realm,
        governing_token_mint: mint,
        governing_token_owner: owner,
    };
    expect_ok(fx.env.send(
        &[create_voter_weight_record_ix(fx.env.payer.pubkey(), args)],
        &[],
    ));
    voter_weight_record_pda(&realm, &mint, &owner).0
}

#[test]
fn only_records_of_the_configs_realm_and_stake_mint_are_weighed() {
    // The open-vote check of unstake reads the token owner record of the config's realm and the
    // stake mint, so weight given for any other realm or mint could vote and leave at once.
    let mut fx = Fx::new(TokenProgram::SplToken);
    let (owner, source) = fx.staker(1_000);
    let p = fx.stake(&owner, source, 1, LockupKind::Cliff, MAX_LOCKUP, 1_000);
    let mint = fx.mint;
    for (realm, mint) in [(Pubkey::new_unique(), mint), (REALM, Pubkey::new_unique())] {
        let record = record_for(&mut fx, realm, mint, owner.pubkey());
        let ix = update_voter_weight_record_ix(record, owner.pubkey(), &[p]);
        let r = fx.env.send_fresh(&[ix], &[]);
        assert_custom_error(&r, 0, code(StakingError::WrongRealm));
        let weight = fx
            .env
            .anchor_account::<VoterWeightRecord>(&record)
            .voter_weight;
        assert_eq!(weight, 0);
    }

    // A config with no realm weighs no record, not even one for the default realm.
    let mut fx = Fx::with_args(TokenProgram::SplToken, |a| a.realm = Pubkey::default());
    let (owner, source) = fx.staker(1_000);
    let p = fx.stake(&owner, source, 1, LockupKind::Cliff, MAX_LOCKUP, 1_000);
    let mint = fx.mint;
    let record = record_for(&mut fx, Pubkey::default(), mint, owner.pubkey());
    let ix = update_voter_weight_record_ix(record, owner.pubkey(), &[p]);
    let r = fx.env.send_fresh(&[ix], &[]);
    assert_custom_error(&r, 0, code(StakingError::WrongRealm));
}
