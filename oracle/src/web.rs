//! The web app beside the API (app/web/README.md): its static build at `/`, and
//! `GET /config.json`, which tells the page where the chain is (`web.rpc_url`), that the API is
//! on its own origin, and where map tiles and transaction links point. Files are served as built
//! (gzip siblings when the browser accepts them); a path outside the build is 404.

use std::path::Path;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use tower_http::services::ServeDir;

use crate::settings::WebSettings;

/// `GET /config.json`: the page's start-up settings. Never cached: a restart may change them.
pub fn config_router(web: WebSettings) -> Router {
    let body = json!({
        "rpc_url": web.rpc_url,
        "api_url": "",
        "tiles_url": web.tiles_url,
        "explorer_url": web.explorer_url,
    })
    .to_string();
    Router::new().route(
        "/config.json",
        get(move || async move {
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                body,
            )
                .into_response()
        }),
    )
}

/// The build in `dir`: `index.html` at `/`, every other file by its path, gzip-precompressed
/// siblings (`*.gz`) when the request accepts them; a missing file is 404.
pub fn files(dir: &Path) -> ServeDir {
    ServeDir::new(dir).precompressed_gzip()
}
