//! Staking rows of the compute-unit table: initialize_revenue, stake (creates the position),
//! add_to_position, the treasury's transfer folded by sync_revenue, claim_revenue (syncing a
//! new funding first, as a claim after a treasury payment does), create and update of a
//! voter-weight record (one position), refresh_position. Every key that seeds a PDA is fixed.

use anchor_lang::prelude::Pubkey;
use harness::anchor_spl::token_2022::spl_token_2022::instruction as token_ix;
use harness::builders::ed25519::shared_message_ix;
use harness::builders::staking_ix::*;
use harness::slash;
use harness::solana_keypair::Keypair;
use harness::solana_signer::Signer;
use harness::{STAKING, TestEnv, TokenProgram, create_mint_at, create_token_account_at};

use super::{Row, measure};

fn airdrop(env: &mut TestEnv, key: &Pubkey) -> Result<(), String> {
    env.svm
        .airdrop(key, 10_000_000_000)
        .map(|_| ())
        .map_err(|e| format!("airdrop: {e:?}"))
}

fn mint_to(
    env: &mut TestEnv,
    tp: TokenProgram,
    mint: Pubkey,
    authority: &Keypair,
    to: Pubkey,
    amount: u64,
) -> Result<(), String> {
    let ix = token_ix::mint_to(&tp.id(), &mint, &to, &authority.pubkey(), &[], amount)
        .map_err(|e| format!("mint_to: {e:?}"))?;
    env.send(&[ix], &[authority])
        .map(|_| ())
        .map_err(|f| format!("mint_to failed: {:?}", f.err))
}

