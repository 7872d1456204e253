//! Every epoch the oracles published, read back from their transparency files once they have
//! stopped (so the list is complete: the oracles go on closing epochs while the claims and the
//! treasury run, and the claims cover only the root that was final before them), and what the
//! rewards vault still holds, epoch by epoch, and why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::Result;
use depin_formats::transparency::{DEVICES_CSV, PublishedDevice, WALLETS_CSV, parse_devices_csv};
use rewards::state::Network;
use serde_json::{Value, json};

use super::Sim;
use super::checks::{Checks, Snapshot};
use super::epochs::Traffic;

/// One epoch an oracle published.
pub(super) struct Epoch {
    pub epoch: u64,
    /// Σ devices.csv rewards.
    pub distributed: u64,
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

/// The rewards vault's balance, explained.
pub(super) struct Vault {
    pub json: Value,
    ok: bool,
    detail: String,
}

/// Amounts and the epochs they come from.
#[derive(Default)]
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

/// Where the emission of the minted epochs is.
#[derive(Default)]
struct Parts {
    /// The whole emission of epochs in which no device earned anything.
    idle: Part,
    /// What the split of the other epochs left over.
    left: Part,
    /// What devices earned in epochs after the root the owners claimed against.
    earned: Part,
    /// The emission of epochs no oracle published.
    unpublished: Part,
}

impl Parts {
    /// Epochs `0..epochs_minted`, each with `emission(e)` minted and `distributed[e]` given
    /// out (absent: not published); the owners claimed epochs `0..claimed_epochs`.
    fn of(
        distributed: &BTreeMap<u64, u64>,
        emission: impl Fn(u64) -> u64,
        epochs_minted: u64,
        claimed_epochs: u64,
    ) -> Self {
        let mut parts = Self::default();
        for e in 0..epochs_minted {
            let emission = emission(e);
            match distributed.get(&e) {
                None => parts.unpublished.add(e, emission),
                Some(0) => parts.idle.add(e, emission),
                Some(&d) => parts.left.add(e, emission.saturating_sub(d)),
            }
            if e >= claimed_epochs {
                parts
                    .earned
                    .add(e, distributed.get(&e).copied().unwrap_or(0));
            }
        }
        parts
    }
}

impl Sim<'_> {
    /// Every epoch either oracle published (read from oracle 0's files where it has them),
    /// with whether the claims covered it (`root`: "claimed"; "final, not claimed" when its
    /// root became final after the claims; "not final"), whether it is minted, and what of its
    /// emission is still in the rewards vault.
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
            if e + 1 == fin.final_root.epochs {
                epochs.last_status = status(&devices);
            }
            let epoch = self.epoch_entry(e, &devices, fin, end, &dir, agree);
            epochs.list.push(Epoch {
                epoch: e,
                distributed: devices.iter().map(|d| d.reward).sum(),
                agree,
                detail,
                json: epoch,
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

    /// The report's entry for epoch `e`.
    fn epoch_entry(
        &self,
        e: u64,
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
        let emission = self.chain.schedule.epoch_emission(e);
        let distributed: u64 = devices.iter().map(|d| d.reward).sum();
        let claimed = e < fin.final_root.epochs;
        let minted = e < end.epochs_minted;
        let in_vault = match (minted, claimed) {
            (false, _) => 0,
            (true, true) => emission.saturating_sub(distributed),
            (true, false) => emission,
        };
        let root = if claimed {
            "claimed"
        } else if e < end.final_root.epochs {
            "final, not claimed"
        } else {
            "not final"
        };
        json!({
            "epoch": e, "emission": emission, "distributed": distributed,
            "devices_earning": devices.iter().filter(|d| d.reward > 0).count(),
            "devices_scored": devices.len(),
            "reasons": reasons, "oracles_agree": agree,
            "files": dir.display().to_string(),
            "root": root, "minted": minted, "in_vault": in_vault,
        })
    }

    /// What the rewards vault holds, epoch by epoch: of every minted epoch's emission, what no
    /// device earned (unspent: it stays in the vault), what was earned in epochs after the root
    /// the owners claimed against (claimable later), and what was minted for epochs no oracle
    /// published. Exact: the three add up to the balance, which is the minted − claimed.
    pub(super) fn vault(
        &self,
        epochs: &Epochs,
        fin: &Network,
        end: &Snapshot,
        traffic: &Traffic,
    ) -> Vault {
        let n1 = &end.network;
        let distributed: BTreeMap<u64, u64> = epochs
            .list
            .iter()
            .map(|e| (e.epoch, e.distributed))
            .collect();
        let schedule = &self.chain.schedule;
        let Parts {
            idle,
            left,
            earned,
            unpublished,
        } = Parts::of(
            &distributed,
            |e| schedule.epoch_emission(e),
            n1.epochs_minted,
            fin.final_root.epochs,
        );
        let (balance, minted, claimed) = (end.vault, n1.cumulative_budget, n1.total_claimed);
        let unspent = idle.amount + left.amount;
        let explained = unspent + earned.amount + unpublished.amount;
        let ok = minted.checked_sub(claimed) == Some(balance) && explained == balance;
        let detail = format!(
            "{balance} = {minted} - {claimed} = {unspent} unspent + {} earned, not claimed + {} \
             not published",
            earned.amount, unpublished.amount
        );
        let note = self.vault_note(fin, end, traffic, [&idle, &left, &earned, &unpublished]);
        let mut unspent_epochs: Vec<u64> =
            idle.epochs.iter().chain(&left.epochs).copied().collect();
        unspent_epochs.sort_unstable();
        let json = json!({
            "address": n1.rewards_vault.to_string(), "balance": balance,
            "minted": minted, "epochs_minted": n1.epochs_minted, "claimed": claimed,
            "unspent": {"amount": unspent, "epochs": unspent_epochs},
            "earned_not_claimed": earned.json(),
            "not_published": unpublished.json(),
            "note": note,
        });
        Vault { json, ok, detail }
    }

    /// The vault in words, with the numbers.
    fn vault_note(
        &self,
        fin: &Network,
        end: &Snapshot,
        traffic: &Traffic,
        [idle, left, earned, unpublished]: [&Part; 4],
    ) -> String {
        let n1 = &end.network;
        let t = |amount: u64| depin_cli::tokens(amount, self.chain.n0.decimals);
        let mut note = vec![format!(
            "The rewards vault holds {} of the {} tokens minted for epochs {}; the owners \
             claimed {} (the final root of epochs {}).",
            t(end.vault),
            t(n1.cumulative_budget),
            ranges(&(0..n1.epochs_minted).collect::<Vec<_>>()),
            t(n1.total_claimed),
            ranges(&(0..fin.final_root.epochs).collect::<Vec<_>>()),
        )];
        if idle.amount > 0 {
            note.push(format!(
                "Unspent, {}: the whole emission of epochs {}, in which no device earned \
                 anything (the fleet reported in epochs {} only). The oracles give each epoch a \
                 fixed budget (their `epoch.budget` setting, one epoch's emission) and carry \
                 nothing over, so it stays in the vault.",
                t(idle.amount),
                ranges(&idle.epochs),
                ranges(&(traffic.first_epoch..=traffic.last_epoch).collect::<Vec<_>>()),
            ));
        }
        if left.amount > 0 {
            note.push(format!(
                "Unspent, {}: what the split of epochs {} left over.",
                t(left.amount),
                ranges(&left.epochs)
            ));
        }
        if earned.amount > 0 {
            note.push(format!(
                "Earned, not claimed, {}: epochs {}, whose root was not final yet when the \
                 owners claimed; they can claim it once it is (`root` in each epoch says which \
                 are final now).",
                t(earned.amount),
                ranges(&earned.epochs)
            ));
        }
        if unpublished.amount > 0 {
            note.push(format!(
                "Not published, {}: epochs {}, minted but not published by the time the \
                 oracles stopped.",
                t(unpublished.amount),
                ranges(&unpublished.epochs)
            ));
        }
        note.join(" ")
    }
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

impl Vault {
    /// The vault's check.
    pub fn check(&self, checks: &mut Checks) {
        checks.add(
            "rewards vault = minted - claimed = unspent + earned, not claimed + not published",
            self.ok,
            self.detail.clone(),
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

    use super::{Parts, ranges};

    /// The default run's shape: the fleet reported in epochs 3-5 (the claims' root, epoch 4 with
    /// a leftover), epoch 6 was published and minted while the claims ran, epoch 7 published
    /// but not minted yet. The parts add up to minted - claimed.
    #[test]
    fn the_vault_holds_idle_epochs_leftovers_and_later_earnings() {
        let distributed = BTreeMap::from([
            (0, 0),
            (1, 0),
            (2, 0),
            (3, 100),
            (4, 97),
            (5, 100),
            (6, 40),
            (7, 100),
        ]);
        let p = Parts::of(&distributed, |_| 100, 7, 6);
        assert_eq!((p.idle.amount, &p.idle.epochs[..]), (300, &[0, 1, 2][..]));
        assert_eq!((p.left.amount, &p.left.epochs[..]), (63, &[4, 6][..]));
        assert_eq!((p.earned.amount, &p.earned.epochs[..]), (40, &[6][..]));
        assert_eq!(p.unpublished.amount, 0);
        let claimed = 100 + 97 + 100;
        assert_eq!(300 + 63 + 40, 7 * 100 - claimed);
    }

    /// An epoch minted that no oracle published: its whole emission, and nothing earned.
    #[test]
    fn an_unpublished_epoch_keeps_its_whole_emission() {
        let distributed = BTreeMap::from([(0, 0), (1, 100), (2, 100)]);
        let p = Parts::of(&distributed, |_| 100, 4, 3);
        assert_eq!((p.idle.amount, &p.idle.epochs[..]), (100, &[0][..]));
        assert_eq!(
            (p.unpublished.amount, &p.unpublished.epochs[..]),
            (100, &[3][..])
        );
        assert_eq!((p.left.amount, p.earned.amount), (0, 0));
    }

    #[test]
    fn ranges_join_consecutive_epochs() {
        assert_eq!(ranges(&[]), "none");
        assert_eq!(ranges(&[4]), "4");
        assert_eq!(ranges(&[0, 1, 2, 6]), "0-2, 6");
        assert_eq!(ranges(&[0, 2, 3, 5, 6, 7]), "0, 2-3, 5-7");
    }
}
