//! Issue 23, item 2 (review F7): an owner's voting weight and revenue share do not depend on how
//! its tokens are split into positions. The attack: 1,000,003 tokens as 1, 2, 7 and 100
//! positions under the same lock, in both voting modes. Per-position square roots paid the
//! 100-position owner 10x the votes and 10x the revenue; here all four get the same, to the
//! unit. Owners with more positions than a transaction holds count them with `tally_positions`.

use super::fixture::*;
use anchor_lang::prelude::Pubkey;
use harness::builders::staking_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use staking::constants::TALLY_WINDOW_SECS;
use staking::error::StakingError;
use staking::events::PositionsTallied;
use staking::math::weight::isqrt;
use staking::state::{LockupKind, VoterWeightRecord, VotingMode};
use test_case::test_case;

const TOTAL: u64 = 1_000_003;
/// Positions per `tally_positions` transaction.
const CHUNK: usize = 20;

struct Owner {
    key: Keypair,
    positions: Vec<Pubkey>,
    record: Pubkey,
    revenue: Pubkey,
}

/// `TOTAL` as `n` uneven parts.
fn parts(n: u64) -> Vec<u64> {
    let mut parts: Vec<u64> = (0..n - 1).map(|i| TOTAL / (2 * n) + i * 7).collect();
    parts.push(TOTAL - parts.iter().sum::<u64>());
    parts
}

/// An owner holding `amounts` in one position each (ids from 0), all under the cliff lock
/// `lockup_secs`, and its voter-weight record in `realm`.
fn owner_with(fx: &mut Fx, amounts: &[u64], lockup_secs: u64, realm: Pubkey) -> Owner {
    let (key, source) = fx.staker(amounts.iter().sum());
    let positions = amounts
        .iter()
        .enumerate()
        .map(|(id, amount)| {
            fx.stake(
                &key,
                source,
                id as u64,
                LockupKind::Cliff,
                lockup_secs,
                *amount,
            )
        })
        .collect();
    let args = CreateVoterWeightRecordArgs {
        realm,
        governing_token_mint: fx.mint,
        governing_token_owner: key.pubkey(),
    };
    let payer = fx.env.payer.pubkey();
    expect_ok(
        fx.env
            .send(&[create_voter_weight_record_ix(payer, args)], &[]),
    );
    let record = voter_weight_record_pda(&realm, &fx.mint, &key.pubkey()).0;
    let revenue = fx.revenue_account(&key.pubkey());
    Owner {
        key,
        positions,
        record,
        revenue,
    }
}

/// An owner holding `TOTAL` in `n` positions, all locked for the longest cliff.
fn owner(fx: &mut Fx, n: u64, realm: Pubkey) -> Owner {
    owner_with(fx, &parts(n), MAX_LOCKUP, realm)
}

/// The owner's voting weight now: every position in the update itself, or tallied first in
/// chunks when there are more than `CHUNK`.
fn vote_weight(fx: &mut Fx, o: &Owner) -> u64 {
    let owner = o.key.pubkey();
    let update = if o.positions.len() <= CHUNK {
        update_voter_weight_record_ix(o.record, owner, &o.positions)
    } else {
        for chunk in o.positions.chunks(CHUNK) {
            expect_ok(
                fx.env
                    .send_fresh(&[tally_positions_ix(owner, chunk)], &[&o.key]),
            );
        }
        update_voter_weight_record_ix(o.record, owner, &[])
    };
    expect_ok(fx.env.send_fresh(&[update], &[]));
    fx.env
        .anchor_account::<VoterWeightRecord>(&o.record)
        .voter_weight
}

