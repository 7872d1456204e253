//! `staking` slashing: a slash signed by the rewards program's oracle quorum, its appeal window,
//! governance overturning it, its permissionless execution (a burn), and the refusals.

use super::fixture::*;
use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, AccountSerialize, Discriminator, Space};
use harness::builders::staking_ix::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use rewards::state::{OracleSeat, OracleSet};
use staking::error::StakingError;
use staking::events::{SlashApproved, SlashExecuted, SlashOverturned, SlashProposed};
use staking::math::slash::SlashMessage;
use staking::state::{LockupKind, OracleSetView, PendingSlash, SlashApproval};
use test_case::test_case;

const SET_VERSION: u32 = 4;
const EVIDENCE: [u8; 32] = [0xEE; 32];
/// Another offence's evidence.
const OTHER: [u8; 32] = [0xDD; 32];
/// LiteSVM's fee per signature (the transaction's and each ed25519 precompile signature).
const FEE_PER_SIGNATURE: u64 = 5_000;

fn oracle_set(keys: &[Pubkey], threshold: u8, slashed: u16) -> OracleSet {
    let mut seats = [OracleSeat::default(); 16];
    for (seat, key) in seats.iter_mut().zip(keys) {
        seat.key = *key;
        seat.last_vote = 9;
    }
    OracleSet {
        version: 1,
        bump: rewards_oracle_set_pda().1,
        threshold,
        count: u8::try_from(keys.len()).unwrap(),
        set_version: SET_VERSION,
        bond: 1_000_000,
        challenger_bps: 1_000,
        rotated_at: 77,
        slashed,
        seats,
        last_rounds: [3; 16],
        posted_until: 5,
        retired_until: 6,
        reserved: [0; 48],
    }
}

fn set_bytes(set: &OracleSet) -> Vec<u8> {
    let mut data = Vec::new();
    set.try_serialize(&mut data).unwrap();
    data.resize(OracleSet::SIZE, 0);
    data
}

/// Writes `set` where the rewards program keeps its oracle set, owned by `owner`.
fn install(fx: &mut Fx, at: Pubkey, owner: Pubkey, set: &OracleSet) {
    let data = set_bytes(set);
    let account = solana_account::Account {
        lamports: fx.env.rent_exempt(data.len()),
        data,
        owner,
        executable: false,
        rent_epoch: 0,
    };
    fx.env.svm.set_account(at, account).unwrap();
}

struct Slashing {
    fx: Fx,
    oracles: Vec<Keypair>,
    owner: Keypair,
    source: Pubkey,
    position: Pubkey,
    /// The deployment's slash domain (`StakingConfig::slash_domain`).
    domain: [u8; 32],
}

/// A staker with 10,000 tokens: 6,000 locked, 4,000 cooling; three oracles, threshold 2.
fn setup(tp: TokenProgram) -> Slashing {
    let mut fx = Fx::new(tp);
    let oracles: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let keys: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
    install(
        &mut fx,
        rewards_oracle_set_pda().0,
        rewards::ID,
        &oracle_set(&keys, 2, 0),
    );
    let (owner, source) = fx.staker(10_000);
    let position = fx.stake(&owner, source, 1, LockupKind::Cliff, 0, 10_000);
    expect_ok(
        fx.env
            .send(&[fx.unstake(owner.pubkey(), position, 4_000)], &[&owner]),
    );
    let domain = fx.config().slash_domain;
    Slashing {
        fx,
        oracles,
        owner,
        source,
        position,
        domain,
    }
}

fn message(
    domain: [u8; 32],
    position: Pubkey,
    evidence: [u8; 32],
    amount_bps: u16,
    nonce: u64,
) -> Vec<u8> {
    SlashMessage {
        domain,
        position: position.to_bytes(),
        amount_bps,
        evidence_hash: evidence,
        set_version: SET_VERSION,
        slash_nonce: nonce,
    }
    .to_bytes()
    .to_vec()
}

fn signed(signer: &Keypair, message: &[u8]) -> Instruction {
    let signature = signer.sign_message(message);
    ed25519_instruction(&signer.pubkey().to_bytes(), signature.as_array(), message)
}

impl Slashing {
    /// `[ed25519 by each signer over message(bps, nonce)..., propose_slash(bps)]` for
    /// [`EVIDENCE`].
    fn propose_ixs(&self, signers: &[&Keypair], bps: u16, nonce: u64) -> Vec<Instruction> {
        self.propose_evidence(EVIDENCE, signers, bps, nonce)
    }

    /// The same, for `evidence`.
    fn propose_evidence(
        &self,
        evidence: [u8; 32],
        signers: &[&Keypair],
        bps: u16,
        nonce: u64,
    ) -> Vec<Instruction> {
        self.propose_in(self.domain, evidence, signers, bps, nonce)
    }

