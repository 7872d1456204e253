//! Every parameter change each program's governance may queue, as `depin gov propose
//! <program> <param> <value...>` spells it: one clap subcommand per variant of the program's
//! update enum (`rewards::state::ParamUpdate`, `staking::state::StakingUpdate`,
//! `treasury::state::TreasuryUpdate`), with a conversion each way. The conversion from the
//! program's enum is an exhaustive `match`, so a variant added to a program does not compile
//! until it has its subcommand here (and `gov list` can show every change it finds).

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use rewards::state::ParamUpdate;
use staking::state::{StakingUpdate, VotingMode};
use treasury::state::{BuybackConfig, PriceConfig, Roles, SplitBps, TreasuryUpdate, Venue};

/// A rewards-network parameter (`rewards::state::ParamUpdate`).
#[derive(Subcommand, Clone, Debug, PartialEq, Eq)]
pub enum RewardsParam {
    /// Replace the oracle set (its version bumps, voiding every vote not yet final).
    OracleSet {
        /// Votes needed for a root.
        threshold: u8,
        /// Lamports each oracle bonds.
        bond: u64,
        /// The challenger's share of an oracle's slash, in bps.
        challenger_bps: u16,
        /// The oracles' keys (up to 16).
        #[arg(required = true)]
        oracles: Vec<Pubkey>,
    },
    /// The dispute window after a root is proposed, in seconds (at most half an epoch).
    DisputeSecs { secs: u64 },
    /// The oracles' input window, in seconds (at most a quarter of an epoch).
    InputSecs { secs: u64 },
    /// The onboarding fee burned per device, in network token base units.
    OnboardFee { fee: u64 },
    /// The mint circuit breaker: its window in seconds and the most minted in it.
    MintWindow { window_secs: u64, threshold: u64 },
    /// The network's governance key.
    Authority { authority: Pubkey },
    /// The delay between proposing and applying a change, in seconds (1 hour to 30 days).
    TimelockSecs { secs: u64 },
    /// The fee burned for each `device update-location`, in network token base units.
    LocationFee { fee: u64 },
}

impl From<RewardsParam> for ParamUpdate {
    fn from(p: RewardsParam) -> Self {
        match p {
            RewardsParam::OracleSet {
                threshold,
                bond,
                challenger_bps,
                oracles,
            } => Self::OracleSet {
                oracles,
                threshold,
                bond,
                challenger_bps,
            },
            RewardsParam::DisputeSecs { secs } => Self::DisputeSecs { secs },
            RewardsParam::InputSecs { secs } => Self::InputSecs { secs },
            RewardsParam::OnboardFee { fee } => Self::OnboardFee { fee },
            RewardsParam::LocationFee { fee } => Self::LocationFee { fee },
            RewardsParam::MintWindow {
                window_secs,
                threshold,
            } => Self::MintWindow {
                window_secs,
                threshold,
            },
            RewardsParam::Authority { authority } => Self::Authority { authority },
            RewardsParam::TimelockSecs { secs } => Self::TimelockSecs { secs },
        }
    }
}

impl From<&ParamUpdate> for RewardsParam {
    fn from(u: &ParamUpdate) -> Self {
        match u.clone() {
            ParamUpdate::OracleSet {
                oracles,
                threshold,
                bond,
                challenger_bps,
            } => Self::OracleSet {
                threshold,
                bond,
                challenger_bps,
                oracles,
            },
            ParamUpdate::DisputeSecs { secs } => Self::DisputeSecs { secs },
            ParamUpdate::InputSecs { secs } => Self::InputSecs { secs },
            ParamUpdate::OnboardFee { fee } => Self::OnboardFee { fee },
            ParamUpdate::LocationFee { fee } => Self::LocationFee { fee },
            ParamUpdate::MintWindow {
                window_secs,
                threshold,
            } => Self::MintWindow {
                window_secs,
                threshold,
            },
            ParamUpdate::Authority { authority } => Self::Authority { authority },
            ParamUpdate::TimelockSecs { secs } => Self::TimelockSecs { secs },
        }
    }
}

/// How the staking program weighs votes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Voting {
    Linear,
    Quadratic,
}

