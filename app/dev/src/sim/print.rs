//! The report as tables on stdout (without `--json`).

use serde_json::Value;

fn tokens(base: u64) -> String {
    depin_cli::tokens(base, 6)
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// A JSON value as plain text (strings without quotes), so it can be padded.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// The items of a JSON array (none if it is not one).
fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// The report as tables.
pub(super) fn print_report(r: &Value) {
    devices(r);
    epochs(r);
    owners_and_ingest(r);
    treasury(&r["treasury"]);
    governance(&r["governance"]);
    supply_and_claims(r);
    tokens_table(&r["tokens"]);
    compute_units(r);
    timing(r);
    checks(r);
    println!("\nfiles: {}", r["out"].as_str().unwrap_or(""));
}

/// The DAO vote: who voted, the weights, the outcome and the staking change it queued.
fn governance(g: &Value) {
    if let Some(reason) = g["skipped"].as_str() {
        println!("\nDAO vote: skipped ({reason})");
        return;
    }
    println!(
        "\nDAO vote (realm {}): proposal {}, {} voters, yes {} / no {} (staked weight): {}",
        text(&g["realm"]),
        text(&g["proposal"]),
        g["voters"],
        g["yes_weight"],
        g["no_weight"],
        text(&g["state"])
    );
    let c = &g["queued_change"];
    if !c.is_null() {
        println!(
            "  queued staking change #{}: {} (applies after the staking timelock, at unix time {})",
            c["id"],
            text(&c["update"]),
            c["eta"]
        );
    }
}

/// The fleet by fault, and by outcome in the last epoch the claims covered.
fn devices(r: &Value) {
    println!(
        "\n== Simulated network: {} devices, {} owners ==",
        r["devices"]["total"], r["devices"]["owners"]
    );
    for (title, key) in [
        ("devices by fault:", "by_fault"),
        ("devices in the last epoch:", "last_epoch"),
    ] {
        println!("{title}");
        if let Some(m) = r["devices"][key].as_object() {
            for (k, v) in m {
                println!("  {k:<32} {:>6}", text(v));
            }
        }
    }
}

/// Every published epoch (its budget: its emission plus what the earlier epochs carried), and
/// what the rewards vault holds.
fn epochs(r: &Value) {
    println!(
        "\nrewards per epoch (budget = emission + carried; what is not distributed is carried on):"
    );
    println!(
        "  {:>5} {:>18} {:>18} {:>18} {:>18} {:>8} {:>6}  {:<22}  discounts",
        "epoch", "emission", "carried", "budget", "distributed", "earning", "agree", "root"
    );
    for e in items(&r["epochs"]) {
        let reasons = e["reasons"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let root = format!(
            "{}{}",
            text(&e["root"]),
            if e["minted"] == Value::Bool(true) {
                ""
            } else {
                " (not minted)"
            }
        );
        println!(
            "  {:>5} {:>18} {:>18} {:>18} {:>18} {:>8} {:>6}  {root:<22}  {reasons}",
            text(&e["epoch"]),
            tokens(num(&e["emission"])),
            tokens(num(&e["carried"])),
            tokens(num(&e["budget"])),
            tokens(num(&e["distributed"])),
            text(&e["devices_earning"]),
            // null: only one oracle published the epoch, so there is nothing to compare.
            if e["oracles_agree"].is_null() {
                "-".to_owned()
            } else {
                text(&e["oracles_agree"])
            }
        );
    }
    println!("\nrewards vault: {}", text(&r["rewards_vault"]["note"]));
}

/// The top earners, and what each oracle's ingest took and refused.
fn owners_and_ingest(r: &Value) {
    println!("\ntop owners:");
    for t in items(&r["top_owners"]) {
        println!(
            "  {:<44} {:>3} devices {:>20}",
            t["owner"].as_str().unwrap_or(""),
            text(&t["devices"]),
            tokens(num(&t["earned"]))
        );
    }
    println!(
        "\nreports ({} signed, each sent to a random non-empty subset of the oracles):",
        r["ingest"]["reports_signed"]
    );
    for o in items(&r["ingest"]["oracles"]) {
        println!(
            "  oracle {}: sent {}, accepted {}, refused {}",
            o["oracle"], o["sent"], o["accepted"], o["rejected"]
        );
    }
    println!(
        "  replayed report: {}",
        r["ingest"]["replayed_report"]["answers"]
    );
}

/// The revenue, its shares, the stakers' claims and the buyback.
fn treasury(t: &Value) {
    println!("\ntreasury (USDC, base units):");
    println!(
        "  payments {:>6}  received {:>16}",
        t["payments"].as_array().map_or(0, Vec::len),
        text(&t["received"])
    );
    println!(
        "  buyback bucket {:>16}  bought back {:>16}  burned {}",
        text(&t["buckets"]["buyback"]),
        text(&t["bought_back"]),
        text(&t["burned_by_buybacks"])
    );
    println!(
        "  routed to stakers {:>13}  claimed by stakers {:>13}",
        text(&t["routed_to_stakers"]),
        text(&t["stakers_claimed"])
    );
    println!(
        "  swept to operations {:>11}",
        text(&t["swept_to_operations"])
    );
    println!(
        "  buyback: {} USDC base units spent, {} tokens burned, through pool {}",
        text(&t["buyback"]["spent"]),
        tokens(num(&t["buyback"]["burned"])),
        text(&t["buyback"]["pool"])
    );
}

/// The supply's balance, and the claims.
fn supply_and_claims(r: &Value) {
    let s = &r["supply"];
    println!(
        "\nsupply: before {}  + minted {}  - burned {}  = after {}",
        tokens(num(&s["before"])),
        tokens(num(&s["minted"])),
        tokens(num(&s["burned"])),
        tokens(num(&s["after"]))
    );
    println!(
        "claims: {} wallets, {} in total",
        r["claims"]["wallets"],
        tokens(num(&r["claims"]["total"]))
    );
}

/// Where every minted token is.
fn tokens_table(t: &Value) {
    println!("\nwhere every minted token is:");
    let row = |what: &str, v: &Value| println!("  {what:<46} {:>22}", tokens(num(v)));
    row("genesis supply", &t["genesis"]);
    row("rewards: claimed", &t["claimed"]);
    row("rewards: owed under the final root", &t["owed"]);
    row(
        "rewards: given out, root not final",
        &t["given_out_not_final"],
    );
    row(
        "rewards: carried (in the vault, not given out)",
        &t["carried"],
    );
    row("= minted", &t["minted"]);
    row("- burned", &t["burned"]["total"]);
    row("= mint supply", &t["supply"]);
    println!(
        "  (rewards vault {} = owed + given out, root not final + carried)",
        tokens(num(&t["rewards_vault"]))
    );
}

/// Compute units per instruction kind.
fn compute_units(r: &Value) {
    println!("\ncompute units per instruction kind:");
    println!(
        "  {:<28} {:>8} {:>8} {:>8}",
        "kind", "sampled", "mean", "max"
    );
    for c in items(&r["compute_units"]) {
        println!(
            "  {:<28} {:>8} {:>8} {:>8}",
            text(&c["kind"]),
            text(&c["sampled"]),
            text(&c["mean"]),
            text(&c["max"])
        );
    }
}

/// Transactions, the phases' wall time, and the validator's pace.
fn timing(r: &Value) {
    println!(
        "\ntransactions: {}  (blockhash expiries: {})",
        r["transactions"], r["blockhash_expiries"]
    );
    println!("phases:");
    for p in items(&r["phases"]) {
        println!(
            "  {:<28} {:>7.1} s",
            p["phase"].as_str().unwrap_or(""),
            p["secs"].as_f64().unwrap_or(0.0)
        );
    }
    println!("wall time: {:.1} s", r["wall_secs"].as_f64().unwrap_or(0.0));
    let v = &r["validator"];
    println!(
        "validator: {} slots in {:.0} s ({:.0} ms per slot; 400 nominal); its clock was {} s behind \
         this machine's when the last root was final",
        v["slots"],
        v["secs"].as_f64().unwrap_or(0.0),
        v["ms_per_slot"].as_f64().unwrap_or(0.0),
        v["clock_behind_secs"]
    );
}

/// Every check, ok or FAILED.
fn checks(r: &Value) {
    println!("\nchecks:");
    for c in items(&r["checks"]) {
        println!(
            "  [{}] {}: {}",
            if c["ok"] == Value::Bool(true) {
                "ok"
            } else {
                "FAILED"
            },
            c["check"].as_str().unwrap_or(""),
            c["detail"].as_str().unwrap_or("")
        );
    }
}
