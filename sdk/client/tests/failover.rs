//! The sender's failover: a call that meets a transport failure moves to the next RPC URL and
//! waits `backoff` first, doubling up to `max_backoff`, at most `max_failovers` times; then the
//! last error is the answer. The "nodes" are real HTTP servers on loopback that answer every
//! request `503 Service Unavailable` (an unhealthy node behind a load balancer), and record
//! when each request arrived.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use depin_client::{SendConfig, Sender};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

type Arrivals = Arc<Mutex<Vec<(usize, Instant)>>>;

/// An HTTP server that answers every request 503 and records (its index, arrival time).
async fn unhealthy_node(index: usize, arrivals: Arrivals) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let arrivals = Arc::clone(&arrivals);
            tokio::spawn(async move {
                // Read the request head and its body (JSON-RPC requests are small).
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request);
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let length = text[..head_end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if request.len() >= head_end + 4 + length {
                            break;
                        }
                    }
                }
                arrivals.lock().unwrap().push((index, Instant::now()));
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\
                          connection: close\r\n\r\n",
                    )
                    .await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_walks_the_urls_with_doubling_capped_backoff() {
    let arrivals: Arrivals = Arc::default();
    let mut urls = Vec::new();
    for i in 0..3 {
        urls.push(unhealthy_node(i, Arc::clone(&arrivals)).await);
    }
    let config = SendConfig {
        backoff: Duration::from_millis(200),
        max_backoff: Duration::from_millis(600),
        max_failovers: 5,
        ..SendConfig::default()
    };
    let sender = Sender::new(urls[0].clone(), config).with_fallbacks(urls[1..].to_vec());
    let started = Instant::now();
    let result = sender.call(|rpc| rpc.get_slot()).await;
    let elapsed = started.elapsed();
    let e = result.expect_err("every node is unhealthy");
    assert!(e.to_string().contains("503"), "{e}");
    assert_eq!(sender.failovers(), 5);
    // The sender stays on the URL it reached last: 5 moves from URL 0 end on URL 2.
    assert_eq!(sender.rpc().url(), urls[2]);

    let arrivals = arrivals.lock().unwrap().clone();
    let order: Vec<usize> = arrivals.iter().map(|(i, _)| *i).collect();
    // One attempt plus five failovers, round robin.
    assert_eq!(order, vec![0, 1, 2, 0, 1, 2]);
    // The waits between attempts: 200 ms, doubled each time, capped at 600 ms.
    let expected = [200, 400, 600, 600, 600].map(Duration::from_millis);
    let gaps: Vec<Duration> = arrivals
        .windows(2)
        .map(|w| w[1].1.duration_since(w[0].1))
        .collect();
    for (gap, want) in gaps.iter().zip(expected) {
        // Never sooner than the backoff; the slack above it is the request's own round trip
        // on loopback, below the smallest step between two expected waits (200 ms).
        assert!(
            *gap >= want && *gap < want + Duration::from_millis(150),
            "gaps {gaps:?}, expected {expected:?}"
        );
    }
    assert!(elapsed >= Duration::from_millis(2400), "{elapsed:?}");
}

/// A refusal that is not a transport failure (here: a JSON-RPC error from a healthy node) is
/// the answer at once: no failover, no wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rpc_error_is_not_a_failover() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&requests);
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                *counter.lock().unwrap() += 1;
                let body = br#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params"},"id":1}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body).await;
            });
        }
    });
    let sender =
        Sender::new(url, SendConfig::default()).with_fallbacks(["http://127.0.0.1:1".to_owned()]);
    let started = Instant::now();
    let e = sender.call(|rpc| rpc.get_slot()).await.unwrap_err();
    assert!(e.to_string().contains("Invalid params"), "{e}");
    assert_eq!(sender.failovers(), 0);
    assert_eq!(*requests.lock().unwrap(), 1);
    assert!(
        started.elapsed() < SendConfig::default().backoff,
        "no backoff wait"
    );
}