/// A staking parameter (`staking::state::StakingUpdate`).
#[derive(Subcommand, Clone, Debug, PartialEq, Eq)]
pub enum StakingParam {
    /// The staking config's governance key.
    Authority { authority: Pubkey },
    /// How votes are weighed.
    VotingMode {
        #[arg(value_enum)]
        mode: Voting,
    },
    /// The longest lock, in seconds (1 s to 10 years).
    MaxLockupSecs { secs: u64 },
    /// The multiplier of the longest lock, in bps (10,000 = 1x to 1,000,000 = 100x).
    MaxMultiplierBps { bps: u32 },
    /// The unstaking cooldown, in seconds (3 days to 1 year).
    CooldownSecs { secs: u64 },
    /// The collateral per device, in network token base units.
    MinDeviceCollateral { amount: u64 },
    /// The largest slash, in bps of a position (1 to 5,000).
    MaxSlashBps { bps: u16 },
    /// A slash's appeal window, in seconds (1 s to 30 days).
    AppealSecs { secs: u64 },
    /// The delay between proposing and applying a change, in seconds (1 hour to 30 days).
    TimelockSecs { secs: u64 },
    /// How long arriving revenue streams to stakers, in seconds (0 to 30 days).
    RevenueStreamSecs { secs: u64 },
    /// The spl-governance realm whose votes the program weighs (11111111111111111111111111111111:
    /// none).
    Realm { realm: Pubkey },
}

impl From<StakingParam> for StakingUpdate {
    fn from(p: StakingParam) -> Self {
        match p {
            StakingParam::Authority { authority } => Self::Authority(authority),
            StakingParam::VotingMode { mode } => Self::VotingMode(match mode {
                Voting::Linear => VotingMode::Linear,
                Voting::Quadratic => VotingMode::Quadratic,
            }),
            StakingParam::MaxLockupSecs { secs } => Self::MaxLockupSecs(secs),
            StakingParam::MaxMultiplierBps { bps } => Self::MaxMultiplierBps(bps),
            StakingParam::CooldownSecs { secs } => Self::CooldownSecs(secs),
            StakingParam::MinDeviceCollateral { amount } => Self::MinDeviceCollateral(amount),
            StakingParam::MaxSlashBps { bps } => Self::MaxSlashBps(bps),
            StakingParam::AppealSecs { secs } => Self::AppealSecs(secs),
            StakingParam::TimelockSecs { secs } => Self::TimelockSecs(secs),
            StakingParam::RevenueStreamSecs { secs } => Self::RevenueStreamSecs(secs),
            StakingParam::Realm { realm } => Self::Realm(realm),
        }
    }
}

impl From<&StakingUpdate> for StakingParam {
    fn from(u: &StakingUpdate) -> Self {
        match *u {
            StakingUpdate::Authority(authority) => Self::Authority { authority },
            StakingUpdate::VotingMode(mode) => Self::VotingMode {
                mode: match mode {
                    VotingMode::Linear => Voting::Linear,
                    VotingMode::Quadratic => Voting::Quadratic,
                },
            },
            StakingUpdate::MaxLockupSecs(secs) => Self::MaxLockupSecs { secs },
            StakingUpdate::MaxMultiplierBps(bps) => Self::MaxMultiplierBps { bps },
            StakingUpdate::CooldownSecs(secs) => Self::CooldownSecs { secs },
            StakingUpdate::MinDeviceCollateral(amount) => Self::MinDeviceCollateral { amount },
            StakingUpdate::MaxSlashBps(bps) => Self::MaxSlashBps { bps },
            StakingUpdate::AppealSecs(secs) => Self::AppealSecs { secs },
            StakingUpdate::TimelockSecs(secs) => Self::TimelockSecs { secs },
            StakingUpdate::RevenueStreamSecs(secs) => Self::RevenueStreamSecs { secs },
            StakingUpdate::Realm(realm) => Self::Realm { realm },
        }
    }
}

/// 32 bytes of hex (a Pyth feed id).
fn hex32(s: &str) -> Result<[u8; 32], String> {
    hex::decode(s.trim_start_matches("0x"))
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{s:?} is not 32 bytes of hex"))
}

/// A treasury parameter (`treasury::state::TreasuryUpdate`).
#[derive(Subcommand, Clone, Debug, PartialEq, Eq)]
pub enum TreasuryParam {
    /// How revenue is divided, in bps summing to 10,000.
    Split {
        buyback_bps: u16,
        stakers_bps: u16,
        operations_bps: u16,
    },
    /// The pinned price feed and its hardening.
    Price {
        /// The Pyth feed id (token/USD), 32 bytes of hex.
        #[arg(value_parser = hex32)]
        feed_id: [u8; 32],
        /// The oldest price accepted, in seconds (1 to 3,600).
        max_age_secs: u64,
        /// The widest EMA confidence accepted, in bps of the price (at most 1,000).
        max_conf_bps: u16,
        /// k in bps: the price used is EMA - k x confidence (at most 50,000).
        conf_multiple_bps: u32,
        /// How far the buyback's output may fall below the bound, in bps (at most 2,000).
        max_slippage_bps: u16,
    },
    /// The AMM program buybacks swap through, and the buyback epoch in seconds.
    Buyback {
        amm_program: Pubkey,
        epoch_secs: u64,
    },
    /// The payment operator, the service operator and the operations owner.
    Roles {
        payment_operator: Pubkey,
        service_operator: Pubkey,
        operations_owner: Pubkey,
    },
    /// Service credits per US dollar of token burned.
    CreditsPerUsd { rate: u64 },
    /// A stablecoin's buyback pool, its two reserves, and its per-epoch cap.
    BuybackVenue {
        mint: Pubkey,
        pool: Pubkey,
        quote_reserve: Pubkey,
        token_reserve: Pubkey,
        cap: u64,
    },
    /// The treasury's governance key.
    Authority { authority: Pubkey },
    /// The delay between proposing and applying a change, in seconds (1 hour to 30 days).
    TimelockSecs { secs: u64 },
}

