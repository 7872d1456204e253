//! The compute-unit table: every instruction, run as built SBF in LiteSVM, with its CU, its
//! transaction size and the rent of the accounts it creates.
//!
//!   compute-units            print the table and write bench/compute-units.md
//!   compute-units --check    print the table and fail if bench/compute-units.md differs
//!
//! CU in the SVM is deterministic for a given program binary and input, so the checked-in table
//! changes only when a program or a PDA bump changes; CI regenerates it and fails on a difference.
//! Program-derived addresses are fixed (fixed seeds and program ids); the keys that are not
//! (payer, mints) do not affect CU except through PDA bumps, which these rows avoid.
use std::process::ExitCode;

mod stable_claim_rows;
mod staking_rows;
mod treasury_rows;

use anchor_lang::prelude::Pubkey;
use harness::builders::{GenesisParams, genesis};
use harness::builders::{rewards_ix, staking_ix};
use harness::onboarding::{Onboard, local_code};
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::{Instruction, TestEnv, TokenProgram, VersionedTransaction};
use harness::{merkle_sum, rewards};

/// The most bytes a transaction may have on the wire.
const PACKET_DATA_SIZE: usize = 1_232;
/// Siblings in a proof for a tree of 1,000,000 wallets: 2^20 >= 1,000,000.
const MILLION_WALLET_DEPTH: u8 = 20;

struct Row {
    program: &'static str,
    instruction: String,
    cu: u64,
    tx_bytes: usize,
    rent: u64,
}

/// Sends `ixs` in a legacy transaction and measures it. `created` lists the accounts the
/// instruction creates.
fn measure(
    env: &mut TestEnv,
    program: &'static str,
    instruction: String,
    ixs: &[Instruction],
    signers: &[&Keypair],
    created: &[Pubkey],
) -> Result<Row, String> {
    env.svm.expire_blockhash();
    let tx = env.transaction(ixs, signers).into();
    measure_tx(env, program, instruction, tx, created)
}

/// Sends `tx` and measures it.
fn measure_tx(
    env: &mut TestEnv,
    program: &'static str,
    instruction: String,
    tx: VersionedTransaction,
    created: &[Pubkey],
) -> Result<Row, String> {
    // Wire size: a compact-u16 signature count (one byte below 128), the signatures, the message.
    let tx_bytes = 1 + 64 * tx.signatures.len() + tx.message.serialize().len();
    if tx_bytes > PACKET_DATA_SIZE {
        return Err(format!(
            "{instruction}: {tx_bytes} bytes exceed the {PACKET_DATA_SIZE}-byte transaction limit"
        ));
    }
    for key in created {
        if env.account(key).is_some() {
            return Err(format!(
                "{instruction}: {key} exists before the instruction"
            ));
        }
    }
    let meta = env.svm.send_transaction(tx).map_err(|f| {
        format!(
            "{instruction} failed: {:?}\n{}",
            f.err,
            f.meta.pretty_logs()
        )
    })?;
    // DEPIN_CU_LOGS=1 prints each measured transaction's logs: with `sol_log_compute_units`
    // calls in a handler, that is a per-step profile of the instruction.
    if std::env::var_os("DEPIN_CU_LOGS").is_some() {
        eprintln!("{instruction}\n{}", meta.pretty_logs());
    }
    let rent = created
        .iter()
        .map(|k| env.account(k).map_or(0, |a| env.rent_exempt(a.data.len())))
        .sum();
    Ok(Row {
        program,
        instruction,
        cu: meta.compute_units_consumed,
        tx_bytes,
        rent,
    })
}

