//! Signed device reports: the envelope, its two encodings (JSON and a fixed-layout binary), the
//! signed message, and single and batch signature verification.
//!
//! The byte layout is specified in `docs/reports.md`; this module is its reference
//! implementation. Both encodings decode to the same [`SignedReport`] and verify the same
//! signature, over `DOMAIN_TAG || binary encoding of the envelope without the signature`.
//!
//! Every failure is a [`ReportError`] whose [`ReportError::reason`] is a stable machine-readable
//! string (the ingest API returns it in 4xx bodies).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::keys::{Pubkey, Sig, verifying_key};

/// Domain separation of the device's signature over a report.
pub const DOMAIN_TAG: &[u8] = b"depin-report-v1";
/// Domain separation of the customer's signature over a job receipt.
pub const RECEIPT_DOMAIN_TAG: &[u8] = b"depin-receipt-v1";
/// The first byte of every binary report.
pub const BINARY_VERSION: u8 = 1;
/// Version, device, timestamp, nonce, payload kind.
pub const HEADER_LEN: usize = 1 + 32 + 8 + 8 + 1;
/// Length of the trailing signature.
pub const SIGNATURE_LEN: usize = 64;
/// Largest latitude in 1e-7 degrees.
pub const MAX_LAT_E7: i32 = 900_000_000;
/// Largest longitude in 1e-7 degrees.
pub const MAX_LON_E7: i32 = 1_800_000_000;

/// A position in 1e-7 degrees (about 1 cm), WGS84.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude, 1e-7 degrees, in `[-900_000_000, 900_000_000]`.
    pub lat_e7: i32,
    /// Longitude, 1e-7 degrees, in `[-1_800_000_000, 1_800_000_000]`.
    pub lon_e7: i32,
}

/// Uptime evidence: one heartbeat counts for its hour. It may carry a GPS fix.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// The device's own position fix, if it has one.
    #[serde(default)]
    pub location: Option<Location>,
}

/// A backhaul speed test run by the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Speedtest {
    pub download_kbps: u32,
    pub upload_kbps: u32,
    pub latency_ms: u32,
}

/// A proof-of-coverage beacon the device transmitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    /// Chosen by the beaconer; unique per beaconer within an epoch.
    pub beacon_id: u64,
    /// Transmit power (EIRP), deci-dBm (270 = 27.0 dBm).
    pub tx_power_ddbm: i16,
    /// Carrier frequency, kHz (915 MHz = 915000).
    pub frequency_khz: u32,
}

/// The device heard another device's beacon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// The device that transmitted the beacon.
    pub beaconer: Pubkey,
    pub beacon_id: u64,
    /// Received signal strength, deci-dBm (-1105 = -110.5 dBm).
    pub rssi_ddbm: i16,
    /// Frequency the beacon was heard on, kHz.
    pub frequency_khz: u32,
}

/// A compute job receipt, countersigned by the customer who paid for the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobReceipt {
    pub job_id: u64,
    /// Units of work done (the unit is the network's, e.g. GPU-seconds).
    pub units: u64,
    pub customer: Pubkey,
    /// The customer's ed25519 signature over [`JobReceipt::customer_message`].
    pub customer_signature: Sig,
}

impl JobReceipt {
    /// `RECEIPT_DOMAIN_TAG || device[32] || job_id u64 LE || units u64 LE || customer[32]`.
    #[must_use]
    pub fn customer_message(
        device: &Pubkey,
        job_id: u64,
        units: u64,
        customer: &Pubkey,
    ) -> Vec<u8> {
        let mut m = Vec::with_capacity(RECEIPT_DOMAIN_TAG.len() + 32 + 8 + 8 + 32);
        m.extend_from_slice(RECEIPT_DOMAIN_TAG);
        m.extend_from_slice(&device.0);
        m.extend_from_slice(&job_id.to_le_bytes());
        m.extend_from_slice(&units.to_le_bytes());
        m.extend_from_slice(&customer.0);
        m
    }

    /// A receipt for `device` signed by `customer`.
    #[must_use]
    pub fn signed(device: &Pubkey, job_id: u64, units: u64, customer: &SigningKey) -> Self {
        let customer_key = crate::keys::pubkey_of(customer);
        let message = Self::customer_message(device, job_id, units, &customer_key);
        Self {
            job_id,
            units,
            customer: customer_key,
            customer_signature: Sig(customer.sign(&message).to_bytes()),
        }
    }

