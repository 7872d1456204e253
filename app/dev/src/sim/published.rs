//! Every epoch the oracles published, read back from their transparency files once they have
//! stopped (so the list is complete: the oracles go on closing epochs while the claims and the
//! treasury run, and the claims cover only the root that was final before them), and where
//! every minted token is: claimed, owed under the final root, given out by a root not final yet,
//! carried (minted, in the rewards vault, not given out yet: an epoch in which no device earns
//! carries its emission into the next epoch's budget), the genesis supply, and burned.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context, Result};
use depin_formats::transparency::{
    DEVICES_CSV, MANIFEST_JSON, Manifest, PublishedDevice, WALLETS_CSV, parse_devices_csv,
};
use rewards::state::Network;
use serde_json::{Value, json};

use super::Sim;
use super::checks::{Checks, Snapshot};
use super::epochs::Traffic;

/// An epoch's amounts, from its manifest.json.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Amounts {
    emission: u64,
    /// The earlier epochs' emission not given out by them.
    carried: u64,
    /// `emission + carried`.
    budget: u64,
    distributed: u64,
    /// `budget - distributed`: carried into the next epoch.
    unspent: u64,
    /// The root's sum: Σ cumulative, everything the epochs `0..=epoch` gave out.
    total: u64,
}

impl Amounts {
    fn of(m: &Manifest) -> Self {
        Self {
            emission: m.emission,
            carried: m.carried,
            budget: m.budget,
            distributed: m.distributed,
            unspent: m.unspent,
            total: m.root.as_ref().map_or(0, |r| r.sum),
        }
    }
}

/// One epoch an oracle published.
pub(super) struct Epoch {
    pub epoch: u64,
    amounts: Amounts,
    /// Both oracles published the same wallets.csv; `None` when only one published the epoch.
    pub agree: Option<bool>,
    /// The check's detail: oracle 1's wallets.csv, or the one that is missing.
    detail: String,
    /// The report's entry.
    pub json: Value,
}

/// The published epochs, in order.
pub(super) struct Epochs {
    pub list: Vec<Epoch>,
    /// Devices by outcome in the last epoch the claims covered.
    pub last_status: BTreeMap<String, usize>,
}

/// Amounts and the epochs they come from.
#[derive(Debug, Default, PartialEq, Eq)]
struct Part {
    amount: u64,
    epochs: Vec<u64>,
}

impl Part {
    fn add(&mut self, epoch: u64, amount: u64) {
        if amount > 0 {
            self.amount += amount;
            self.epochs.push(epoch);
        }
    }

    fn json(&self) -> Value {
        json!({"amount": self.amount, "epochs": self.epochs})
    }
}

/// Where the tokens minted for rewards are.
#[derive(Debug, Default, PartialEq, Eq)]
struct Rewards {
    /// Paid to the owners' wallets.
    claimed: u64,
    /// Owed under the final root and not claimed yet: its total − claimed.
    owed: u64,
    /// Given out by the published (and minted) epochs after the final root, whose roots are
    /// not final yet.
    pending: Part,
    /// Minted and not given out by any published epoch: in the rewards vault, for the next
    /// epoch in which a device earns. Its epochs: the minted epochs after the last one that
    /// gave anything out (each distributed nothing, or is not published yet).
    carried: Part,
    /// What the transparency files carry after the last minted epoch: the last published
    /// minted epoch's `unspent`, plus the emission of the minted epochs after it.
    carried_by_files: u64,
}

