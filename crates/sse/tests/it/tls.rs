//! HTTPS against a real TLS server on 127.0.0.1 whose certificate comes from a private CA, as a
//! self-hosted server's often does: trusted with the feed's extra CA file, refused without it.
//! There is no switch to accept any certificate; this is the supported way.

use std::sync::Arc;

use herald_sse::{Attempt, ConnectError, Parser, Request, http_client};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Pki {
    ca_pem: String,
    server_config: Arc<rustls::ServerConfig>,
}

fn private_ca_and_server_cert() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "Herald test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    Pki { ca_pem: ca_cert.pem(), server_config: Arc::new(server_config) }
}

/// Serves one event over TLS to every connection, until the test ends.
async fn tls_server(config: Arc<rustls::ServerConfig>) -> u16 {
    tls_server_answering(
        config,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: secure\n\n"
            .to_vec(),
    )
    .await
}

/// Sends `answer` over TLS to every connection, until the test ends.
async fn tls_server_answering(config: Arc<rustls::ServerConfig>, answer: Vec<u8>) -> u16 {
    let answer = Arc::new(answer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            let answer = answer.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let _ = tls.write_all(&answer).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn an_extra_ca_makes_a_private_certificate_trusted() {
    let pki = private_ca_and_server_cert();
    let port = tls_server(pki.server_config.clone()).await;
    let request = Request::get(format!("https://127.0.0.1:{port}/events").parse().unwrap());

    let client = http_client(Some(pki.ca_pem.as_bytes())).unwrap();
    let mut connection = Attempt::start(&client, &request).await.unwrap();
    let mut parser = Parser::new();
    let mut items = Vec::new();
    while let Ok(Some(chunk)) = connection.chunk().await {
        items.extend(parser.feed_owned(&chunk));
    }
    assert_eq!(items, [crate::msg("secure")]);

    // The same server without the extra CA: refused, and the words say it is the certificate.
    let err = Attempt::start(&http_client(None).unwrap(), &request).await.unwrap_err();
    assert!(matches!(err, ConnectError::Network(_)), "{err:?}");
    let words = err.to_string().to_lowercase();
    assert!(words.contains("certificate"), "{words}");
}

#[tokio::test]
async fn a_redirect_from_https_to_plain_http_is_refused_and_nothing_goes_out_in_clear() {
    let plain = herald_sse_server::SseServer::start(|_, _| {
        herald_sse_server::Reply::events("data: clear\n\n")
    });
    let pki = private_ca_and_server_cert();
    let answer = format!(
        "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        plain.url("/clear")
    );
    let port = tls_server_answering(pki.server_config.clone(), answer.into_bytes()).await;
    let mut request = Request::get(format!("https://127.0.0.1:{port}/events").parse().unwrap());
    request.headers.insert(
        reqwest::header::HeaderName::from_static("x-api-key"),
        reqwest::header::HeaderValue::from_static("header-secret"),
    );

    let client = http_client(Some(pki.ca_pem.as_bytes())).unwrap();
    let err = Attempt::start(&client, &request).await.unwrap_err();
    assert!(err.to_string().contains("from https to plain http"), "{err}");
    assert!(plain.requests().is_empty(), "a request went out in clear");
}
