//! The server through a real socket (issue 18): what one request, one
//! client or one other writer must not be able to do to it. Requests are
//! written by hand, byte for byte, as a hostile client would.

mod common;
use common::{Answer, Server, exchange_raw, run};
use equitas_server::{AppState, Limits, ServeOptions};
use equitas_store::testing::TestStore;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `raw` on a new connection and reads the answer to its end.
async fn exchange(addr: SocketAddr, raw: &[u8]) -> Answer {
    Answer::parse(&exchange_raw(addr, raw, 60).await)
}

fn get(addr: SocketAddr, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").into_bytes()
}

fn post(addr: SocketAddr, path: &str, ctype: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn event(n: usize, extra: &str) -> String {
    format!(
        r#"{{"type": "ObjectEvent", "eventTime": "2026-01-05T10:00:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "OBSERVE", "bizStep": "shipping", "epcList": ["urn:epc:id:sgtin:4012345.012345.{n}"]{extra}}}"#
    )
}

fn document(events: &[String]) -> String {
    format!(
        r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T10:00:00Z",
  "epcisBody": {{"eventList": [{}]}}}}"#,
        events.join(",")
    )
}

fn fast() -> ServeOptions {
    ServeOptions {
        header_timeout: Duration::from_secs(1),
        ..Default::default()
    }
}

