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