impl Rewards {
    /// `minted` for rewards (`cumulative_budget`) over `epochs_minted` epochs; `claimed`
    /// against the final root of `final_epochs` epochs with total `final_total`; the
    /// `published` epochs' amounts; each epoch's `emission`.
    fn of(
        minted: u64,
        epochs_minted: u64,
        claimed: u64,
        (final_epochs, final_total): (u64, u64),
        published: &BTreeMap<u64, Amounts>,
        emission: impl Fn(u64) -> u64,
    ) -> Self {
        let minted_published = published.range(..epochs_minted);
        let last = minted_published.clone().next_back();
        // Everything the published minted epochs gave out: the last one's total.
        let given_out = last.map_or(0, |(_, a)| a.total).max(final_total);
        let mut pending = Part::default();
        for (&e, a) in minted_published.clone() {
            if e >= final_epochs {
                pending.add(e, a.distributed);
            }
        }
        let last_earning = minted_published
            .filter(|(_, a)| a.distributed > 0)
            .map(|(&e, _)| e)
            .next_back();
        let mut carried = Part::default();
        for e in last_earning.map_or(0, |e| e + 1)..epochs_minted {
            carried.add(e, emission(e));
        }
        carried.amount = minted.saturating_sub(given_out);
        let after_last = last.map_or(0, |(&e, _)| e + 1);
        let carried_by_files = last.map_or(0, |(_, a)| a.unspent)
            + (after_last..epochs_minted).map(&emission).sum::<u64>();
        Self {
            claimed,
            owed: final_total.saturating_sub(claimed),
            pending,
            carried,
            carried_by_files,
        }
    }
}

/// Where every minted token is, and the two checks that it adds up.
pub(super) struct Tokens {
    /// The report's `tokens`.
    pub json: Value,
    /// The report's `rewards_vault`.
    pub vault_json: Value,
    vault: (bool, String),
    supply: (bool, String),
}