fn rows() -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for token_program in [TokenProgram::SplToken, TokenProgram::Token2022] {
        let label = match token_program {
            TokenProgram::SplToken => "SPL Token",
            TokenProgram::Token2022 => "Token-2022",
        };
        let mut env = TestEnv::new();
        let deployer = env.deployer.insecure_clone();
        let params = GenesisParams {
            token_program,
            governance: Pubkey::new_from_array([7; 32]),
            decimals: 6,
            max_supply: 10_000_000_000_000_000,
            genesis_supply: 100_000_000_000_000,
            start_ts: env.now(),
        };
        for step in genesis(&env, &params) {
            let created: Vec<Pubkey> = step.created.iter().map(|(_, k)| *k).collect();
            let name = format!("{} ({label})", step.instruction);
            rows.push(measure(
                &mut env,
                step.program,
                name,
                &[step.ix],
                &[&deployer],
                &created,
            )?);
        }
        rows.extend(reward_path(token_program, label)?);
        rows.extend(staking_rows::rows(token_program, label)?);
        rows.extend(stable_claim_rows::rows(token_program, label)?);
    }
    rows.extend(treasury_rows::treasury_rows()?);
    Ok(rows)
}

/// The reward path after genesis: oracle set, crank, two votes (the second posts), finalize and
/// two claims (the first creates the claim record) with a proof as deep as a 1,000,000-wallet
/// tree's, sent as a v0 transaction through a lookup table, as a wallet would send it.
///
/// The proof is a real merkle-sum path of 20 levels; the root it folds to is what the oracles
/// vote for. Every key is fixed so that CU is reproducible.
fn reward_path(token_program: TokenProgram, label: &str) -> Result<Vec<Row>, String> {
    use rewards_ix::*;
    let mut rows = Vec::new();
    let mut env = TestEnv::new();
    let deployer = env.deployer.insecure_clone();
    let governance = Keypair::new_from_array([0x60; 32]);
    env.svm
        .airdrop(&governance.pubkey(), 1_000_000_000)
        .map_err(|e| format!("airdrop: {e:?}"))?;
    let start = env.now();
    let mut args = network_args(governance.pubkey(), 6, 10_000_000_000_000_000, start);
    args.onboard_fee = 1_000;
    args.location_fee = 500;
    let init = initialize_network(
        initialize_network_accounts(&env, token_program, governance.pubkey()),
        args,
    );
    measure(
        &mut env,
        "rewards",
        "initialize_network (setup)".into(),
        &[init],
        &[&deployer],
        &[],
    )?;
    // Staking over the network token: collateral for onboarding, positions for time-locked
    // claims. Collateral is 2,000 base units per device (the wallet's claims are small).
    let init = staking_ix::initialize_staking(
        staking_ix::initialize_staking_accounts(&env, token_program, mint_pda().0),
        staking_ix::InitializeStakingArgs {
            authority: governance.pubkey(),
            max_lockup_secs: 4 * 365 * 86_400,
            max_multiplier_bps: 1_000_000,
            voting_mode: staking::state::VotingMode::Linear,
            cooldown_secs: 7 * 86_400,
            min_device_collateral: COLLATERAL,
            max_slash_bps: 5_000,
            appeal_secs: 3 * 86_400,
            timelock_secs: 2 * 86_400,
            revenue_stream_secs: 0,
            realm: Pubkey::default(),
        },
    );
    measure(
        &mut env,
        "staking",
        "initialize_staking (setup)".into(),
        &[init],
        &[&deployer],
        &[],
    )?;
    let usd = harness::create_mint_at(
        &mut env,
        token_program,
        &governance.pubkey(),
        6,
        &Keypair::new_from_array([0x5d; 32]),
    );
    let payer = env.payer.pubkey();
    measure(
        &mut env,
        "staking",
        "initialize_revenue (setup)".into(),
        &[staking_ix::initialize_revenue(
            staking_ix::initialize_revenue_accounts(payer, deployer.pubkey(), usd, token_program),
        )],
        &[&deployer],
        &[],
    )?;

    let oracles: Vec<Keypair> = (0..3u8)
        .map(|i| Keypair::new_from_array([0x70 + i; 32]))
        .collect();
    for o in &oracles {
        env.svm
            .airdrop(&o.pubkey(), 10_000_000_000)
            .map_err(|e| format!("airdrop: {e:?}"))?;
    }
    let update = ParamUpdate::OracleSet {
        oracles: oracles.iter().map(Signer::pubkey).collect(),
        threshold: 2,
        bond: 1_000_000_000,
        challenger_bps: 4_000,
    };
    rows.push(measure(
        &mut env,
        "rewards",
        format!("propose_change, oracle set of 3 ({label})"),
        &[propose_change_ix(payer, governance.pubkey(), 0, update)],
        &[&governance],
        &[change_pda(0).0],
    )?);
    env.warp_to_timestamp(env.now() + 3_600);
    rows.push(measure(
        &mut env,
        "rewards",
        format!("apply_change, installs 3 oracles ({label})"),
        &[apply_change_ix(0, payer)],
        &[],
        &[],
    )?);
    for (i, o) in oracles.iter().enumerate() {
        let row = measure(
            &mut env,
            "rewards",
            format!("post_bond, first, creates the bond ({label})"),
            &[post_bond(post_bond_accounts(o.pubkey()), 1_000_000_000)],
            &[o],
            &[bond_pda(&o.pubkey()).0],
        )?;
        if i == 0 {
            rows.push(row);
        }
    }

    let owner = Keypair::new_from_array([0x77; 32]);
    let wallet = owner.pubkey();
    let destination = Keypair::new_from_array([0x78; 32]);
    harness::create_token_account_at(
        &mut env,
        token_program,
        &mint_pda().0,
        &wallet,
        &destination,
    );
    let siblings: Vec<merkle_sum::Sibling> = (0..MILLION_WALLET_DEPTH)
        .map(|i| merkle_sum::Sibling {
            node: merkle_sum::Node {
                hash: [i; 32],
                sum: 1_000 + u64::from(i),
            },
            is_left: i % 2 == 1,
        })
        .collect();
    let alt = env.lookup_table(
        0xa1,
        &[
            network_pda().0,
            mint_pda().0,
            rewards_vault_pda().0,
            token_program.id(),
            anchor_lang::system_program::ID,
            harness::event_authority(&rewards::ID),
        ],
    );

    for (epoch, cumulative) in [(0u64, 5_000u64), (1, 9_000)] {
        let cycle = final_root(
            &mut env,
            token_program,
            label,
            &oracles,
            start,
            epoch,
            &wallet,
            cumulative,
            &siblings,
        )?;
        if epoch == 0 {
            rows.extend(cycle);
        } else {
            rows.push(cycle.into_iter().next().ok_or("no crank row")?);
        }
        let ix = claim(
            claim_accounts(payer, wallet, destination.pubkey(), token_program),
            ClaimArgs {
                cumulative_amount: cumulative,
                proof: proof_nodes(&merkle_sum::Proof {
                    siblings: siblings.clone(),
                }),
            },
        );
        env.svm.expire_blockhash();
        let tx = env.transaction_v0(&[ix], &[], std::slice::from_ref(&alt));
        let (name, created) = if epoch == 0 {
            (
                "first, creates the claim record",
                vec![claim_record_pda(&wallet).0],
            )
        } else {
            ("again, next root", vec![])
        };
        rows.push(measure_tx(
            &mut env,
            "rewards",
            format!("claim, 1M-wallet proof, {name}, v0 + lookup table ({label})"),
            tx,
            &created,
        )?);
    }

    // The registry: the wallet stakes two devices' collateral from the rewards it claimed and
    // pays a buyer one device's worth, which the buyer stakes; a maker is approved; the wallet
    // onboards a device (burns the fee, binds collateral by CPI), moves it (burns the location
    // fee), transfers it to the buyer (the binding moves) and the buyer decommissions it (the
    // binding is released).
    let maker = Keypair::new_from_array([0x80; 32]);
    let device = Keypair::new_from_array([0x81; 32]);
    let buyer = Keypair::new_from_array([0x82; 32]);
    for k in [&owner, &buyer] {
        env.svm
            .airdrop(&k.pubkey(), 1_000_000_000)
            .map_err(|e| format!("airdrop: {e:?}"))?;
    }
    let buyer_tokens = harness::create_token_account_at(
        &mut env,
        token_program,
        &mint_pda().0,
        &buyer.pubkey(),
        &Keypair::new_from_array([0x83; 32]),
    );
    let pay_buyer = harness::anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
        &token_program.id(),
        &destination.pubkey(),
        &mint_pda().0,
        &buyer_tokens,
        &wallet,
        &[],
        COLLATERAL,
        6,
    )
    .map_err(|e| format!("transfer_checked: {e:?}"))?;
    measure(
        &mut env,
        "spl-token",
        "pay the buyer (setup)".into(),
        &[pay_buyer],
        &[&owner],
        &[],
    )?;
    let position = stake_collateral(
        &mut env,
        token_program,
        &owner,
        destination.pubkey(),
        2 * COLLATERAL,
    )?;
    let buyer_position =
        stake_collateral(&mut env, token_program, &buyer, buyer_tokens, COLLATERAL)?;
    rows.push(measure(
        &mut env,
        "rewards",
        format!("approve_maker, first ({label})"),
        &[approve_maker_ix(payer, governance.pubkey(), maker.pubkey())],
        &[&governance],
        &[maker_pda(&maker.pubkey()).0],
    )?);
    let expires_at = env.now() + 3_600;
    rows.push(measure(
        &mut env,
        "rewards",
        format!("onboard_device, burns the fee, binds collateral ({label})"),
        &Onboard {
            code: local_code(
                &device,
                &owner.pubkey(),
                DeviceKind::Connectivity,
                expires_at,
            ),
            maker: maker.pubkey(),
            location: 0x0892_8308_ae03_ffff,
            position,
            fee_source: destination.pubkey(),
            token_program,
        }
        .instructions_paid_by(payer),
        &[&owner, &maker],
        &[device_pda(&device.pubkey()).0],
    )?);
    rows.push(measure(
        &mut env,
        "rewards",
        format!("update_location, burns the fee ({label})"),
        &[update_location_ix(
            owner.pubkey(),
            device.pubkey(),
            destination.pubkey(),
            token_program,
            0x0892_8308_ae07_ffff,
        )],
        &[&owner],
        &[],
    )?);
    rows.push(measure(
        &mut env,
        "rewards",
        format!("transfer_device, releases and binds collateral ({label})"),
        &[transfer_device_ix(
            owner.pubkey(),
            buyer.pubkey(),
            device.pubkey(),
            position,
            buyer_position,
        )],
        &[&owner, &buyer],
        &[],
    )?);
    rows.push(measure(
        &mut env,
        "rewards",
        format!("decommission_device, releases collateral ({label})"),
        &[decommission_device_ix(
            buyer.pubkey(),
            device.pubkey(),
            buyer_position,
        )],
        &[&buyer],
        &[],
    )?);

    // A time-locked claim: the next root, taken by the wallet into its position (the claim
    // record exists), with the same 1M-wallet proof, through a lookup table that also holds
    // the staking program's fixed accounts.
    let cumulative = 12_000;
    final_root(
        &mut env,
        token_program,
        label,
        &oracles,
        start,
        2,
        &wallet,
        cumulative,
        &siblings,
    )?;
    let alt = env.lookup_table(
        0xa2,
        &[
            network_pda().0,
            mint_pda().0,
            rewards_vault_pda().0,
            token_program.id(),
            anchor_lang::system_program::ID,
            harness::event_authority(&rewards::ID),
            staking_ix::config_pda().0,
            staking_ix::vault_pda().0,
            staking_ix::revenue_vault_pda().0,
            harness::event_authority(&staking::ID),
            staking::ID,
        ],
    );
    let ix = claim_to_position(
        claim_to_position_accounts(wallet, position, token_program),
        ClaimArgs {
            cumulative_amount: cumulative,
            proof: proof_nodes(&merkle_sum::Proof {
                siblings: siblings.clone(),
            }),
        },
    );
    env.svm.expire_blockhash();
    // The wallet signs anyway, so it pays the fee: one signature.
    let tx = env.transaction_v0_paid_by(&owner, &[ix], &[], std::slice::from_ref(&alt));
    rows.push(measure_tx(
        &mut env,
        "rewards",
        format!(
            "claim_to_position, 1M-wallet proof, next root, v0 + lookup table, wallet pays the fee ({label})"
        ),
        tx,
        &[],
    )?);
    // The fraud proof steps do not touch a token program: measured once.
    if token_program == TokenProgram::SplToken {
        rows.extend(fraud_rows(
            &mut env,
            token_program,
            &oracles,
            start,
            &wallet,
            cumulative,
            &siblings,
        )?);
    }
    Ok(rows)
}