impl From<TreasuryParam> for TreasuryUpdate {
    fn from(p: TreasuryParam) -> Self {
        match p {
            TreasuryParam::Split {
                buyback_bps,
                stakers_bps,
                operations_bps,
            } => Self::Split(SplitBps {
                buyback_bps,
                stakers_bps,
                operations_bps,
            }),
            TreasuryParam::Price {
                feed_id,
                max_age_secs,
                max_conf_bps,
                conf_multiple_bps,
                max_slippage_bps,
            } => Self::Price(PriceConfig {
                feed_id,
                max_age_secs,
                max_conf_bps,
                conf_multiple_bps,
                max_slippage_bps,
            }),
            TreasuryParam::Buyback {
                amm_program,
                epoch_secs,
            } => Self::Buyback(BuybackConfig {
                amm_program,
                epoch_secs,
            }),
            TreasuryParam::Roles {
                payment_operator,
                service_operator,
                operations_owner,
            } => Self::Roles(Roles {
                payment_operator,
                service_operator,
                operations_owner,
            }),
            TreasuryParam::CreditsPerUsd { rate } => Self::CreditsPerUsd(rate),
            TreasuryParam::BuybackVenue {
                mint,
                pool,
                quote_reserve,
                token_reserve,
                cap,
            } => Self::BuybackVenue {
                mint,
                venue: Venue {
                    pool,
                    quote_reserve,
                    token_reserve,
                },
                cap,
            },
            TreasuryParam::Authority { authority } => Self::Authority(authority),
            TreasuryParam::TimelockSecs { secs } => Self::TimelockSecs(secs),
        }
    }
}

impl From<&TreasuryUpdate> for TreasuryParam {
    fn from(u: &TreasuryUpdate) -> Self {
        match u.clone() {
            TreasuryUpdate::Split(s) => Self::Split {
                buyback_bps: s.buyback_bps,
                stakers_bps: s.stakers_bps,
                operations_bps: s.operations_bps,
            },
            TreasuryUpdate::Price(p) => Self::Price {
                feed_id: p.feed_id,
                max_age_secs: p.max_age_secs,
                max_conf_bps: p.max_conf_bps,
                conf_multiple_bps: p.conf_multiple_bps,
                max_slippage_bps: p.max_slippage_bps,
            },
            TreasuryUpdate::Buyback(b) => Self::Buyback {
                amm_program: b.amm_program,
                epoch_secs: b.epoch_secs,
            },
            TreasuryUpdate::Roles(r) => Self::Roles {
                payment_operator: r.payment_operator,
                service_operator: r.service_operator,
                operations_owner: r.operations_owner,
            },
            TreasuryUpdate::CreditsPerUsd(rate) => Self::CreditsPerUsd { rate },
            TreasuryUpdate::BuybackVenue { mint, venue, cap } => Self::BuybackVenue {
                mint,
                pool: venue.pool,
                quote_reserve: venue.quote_reserve,
                token_reserve: venue.token_reserve,
                cap,
            },
            TreasuryUpdate::Authority(authority) => Self::Authority { authority },
            TreasuryUpdate::TimelockSecs(secs) => Self::TimelockSecs { secs },
        }
    }
}

