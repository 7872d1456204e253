//! The deployment config file (`migrations/localnet.toml` is the local network's). Every field
//! maps onto one `initialize_*` argument; amounts are in base units, durations in seconds, keys
//! in base58 or `"deployer"` (the key that runs the migration).

use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use serde::Deserialize;

/// Why a config file was refused. Each message names the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("{field}: {value:?} is not a base58 public key (or \"deployer\")")]
    BadKey { field: String, value: String },
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

/// The whole deployment.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `"spl-token"` or `"token-2022"`: the network token's program.
    pub token_program: TokenProgramName,
    pub network: NetworkConfig,
    pub oracles: OraclesConfig,
    #[serde(default)]
    pub makers: Vec<MakerConfig>,
    pub staking: StakingConfig,
    pub treasury: TreasuryConfig,
    #[serde(default)]
    pub governance: Option<GovernanceConfig>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TokenProgramName {
    SplToken,
    Token2022,
}

impl TokenProgramName {
    pub fn program(self) -> depin_client::builders::TokenProgram {
        match self {
            Self::SplToken => depin_client::builders::TokenProgram::SplToken,
            Self::Token2022 => depin_client::builders::TokenProgram::Token2022,
        }
    }
}

/// `rewards::initialize_network`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    pub authority: String,
    pub decimals: u8,
    pub max_supply: u64,
    /// Minted once when the network is created, into the genesis account (PDA `["genesis"]`);
    /// less than `max_supply`. Default 0.
    #[serde(default)]
    pub genesis_supply: u64,
    /// Owner of the genesis account: base58 or `"deployer"`. Default: the network authority.
    #[serde(default)]
    pub genesis_owner: Option<String>,
    /// Unix time of epoch 0, or `"now"` (the cluster's clock when the network is created).
    pub start: Start,
    pub epoch_secs: u64,
    pub initial_epoch_emission: u64,
    pub halving_interval_epochs: u64,
    pub mint_window_secs: u64,
    pub mint_window_threshold: u64,
    pub dispute_secs: u64,
    /// The oracles' input window (`Network::input_secs`).
    pub input_secs: u64,
    pub onboard_fee: u64,
    /// Burned per `update_location` (`Network::location_fee`); 0 if not given.
    #[serde(default)]
    pub location_fee: u64,
    pub timelock_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Start {
    At(i64),
    Now(NowTag),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NowTag {
    Now,
}

/// The oracle set, installed through the rewards timelock (`propose_change` now,
/// `apply_change` by a later run once the ETA has passed).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OraclesConfig {
    pub keys: Vec<String>,
    pub threshold: u8,
    pub bond_lamports: u64,
    pub challenger_bps: u16,
}

/// A device maker the network authority approves.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MakerConfig {
    pub name: String,
    pub key: String,
}

/// `staking::initialize_staking`, and `initialize_revenue` for the stablecoin whose symbol is
/// `revenue_symbol`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StakingConfig {
    pub authority: String,
    pub max_lockup_secs: u64,
    pub max_multiplier_bps: u32,
    /// `"linear"` or `"quadratic"`.
    pub voting_mode: String,
    pub cooldown_secs: u64,
    pub min_device_collateral: u64,
    pub max_slash_bps: u16,
    pub appeal_secs: u64,
    /// Delay of a staking parameter change (`propose_change` to `apply_change`), in seconds.
    pub timelock_secs: u64,
    /// How long arriving revenue streams to stakers, in seconds (0: at once).
    pub revenue_stream_secs: u64,
    pub revenue_symbol: String,
}

/// The DAO: an spl-governance realm over the network token whose community votes are weighed by
/// the staking program (its voter-weight addin), and one governance, of the staking config,
/// whose PDA a config may name as its authority with `"dao"`. Without this section there is no
/// realm and staking weighs no votes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceConfig {
    /// The realm's name (its address is derived from it).
    pub realm_name: String,
    /// Who may change the realm's own configuration (a key or `"deployer"`).
    pub realm_authority: String,
    /// The maximum voter weight, in staking voter-weight units (base units × lock multiplier,
    /// or their quadratic form): what `yes_vote_percentage` is a share of. A fixed number rather
    /// than the token supply, most of which does not vote (raised to the votes cast if they
    /// exceed it).
    pub max_voter_weight: u64,
    /// Percentage (1 to 100) of the maximum voter weight a proposal needs.
    pub yes_vote_percentage: u8,
    /// Voter weight needed to create a proposal.
    pub min_weight_to_create_proposal: u64,
    /// How long a vote stays open, in seconds.
    pub voting_base_time_secs: u32,
    /// The least a passed proposal's transaction waits after the vote, in seconds.
    pub min_transaction_hold_up_secs: u32,
    /// `"strict"`, `"early"` or `"disabled"`: when a vote may end before its time
    /// (`depin_client::builders::governance::Tipping`).
    pub tipping: String,
}

