//! Treasury rows: a stablecoin admitted, payments in both token programs, a buyback through
//! the real spl-token-swap pool with its burn, the stakers' and operations' shares leaving, and
//! burn-and-mint credits. Every key is fixed so that CU is reproducible.
use anchor_lang::prelude::Pubkey;
use harness::amm::{SPL_TOKEN_SWAP, SWAP_PROGRAM_ID, create_pool_with_keys, swap_data};
use harness::builders::treasury_ix::*;
use harness::pyth::{Price, set_price_update};
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::{
    TestEnv, TokenProgram, create_ata, create_mint_at, create_token_account_at, expect_ok, mint_to,
};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;

use super::{Row, measure};

const UNIT: u64 = 1_000_000;

/// A key generator: `0xb0 + n` repeated, for the n-th key asked for.
fn keys() -> impl FnMut() -> Keypair {
    let mut n = 0u8;
    move || {
        n += 1;
        Keypair::new_from_array([0xb0u8.wrapping_add(n); 32])
    }
}

fn airdrop(env: &mut TestEnv, key: &Pubkey) -> Result<(), String> {
    env.svm
        .airdrop(key, 10_000_000_000)
        .map(|_| ())
        .map_err(|e| format!("airdrop: {e:?}"))
}

pub fn treasury_rows() -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut env = TestEnv::new();
    env.load_program(&SPL_TOKEN_SWAP);
    let mut key = keys();
    let deployer = env.deployer.insecure_clone();
    let governance = Keypair::new_from_array([0xa1; 32]);
    let service = Keypair::new_from_array([0xa2; 32]);
    let customer = Keypair::new_from_array([0xa3; 32]);
    let authority = Keypair::new_from_array([0xa4; 32]);
    for k in [&governance, &service, &customer, &authority] {
        airdrop(&mut env, &k.pubkey())?;
    }
    let spl = TokenProgram::SplToken;
    let network = create_mint_at(&mut env, spl, &authority.pubkey(), 6, &key());
    let usdc = create_mint_at(&mut env, spl, &authority.pubkey(), 6, &key());
    let usd22 = create_mint_at(
        &mut env,
        TokenProgram::Token2022,
        &authority.pubkey(),
        6,
        &key(),
    );
    let roles = Roles {
        payment_operator: governance.pubkey(),
        service_operator: service.pubkey(),
        operations_owner: governance.pubkey(),
    };
    expect_ok(env.send(
        &[initialize_treasury(
            initialize_treasury_accounts(&env, network),
            treasury_args(governance.pubkey(), SWAP_PROGRAM_ID, roles),
        )],
        &[&deployer],
    ));
    let pool = create_pool_with_keys(
        &mut env,
        spl,
        &authority,
        (usdc, 1_000_000 * UNIT),
        (network, 2_000_000 * UNIT),
        &mut key,
    );
    let staking_config = Pubkey::find_program_address(
        &[treasury::constants::STAKING_CONFIG_SEED],
        &treasury::constants::STAKING_PROGRAM_ID,
    )
    .0;
    let stakers = create_token_account_at(&mut env, spl, &usdc, &staking_config, &key());
    let ops = create_token_account_at(&mut env, spl, &usdc, &governance.pubkey(), &key());
    let venue = pool
        .venue(&usdc)
        .ok_or_else(|| "the pool does not trade usdc".to_string())?;
    let add = add_stablecoin(
        add_stablecoin_accounts(
            &env,
            governance.pubkey(),
            usdc,
            spl,
            network,
            spl,
            Some(stakers),
        ),
        AddStablecoinArgs {
            buyback_cap_per_epoch: 100_000 * UNIT,
            venue,
        },
    );
    rows.push(measure(
        &mut env,
        "treasury",
        "add_stablecoin (SPL Token)".into(),
        &[add],
        &[&governance],
        &[
            stablecoin_pda(&usdc).0,
            vault_pda(&usdc).0,
            bought_pda(&usdc).0,
        ],
    )?);
    expect_ok(env.send(
        &[add_stablecoin(
            add_stablecoin_accounts(
                &env,
                governance.pubkey(),
                usd22,
                TokenProgram::Token2022,
                network,
                spl,
                None,
            ),
            AddStablecoinArgs {
                buyback_cap_per_epoch: 100_000 * UNIT,
                venue: Venue::default(),
            },
        )],
        &[&governance],
    ));

    for (mint, tp, label) in [
        (usdc, spl, "SPL Token"),
        (usd22, TokenProgram::Token2022, "Token-2022"),
    ] {
        let tokens = create_token_account_at(&mut env, tp, &mint, &customer.pubkey(), &key());
        mint_to(&mut env, tp, &mint, &authority, &tokens, 100_000 * UNIT);
        rows.push(measure(
            &mut env,
            "treasury",
            format!("pay ({label} stablecoin)"),
            &[pay(
                pay_accounts(customer.pubkey(), mint, tp, tokens),
                PayArgs {
                    amount: 10_000 * UNIT,
                    reference: [0x42; 32],
                },
            )],
            &[&customer],
            &[],
        )?);
    }

    let price = Pubkey::new_from_array([0xa5; 32]);
    let now = env.now();
    set_price_update(
        &mut env,
        price,
        pyth_solana_receiver_sdk::ID,
        Price {
            feed_id: FEED_ID,
            ema_price: 50_000_000,
            ema_conf: 250_000,
            exponent: -8,
            publish_time: now,
            verification: VerificationLevel::Full,
        },
    );
    let (stablecoin, _) = stablecoin_pda(&usdc);
    rows.push(measure(
        &mut env,
        "treasury",
        "buyback, spl-token-swap swap + burn (SPL Token)".into(),
        &[buyback(
            buyback_accounts(usdc, network, spl, price, SWAP_PROGRAM_ID, &venue),
            BuybackArgs {
                quote_in: 1_000 * UNIT,
                swap_data: swap_data(1_000 * UNIT, 0),
            },
            pool.swap_accounts(stablecoin, vault_pda(&usdc).0, bought_pda(&usdc).0, true),
        )],
        &[],
        &[],
    )?);
    rows.push(measure(
        &mut env,
        "treasury",
        "route_to_stakers (SPL Token)".into(),
        &[route_to_stakers(usdc, spl, stakers)],
        &[],
        &[],
    )?);
    rows.push(measure(
        &mut env,
        "treasury",
        "sweep_operations (SPL Token)".into(),
        &[sweep_operations(usdc, spl, ops)],
        &[],
        &[],
    )?);

    let init_credits = initialize_credits(initialize_credits_accounts(&env, governance.pubkey()));
    rows.push(measure(
        &mut env,
        "treasury",
        "initialize_credits (Token-2022, NonTransferable)".into(),
        &[init_credits],
        &[&governance],
        &[credits_mint_pda().0],
    )?);
    let holder_tokens =
        create_token_account_at(&mut env, spl, &network, &customer.pubkey(), &key());
    mint_to(
        &mut env,
        spl,
        &network,
        &authority,
        &holder_tokens,
        1_000 * UNIT,
    );
    let credits = create_ata(
        &mut env,
        TokenProgram::Token2022,
        &credits_mint_pda().0,
        &customer.pubkey(),
    );
    rows.push(measure(
        &mut env,
        "treasury",
        "burn_for_credits (SPL Token network token)".into(),
        &[burn_for_credits(
            burn_for_credits_accounts(
                customer.pubkey(),
                network,
                spl,
                holder_tokens,
                price,
                credits,
            ),
            10 * UNIT,
        )],
        &[&customer],
        &[],
    )?);
    rows.push(measure(
        &mut env,
        "treasury",
        "consume_credits".into(),
        &[consume_credits(
            consume_credits_accounts(service.pubkey(), credits),
            ConsumeCreditsArgs {
                amount: 1_000,
                usage_reference: [0x43; 32],
            },
        )],
        &[&service],
        &[],
    )?);
    Ok(rows)
}
