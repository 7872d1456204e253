//! Issue 23, items 3 and 5: the real spl-governance 4.0.0, built from the crate registry with
//! the project's SBF chain, runs in LiteSVM with the staking program as its community
//! voter-weight addin; stakers vote with their staked weight, a passed proposal changes a
//! staking parameter through the staking timelock, and tokens that voted cannot leave until the
//! vote is relinquished.

use super::fixture::*;
use anchor_lang::prelude::Pubkey;
use harness::builders::staking_ix::*;
use harness::governance::error as governance_error;
use harness::governance::*;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::*;
use litesvm::types::TransactionResult;
use staking::error::StakingError;
use staking::state::{LockupKind, PendingChange, StakingUpdate, VotingMode};
use test_case::test_case;

#[test]
fn a_realm_takes_the_staking_program_as_its_voter_weight_addin() {
    let mut env = TestEnv::with_programs(&[STAKING, SPL_GOVERNANCE]);
    let authority = env.funded_keypair();
    let mint = create_mint(&mut env, TokenProgram::SplToken, &authority.pubkey(), 6);
    let payer = env.payer.pubkey();
    let args = RealmArgs {
        name: "depin",
        community_mint: mint,
        voter_weight_addin: Some(staking::ID),
        min_weight_to_create_governance: 1_000_000,
        max_voter_weight: MaxVoterWeight::SupplyFraction(10_000_000_000),
    };
    let ix = create_realm_ix(payer, authority.pubkey(), &args);
    expect_ok(env.send(&[ix], &[]));
    let realm = env.account(&realm_pda("depin")).expect("the realm");
    assert_eq!(realm.owner, GOVERNANCE_PROGRAM_ID);
    assert_eq!(realm.data[0], account_type::REALM_V2);
    let config = env
        .account(&realm_config_pda(&realm_pda("depin")))
        .expect("the realm config");
    assert_eq!(community_addin(&config.data), Some(staking::ID));
    // The community tokens' holding account belongs to the realm.
    let holding = holding_pda(&realm_pda("depin"), &mint);
    let (_, account) = read_token_account(&env, &holding);
    assert_eq!(account.owner, realm_pda("depin"));

    // A voter's token owner record: its owner, and no vote to relinquish yet (the count a
    // withdrawal will have to find at zero).
    let voter = env.funded_keypair();
    let realm = realm_pda("depin");
    let ix = create_token_owner_record_ix(payer, realm, mint, voter.pubkey());
    expect_ok(env.send(&[ix], &[]));
    let record = env
        .account(&token_owner_record_pda(&realm, &mint, &voter.pubkey()))
        .expect("the token owner record");
    assert_eq!(record.owner, GOVERNANCE_PROGRAM_ID);
    assert_eq!(
        token_owner_record_votes(&record.data),
        Some((voter.pubkey(), 0))
    );
}

const NAME: &str = "depin-dao";
/// The vote stays open ten days: longer than the fixture's seven-day cooldown, so a withdrawal
/// could otherwise happen while the vote is open.
const VOTING_SECS: u32 = 864_000;
/// The fixture's staking timelock.
const TIMELOCK: u32 = 2 * 86_400;

/// A realm over the fixture's stake mint with the staking program as its voter-weight addin, a
/// governance of the staking config whose PDA is the staking authority, and the keys of one
/// proposal.
struct Dao {
    fx: Fx,
    keys: ProposalKeys,
    native_treasury: Pubkey,
}

struct Member {
    key: Keypair,
    voter: Voter,
    position: Pubkey,
    source: Pubkey,
}

impl Dao {
    fn new(mode: VotingMode) -> Self {
        let realm = realm_pda(NAME);
        let mut fx = Fx::with_programs(&[STAKING, SPL_GOVERNANCE], TokenProgram::SplToken, |a| {
            // No realm yet: it does not exist before the fixture's mint. `hand_over` names it.
            a.realm = Pubkey::default();
            a.voting_mode = mode;
        });
        let realm_authority = fx.env.funded_keypair();
        let payer = fx.env.payer.pubkey();
        let args = RealmArgs {
            name: NAME,
            community_mint: fx.mint,
            voter_weight_addin: Some(staking::ID),
            min_weight_to_create_governance: 1,
            max_voter_weight: MaxVoterWeight::SupplyFraction(10_000_000_000),
        };
        let ix = create_realm_ix(payer, realm_authority.pubkey(), &args);
        expect_ok(fx.env.send(&[ix], &[]));
        let rules = VotingRules {
            yes_vote_percentage: 1,
            min_weight_to_create_proposal: 1,
            min_transaction_hold_up_time: 0,
            voting_base_time: VOTING_SECS,
            // Every vote runs its whole time, so the test can vote, and try to leave, meanwhile.
            tipping: Tipping::Disabled,
        };
        let governance = governance_pda(&realm, &config_pda().0);
        let ix = create_governance_ix(
            payer,
            realm,
            config_pda().0,
            realm_authority.pubkey(),
            Pubkey::default(),
            &rules,
        );
        expect_ok(fx.env.send(&[ix], &[&realm_authority]));
        let native_treasury = native_treasury_pda(&governance);
        fx.env.svm.airdrop(&native_treasury, 1_000_000_000).unwrap();
        hand_over(&mut fx, realm, governance);
        let keys = ProposalKeys {
            realm,
            governance,
            mint: fx.mint,
            proposal: Pubkey::default(),
            owner_record: Pubkey::default(),
        };
        Self {
            fx,
            keys,
            native_treasury,
        }
    }