    /// Whether the customer's signature over this receipt for `device` verifies (a weak or
    /// invalid customer key never verifies).
    #[must_use]
    pub fn customer_signature_valid(&self, device: &Pubkey) -> bool {
        let Some(vk) = verifying_key(&self.customer) else {
            return false;
        };
        let message = Self::customer_message(device, self.job_id, self.units, &self.customer);
        vk.verify(&message, &Signature::from_bytes(&self.customer_signature.0))
            .is_ok()
    }
}

/// What a report proves. Large variants are boxed so that the common ones (heartbeats) stay
/// small in memory: an epoch holds tens of millions of them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    Heartbeat(Heartbeat),
    Speedtest(Speedtest),
    Beacon(Beacon),
    Witness(Box<Witness>),
    JobReceipt(Box<JobReceipt>),
}

impl Payload {
    /// The kind's name, as the JSON form's `kind` tag (`heartbeat`, ..., `job_receipt`).
    #[must_use]
    pub const fn kind_name(&self) -> &'static str {
        match self {
            Self::Heartbeat(_) => "heartbeat",
            Self::Speedtest(_) => "speedtest",
            Self::Beacon(_) => "beacon",
            Self::Witness(_) => "witness",
            Self::JobReceipt(_) => "job_receipt",
        }
    }

    /// The binary kind byte.
    #[must_use]
    pub const fn kind_byte(&self) -> u8 {
        match self {
            Self::Heartbeat(_) => 0,
            Self::Speedtest(_) => 1,
            Self::Beacon(_) => 2,
            Self::Witness(_) => 3,
            Self::JobReceipt(_) => 4,
        }
    }

    /// The fixed body length of the payload kind `kind`, or `None` for an unknown kind.
    #[must_use]
    pub const fn body_len(kind: u8) -> Option<usize> {
        match kind {
            0 => Some(9),
            1 => Some(12),
            2 => Some(14),
            3 => Some(46),
            4 => Some(112),
            _ => None,
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.push(self.kind_byte());
        match self {
            Self::Heartbeat(h) => match h.location {
                Some(l) => {
                    out.push(1);
                    out.extend_from_slice(&l.lat_e7.to_le_bytes());
                    out.extend_from_slice(&l.lon_e7.to_le_bytes());
                }
                None => out.extend_from_slice(&[0; 9]),
            },
            Self::Speedtest(s) => {
                out.extend_from_slice(&s.download_kbps.to_le_bytes());
                out.extend_from_slice(&s.upload_kbps.to_le_bytes());
                out.extend_from_slice(&s.latency_ms.to_le_bytes());
            }
            Self::Beacon(b) => {
                out.extend_from_slice(&b.beacon_id.to_le_bytes());
                out.extend_from_slice(&b.tx_power_ddbm.to_le_bytes());
                out.extend_from_slice(&b.frequency_khz.to_le_bytes());
            }
            Self::Witness(w) => {
                out.extend_from_slice(&w.beaconer.0);
                out.extend_from_slice(&w.beacon_id.to_le_bytes());
                out.extend_from_slice(&w.rssi_ddbm.to_le_bytes());
                out.extend_from_slice(&w.frequency_khz.to_le_bytes());
            }
            Self::JobReceipt(j) => {
                out.extend_from_slice(&j.job_id.to_le_bytes());
                out.extend_from_slice(&j.units.to_le_bytes());
                out.extend_from_slice(&j.customer.0);
                out.extend_from_slice(&j.customer_signature.0);
            }
        }
    }

    fn read(kind: u8, body: &[u8]) -> Result<Self, ReportError> {
        let mut r = Reader(body);
        let payload = match kind {
            0 => {
                let flag = r.u8()?;
                let lat_e7 = r.i32()?;
                let lon_e7 = r.i32()?;
                match flag {
                    0 if lat_e7 == 0 && lon_e7 == 0 => {
                        Self::Heartbeat(Heartbeat { location: None })
                    }
                    0 => {
                        return Err(ReportError::NonCanonical(
                            "heartbeat without location has nonzero coordinates",
                        ));
                    }
                    1 => Self::Heartbeat(Heartbeat {
                        location: Some(Location { lat_e7, lon_e7 }),
                    }),
                    _ => return Err(ReportError::NonCanonical("location flag is not 0 or 1")),
                }
            }
            1 => Self::Speedtest(Speedtest {
                download_kbps: r.u32()?,
                upload_kbps: r.u32()?,
                latency_ms: r.u32()?,
            }),
            2 => Self::Beacon(Beacon {
                beacon_id: r.u64()?,
                tx_power_ddbm: r.i16()?,
                frequency_khz: r.u32()?,
            }),
            3 => Self::Witness(Box::new(Witness {
                beaconer: Pubkey(r.array()?),
                beacon_id: r.u64()?,
                rssi_ddbm: r.i16()?,
                frequency_khz: r.u32()?,
            })),
            4 => Self::JobReceipt(Box::new(JobReceipt {
                job_id: r.u64()?,
                units: r.u64()?,
                customer: Pubkey(r.array()?),
                customer_signature: Sig(r.array()?),
            })),
            other => return Err(ReportError::UnknownPayloadKind(other)),
        };
        if r.0.is_empty() {
            Ok(payload)
        } else {
            Err(ReportError::MalformedBinary(
                "payload body has trailing bytes",
            ))
        }
    }
}

