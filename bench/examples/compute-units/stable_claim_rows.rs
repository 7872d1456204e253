//! A claim taken in a stablecoin (`rewards::claim_in_stablecoin`, which CPIs
//! `treasury::buy_claim`): a network with a genesis supply, the treasury over its token with one
//! coin of the same token program, a venue whose two reserves hold 1,000,000 coins and 2,000,000
//! tokens (`buy_claim` only reads them), a payment in the buyback bucket, and a final root of two
//! wallets (a one-sibling proof: the instruction's 22 accounts leave no room for a deep one).
//! Every key is fixed so that CU is reproducible.
use anchor_lang::prelude::Pubkey;
use harness::builders::rewards_ix::*;
use harness::builders::treasury_ix::{self, AddStablecoinArgs, PayArgs, StableClaimVenue, Venue};
use harness::pyth::{Price, set_price_update};
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::{
    TestEnv, TokenProgram, create_mint_at, create_token_account_at, expect_ok, merkle_sum, mint_to,
};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;

use super::{Row, measure};

const UNIT: u64 = 1_000_000;

fn airdrop(env: &mut TestEnv, key: &Pubkey) -> Result<(), String> {
    env.svm
        .airdrop(key, 10_000_000_000)
        .map(|_| ())
        .map_err(|e| format!("airdrop: {e:?}"))
}

/// `transfer_checked` of 6-decimal tokens, `owner` signing.
fn transfer(
    env: &mut TestEnv,
    tp: TokenProgram,
    (mint, from, to): (Pubkey, Pubkey, Pubkey),
    owner: &Keypair,
    amount: u64,
) -> Result<(), String> {
    let ix = harness::anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
        &tp.id(),
        &from,
        &mint,
        &to,
        &owner.pubkey(),
        &[],
        amount,
        6,
    )
    .map_err(|e| format!("transfer_checked: {e:?}"))?;
    expect_ok(env.send_fresh(&[ix], &[owner]));
    Ok(())
}

