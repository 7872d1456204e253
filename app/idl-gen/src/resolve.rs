//! What Anchor's IDL builder cannot say about an account, added after it runs: the seeds,
//! addresses and relations a client needs to find every account a wallet cannot be expected to
//! know (docs/idl.md). Nothing here changes a program or costs a compute unit; each entry states
//! what the program already checks (by `address`, `has_one` or a compare in `validate`), and the
//! stock client test (`tests/idl-client`) builds the instructions from the result.
//!
//! A rule names the account it resolves. It fails the build when that account is missing or
//! already resolved, so a program change that makes a rule stale is caught, never silently kept.
use anchor_lang_idl::types::{
    Idl, IdlInstructionAccount, IdlInstructionAccountItem, IdlPda, IdlSeed, IdlSeedAccount,
    IdlSeedArg, IdlSeedConst,
};
use anyhow::{Result, bail};

const BPF_LOADER_UPGRADEABLE: &str = "BPFLoaderUpgradeab1e11111111111111111111111";
const ASSOCIATED_TOKEN_PROGRAM: &str = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";
const ADDRESS_LOOKUP_TABLE_PROGRAM: &str = "AddressLookupTab1e1111111111111111111111111";

/// Where an account's seeds are derived: the instruction's own program or another one.
#[derive(Clone, Copy)]
enum Program {
    Own,
    Rewards,
    Staking,
    Treasury,
    Fixed(&'static str),
}

#[derive(Clone, Copy)]
enum Seed {
    Const(&'static str),
    /// The 32 bytes of a program's address.
    ProgramId(Program),
    Arg(&'static str),
    Account(&'static str),
    /// A field of an account of the program's own types: `(path, type)`.
    Field(&'static str, &'static str),
}

#[derive(Clone, Copy)]
enum Fix {
    Pda(&'static [Seed], Program),
    /// The account's address is the field of the same name in this account.
    Relation(&'static str),
    /// The program's own address.
    OwnAddress,
    /// Anchor's pda is wrong: remove it, the caller passes the account.
    DropPda,
}

/// Which instructions a rule applies to.
#[derive(Clone, Copy)]
enum Ixs {
    Only(&'static [&'static str]),
    /// Every instruction holding the account unresolved, but these (at least one must hold it).
    Except(&'static [&'static str]),
}

struct Rule {
    program: &'static str,
    ixs: Ixs,
    account: &'static str,
    fix: Fix,
}

const fn rule(program: &'static str, ixs: Ixs, account: &'static str, fix: Fix) -> Rule {
    Rule {
        program,
        ixs,
        account,
        fix,
    }
}

use Fix::{DropPda, OwnAddress, Pda, Relation};
use Ixs::{Except, Only};

const WHEREVER: Ixs = Except(&[]);
use Seed::{Account, Arg, Const, Field, ProgramId};

const EVENT_AUTHORITY: &[Seed] = &[Const("__event_authority")];
/// The upgradeable loader's program data account, `[program id]`.
const PROGRAM_DATA: Fix = Pda(
    &[ProgramId(Program::Own)],
    Program::Fixed(BPF_LOADER_UPGRADEABLE),
);
const STAKER_OF_OWNER: &[Seed] = &[Const("staker"), Account("owner")];
const STAKER_OF_POSITION: &[Seed] = &[Const("staker"), Field("position.owner", "Position")];

const STAKING_CPI: Ixs = Only(&[
    "claim_to_position",
    "decommission_device",
    "onboard_device",
    "transfer_device",
]);

const RULES: &[Rule] = &[
    // Every program: the event CPI's accounts, and the upgrade authority's proof.
    rule(
        "*",
        WHEREVER,
        "event_authority",
        Pda(EVENT_AUTHORITY, Program::Own),
    ),
    rule("*", WHEREVER, "program", OwnAddress),
    rule(
        "rewards",
        Only(&["initialize_network"]),
        "program_data",
        PROGRAM_DATA,
    ),
    rule(
        "staking",
        Only(&["initialize_staking", "initialize_revenue"]),
        "program_data",
        PROGRAM_DATA,
    ),
    rule(
        "treasury",
        Only(&["initialize_treasury"]),
        "program_data",
        PROGRAM_DATA,
    ),
    // rewards
    rule(
        "rewards",
        Only(&[
            "claim",
            "claim_in_stablecoin",
            "claim_to_position",
            "crank_epoch",
            "onboard_device",
            "update_location",
        ]),
        "token_program",
        Relation("network"),
    ),
    rule(
        "rewards",
        Only(&["claim_to_position"]),
        "staking_vault",
        Pda(&[Const("vault")], Program::Staking),
    ),
    // Staking's stored revenue vault is this PDA once `initialize_revenue` has run.
    rule(
        "rewards",
        Only(&["claim_to_position"]),
        "staking_revenue_vault",
        Pda(&[Const("revenue_vault")], Program::Staking),
    ),
    rule(
        "rewards",
        STAKING_CPI,
        "staking_event_authority",
        Pda(EVENT_AUTHORITY, Program::Staking),
    ),
    // claim_in_stablecoin: the treasury's singletons and the chosen coin's PDAs, under the
    // treasury program (the treasury checks each: its address, `has_one` on the ledger).
    rule(
        "rewards",
        Only(&["claim_in_stablecoin"]),
        "treasury",
        Pda(&[Const("treasury")], Program::Treasury),
    ),
    rule(
        "rewards",
        Only(&["claim_in_stablecoin"]),
        "stablecoin",
        Pda(
            &[Const("stablecoin"), Account("stable_mint")],
            Program::Treasury,
        ),
    ),
    rule(
        "rewards",
        Only(&["claim_in_stablecoin"]),
        "stable_vault",
        Pda(&[Const("vault"), Account("stable_mint")], Program::Treasury),
    ),
    rule(
        "rewards",
        Only(&["claim_in_stablecoin"]),
        "bought",
        Pda(
            &[Const("bought"), Account("stable_mint")],
            Program::Treasury,
        ),
    ),
    rule(
        "rewards",
        Only(&["claim_in_stablecoin"]),
        "treasury_event_authority",
        Pda(EVENT_AUTHORITY, Program::Treasury),
    ),
    rule(
        "rewards",
        Only(&["close_inputs"]),
        "payer",
        Relation("inputs"),
    ),
    rule(
        "rewards",
        Only(&["close_proposal"]),
        "payer",
        Relation("proposal"),
    ),
    rule(
        "rewards",
        Only(&["close_probe", "demand_probe", "extend_probe"]),
        "proposal",
        Relation("probe"),
    ),
    rule(
        "rewards",
        Only(&["close_probe"]),
        "opener",
        Relation("probe"),
    ),
    rule(
        "rewards",
        Only(&["vote_root"]),
        "bond",
        Pda(&[Const("bond"), Account("oracle")], Program::Own),
    ),
    rule(
        "rewards",
        Only(&["apply_change", "cancel_change"]),
        "proposer",
        Relation("change"),
    ),
    // Anchor read `maker_account.key` as the account's address; the seed is the maker's key.
    rule("rewards", Only(&["revoke_maker"]), "maker_account", DropPda),
    rule(
        "rewards",
        Only(&["create_lookup_table"]),
        "lookup_table",
        Pda(
            &[Account("lut_authority"), Arg("recent_slot")],
            Program::Fixed(ADDRESS_LOOKUP_TABLE_PROGRAM),
        ),
    ),
    // staking: the config is the singleton `["config"]` (checked by owner and type: only
    // `initialize_staking` creates one, at that PDA).
    rule(
        "staking",
        WHEREVER,
        "config",
        Pda(&[Const("config")], Program::Own),
    ),
    rule(
        "staking",
        Only(&["stake", "add_to_position"]),
        "vault",
        Pda(&[Const("vault")], Program::Own),
    ),
    rule("staking", WHEREVER, "revenue_vault", Relation("config")),
    // Not `initialize_staking`'s: that instruction creates the config (its token program is the
    // stake mint's owner, checked by `mint::token_program`).
    rule(
        "staking",
        Except(&["initialize_staking"]),
        "token_program",
        Relation("config"),
    ),
    rule(
        "staking",
        Only(&["claim_revenue"]),
        "revenue_token_program",
        Relation("config"),
    ),
    rule(
        "staking",
        Only(&[
            "extend_lock",
            "start_unlock",
            "unstake",
            "claim_revenue",
            "tally_positions",
        ]),
        "staker",
        Pda(STAKER_OF_OWNER, Program::Own),
    ),
    rule(
        "staking",
        Only(&["refresh_position", "execute_slash"]),
        "staker",
        Pda(STAKER_OF_POSITION, Program::Own),
    ),
    rule(
        "staking",
        Only(&["propose_slash", "approve_slash"]),
        "oracle_set",
        Pda(&[Const("oracle_set")], Program::Rewards),
    ),
    // The record and the staker each derive only from the other: the caller passes the staker.
    rule(
        "staking",
        Only(&["update_voter_weight_record"]),
        "voter_weight_record",
        Pda(
            &[
                Const("voter_weight_record"),
                Field("config.realm", "StakingConfig"),
                Field("config.stake_mint", "StakingConfig"),
                Field("staker.owner", "Staker"),
            ],
            Program::Own,
        ),
    ),
    // treasury
    rule(
        "treasury",
        Only(&["pay", "pay_for", "route_to_stakers", "sweep_operations"]),
        "stablecoin",
        Pda(&[Const("stablecoin"), Account("mint")], Program::Own),
    ),
    rule(
        "treasury",
        Only(&["route_to_stakers"]),
        "stakers_destination",
        Relation("stablecoin"),
    ),
    // Any token account of the operations owner is accepted; its associated account by default.
    rule(
        "treasury",
        Only(&["sweep_operations"]),
        "destination",
        Pda(
            &[
                Field("treasury.roles.operations_owner", "Treasury"),
                Account("token_program"),
                Account("mint"),
            ],
            Program::Fixed(ASSOCIATED_TOKEN_PROGRAM),
        ),
    ),
    rule(
        "treasury",
        Only(&["apply_change", "cancel_change"]),
        "proposer",
        Relation("change"),
    ),
    rule(
        "staking",
        Only(&["apply_change", "cancel_change"]),
        "proposer",
        Relation("change"),
    ),
];

/// The programs' addresses, for seeds of another program.
pub struct Addresses {
    pub rewards: String,
    pub staking: String,
    pub treasury: String,
}

/// Applies every rule to the IDL of `program` (its folder name).
pub fn patch(program: &str, idl: &mut Idl, addresses: &Addresses) -> Result<()> {
    let own = idl.address.clone();
    for rule in RULES
        .iter()
        .filter(|r| r.program == "*" || r.program == program)
    {
        let mut applied = 0;
        for ix in &mut idl.instructions {
            let wanted = match rule.ixs {
                Only(names) => names.contains(&ix.name.as_str()),
                Except(names) => !names.contains(&ix.name.as_str()),
            };
            if !wanted {
                continue;
            }
            let Some(account) = find(&mut ix.accounts, rule.account) else {
                if matches!(rule.ixs, Only(_)) {
                    bail!("{program}::{}: no account `{}`", ix.name, rule.account);
                }
                continue;
            };
            let resolved =
                account.address.is_some() || account.pda.is_some() || !account.relations.is_empty();
            match (rule.fix, resolved) {
                (DropPda, true) => account.pda = None,
                (DropPda, false) => bail!("{program}::{}: `{}` has no pda", ix.name, rule.account),
                (_, true) if matches!(rule.ixs, Except(_)) => continue,
                (_, true) => {
                    bail!(
                        "{program}::{}: `{}` is already resolved",
                        ix.name,
                        rule.account
                    )
                }
                (fix, false) => apply(account, fix, &own, addresses)?,
            }
            applied += 1;
        }
        match rule.ixs {
            Only(names) if applied != names.len() => bail!(
                "{program}: the rule for `{}` applies to {names:?}, which has {applied} of them",
                rule.account
            ),
            Except(_) if applied == 0 => {
                bail!("{program}: the rule for `{}` applies nowhere", rule.account)
            }
            Except(names)
                if names
                    .iter()
                    .any(|n| !idl.instructions.iter().any(|i| i.name == *n)) =>
            {
                bail!(
                    "{program}: the rule for `{}` excepts an unknown instruction",
                    rule.account
                )
            }
            _ => {}
        }
    }
    Ok(())
}

fn find<'a>(
    items: &'a mut [IdlInstructionAccountItem],
    name: &str,
) -> Option<&'a mut IdlInstructionAccount> {
    items.iter_mut().find_map(|item| match item {
        IdlInstructionAccountItem::Single(account) if account.name == name => Some(account),
        _ => None,
    })
}

fn apply(account: &mut IdlInstructionAccount, fix: Fix, own: &str, a: &Addresses) -> Result<()> {
    match fix {
        Pda(seeds, program) => {
            let seeds = seeds
                .iter()
                .map(|s| seed(*s, own, a))
                .collect::<Result<_>>()?;
            let program = match program {
                Program::Own => None,
                other => Some(IdlSeed::Const(IdlSeedConst {
                    value: program_bytes(other, own, a)?,
                })),
            };
            account.pda = Some(IdlPda { seeds, program });
        }
        Relation(of) => account.relations = vec![of.to_string()],
        OwnAddress => account.address = Some(own.to_string()),
        DropPda => account.pda = None,
    }
    Ok(())
}

fn seed(seed: Seed, own: &str, a: &Addresses) -> Result<IdlSeed> {
    Ok(match seed {
        Const(text) => IdlSeed::Const(IdlSeedConst {
            value: text.as_bytes().to_vec(),
        }),
        ProgramId(program) => IdlSeed::Const(IdlSeedConst {
            value: program_bytes(program, own, a)?,
        }),
        Arg(path) => IdlSeed::Arg(IdlSeedArg {
            path: path.to_string(),
        }),
        Account(path) => IdlSeed::Account(IdlSeedAccount {
            path: path.to_string(),
            account: None,
        }),
        Field(path, ty) => IdlSeed::Account(IdlSeedAccount {
            path: path.to_string(),
            account: Some(ty.to_string()),
        }),
    })
}

fn program_bytes(program: Program, own: &str, a: &Addresses) -> Result<Vec<u8>> {
    let text = match program {
        Program::Own => own,
        Program::Rewards => &a.rewards,
        Program::Staking => &a.staking,
        Program::Treasury => &a.treasury,
        Program::Fixed(address) => address,
    };
    let bytes = bs58::decode(text).into_vec()?;
    if bytes.len() != 32 {
        bail!("`{text}` is not a 32-byte address");
    }
    Ok(bytes)
}
