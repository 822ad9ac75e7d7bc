//! The bridge's HTTP listener, made for an endpoint the whole internet can reach: every
//! connection has a deadline for its headers and a lifetime, there is a cap on how many are
//! open, and at the cap the oldest connection with no request in flight makes room — so
//! idle or half-open sockets, however many, never keep a real request from Slack waiting.
//! Accept errors (out of file handles) pause the loop briefly instead of spinning.

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_service::Service;

/// How the listener protects itself.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// A client must send a request's headers within this.
    pub header_timeout: Duration,
    /// No connection lives longer (Slack opens one per request, or reuses one briefly).
    pub connection_lifetime: Duration,
    /// How long requests in flight may finish after shutdown is asked for.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            connection_lifetime: Duration::from_secs(60),
            drain: Duration::from_secs(5),
        }
    }
}

/// The open connections, oldest first, with their requests in flight.
#[derive(Default)]
struct Registry {
    next: u64,
    open: BTreeMap<u64, (Arc<AtomicUsize>, oneshot::Sender<()>)>,
}

impl Registry {
    /// Makes room for one more connection, closing the oldest idle one at the cap; `None`
    /// when every open connection is busy (the new one is then turned away).
    fn admit(&mut self, cap: usize) -> Option<(u64, Arc<AtomicUsize>, oneshot::Receiver<()>)> {
        if self.open.len() >= cap {
            let idle = self
                .open
                .iter()
                .find(|(_, (busy, _))| busy.load(Ordering::SeqCst) == 0)
                .map(|(id, _)| *id)?;
            if let Some((_, close)) = self.open.remove(&idle) {
                let _ = close.send(());
            }
        }
        let id = self.next;
        self.next += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let (close, closed) = oneshot::channel();
        self.open.insert(id, (busy.clone(), close));
        Some((id, busy, closed))
    }
}

/// Counts a request in flight for as long as it lives.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(busy: &Arc<AtomicUsize>) -> InFlight {
        busy.fetch_add(1, Ordering::SeqCst);
        InFlight(busy.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lock(r: &Mutex<Registry>) -> std::sync::MutexGuard<'_, Registry> {
    r.lock().unwrap_or_else(|p| p.into_inner())
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight
/// finish (up to `limits.drain`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let registry = Arc::new(Mutex::new(Registry::default()));
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Some((id, busy, closed)) = lock(&registry).admit(limits.max_connections) else {
            tracing::warn!(
                "{} connections open, all busy: turning one away",
                limits.max_connections
            );
            continue;
        };
        let router = router.clone();
        let registry = registry.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let in_flight = InFlight::new(&busy);
                let mut router = router.clone();
                async move {
                    let response = router.call(request).await;
                    drop(in_flight);
                    response
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = closed => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(limits.drain, connection.as_mut()).await;
                }
                _ = tokio::time::sleep(limits.connection_lifetime) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(limits.drain, connection.as_mut()).await;
                }
            }
            lock(&registry).open.remove(&id);
        });
    }
    // Stop: idle connections close now, busy ones once their answer is out.
    for (_, (_, close)) in std::mem::take(&mut lock(&registry).open) {
        let _ = close.send(());
    }
    let _ = tokio::time::timeout(limits.drain + Duration::from_secs(1), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room() {
        let mut r = Registry::default();
        let (a, busy_a, _closed_a) = r.admit(2).unwrap();
        let (_b, _busy_b, mut closed_b) = r.admit(2).unwrap();
        busy_a.fetch_add(1, Ordering::SeqCst);
        // a is busy: b, the oldest idle one, is closed for c.
        let (_c, busy_c, _closed_c) = r.admit(2).unwrap();
        assert_eq!(closed_b.try_recv(), Ok(()));
        assert!(r.open.contains_key(&a));
        assert_eq!(r.open.len(), 2);
        // Everyone busy: the newcomer is turned away, nobody is closed.
        busy_c.fetch_add(1, Ordering::SeqCst);
        assert!(r.admit(2).is_none());
        assert_eq!(r.open.len(), 2);
    }
}