    /// The same, signed for the deployment whose slash domain is `domain`.
    fn propose_in(
        &self,
        domain: [u8; 32],
        evidence: [u8; 32],
        signers: &[&Keypair],
        bps: u16,
        nonce: u64,
    ) -> Vec<Instruction> {
        let msg = message(domain, self.position, evidence, bps, nonce);
        let mut ixs: Vec<Instruction> = signers.iter().map(|s| signed(s, &msg)).collect();
        ixs.push(propose_slash(
            propose_slash_accounts(self.fx.env.payer.pubkey(), self.position, &evidence),
            ProposeSlashArgs {
                amount_bps: bps,
                evidence_hash: evidence,
            },
        ));
        ixs
    }

    /// `[ed25519 by each signer over message(bps, nonce)..., approve_slash(bps)]` for
    /// `evidence`.
    fn approve_ixs(
        &self,
        evidence: [u8; 32],
        signers: &[&Keypair],
        bps: u16,
        nonce: u64,
    ) -> Vec<Instruction> {
        let msg = message(self.domain, self.position, evidence, bps, nonce);
        let args = ProposeSlashArgs {
            amount_bps: bps,
            evidence_hash: evidence,
        };
        let mut ixs: Vec<Instruction> = signers.iter().map(|s| signed(s, &msg)).collect();
        let accounts = approve_slash_accounts(self.fx.env.payer.pubkey(), self.position, &args);
        ixs.push(approve_slash(accounts, args));
        ixs
    }

    /// [`Self::propose_evidence`], counting the approvals recorded for (`evidence`,
    /// `recorded_bps`).
    fn propose_recorded(
        &self,
        evidence: [u8; 32],
        signers: &[&Keypair],
        (bps, recorded_bps): (u16, u16),
        nonce: u64,
    ) -> Vec<Instruction> {
        let mut ixs = self.propose_evidence(evidence, signers, bps, nonce);
        let mut accounts =
            propose_slash_accounts(self.fx.env.payer.pubkey(), self.position, &evidence);
        accounts.approval = Some(self.approval_key(evidence, recorded_bps));
        let last = ixs.len() - 1;
        ixs[last] = propose_slash(
            accounts,
            ProposeSlashArgs {
                amount_bps: bps,
                evidence_hash: evidence,
            },
        );
        ixs
    }

    fn approval_key(&self, evidence: [u8; 32], bps: u16) -> Pubkey {
        slash_approval_pda(&self.position, &evidence, bps).0
    }

    fn approval(&self, evidence: [u8; 32], bps: u16) -> SlashApproval {
        self.fx
            .env
            .anchor_account(&self.approval_key(evidence, bps))
    }

