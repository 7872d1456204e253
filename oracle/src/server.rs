//! `oracle serve`: the HTTP ingest as a supervised task with graceful shutdown, on a public
//! endpoint that slow and idle clients cannot hold (docs/oracle.md, "Slow and idle clients"):
//!
//! ```text
//! accept ─► over server.max_connections (lowered to the file-descriptor limit), or this
//!           address (an IPv6 /64) over server.max_connections_per_address? ─► 503
//!           too_many_connections,
//!           closed
//!        ─► hyper HTTP/1: headers within server.header_timeout (from the connection's start or
//!           its last response: an idle keep-alive connection is closed the same way)
//!        ─► the axum router: Content-Length over max_body_bytes ─► 413 at once, unread;
//!           the body within server.body_timeout, else 408 body_timeout (ingest)
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
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

/// The answers to a connection over a cap, written before it is closed.
const TOO_MANY: &str = "{\"error\":\"too_many_connections\",\"detail\":\"the oracle holds its \
                        most open connections; retry later\"}";
const TOO_MANY_HERE: &str = "{\"error\":\"too_many_connections\",\"detail\":\"this address \
                             holds its most open connections; retry later\"}";

/// File descriptors kept for everything but client connections: the database, the published
/// files, the RPC and peer clients, the log.
const RESERVED_FDS: u64 = 256;

/// Open connections per client address.
#[derive(Clone, Default)]
struct PerAddress(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One open connection of an address; counted down when dropped.
struct Slot(PerAddress, IpAddr);

impl PerAddress {
    fn take(&self, ip: IpAddr, cap: usize) -> Option<Slot> {
        let mut open = self.0.lock().ok()?;
        let n = open.entry(ip).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot(self.clone(), ip))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = (self.0).0.lock()
            && let Some(n) = open.get_mut(&self.1)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// `wanted` connections, or fewer if the process may not open that many files: the soft
/// limit is raised toward the hard one first, and what is still missing is logged.
#[cfg(not(unix))]
const fn connections_within_fd_limit(wanted: usize) -> usize {
    wanted
}

/// `wanted` connections, or fewer if the process may not open that many files: the soft
/// limit is raised toward the hard one first, and what is still missing is logged.
#[cfg(unix)]
fn connections_within_fd_limit(wanted: usize) -> usize {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return wanted;
    };
    let needed = (wanted as u64).saturating_add(RESERVED_FDS);
    let mut soft = soft;
    if soft < needed && setrlimit(Resource::RLIMIT_NOFILE, needed.min(hard), hard).is_ok() {
        soft = needed.min(hard);
    }
    if soft >= needed {
        return wanted;
    }
    let allowed = usize::try_from(soft.saturating_sub(RESERVED_FDS))
        .unwrap_or(0)
        .max(1);
    tracing::warn!(
        wanted,
        allowed,
        nofile = soft,
        "server.max_connections is above the file-descriptor limit (less {RESERVED_FDS} kept \
         for the rest): lowered; raise `ulimit -n` to serve more"
    );
    allowed
}

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
    let open = Arc::new(Semaphore::new(connections_within_fd_limit(
        limits.max_connections,
    )));
    let per_address = PerAddress::default();
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
            tokio::spawn(refuse(stream, TOO_MANY));
            continue;
        };
        let client = ingest::limits::client_key(peer.ip());
        let Some(slot) = per_address.take(client, limits.max_connections_per_address) else {
            tokio::spawn(refuse(stream, TOO_MANY_HERE));
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _held = (permit, slot);
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

/// Answers a connection over a cap with 503 `too_many_connections` (`body`) and closes it,
/// giving a client that does not read at most a second.
async fn refuse(mut stream: TcpStream, body: &'static str) {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: \
         close\r\nretry-after: 1\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
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
    pub max_connections_per_address: usize,
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_fits_the_file_limit() {
        assert_eq!(connections_within_fd_limit(16), 16);
        // More than any hard limit: lowered to what the limit holds, less the reserve.
        let allowed = connections_within_fd_limit(1 << 40);
        let (soft, _) =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
        assert_eq!(allowed as u64, soft - RESERVED_FDS);
    }

    #[test]
    fn an_address_slot_is_freed_when_its_connection_ends() {
        let per = PerAddress::default();
        let ip = IpAddr::from([127, 0, 0, 9]);
        let a = per.take(ip, 2).unwrap();
        let b = per.take(ip, 2).unwrap();
        assert!(per.take(ip, 2).is_none());
        assert!(per.take(IpAddr::from([127, 0, 0, 10]), 2).is_some());
        drop(a);
        let c = per.take(ip, 2).unwrap();
        drop((b, c));
        assert!(per.0.lock().unwrap().is_empty());
    }
}
