//! The treasury and staking programs together: customers pay, the stakers' share is routed to
//! the staking program's revenue vault, and a staker claims it through the accumulator.
use harness::builders::staking_ix;
use harness::builders::treasury_ix::*;
use harness::solana_signer::Signer;
use harness::*;
use staking::state::LockupKind;
use test_case::test_case;

use super::fixture::*;

#[test_case(TokenProgram::SplToken ; "spl token")]
#[test_case(TokenProgram::Token2022 ; "token 2022")]
fn revenue_flows_from_payment_to_stakers(tp: TokenProgram) {
    let mut fx = fixture_with(tp, true);
    // Two stakers, 1,000 and 3,000 tokens, no lock (1x): weights 1e9 and 3e9.
    let mut positions = Vec::new();
    for amount in [1_000 * UNIT, 3_000 * UNIT] {
        let owner = fx.env.funded_keypair();
        let tokens = create_token_account(
            &mut fx.env,
            TokenProgram::SplToken,
            &fx.network_mint,
            &owner.pubkey(),
        );
        let (mint, authority) = (fx.network_mint, fx.mint_authority.insecure_clone());
        mint_to(
            &mut fx.env,
            TokenProgram::SplToken,
            &mint,
            &authority,
            &tokens,
            amount,
        );
        let ix = staking_ix::stake(
            staking_ix::stake_accounts(owner.pubkey(), 0, mint, tokens, TokenProgram::SplToken),
            staking_ix::StakeArgs {
                id: 0,
                kind: LockupKind::Cliff,
                lockup_secs: 0,
                amount,
            },
        );
        expect_ok(fx.env.send_fresh(&[ix], &[&owner]));
        let revenue = create_token_account(&mut fx.env, tp, &fx.stable, &owner.pubkey());
        positions.push((owner, revenue));
    }
    // 1,000.000003 paid: the stakers' 30% is 300.000000 (rounded down).
    fx.pay(1_000 * UNIT + 3);
    expect_ok(fx.env.send_fresh(
        &[route_to_stakers(fx.stable, tp, fx.stakers_destination)],
        &[],
    ));
    assert_eq!(fx.balance(&staking_ix::revenue_vault_pda().0), 300 * UNIT);

    let mut paid = 0;
    for ((owner, revenue), expected) in positions.iter().zip([75 * UNIT, 225 * UNIT]) {
        let ix = staking_ix::claim_revenue(staking_ix::claim_revenue_accounts(
            owner.pubkey(),
            fx.stable,
            *revenue,
            tp,
        ));
        expect_ok(fx.env.send_fresh(&[ix], &[owner]));
        assert_eq!(fx.balance(revenue), expected);
        paid += expected;
    }
    // Every unit routed was paid out: 300 split 1:3 has no remainder.
    assert_eq!(paid, 300 * UNIT);
    assert_eq!(fx.balance(&staking_ix::revenue_vault_pda().0), 0);
    assert_eq!(fx.stablecoin().total_routed_to_stakers, 300 * UNIT);
}
