//! Each stablecoin's AMM pool (spl-token-swap): a configured address, none, or the local
//! network's pool, created at keys derived from the coin's symbol.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::program_pack::Pack;
use depin_client::accounts::{AccountSource, exists};
use depin_client::builders::treasury_ix::Venue;
use depin_client::builders::{TokenProgram, amm, rewards_ix};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_signer::Signer;

use super::rewards::genesis_account_owner;
use super::{Coin, Ctx, Diff, create_account, token_ix_error};
use crate::{MigrateError, Outcome};

/// A pool account's keypair on a local network: derived from the coin's symbol and the
/// account's role, so every run of the migration finds the same pool.
pub fn pool_keypair(symbol: &str, role: &str) -> Keypair {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"depin localnet pool/");
    h.update(symbol.as_bytes());
    h.update(b"/");
    h.update(role.as_bytes());
    Keypair::new_from_array(h.finalize().into())
}

/// The local network's pool of `symbol` (`amm_pool = "create"`), at its derived keys.
pub fn localnet_pool(symbol: &str, network_mint: Pubkey, coin_mint: Pubkey) -> amm::Pool {
    let swap = pool_keypair(symbol, "swap").pubkey();
    amm::Pool {
        swap,
        authority: amm::swap_authority(&swap),
        mint_a: network_mint,
        mint_b: coin_mint,
        vault_a: pool_keypair(symbol, "vault-a").pubkey(),
        vault_b: pool_keypair(symbol, "vault-b").pubkey(),
        pool_mint: pool_keypair(symbol, "pool-mint").pubkey(),
        fee_account: pool_keypair(symbol, "fee").pubkey(),
        token_program: TokenProgram::SplToken,
    }
}