impl Sim<'_> {
    /// Every epoch either oracle published (read from oracle 0's files where it has them),
    /// with its amounts (manifest.json), whether the claims covered it (`root`: "claimed";
    /// "final, not claimed" when its root became final after the claims; "not final"), and
    /// whether it is minted.
    pub(super) fn published_epochs(&self, fin: &Network, end: &Network) -> Result<Epochs> {
        let mut numbers = BTreeSet::new();
        for s in &self.seats {
            numbers.extend(s.published_epochs()?);
        }
        let mut epochs = Epochs {
            list: Vec::new(),
            last_status: BTreeMap::new(),
        };
        for e in numbers {
            let (dir, agree, detail) = self.agreement(e)?;
            let devices = parse_devices_csv(&std::fs::read(dir.join(DEVICES_CSV))?)?;
            let path = dir.join(MANIFEST_JSON);
            let manifest: Manifest = serde_json::from_slice(
                &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
            )
            .with_context(|| format!("parsing {}", path.display()))?;
            if e + 1 == fin.final_root.epochs {
                epochs.last_status = status(&devices);
            }
            let amounts = Amounts::of(&manifest);
            let json = epoch_entry(e, amounts, &devices, fin, end, &dir, agree);
            epochs.list.push(Epoch {
                epoch: e,
                amounts,
                agree,
                detail,
                json,
            });
        }
        Ok(epochs)
    }

    /// Epoch `e`'s folder (oracle 0's if it published it, else oracle 1's), whether both
    /// published the same wallets.csv, and the check's detail.
    fn agreement(&self, e: u64) -> Result<(PathBuf, Option<bool>, String)> {
        let (a, b) = (self.seats[0].epoch_dir(e), self.seats[1].epoch_dir(e));
        let other = b.join(WALLETS_CSV);
        Ok(match (a.is_dir(), b.is_dir()) {
            (true, true) => {
                let same = std::fs::read(a.join(WALLETS_CSV))? == std::fs::read(&other)?;
                (a, Some(same), other.display().to_string())
            }
            (true, false) => (a, None, format!("{} is missing", other.display())),
            _ => {
                let missing = a.join(WALLETS_CSV).display().to_string();
                (b, None, format!("{missing} is missing"))
            }
        })
    }

    /// Where every token the rewards program minted is, from the chain once nothing moves it
    /// and the published epochs: the genesis supply; of the tokens minted for rewards, what the
    /// owners claimed, what the final root owes them beyond that, what published epochs whose
    /// root is not final yet gave out, and what is carried (minted, not given out yet); and
    /// what the programs burned. Two checks: the rewards vault holds exactly owed + given out,
    /// root not final + carried, and the carried amount is what the files carry (the last
    /// published minted epoch's unspent plus the emission of the minted epochs after it); the
    /// genesis supply + every part of the rewards − burned is the mint's supply.
    pub(super) fn tokens(
        &self,
        epochs: &Epochs,
        fin: &Network,
        end: &Snapshot,
        traffic: &Traffic,
    ) -> Tokens {
        let n1 = &end.network;
        let published: BTreeMap<u64, Amounts> =
            epochs.list.iter().map(|e| (e.epoch, e.amounts)).collect();
        let schedule = &self.chain.schedule;
        let r = Rewards::of(
            n1.cumulative_budget,
            n1.epochs_minted,
            n1.total_claimed,
            (n1.final_root.epochs, n1.final_root.total),
            &published,
            |e| schedule.epoch_emission(e),
        );
        let (vault, minted) = (end.vault, n1.cumulative_budget);
        let in_vault = r.owed + r.pending.amount + r.carried.amount;
        let vault_ok = minted.checked_sub(r.claimed) == Some(vault)
            && in_vault == vault
            && r.carried.amount == r.carried_by_files;
        let vault_detail = format!(
            "{vault} = {minted} minted - {} claimed = {} owed + {} given out, root not final + \
             {} carried; the files carry {}",
            r.claimed, r.owed, r.pending.amount, r.carried.amount, r.carried_by_files
        );
        let burned = u64::try_from(end.story.burned()).unwrap_or(u64::MAX);
        let parts = n1.genesis_supply + r.claimed + in_vault;
        let supply_ok = parts == n1.total_minted
            && n1.total_minted.checked_sub(burned) == Some(end.story.supply)
            && end.story.untracked_burns() == 0;
        let supply_detail = format!(
            "{} = {} genesis + {} claimed + {} owed + {} given out, root not final + {} carried \
             (= {} minted) - {} burned",
            end.story.supply,
            n1.genesis_supply,
            r.claimed,
            r.owed,
            r.pending.amount,
            r.carried.amount,
            n1.total_minted,
            burned
        );
        let note = self.vault_note(fin, end, traffic, &r);
        let vault_json = json!({
            "address": n1.rewards_vault.to_string(), "balance": vault,
            "minted": minted, "epochs_minted": n1.epochs_minted, "claimed": r.claimed,
            "owed": r.owed, "given_out_not_final": r.pending.json(),
            "carried": r.carried.json(), "note": note,
        });
        let json = json!({
            "minted": n1.total_minted, "genesis": n1.genesis_supply, "rewards": minted,
            "claimed": r.claimed, "owed": r.owed,
            "given_out_not_final": r.pending.amount, "carried": r.carried.amount,
            "burned": end.story.burned_json(), "supply": end.story.supply, "rewards_vault": vault,
        });
        Tokens {
            json,
            vault_json,
            vault: (vault_ok, vault_detail),
            supply: (supply_ok, supply_detail),
        }
    }

    /// The vault in words, with the numbers.
    fn vault_note(&self, fin: &Network, end: &Snapshot, traffic: &Traffic, r: &Rewards) -> String {
        let n1 = &end.network;
        let t = |amount: u64| depin_cli::tokens(amount, self.chain.n0.decimals);
        let mut note = vec![format!(
            "The rewards vault holds {} of the {} tokens minted for epochs {}; the owners \
             claimed {} (the final root of epochs {}).",
            t(end.vault),
            t(n1.cumulative_budget),
            ranges(&(0..n1.epochs_minted).collect::<Vec<_>>()),
            t(r.claimed),
            ranges(&(0..fin.final_root.epochs).collect::<Vec<_>>()),
        )];
        if r.owed > 0 {
            note.push(format!(
                "Owed, not claimed, {}: the final root of epochs {} owes it (it became final \
                 after the owners claimed).",
                t(r.owed),
                ranges(&(0..n1.final_root.epochs).collect::<Vec<_>>()),
            ));
        }
        if r.pending.amount > 0 {
            note.push(format!(
                "Given out, root not final, {}: by epochs {}, whose root was not final when the \
                 oracles stopped; the owners can claim it once it is.",
                t(r.pending.amount),
                ranges(&r.pending.epochs)
            ));
        }
        if r.carried.amount > 0 {
            note.push(format!(
                "Carried, {}: the emission of epochs {}, in which no device earned anything (the \
                 fleet reported in epochs {} only) or that no oracle had published. Each epoch's \
                 budget is its emission plus what the earlier epochs did not give out, so the \
                 next epoch in which a device earns gives it out.",
                t(r.carried.amount),
                ranges(&r.carried.epochs),
                ranges(&(traffic.first_epoch..=traffic.last_epoch).collect::<Vec<_>>()),
            ));
        }
        note.join(" ")
    }
}

