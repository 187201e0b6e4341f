//! The HTTP/2 trap: a server limits concurrent streams per connection (often 100-128), hyper
//! never opens a second connection to it, and SSE streams never end. Here a TLS server on
//! 127.0.0.1 speaks HTTP/2 with a limit of 10, and more feeds than that subscribe to it.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

use crate::{Rig, wait_until};

const SERVER_STREAM_LIMIT: u32 = 10;

/// One event, then a stream that never ends, with a keepalive comment every 200 ms.
struct OneEventThenOpen {
    event: Option<Bytes>,
    keepalive: tokio::time::Interval,
}

impl Body for OneEventThenOpen {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(bytes) = self.event.take() {
            return Poll::Ready(Some(Ok(Frame::data(bytes))));
        }
        match self.keepalive.poll_tick(cx) {
            Poll::Ready(_) => Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b": k\n\n"))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

struct H2Server {
    port: u16,
    ca_file: tempfile::NamedTempFile,
    connections: Arc<AtomicUsize>,
    h2_requests: Arc<AtomicUsize>,
    runtime: tokio::runtime::Runtime,
}

fn start_h2_server() -> H2Server {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "Herald h2 test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), ca_cert.pem()).unwrap();

    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let connections = Arc::new(AtomicUsize::new(0));
    let h2_requests = Arc::new(AtomicUsize::new(0));
    let (conns, reqs) = (connections.clone(), h2_requests.clone());
    runtime.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (acceptor, conns, reqs) = (acceptor.clone(), conns.clone(), reqs.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                conns.fetch_add(1, Ordering::SeqCst);
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        if req.version() == hyper::Version::HTTP_2 {
                            reqs.fetch_add(1, Ordering::SeqCst);
                        }
                        let event = format!("id: 1\ndata: {}\n\n", req.uri().path());
                        async move {
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .header("content-type", "text/event-stream")
                                    .body(OneEventThenOpen {
                                        event: Some(Bytes::from(event)),
                                        keepalive: tokio::time::interval(
                                            std::time::Duration::from_millis(200),
                                        ),
                                    })
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .max_concurrent_streams(SERVER_STREAM_LIMIT)
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    H2Server { port, ca_file, connections, h2_requests, runtime }
}

fn subscribe(
    rig: &mut Rig,
    server: &H2Server,
    feeds: usize,
    idle_s: u32,
) -> Vec<herald_store::Feed> {
    (0..feeds)
        .map(|i| {
            let url = format!("https://127.0.0.1:{}/feed/{i}", server.port);
            rig.feed(&format!("h2 {i}"), &url, |s| {
                s.ca_file = Some(server.ca_file.path().display().to_string());
                s.idle_timeout_s = Some(idle_s);
            })
        })
        .collect()
}

fn all_live(rig: &Rig, n: usize) -> Option<()> {
    let states = rig.engine.as_ref()?.states();
    let live = states.borrow().values().filter(|s| s.is_live()).count();
    (live == n).then_some(())
}

#[test]
fn more_feeds_than_the_stream_limit_all_connect_over_several_connections() {
    let server = start_h2_server();
    let mut rig = Rig::new();
    subscribe(&mut rig, &server, 25, 90);
    let mut options = rig.options();
    options.streams_per_connection = 8;
    rig.start_with(options);
    wait_until(20, "all 25 feeds live", || all_live(&rig, 25));
    rig.recorder.wait_for(20, "an event from every feed", |n| n.len() >= 25);
    assert_eq!(server.h2_requests.load(Ordering::SeqCst), 25, "every stream is HTTP/2");
    // At least 25 / 8 connections; more when first requests race to open one (hyper opens a
    // connection per request until it knows the server speaks HTTP/2).
    let connections = server.connections.load(Ordering::SeqCst);
    assert!(connections >= 4, "{connections} connections for 25 streams");
    drop(rig);
    server.runtime.shutdown_background();
}

#[test]
fn a_server_with_a_lower_limit_than_expected_still_serves_every_feed() {
    let server = start_h2_server();
    let mut rig = Rig::new();
    // 15 feeds fit one connection by our default, but the server takes only 10 streams: the
    // other 5 get no answer, and after their idle timeout they move to connections of their own.
    subscribe(&mut rig, &server, 15, 1);
    rig.start();
    wait_until(30, "all 15 feeds live", || all_live(&rig, 15));
    rig.recorder.wait_for(20, "an event from every feed", |n| n.len() >= 15);
    assert!(server.connections.load(Ordering::SeqCst) >= 2);
    drop(rig);
    server.runtime.shutdown_background();
}