    fn withdraw_ix(&self, amount: u64) -> Instruction {
        withdraw(
            withdraw_accounts(
                self.owner.pubkey(),
                self.position,
                self.fx.mint,
                self.source,
                self.fx.tp,
                REALM,
            ),
            amount,
        )
    }
}

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn full_flow_burns_the_bounded_fraction_after_the_appeal_window(tp: TokenProgram) {
    let mut s = setup(tp);
    let (o0, o2) = (s.oracles[0].insecure_clone(), s.oracles[2].insecure_clone());
    let ixs = s.propose_ixs(&[&o0, &o2], 2_500, 0);
    let meta = expect_ok(s.fx.env.send(&ixs, &[]));
    let now = s.fx.env.now();
    let p = s.fx.position(&s.position);
    assert_eq!(
        p.pending_slash,
        Some(PendingSlash {
            amount_bps: 2_500,
            amount: 2_500,
            evidence_hash: EVIDENCE,
            set_version: SET_VERSION,
            proposed_at: now,
            appeal_ends: now + APPEAL as i64,
        })
    );
    assert_eq!(p.slash_nonce, 1);
    let e: Vec<SlashProposed> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].amount,
            e[0].tokens,
            e[0].slash_nonce,
            e[0].signers.clone()
        ),
        (2_500, 10_000, 0, vec![o0.pubkey(), o2.pubkey()])
    );

    // Not executable during the appeal window.
    let exec = execute_slash_ix(s.owner.pubkey(), s.position, s.fx.mint, tp);
    let r = s.fx.env.send(std::slice::from_ref(&exec), &[]);
    assert_custom_error(&r, 0, code(StakingError::AppealWindowOpen));
    s.fx.warp(APPEAL - 1);
    let r = s.fx.env.send(std::slice::from_ref(&exec), &[]);
    assert_custom_error(&r, 0, code(StakingError::AppealWindowOpen));

    // Nothing can leave ahead of the pending slash, even past the cooldown (and until someone
    // executes it).
    s.fx.warp(COOLDOWN);
    let ix = s.withdraw_ix(4_000);
    let r = s.fx.env.send(&[ix], &[&s.owner]);
    assert_custom_error(&r, 0, code(StakingError::SlashPending));
    let r = s.fx.env.send(
        &[s.fx.unstake(s.owner.pubkey(), s.position, 1)],
        &[&s.owner],
    );
    assert_custom_error(&r, 0, code(StakingError::SlashPending));
    let r = s.fx.env.send(
        &[start_unlock_ix(s.owner.pubkey(), s.position)],
        &[&s.owner],
    );
    assert_custom_error(&r, 0, code(StakingError::SlashPending));
    // A second proposal while one is pending is refused.
    let o1 = s.oracles[1].insecure_clone();
    let ixs = s.propose_ixs(&[&o0, &o1], 100, 1);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::SlashPending),
    );

    // Executing and withdrawing in one transaction, the owner's way past the position's next
    // offence: the cooldown restarts at the slash, so the withdrawal is refused and nothing
    // happens.
    let r =
        s.fx.env
            .send(&[exec.clone(), s.withdraw_ix(1_500)], &[&s.owner]);
    assert_custom_error(&r, 1, code(StakingError::CooldownNotOver));
    assert!(s.fx.position(&s.position).pending_slash.is_some());

    let supply = s.fx.supply();
    let meta = expect_ok(s.fx.env.send(std::slice::from_ref(&exec), &[]));
    let restarted = s.fx.env.now() + i64::try_from(COOLDOWN).unwrap();
    let p = s.fx.position(&s.position);
    assert_eq!(p.cooldown_end, restarted);
    assert_eq!(
        (p.amount, p.cooling, p.slashed, p.deposited, p.pending_slash),
        (6_000, 1_500, 2_500, 10_000, None)
    );
    assert_eq!(p.weight, 6_000 * W);
    assert_eq!(s.fx.supply(), supply - 2_500);
    assert_eq!(s.fx.balance(&vault_pda().0), 7_500);
    let c = s.fx.config();
    assert_eq!(
        (c.total_locked, c.total_slashed, c.total_weight),
        (7_500, 2_500, 6_000 * W)
    );
    let e: Vec<SlashExecuted> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].amount,
            e[0].from_cooling,
            e[0].from_locked,
            e[0].amount_after,
            e[0].cooling_after,
            e[0].cooldown_end
        ),
        (2_500, 2_500, 0, 6_000, 1_500, restarted)
    );
    // Replays: executing again, re-submitting the same signatures (the offence's record exists),
    // or the same offence with fresh signatures at the next nonce, are refused.
    let r = s.fx.env.send_fresh(&[exec], &[]);
    assert_custom_error(&r, 0, code(StakingError::NoPendingSlash));
    let ixs = s.propose_ixs(&[&o0, &o2], 2_500, 0);
    assert_custom_error(
        &s.fx.env.send_fresh(&ixs, &[]),
        2,
        code(StakingError::SlashAlreadyProposed),
    );
    let ixs = s.propose_ixs(&[&o0, &o2], 2_500, 1);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::SlashAlreadyProposed),
    );
    // Old signatures over another offence's message are void: the nonce moved on.
    let ixs = s.propose_evidence(OTHER, &[&o0, &o2], 2_500, 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::NotEnoughOracleSignatures),
    );
    // What is left withdraws after its restarted cooldown.
    s.fx.warp(COOLDOWN - 1);
    let r = s.fx.env.send(&[s.withdraw_ix(1_500)], &[&s.owner]);
    assert_custom_error(&r, 0, code(StakingError::CooldownNotOver));
    s.fx.warp(1);
    let ix = s.withdraw_ix(1_500);
    expect_ok(s.fx.env.send(&[ix], &[&s.owner]));
    assert_eq!(s.fx.balance(&s.source), 1_500);
}

