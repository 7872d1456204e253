//! The stablecoins' mints: each configured by address, or (on a local network) created from
//! its keypair file.

use anchor_lang::solana_program::program_pack::Pack;
use depin_client::accounts::AccountSource;
use depin_client::solana_keypair::read_keypair_file;
use depin_client::solana_signer::Signer;

use super::{Coin, Ctx, Diff, create_account, token_ix_error};
use crate::MigrateError;
use crate::config::Config;

/// Resolves each stablecoin's mint, creating it on a local network from its keypair file.
pub(super) async fn stablecoin_mints<'a>(ctx: &mut Ctx<'a>) -> Result<Vec<Coin<'a>>, MigrateError> {
    let mut coins = Vec::new();
    let config: &'a Config = ctx.config;
    for (i, coin) in config.treasury.stablecoins.iter().enumerate() {
        let token_program = coin.token_program.program();
        let Some(path) = &coin.create_with_keypair else {
            let field = format!("treasury.stablecoins[{i}].mint");
            let mint = ctx.key(&field, coin.mint.as_deref().unwrap_or_default())?;
            coins.push(Coin {
                config: coin,
                mint,
                token_program,
            });
            continue;
        };
        let step = format!("tokens: create {} mint", coin.symbol);
        let keypair = read_keypair_file(path).map_err(|e| MigrateError::Chain {
            step: step.clone(),
            reason: format!("read {}: {e}", path.display()),
        })?;
        let mint = keypair.pubkey();
        let account = ctx
            .sender
            .owner_and_data(&mint)
            .await
            .map_err(|e| MigrateError::Chain {
                step: step.clone(),
                reason: format!("read {mint}: {e}"),
            })?;
        let outcome = match account {
            Some((owner, data)) => {
                let mut d = Diff::default();
                d.check(
                    &format!("treasury.stablecoins[{i}].token_program"),
                    owner,
                    token_program.id(),
                );
                let decimals = data.get(44).copied();
                d.check(
                    &format!("treasury.stablecoins[{i}].decimals"),
                    decimals,
                    Some(coin.decimals),
                );
                d.outcome()
            }
            None => {
                let len = anchor_spl::token::spl_token::state::Mint::LEN;
                let create = create_account(ctx, &step, &mint, len, &token_program.id()).await?;
                let init = anchor_spl::token_2022::spl_token_2022::instruction::initialize_mint2(
                    &token_program.id(),
                    &mint,
                    &ctx.me,
                    None,
                    coin.decimals,
                )
                .map_err(|e| token_ix_error(&step, e))?;
                ctx.send(&step, &[create, init], &[&keypair]).await?
            }
        };
        ctx.report.push(step, outcome);
        coins.push(Coin {
            config: coin,
            mint,
            token_program,
        });
    }
    Ok(coins)
}