/// The envelope a device signs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Report {
    /// The device's ed25519 key (registered on-chain).
    pub device: Pubkey,
    /// Unix seconds, when the device made the report.
    pub timestamp: i64,
    /// Never accepted twice for the same device.
    pub nonce: u64,
    pub payload: Payload,
}

/// The timestamp of a binary report (offset 33, i64 LE) without decoding the rest, or `None`
/// when `bytes` is not a version-[`BINARY_VERSION`] report header.
#[must_use]
pub fn binary_timestamp(bytes: &[u8]) -> Option<i64> {
    if bytes.first() != Some(&BINARY_VERSION) {
        return None;
    }
    bytes
        .get(1 + 32..1 + 32 + 8)
        .and_then(|b| b.try_into().ok())
        .map(i64::from_le_bytes)
}

/// A report and the device's signature over [`Report::signing_message`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SignedReport {
    pub report: Report,
    pub signature: Sig,
}

/// Whether `value` is or holds a JSON array (a report has none: `SignedReport::from_json`).
fn holds_an_array(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Array(_) => true,
        serde_json::Value::Object(fields) => fields.values().any(holds_an_array),
        _ => false,
    }
}

/// The JSON shape of a signed report (one flat object).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonReport {
    device: Pubkey,
    timestamp: i64,
    nonce: u64,
    payload: Payload,
    signature: Sig,
}

impl Report {
    /// The binary encoding of the envelope without the signature (see `docs/reports.md`).
    #[must_use]
    pub fn encode_unsigned(&self) -> Vec<u8> {
        let body = Payload::body_len(self.payload.kind_byte()).unwrap_or(0);
        let mut out = Vec::with_capacity(HEADER_LEN + body + SIGNATURE_LEN);
        out.push(BINARY_VERSION);
        out.extend_from_slice(&self.device.0);
        out.extend_from_slice(&self.timestamp.to_le_bytes());
        out.extend_from_slice(&self.nonce.to_le_bytes());
        self.payload.write(&mut out);
        out
    }

    /// `DOMAIN_TAG || encode_unsigned()`: the bytes the device signs.
    #[must_use]
    pub fn signing_message(&self) -> Vec<u8> {
        let mut m = DOMAIN_TAG.to_vec();
        m.extend_from_slice(&self.encode_unsigned());
        m
    }

    /// Signs the report with the device key. The caller keeps `device` equal to the signer's
    /// public key; a mismatch simply fails verification.
    #[must_use]
    pub fn sign(self, device_key: &SigningKey) -> SignedReport {
        let signature = Sig(device_key.sign(&self.signing_message()).to_bytes());
        SignedReport {
            report: self,
            signature,
        }
    }

    /// Value checks shared by both decoders.
    fn validate(&self) -> Result<(), ReportError> {
        if let Payload::Heartbeat(Heartbeat {
            location: Some(location),
        }) = &self.payload
            && (!(-MAX_LAT_E7..=MAX_LAT_E7).contains(&location.lat_e7)
                || !(-MAX_LON_E7..=MAX_LON_E7).contains(&location.lon_e7))
        {
            return Err(ReportError::InvalidLocation);
        }
        Ok(())
    }
}