/// The proof of a decrease on a 1,000,000-wallet tree: the epoch-2 root above is final, with
/// `wallet` at leaf `index` of 2^20 (the index its siblings' sides spell); two oracles post an
/// epoch-3 root that lowers the wallet by 1,000 (given to a sibling subtree, so the total holds).
/// A watcher walks a probe down each tree, 16 siblings in the opening step and the last 4 in
/// the extension to the leaf, and proves the decrease, which slashes both voters. Both trees
/// are known only along this one path, built by construction.
fn fraud_rows(
    env: &mut TestEnv,
    token_program: TokenProgram,
    oracles: &[Keypair],
    start: i64,
    wallet: &Pubkey,
    cumulative: u64,
    siblings: &[merkle_sum::Sibling],
) -> Result<Vec<Row>, String> {
    use rewards_ix::*;
    let mut rows = Vec::new();
    let count = 1u64 << siblings.len();
    let index = siblings
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_left)
        .map(|(level, _)| 1u64 << level)
        .sum::<u64>();
    let base_path: Vec<merkle_sum::Node> = siblings.iter().map(|s| s.node).collect();
    let mut posted_path = base_path.clone();
    let robbed = cumulative - 1_000;
    if let Some(top) = posted_path.last_mut() {
        top.sum += 1_000;
    }
    let fold = |amount: u64, path: &[merkle_sum::Node]| {
        merkle_sum::fold_at(
            merkle_sum::leaf(&wallet.to_bytes(), amount),
            index,
            count,
            0,
            MILLION_WALLET_DEPTH.into(),
            path.iter().copied(),
        )
        .map_err(|e| e.to_string())
    };
    let base = fold(cumulative, &base_path)?;
    let posted = fold(robbed, &posted_path)?;
    if base.sum != posted.sum {
        return Err("the posted total must equal the base's".into());
    }

    // Epoch 3, posted by oracles 0 and 1 (setup: the vote rows are above).
    if env.now() < start + 86_400 * 3 {
        env.warp_to_timestamp(start + 86_400 * 3);
    }
    measure(
        env,
        "rewards",
        "crank_epoch (setup)".into(),
        &[crank_epoch(crank_epoch_accounts(token_program))],
        &[],
        &[],
    )?;
    env.warp_to_timestamp(start + 86_400 * 4);
    let vote = VoteRootArgs {
        epoch: 3,
        root: posted.hash,
        total: posted.sum,
        leaves: count,
        manifest_hash: [0x4d; 32],
    };
    let proposal = proposal_pda(1, 0, &vote).0;
    for o in &oracles[..2] {
        measure(
            env,
            "rewards",
            "vote_root (setup)".into(),
            &[vote_root(
                vote_root_accounts(o.pubkey(), 1, &vote),
                vote.clone(),
            )],
            &[o],
            &[],
        )?;
    }

    // The watcher is the fee payer: one signature per transaction.
    let watcher = env.payer.insecure_clone();
    let mut probes = Vec::new();
    for (side, amount, path, name) in [
        (ProbeSide::Base, cumulative, &base_path, "base"),
        (ProbeSide::Posted, robbed, &posted_path, "posted"),
    ] {
        let (open, extends) = probe_steps_on_path(
            side,
            index,
            count,
            (wallet.to_bytes(), amount),
            path,
            rewards::constants::MAX_PROBE_STEP,
        )
        .ok_or("probe steps")?;
        let probe = probe_pda(&proposal, side, index).0;
        let siblings = open.path.len();
        rows.push(measure(
            env,
            "rewards",
            format!(
                "open_probe, {name} side of a 2^20-leaf tree, first step: {siblings} siblings, creates the probe"
            ),
            &[open_probe_ix(watcher.pubkey(), proposal, open)],
            &[&watcher],
            &[probe],
        )?);
        for extend in extends {
            let siblings = extend.path.len();
            rows.push(measure(
                env,
                "rewards",
                format!("extend_probe, {name} side, to the leaf: {siblings} siblings"),
                &[extend_probe_ix(watcher.pubkey(), proposal, probe, extend)],
                &[&watcher],
                &[],
            )?);
        }
        probes.push(probe);
    }
    let voters: Vec<Pubkey> = oracles[..2].iter().map(Signer::pubkey).collect();
    rows.push(measure(
        env,
        "rewards",
        "prove_fraud, decrease, slashes 2 voters".into(),
        &[prove_fraud_ix(
            watcher.pubkey(),
            proposal,
            (probes[0], probes.get(1).copied()),
            Evidence::Decrease,
            &voters,
        )],
        &[&watcher],
        &[],
    )?);
    Ok(rows)
}

