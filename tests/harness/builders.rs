//! Instruction builders for the protocol programs: the PDAs and the default (correct) account
//! set of each instruction. Tests substitute single accounts to check refusals; the bench and
//! the demo use them as they are.

use anchor_lang::prelude::Pubkey;

use crate::{Instruction, TestEnv, TokenProgram};

pub use depin_client::builders::{DeploymentKeys, associated_token_address};
pub use depin_client::builders::{ed25519, rewards_ix, staking_ix, treasury_ix};

/// One step of bringing up a fresh deployment: an instruction and the accounts it creates.
pub struct GenesisStep {
    pub program: &'static str,
    pub instruction: &'static str,
    pub ix: Instruction,
    /// `(label, address)` of each account the instruction creates.
    pub created: Vec<(&'static str, Pubkey)>,
}

/// The parameters of a fresh deployment.
#[derive(Clone, Debug)]
pub struct GenesisParams {
    pub token_program: TokenProgram,
    /// Governance key written into every config.
    pub governance: Pubkey,
    pub decimals: u8,
    /// Hard cap, in base units.
    pub max_supply: u64,
    /// Minted at creation into the genesis account, owned by `governance`; less than
    /// `max_supply`.
    pub genesis_supply: u64,
    /// Unix time at which epoch 0 starts.
    pub start_ts: i64,
}

/// The instructions that bring up the protocol, in order: the network (and its token mint),
/// staking (locking the network token), and the treasury. All are signed by `env.deployer`.
/// The bench measures these and the demo runs them, with the same defaults.
pub fn genesis(env: &TestEnv, p: &GenesisParams) -> Vec<GenesisStep> {
    let unit = 10u64.saturating_pow(u32::from(p.decimals));
    let mint = rewards_ix::mint_pda().0;
    vec![
        GenesisStep {
            program: "rewards",
            instruction: "initialize_network",
            ix: rewards_ix::initialize_network(
                rewards_ix::initialize_network_accounts(env, p.token_program, p.governance),
                rewards_ix::InitializeNetworkArgs {
                    genesis_supply: p.genesis_supply,
                    ..rewards_ix::network_args(p.governance, p.decimals, p.max_supply, p.start_ts)
                },
            ),
            created: vec![
                ("rewards network", rewards_ix::network_pda().0),
                ("network token mint", mint),
                ("rewards vault", rewards_ix::rewards_vault_pda().0),
                ("genesis account", rewards_ix::genesis_pda().0),
                ("oracle set (empty)", rewards_ix::oracle_set_pda().0),
            ],
        },
        GenesisStep {
            program: "staking",
            instruction: "initialize_staking",
            ix: staking_ix::initialize_staking(
                staking_ix::initialize_staking_accounts(env, p.token_program, mint),
                staking_ix::InitializeStakingArgs {
                    authority: p.governance,
                    max_lockup_secs: 4 * 365 * 86_400,
                    max_multiplier_bps: 1_000_000,
                    voting_mode: staking::state::VotingMode::Linear,
                    cooldown_secs: 7 * 86_400,
                    min_device_collateral: unit.saturating_mul(500),
                    max_slash_bps: 5_000,
                    appeal_secs: 3 * 86_400,
                    timelock_secs: 2 * 86_400,
                    revenue_stream_secs: 0,
                    realm: Pubkey::default(),
                },
            ),
            created: vec![
                ("staking config", staking_ix::config_pda().0),
                ("staking vault", staking_ix::vault_pda().0),
            ],
        },
        GenesisStep {
            program: "treasury",
            instruction: "initialize_treasury",
            ix: treasury_ix::initialize_treasury(
                treasury_ix::initialize_treasury_accounts(env, mint),
                treasury_ix::treasury_args(
                    p.governance,
                    crate::amm::SWAP_PROGRAM_ID,
                    treasury_ix::Roles {
                        payment_operator: p.governance,
                        service_operator: p.governance,
                        operations_owner: p.governance,
                    },
                ),
            ),
            created: vec![("treasury config", treasury_ix::treasury_pda().0)],
        },
    ]
}