impl SignedReport {
    /// `encode_unsigned() || signature[64]`.
    #[must_use]
    pub fn to_binary(&self) -> Vec<u8> {
        let mut out = self.report.encode_unsigned();
        out.extend_from_slice(&self.signature.0);
        out
    }

    /// Decodes the binary encoding. Checks layout and values, not the signature.
    ///
    /// # Errors
    ///
    /// `malformed_binary`, `unsupported_version`, `unknown_payload_kind`, `non_canonical`,
    /// `invalid_location`.
    pub fn from_binary(bytes: &[u8]) -> Result<Self, ReportError> {
        let mut r = Reader(bytes);
        let version = r.u8()?;
        if version != BINARY_VERSION {
            return Err(ReportError::UnsupportedVersion(version));
        }
        let device = Pubkey(r.array()?);
        let timestamp = r.i64()?;
        let nonce = r.u64()?;
        let kind = r.u8()?;
        let body_len = Payload::body_len(kind).ok_or(ReportError::UnknownPayloadKind(kind))?;
        let body = r.take(body_len)?;
        let signature = Sig(r.array()?);
        if !r.0.is_empty() {
            return Err(ReportError::MalformedBinary(
                "trailing bytes after the signature",
            ));
        }
        let report = Report {
            device,
            timestamp,
            nonce,
            payload: Payload::read(kind, body)?,
        };
        report.validate()?;
        Ok(Self { report, signature })
    }

    /// The JSON encoding: one object, keys `device`, `timestamp`, `nonce`, `payload`,
    /// `signature` (see `docs/reports.md`).
    ///
    /// # Errors
    ///
    /// Never in practice (serialization of these types cannot fail); typed for the signature.
    pub fn to_json(&self) -> Result<String, ReportError> {
        serde_json::to_string(&JsonReport {
            device: self.report.device,
            timestamp: self.report.timestamp,
            nonce: self.report.nonce,
            payload: self.report.payload.clone(),
            signature: self.signature,
        })
        .map_err(|e| ReportError::MalformedJson(e.to_string()))
    }

    /// Decodes the JSON encoding. Checks shape and values, not the signature.
    ///
    /// # Errors
    ///
    /// `malformed_json` (syntax, unknown or missing field, wrong type, bad base58 or length),
    /// `invalid_location`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ReportError> {
        let malformed = |e: serde_json::Error| ReportError::MalformedJson(e.to_string());
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(malformed)?;
        // The documented form only: objects all the way down. Serde would also take a struct
        // as a positional array, which another implementation following the docs would refuse.
        if !value.is_object() || holds_an_array(&value) {
            return Err(ReportError::MalformedJson(
                "a report is one JSON object with exactly the documented keys, and so is each \
                 object in it: arrays are not accepted"
                    .to_owned(),
            ));
        }
        let j: JsonReport = serde_json::from_value(value).map_err(malformed)?;
        let report = Report {
            device: j.device,
            timestamp: j.timestamp,
            nonce: j.nonce,
            payload: j.payload,
        };
        report.validate()?;
        Ok(Self {
            report,
            signature: j.signature,
        })
    }

    /// Checks the device's signature.
    ///
    /// # Errors
    ///
    /// `invalid_device_key` (not a curve point, or small-order), `bad_signature`.
    pub fn verify(&self) -> Result<(), ReportError> {
        let vk = verifying_key(&self.report.device).ok_or(ReportError::InvalidDeviceKey)?;
        vk.verify(
            &self.report.signing_message(),
            &Signature::from_bytes(&self.signature.0),
        )
        .map_err(|_| ReportError::BadSignature)
    }
}

/// Verifies many reports at once: one ed25519 batch verification, and only if it fails, one
/// verification per report to find the bad ones. The result has one entry per input, in order.
#[must_use]
pub fn verify_batch(reports: &[SignedReport]) -> Vec<Result<(), ReportError>> {
    let keys = reports
        .iter()
        .map(|r| verifying_key(&r.report.device))
        .collect();
    verify_with_keys(reports, keys)
}