/// Findings 1, 7 and 8: a deeply nested document is refused and the server
/// goes on; cross-site writes, other content types and other hosts are
/// refused; problem details everywhere; no database path in the status.
fn hostile_requests(s: &mut TestStore) {
    let state = AppState::open(&s.target).unwrap();
    run(async {
        let srv = Server::start(state, fast()).await;
        let a = srv.addr;
        // 1. Nested 4,000 and 100,000 deep: refused, named, and the server lives.
        for depth in [4_000, 100_000] {
            let deep = format!(
                "<EPCISDocument><EPCISBody><EventList><ObjectEvent>{}{}</ObjectEvent></EventList></EPCISBody></EPCISDocument>",
                "<x>".repeat(depth),
                "</x>".repeat(depth)
            );
            let r = exchange(a, &post(a, "/events", "application/xml", "", &deep)).await;
            assert_eq!(r.status, 400, "{r:?}");
            assert_eq!(r.json()["title"], "The request body is not valid");
            assert!(
                r.json()["detail"]
                    .as_str()
                    .unwrap()
                    .starts_with("nested more than 127 levels deep (line 1, column "),
                "{r:?}"
            );
            let json = document(&[event(
                1,
                &format!(r#", "x": {}1{}"#, "[".repeat(depth), "]".repeat(depth)),
            )]);
            let r = exchange(a, &post(a, "/events", "application/json", "", &json)).await;
            assert_eq!(r.status, 400, "{r:?}");
            assert!(
                r.json()["detail"]
                    .as_str()
                    .unwrap()
                    .contains("nested more than 127 levels deep"),
                "{r:?}"
            );
        }
        let r = exchange(a, &get(a, "/api/v1/status")).await;
        assert_eq!(r.status, 200, "{r:?}");
        // 8. The engine, not where its file is.
        let db = r.json()["database"].as_str().unwrap().to_string();
        assert!(db == "SQLite" || db == "PostgreSQL", "{db}");

        // 7. text/plain (what a page may send cross-site without asking) is refused.
        let doc = document(&[event(1, "")]);
        let r = exchange(a, &post(a, "/capture", "text/plain", "", &doc)).await;
        assert_eq!(
            (r.status, r.header("content-type")),
            (415, Some("application/problem+json")),
            "{r:?}"
        );
        // A write from another origin is refused, whatever its type.
        let r = exchange(
            a,
            &post(
                a,
                "/capture",
                "application/json",
                "Origin: http://evil.example\r\n",
                &doc,
            ),
        )
        .await;
        assert_eq!(r.status, 403, "{r:?}");
        assert_eq!(r.json()["type"], "/problems/cross-site-write");
        let r = exchange(
            a,
            &post(
                a,
                "/capture",
                "application/json",
                "Sec-Fetch-Site: cross-site\r\n",
                &doc,
            ),
        )
        .await;
        assert_eq!(r.status, 403, "{r:?}");
        // A host name the server does not serve (DNS rebinding) is refused, reads too.
        let rebound = format!(
            "GET /api/v1/stock HTTP/1.1\r\nHost: evil.example:{}\r\nConnection: close\r\n\r\n",
            a.port()
        );
        let r = exchange(a, rebound.as_bytes()).await;
        assert_eq!(r.status, 403, "{r:?}");
        assert_eq!(r.json()["type"], "/problems/host-not-served");
        // Same origin, the server's own name: captured.
        let own = format!("Origin: http://{a}\r\n");
        let r = exchange(a, &post(a, "/capture", "application/ld+json", &own, &doc)).await;
        assert_eq!(r.status, 202, "{r:?}");
        let r = exchange(a, &post(a, "/capture", "application/json", "", "{")).await;
        assert_eq!(
            (r.status, r.json()["title"].as_str()),
            (400, Some("The request body is not valid")),
            "{r:?}"
        );
        // A method a route does not take is answered 405, whatever the body.
        let put = format!(
            "PUT /api/v1/stock HTTP/1.1\r\nHost: {a}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let r = exchange(a, put.as_bytes()).await;
        assert_eq!(r.status, 405, "{r:?}");
        // Other methods (TRACE) are not writes: the router answers them 405.
        let trace =
            format!("TRACE /api/v1/stock HTTP/1.1\r\nHost: {a}\r\nConnection: close\r\n\r\n");
        let r = exchange(a, trace.as_bytes()).await;
        assert_eq!(r.status, 405, "{r:?}");
        // Unknown routes and methods answer problem details.
        let r = exchange(a, &get(a, "/api/v1/nothing")).await;
        assert_eq!(
            (r.status, r.header("content-type")),
            (404, Some("application/problem+json"))
        );
        let r = exchange(a, &post(a, "/api/v1/status", "application/json", "", "{}")).await;
        assert_eq!(
            (r.status, r.header("content-type")),
            (405, Some("application/problem+json"))
        );
        srv.stop()
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    });
}

/// Finding 6: bodies, events and documents larger than the limits are
/// refused with problem details; a body over a megabyte (spooled to a
/// mapped file) is captured like any other.
fn limits(s: &mut TestStore) {
    let limits = Limits {
        body: 4 << 20,
        event: 2_000,
        events: 3_000,
        ..Default::default()
    };
    let state = AppState::open(&s.target).unwrap().with_limits(limits);
    run(async {
        let srv = Server::start(state, fast()).await;
        let a = srv.addr;
        // Declared too large: refused before the body is read.
        let head = format!(
            "POST /capture HTTP/1.1\r\nHost: {a}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            5 << 20
        );
        let r = exchange(a, head.as_bytes()).await;
        assert_eq!(
            (r.status, r.header("content-type")),
            (413, Some("application/problem+json")),
            "{r:?}"
        );
        // Too large without saying so (chunked): refused once past the limit.
        let mut chunked = format!(
            "POST /capture HTTP/1.1\r\nHost: {a}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .into_bytes();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..5 {
            chunked.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
            chunked.extend(&chunk);
            chunked.extend(b"\r\n");
        }
        chunked.extend(b"0\r\n\r\n");
        let r = exchange(a, &chunked).await;
        assert_eq!(r.status, 413, "{r:?}");
        assert_eq!(r.json()["type"], "/problems/too-large");
        // One event too large: rejected with its size, under the error behaviour.
        let big = event(1, &format!(r#", "note": "{}""#, "x".repeat(3_000)));
        let doc = document(&[event(2, ""), big]);
        let r = exchange(a, &post(a, "/capture", "application/json", "", &doc)).await;
        assert_eq!(r.status, 400, "{r:?}");
        assert!(
            r.json()["detail"]
                .as_str()
                .unwrap()
                .contains("event 1: event: is 3"),
            "{r:?}"
        );
        let r = exchange(
            a,
            &post(
                a,
                "/capture",
                "application/json",
                "GS1-Capture-Error-Behaviour: proceed\r\n",
                &doc,
            ),
        )
        .await;
        assert_eq!(r.status, 202, "{r:?}");
        assert_eq!(
            (
                r.json()["captured"].as_u64(),
                r.json()["rejected"][0]["index"].as_u64()
            ),
            (Some(1), Some(1))
        );
        // Too many events in one document.
        let note = format!(r#", "note": "{}""#, "n".repeat(400));
        let many: Vec<String> = (0..3_001).map(|i| event(i + 10, &note)).collect();
        let r = exchange(
            a,
            &post(a, "/capture", "application/json", "", &document(&many)),
        )
        .await;
        assert_eq!(r.status, 413, "{r:?}");
        assert!(
            r.json()["detail"].as_str().unwrap().contains("3001 events"),
            "{r:?}"
        );
        // 2,900 events, about 1.7 MB: spooled to a file, mapped, captured.
        let body = document(&many[..2_900]);
        assert!(body.len() > 1 << 20);
        let r = exchange(a, &post(a, "/capture", "application/json", "", &body)).await;
        assert_eq!(r.status, 202, "{r:?}");
        assert_eq!(r.json()["captured"], 2_900);
        srv.stop()
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    });
}

/// Finding 6: a client that sends nothing, or headers too slowly, is cut
/// after the header timeout; connections past the limit wait to be
/// accepted instead of taking memory.
fn connections(s: &mut TestStore) {
    let state = AppState::open(&s.target).unwrap();
    let opts = ServeOptions {
        max_connections: 2,
        header_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    run(async {
        let srv = Server::start(state, opts).await;
        let a = srv.addr;
        // Half a request, then nothing: closed by the server in about a second.
        let mut idle = TcpStream::connect(a).await.unwrap();
        idle.write_all(b"GET /api/v1/status HTTP/1.1\r\nHost: ")
            .await
            .unwrap();
        let t = Instant::now();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), idle.read_to_end(&mut buf)).await;
        assert!(
            read.is_ok(),
            "a half-open connection is closed by the server"
        );
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        // Two connections held open: a third is not served until one goes.
        let held1 = TcpStream::connect(a).await.unwrap();
        let held2 = TcpStream::connect(a).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let req = get(a, "/api/v1/status");
        let third = tokio::spawn(async move { exchange(a, &req).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!third.is_finished(), "served past the connection limit");
        drop(held1);
        drop(held2);
        // (Or their header timeout frees them.)
        let r = tokio::time::timeout(Duration::from_secs(10), third)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.status, 200, "{r:?}");
        srv.stop()
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    });
}

/// Finding 4: a write while another writer holds the database waits its
/// turn up to the bound, then is answered 503 with Retry-After as a problem
/// detail; once the other writer is done, the same write is captured.
fn contention(s: &mut TestStore) {
    equitas_store::set_write_wait(Duration::from_secs(2));
    let state = AppState::open(&s.target).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let srv = rt.block_on(Server::start(state, fast()));
    let a = srv.addr;
    let doc = document(&[event(1, "")]);
    {
        // Another writer (another process's capture, say) holds the database.
        let mut other = equitas_store::open(&s.target).unwrap();
        let mut tx = other.begin().unwrap();
        tx.execute("DELETE FROM epcis_captures WHERE id < 0", &[])
            .unwrap();
        if tx.backend() == equitas_store::Backend::Postgres {
            // PostgreSQL writers meet on the capture lock.
            tx.execute(
                "SELECT pg_advisory_xact_lock($1)",
                &[equitas_store::epcis::CAPTURE_LOCK.into()],
            )
            .unwrap();
        }
        let t = Instant::now();
        let r = rt.block_on(exchange(
            a,
            &post(a, "/events", "application/json", "", &doc),
        ));
        assert_eq!(r.status, 503, "{r:?}");
        assert_eq!(r.header("retry-after"), Some("5"));
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.json()["type"], "/problems/busy");
        assert!(
            t.elapsed() >= Duration::from_millis(1_900),
            "{:?}",
            t.elapsed()
        );
        drop(tx);
    }
    // Several writes at once each wait their turn: all captured.
    let answers = rt.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let body = document(&[event(100 + i, "")]);
                tokio::spawn(async move {
                    exchange(a, &post(a, "/events", "application/json", "", &body)).await
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap().status);
        }
        out
    });
    assert_eq!(answers, [201; 4]);
    rt.block_on(srv.stop())
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

/// Finding 6: on shutdown, a capture in progress finishes (and is
/// answered) before the server stops.
fn shutdown_finishes_captures(s: &mut TestStore) {
    let state = AppState::open(&s.target).unwrap();
    run(async {
        let srv = Server::start(state, fast()).await;
        let a = srv.addr;
        let many: Vec<String> = (0..20_000).map(|i| event(i, "")).collect();
        let body = document(&many);
        let capture = tokio::spawn(async move {
            exchange(a, &post(a, "/capture", "application/json", "", &body)).await
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        srv.stop()
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
        let r = capture.await.unwrap();
        assert_eq!(r.status, 202, "{r:?}");
        assert_eq!(r.json()["captured"], 20_000);
    });
    let n = equitas_store::epcis::event_count(s.store.as_mut()).unwrap();
    assert_eq!(n, 20_000);
}

/// A client that stops reading its answer is cut off after the write
/// timeout, so that it cannot hold a connection (here the only one) for ever.
fn slow_readers(s: &mut TestStore) {
    let state = AppState::open(&s.target).unwrap();
    let opts = ServeOptions {
        max_connections: 1,
        header_timeout: Duration::from_secs(1),
        write_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    run(async {
        let srv = Server::start(state, opts).await;
        let a = srv.addr;
        // 1,000 events of 200 EPCs each: a page of them is about 10 MB, more
        // than the sockets' buffers hold.
        let epcs: Vec<String> = (0..200)
            .map(|k| format!("\"urn:epc:id:sgtin:4012345.012345.{k}\""))
            .collect();
        let events: Vec<String> = (0..1000)
            .map(|i| {
                event(
                    1_000_000 + i,
                    &format!(r#", "childEPCs": [], "readPoint": {{"id": "urn:epc:id:sgln:4012345.00001.{i}"}}, "bizTransactionList": [], "sensorElementList": [], "quantityList": [], "inputEPCList": [{}]"#, epcs.join(",")),
                )
            })
            .collect();
        let r = exchange(
            a,
            &post(a, "/capture", "application/json", "", &document(&events)),
        )
        .await;
        assert_eq!(r.status, 202, "{r:?}");
        // The slow reader: a tiny receive window, and no read at all.
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.set_recv_buffer_size(4096).unwrap();
        let mut slow = sock.connect(a).await.unwrap();
        slow.write_all(&get(a, "/events?perPage=1000"))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Another client is served once the slow one is cut off.
        let t = Instant::now();
        let r = tokio::time::timeout(
            Duration::from_secs(20),
            exchange(a, &get(a, "/api/v1/status")),
        )
        .await
        .expect("served after the slow reader's write timeout");
        assert_eq!(r.status, 200, "{r:?}");
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        drop(slow);
        srv.stop()
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    });
}

equitas_store::on_both_backends!(
    slow_reader_cut_off => slow_readers,
    hostile => hostile_requests,
    limits_refused => limits,
    connection_limits => connections,
    writes_wait_their_turn => contention,
    shutdown => shutdown_finishes_captures,
);
