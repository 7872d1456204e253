//! The compute verifier (GPU / compute nodes): job receipts countersigned by an allowed
//! customer.
//!
//! ```text
//! score = min(Σ units of valid receipts, max_compute_units) * points_per_compute_unit
//! ```
//!
//! A receipt is valid if its units are nonzero (`receipt_zero_units`), its customer is in the
//! allow-list (`receipt_unknown_customer`), its job id was not already accepted for this device
//! (`receipt_duplicate`: a job counts once) and the customer's signature over
//! `depin-receipt-v1 || device || job_id || units || customer` verifies
//! (`receipt_bad_signature`). No valid receipt: score 0, `no_job_receipts`.

use std::collections::BTreeSet;

use depin_formats::reasons::{Reason, Reasons};
use depin_formats::report::Payload;

use super::{Context, Observation, Verdict, Verifier};
use crate::registry::{Device, DeviceKind};

/// Scores compute nodes. See the module documentation for the formula.
#[derive(Clone, Copy, Debug, Default)]
pub struct ComputeVerifier;

impl Verifier for ComputeVerifier {
    fn kind(&self) -> DeviceKind {
        DeviceKind::Compute
    }

    fn verify(&self, device: &Device, observations: &[Observation], ctx: &Context<'_>) -> Verdict {
        let p = ctx.params;
        let mut reasons = Reasons::default();
        let mut accepted: BTreeSet<u64> = BTreeSet::new();
        let mut units: u64 = 0;
        for o in observations {
            let Payload::JobReceipt(r) = &o.payload else {
                reasons.push(Reason::UnexpectedReport);
                continue;
            };
            let checked = if r.units == 0 {
                Err(Reason::ReceiptZeroUnits)
            } else if ctx.customers.binary_search(&r.customer).is_err() {
                Err(Reason::ReceiptUnknownCustomer)
            } else if accepted.contains(&r.job_id) {
                Err(Reason::ReceiptDuplicate)
            } else if !r.customer_signature_valid(&device.key) {
                Err(Reason::ReceiptBadSignature)
            } else {
                Ok(())
            };
            match checked {
                Ok(()) => {
                    accepted.insert(r.job_id);
                    units = units.saturating_add(r.units);
                }
                Err(reason) => reasons.push(reason),
            }
        }
        if accepted.is_empty() {
            reasons.push(Reason::NoJobReceipts);
            return Verdict { score: 0, reasons };
        }
        if units > p.max_compute_units {
            reasons.add(Reason::ReceiptUnitsCapped, units - p.max_compute_units);
            units = p.max_compute_units;
        }
        Verdict {
            score: units.saturating_mul(p.points_per_compute_unit),
            reasons,
        }
    }
}
