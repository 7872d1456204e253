//! Builders for the `treasury` program.

use super::*;
use treasury::constants::{
    BOUGHT_SEED, CHANGE_SEED, CREDITS_SEED, STABLECOIN_SEED, TREASURY_SEED, VAULT_SEED,
};
pub use treasury::instructions::{
    AddStablecoinArgs, BuyClaimArgs, BuybackArgs, ConsumeCreditsArgs, InitializeTreasuryArgs,
    PayArgs, PayForArgs,
};
pub use treasury::state::{BuybackConfig, PriceConfig, Roles, SplitBps, TreasuryUpdate, Venue};

pub fn treasury_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[TREASURY_SEED], &treasury::ID)
}

pub fn stablecoin_pda(mint: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[STABLECOIN_SEED, mint.as_ref()], &treasury::ID)
}

pub fn vault_pda(mint: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT_SEED, mint.as_ref()], &treasury::ID)
}

pub fn bought_pda(mint: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[BOUGHT_SEED, mint.as_ref()], &treasury::ID)
}

pub fn credits_mint_pda() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[CREDITS_SEED], &treasury::ID)
}

pub fn change_pda(id: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[CHANGE_SEED, &id.to_le_bytes()], &treasury::ID)
}

/// The feed id the tests pin (any 32 bytes; Pyth's are hashes of the symbol).
pub const FEED_ID: [u8; 32] = [0x7e; 32];

/// The default arguments: split 60/30/10, a 2-day timelock, the price hardened with a 60 s
/// maximum age, confidence at most 2%, k = 1 and 3% slippage, daily buyback epochs on `amm`,
/// 100,000 credits per USD.
pub fn treasury_args(authority: Pubkey, amm: Pubkey, roles: Roles) -> InitializeTreasuryArgs {
    InitializeTreasuryArgs {
        authority,
        split: SplitBps {
            buyback_bps: 6_000,
            stakers_bps: 3_000,
            operations_bps: 1_000,
        },
        timelock_secs: 2 * 86_400,
        price: PriceConfig {
            feed_id: FEED_ID,
            max_age_secs: 60,
            max_conf_bps: 200,
            conf_multiple_bps: 10_000,
            max_slippage_bps: 300,
        },
        buyback: BuybackConfig {
            amm_program: amm,
            epoch_secs: 86_400,
        },
        roles,
        credits_per_usd: 100_000,
    }
}