impl GovernanceConfig {
    /// The realm's address.
    pub fn realm(&self) -> Pubkey {
        depin_client::builders::governance::realm_pda(&self.realm_name)
    }

    /// The governance of the staking config in the realm: the key `"dao"` names.
    pub fn dao(&self) -> Pubkey {
        let staking_config = depin_client::builders::staking_ix::config_pda().0;
        depin_client::builders::governance::governance_pda(&self.realm(), &staking_config)
    }

    /// The voting rules.
    pub fn rules(&self) -> depin_client::builders::governance::VotingRules {
        use depin_client::builders::governance::{Tipping, VotingRules};
        VotingRules {
            yes_vote_percentage: self.yes_vote_percentage,
            min_weight_to_create_proposal: self.min_weight_to_create_proposal,
            min_transaction_hold_up_time: self.min_transaction_hold_up_secs,
            voting_base_time: self.voting_base_time_secs,
            tipping: match self.tipping.as_str() {
                "early" => Tipping::Early,
                "disabled" => Tipping::Disabled,
                _ => Tipping::Strict,
            },
        }
    }
}

/// `treasury::initialize_treasury`, its stablecoins and the service-credits mint.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreasuryConfig {
    pub authority: String,
    pub buyback_bps: u16,
    pub stakers_bps: u16,
    pub operations_bps: u16,
    pub timelock_secs: u64,
    /// The Pyth token/USD feed id, 32 bytes in hex.
    pub price_feed_id: String,
    /// The oldest price update the treasury accepts, in seconds (default: 60, what a mainnet
    /// deployment should use; the local network, whose price is written once at genesis, sets an
    /// hour, the program's cap).
    #[serde(default = "default_price_max_age_secs")]
    pub price_max_age_secs: u64,
    pub price_max_conf_bps: u16,
    pub price_conf_multiple_bps: u32,
    pub max_slippage_bps: u16,
    pub amm_program: String,
    pub buyback_epoch_secs: u64,
    pub payment_operator: String,
    pub service_operator: String,
    pub operations_owner: String,
    pub credits_per_usd: u64,
    #[serde(default)]
    pub stablecoins: Vec<StablecoinConfig>,
}

/// A stablecoin the treasury accepts. On a local network the migration can create its mint
/// from a keypair file (`create_with_keypair`), with the deployer as mint authority, so the
/// fleet simulator can pay with it; elsewhere `mint` names the existing mint.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StablecoinConfig {
    pub symbol: String,
    #[serde(default)]
    pub mint: Option<String>,
    #[serde(default)]
    pub create_with_keypair: Option<PathBuf>,
    pub decimals: u8,
    pub token_program: TokenProgramName,
    pub buyback_cap_per_epoch: u64,
    /// The AMM pool the buyback must route through: its address (base58), `"none"` until one
    /// exists, or `"create"` (a local network): the migration creates a spl-token-swap
    /// constant-product pool between the network token and this coin, at keys derived from the
    /// coin's symbol, seeded by the deployer with `pool_tokens` of the network token (from the
    /// genesis account it owns) and `pool_stablecoins` of this coin (which it mints: the coin
    /// needs `create_with_keypair`).
    pub amm_pool: String,
    /// With `amm_pool = "create"`: the network token the pool starts with, base units.
    #[serde(default)]
    pub pool_tokens: u64,
    /// With `amm_pool = "create"`: this coin the pool starts with, base units.
    #[serde(default)]
    pub pool_stablecoins: u64,
}

