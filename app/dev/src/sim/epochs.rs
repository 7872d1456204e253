//! Phases "epochs (real time)" and "final roots": the fleet reports slot by slot to the
//! oracles while the customers pay, then the oracles root the last epoch and finalize it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result, anyhow, bail};
use depin_client::Sender;
use depin_client::builders::{TokenProgram, associated_token_address, treasury_ix};
use depin_client::solana_keypair::Keypair;
use depin_client::solana_signer::Signer;
use depin_formats::report::SignedReport;
use rewards::state::Network;
use serde_json::{Value, json};

use super::chain::{self, Ledger, bar};
use super::oracles::{self, Oracle, SLOT_SECS};
use super::{Sim, network, say, unix_now};

/// What the fleet and the customers sent during the epochs.
pub(super) struct Traffic {
    /// The first and last epoch the fleet reported in (`--epochs` of them).
    pub first_epoch: u64,
    pub last_epoch: u64,
    /// Reports the fleet signed and sent (each to a random non-empty subset of the oracles).
    pub signed_reports: u64,
    /// Reports sent to each oracle, by seat.
    pub sent_per_oracle: Vec<u64>,
    /// Slots skipped because their reports would have arrived too late (a busy machine).
    pub missed_slots: u64,
    /// The replayed report and each oracle's answer (`None` if no report was ever sent).
    pub replay: Option<Value>,
    /// Every customer payment: customer, reference, amount, signature.
    pub payments: Vec<Value>,
}

/// The last epoch's root final, and the validator's pace up to then.
pub(super) struct Final {
    /// The network account once the last epoch the fleet reported in is final.
    pub network: Network,
    /// Slots, seconds and ms per slot since the network started, and how far its clock is
    /// behind this machine's.
    pub validator: Value,
}

/// The clock of the epochs: the network's schedule cut into uptime slots.
struct Clock {
    start_ts: i64,
    slots_per_epoch: u64,
    first_epoch: u64,
    /// The end of the last epoch the fleet reports in.
    end_ts: i64,
    /// Half the oracles' skew: a slot whose reports are older than this is skipped.
    fresh_secs: i64,
}

