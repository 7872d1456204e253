//! The rewards program builds its staking CPIs by hand (the program crates do not link each
//! other): its discriminators, account lists, addresses and the `Position` offsets it reads are
//! pinned here against the staking crate itself. No SVM needed.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountSerialize, Discriminator, InstructionData, ToAccountMetas};
use harness::builders::staking_ix;
use harness::event_authority;
use rewards::constants::{COLLATERAL_AUTHORITY, STAKING_CONFIG, STAKING_PROGRAM_ID};
use rewards::staking_cpi::{self, AddToPositionAccounts};
use staking::state::{LockupKind, Position};

#[test]
fn ids_and_addresses_match_the_staking_crate() {
    assert_eq!(STAKING_PROGRAM_ID, staking::ID);
    assert_eq!(staking::constants::REWARDS_PROGRAM_ID, rewards::ID);
    assert_eq!(STAKING_CONFIG, staking_ix::config_pda().0);
    assert_eq!(
        COLLATERAL_AUTHORITY,
        staking::instructions::collateral_authority()
    );
    assert_eq!(
        rewards::constants::COLLATERAL_AUTHORITY_SEED,
        staking::constants::COLLATERAL_AUTHORITY_SEED
    );
}

#[test]
fn collateral_instructions_match_the_staking_crate() {
    let (authority, position) = (COLLATERAL_AUTHORITY, Pubkey::new_unique());
    let expected_accounts = staking::accounts::BindCollateral {
        collateral_authority: authority,
        config: STAKING_CONFIG,
        position,
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
    .to_account_metas(None);
    let release = staking::instruction::ReleaseCollateral {
        final_epochs: 0x0102_0304_0506_0708,
        liable_until_epochs: 0x1112_1314_1516_1718,
    };
    let mut release_data = staking_cpi::RELEASE_COLLATERAL_DISCRIMINATOR.to_vec();
    release_data.extend_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
    release_data.extend_from_slice(&0x1112_1314_1516_1718u64.to_le_bytes());
    for (ours, theirs, data, args) in [
        (
            staking_cpi::BIND_COLLATERAL_DISCRIMINATOR,
            staking::instruction::BindCollateral::DISCRIMINATOR,
            staking_cpi::BIND_COLLATERAL_DISCRIMINATOR.to_vec(),
            staking::instruction::BindCollateral {}.data(),
        ),
        (
            staking_cpi::RELEASE_COLLATERAL_DISCRIMINATOR,
            staking::instruction::ReleaseCollateral::DISCRIMINATOR,
            release_data,
            release.data(),
        ),
    ] {
        assert_eq!(&ours[..], theirs);
        let ix = staking_cpi::collateral_ix(
            data,
            authority,
            STAKING_CONFIG,
            position,
            event_authority(&staking::ID),
        );
        assert_eq!(ix.program_id, staking::ID);
        assert_eq!(ix.accounts, expected_accounts);
        assert_eq!(ix.data, args);
    }
    // Release takes the same accounts as bind.
    let release = staking::accounts::ReleaseCollateral {
        collateral_authority: authority,
        config: STAKING_CONFIG,
        position,
        event_authority: event_authority(&staking::ID),
        program: staking::ID,
    }
    .to_account_metas(None);
    assert_eq!(release, expected_accounts);
}

#[test]
fn add_to_position_matches_the_staking_crate() {
    let k: Vec<Pubkey> = (0..9).map(|_| Pubkey::new_unique()).collect();
    let ix = staking_cpi::add_to_position_ix(
        &AddToPositionAccounts {
            depositor: k[0],
            config: k[1],
            position: k[2],
            stake_mint: k[3],
            source: k[4],
            vault: k[5],
            revenue_vault: k[6],
            token_program: k[7],
            event_authority: k[8],
        },
        123_456_789,
    );
    let expected = staking::accounts::AddToPosition {
        depositor: k[0],
        config: k[1],
        position: k[2],
        stake_mint: k[3],
        source: k[4],
        vault: k[5],
        revenue_vault: k[6],
        token_program: k[7],
        event_authority: k[8],
        program: staking::ID,
    }
    .to_account_metas(None);
    assert_eq!(ix.program_id, staking::ID);
    assert_eq!(ix.accounts, expected);
    assert_eq!(
        ix.data,
        anchor_lang::InstructionData::data(&staking::instruction::AddToPosition {
            amount: 123_456_789
        })
    );
}

#[test]
fn the_position_fields_read_match_the_staking_layout() {
    assert_eq!(
        &staking_cpi::POSITION_DISCRIMINATOR[..],
        Position::DISCRIMINATOR
    );
    let owner = Pubkey::new_unique();
    let position = Position {
        version: 7,
        bump: 254,
        kind: LockupKind::Constant,
        bound_devices: 0x0102_0304,
        owner,
        id: u64::MAX,
        amount: 1,
        lockup_secs: 2,
        lock_end: 0,
        cooling: 3,
        cooldown_end: 4,
        weight: 5,
        deposited: 9,
        withdrawn: 10,
        slashed: 11,
        slash_nonce: 12,
        pending_slash: None,
        created_at: 13,
        liable_devices: 14,
        liable_until_epochs: 15,
        reserved: [0xff; 52],
    };
    let mut data = Vec::new();
    position.try_serialize(&mut data).unwrap();
    let offset = staking_cpi::POSITION_OWNER_OFFSET;
    assert_eq!(&data[offset..offset + 32], owner.as_ref());

    // Read through an AccountInfo, as on-chain: owned by staking, it parses; else refused.
    let key = Pubkey::new_unique();
    let mut lamports = 0;
    let mut bytes = data.clone();
    let info = anchor_lang::prelude::AccountInfo::new(
        &key,
        false,
        true,
        &mut lamports,
        &mut bytes,
        &staking::ID,
        false,
    );
    assert_eq!(staking_cpi::position_owner(&info).unwrap(), owner);
    let mut lamports = 0;
    let mut bytes = data;
    let info = anchor_lang::prelude::AccountInfo::new(
        &key,
        false,
        true,
        &mut lamports,
        &mut bytes,
        &rewards::ID,
        false,
    );
    assert!(staking_cpi::position_owner(&info).is_err());
}
