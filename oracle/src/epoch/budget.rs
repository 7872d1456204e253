//! The epoch's budget: what the rewards program lets the epoch's root give out that no device
//! has been given yet.
//!
//! ```text
//! emission(e) = initial_epoch_emission >> (e / halving_interval_epochs)   (rewards::math::emission)
//! previous    = Σ cumulative of epoch e-1's wallets.csv                   (0 for epoch 0)
//! carried(e)  = emission of epochs 0..e  - previous
//! budget(e)   = emission(e) + carried(e) = emission of epochs 0..=e - previous
//! ```
//!
//! The rewards program posts a root for epoch `e` only once the epoch is minted, and only with a
//! total of at most `root_budget(e) = min(cumulative_budget, emission of epochs 0..=e)`, which
//! is then the emission of epochs `0..=e`. The root's total is `previous + distributed`, at most
//! `previous + budget(e)`: exactly `root_budget(e)` when any device earns. An epoch in which no
//! device earns distributes nothing: its emission stays in the rewards vault and is carried into
//! the next epoch's budget. So every token minted for rewards is given to devices, by the first
//! epoch (that one or a later one) in which a device earns.
//!
//! The schedule's math is the rewards program's own (`rewards::math::emission`), so the oracle
//! and the program cannot disagree on an amount.

use depin_formats::params::{EpochConfig, HalvingSchedule};
use rewards::math::emission::{EmissionError, EmissionSchedule};

/// An epoch's budget and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The epoch's own emission.
    pub emission: u64,
    /// The earlier epochs' emission not given out by them.
    pub carried: u64,
    /// `emission + carried`.
    pub budget: u64,
}

/// Why a budget could not be derived, or does not match the one stated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error(
        "invalid emission schedule (initial_epoch_emission {}, halving_interval_epochs {}): {reason}",
        schedule.initial_epoch_emission,
        schedule.halving_interval_epochs
    )]
    Schedule {
        schedule: HalvingSchedule,
        reason: &'static str,
    },
    #[error(
        "epoch {epoch}: the previous epochs gave out {previous} in total, more than the \
         emission of epochs 0..{epoch} ({emitted}): the previous totals do not follow this \
         emission schedule"
    )]
    PreviousExceedsEmission {
        epoch: u64,
        previous: u64,
        emitted: u64,
    },
    #[error("epoch {epoch}: emission is {stated}, the emission schedule gives {derived}")]
    Emission {
        epoch: u64,
        stated: u64,
        derived: u64,
    },
    #[error(
        "epoch {epoch}: carried is {stated}, but the emission of epochs 0..{epoch} ({emitted}) \
         less the previous epochs' total ({previous}) is {derived}"
    )]
    Carried {
        epoch: u64,
        stated: u64,
        emitted: u64,
        previous: u64,
        derived: u64,
    },
    #[error("epoch {epoch}: budget is {stated}, but emission + carried is {derived}")]
    Budget {
        epoch: u64,
        stated: u64,
        derived: u64,
    },
}

/// The rewards program's schedule with these amounts. Its start and epoch length do not enter
/// any amount; they are set to values its validation accepts.
fn program_schedule(s: &HalvingSchedule) -> EmissionSchedule {
    EmissionSchedule {
        start_ts: 0,
        epoch_secs: 1,
        initial_epoch_emission: s.initial_epoch_emission,
        halving_interval_epochs: s.halving_interval_epochs,
    }
}

fn schedule_error(schedule: &HalvingSchedule, e: EmissionError) -> BudgetError {
    BudgetError::Schedule {
        schedule: *schedule,
        reason: match e {
            EmissionError::ZeroDuration => "halving_interval_epochs must be at least 1",
            EmissionError::ZeroEmission => "initial_epoch_emission must be at least 1",
            EmissionError::ExceedsMaxSupply => "the lifetime emission overflows u64",
        },
    }
}

/// Checks the schedule as the rewards program does at creation (any max supply).
///
/// # Errors
///
/// [`BudgetError::Schedule`]: a zero amount or interval, or a lifetime emission beyond u64.
pub fn validate(schedule: &HalvingSchedule) -> Result<(), BudgetError> {
    program_schedule(schedule)
        .validate(u64::MAX)
        .map_err(|e| schedule_error(schedule, e))
}

/// Epoch `epoch`'s budget under `schedule`, when the previous epochs gave out `previous` in
/// total (the previous epoch's Σ cumulative).
///
/// # Errors
///
/// An invalid schedule; `previous` above the emission of epochs `0..epoch`.
pub fn derive(
    schedule: &HalvingSchedule,
    epoch: u64,
    previous: u64,
) -> Result<Budget, BudgetError> {
    validate(schedule)?;
    let s = program_schedule(schedule);
    let emitted = s
        .cumulative_emission(epoch)
        .map_err(|e| schedule_error(schedule, e))?;
    let carried = emitted
        .checked_sub(previous)
        .ok_or(BudgetError::PreviousExceedsEmission {
            epoch,
            previous,
            emitted,
        })?;
    let emission = s.epoch_emission(epoch);
    // emitted + emission is the emission of epochs 0..=epoch, within the validated lifetime.
    let budget = carried
        .checked_add(emission)
        .ok_or_else(|| schedule_error(schedule, EmissionError::ExceedsMaxSupply))?;
    Ok(Budget {
        emission,
        carried,
        budget,
    })
}