    /// A staker of `amount` under a cliff lock of `lockup_secs`, with its token owner record
    /// and voter-weight record.
    fn member(&mut self, amount: u64, lockup_secs: u64) -> Member {
        let (key, source) = self.fx.staker(amount);
        let position = self
            .fx
            .stake(&key, source, 0, LockupKind::Cliff, lockup_secs, amount);
        let owner = key.pubkey();
        let payer = self.fx.env.payer.pubkey();
        let (realm, mint) = (self.keys.realm, self.keys.mint);
        let args = CreateVoterWeightRecordArgs {
            realm,
            governing_token_mint: mint,
            governing_token_owner: owner,
        };
        expect_ok(self.fx.env.send(
            &[
                create_token_owner_record_ix(payer, realm, mint, owner),
                create_voter_weight_record_ix(payer, args),
            ],
            &[],
        ));
        let voter = Voter {
            owner,
            token_owner_record: token_owner_record_pda(&realm, &mint, &owner),
            voter_weight_record: voter_weight_record_pda(&realm, &mint, &owner).0,
        };
        Member {
            key,
            voter,
            position,
            source,
        }
    }

    /// The member's weight, refreshed, then `ix` in the same transaction.
    fn weighed(&mut self, m: &Member, ix: Instruction) -> TransactionResult {
        let refresh = update_voter_weight_record_ix(
            m.voter.voter_weight_record,
            m.voter.owner,
            &[m.position],
        );
        self.fx.env.send_fresh(&[refresh, ix], &[&m.key])
    }

    /// `proposer` proposes `transactions` (each run `hold_up` seconds after the vote, at the
    /// earliest) and signs off: voting starts.
    fn propose(&mut self, proposer: &Member, transactions: &[(Instruction, u32)]) {
        let seed = Pubkey::new_unique();
        self.keys.proposal = proposal_pda(&self.keys.governance, &self.keys.mint, &seed);
        self.keys.owner_record = proposer.voter.token_owner_record;
        let payer = self.fx.env.payer.pubkey();
        let ix = create_proposal_ix(
            payer,
            &self.keys,
            &proposer.voter,
            "Stream revenue over a day",
            "",
            seed,
        );
        expect_ok(self.weighed(proposer, ix));
        for (index, (ix, hold_up)) in transactions.iter().enumerate() {
            let index = u16::try_from(index).unwrap();
            let insert = insert_transaction_ix(
                payer,
                &self.keys,
                proposer.voter.owner,
                index,
                *hold_up,
                std::slice::from_ref(ix),
            );
            expect_ok(self.fx.env.send(&[insert], &[&proposer.key]));
        }
        let ix = sign_off_proposal_ix(&self.keys, proposer.voter.owner);
        expect_ok(self.fx.env.send(&[ix], &[&proposer.key]));
        assert_eq!(self.state(), ProposalState::Voting);
    }

    fn vote(&mut self, m: &Member, yes: bool) {
        let ix = cast_vote_ix(self.fx.env.payer.pubkey(), &self.keys, &m.voter, yes);
        expect_ok(self.weighed(m, ix));
    }

    fn state(&self) -> ProposalState {
        ProposalState::of(&self.fx.env.account(&self.keys.proposal).unwrap().data).unwrap()
    }

    /// The weight recorded in `m`'s vote (`VoteRecordV2`: account type, proposal, owner,
    /// is_relinquished, then `voter_weight: u64` at 66).
    fn vote_weight(&self, m: &Member) -> u64 {
        let record = vote_record_pda(&self.keys.proposal, &m.voter.token_owner_record);
        let data = self.fx.env.account(&record).unwrap().data;
        u64::from_le_bytes(data[66..74].try_into().unwrap())
    }

    fn open_votes(&self, m: &Member) -> u64 {
        let data = self
            .fx
            .env
            .account(&m.voter.token_owner_record)
            .unwrap()
            .data;
        token_owner_record_votes(&data).unwrap().1
    }

