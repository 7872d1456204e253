//! The web app beside the API (app/web/README.md): its static build at `/`, and
//! `GET /config.json`, which tells the page where the chain is (`web.rpc_url`), that the API is
//! on its own origin, and where map tiles and transaction links point. Files are served as built
//! (gzip siblings when the browser accepts them); a path outside the build is 404.
//!
//! Every answer of the web part says `nosniff`, may not be framed by another page (the owner
//! page has a claim button: no clickjacking), sends no referrer, and varies by
//! `Accept-Encoding`; the hashed files of a build are cached for a year, the rest revalidated.
//! At start-up, [`check_dir`] refuses a build directory that would publish what must stay
//! private (it is not checked again: a link added to the build later would be served).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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

/// The web part's headers (see the module's documentation), on the way out.
pub async fn headers(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let success = response.status().is_success();
    let h = response.headers_mut();
    let set = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::VARY, "accept-encoding"),
    ];
    for (name, value) in set {
        h.insert(name, HeaderValue::from_static(value));
    }
    if success && !h.contains_key(header::CACHE_CONTROL) {
        let cache = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}

/// A file the build names by its content, as app/web/scripts/build.mjs names them: esbuild's
/// `name-XXXXXXXX.js` (8 of `A-Z0-9`) and the stylesheet's `style-xxxxxxxxxx.css` (10 hex
/// digits). A new build gives it a new name, so it never changes under its own.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(name);
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((_, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    match ext {
        "js" => {
            hash.len() == 8
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
        "css" => hash.len() == 10 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        _ => false,
    }
}

/// Refuses a build directory that would publish what must stay private: one that holds any of
/// `private` (the data directory, the keypairs), or holds a symbolic link or a dotfile (served
/// as they are otherwise). It must hold an `index.html`.
///
/// # Errors
///
/// The first such path, or a directory that cannot be read.
pub fn check_dir(dir: &Path, private: &[PathBuf]) -> anyhow::Result<()> {
    let root = dir
        .canonicalize()
        .with_context(|| format!("web.dir {}", dir.display()))?;
    if !root.join("index.html").is_file() {
        bail!(
            "web.dir {} holds no index.html (build app/web first)",
            dir.display()
        );
    }
    for path in private {
        if resolved(path).is_some_and(|p| p.starts_with(&root)) {
            bail!(
                "web.dir {} would publish {}: point it at the web app's build only",
                dir.display(),
                path.display()
            );
        }
    }
    let mut pending = vec![root];
    while let Some(next) = pending.pop() {
        for entry in
            std::fs::read_dir(&next).with_context(|| format!("reading {}", next.display()))?
        {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_symlink() || entry.file_name().to_string_lossy().starts_with('.') {
                bail!(
                    "web.dir holds {}: a link or a dotfile is never served",
                    path.display()
                );
            }
            if kind.is_dir() {
                pending.push(path);
            }
        }
    }
    Ok(())
}

/// `path` made absolute with its links resolved, through its nearest existing ancestor when it
/// does not exist yet (the data directory is created after this check); None only when no
/// ancestor exists.
fn resolved(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = at.canonicalize() {
            return Some(rest.iter().rev().fold(real, |p, part| p.join(part)));
        }
        rest.push(at.file_name()?.to_owned());
        at = at.parent()?;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hashed_names_are_the_builds_content_names() {
        assert!(is_hashed("/app-KA7RQHAT.js"));
        assert!(is_hashed("/chunk-7DSCHH4J.js.gz"));
        assert!(is_hashed("/style-5d0bb4a061.css"));
        assert!(!is_hashed("/"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/app.js"));
        assert!(!is_hashed("/config.json"));
        assert!(!is_hashed("/my-app.js"));
        assert!(!is_hashed("/leaflet-providers.js"));
        assert!(!is_hashed("/style-5D0BB4A061.css"));
        assert!(!is_hashed("/app-KA7RQHAT.html"));
    }

    #[test]
    fn a_dir_that_would_publish_a_secret_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dist = tmp.path().join("dist");
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        let error = check_dir(&dist, &[]).unwrap_err().to_string();
        assert!(error.contains("holds no index.html"), "{error}");
        std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dist.join("assets/app-KA7RQHAT.js"), "").unwrap();
        check_dir(&dist, &[tmp.path().join("data")]).unwrap();
        // The data directory, or a keypair not yet written, inside the build, even under
        // folders that do not exist yet.
        for private in [
            dist.join("data"),
            dist.join("assets/oracle-keypair.json"),
            dist.join("a/b/data"),
        ] {
            let error = check_dir(&dist, std::slice::from_ref(&private))
                .unwrap_err()
                .to_string();
            assert!(error.contains("would publish"), "{error}");
        }
        let error = check_dir(tmp.path(), &[dist.join("x")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("holds no index.html"), "{error}");
        std::fs::write(dist.join("assets/.env"), "SECRET=1").unwrap();
        let error = check_dir(&dist, &[]).unwrap_err().to_string();
        assert!(error.contains(".env"), "{error}");
        std::fs::remove_file(dist.join("assets/.env")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dist.join("host")).unwrap();
        let error = check_dir(&dist, &[]).unwrap_err().to_string();
        assert!(error.contains("a link or a dotfile"), "{error}");
    }
}
