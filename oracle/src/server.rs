//! `oracle serve`: the HTTP ingest as a supervised task with graceful shutdown, on a public
//! endpoint that slow and idle clients cannot hold (docs/oracle.md, "Slow and idle clients"):
//!
//! ```text
//! accept ─► over server.max_connections? ─► 503 too_many_connections, closed
//!        ─► hyper HTTP/1: headers within server.header_timeout (from the connection's start or
//!           its last response: an idle keep-alive connection is closed the same way)
//!        ─► the axum router: Content-Length over max_body_bytes ─► 413 at once, unread;
//!           the body within server.body_timeout, else 408 body_timeout (ingest)
//! ```

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::ingest::{self, Ingest};
use crate::supervisor::{Shutdown, TaskError};

/// The answer to a connection over the cap, written before it is closed.
const TOO_MANY: &str = "{\"error\":\"too_many_connections\",\"detail\":\"the oracle holds its \
                        most open connections; retry later\"}";

/// Serves the ingest on `listener` until shutdown is requested, then stops accepting, lets
/// in-flight requests finish (each is acknowledged only after its commit) and returns; after
/// `grace` it stops waiting for stragglers.
///
/// # Errors
///
/// None today: a failed accept (out of file descriptors) is logged and retried.
pub async fn serve_http(
    listener: TcpListener,
    ingest: Arc<Ingest>,
    mut shutdown: Shutdown,
    grace: Duration,
) -> Result<(), TaskError> {
    let limits = ingest.http_limits();
    let router = ingest::router(ingest);
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.requested() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to close.
                    tracing::warn!(error = %e, "http: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "http: connection closed");
            }
        });
    }
    drop(listener);
    tracing::info!("http: draining in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(?grace, "http: grace period over; dropping remaining connections");
        }
    }
    Ok(())
}

/// Answers a connection over the cap with 503 `too_many_connections` and closes it, giving a
/// client that does not read at most a second.
async fn refuse(mut stream: TcpStream) {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: \
         close\r\nretry-after: 1\r\ncontent-length: {}\r\n\r\n{TOO_MANY}",
        TOO_MANY.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// The limits [`serve_http`] holds every connection to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    pub header_timeout: Duration,
    pub max_connections: usize,
}