/// Device collateral per device in the reward-path rows, in base units.
const COLLATERAL: u64 = 2_000;

/// `owner` stakes `amount` from `source` into its position 0 (a cliff with no lockup).
fn stake_collateral(
    env: &mut TestEnv,
    token_program: TokenProgram,
    owner: &Keypair,
    source: Pubkey,
    amount: u64,
) -> Result<Pubkey, String> {
    let ix = staking_ix::stake(
        staking_ix::stake_accounts(
            owner.pubkey(),
            0,
            rewards_ix::mint_pda().0,
            source,
            token_program,
        ),
        staking_ix::StakeArgs {
            id: 0,
            kind: staking_ix::LockupKind::Cliff,
            lockup_secs: 0,
            amount,
        },
    );
    measure(env, "staking", "stake (setup)".into(), &[ix], &[owner], &[])?;
    Ok(staking_ix::position_pda(&owner.pubkey(), 0).0)
}

/// Cranks `epoch`, has two oracles vote a root in which `wallet` holds `cumulative` (with the
/// fixed `siblings`), waits out the dispute window and finalizes it. Returns the rows: the
/// crank, both votes and the finalize.
#[allow(clippy::too_many_arguments)]
fn final_root(
    env: &mut TestEnv,
    token_program: TokenProgram,
    label: &str,
    oracles: &[Keypair],
    start: i64,
    epoch: u64,
    wallet: &Pubkey,
    cumulative: u64,
    siblings: &[merkle_sum::Sibling],
) -> Result<Vec<Row>, String> {
    use rewards_ix::*;
    let mut rows = Vec::new();
    let epoch_i64 = i64::try_from(epoch).map_err(|e| e.to_string())?;
    let epoch_start = start + 86_400 * epoch_i64;
    if env.now() < epoch_start {
        env.warp_to_timestamp(epoch_start);
    }
    let name = if epoch == 0 {
        format!("crank_epoch ({label})")
    } else {
        format!("crank_epoch, later epoch ({label})")
    };
    rows.push(measure(
        env,
        "rewards",
        name,
        &[crank_epoch(crank_epoch_accounts(token_program))],
        &[],
        &[],
    )?);
    env.warp_to_timestamp(start + 86_400 * (epoch_i64 + 1));

    let root = merkle_sum::fold_path(merkle_sum::leaf(&wallet.to_bytes(), cumulative), siblings)
        .map_err(|e| e.to_string())?;
    let vote = VoteRootArgs {
        epoch,
        root: root.hash,
        total: root.sum,
        leaves: 1 << siblings.len(),
        manifest_hash: [0x4d; 32],
    };
    if epoch == 0 {
        rows.extend(input_rows(env, label, oracles)?);
    }
    let proposal = proposal_pda(1, 0, &vote).0;
    for (i, what) in [(0, "first, creates the proposal"), (1, "posts the root")] {
        let o = oracles[i].insecure_clone();
        let created: &[Pubkey] = if i == 0 { &[proposal] } else { &[] };
        rows.push(measure(
            env,
            "rewards",
            format!("vote_root, {what} ({label})"),
            &[vote_root(
                vote_root_accounts(o.pubkey(), 1, &vote),
                vote.clone(),
            )],
            &[&o],
            created,
        )?);
    }
    env.warp_to_timestamp(env.now() + 4 * 3_600);
    rows.push(measure(
        env,
        "rewards",
        format!("finalize_root ({label})"),
        &[finalize_root(finalize_root_accounts(proposal))],
        &[],
        &[],
    )?);
    if epoch == 0 {
        rows.push(close_inputs_row(env, label, oracles)?);
    }
    Ok(rows)
}