/// Each coin's buyback venue (its AMM pool and the pool's two reserves): the configured pool
/// (read from the chain), none, or (`"create"`) the local network's pool, created here if
/// missing: the vaults (owned by the swap authority) funded from the deployer, the pool mint with
/// the fee and LP accounts, then the swap account, in three transactions; each is skipped when
/// the account it creates first already exists.
pub(super) async fn venues(
    ctx: &mut Ctx<'_>,
    coins: &[Coin<'_>],
) -> Result<Vec<Venue>, MigrateError> {
    let mut venues = Vec::new();
    for (i, coin) in coins.iter().enumerate() {
        venues.push(venue(ctx, i, coin).await?);
    }
    Ok(venues)
}

/// Coin `i`'s venue (see [`venues`]).
async fn venue(ctx: &mut Ctx<'_>, i: usize, coin: &Coin<'_>) -> Result<Venue, MigrateError> {
    let field = format!("treasury.stablecoins[{i}].amm_pool");
    match coin.config.amm_pool.as_str() {
        "none" => return Ok(Venue::default()),
        "create" => {}
        other => {
            let swap = ctx.key(&field, other)?;
            return configured_venue(ctx, &field, swap, coin).await;
        }
    }
    let symbol = &coin.config.symbol;
    let step = format!("amm: create the token/{symbol} pool");
    let network_mint = rewards_ix::mint_pda().0;
    let pool = localnet_pool(symbol, network_mint, coin.mint);
    let account = ctx
        .sender
        .owner_and_data(&pool.swap)
        .await
        .map_err(|e| MigrateError::Chain {
            step: step.clone(),
            reason: format!("read {}: {e}", pool.swap),
        })?;
    if let Some((owner, data)) = account {
        let mut d = Diff::default();
        d.check("amm pool owner", owner, amm::SWAP_PROGRAM_ID);
        d.check("amm pool", amm::Pool::parse(pool.swap, &data), Some(pool));
        ctx.report.push(step, d.outcome());
        return localnet_venue(&pool, coin);
    }
    ctx.require_signer(
        &step,
        "network.genesis_owner",
        &genesis_account_owner(ctx).await?,
    )?;
    let outcome = create_pool(ctx, &step, coin, &pool).await?;
    ctx.report.push(step, outcome);
    localnet_venue(&pool, coin)
}

/// The venue of the local network's `pool` of `coin`.
fn localnet_venue(pool: &amm::Pool, coin: &Coin<'_>) -> Result<Venue, MigrateError> {
    pool.venue(&coin.mint).ok_or_else(|| MigrateError::Chain {
        step: format!("amm: the token/{} pool", coin.config.symbol),
        reason: format!("the pool {} does not trade {}", pool.swap, coin.mint),
    })
}

/// The venue of a configured pool: read from the chain, an spl-token-swap pool trading `coin`.
async fn configured_venue(
    ctx: &Ctx<'_>,
    field: &str,
    swap: Pubkey,
    coin: &Coin<'_>,
) -> Result<Venue, MigrateError> {
    let refused = |reason: String| MigrateError::Chain {
        step: field.to_string(),
        reason,
    };
    let (owner, data) = ctx
        .sender
        .owner_and_data(&swap)
        .await
        .map_err(|e| refused(format!("read {swap}: {e}")))?
        .ok_or_else(|| refused(format!("the pool {swap} does not exist")))?;
    amm::Pool::parse(swap, &data)
        .filter(|_| owner == amm::SWAP_PROGRAM_ID)
        .and_then(|pool| pool.venue(&coin.mint))
        .ok_or_else(|| {
            refused(format!(
                "{swap} is not an spl-token-swap pool trading {}",
                coin.mint
            ))
        })
}

/// Creates the local network's `pool` of `coin` in three transactions, each skipped when the
/// account it creates first already exists: the vaults (owned by the swap authority) funded
/// from the deployer; the pool mint with the fee and LP accounts; the swap account.
async fn create_pool(
    ctx: &Ctx<'_>,
    step: &str,
    coin: &Coin<'_>,
    pool: &amm::Pool,
) -> Result<Outcome, MigrateError> {
    use anchor_spl::token::spl_token;
    let network_mint = rewards_ix::mint_pda().0;
    let key = |role: &str| pool_keypair(&coin.config.symbol, role);
    let token = spl_token::ID;
    let account_len = spl_token::state::Account::LEN;
    let mint_len = spl_token::state::Mint::LEN;
    let init_account = |account: &Pubkey, mint: &Pubkey, owner: &Pubkey| {
        spl_token::instruction::initialize_account3(&token, account, mint, owner)
            .map_err(|e| token_ix_error(step, e))
    };
    // 1. The vaults, funded.
    if !exists(ctx.sender, "pool vault", &pool.vault_a).await? {
        let ixs = vec![
            create_account(ctx, step, &pool.vault_a, account_len, &token).await?,
            init_account(&pool.vault_a, &network_mint, &pool.authority)?,
            create_account(ctx, step, &pool.vault_b, account_len, &token).await?,
            init_account(&pool.vault_b, &coin.mint, &pool.authority)?,
            depin_client::builders::transfer_checked(
                TokenProgram::SplToken,
                &rewards_ix::genesis_pda().0,
                &network_mint,
                &pool.vault_a,
                &ctx.me,
                coin.config.pool_tokens,
                ctx.config.network.decimals,
            ),
            depin_client::builders::mint_to(
                TokenProgram::SplToken,
                &coin.mint,
                &pool.vault_b,
                &ctx.me,
                coin.config.pool_stablecoins,
            ),
        ];
        ctx.send(step, &ixs, &[&key("vault-a"), &key("vault-b")])
            .await?;
    }
    // 2. The pool mint, the fee account and the deployer's LP account.
    let lp = key("lp");
    if !exists(ctx.sender, "pool mint", &pool.pool_mint).await? {
        let ixs = vec![
            create_account(ctx, step, &pool.pool_mint, mint_len, &token).await?,
            spl_token::instruction::initialize_mint2(
                &token,
                &pool.pool_mint,
                &pool.authority,
                None,
                2,
            )
            .map_err(|e| token_ix_error(step, e))?,
            create_account(ctx, step, &pool.fee_account, account_len, &token).await?,
            init_account(&pool.fee_account, &pool.pool_mint, &ctx.me)?,
            create_account(ctx, step, &lp.pubkey(), account_len, &token).await?,
            init_account(&lp.pubkey(), &pool.pool_mint, &ctx.me)?,
        ];
        ctx.send(step, &ixs, &[&key("pool-mint"), &key("fee"), &lp])
            .await?;
    }
    // 3. The swap account.
    let ixs = vec![
        create_account(
            ctx,
            step,
            &pool.swap,
            amm::SWAP_ACCOUNT_LEN,
            &amm::SWAP_PROGRAM_ID,
        )
        .await?,
        pool.initialize_ix(lp.pubkey()),
    ];
    ctx.send(step, &ixs, &[&key("swap")])
        .await
        .map_err(MigrateError::from)
}