pub fn rows(tp: TokenProgram, label: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut env = TestEnv::with_programs(&[STAKING]);
    let deployer = env.deployer.insecure_clone();
    let governance = Keypair::new_from_array([0x61; 32]);
    let authority = Keypair::new_from_array([0x62; 32]);
    let owner = Keypair::new_from_array([0x63; 32]);
    for k in [&governance, &owner] {
        airdrop(&mut env, &k.pubkey())?;
    }
    // Fixed keys throughout: the programs compare keys with early exits, so a random mint or
    // account would move the compute units by a few from run to run.
    let mint = create_mint_at(&mut env, tp, &authority.pubkey(), 6, &fixed(0x66));
    let usd = create_mint_at(&mut env, tp, &authority.pubkey(), 6, &fixed(0x67));
    // The realm the config names: an spl-governance realm over the stake mint.
    harness::governance::write_realm(&mut env, REALM, mint);
    let init = initialize_staking(
        initialize_staking_accounts(&env, tp, mint),
        InitializeStakingArgs {
            authority: governance.pubkey(),
            max_lockup_secs: 4 * 365 * 86_400,
            max_multiplier_bps: 1_000_000,
            voting_mode: VotingMode::Linear,
            cooldown_secs: 7 * 86_400,
            min_device_collateral: 500_000_000,
            max_slash_bps: 5_000,
            appeal_secs: 3 * 86_400,
            timelock_secs: 2 * 86_400,
            revenue_stream_secs: 0,
            realm: REALM,
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
    let payer = env.payer.pubkey();
    rows.push(measure(
        &mut env,
        "staking",
        format!("initialize_revenue ({label})"),
        &[initialize_revenue(initialize_revenue_accounts(
            payer,
            deployer.pubkey(),
            usd,
            tp,
        ))],
        &[&deployer],
        &[revenue_vault_pda().0],
    )?);

    let source = create_token_account_at(&mut env, tp, &mint, &owner.pubkey(), &fixed(0x68));
    mint_to(&mut env, tp, mint, &authority, source, 10_000_000_000)?;
    let position = position_pda(&owner.pubkey(), 0).0;
    rows.push(measure(
        &mut env,
        "staking",
        format!("stake, creates the position and the staker, 4-year cliff ({label})"),
        &[stake(
            stake_accounts(owner.pubkey(), 0, mint, source, tp),
            StakeArgs {
                id: 0,
                kind: LockupKind::Cliff,
                lockup_secs: 4 * 365 * 86_400,
                amount: 1_000_000_000,
            },
        )],
        &[&owner],
        &[position, staker_pda(&owner.pubkey()).0],
    )?);
    rows.push(measure(
        &mut env,
        "staking",
        format!("add_to_position ({label})"),
        &[add_to_position(
            add_to_position_accounts(owner.pubkey(), position, mint, source, tp),
            1_000_000,
        )],
        &[&owner],
        &[],
    )?);

    // The treasury's share arrives by a plain transfer; sync folds it.
    let treasury = create_token_account_at(&mut env, tp, &usd, &payer, &fixed(0x69));
    mint_to(&mut env, tp, usd, &authority, treasury, 1_000_000_000)?;
    let fund = |env: &mut TestEnv| -> Result<(), String> {
        let ix = token_ix::transfer_checked(
            &tp.id(),
            &treasury,
            &usd,
            &revenue_vault_pda().0,
            &payer,
            &[],
            1_000_000,
            6,
        )
        .map_err(|e| format!("transfer_checked: {e:?}"))?;
        env.svm.expire_blockhash();
        env.send(&[ix], &[])
            .map(|_| ())
            .map_err(|f| format!("fund failed: {:?}", f.err))
    };
    fund(&mut env)?;
    rows.push(measure(
        &mut env,
        "staking",
        format!("sync_revenue, folds a payment ({label})"),
        &[sync_revenue_ix()],
        &[],
        &[],
    )?);
    fund(&mut env)?;
    let out = create_token_account_at(&mut env, tp, &usd, &owner.pubkey(), &fixed(0x6a));
    rows.push(measure(
        &mut env,
        "staking",
        format!("claim_revenue, syncs a payment first ({label})"),
        &[claim_revenue(claim_revenue_accounts(
            owner.pubkey(),
            usd,
            out,
            tp,
        ))],
        &[&owner],
        &[],
    )?);
    env.warp_to_timestamp(env.now() + 86_400);
    rows.push(measure(
        &mut env,
        "staking",
        format!("refresh_position, a day of decay ({label})"),
        &[refresh_position_ix(owner.pubkey(), position)],
        &[],
        &[],
    )?);

    // The config's realm and the stake mint: the only records weighed.
    let (realm, governing_mint) = (REALM, mint);
    let record = voter_weight_record_pda(&realm, &governing_mint, &owner.pubkey()).0;
    rows.push(measure(
        &mut env,
        "staking",
        format!("create_voter_weight_record ({label})"),
        &[create_voter_weight_record_ix(
            payer,
            CreateVoterWeightRecordArgs {
                realm,
                governing_token_mint: governing_mint,
                governing_token_owner: owner.pubkey(),
            },
        )],
        &[],
        &[record],
    )?);
    rows.push(measure(
        &mut env,
        "staking",
        format!("update_voter_weight_record, 1 position ({label})"),
        &[update_voter_weight_record_ix(
            record,
            owner.pubkey(),
            &[position],
        )],
        &[],
        &[],
    )?);
    rows.push(measure(
        &mut env,
        "staking",
        format!("tally_positions, 1 position ({label})"),
        &[tally_positions_ix(owner.pubkey(), &[position])],
        &[&owner],
        &[],
    )?);
    rows.push(measure(
        &mut env,
        "staking",
        format!("update_voter_weight_record, from the tally ({label})"),
        &[update_voter_weight_record_ix(record, owner.pubkey(), &[])],
        &[],
        &[],
    )?);
    let change = change_pda(0).0;
    rows.push(measure(
        &mut env,
        "staking",
        format!("propose_change, the cooldown ({label})"),
        &[propose_change_ix(
            governance.pubkey(),
            governance.pubkey(),
            0,
            StakingUpdate::CooldownSecs(14 * 86_400),
        )],
        &[&governance],
        &[change],
    )?);
    env.warp_to_timestamp(env.now() + 2 * 86_400);
    rows.push(measure(
        &mut env,
        "staking",
        format!("apply_change, the cooldown ({label})"),
        &[apply_change_ix(0, governance.pubkey())],
        &[],
        &[],
    )?);
    rows.extend(leave_rows(&mut env, tp, label, &owner, mint, source)?);
    let (key, gov) = (owner.pubkey(), &governance);
    rows.extend(slash_rows(&mut env, tp, label, &key, mint, gov)?);
    Ok(rows)
}

/// `unstake` and `withdraw` of an unlocked position (id 1), each reading the owner's token
/// owner record in the realm (none: never voted).
fn leave_rows(
    env: &mut TestEnv,
    tp: TokenProgram,
    label: &str,
    owner: &Keypair,
    mint: Pubkey,
    source: Pubkey,
) -> Result<Vec<Row>, String> {
    let key = owner.pubkey();
    let position = position_pda(&key, 1).0;
    let args = StakeArgs {
        id: 1,
        kind: LockupKind::Cliff,
        lockup_secs: 0,
        amount: 1_000_000,
    };
    let ix = stake(stake_accounts(key, 1, mint, source, tp), args);
    measure(
        env,
        "staking",
        "stake (setup)".into(),
        &[ix],
        &[owner],
        &[position],
    )?;
    let record = token_owner_record(&REALM, &mint, &key);
    let unstake = measure(
        env,
        "staking",
        format!("unstake, no vote in the realm ({label})"),
        &[unstake_ix(key, position, 1_000_000, record)],
        &[owner],
        &[],
    )?;
    env.warp_to_timestamp(env.now() + 14 * 86_400);
    let accounts = withdraw_accounts(key, position, mint, source, tp, REALM);
    let withdraw = measure(
        env,
        "staking",
        format!("withdraw, no vote in the realm ({label})"),
        &[withdraw(accounts, 1_000_000)],
        &[owner],
        &[],
    )?;
    Ok(vec![unstake, withdraw])
}

/// `propose_slash` (two of three oracle signatures in one ed25519 instruction; creates the
/// offence's record), `execute_slash` after the appeal window, then a second offence gathered
/// over two transactions (`approve_slash` with one signature, `propose_slash` with the recorded
/// approval and one more) and its `overturn_slash`, all on position 0.
fn slash_rows(
    env: &mut TestEnv,
    tp: TokenProgram,
    label: &str,
    owner: &Pubkey,
    mint: Pubkey,
    governance: &Keypair,
) -> Result<Vec<Row>, String> {
    let oracles: Vec<Keypair> = (0x70..0x73).map(fixed).collect();
    install_oracle_set(env, &oracles)?;
    let position = position_pda(owner, 0).0;
    let payer = env.payer.pubkey();
    let config: staking::state::StakingConfig =
        env.anchor_account(&harness::builders::staking_ix::config_pda().0);
    let signed = |evidence: [u8; 32], nonce: u64| {
        let message = slash::message(
            config.slash_domain,
            &position,
            500,
            evidence,
            SET_VERSION,
            nonce,
        );
        let sigs: Vec<slash::OracleSignature> = oracles[..2]
            .iter()
            .map(|k| (k.pubkey().to_bytes(), *k.sign_message(&message).as_array()))
            .collect();
        let args = ProposeSlashArgs {
            amount_bps: 500,
            evidence_hash: evidence,
        };
        (args, message, sigs)
    };
    let propose = |evidence: [u8; 32], nonce: u64| {
        let (args, message, sigs) = signed(evidence, nonce);
        slash::propose_ixs(payer, position, args, &message, &sigs)
    };
    let first = [0x71; 32];
    let proposed = measure(
        env,
        "staking",
        format!("propose_slash, 2 of 3 oracles in one ed25519 instruction ({label})"),
        &propose(first, 0),
        &[],
        &[slash_record_pda(&position, &first).0],
    )?;
    env.warp_to_timestamp(env.now() + 3 * 86_400);
    let executed = measure(
        env,
        "staking",
        format!("execute_slash, burns 5 % ({label})"),
        &[execute_slash_ix(*owner, position, mint, tp)],
        &[],
        &[],
    )?;
    let second = [0x72; 32];
    let (args, message, sigs) = signed(second, 1);
    let approval = slash_approval_pda(&position, &second, 500).0;
    let approve = vec![
        shared_message_ix(&sigs[..1], &message),
        approve_slash(approve_slash_accounts(payer, position, &args), args.clone()),
    ];
    let approved = measure(
        env,
        "staking",
        format!("approve_slash, 1 oracle (creates the approval record) ({label})"),
        &approve,
        &[],
        &[approval],
    )?;
    let mut txs = slash::proposal_txs(payer, position, &args, &message, &sigs[1..], true);
    let recorded = measure(
        env,
        "staking",
        format!("propose_slash, 1 recorded + 1 in the transaction (closes the record) ({label})"),
        &txs.remove(0),
        &[],
        &[slash_record_pda(&position, &second).0],
    )?;
    let overturned = measure(
        env,
        "staking",
        format!("overturn_slash ({label})"),
        &[overturn_slash_ix(governance.pubkey(), position)],
        &[governance],
        &[],
    )?;
    Ok(vec![proposed, executed, approved, recorded, overturned])
}

/// The oracle set version of the measured slashes.
const SET_VERSION: u32 = 1;

/// The rewards program's oracle set, written where staking reads it: `oracles`, threshold 2.
fn install_oracle_set(env: &mut TestEnv, oracles: &[Keypair]) -> Result<(), String> {
    use anchor_lang::AccountSerialize;
    use harness::rewards::state::{OracleSeat, OracleSet};
    let mut seats = [OracleSeat::default(); 16];
    for (seat, key) in seats.iter_mut().zip(oracles) {
        seat.key = key.pubkey();
    }
    let set = OracleSet {
        version: 1,
        bump: rewards_oracle_set_pda().1,
        threshold: 2,
        count: 3,
        set_version: SET_VERSION,
        bond: 1_000_000,
        challenger_bps: 1_000,
        rotated_at: 0,
        slashed: 0,
        seats,
        last_rounds: [0; 16],
        posted_until: 0,
        retired_until: 0,
        reserved: [0; 48],
    };
    let mut data = Vec::new();
    set.try_serialize(&mut data).map_err(|e| e.to_string())?;
    data.resize(OracleSet::SIZE, 0);
    let account = harness::solana_account::Account {
        lamports: env.rent_exempt(data.len()),
        data,
        owner: harness::rewards::ID,
        executable: false,
        rent_epoch: 0,
    };
    env.svm
        .set_account(rewards_oracle_set_pda().0, account)
        .map_err(|e| e.to_string())
}

/// The realm of the measured config (a fixed key, so the measurements repeat).
const REALM: Pubkey = Pubkey::new_from_array([0x64; 32]);

/// A keypair from one repeated byte.
fn fixed(byte: u8) -> Keypair {
    Keypair::new_from_array([byte; 32])
}