/// `close_inputs` for epoch 0. It needs `INPUTS_KEPT_EPOCHS` more final roots; rather than
/// run them (they would shift every later row's epoch), the network's final-root count is
/// raised for this one measurement and put back. The instruction reads only that count.
fn close_inputs_row(env: &mut TestEnv, label: &str, oracles: &[Keypair]) -> Result<Row, String> {
    use anchor_lang::{AccountDeserialize, AccountSerialize};
    let address = rewards_ix::network_pda().0;
    let original = env.account(&address).ok_or("no network account")?;
    let mut network = rewards::state::Network::try_deserialize(&mut original.data.as_slice())
        .map_err(|e| e.to_string())?;
    network.final_root.epochs += rewards::constants::INPUTS_KEPT_EPOCHS;
    let mut edited = original.clone();
    edited.data.clear();
    network
        .try_serialize(&mut edited.data)
        .map_err(|e| e.to_string())?;
    env.svm
        .set_account(address, edited)
        .map_err(|e| e.to_string())?;
    let row = measure(
        env,
        "rewards",
        format!("close_inputs ({label})"),
        &[rewards_ix::close_inputs_ix(0, oracles[0].pubkey())],
        &[],
        &[],
    );
    env.svm
        .set_account(address, original)
        .map_err(|e| e.to_string())?;
    row
}