/// [`verify_batch`] with the device keys taken from `cache` (decompressed once per device, not
/// once per report). The same results as [`verify_batch`].
#[must_use]
pub fn verify_batch_cached(
    reports: &[SignedReport],
    cache: &KeyCache,
) -> Vec<Result<(), ReportError>> {
    verify_with_keys(reports, cache.keys_of(reports))
}

fn verify_with_keys(
    reports: &[SignedReport],
    device_keys: Vec<Option<VerifyingKey>>,
) -> Vec<Result<(), ReportError>> {
    let mut results: Vec<Result<(), ReportError>> = Vec::with_capacity(reports.len());
    let mut messages = Vec::with_capacity(reports.len());
    let mut signatures = Vec::with_capacity(reports.len());
    let mut keys = Vec::with_capacity(reports.len());
    for (r, vk) in reports.iter().zip(device_keys) {
        match vk {
            Some(vk) => {
                results.push(Ok(()));
                messages.push(r.report.signing_message());
                signatures.push(Signature::from_bytes(&r.signature.0));
                keys.push(vk);
            }
            None => results.push(Err(ReportError::InvalidDeviceKey)),
        }
    }
    if keys.is_empty() {
        return results;
    }
    let message_refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    if ed25519_dalek::verify_batch(&message_refs, &signatures, &keys).is_ok() {
        return results;
    }
    for (result, report) in results.iter_mut().zip(reports) {
        if result.is_ok() {
            *result = report.verify();
        }
    }
    results
}

/// Whether every report's signature verifies, for a caller that refuses the whole batch at its
/// first bad report (the ingest): one ed25519 batch verification, and only if it fails, one
/// verification per report in order, stopping at the first that fails. A flood of batches with
/// a bad first signature costs one batch verification and one single verification each, not a
/// verification per report.
///
/// # Errors
///
/// The index and error of the first report that fails: `invalid_device_key` or
/// `bad_signature`.
pub fn verify_until_first_failure(
    reports: &[SignedReport],
    cache: &KeyCache,
) -> Result<(), (usize, ReportError)> {
    let keys = cache.keys_of(reports);
    let mut messages = Vec::with_capacity(reports.len());
    let mut signatures = Vec::with_capacity(reports.len());
    let mut valid_keys = Vec::with_capacity(reports.len());
    for (r, vk) in reports.iter().zip(&keys) {
        if let Some(vk) = vk {
            messages.push(r.report.signing_message());
            signatures.push(Signature::from_bytes(&r.signature.0));
            valid_keys.push(*vk);
        }
    }
    let message_refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let all_signed = valid_keys.is_empty()
        || ed25519_dalek::verify_batch(&message_refs, &signatures, &valid_keys).is_ok();
    for (i, (r, vk)) in reports.iter().zip(&keys).enumerate() {
        let Some(vk) = vk else {
            return Err((i, ReportError::InvalidDeviceKey));
        };
        if !all_signed {
            vk.verify(
                &r.report.signing_message(),
                &Signature::from_bytes(&r.signature.0),
            )
            .map_err(|_| (i, ReportError::BadSignature))?;
        }
    }
    Ok(())
}

/// Most device keys a [`KeyCache`] holds (about 64 MiB); when full it starts over.
pub const KEY_CACHE_CAPACITY: usize = 1 << 18;

/// Device keys already decompressed, shared by the ingest's verifications. Decompressing an
/// ed25519 key (a field exponentiation, plus the weak-key check) costs about a third of what
/// verifying its signature in a batch does; a device sends many reports, so the ingest does it
/// once per device. Invalid keys are not kept (each report with one is refused anyway).
#[derive(Debug)]
pub struct KeyCache {
    keys: std::sync::RwLock<std::collections::HashMap<Pubkey, VerifyingKey>>,
    capacity: usize,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new(KEY_CACHE_CAPACITY)
    }
}