#[test]
fn governance_overturns_during_the_appeal_window_only() {
    let mut s = setup(TokenProgram::SplToken);
    let (o0, o1) = (s.oracles[0].insecure_clone(), s.oracles[1].insecure_clone());
    let governance = s.fx.governance.insecure_clone();
    let ixs = s.propose_ixs(&[&o0, &o1], 5_000, 0);
    expect_ok(s.fx.env.send(&ixs, &[]));
    // A wrong signer.
    let impostor = s.fx.env.funded_keypair();
    let r = s.fx.env.send(
        &[overturn_slash_ix(impostor.pubkey(), s.position)],
        &[&impostor],
    );
    assert_custom_error(&r, 0, code(StakingError::NotAuthority));
    let meta = expect_ok(s.fx.env.send(
        &[overturn_slash_ix(governance.pubkey(), s.position)],
        &[&governance],
    ));
    let e: Vec<SlashOverturned> = cpi_events(&meta);
    assert_eq!((e[0].amount, e[0].authority), (5_000, governance.pubkey()));
    let p = s.fx.position(&s.position);
    assert_eq!(
        (p.pending_slash, p.slash_nonce, p.amount, p.cooling),
        (None, 1, 6_000, 4_000)
    );
    // Replays: overturning again, re-submitting the same approval, or the overturned offence
    // again with a fresh quorum at the next nonce (the double slash): refused.
    let r = s.fx.env.send_fresh(
        &[overturn_slash_ix(governance.pubkey(), s.position)],
        &[&governance],
    );
    assert_custom_error(&r, 0, code(StakingError::NoPendingSlash));
    let ixs = s.propose_ixs(&[&o0, &o1], 5_000, 0);
    assert_custom_error(
        &s.fx.env.send_fresh(&ixs, &[]),
        2,
        code(StakingError::SlashAlreadyProposed),
    );
    let ixs = s.propose_ixs(&[&o0, &o1], 5_000, 1);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::SlashAlreadyProposed),
    );
    let record =
        s.fx.env
            .account(&slash_record_pda(&s.position, &EVIDENCE).0);
    assert_eq!(
        staking::state::SlashRecord::try_deserialize(&mut record.unwrap().data.as_slice()).unwrap(),
        staking::state::SlashRecord {
            bump: slash_record_pda(&s.position, &EVIDENCE).1,
            position: s.position,
            evidence_hash: EVIDENCE,
            slash_nonce: 0,
            amount_bps: 5_000,
            proposed_at: s.fx.env.now(),
        }
    );
    // The owner may withdraw after the cooldown.
    s.fx.warp(COOLDOWN);
    let ix = s.withdraw_ix(4_000);
    expect_ok(s.fx.env.send(&[ix], &[&s.owner]));
    // Another offence (nonce 1), in one ed25519 instruction sharing the message, past its
    // appeal window can no longer be overturned.
    let msg = message(s.domain, s.position, OTHER, 1_000, 1);
    let sigs: Vec<([u8; 32], [u8; 64])> = [&o0, &o1]
        .iter()
        .map(|k| (k.pubkey().to_bytes(), *k.sign_message(&msg).as_array()))
        .collect();
    let ixs = vec![
        harness::builders::ed25519::shared_message_ix(&sigs, &msg),
        propose_slash(
            propose_slash_accounts(s.fx.env.payer.pubkey(), s.position, &OTHER),
            ProposeSlashArgs {
                amount_bps: 1_000,
                evidence_hash: OTHER,
            },
        ),
    ];
    expect_ok(s.fx.env.send(&ixs, &[]));
    s.fx.warp(APPEAL);
    let r = s.fx.env.send(
        &[overturn_slash_ix(governance.pubkey(), s.position)],
        &[&governance],
    );
    assert_custom_error(&r, 0, code(StakingError::AppealWindowClosed));
    // 10% of the 6,000 left.
    expect_ok(s.fx.env.send(
        &[execute_slash_ix(
            s.owner.pubkey(),
            s.position,
            s.fx.mint,
            s.fx.tp,
        )],
        &[],
    ));
    assert_eq!(s.fx.position(&s.position).amount, 5_400);
}

