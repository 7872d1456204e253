//! Issue 23, item 5 (first step): the real spl-governance 4.0.0, built from the crate registry
//! with the project's SBF chain, runs in LiteSVM, and a realm takes the staking program as its
//! community voter-weight addin.

use harness::governance::*;
use harness::solana_signer::Signer;
use harness::*;

#[test]
fn a_realm_takes_the_staking_program_as_its_voter_weight_addin() {
    let mut env = TestEnv::with_programs(&[STAKING, SPL_GOVERNANCE]);
    let authority = env.funded_keypair();
    let mint = create_mint(&mut env, TokenProgram::SplToken, &authority.pubkey(), 6);
    let payer = env.payer.pubkey();
    let ix = create_realm_ix(
        payer,
        authority.pubkey(),
        "depin",
        mint,
        Some(staking::ID),
        1_000_000,
    );
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