impl KeyCache {
    /// An empty cache of at most `capacity` keys.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            keys: std::sync::RwLock::default(),
            capacity: capacity.max(1),
        }
    }

    /// Keys held now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Whether no key is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each report's device key (None: not a valid, non-weak key), from the cache or
    /// decompressed now (and then kept).
    fn keys_of(&self, reports: &[SignedReport]) -> Vec<Option<VerifyingKey>> {
        let mut out: Vec<Option<VerifyingKey>> = {
            let cached = self
                .keys
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            reports
                .iter()
                .map(|r| cached.get(&r.report.device).copied())
                .collect()
        };
        // Each missing device once, however many of its reports the batch holds.
        let mut fresh: std::collections::HashMap<Pubkey, Option<VerifyingKey>> =
            std::collections::HashMap::new();
        for (slot, r) in out.iter_mut().zip(reports) {
            if slot.is_none() {
                *slot = *fresh
                    .entry(r.report.device)
                    .or_insert_with(|| verifying_key(&r.report.device));
            }
        }
        let fresh: Vec<(Pubkey, VerifyingKey)> = fresh
            .into_iter()
            .filter_map(|(device, vk)| Some((device, vk?)))
            .collect();
        if !fresh.is_empty() {
            let mut cached = self
                .keys
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cached.len().saturating_add(fresh.len()) > self.capacity {
                cached.clear();
            }
            cached.extend(fresh);
        }
        out
    }
}

/// Why a report was refused. [`ReportError::reason`] is the stable machine-readable string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("malformed binary report: {0}")]
    MalformedBinary(&'static str),
    #[error("unsupported binary version {0} (expected {BINARY_VERSION})")]
    UnsupportedVersion(u8),
    #[error("unknown payload kind {0}")]
    UnknownPayloadKind(u8),
    #[error("non-canonical encoding: {0}")]
    NonCanonical(&'static str),
    #[error("malformed JSON report: {0}")]
    MalformedJson(String),
    #[error("location out of range")]
    InvalidLocation,
    #[error("device key is not a valid ed25519 public key")]
    InvalidDeviceKey,
    #[error("device signature does not verify")]
    BadSignature,
}

impl ReportError {
    /// Every reason string, for documentation and metrics labels.
    pub const REASONS: [&'static str; 8] = [
        "malformed_binary",
        "unsupported_version",
        "unknown_payload_kind",
        "non_canonical",
        "malformed_json",
        "invalid_location",
        "invalid_device_key",
        "bad_signature",
    ];

    /// The stable machine-readable reason.
    #[must_use]
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::MalformedBinary(_) => "malformed_binary",
            Self::UnsupportedVersion(_) => "unsupported_version",
            Self::UnknownPayloadKind(_) => "unknown_payload_kind",
            Self::NonCanonical(_) => "non_canonical",
            Self::MalformedJson(_) => "malformed_json",
            Self::InvalidLocation => "invalid_location",
            Self::InvalidDeviceKey => "invalid_device_key",
            Self::BadSignature => "bad_signature",
        }
    }
}

/// A little-endian cursor that turns running out of bytes into `malformed_binary`.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ReportError> {
        if self.0.len() < n {
            return Err(ReportError::MalformedBinary("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ReportError> {
        let (head, tail) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(ReportError::MalformedBinary("truncated"))?;
        self.0 = tail;
        Ok(*head)
    }
    fn u8(&mut self) -> Result<u8, ReportError> {
        Ok(self.array::<1>()?[0])
    }
    fn i16(&mut self) -> Result<i16, ReportError> {
        Ok(i16::from_le_bytes(self.array()?))
    }
    fn i32(&mut self) -> Result<i32, ReportError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, ReportError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, ReportError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, ReportError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn binary_timestamp_and_kind_name() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let report = Report {
            device: crate::keys::pubkey_of(&key),
            timestamp: -1_767_225_600,
            nonce: 7,
            payload: Payload::Heartbeat(Heartbeat::default()),
        };
        let signed = report.sign(&key);
        let mut bin = signed.to_binary();
        assert_eq!(binary_timestamp(&bin), Some(-1_767_225_600));
        assert_eq!(signed.report.payload.kind_name(), "heartbeat");
        // The kind names are the JSON form's tags.
        let json = serde_json::to_value(&signed.report.payload).unwrap();
        assert_eq!(json["kind"], "heartbeat");
        assert_eq!(binary_timestamp(&bin[..40]), None);
        bin[0] = 2;
        assert_eq!(binary_timestamp(&bin), None);
        assert_eq!(binary_timestamp(&[]), None);
    }
}