#[test]
fn proposals_without_a_quorum_or_out_of_bounds_are_refused() {
    let mut s = setup(TokenProgram::SplToken);
    let (o0, o1, o2) = (
        s.oracles[0].insecure_clone(),
        s.oracles[1].insecure_clone(),
        s.oracles[2].insecure_clone(),
    );
    let outsider = Keypair::new();
    // One signature.
    let ixs = s.propose_ixs(&[&o0], 1_000, 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        1,
        code(StakingError::NotEnoughOracleSignatures),
    );
    // The same oracle twice.
    let ixs = s.propose_ixs(&[&o0, &o0], 1_000, 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::NotEnoughOracleSignatures),
    );
    // A non-member.
    let ixs = s.propose_ixs(&[&o0, &outsider], 1_000, 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::NotEnoughOracleSignatures),
    );
    // Signatures over another fraction.
    let mut ixs = s.propose_ixs(&[&o0, &o1], 999, 0);
    let last = ixs.len() - 1;
    ixs[last] = s.propose_ixs(&[], 1_000, 0).pop().unwrap();
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::NotEnoughOracleSignatures),
    );
    // Signatures for another deployment (another cluster's domain, or v1's program id): an
    // approval cannot be replayed across clusters.
    for domain in [[0x5a; 32], staking::ID.to_bytes()] {
        let ixs = s.propose_in(domain, EVIDENCE, &[&o0, &o1], 1_000, 0);
        assert_custom_error(
            &s.fx.env.send(&ixs, &[]),
            2,
            code(StakingError::NotEnoughOracleSignatures),
        );
    }
    // Signatures under a future nonce.
    let ixs = s.propose_ixs(&[&o0, &o1], 1_000, 1);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::NotEnoughOracleSignatures),
    );
    // Out of bounds: zero, and above the config's maximum (overflowing the bound).
    let ixs = s.propose_ixs(&[&o0, &o1], 0, 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::InvalidSlashBps),
    );
    let ixs = s.propose_ixs(&[&o0, &o1], MAX_SLASH_BPS + 1, 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::InvalidSlashBps),
    );
    let ixs = s.propose_ixs(&[&o0, &o1], u16::MAX, 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::InvalidSlashBps),
    );
    // A seat slashed by the rewards program's fraud proof does not count.
    let keys: Vec<Pubkey> = s.oracles.iter().map(|k| k.pubkey()).collect();
    install(
        &mut s.fx,
        rewards_oracle_set_pda().0,
        rewards::ID,
        &oracle_set(&keys, 2, 0b010),
    );
    let ixs = s.propose_ixs(&[&o0, &o1], 1_000, 0);
    assert_custom_error(
        &s.fx.env.send_fresh(&ixs, &[]),
        2,
        code(StakingError::NotEnoughOracleSignatures),
    );
    let ixs = s.propose_ixs(&[&o0, &o2], 1_000, 0);
    expect_ok(s.fx.env.send(&ixs, &[]));
    assert_eq!(
        s.fx.position(&s.position).pending_slash.unwrap().amount,
        1_000
    );
}

#[test]
fn a_substituted_oracle_set_is_refused() {
    let mut s = setup(TokenProgram::SplToken);
    let (o0, o1) = (s.oracles[0].insecure_clone(), s.oracles[1].insecure_clone());
    let keys: Vec<Pubkey> = s.oracles.iter().map(|k| k.pubkey()).collect();
    let set = oracle_set(&keys, 2, 0);
    // The same bytes owned by another program.
    let fake = Pubkey::new_unique();
    install(&mut s.fx, fake, staking::ID, &set);
    let mut ixs = s.propose_ixs(&[&o0, &o1], 1_000, 0);
    let last = ixs.len() - 1;
    let mut a = propose_slash_accounts(s.fx.env.payer.pubkey(), s.position, &EVIDENCE);
    a.oracle_set = fake;
    ixs[last] = propose_slash(
        a,
        ProposeSlashArgs {
            amount_bps: 1_000,
            evidence_hash: EVIDENCE,
        },
    );
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::WrongOracleSet),
    );
    // Owned by the rewards program, but not at its oracle set address.
    install(&mut s.fx, fake, rewards::ID, &set);
    assert_custom_error(
        &s.fx.env.send_fresh(&ixs, &[]),
        2,
        code(StakingError::WrongOracleSet),
    );
    // At the right address but not an OracleSet (wrong discriminator).
    let mut bytes = set_bytes(&set);
    bytes[0] ^= 1;
    let account = solana_account::Account {
        lamports: s.fx.env.rent_exempt(bytes.len()),
        data: bytes,
        owner: rewards::ID,
        executable: false,
        rent_epoch: 0,
    };
    s.fx.env
        .svm
        .set_account(rewards_oracle_set_pda().0, account)
        .unwrap();
    let ixs = s.propose_ixs(&[&o0, &o1], 1_000, 0);
    assert_custom_error(
        &s.fx.env.send_fresh(&ixs, &[]),
        2,
        code(StakingError::WrongOracleSet),
    );
    assert_eq!(s.fx.position(&s.position).pending_slash, None);
}

/// Staking parses the rewards program's `OracleSet` from its bytes: the layout, discriminator
/// and program id it assumes are the rewards crate's.
#[test]
fn oracle_set_layout_matches_the_rewards_crate() {
    assert_eq!(staking::constants::REWARDS_PROGRAM_ID, rewards::ID);
    assert_eq!(
        staking::state::ORACLE_SET_DISCRIMINATOR.as_slice(),
        OracleSet::DISCRIMINATOR
    );
    assert_eq!(
        staking::state::MAX_ORACLE_SEATS,
        rewards::constants::MAX_ORACLES
    );
    let keys: Vec<Pubkey> = (0..16).map(|_| Pubkey::new_unique()).collect();
    let set = oracle_set(&keys, 9, 0b1000_0000_0000_0001);
    let view = OracleSetView::parse(&set_bytes(&set)).unwrap();
    assert_eq!(view.threshold, 9);
    assert_eq!(view.set_version, SET_VERSION);
    assert_eq!(view.slashed, 0b1000_0000_0000_0001);
    assert_eq!(
        view.keys,
        keys.iter().map(|k| k.to_bytes()).collect::<Vec<_>>()
    );
    assert_eq!(view.voting_seat(&keys[0].to_bytes()), None);
    assert_eq!(view.voting_seat(&keys[1].to_bytes()), Some(1));
    assert_eq!(view.voting_seat(&keys[15].to_bytes()), None);
}