#[test_case(VotingMode::Linear ; "linear")]
#[test_case(VotingMode::Quadratic ; "quadratic")]
fn any_split_of_the_same_tokens_and_lock_votes_and_earns_the_same(mode: VotingMode) {
    let mut fx = Fx::with_mode(TokenProgram::SplToken, mode);
    let realm = REALM;
    let owners: Vec<Owner> = [1, 2, 7, 100]
        .into_iter()
        .map(|n| owner(&mut fx, n, realm))
        .collect();
    // The longest lock: 5x, 50,000 bps.
    let expected = |m: u128| match mode {
        VotingMode::Linear => u128::from(TOTAL) * m / 10_000,
        VotingMode::Quadratic => isqrt(u128::from(TOTAL) * m * m) / 10_000,
    };
    let weights: Vec<u64> = owners.iter().map(|o| vote_weight(&mut fx, o)).collect();
    let want = u64::try_from(expected(50_000)).unwrap();
    assert_eq!(weights, vec![want; 4]);
    assert_eq!(
        want,
        if mode == VotingMode::Linear {
            5_000_015
        } else {
            5_000
        }
    );
    // Every owner's revenue weight is the same sum.
    for o in &owners {
        let s = fx.staker_account(&o.key.pubkey());
        assert_eq!(s.weight, u128::from(TOTAL) * 50_000);
        assert_eq!(s.positions, u32::try_from(o.positions.len()).unwrap());
    }

    // Revenue: shared by linear lock weight in both modes, the same to the unit for each.
    fx.fund(1_000_000);
    for o in &owners {
        let key = o.key.insecure_clone();
        expect_ok(fx.claim(&key, o.revenue));
    }
    // 1,000,000 over four equal weights: 249,999 each (the accumulator floors; the dust stays
    // in the revenue vault for the next sync).
    let paid: Vec<u64> = owners.iter().map(|o| fx.balance(&o.revenue)).collect();
    assert_eq!(paid, vec![249_999; 4]);

    // Half the lock later (3x), still the same for each.
    fx.warp(MAX_LOCKUP / 2);
    let weights: Vec<u64> = owners.iter().map(|o| vote_weight(&mut fx, o)).collect();
    let want = u64::try_from(expected(30_000)).unwrap();
    assert_eq!(weights, vec![want; 4]);
}

/// The setup of the tally tests: an owner with 30 positions of 1,000 (1x, no lock).
fn thirty() -> (Fx, Owner) {
    let mut fx = Fx::new(TokenProgram::SplToken);
    let o = owner_with(&mut fx, &[1_000; 30], 0, REALM);
    (fx, o)
}

fn refused(fx: &mut Fx, ix: Instruction, signers: &[&Keypair], error: StakingError) {
    let r = fx.env.send_fresh(&[ix], signers);
    assert_custom_error(&r, 0, error.into());
}

#[test]
fn a_tally_must_be_complete_fresh_and_the_owners() {
    let (mut fx, o) = thirty();
    let owner = o.key.pubkey();
    let from_tally = update_voter_weight_record_ix(o.record, owner, &[]);
    // No tally yet, then a partial one.
    refused(
        &mut fx,
        from_tally.clone(),
        &[],
        StakingError::IncompleteTally,
    );
    let meta = expect_ok(
        fx.env
            .send(&[tally_positions_ix(owner, &o.positions[..10])], &[&o.key]),
    );
    let e = &cpi_events::<PositionsTallied>(&meta)[0];
    assert_eq!(
        (e.positions, e.counted, e.positions_total, e.restarted),
        (10, 10, 30, true)
    );
    refused(
        &mut fx,
        from_tally.clone(),
        &[],
        StakingError::IncompleteTally,
    );
    // Someone else cannot tally (or spoil) the owner's tally.
    let other = fx.env.funded_keypair();
    let mut ix = tally_positions_ix(other.pubkey(), &o.positions[10..]);
    ix.accounts[2].pubkey = staker_pda(&owner).0;
    refused(&mut fx, ix, &[&other], StakingError::WrongStaker);
    // A skipped position leaves the tally short for good: 0..10 then 11..30 is 29 of 30.
    expect_ok(
        fx.env
            .send(&[tally_positions_ix(owner, &o.positions[11..])], &[&o.key]),
    );
    refused(
        &mut fx,
        from_tally.clone(),
        &[],
        StakingError::IncompleteTally,
    );
    // Starting again from id 0 restarts it; then it completes.
    let meta = expect_ok(
        fx.env
            .send_fresh(&[tally_positions_ix(owner, &o.positions[..15])], &[&o.key]),
    );
    assert!(cpi_events::<PositionsTallied>(&meta)[0].restarted);
    expect_ok(
        fx.env
            .send_fresh(&[tally_positions_ix(owner, &o.positions[15..])], &[&o.key]),
    );
    expect_ok(fx.env.send_fresh(std::slice::from_ref(&from_tally), &[]));
    let r: VoterWeightRecord = fx.env.anchor_account(&o.record);
    assert_eq!(r.voter_weight, 30_000);
    // A tally older than the window is refused.
    fx.warp(u64::try_from(TALLY_WINDOW_SECS).unwrap() + 1);
    refused(&mut fx, from_tally, &[], StakingError::IncompleteTally);
    // Positions of another owner are refused in a tally.
    let (stranger, source) = fx.staker(1_000);
    let foreign = fx.stake(&stranger, source, 99, LockupKind::Cliff, 0, 1_000);
    let ix = tally_positions_ix(owner, &[o.positions[0], foreign]);
    refused(&mut fx, ix, &[&o.key], StakingError::WrongPosition);
}