/// The report's entry for epoch `e`.
fn epoch_entry(
    e: u64,
    a: Amounts,
    devices: &[PublishedDevice],
    fin: &Network,
    end: &Network,
    dir: &std::path::Path,
    agree: Option<bool>,
) -> Value {
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for d in devices {
        for r in d.reasons.split(';').filter(|r| !r.is_empty()) {
            let code = r.split(':').next().unwrap_or(r).to_string();
            *reasons.entry(code).or_insert(0) += 1;
        }
    }
    let root = if e < fin.final_root.epochs {
        "claimed"
    } else if e < end.final_root.epochs {
        "final, not claimed"
    } else {
        "not final"
    };
    json!({
        "epoch": e, "emission": a.emission, "carried": a.carried, "budget": a.budget,
        "distributed": a.distributed, "unspent": a.unspent, "total": a.total,
        "devices_earning": devices.iter().filter(|d| d.reward > 0).count(),
        "devices_scored": devices.len(),
        "reasons": reasons, "oracles_agree": agree,
        "files": dir.display().to_string(),
        "root": root, "minted": e < end.epochs_minted,
    })
}

impl Epochs {
    /// For every epoch both oracles published, and every epoch the claims covered: both
    /// published the same wallets.csv.
    pub fn check_agreement(&self, fin: &Network, checks: &mut Checks) {
        for e in &self.list {
            if e.agree.is_some() || e.epoch < fin.final_root.epochs {
                checks.add(
                    &format!(
                        "epoch {}: both oracles published the same wallets.csv",
                        e.epoch
                    ),
                    e.agree == Some(true),
                    e.detail.clone(),
                );
            }
        }
    }
}

impl Tokens {
    /// The two checks: the rewards vault, and the supply.
    pub fn check(&self, checks: &mut Checks) {
        checks.add(
            "rewards vault = minted - claimed = owed + given out, root not final + carried",
            self.vault.0,
            self.vault.1.clone(),
        );
        checks.add(
            "mint supply = genesis + claimed + owed + given out, root not final + carried - \
             burned",
            self.supply.0,
            self.supply.1.clone(),
        );
    }
}

/// Devices by outcome: full reward, discounted, no reward.
fn status(devices: &[PublishedDevice]) -> BTreeMap<String, usize> {
    let mut by = BTreeMap::new();
    for d in devices {
        let status = if d.reward == 0 {
            "no reward"
        } else if d.reasons.is_empty() {
            "full reward"
        } else {
            "discounted"
        };
        *by.entry(status.to_string()).or_insert(0) += 1;
    }
    by
}