/// Eight oracles with a threshold of 7: more signatures than one transaction carries.
fn large_quorum(s: &mut Slashing) -> Vec<Keypair> {
    let oracles: Vec<Keypair> = (0..8).map(|_| Keypair::new()).collect();
    let keys: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
    install(
        &mut s.fx,
        rewards_oracle_set_pda().0,
        rewards::ID,
        &oracle_set(&keys, 7, 0),
    );
    oracles
}

/// A quorum of 7 is gathered over transactions: `approve_slash` records approvals (new seats
/// only, so a replay adds nothing), `propose_slash` counts them with its own and closes the
/// record, and approvals of another amount or from outside the set never count.
#[test]
fn a_quorum_too_large_for_one_transaction_is_gathered_by_approve_slash() {
    let mut s = setup(TokenProgram::SplToken);
    let o = large_quorum(&mut s);
    let r: Vec<&Keypair> = o.iter().collect();
    let meta = expect_ok(
        s.fx.env
            .send(&s.approve_ixs(EVIDENCE, &r[..5], 2_500, 0), &[]),
    );
    let key = s.approval_key(EVIDENCE, 2_500);
    let rent = s.fx.env.lamports(&key);
    assert_eq!(rent, s.fx.env.rent_exempt(8 + SlashApproval::INIT_SPACE));
    assert_eq!(
        s.approval(EVIDENCE, 2_500),
        SlashApproval {
            bump: slash_approval_pda(&s.position, &EVIDENCE, 2_500).1,
            position: s.position,
            evidence_hash: EVIDENCE,
            amount_bps: 2_500,
            set_version: SET_VERSION,
            slash_nonce: 0,
            approvals: 0b1_1111,
        }
    );
    let e: Vec<SlashApproved> = cpi_events(&meta);
    assert_eq!(
        (
            e[0].added.clone(),
            e[0].seats,
            e[0].threshold,
            e[0].slash_nonce
        ),
        (r[..5].iter().map(|k| k.pubkey()).collect(), 0b1_1111, 7, 0)
    );
    // A replay, or signatures of seats already recorded, add nothing and are refused.
    let replay = s.approve_ixs(EVIDENCE, &r[..5], 2_500, 0);
    assert_custom_error(
        &s.fx.env.send_fresh(&replay, &[]),
        5,
        code(StakingError::NoNewSlashApproval),
    );
    // Outsiders and signatures over another amount add nothing either.
    let outsider = Keypair::new();
    let ixs = s.approve_ixs(EVIDENCE, &[&outsider], 2_500, 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        1,
        code(StakingError::NoNewSlashApproval),
    );
    let mut ixs = s.approve_ixs(EVIDENCE, &[r[5]], 2_400, 0);
    ixs[1] = s.approve_ixs(EVIDENCE, &[], 2_500, 0).pop().unwrap();
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        1,
        code(StakingError::NoNewSlashApproval),
    );
    // Out of bounds.
    let ixs = s.approve_ixs(EVIDENCE, &[r[5]], MAX_SLASH_BPS + 1, 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        1,
        code(StakingError::InvalidSlashBps),
    );
    // Six of seven: not enough.
    let ixs = s.propose_recorded(EVIDENCE, &[r[5]], (2_500, 2_500), 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        1,
        code(StakingError::NotEnoughOracleSignatures),
    );
    // Approvals recorded for another amount are another account: substituting them is refused.
    expect_ok(
        s.fx.env
            .send(&s.approve_ixs(EVIDENCE, &r[..5], 1_000, 0), &[]),
    );
    let ixs = s.propose_recorded(EVIDENCE, &[r[5], r[6]], (2_500, 1_000), 0);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        anchor_lang::error::ErrorCode::ConstraintSeeds.into(),
    );
    // Seven: proposed; the record is closed and its rent goes to the proposer.
    let payer = s.fx.env.payer.pubkey();
    let before = s.fx.env.lamports(&payer);
    let ixs = s.propose_recorded(EVIDENCE, &[r[5], r[6]], (2_500, 2_500), 0);
    let meta = expect_ok(s.fx.env.send(&ixs, &[]));
    let record =
        s.fx.env
            .rent_exempt(8 + staking::state::SlashRecord::INIT_SPACE);
    assert_eq!(
        s.fx.env.lamports(&payer),
        before + rent - record - FEE_PER_SIGNATURE * 3
    );
    assert_eq!(s.fx.env.account(&key), None);
    let e: Vec<SlashProposed> = cpi_events(&meta);
    assert_eq!(
        (e[0].amount, e[0].signers.clone()),
        (2_500, r[..7].iter().map(|k| k.pubkey()).collect::<Vec<_>>())
    );
    assert_eq!(
        s.fx.position(&s.position).pending_slash.unwrap().amount,
        2_500
    );
    // The offence is done: approving it again at the next nonce does not make it proposable.
    let ixs = s.propose_recorded(EVIDENCE, &[], (1_000, 1_000), 1);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        0,
        code(StakingError::SlashPending),
    );
}