/// A parameter's name as `gov propose` spells it (the subcommand: the variant in kebab case)
/// and its values, from the `Debug` of its subcommand (`DisputeSecs { secs: 10 }`).
pub fn describe(param: &impl std::fmt::Debug) -> (String, String) {
    let text = format!("{param:?}");
    let (ident, rest) = text
        .split_once(' ')
        .map_or((text.as_str(), ""), |(i, r)| (i, r));
    let mut name = String::new();
    for (i, c) in ident.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('-');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    let values = rest
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim()
        .to_owned();
    (name, values)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Parser, Debug)]
    struct Rewards {
        #[command(subcommand)]
        p: RewardsParam,
    }
    #[derive(Parser, Debug)]
    struct Staking {
        #[command(subcommand)]
        p: StakingParam,
    }
    #[derive(Parser, Debug)]
    struct Treasury {
        #[command(subcommand)]
        p: TreasuryParam,
    }

    const K: &str = "11111111111111111111111111111112";

    /// Parses `args` as a subcommand, converts it to the program's update and back, and
    /// returns the subcommand's name as `describe` gives it.
    fn round_trip<P, U>(args: &[&str], param: impl Fn(&[&str]) -> P) -> String
    where
        P: Clone + std::fmt::Debug + PartialEq + Into<U>,
        for<'a> P: From<&'a U>,
    {
        let p = param(args);
        let update: U = p.clone().into();
        assert_eq!(P::from(&update), p, "{args:?}");
        let (name, _) = describe(&p);
        assert_eq!(name, args[0]);
        name
    }

    /// Every subcommand of `command` is one of `names` and each of `names` is a subcommand.
    fn covers(command: &clap::Command, names: &[String]) {
        let mut all: Vec<_> = command
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        all.sort();
        let mut seen = names.to_vec();
        seen.sort();
        assert_eq!(all, seen);
    }

    #[test]
    fn every_rewards_parameter_round_trips() {
        let parse =
            |a: &[&str]| Rewards::parse_from(std::iter::once("x").chain(a.iter().copied())).p;
        let names: Vec<_> = [
            &["oracle-set", "2", "1000", "4000", K, K][..],
            &["dispute-secs", "5"],
            &["input-secs", "3"],
            &["onboard-fee", "7"],
            &["location-fee", "9"],
            &["mint-window", "45", "100"],
            &["authority", K],
            &["timelock-secs", "3600"],
        ]
        .iter()
        .map(|a| round_trip::<RewardsParam, ParamUpdate>(a, parse))
        .collect();
        covers(&Rewards::command(), &names);
        assert_eq!(
            describe(&RewardsParam::MintWindow {
                window_secs: 45,
                threshold: 100
            }),
            (
                "mint-window".into(),
                "window_secs: 45, threshold: 100".into()
            )
        );
    }

    #[test]
    fn every_staking_parameter_round_trips() {
        let parse =
            |a: &[&str]| Staking::parse_from(std::iter::once("x").chain(a.iter().copied())).p;
        let names: Vec<_> = [
            &["authority", K][..],
            &["voting-mode", "quadratic"],
            &["max-lockup-secs", "100"],
            &["max-multiplier-bps", "20000"],
            &["cooldown-secs", "300000"],
            &["min-device-collateral", "5"],
            &["max-slash-bps", "100"],
            &["appeal-secs", "60"],
            &["timelock-secs", "3600"],
            &["revenue-stream-secs", "86400"],
            &["realm", K],
        ]
        .iter()
        .map(|a| round_trip::<StakingParam, StakingUpdate>(a, parse))
        .collect();
        covers(&Staking::command(), &names);
    }

    #[test]
    fn every_treasury_parameter_round_trips() {
        let parse =
            |a: &[&str]| Treasury::parse_from(std::iter::once("x").chain(a.iter().copied())).p;
        let feed = "7e".repeat(32);
        let names: Vec<_> = [
            &["split", "6000", "3000", "1000"][..],
            &["price", &feed, "60", "200", "10000", "300"],
            &["buyback", K, "86400"],
            &["roles", K, K, K],
            &["credits-per-usd", "100000"],
            &["buyback-venue", K, K, K, K, "5"],
            &["authority", K],
            &["timelock-secs", "3600"],
        ]
        .iter()
        .map(|a| round_trip::<TreasuryParam, TreasuryUpdate>(a, parse))
        .collect();
        covers(&Treasury::command(), &names);
        let err = Treasury::try_parse_from(["x", "price", "7e", "60", "200", "10000", "300"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"7e\" is not 32 bytes of hex"), "{err}");
    }

    /// Positional keys land in the program's fields in the order the help gives (distinct
    /// keys, so a swap shows).
    #[test]
    fn positional_keys_land_in_their_fields() {
        let key = |i: u8| Pubkey::new_from_array([i; 32]);
        let parse = |a: &[String]| -> TreasuryUpdate {
            Treasury::parse_from(std::iter::once("x".to_string()).chain(a.iter().cloned()))
                .p
                .into()
        };
        let keys: Vec<String> = (1..=4).map(|i| key(i).to_string()).collect();
        let roles = parse(&[&["roles".to_string()][..], &keys[..3]].concat());
        assert_eq!(
            roles,
            TreasuryUpdate::Roles(Roles {
                payment_operator: key(1),
                service_operator: key(2),
                operations_owner: key(3),
            })
        );
        let venue = parse(
            &[
                &["buyback-venue".to_string()][..],
                &keys,
                &["5".to_string()],
            ]
            .concat(),
        );
        assert_eq!(
            venue,
            TreasuryUpdate::BuybackVenue {
                mint: key(1),
                venue: Venue {
                    pool: key(2),
                    quote_reserve: key(3),
                    token_reserve: key(4),
                },
                cap: 5,
            }
        );
    }
}