pub fn rows(tp: TokenProgram, label: &str) -> Result<Vec<Row>, String> {
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let governance = Keypair::new_from_array([0xc1; 32]);
    let oracle = Keypair::new_from_array([0xc2; 32]);
    let wallet = Keypair::new_from_array([0xc3; 32]);
    for k in [&governance, &oracle, &wallet] {
        airdrop(&mut env, &k.pubkey())?;
    }
    let start = env.now();
    let mut args = network_args(governance.pubkey(), 6, 10_000_000_000 * UNIT, start);
    args.genesis_supply = 10_000_000 * UNIT;
    expect_ok(env.send(
        &[initialize_network(
            initialize_network_accounts(&env, tp, governance.pubkey()),
            args,
        )],
        &[&deployer],
    ));
    let roles = treasury_ix::Roles {
        payment_operator: governance.pubkey(),
        service_operator: governance.pubkey(),
        operations_owner: governance.pubkey(),
    };
    expect_ok(env.send(
        &[treasury_ix::initialize_treasury(
            treasury_ix::initialize_treasury_accounts(&env, mint_pda().0),
            treasury_ix::treasury_args(governance.pubkey(), harness::amm::SWAP_PROGRAM_ID, roles),
        )],
        &[&deployer],
    ));

    // The coin and its venue's reserves.
    let coin = create_mint_at(
        &mut env,
        tp,
        &governance.pubkey(),
        6,
        &Keypair::new_from_array([0xc4; 32]),
    );
    let pool_authority = Pubkey::new_from_array([0xc5; 32]);
    let quote_reserve = create_token_account_at(
        &mut env,
        tp,
        &coin,
        &pool_authority,
        &Keypair::new_from_array([0xc6; 32]),
    );
    let token_reserve = create_token_account_at(
        &mut env,
        tp,
        &mint_pda().0,
        &pool_authority,
        &Keypair::new_from_array([0xc7; 32]),
    );
    mint_to(
        &mut env,
        tp,
        &coin,
        &governance,
        &quote_reserve,
        1_000_000 * UNIT,
    );
    let genesis = (mint_pda().0, genesis_pda().0, token_reserve);
    transfer(&mut env, tp, genesis, &governance, 2_000_000 * UNIT)?;
    let venue = Venue {
        pool: Pubkey::new_from_array([0xc8; 32]),
        quote_reserve,
        token_reserve,
    };
    expect_ok(env.send(
        &[treasury_ix::add_stablecoin(
            treasury_ix::add_stablecoin_accounts(
                &env,
                governance.pubkey(),
                coin,
                tp,
                mint_pda().0,
                tp,
                None,
            ),
            AddStablecoinArgs {
                buyback_cap_per_epoch: 10_000 * UNIT,
                venue,
            },
        )],
        &[&governance],
    ));
    let coins = create_token_account_at(
        &mut env,
        tp,
        &coin,
        &governance.pubkey(),
        &Keypair::new_from_array([0xc9; 32]),
    );
    mint_to(&mut env, tp, &coin, &governance, &coins, 20_000 * UNIT);
    expect_ok(env.send_fresh(
        &[treasury_ix::pay(
            treasury_ix::pay_accounts(governance.pubkey(), coin, tp, coins),
            PayArgs {
                amount: 20_000 * UNIT,
                reference: [0xca; 32],
            },
        )],
        &[&governance],
    ));

    // One oracle, bonded; epoch 0's root over the wallet and one other leaf.
    let payer = env.payer.pubkey();
    let update = ParamUpdate::OracleSet {
        oracles: vec![oracle.pubkey()],
        threshold: 1,
        bond: 1_000_000_000,
        challenger_bps: 4_000,
    };
    expect_ok(env.send_fresh(
        &[propose_change_ix(payer, governance.pubkey(), 0, update)],
        &[&governance],
    ));
    env.warp_to_timestamp(env.now() + 3_600);
    expect_ok(env.send_fresh(&[apply_change_ix(0, payer)], &[]));
    expect_ok(env.send_fresh(
        &[post_bond(
            post_bond_accounts(oracle.pubkey()),
            1_000_000_000,
        )],
        &[&oracle],
    ));
    expect_ok(env.send_fresh(&[crank_epoch(crank_epoch_accounts(tp))], &[]));
    env.warp_to_timestamp(start + 86_400);
    let leaves = [
        (wallet.pubkey().to_bytes(), 1_234_567_891u64),
        ([0xcb; 32], 1_000),
    ];
    let tree = merkle_sum::Tree::new(&leaves).map_err(|e| format!("tree: {e:?}"))?;
    let root = tree.root();
    let vote = VoteRootArgs {
        epoch: 0,
        root: root.hash,
        total: root.sum,
        leaves: 2,
        manifest_hash: [0xcc; 32],
    };
    expect_ok(env.send_fresh(
        &[vote_root(
            vote_root_accounts(oracle.pubkey(), 1, &vote),
            vote.clone(),
        )],
        &[&oracle],
    ));
    env.warp_to_timestamp(env.now() + 4 * 3_600);
    let proposal = proposal_pda(1, 0, &vote).0;
    expect_ok(env.send_fresh(&[finalize_root(finalize_root_accounts(proposal))], &[]));

    // The price, fresh; the wallet's coin account; the claim.
    let price = Pubkey::new_from_array([0xcd; 32]);
    let now = env.now();
    set_price_update(
        &mut env,
        price,
        pyth_solana_receiver_sdk::ID,
        Price {
            feed_id: treasury_ix::FEED_ID,
            ema_price: 50_000_000,
            ema_conf: 250_000,
            exponent: -8,
            publish_time: now,
            verification: VerificationLevel::Full,
        },
    );
    let destination = create_token_account_at(
        &mut env,
        tp,
        &coin,
        &wallet.pubkey(),
        &Keypair::new_from_array([0xce; 32]),
    );
    let proof = tree.proof(0).ok_or("no proof of leaf 0")?;
    let ix = claim_in_stablecoin(
        claim_in_stablecoin_accounts(
            wallet.pubkey(),
            destination,
            &StableClaimVenue {
                stable_mint: coin,
                stable_token_program: tp,
                network_token_program: tp,
                price_update: price,
                venue,
            },
        ),
        ClaimInStablecoinArgs {
            claim: ClaimArgs {
                cumulative_amount: 1_234_567_891,
                proof: proof_nodes(&proof),
            },
            min_stable_out: 614_197_525,
        },
    );
    let row = measure(
        &mut env,
        "rewards",
        format!(
            "claim_in_stablecoin, 1-sibling proof, creates the claim record, CPIs treasury::buy_claim (buys from the bucket, burns) ({label})"
        ),
        &[ix],
        &[&wallet],
        &[claim_record_pda(&wallet.pubkey()).0],
    )?;
    Ok(vec![row])
}
