//! Request bodies: content types, and single reports and batches in both encodings.
//!
//! - `application/json`: one report object (`/v1/reports`) or an array of them (`/batch`).
//! - `application/octet-stream`: one binary report (`/v1/reports`), or for `/batch` the plain
//!   concatenation of binary reports. No framing is needed: each report's length follows from
//!   its payload kind byte (offset 49), so a reader walks the body report by report.

use depin_formats::report::{HEADER_LEN, Payload, ReportError, SIGNATURE_LEN, SignedReport};
use serde_json::value::RawValue;

/// The two accepted encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Binary,
}

/// The encoding named by a `Content-Type` header value (parameters such as `charset` are
/// ignored), or `None` for any other or a missing type.
#[must_use]
pub fn encoding_of(content_type: Option<&str>) -> Option<Encoding> {
    let essence = content_type?.split(';').next()?.trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Some(Encoding::Json)
    } else if essence.eq_ignore_ascii_case("application/octet-stream") {
        Some(Encoding::Binary)
    } else {
        None
    }
}

/// A decode failure; `index` is the report's position in a batch (`None` when the batch
/// itself is malformed, or for a single report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub index: Option<usize>,
    pub error: ReportError,
}

/// Decodes one report.
///
/// # Errors
///
/// The report's decode error.
pub fn decode_one(encoding: Encoding, body: &[u8]) -> Result<SignedReport, ReportError> {
    match encoding {
        Encoding::Json => SignedReport::from_json(body),
        Encoding::Binary => SignedReport::from_binary(body),
    }
}

/// The length of the binary report at the start of `bytes`, from its kind byte.
///
/// # Errors
///
/// `malformed_binary` if the header is truncated, `unknown_payload_kind`.
pub fn binary_len(bytes: &[u8]) -> Result<usize, ReportError> {
    let kind = *bytes
        .get(HEADER_LEN - 1)
        .ok_or(ReportError::MalformedBinary("truncated"))?;
    let body = Payload::body_len(kind).ok_or(ReportError::UnknownPayloadKind(kind))?;
    Ok(HEADER_LEN + body + SIGNATURE_LEN)
}

/// Decodes a batch. Stops at `max + 1` reports so that an oversized batch is cheap to refuse.
///
/// # Errors
///
/// The first report that does not decode (with its index), or a malformed JSON array.
pub fn decode_batch(
    encoding: Encoding,
    body: &[u8],
    max: usize,
) -> Result<Vec<SignedReport>, DecodeError> {
    let mut out = Vec::new();
    match encoding {
        Encoding::Json => {
            let items: Vec<&RawValue> = serde_json::from_slice(body).map_err(|e| DecodeError {
                index: None,
                error: ReportError::MalformedJson(e.to_string()),
            })?;
            for (index, item) in items.iter().enumerate().take(max.saturating_add(1)) {
                out.push(
                    SignedReport::from_json(item.get().as_bytes()).map_err(|error| {
                        DecodeError {
                            index: Some(index),
                            error,
                        }
                    })?,
                );
            }
        }
        Encoding::Binary => {
            let mut rest = body;
            let mut index = 0;
            while !rest.is_empty() && out.len() <= max {
                let at = |error| DecodeError {
                    index: Some(index),
                    error,
                };
                let len = binary_len(rest).map_err(at)?;
                let Some((one, tail)) = rest.split_at_checked(len) else {
                    return Err(at(ReportError::MalformedBinary("truncated")));
                };
                out.push(SignedReport::from_binary(one).map_err(at)?);
                rest = tail;
                index += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(encoding_of(Some("application/json")), Some(Encoding::Json));
        assert_eq!(
            encoding_of(Some("Application/JSON; charset=utf-8")),
            Some(Encoding::Json)
        );
        assert_eq!(
            encoding_of(Some("application/octet-stream")),
            Some(Encoding::Binary)
        );
        assert_eq!(encoding_of(Some("text/plain")), None);
        assert_eq!(encoding_of(Some("")), None);
        assert_eq!(encoding_of(None), None);
    }

    #[test]
    fn binary_lengths_follow_the_kind_byte() {
        let mut header = vec![0u8; HEADER_LEN];
        for (kind, len) in [(0u8, 123), (1, 126), (2, 128), (3, 160), (4, 226)] {
            header[HEADER_LEN - 1] = kind;
            assert_eq!(binary_len(&header), Ok(len));
        }
        header[HEADER_LEN - 1] = 5;
        assert_eq!(binary_len(&header), Err(ReportError::UnknownPayloadKind(5)));
        assert_eq!(
            binary_len(&header[..HEADER_LEN - 1]),
            Err(ReportError::MalformedBinary("truncated"))
        );
    }
}