/// Recorded approvals count only for the message the chain expects now: after another slash of
/// the position (the nonce moves on), a rotation (the set version moves on) or a fraud-proof
/// slash of a seat, they are dropped, and `approve_slash` starts over.
#[test]
fn recorded_approvals_lapse_with_the_nonce_the_set_version_and_slashed_seats() {
    let mut s = setup(TokenProgram::SplToken);
    let o = large_quorum(&mut s);
    let r: Vec<&Keypair> = o.iter().collect();
    expect_ok(s.fx.env.send(&s.approve_ixs(OTHER, &r[..5], 1_000, 0), &[]));
    // Another offence is proposed and overturned: the nonce is 1 now.
    expect_ok(
        s.fx.env
            .send(&s.approve_ixs(EVIDENCE, &r[..5], 2_500, 0), &[]),
    );
    expect_ok(s.fx.env.send(
        &s.propose_recorded(EVIDENCE, &[r[5], r[6]], (2_500, 2_500), 0),
        &[],
    ));
    let governance = s.fx.governance.insecure_clone();
    let overturn = overturn_slash_ix(governance.pubkey(), s.position);
    expect_ok(s.fx.env.send(&[overturn], &[&governance]));
    // OTHER's five approvals were signed at nonce 0: two fresh signatures are not seven.
    let ixs = s.propose_recorded(OTHER, &[r[5], r[6]], (1_000, 1_000), 1);
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        2,
        code(StakingError::NotEnoughOracleSignatures),
    );
    // Approving at nonce 1 starts over.
    let meta = expect_ok(s.fx.env.send(&s.approve_ixs(OTHER, &r[..2], 1_000, 1), &[]));
    let a = s.approval(OTHER, 1_000);
    assert_eq!((a.approvals, a.slash_nonce), (0b11, 1));
    assert_eq!(cpi_events::<SlashApproved>(&meta)[0].seats, 0b11);
    // A rotation voids them too.
    let keys: Vec<Pubkey> = o.iter().map(|k| k.pubkey()).collect();
    let mut rotated = oracle_set(&keys, 7, 0);
    rotated.set_version = SET_VERSION + 1;
    install(&mut s.fx, rewards_oracle_set_pda().0, rewards::ID, &rotated);
    let msg = SlashMessage {
        domain: s.domain,
        position: s.position.to_bytes(),
        amount_bps: 1_000,
        evidence_hash: OTHER,
        set_version: SET_VERSION + 1,
        slash_nonce: 1,
    }
    .to_bytes();
    let mut ixs: Vec<Instruction> = r[2..7].iter().map(|k| signed(k, &msg)).collect();
    ixs.extend(s.propose_recorded(OTHER, &[], (1_000, 1_000), 1));
    assert_custom_error(
        &s.fx.env.send(&ixs, &[]),
        5,
        code(StakingError::NotEnoughOracleSignatures),
    );
    // Back at the recorded version, a seat slashed by a fraud proof since it approved does not
    // count: seats 0 to 4 recorded, 5 and 6 here, seat 0 slashed = 6 of 7.
    install(
        &mut s.fx,
        rewards_oracle_set_pda().0,
        rewards::ID,
        &oracle_set(&keys, 7, 0b1),
    );
    expect_ok(
        s.fx.env
            .send(&s.approve_ixs(OTHER, &r[2..5], 1_000, 1), &[]),
    );
    // The slashed seat is dropped from the record as it is rewritten.
    assert_eq!(s.approval(OTHER, 1_000).approvals, 0b1_1110);
    let ixs = s.propose_recorded(OTHER, &r[5..7], (1_000, 1_000), 1);
    assert_custom_error(
        &s.fx.env.send_fresh(&ixs, &[]),
        2,
        code(StakingError::NotEnoughOracleSignatures),
    );
    let ixs = s.propose_recorded(OTHER, &r[5..8], (1_000, 1_000), 1);
    expect_ok(s.fx.env.send(&ixs, &[]));
    assert_eq!(
        s.fx.position(&s.position).pending_slash.unwrap().amount,
        1_000
    );
}

