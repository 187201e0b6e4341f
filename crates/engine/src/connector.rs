//! How a supervisor gets a stream of bytes. The real connector shares HTTP clients between
//! feeds; a test can put a scripted one in its place to drive the supervisor with paused time.
//!
//! The HTTP/2 trap: hyper never opens a second HTTP/2 connection to a host
//! whose concurrent-stream limit is full, and SSE streams never end, so feed number 101 on one
//! host would wait forever for a slot. Feeds are therefore spread over "slots": each slot is its
//! own client (its own connection pool), and a slot takes at most `streams_per_connection` feeds
//! of one origin, well under the limits servers announce (100 to 256). Feeds on different hosts
//! share slot 0, so 1,000 feeds on 1,000 hosts still use one client. A feed whose attempt gets no
//! answer in time (a server with a lower limit, or a stuck connection) moves to a fresh slot.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use herald_sse::{Attempt, ConnectError, Connection, Request, StreamError};

use crate::plan::Connection as ConnectionPlan;

pub trait ByteStream: Send + 'static {
    /// The next piece of the body; `None` when the server ended the stream.
    fn chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>, StreamError>> + Send;
}

pub trait Connector: Send + Sync + 'static {
    type Stream: ByteStream;
    /// What a feed holds while it runs (its slot); dropped when it stops.
    type Lease: Send + 'static;

    fn lease(&self, feed: &ConnectionPlan, fresh: bool) -> Result<Self::Lease, ConnectError>;

    fn connect(
        &self,
        lease: &Self::Lease,
        request: Request,
    ) -> impl Future<Output = Result<Self::Stream, ConnectError>> + Send;
}

impl ByteStream for Connection {
    async fn chunk(&mut self) -> Result<Option<Bytes>, StreamError> {
        Connection::chunk(self).await
    }
}

/// Feeds of one origin (and one extra CA) spread over clients.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    ca_pem: Option<Vec<u8>>,
    slot: usize,
}

#[derive(Default)]
struct Pool {
    clients: HashMap<ClientKey, reqwest::Client>,
    /// Feeds per (client, origin).
    load: HashMap<(ClientKey, String), usize>,
    next_fresh: usize,
}

#[derive(Clone)]
pub struct HttpConnector {
    pool: Arc<Mutex<Pool>>,
    streams_per_connection: usize,
}

impl std::fmt::Debug for HttpConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConnector").finish_non_exhaustive()
    }
}

/// A feed's place in the pool; gives the place back when dropped.
pub struct HttpLease {
    client: reqwest::Client,
    key: (ClientKey, String),
    pool: Arc<Mutex<Pool>>,
}

impl Drop for HttpLease {
    fn drop(&mut self) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = pool.load.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                pool.load.remove(&self.key);
                let client_key = self.key.0.clone();
                if !pool.load.keys().any(|(k, _)| *k == client_key) {
                    pool.clients.remove(&client_key);
                }
            }
        }
    }
}

/// Below every limit servers commonly announce (nginx 128, Go and Caddy 250, h2o 100).
pub const DEFAULT_STREAMS_PER_CONNECTION: usize = 64;

impl HttpConnector {
    pub fn new(streams_per_connection: usize) -> Self {
        Self { pool: Arc::default(), streams_per_connection: streams_per_connection.max(1) }
    }

    /// How many separate clients are open (for tests and the benchmark).
    pub fn clients(&self) -> usize {
        self.pool.lock().unwrap_or_else(|p| p.into_inner()).clients.len()
    }
}

fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

impl Connector for HttpConnector {
    type Stream = Connection;
    type Lease = HttpLease;

    fn lease(&self, feed: &ConnectionPlan, fresh: bool) -> Result<HttpLease, ConnectError> {
        let origin = origin(&feed.url);
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        let slot = if fresh {
            // Fresh slots count down from the top, so they never fill up the shared ones.
            pool.next_fresh += 1;
            usize::MAX - pool.next_fresh
        } else {
            (0..)
                .find(|&slot| {
                    let key = ClientKey { ca_pem: feed.ca_pem.clone(), slot };
                    pool.load.get(&(key, origin.clone())).copied().unwrap_or(0)
                        < self.streams_per_connection
                })
                .unwrap_or(0)
        };
        let key = ClientKey { ca_pem: feed.ca_pem.clone(), slot };
        let client = match pool.clients.get(&key) {
            Some(client) => client.clone(),
            None => {
                let client = herald_sse::http_client(feed.ca_pem.as_deref())?;
                pool.clients.insert(key.clone(), client.clone());
                client
            }
        };
        *pool.load.entry((key.clone(), origin.clone())).or_default() += 1;
        Ok(HttpLease { client, key: (key, origin), pool: self.pool.clone() })
    }

    async fn connect(
        &self,
        lease: &HttpLease,
        request: Request,
    ) -> Result<Connection, ConnectError> {
        Attempt::start(&lease.client, &request).await
    }
}