    fn unstake(&mut self, m: &Member, amount: u64) -> TransactionResult {
        let ix = self.fx.unstake(m.voter.owner, m.position, amount);
        self.fx.env.send_fresh(&[ix], &[&m.key])
    }

    fn withdraw(&mut self, m: &Member, amount: u64) -> TransactionResult {
        let (mint, tp, realm) = (self.fx.mint, self.fx.tp, self.keys.realm);
        let accounts = withdraw_accounts(m.voter.owner, m.position, mint, m.source, tp, realm);
        self.fx
            .env
            .send_fresh(&[withdraw(accounts, amount)], &[&m.key])
    }
}

/// Through the timelock, the config names `realm` (its account is checked) and the staking
/// authority moves from the fixture's key to `governance`: changes 0 and 1.
fn hand_over(fx: &mut Fx, realm: Pubkey, governance: Pubkey) {
    let key = fx.governance.insecure_clone();
    let updates = [
        StakingUpdate::Realm(realm),
        StakingUpdate::Authority(governance),
    ];
    for (id, update) in (0..).zip(updates) {
        let ix = propose_change_ix(key.pubkey(), key.pubkey(), id, update);
        expect_ok(fx.env.send(&[ix], &[&key]));
    }
    fx.warp(u64::from(TIMELOCK));
    for id in 0..2 {
        expect_ok(fx.env.send(&[apply_change_ix(id, key.pubkey())], &[]));
    }
    let config = fx.config();
    assert_eq!((config.realm, config.authority), (realm, governance));
}

/// The id of the first staking change a DAO proposal makes (after the two of [`hand_over`]).
const FIRST_DAO_CHANGE: u64 = 2;

/// Issue 23, items 3 and 5: stakers vote in a real spl-governance realm with the weight the
/// staking program gives them, the passed proposal changes a staking parameter through the
/// staking timelock, and tokens that voted cannot leave (or vote again from another wallet)
/// until the vote is relinquished.
#[test_case(VotingMode::Linear, 29_997, 3_000 ; "linear")]
#[test_case(VotingMode::Quadratic, 387, 54 ; "quadratic")]
fn a_realm_vote_with_staked_weight_changes_staking_through_the_timelock(
    mode: VotingMode,
    alice_weight: u64,
    bob_weight: u64,
) {
    let mut dao = Dao::new(mode);
    // Alice locks 6,000 for the longest lock (5x); Bob 4,000 for 100 s, then moves 1,000 of it
    // into the cooldown: 3,000 at 1x vote.
    let alice = dao.member(6_000, MAX_LOCKUP);
    let bob = dao.member(4_000, 100);
    dao.fx.warp(100);
    expect_ok(dao.unstake(&bob, 1_000));

    let governance = dao.keys.governance;
    let treasury = dao.native_treasury;
    let update = StakingUpdate::RevenueStreamSecs(86_400);
    let propose = propose_change_ix(treasury, governance, FIRST_DAO_CHANGE, update);
    let apply = apply_change_ix(FIRST_DAO_CHANGE, treasury);
    dao.propose(&alice, &[(propose.clone(), 0), (apply.clone(), TIMELOCK)]);
    dao.vote(&alice, true);
    dao.vote(&bob, false);
    // Alice's lock has 999,900 s left: 4.9996x. Linear: 6,000 × 4.9996 and 3,000 × 1.
    // Quadratic: isqrt(6,000 × 49,996²) / 10⁴ and isqrt(3,000 × 10,000²) / 10⁴.
    assert_eq!(
        (dao.vote_weight(&alice), dao.vote_weight(&bob)),
        (alice_weight, bob_weight)
    );
    let proposal = dao.fx.env.account(&dao.keys.proposal).unwrap();
    assert_eq!(
        single_choice_weights(&proposal.data),
        Some((alice_weight, bob_weight))
    );
    assert_eq!(dao.open_votes(&bob), 1);

    // The attack (review F5): vote, then unstake and withdraw before the vote ends, to stake
    // the same tokens from another wallet and vote again. Both are refused.
    assert_custom_error(
        &dao.unstake(&bob, 3_000),
        0,
        code(StakingError::VotesNotRelinquished),
    );
    dao.fx.warp(COOLDOWN);
    assert_custom_error(
        &dao.withdraw(&bob, 1_000),
        0,
        code(StakingError::VotesNotRelinquished),
    );
    assert_eq!(dao.fx.position(&bob.position).cooling, 1_000);
    assert_eq!(dao.fx.balance(&bob.source), 0);

    // The vote ends (ten days after sign-off) and passes; the first transaction proposes the
    // staking change, the second applies it once the staking timelock has run.
    dao.fx.warp(u64::from(VOTING_SECS) - COOLDOWN + 1);
    expect_ok(dao.fx.env.send_fresh(&[finalize_vote_ix(&dao.keys)], &[]));
    assert_eq!(dao.state(), ProposalState::Succeeded);
    expect_ok(
        dao.fx
            .env
            .send_fresh(&[execute_transaction_ix(&dao.keys, 0, &propose)], &[]),
    );
    assert_eq!(dao.state(), ProposalState::Executing);
    let change: PendingChange = dao.fx.env.anchor_account(&change_pda(FIRST_DAO_CHANGE).0);
    assert_eq!((change.update, change.proposer), (update, treasury));
    let early = dao
        .fx
        .env
        .send_fresh(&[execute_transaction_ix(&dao.keys, 1, &apply)], &[]);
    assert_custom_error(
        &early,
        0,
        governance_error::CANNOT_EXECUTE_TRANSACTION_WITHIN_HOLD_UP_TIME,
    );
    assert_eq!(dao.fx.config().revenue_stream_secs, 0);
    dao.fx.warp(u64::from(TIMELOCK));
    expect_ok(
        dao.fx
            .env
            .send_fresh(&[execute_transaction_ix(&dao.keys, 1, &apply)], &[]),
    );
    assert_eq!(dao.fx.config().revenue_stream_secs, 86_400);
    assert_eq!(dao.state(), ProposalState::Completed);

    // Once the vote is over anyone relinquishes it; then Bob's tokens may leave.
    let relinquish = relinquish_vote_ix(&dao.keys, bob.voter.token_owner_record, None);
    expect_ok(dao.fx.env.send_fresh(&[relinquish], &[]));
    assert_eq!(dao.open_votes(&bob), 0);
    expect_ok(dao.withdraw(&bob, 1_000));
    expect_ok(dao.unstake(&bob, 3_000));
    assert_eq!(dao.fx.balance(&bob.source), 1_000);
    assert_eq!(dao.fx.position(&bob.position).cooling, 3_000);
}