/// A finding against a position with nothing left to slash is recorded as done (nothing
/// pending), so the position's later findings are not held behind it.
#[test]
fn a_slash_of_nothing_records_the_offence_and_lets_the_next_follow() {
    let mut s = setup(TokenProgram::SplToken);
    let (o0, o1) = (s.oracles[0].insecure_clone(), s.oracles[1].insecure_clone());
    // Everything leaves: the 6,000 locked unstake, and all 10,000 withdraw after the cooldown.
    expect_ok(s.fx.env.send(
        &[s.fx.unstake(s.owner.pubkey(), s.position, 6_000)],
        &[&s.owner],
    ));
    s.fx.warp(COOLDOWN);
    let ix = s.withdraw_ix(10_000);
    expect_ok(s.fx.env.send(&[ix], &[&s.owner]));
    let meta = expect_ok(s.fx.env.send(&s.propose_ixs(&[&o0, &o1], 1_000, 0), &[]));
    let now = s.fx.env.now();
    let p = s.fx.position(&s.position);
    assert_eq!((p.pending_slash, p.slash_nonce, p.slashed), (None, 1, 0));
    let e: Vec<SlashProposed> = cpi_events(&meta);
    assert_eq!(
        (e[0].amount, e[0].tokens, e[0].appeal_ends, e[0].slash_nonce),
        (0, 0, now, 0)
    );
    let record: staking::state::SlashRecord =
        s.fx.env
            .anchor_account(&slash_record_pda(&s.position, &EVIDENCE).0);
    assert_eq!((record.slash_nonce, record.proposed_at), (0, now));
    // Nothing to execute; the offence is done; the next finding follows at nonce 1.
    let exec = execute_slash_ix(
        s.owner.pubkey(),
        s.position,
        s.fx.mint,
        TokenProgram::SplToken,
    );
    assert_custom_error(
        &s.fx.env.send(&[exec], &[]),
        0,
        code(StakingError::NoPendingSlash),
    );
    assert_custom_error(
        &s.fx.env.send(&s.propose_ixs(&[&o0, &o1], 1_000, 1), &[]),
        2,
        code(StakingError::SlashAlreadyProposed),
    );
    expect_ok(
        s.fx.env
            .send(&s.propose_evidence(OTHER, &[&o0, &o1], 1_000, 1), &[]),
    );
    assert_eq!(s.fx.position(&s.position).slash_nonce, 2);
}

/// Nothing can leave while a slash is pending, so an overturn resumes the cooling tokens'
/// cooldown where it stood: the owner cannot withdraw the moment the slash is overturned, ahead
/// of the position's next finding.
#[test]
fn an_overturn_resumes_the_cooldown_where_it_stood() {
    let mut s = setup(TokenProgram::SplToken);
    let (o0, o1) = (s.oracles[0].insecure_clone(), s.oracles[1].insecure_clone());
    let governance = s.fx.governance.insecure_clone();
    let cooldown_end = s.fx.position(&s.position).cooldown_end;
    expect_ok(s.fx.env.send(&s.propose_ixs(&[&o0, &o1], 1_000, 0), &[]));
    let proposed_at = s.fx.env.now();
    s.fx.warp(APPEAL - 1);
    let meta = expect_ok(s.fx.env.send(
        &[overturn_slash_ix(governance.pubkey(), s.position)],
        &[&governance],
    ));
    let resumed = cooldown_end + (s.fx.env.now() - proposed_at);
    assert_eq!(resumed, cooldown_end + i64::try_from(APPEAL - 1).unwrap());
    assert_eq!(s.fx.position(&s.position).cooldown_end, resumed);
    assert_eq!(
        cpi_events::<SlashOverturned>(&meta)[0].cooldown_end,
        resumed
    );
    // At the old end, nothing leaves; at the resumed end, it does.
    s.fx.env
        .warp_to_timestamp(cooldown_end.max(s.fx.env.now()) + 1);
    let r = s.fx.env.send(&[s.withdraw_ix(4_000)], &[&s.owner]);
    assert_custom_error(&r, 0, code(StakingError::CooldownNotOver));
    s.fx.env.warp_to_timestamp(resumed);
    expect_ok(s.fx.env.send_fresh(&[s.withdraw_ix(4_000)], &[&s.owner]));
    assert_eq!(s.fx.balance(&s.source), 4_000);
}
