//! The DAO (`[governance]`): the spl-governance realm over the network token with the staking
//! program as its community voter-weight addin, and the governance of the staking config (the
//! `"dao"` key), whose native treasury is funded to pay the rent of what its proposals create.

use depin_client::accounts::{AccountSource, exists};
use depin_client::builders::governance::{self, community_addin};
use depin_client::builders::{rewards_ix, staking_ix};

use super::{Ctx, Diff};
use crate::{MigrateError, Outcome};

/// What the native treasury is given: rent for a few dozen queued changes.
pub const NATIVE_TREASURY_LAMPORTS: u64 = 100_000_000;

fn chain_error(step: &str, e: impl std::fmt::Display) -> MigrateError {
    MigrateError::Chain {
        step: step.to_string(),
        reason: e.to_string(),
    }
}

/// `CreateRealm` unless the realm exists; an existing realm's addin must be the staking
/// program.
pub(super) async fn realm(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
    const STEP: &str = "governance: create_realm";
    let Some(g) = ctx.config.governance.clone() else {
        return Ok(());
    };
    let realm = g.realm();
    let config = governance::realm_config_pda(&realm);
    let outcome = match ctx.sender.owner_and_data(&config).await {
        Err(e) => return Err(chain_error(STEP, e)),
        Ok(Some((_, data))) => {
            let mut d = Diff::default();
            d.check(
                "realm voter-weight addin",
                community_addin(&data),
                Some(staking::ID),
            );
            d.outcome()
        }
        Ok(None) => {
            let authority = ctx.key("governance.realm_authority", &g.realm_authority)?;
            let args = governance::RealmArgs {
                name: &g.realm_name,
                community_mint: rewards_ix::mint_pda().0,
                voter_weight_addin: Some(staking::ID),
                // Only the realm authority creates governances.
                min_weight_to_create_governance: u64::MAX,
                max_voter_weight: governance::MaxVoterWeight::Absolute(g.max_voter_weight),
            };
            let ix = governance::create_realm_ix(ctx.me, authority, &args);
            ctx.send(STEP, &[ix], &[]).await?
        }
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}

/// `CreateGovernance` of the staking config (by the realm authority) unless it exists, then the
/// native treasury's SOL.
pub(super) async fn governance(ctx: &mut Ctx<'_>) -> Result<(), MigrateError> {
    const STEP: &str = "governance: create_governance";
    let Some(g) = ctx.config.governance.clone() else {
        return Ok(());
    };
    let dao = g.dao();
    let outcome = if exists(ctx.sender, "governance", &dao).await? {
        Outcome::Unchanged
    } else {
        let authority = ctx.key("governance.realm_authority", &g.realm_authority)?;
        ctx.require_signer(STEP, "governance.realm_authority", &authority)?;
        let ix = governance::create_governance_ix(
            ctx.me,
            g.realm(),
            staking_ix::config_pda().0,
            authority,
            governance::token_owner_record_pda(&g.realm(), &rewards_ix::mint_pda().0, &ctx.me),
            &g.rules(),
        );
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    fund_native_treasury(ctx, &governance::native_treasury_pda(&dao)).await
}

async fn fund_native_treasury(
    ctx: &mut Ctx<'_>,
    treasury: &anchor_lang::prelude::Pubkey,
) -> Result<(), MigrateError> {
    const STEP: &str = "governance: fund the native treasury";
    let balance = ctx
        .sender
        .call(|rpc| rpc.get_balance(treasury))
        .await
        .map_err(|e| chain_error(STEP, e))?;
    let outcome = if balance >= NATIVE_TREASURY_LAMPORTS {
        Outcome::Unchanged
    } else {
        let ix = anchor_lang::solana_program::system_instruction::transfer(
            &ctx.me,
            treasury,
            NATIVE_TREASURY_LAMPORTS - balance,
        );
        ctx.send(STEP, &[ix], &[]).await?
    };
    ctx.report.push(STEP, outcome);
    Ok(())
}