/// Alice (6,000 for 100 s) proposes a small staking change; Bob (4,000 for 100 s, run out)
/// votes against, and the vote stays open.
fn bob_voted_no() -> (Dao, Member, Member) {
    let mut dao = Dao::new(VotingMode::Linear);
    let alice = dao.member(6_000, 100);
    let bob = dao.member(4_000, 100);
    dao.fx.warp(100);
    let update = StakingUpdate::RevenueStreamSecs(60);
    let treasury = dao.native_treasury;
    let noop = propose_change_ix(treasury, dao.keys.governance, FIRST_DAO_CHANGE, update);
    dao.propose(&alice, &[(noop, 0)]);
    dao.vote(&bob, false);
    (dao, alice, bob)
}

#[test]
fn a_vote_taken_back_while_open_frees_the_tokens_and_leaves_the_tally() {
    let (mut dao, _alice, bob) = bob_voted_no();
    assert_custom_error(
        &dao.unstake(&bob, 4_000),
        0,
        code(StakingError::VotesNotRelinquished),
    );
    // Bob takes his vote back while the vote is open (he signs): his weight leaves the tally.
    let owner = bob.voter.owner;
    let ix = relinquish_vote_ix(
        &dao.keys,
        bob.voter.token_owner_record,
        Some((owner, owner)),
    );
    expect_ok(dao.fx.env.send_fresh(&[ix], &[&bob.key]));
    assert_eq!(dao.open_votes(&bob), 0);
    let proposal = dao.fx.env.account(&dao.keys.proposal).unwrap();
    assert_eq!(single_choice_weights(&proposal.data), Some((0, 0)));
    expect_ok(dao.unstake(&bob, 4_000));
}

#[test]
fn a_token_owner_record_other_than_the_owners_in_the_configs_realm_is_refused() {
    let (mut dao, alice, bob) = bob_voted_no();
    // Bob passes a record without his vote: Alice's (she proposed, never voted), one of another
    // realm, and one for another mint. Each is refused by the record's address.
    let (realm, mint, owner) = (dao.keys.realm, dao.keys.mint, bob.voter.owner);
    for record in [
        alice.voter.token_owner_record,
        token_owner_record_pda(&Pubkey::new_unique(), &mint, &owner),
        token_owner_record_pda(&realm, &Pubkey::new_unique(), &owner),
    ] {
        let ix = unstake_ix(owner, bob.position, 4_000, record);
        let r = dao.fx.env.send_fresh(&[ix], &[&bob.key]);
        assert_custom_error(&r, 0, anchor_lang::error::ErrorCode::ConstraintSeeds.into());
    }
    assert_eq!(dao.fx.position(&bob.position).amount, 4_000);
}
