//! `oracle serve`: the HTTP ingest as a supervised task with graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::ingest::{self, Ingest};
use crate::supervisor::{Shutdown, TaskError};

/// Serves the ingest on `listener` until shutdown is requested, then stops accepting, lets
/// in-flight requests finish (each is acknowledged only after its commit) and returns; after
/// `grace` it stops waiting for stragglers.
///
/// # Errors
///
/// The listener fails.
pub async fn serve_http(
    listener: TcpListener,
    ingest: Arc<Ingest>,
    mut shutdown: Shutdown,
    grace: Duration,
) -> Result<(), TaskError> {
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    // With each connection's address: the ingest charges a budget per client address.
    let app = ingest::router(ingest).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.requested().await;
        tracing::info!("http: draining in-flight requests");
        let _ = signalled_tx.send(());
    });
    let server = server.into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        () = async {
            let _ = signalled_rx.await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!(?grace, "http: grace period over; dropping remaining connections"),
    }
    Ok(())
}
