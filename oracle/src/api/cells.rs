//! `GET /v1/cells/{cell}`: an H3 cell's outline as a GeoJSON Feature, so a page can draw where
//! devices are without an H3 library of its own. A cell never changes: answers are cached a day.

use std::str::FromStr;

use axum::extract::Path as UrlPath;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use h3o::CellIndex;
use serde_json::{Value, json};

use crate::ingest::Rejection;

/// `Cache-Control` of an outline.
pub const CELL_CACHE: &str = "public, max-age=86400, immutable";

pub(super) async fn cell(UrlPath(cell): UrlPath<String>) -> Response {
    match cell_feature(&cell) {
        Ok(feature) => (
            [
                (header::CONTENT_TYPE, "application/geo+json"),
                (header::CACHE_CONTROL, CELL_CACHE),
            ],
            feature.to_string(),
        )
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// The Feature of `cell` (its 15 lowercase hex digits, as devices assert them): a Polygon ring
/// of `[longitude, latitude]` corners in degrees, closed, with the cell and its resolution.
///
/// # Errors
///
/// `bad_cell`: not the canonical form of a valid H3 cell.
pub fn cell_feature(cell: &str) -> Result<Value, Rejection> {
    let canonical =
        cell.len() == 15 && cell.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let index = CellIndex::from_str(cell)
        .ok()
        .filter(|_| canonical)
        .ok_or_else(|| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                "bad_cell",
                format!("{cell:?} is not an H3 cell index (15 lowercase hex digits)"),
            )
        })?;
    let mut ring: Vec<[f64; 2]> = index
        .boundary()
        .iter()
        .map(|p| [p.lng(), p.lat()])
        .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    Ok(json!({
        "type": "Feature",
        "properties": { "cell": cell, "resolution": u8::from(index.resolution()) },
        "geometry": { "type": "Polygon", "coordinates": [ring] },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_its_closed_outline() {
        let f = cell_feature("8928308ae03ffff").unwrap();
        let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.len(), 7, "six corners and the first again");
        assert_eq!(ring[0], ring[6]);
        assert_eq!(f["properties"]["resolution"], 9);
        // The San Francisco Bay (H3's own example cell): longitude first, as GeoJSON wants.
        let (lng, lat) = (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap());
        assert!(
            (-122.3..-122.1).contains(&lng) && (37.8..37.9).contains(&lat),
            "{lng} {lat}"
        );
    }

    #[test]
    fn anything_else_is_a_bad_cell() {
        for bad in [
            "",
            "8928308AE03FFFF",
            "8928308ae03fff",
            "0928308ae03ffff",
            "xyz",
            "8928308ae03ffff0",
        ] {
            let e = cell_feature(bad).unwrap_err();
            assert_eq!(
                (e.status, e.reason),
                (StatusCode::BAD_REQUEST, "bad_cell"),
                "{bad}"
            );
        }
    }
}