/// Sorted epoch numbers as ranges: `0-2, 6`; `none` when empty.
fn ranges(epochs: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < epochs.len() {
        let mut j = i;
        while j + 1 < epochs.len() && epochs[j + 1] == epochs[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            epochs[i].to_string()
        } else {
            format!("{}-{}", epochs[i], epochs[j])
        });
        i = j + 1;
    }
    if out.is_empty() {
        "none".to_string()
    } else {
        out.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Amounts, Part, Rewards, ranges};

    /// The epochs' amounts for an emission of 100 per epoch, a device earning in epoch `e`
    /// when `earned[e]`, as the oracles compute them: each budget is the emission so far less
    /// what the earlier epochs gave out.
    fn published(earned: &[bool]) -> BTreeMap<u64, Amounts> {
        let mut total = 0;
        let mut out = BTreeMap::new();
        for (e, &earns) in (0u64..).zip(earned) {
            let budget = 100 * (e + 1) - total;
            let distributed = if earns { budget } else { 0 };
            total += distributed;
            let a = Amounts {
                emission: 100,
                carried: budget - 100,
                budget,
                distributed,
                unspent: budget - distributed,
                total,
            };
            out.insert(e, a);
        }
        out
    }

    /// The default run's shape: the fleet reported in epochs 3-5 (the claims' root is epochs
    /// 0-5), epoch 6 was published and minted while the claims ran, epoch 7 published but not
    /// minted yet. Epochs 0-2 distributed nothing: their emission went to epoch 3, whose budget
    /// was 400. Only epoch 6's emission is carried; nothing is owed or given out pending.
    #[test]
    fn idle_epochs_are_carried_into_the_next_epoch_in_which_a_device_earns() {
        let p = published(&[false, false, false, true, true, true, false, false]);
        assert_eq!(
            (p[&3].carried, p[&3].budget, p[&3].distributed),
            (300, 400, 400)
        );
        assert_eq!((p[&7].budget, p[&7].unspent), (200, 200));
        let r = Rewards::of(700, 7, 600, (6, 600), &p, |_| 100);
        assert_eq!(
            r,
            Rewards {
                claimed: 600,
                owed: 0,
                pending: Part::default(),
                carried: Part {
                    amount: 100,
                    epochs: vec![6]
                },
                carried_by_files: 100,
            }
        );
        // Every token minted for rewards is claimed or carried: 600 + 100 = 7 × 100.
        assert_eq!(
            r.claimed + r.owed + r.pending.amount + r.carried.amount,
            700
        );
    }

    /// The owners claimed against epochs 0-3; epoch 4's root became final later (owed) and
    /// epoch 5's is not final (given out, pending); epochs 6 and 7 are minted, epoch 7 not
    /// published: both are carried, as the files say (epoch 6's unspent 100, and epoch 7's
    /// emission).
    #[test]
    fn the_parts_of_a_run_that_stopped_midway() {
        let p = published(&[false, true, false, true, true, true, false]);
        let r = Rewards::of(800, 8, 400, (5, 500), &p, |_| 100);
        assert_eq!((r.claimed, r.owed), (400, 100));
        assert_eq!(
            r.pending,
            Part {
                amount: 100,
                epochs: vec![5]
            }
        );
        assert_eq!(
            r.carried,
            Part {
                amount: 200,
                epochs: vec![6, 7]
            }
        );
        assert_eq!(r.carried_by_files, 200);
        assert_eq!(
            r.claimed + r.owed + r.pending.amount + r.carried.amount,
            800
        );
    }

    /// Nothing published yet: everything minted is carried.
    #[test]
    fn with_no_epoch_published_everything_minted_is_carried() {
        let r = Rewards::of(300, 3, 0, (0, 0), &BTreeMap::new(), |_| 100);
        assert_eq!(
            (r.carried.amount, &r.carried.epochs[..], r.carried_by_files),
            (300, &[0, 1, 2][..], 300)
        );
    }

    #[test]
    fn ranges_join_consecutive_epochs() {
        assert_eq!(ranges(&[]), "none");
        assert_eq!(ranges(&[4]), "4");
        assert_eq!(ranges(&[0, 1, 2, 6]), "0-2, 6");
        assert_eq!(ranges(&[0, 2, 3, 5, 6, 7]), "0, 2-3, 5-7");
    }
}
