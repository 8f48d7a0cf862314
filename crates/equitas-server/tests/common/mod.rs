//! What the server's integration tests share: a runtime, and requests
//! through the router. Each test crate uses its part of it.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use equitas_server::{AppState, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Runs `f` on a two-thread runtime, as the server runs.
pub fn run(f: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Sends a request through the router: its status, headers and JSON body
/// (`Null` if the body is not JSON). A write without a `content-type`
/// declares its binding, as EPCIS clients do (XML if it starts with `<`).
pub async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if method != "GET"
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        let xml = body.trim_start().starts_with('<');
        req = req.header(
            "content-type",
            if xml {
                "application/xml"
            } else {
                "application/json"
            },
        );
    }
    let res = router(state.clone())
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The `content-type` of an answer, or "".
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// A GET through the router: status, content type and JSON body.
pub async fn get_typed(state: &AppState, uri: &str) -> (StatusCode, String, Value) {
    let (status, headers, json) = send(state, "GET", uri, &[], "").await;
    (status, content_type(&headers), json)
}

/// A GET through the router: status and JSON body.
pub async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let (status, _, json) = send(state, "GET", uri, &[], "").await;
    (status, json)
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A server on a free loopback port, serving `state` until stopped.
pub struct Server {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// How a server's serving ended: in time or not, its task, its result.
pub type Stopped =
    Result<Result<std::io::Result<()>, tokio::task::JoinError>, tokio::time::error::Elapsed>;

impl Server {
    pub async fn start(state: AppState, opts: equitas_server::ServeOptions) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = state.with_hosts(equitas_server::Hosts::for_addr(&addr, &[]));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(equitas_server::serve_until(state, listener, opts, async {
            let _ = rx.await;
        }));
        Server {
            addr,
            stop: Some(tx),
            done,
        }
    }

    /// Asks the server to stop and waits for it, up to 30 s.
    pub async fn stop(mut self) -> Stopped {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(std::time::Duration::from_secs(30), self.done).await
    }
}

/// An answer read off a socket: status, headers (lower-case names), body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The session token a `Set-Cookie` sets.
    pub fn session_cookie(&self) -> Option<String> {
        let v = self.header("set-cookie")?;
        let (kv, _) = v.split_once(';')?;
        let (k, v) = kv.split_once('=')?;
        (k == "equitas_session").then(|| v.to_string())
    }

    /// Reads a raw HTTP answer (its body as sent, chunked or not).
    pub fn parse(out: &[u8]) -> Answer {
        let text = String::from_utf8_lossy(out);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Answer {
            status,
            headers,
            body: body.to_string(),
        }
    }
}

/// Sends `raw` on a new connection and reads until the server closes it,
/// for up to `secs` seconds. A server that refuses a body answers before
/// reading it all and closes the connection: the rest of the write may
/// then fail, and the read end with a reset after the answer; what was
/// read is the answer.
pub async fn exchange_raw(addr: std::net::SocketAddr, raw: &[u8], secs: u64) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(raw).await;
    let mut out = Vec::new();
    let read = async {
        let mut buf = [0u8; 8192];
        while let Ok(n) = s.read(&mut buf).await
            && n > 0
        {
            out.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(secs), read)
        .await
        .expect("an answer in time");
    out
}