/// Epoch 0's input commitments (docs/oracle-agreement.md): two seats commit (the first creates
/// the inputs, the second reaches the quorum), and one acknowledges both sets.
fn input_rows(env: &mut TestEnv, label: &str, oracles: &[Keypair]) -> Result<Vec<Row>, String> {
    use rewards_ix::*;
    let mut rows = Vec::new();
    for (i, what) in [(0, "first, creates the inputs"), (1, "reaches the quorum")] {
        let o = oracles[i].insecure_clone();
        let args = CommitReportsArgs {
            epoch: 0,
            hash: [0xa0 + u8::try_from(i).map_err(|e| e.to_string())?; 32],
            reports: 1_000,
            bytes: 300_000,
        };
        let created: &[Pubkey] = if i == 0 { &[inputs_pda(0).0] } else { &[] };
        rows.push(measure(
            env,
            "rewards",
            format!("commit_reports, {what} ({label})"),
            &[commit_reports_ix(o.pubkey(), args)],
            &[&o],
            created,
        )?);
    }
    let o = oracles[1].insecure_clone();
    rows.push(measure(
        env,
        "rewards",
        format!("ack_reports ({label})"),
        &[ack_reports_ix(o.pubkey(), 0, 0b11)],
        &[&o],
        &[],
    )?);
    Ok(rows)
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "# Compute units\n\n\
         Generated by `cargo run -p depin-bench --example compute-units` (part of `scripts/test`, which fails when this file is stale).\n\
         Each instruction runs as built SBF (`target/deploy/*.so`) in LiteSVM 0.16.0. \
         *Rent* is the rent-exempt minimum of the accounts the instruction creates (a bond's own lamports are not rent).\n\n\
         | program | instruction | CU | tx bytes | rent (lamports) |\n\
         | --- | --- | ---: | ---: | ---: |\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.program, r.instruction, r.cu, r.tx_bytes, r.rent
        ));
    }
    out
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let path = harness::workspace_root().join("bench/compute-units.md");
    let text = match rows() {
        Ok(rows) => table(&rows),
        Err(e) => {
            eprintln!("compute-units: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{text}");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    if check {
        if old != text {
            for (line, (was, now)) in old.lines().zip(text.lines()).enumerate() {
                if was != now {
                    eprintln!(
                        "compute-units: line {}:\n  file: {was}\n  now:  {now}",
                        line + 1
                    );
                }
            }
            if old.lines().count() != text.lines().count() {
                eprintln!(
                    "compute-units: the file has {} lines, the table {}",
                    old.lines().count(),
                    text.lines().count()
                );
            }
            eprintln!(
                "compute-units: bench/compute-units.md is stale; run `cargo run -p depin-bench --example compute-units` and commit it"
            );
            return ExitCode::FAILURE;
        }
    } else if old != text {
        if let Err(e) = std::fs::write(&path, &text) {
            eprintln!("compute-units: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("compute-units: wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