pub fn initialize_treasury_accounts(
    env: &impl Deployment,
    network_mint: Pubkey,
) -> treasury::accounts::InitializeTreasury {
    treasury::accounts::InitializeTreasury {
        payer: env.payer(),
        upgrade_authority: env.deployer(),
        this_program: treasury::ID,
        program_data: program_data_address(&treasury::ID),
        treasury: treasury_pda().0,
        network_mint,
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

pub fn initialize_treasury(
    accounts: treasury::accounts::InitializeTreasury,
    args: InitializeTreasuryArgs,
) -> Instruction {
    anchor_ix(
        treasury::ID,
        accounts,
        treasury::instruction::InitializeTreasury { args },
    )
}

#[allow(clippy::too_many_arguments)]
pub fn add_stablecoin_accounts(
    env: &impl Deployment,
    authority: Pubkey,
    mint: Pubkey,
    token_program: TokenProgram,
    network_mint: Pubkey,
    network_token_program: TokenProgram,
    stakers_destination: Option<Pubkey>,
) -> treasury::accounts::AddStablecoin {
    treasury::accounts::AddStablecoin {
        payer: env.payer(),
        authority,
        treasury: treasury_pda().0,
        mint,
        stablecoin: stablecoin_pda(&mint).0,
        vault: vault_pda(&mint).0,
        network_mint,
        bought: bought_pda(&mint).0,
        stakers_destination,
        token_program: token_program.id(),
        network_token_program: network_token_program.id(),
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

pub fn add_stablecoin(
    accounts: treasury::accounts::AddStablecoin,
    args: AddStablecoinArgs,
) -> Instruction {
    anchor_ix(
        treasury::ID,
        accounts,
        treasury::instruction::AddStablecoin { args },
    )
}

pub fn pay_accounts(
    payer: Pubkey,
    mint: Pubkey,
    token_program: TokenProgram,
    payer_tokens: Pubkey,
) -> treasury::accounts::Pay {
    treasury::accounts::Pay {
        payer,
        treasury: treasury_pda().0,
        stablecoin: stablecoin_pda(&mint).0,
        mint,
        vault: vault_pda(&mint).0,
        payer_tokens,
        token_program: token_program.id(),
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

pub fn pay(accounts: treasury::accounts::Pay, args: PayArgs) -> Instruction {
    anchor_ix(treasury::ID, accounts, treasury::instruction::Pay { args })
}

pub fn pay_for_accounts(
    operator: Pubkey,
    mint: Pubkey,
    token_program: TokenProgram,
    operator_tokens: Pubkey,
) -> treasury::accounts::PayFor {
    treasury::accounts::PayFor {
        operator,
        treasury: treasury_pda().0,
        stablecoin: stablecoin_pda(&mint).0,
        mint,
        vault: vault_pda(&mint).0,
        operator_tokens,
        token_program: token_program.id(),
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

pub fn pay_for(accounts: treasury::accounts::PayFor, args: PayForArgs) -> Instruction {
    anchor_ix(
        treasury::ID,
        accounts,
        treasury::instruction::PayFor { args },
    )
}

/// `buyback`'s named accounts; `venue` is the coin's pinned venue (`Stablecoin::venue`).
pub fn buyback_accounts(
    stable_mint: Pubkey,
    network_mint: Pubkey,
    network_token_program: TokenProgram,
    price_update: Pubkey,
    amm_program: Pubkey,
    venue: &treasury::state::Venue,
) -> treasury::accounts::Buyback {
    treasury::accounts::Buyback {
        treasury: treasury_pda().0,
        stablecoin: stablecoin_pda(&stable_mint).0,
        vault: vault_pda(&stable_mint).0,
        network_mint,
        bought: bought_pda(&stable_mint).0,
        price_update,
        amm_program,
        pool_quote_reserve: venue.quote_reserve,
        pool_token_reserve: venue.token_reserve,
        network_token_program: network_token_program.id(),
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

/// `buyback` with the swap's accounts appended (forwarded to the AMM as remaining accounts).
pub fn buyback(
    accounts: treasury::accounts::Buyback,
    args: BuybackArgs,
    swap_accounts: Vec<anchor_lang::prelude::AccountMeta>,
) -> Instruction {
    let mut ix = anchor_ix(
        treasury::ID,
        accounts,
        treasury::instruction::Buyback { args },
    );
    ix.accounts.extend(swap_accounts);
    ix
}

/// What a claim in a stablecoin names of the treasury: the coin, its token program, the network
/// token's program, the price update and the coin's pinned venue (its reserves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StableClaimVenue {
    pub stable_mint: Pubkey,
    pub stable_token_program: TokenProgram,
    pub network_token_program: TokenProgram,
    pub price_update: Pubkey,
    pub venue: treasury::state::Venue,
}

/// `buy_claim`'s accounts, signed by `claim_authority` (only the rewards program's
/// `["stable_claim"]` PDA is accepted: the program tests call it directly to see others refused).
pub fn buy_claim_accounts(
    claim_authority: Pubkey,
    claimant: Pubkey,
    destination: Pubkey,
    network_mint: Pubkey,
    v: &StableClaimVenue,
) -> treasury::accounts::BuyClaim {
    treasury::accounts::BuyClaim {
        claim_authority,
        treasury: treasury_pda().0,
        stablecoin: stablecoin_pda(&v.stable_mint).0,
        vault: vault_pda(&v.stable_mint).0,
        stable_mint: v.stable_mint,
        claimant,
        destination,
        network_mint,
        bought: bought_pda(&v.stable_mint).0,
        price_update: v.price_update,
        pool_quote_reserve: v.venue.quote_reserve,
        pool_token_reserve: v.venue.token_reserve,
        stable_token_program: v.stable_token_program.id(),
        network_token_program: v.network_token_program.id(),
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

pub fn buy_claim(accounts: treasury::accounts::BuyClaim, args: BuyClaimArgs) -> Instruction {
    anchor_ix(
        treasury::ID,
        accounts,
        treasury::instruction::BuyClaim { args },
    )
}

pub fn route_to_stakers(
    mint: Pubkey,
    token_program: TokenProgram,
    stakers_destination: Pubkey,
) -> Instruction {
    anchor_ix(
        treasury::ID,
        treasury::accounts::RouteToStakers {
            stablecoin: stablecoin_pda(&mint).0,
            mint,
            vault: vault_pda(&mint).0,
            stakers_destination,
            token_program: token_program.id(),
            event_authority: event_authority(&treasury::ID),
            program: treasury::ID,
        },
        treasury::instruction::RouteToStakers {},
    )
}

pub fn sweep_operations(
    mint: Pubkey,
    token_program: TokenProgram,
    destination: Pubkey,
) -> Instruction {
    anchor_ix(
        treasury::ID,
        treasury::accounts::SweepOperations {
            treasury: treasury_pda().0,
            stablecoin: stablecoin_pda(&mint).0,
            mint,
            vault: vault_pda(&mint).0,
            destination,
            token_program: token_program.id(),
            event_authority: event_authority(&treasury::ID),
            program: treasury::ID,
        },
        treasury::instruction::SweepOperations {},
    )
}

pub fn initialize_credits_accounts(
    env: &impl Deployment,
    authority: Pubkey,
) -> treasury::accounts::InitializeCredits {
    treasury::accounts::InitializeCredits {
        payer: env.payer(),
        authority,
        treasury: treasury_pda().0,
        credits_mint: credits_mint_pda().0,
        token_2022_program: TokenProgram::Token2022.id(),
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

pub fn initialize_credits(accounts: treasury::accounts::InitializeCredits) -> Instruction {
    anchor_ix(
        treasury::ID,
        accounts,
        treasury::instruction::InitializeCredits {},
    )
}

pub fn burn_for_credits_accounts(
    owner: Pubkey,
    network_mint: Pubkey,
    network_token_program: TokenProgram,
    owner_tokens: Pubkey,
    price_update: Pubkey,
    credits_account: Pubkey,
) -> treasury::accounts::BurnForCredits {
    treasury::accounts::BurnForCredits {
        owner,
        treasury: treasury_pda().0,
        network_mint,
        owner_tokens,
        price_update,
        credits_mint: credits_mint_pda().0,
        credits_account,
        network_token_program: network_token_program.id(),
        token_2022_program: TokenProgram::Token2022.id(),
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

pub fn burn_for_credits(accounts: treasury::accounts::BurnForCredits, amount: u64) -> Instruction {
    anchor_ix(
        treasury::ID,
        accounts,
        treasury::instruction::BurnForCredits { amount },
    )
}

pub fn consume_credits_accounts(
    service_operator: Pubkey,
    credits_account: Pubkey,
) -> treasury::accounts::ConsumeCredits {
    treasury::accounts::ConsumeCredits {
        service_operator,
        treasury: treasury_pda().0,
        credits_mint: credits_mint_pda().0,
        credits_account,
        token_2022_program: TokenProgram::Token2022.id(),
        event_authority: event_authority(&treasury::ID),
        program: treasury::ID,
    }
}

pub fn consume_credits(
    accounts: treasury::accounts::ConsumeCredits,
    args: ConsumeCreditsArgs,
) -> Instruction {
    anchor_ix(
        treasury::ID,
        accounts,
        treasury::instruction::ConsumeCredits { args },
    )
}

pub fn propose_change(
    proposer: Pubkey,
    authority: Pubkey,
    id: u64,
    update: TreasuryUpdate,
) -> Instruction {
    anchor_ix(
        treasury::ID,
        treasury::accounts::ProposeChange {
            proposer,
            authority,
            treasury: treasury_pda().0,
            change: change_pda(id).0,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(&treasury::ID),
            program: treasury::ID,
        },
        treasury::instruction::ProposeChange { update },
    )
}

pub fn apply_change(id: u64, proposer: Pubkey, stablecoin: Option<Pubkey>) -> Instruction {
    anchor_ix(
        treasury::ID,
        treasury::accounts::ApplyChange {
            treasury: treasury_pda().0,
            change: change_pda(id).0,
            proposer,
            stablecoin,
            event_authority: event_authority(&treasury::ID),
            program: treasury::ID,
        },
        treasury::instruction::ApplyChange {},
    )
}

pub fn cancel_change(authority: Pubkey, id: u64, proposer: Pubkey) -> Instruction {
    anchor_ix(
        treasury::ID,
        treasury::accounts::CancelChange {
            authority,
            treasury: treasury_pda().0,
            change: change_pda(id).0,
            proposer,
            event_authority: event_authority(&treasury::ID),
            program: treasury::ID,
        },
        treasury::instruction::CancelChange {},
    )
}

pub fn set_stablecoin_enabled(authority: Pubkey, mint: Pubkey, enabled: bool) -> Instruction {
    anchor_ix(
        treasury::ID,
        treasury::accounts::SetStablecoinEnabled {
            authority,
            treasury: treasury_pda().0,
            stablecoin: stablecoin_pda(&mint).0,
            event_authority: event_authority(&treasury::ID),
            program: treasury::ID,
        },
        treasury::instruction::SetStablecoinEnabled { enabled },
    )
}