impl Sim<'_> {
    /// Runs `--epochs` epochs in real time: every uptime slot, the fleet's reports go each to
    /// a random non-empty subset of the oracles; the first report ever is replayed (each oracle must refuse it); in each epoch's
    /// first slot every customer pays.
    pub(super) async fn run_epochs(&mut self) -> Result<Traffic> {
        let clock = self.epoch_clock()?;
        let mut traffic = Traffic {
            first_epoch: clock.first_epoch,
            last_epoch: clock.first_epoch + self.o.epochs - 1,
            signed_reports: 0,
            sent_per_oracle: vec![0; self.seats.len()],
            missed_slots: 0,
            replay: None,
            payments: Vec::new(),
        };
        let total_slots = (traffic.last_epoch + 1) * clock.slots_per_epoch;
        let pb = bar(usize::try_from(total_slots)?, "epochs", self.quiet);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{msg:>12} [{bar:40}] slot {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let mut last_slot: Option<u64> = None;
        let mut opened = BTreeSet::new();
        loop {
            let now = unix_now();
            if now >= clock.end_ts {
                break;
            }
            let current = u64::try_from((now - clock.start_ts).max(0))? / SLOT_SECS;
            if current < clock.first_epoch * clock.slots_per_epoch {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
            // Every slot since the last one sent, so a slow tick (a busy machine) loses nothing.
            let from = last_slot.map_or(current, |l| l + 1);
            for slot in from..=current {
                self.send_slot(&clock, slot, now, &mut opened, &mut traffic)
                    .await?;
                pb.set_position((slot + 1).min(total_slots));
            }
            last_slot = Some(current);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        pb.finish();
        Ok(traffic)
    }

    /// The epochs' clock. The fleet reports for `--epochs` epochs (a long set-up may have let
    /// earlier epochs pass with no reports: their roots are empty, and final all the same). It
    /// starts in the current epoch if at least half of it is left, else in the next one.
    fn epoch_clock(&self) -> Result<Clock> {
        let emission = &self.chain.n0.emission;
        let (start_ts, epoch_secs) = (emission.start_ts, emission.epoch_secs);
        let elapsed = u64::try_from((unix_now() - start_ts).max(0))?;
        let first_epoch = elapsed / epoch_secs + u64::from((elapsed % epoch_secs) * 2 > epoch_secs);
        let last_epoch = first_epoch + self.o.epochs - 1;
        Ok(Clock {
            start_ts,
            slots_per_epoch: epoch_secs / SLOT_SECS,
            first_epoch,
            end_ts: start_ts.saturating_add(i64::try_from((last_epoch + 1) * epoch_secs)?),
            fresh_secs: i64::try_from(oracles::skew_secs(self.o.devices) / 2)?,
        })
    }

    /// Uptime slot `slot`: the fleet's reports to the oracles, and in an epoch's first slot the
    /// customers' payments. A slot's reports carry a timestamp inside it while the oracles still
    /// take it (half the skew, so the reports are still fresh when the last batch arrives); a
    /// slot already too old is counted as missed.
    async fn send_slot(
        &mut self,
        clock: &Clock,
        slot: u64,
        now: i64,
        opened: &mut BTreeSet<u64>,
        traffic: &mut Traffic,
    ) -> Result<()> {
        let slot_start = clock.start_ts + i64::try_from(slot * SLOT_SECS)?;
        let at = (slot_start + 2).min(now);
        if at < unix_now() - clock.fresh_secs {
            traffic.missed_slots += 1;
            return Ok(());
        }
        let epoch = slot / clock.slots_per_epoch;
        // A device's first report of an epoch carries its speed test (and beacon).
        let opening = opened.insert(epoch);
        let reports = self
            .fleet
            .reports(epoch, slot % clock.slots_per_epoch, at, opening)?;
        // The run's first report reaches every oracle (it is replayed below); every other one
        // a random non-empty subset of them, as devices do in the field.
        let everywhere = usize::from(traffic.replay.is_none());
        let sent = send_spread(&self.http, &self.seats, &reports, everywhere).await?;
        traffic.signed_reports += u64::try_from(reports.len())?;
        for (total, n) in traffic.sent_per_oracle.iter_mut().zip(sent) {
            *total += n;
        }
        // A replayed report: the same signed bytes again.
        if traffic.replay.is_none()
            && let Some(r) = reports.first()
        {
            traffic.replay = Some(replay_to_all(&self.http, &self.seats, r).await?);
        }
        // Each customer pays once per epoch, in the first slot the fleet reports in.
        if opening {
            let k = epoch - clock.first_epoch;
            let (sender, ledger, usdc) = (&self.sender, &self.ledger, self.chain.usdc);
            let paid = pay_all(sender, ledger, &self.customers, usdc, epoch, k).await?;
            traffic.payments.extend(paid);
        }
        Ok(())
    }

    /// Waits for the oracles to finalize `last_epoch`'s root: three minutes, plus half a minute
    /// for each epoch the oracles are still behind (a large fleet's onboarding leaves them a
    /// backlog of empty epochs to root one by one). Then reads the validator's pace: a slot is
    /// 400 ms nominally, and its clock, which every epoch's close waits on, runs behind this
    /// machine's when slots come slower.
    pub(super) async fn wait_final(&self, last_epoch: u64) -> Result<Final> {
        say(
            self.quiet,
            format!("Waiting for the root of epoch {last_epoch} to be final ..."),
        );
        let behind =
            (last_epoch + 1).saturating_sub(network(&self.sender).await?.final_root.epochs);
        let patience = self.chain.n0.emission.epoch_secs + 180 + 30 * behind;
        let deadline = Instant::now() + Duration::from_secs(patience);
        let fin = loop {
            let n = network(&self.sender).await?;
            if n.final_root.epochs > last_epoch {
                break n;
            }
            if Instant::now() > deadline {
                bail!(
                    "epoch {last_epoch} is not final after {patience} s (final: {} epochs); see \
                     {}/oracle-*/oracle.log",
                    n.final_root.epochs,
                    self.out.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let (slot, clock_behind) = chain::clock(&self.sender).await?;
        let chain_secs = self.chain_started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let validator = json!({"slots": slot, "secs": chain_secs,
            "ms_per_slot": if slot == 0 { 0.0 } else { chain_secs * 1000.0 / slot as f64 },
            "clock_behind_secs": clock_behind});
        Ok(Final {
            network: fin,
            validator,
        })
    }
}

/// Every customer pays once for epoch `epoch`, the run's `k`-th (from 0): customer i pays
/// 100 USDC x (i + 1) x (k + 1), with the invoice reference `INV-<epoch>-<i>`, all at once.
async fn pay_all(
    sender: &Sender,
    ledger: &Ledger,
    customers: &[Keypair],
    usdc: Pubkey,
    epoch: u64,
    k: u64,
) -> Result<Vec<Value>> {
    let usdc_tp = TokenProgram::SplToken;
    let pays = customers.iter().enumerate().map(|(i, c)| async move {
        let amount = 100_000_000 * (u64::try_from(i)? + 1) * (k + 1);
        let reference = format!("INV-{epoch:03}-{i:04}");
        let ix = treasury_ix::pay(
            treasury_ix::pay_accounts(
                c.pubkey(),
                usdc,
                usdc_tp,
                associated_token_address(&c.pubkey(), &usdc, usdc_tp),
            ),
            treasury_ix::PayArgs {
                amount,
                reference: depin_cli::commands::pay::reference(&reference)?,
            },
        );
        let landed = ledger
            .send(sender, "pay", &[ix], c, &[], || {
                format!("payment {reference}")
            })
            .await?;
        Ok::<_, anyhow::Error>(json!({"customer": c.pubkey().to_string(),
            "reference": reference, "amount": amount,
            "signature": landed.signature.to_string()}))
    });
    futures::future::join_all(pays).await.into_iter().collect()
}

/// Sends each of `reports` to a random non-empty subset of the oracles (the first
/// `everywhere` to all of them), in batches of the binary encoding, through the device agent's
/// uplink (`depin_agent::uplink::send_batch`). Returns how many went to each oracle.
async fn send_spread(
    http: &reqwest::Client,
    seats: &[Oracle],
    reports: &[SignedReport],
    everywhere: usize,
) -> Result<Vec<u64>> {
    use rand::Rng;
    let all = (1u32 << seats.len()) - 1;
    let mut per_seat: Vec<Vec<Vec<u8>>> = vec![Vec::new(); seats.len()];
    {
        let mut rng = rand::thread_rng();
        for (i, r) in reports.iter().enumerate() {
            let subset = if i < everywhere {
                all
            } else {
                rng.gen_range(1..=all)
            };
            for (seat, list) in per_seat.iter_mut().enumerate() {
                if subset & (1 << seat) != 0 {
                    list.push(r.to_binary());
                }
            }
        }
    }
    let sends = seats.iter().zip(&per_seat).map(|(s, list)| async move {
        for chunk in list.chunks(4_000) {
            let chunk: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
            deliver(http, s, &chunk).await?;
        }
        Ok::<_, anyhow::Error>(u64::try_from(list.len())?)
    });
    futures::future::join_all(sends).await.into_iter().collect()
}

/// Sends one batch with the agent's uplink until the oracle has stored every report of it: a
/// 429 is waited out (its Retry-After, else the agent's backoff), as a device does; anything
/// else is an error of the run (the simulated devices' reports are fresh and new, so an
/// oracle must store each one).
async fn deliver(http: &reqwest::Client, oracle: &Oracle, reports: &[&[u8]]) -> Result<()> {
    use depin_agent::uplink::{Backoff, Failure, Outcome, send_batch};
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(2));
    let mut rest = reports;
    for _ in 0..60 {
        let result = send_batch(http, &oracle.url, rest).await;
        if let Some(o) = result
            .outcomes
            .iter()
            .flatten()
            .find(|o| **o != Outcome::Stored)
        {
            bail!("oracle {} answered {o:?} for a fresh report", oracle.seat);
        }
        match result.failure {
            None => return Ok(()),
            Some(Failure::RetryAfter(after, _)) => {
                rest = &rest[result.settled_prefix()..];
                tokio::time::sleep(after.unwrap_or_else(|| backoff.next_delay())).await;
            }
            Some(failure) => bail!(
                "a batch of {} reports was refused by oracle {} at {}: {failure}",
                rest.len(),
                oracle.seat,
                oracle.url
            ),
        }
    }
    Err(anyhow!(
        "oracle {} stayed overloaded (429) for 60 tries",
        oracle.seat
    ))
}

/// POSTs a binary body; retries while the oracle answers 429 (backpressure).
async fn post(
    http: &reqwest::Client,
    oracle: &Oracle,
    path: &str,
    body: Vec<u8>,
) -> Result<(u16, String)> {
    for _ in 0..30 {
        let resp = http
            .post(format!("{}{path}", oracle.url))
            .header("content-type", "application/octet-stream")
            .body(body.clone())
            .send()
            .await
            .with_context(|| format!("oracle {} at {}", oracle.seat, oracle.url))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if status != 429 {
            return Ok((status, text));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(anyhow!(
        "oracle {} stayed overloaded (429) for 15 s",
        oracle.seat
    ))
}

/// Sends an already accepted report again to every oracle; each must refuse it.
async fn replay_to_all(
    http: &reqwest::Client,
    seats: &[Oracle],
    report: &SignedReport,
) -> Result<Value> {
    let mut answers = Vec::new();
    for s in seats {
        let (status, text) = post(http, s, "/v1/reports", report.to_binary()).await?;
        let reason = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("error").cloned())
            .unwrap_or(Value::Null);
        answers.push(json!({"oracle": s.seat, "status": status, "reason": reason}));
    }
    Ok(
        json!({"device": bs58::encode(report.report.device.0).into_string(),
        "answers": answers}),
    )
}