impl Config {
    /// Reads and checks a config file. Relative keypair paths are taken from the file's folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for coin in &mut config.treasury.stablecoins {
            if let Some(keypair) = &coin.create_with_keypair
                && keypair.is_relative()
            {
                coin.create_with_keypair = Some(base.join(keypair));
            }
        }
        config.check()?;
        Ok(config)
    }

    /// The checks that need no chain: each stablecoin names its mint one way, the revenue coin
    /// exists, the oracle threshold fits. The programs check every bound again.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, reason: &str| ConfigError::Invalid {
            field: field.to_string(),
            reason: reason.to_string(),
        };
        if self.oracles.threshold == 0
            || usize::from(self.oracles.threshold) > self.oracles.keys.len()
        {
            return Err(invalid(
                "oracles.threshold",
                "must be between 1 and the number of oracle keys",
            ));
        }
        for (i, coin) in self.treasury.stablecoins.iter().enumerate() {
            if coin.mint.is_some() == coin.create_with_keypair.is_some() {
                return Err(invalid(
                    &format!("treasury.stablecoins[{i}] ({})", coin.symbol),
                    "give exactly one of `mint` and `create_with_keypair`",
                ));
            }
            if coin.amm_pool == "create" {
                let field = format!("treasury.stablecoins[{i}].amm_pool");
                if coin.create_with_keypair.is_none() {
                    return Err(invalid(
                        &field,
                        "\"create\" needs `create_with_keypair` (the migration mints the \
                         pool's coins)",
                    ));
                }
                if coin.pool_tokens == 0 || coin.pool_stablecoins == 0 {
                    return Err(invalid(
                        &field,
                        "\"create\" needs `pool_tokens` and `pool_stablecoins` above 0",
                    ));
                }
                if !matches!(self.token_program, TokenProgramName::SplToken)
                    || !matches!(coin.token_program, TokenProgramName::SplToken)
                {
                    return Err(invalid(
                        &field,
                        "spl-token-swap 3.0.0 pools hold SPL Token mints only",
                    ));
                }
            } else if coin.pool_tokens != 0 || coin.pool_stablecoins != 0 {
                return Err(invalid(
                    &format!("treasury.stablecoins[{i}].pool_tokens"),
                    "only with amm_pool = \"create\"",
                ));
            }
        }
        if !self
            .treasury
            .stablecoins
            .iter()
            .any(|c| c.symbol == self.staking.revenue_symbol)
        {
            return Err(invalid(
                "staking.revenue_symbol",
                "names no stablecoin in [[treasury.stablecoins]]",
            ));
        }
        if !matches!(self.staking.voting_mode.as_str(), "linear" | "quadratic") {
            return Err(invalid(
                "staking.voting_mode",
                "must be \"linear\" or \"quadratic\"",
            ));
        }
        self.check_governance()?;
        let feed = hex::decode(&self.treasury.price_feed_id).ok();
        if feed.is_none_or(|f| f.len() != 32) {
            return Err(invalid(
                "treasury.price_feed_id",
                "must be 32 bytes in hex (64 hex digits)",
            ));
        }
        Ok(())
    }
}

impl Config {
    /// The `[governance]` section's values, and `"dao"` only where that section exists.
    fn check_governance(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, reason: &str| ConfigError::Invalid {
            field: field.to_string(),
            reason: reason.to_string(),
        };
        let authorities = [
            ("network.authority", &self.network.authority),
            ("staking.authority", &self.staking.authority),
            ("treasury.authority", &self.treasury.authority),
        ];
        let Some(g) = &self.governance else {
            return match authorities.iter().find(|(_, v)| v.as_str() == "dao") {
                Some((field, _)) => Err(invalid(field, "\"dao\" needs a [governance] section")),
                None => Ok(()),
            };
        };
        if !(1..=100).contains(&g.yes_vote_percentage) {
            return Err(invalid(
                "governance.yes_vote_percentage",
                "must be 1 to 100",
            ));
        }
        if !matches!(g.tipping.as_str(), "strict" | "early" | "disabled") {
            return Err(invalid(
                "governance.tipping",
                "must be \"strict\", \"early\" or \"disabled\"",
            ));
        }
        if g.realm_name.is_empty() || g.realm_name.len() > 32 {
            return Err(invalid("governance.realm_name", "must be 1 to 32 bytes"));
        }
        Ok(())
    }
}

/// A key field: base58, or `"deployer"` for the key running the migration (and, resolved by the
/// migration, `"dao"` for the `[governance]` section's governance).
pub fn key(field: &str, value: &str, deployer: &Pubkey) -> Result<Pubkey, ConfigError> {
    if value == "deployer" {
        return Ok(*deployer);
    }
    value.parse().map_err(|_| ConfigError::BadKey {
        field: field.to_string(),
        value: value.to_string(),
    })
}

/// The 32-byte feed id (checked by [`Config::check`]).
pub fn feed_id(hex_id: &str) -> [u8; 32] {
    let mut id = [0u8; 32];
    if let Ok(bytes) = hex::decode(hex_id)
        && bytes.len() == 32
    {
        id.copy_from_slice(&bytes);
    }
    id
}

/// `treasury.price_max_age_secs` when the config leaves it out: one minute.
fn default_price_max_age_secs() -> u64 {
    60
}