/// Re-derives `config`'s emission, carried amount and budget from its schedule and the
/// previous epochs' total, and returns them.
///
/// # Errors
///
/// See [`check_stated`].
pub fn check(config: &EpochConfig, previous: u64) -> Result<Budget, BudgetError> {
    let stated = Budget {
        emission: config.emission,
        carried: config.carried,
        budget: config.budget,
    };
    check_stated(config.epoch, &config.emission_schedule, stated, previous)
}

/// Re-derives epoch `epoch`'s amounts under `schedule` after `previous` was given out, and
/// compares them with the `stated` ones (params.json's or manifest.json's).
///
/// # Errors
///
/// See [`derive`]; the first of `emission`, `carried`, `budget` that differs from the derived
/// value, with both values.
pub fn check_stated(
    epoch: u64,
    schedule: &HalvingSchedule,
    stated: Budget,
    previous: u64,
) -> Result<Budget, BudgetError> {
    let derived = derive(schedule, epoch, previous)?;
    if stated.emission != derived.emission {
        return Err(BudgetError::Emission {
            epoch,
            stated: stated.emission,
            derived: derived.emission,
        });
    }
    if stated.carried != derived.carried {
        return Err(BudgetError::Carried {
            epoch,
            stated: stated.carried,
            emitted: derived.carried.saturating_add(previous),
            previous,
            derived: derived.carried,
        });
    }
    if stated.budget != derived.budget {
        return Err(BudgetError::Budget {
            epoch,
            stated: stated.budget,
            derived: derived.budget,
        });
    }
    Ok(derived)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALVING: HalvingSchedule = HalvingSchedule {
        initial_epoch_emission: 1000,
        halving_interval_epochs: 2,
    };

    #[test]
    fn carries_what_earlier_epochs_did_not_give_out() {
        // Epoch 0: nothing before it.
        assert_eq!(
            derive(&HALVING, 0, 0),
            Ok(Budget {
                emission: 1000,
                carried: 0,
                budget: 1000
            })
        );
        // Epoch 1 after an epoch 0 in which nobody earned: both emissions.
        assert_eq!(
            derive(&HALVING, 1, 0),
            Ok(Budget {
                emission: 1000,
                carried: 1000,
                budget: 2000
            })
        );
        // Epoch 2 (the first halving) after 1,998 given out: the 2 left over and 500.
        assert_eq!(
            derive(&HALVING, 2, 1998),
            Ok(Budget {
                emission: 500,
                carried: 2,
                budget: 502
            })
        );
        // After 64 halvings the emission is zero, and only the carried amount is left.
        assert_eq!(
            derive(&HALVING, 200, 3982),
            Ok(Budget {
                emission: 0,
                carried: 6,
                budget: 6
            })
        );
    }

    #[test]
    fn refuses_bad_schedules_and_previous_totals_above_the_emission() {
        let zero = HalvingSchedule {
            initial_epoch_emission: 0,
            ..HALVING
        };
        assert_eq!(
            derive(&zero, 0, 0).unwrap_err().to_string(),
            "invalid emission schedule (initial_epoch_emission 0, halving_interval_epochs 2): \
             initial_epoch_emission must be at least 1"
        );
        let never = HalvingSchedule {
            halving_interval_epochs: 0,
            ..HALVING
        };
        assert!(matches!(
            derive(&never, 0, 0),
            Err(BudgetError::Schedule { .. })
        ));
        assert_eq!(
            derive(&HALVING, 2, 2001).unwrap_err().to_string(),
            "epoch 2: the previous epochs gave out 2001 in total, more than the emission of \
             epochs 0..2 (2000): the previous totals do not follow this emission schedule"
        );
    }

    fn config(emission: u64, carried: u64, budget: u64) -> EpochConfig {
        EpochConfig {
            epoch: 1,
            budget,
            emission,
            carried,
            emission_schedule: HALVING,
            window: depin_formats::params::EpochWindow {
                start: 0,
                end: 3600,
                slot_secs: 3600,
            },
            customers: Vec::new(),
            scoring: depin_formats::params::ScoringParams::default(),
        }
    }

    #[test]
    fn check_names_the_first_wrong_amount() {
        assert_eq!(
            check(&config(1000, 600, 1600), 400).map(|b| b.budget),
            Ok(1600)
        );
        assert_eq!(
            check(&config(999, 600, 1599), 400).unwrap_err().to_string(),
            "epoch 1: emission is 999, the emission schedule gives 1000"
        );
        assert_eq!(
            check(&config(1000, 601, 1601), 400)
                .unwrap_err()
                .to_string(),
            "epoch 1: carried is 601, but the emission of epochs 0..1 (1000) less the previous \
             epochs' total (400) is 600"
        );
        assert_eq!(
            check(&config(1000, 600, 1000), 400)
                .unwrap_err()
                .to_string(),
            "epoch 1: budget is 1000, but emission + carried is 1600"
        );
    }
}
