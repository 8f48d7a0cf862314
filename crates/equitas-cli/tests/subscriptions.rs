//! EPCIS subscriptions through the real binary: `equitas serve` killed
//! with SIGKILL while a delivery is in flight, then started again, delivers
//! every matching event (those of the unacknowledged delivery again:
//! at least once), none lost, each delivery signed. On SQLite, and on
//! PostgreSQL when EQUITAS_TEST_POSTGRES_URL names a server.

mod common;

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Headers (lower-case names) and body of a request.
type Request = (Vec<(String, String)>, Vec<u8>);
/// What the receiver got: the signature header and the body of each delivery.
type Got = Arc<Mutex<Vec<(Option<String>, Vec<u8>)>>>;

/// One HTTP/1.1 request read from `s`.
fn read_request(s: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some((headers, body))
}

/// A webhook receiver on loopback. It answers 200 to every delivery but
/// the one numbered `hold` (from 1), which it reads, records and never
/// answers while `holding`.
struct Receiver {
    addr: SocketAddr,
    got: Got,
    holding: Arc<AtomicBool>,
}

impl Receiver {
    fn start(hold: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let got: Got = Arc::default();
        let holding = Arc::new(AtomicBool::new(true));
        let count = Arc::new(AtomicUsize::new(0));
        let (g, h) = (got.clone(), holding.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut s) = conn else { continue };
                let (g, h, count) = (g.clone(), h.clone(), count.clone());
                std::thread::spawn(move || {
                    while let Some((headers, body)) = read_request(&mut s) {
                        let sig = headers
                            .iter()
                            .find(|(k, _)| k == "gs1-signature")
                            .map(|(_, v)| v.clone());
                        g.lock().unwrap().push((sig, body));
                        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                        if n == hold {
                            while h.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            return;
                        }
                        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        if s.write_all(ok).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Receiver { addr, got, holding }
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

/// A request to the server; the status and the JSON answer.
fn send(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn serve(data_dir: &std::path::Path, database: Option<&str>, port: u16) -> Child {
    common::serve(
        data_dir,
        database,
        port,
        &["--webhook-retry", "1", "--webhook-retry-max", "1"],
    )
}

fn capture(addr: SocketAddr, from: usize, n: usize) -> Vec<String> {
    let ids: Vec<String> = (from..from + n)
        .map(|i| format!("urn:uuid:00000000-0000-4000-8000-{i:012}"))
        .collect();
    let events: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({"type": "ObjectEvent", "eventID": id, "eventTime": "2026-01-05T10:00:00Z",
                   "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "shipping",
                   "epcList": [format!("urn:epc:id:sgtin:4012345.012345.{}", from + i)]})
        })
        .collect();
    let doc = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T10:00:00Z",
        "epcisBody": {"eventList": events}
    });
    let (st, j) = send(addr, "POST", "/capture", Some(&doc));
    assert_eq!(st, 202, "{j}");
    ids
}

fn wait(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what}: not in time"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn killed_server_delivers_the_rest(database: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // The second delivery is read and never answered: the server is killed
    // with it in flight.
    let rx = Receiver::start(2);
    let mut server = serve(dir.path(), database, port);
    let (st, j) = send(
        addr,
        "POST",
        "/queries",
        Some(&json!({"name": "shipped", "query": {"EQ_bizStep": ["shipping"]}})),
    );
    assert_eq!(st, 201, "{j}");
    let dest = format!("http://{}/hook", rx.addr);
    let (st, j) = send(
        addr,
        "POST",
        "/queries/shipped/subscriptions",
        Some(&json!({"dest": dest, "signatureToken": "s3cret", "stream": true})),
    );
    assert_eq!(st, 201, "{j}");
    let mut expected = capture(addr, 0, 30);
    wait("the first delivery", || rx.count() >= 1);
    expected.extend(capture(addr, 30, 30));
    wait("the second delivery, held", || rx.count() >= 2);
    // Captured while the second delivery is in flight.
    for k in 0..4 {
        expected.extend(capture(addr, 60 + k * 25, 25));
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    rx.holding.store(false, Ordering::SeqCst);
    let received_before = rx.count();

    let mut server = serve(dir.path(), database, port);
    let delivered = |rx: &Receiver| -> Vec<String> {
        rx.got
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(sig, body)| {
                use hmac::Mac;
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
                mac.update(body);
                let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
                assert_eq!(
                    sig.as_deref(),
                    Some(want.as_str()),
                    "every delivery is signed"
                );
                let doc: Value = serde_json::from_slice(body).unwrap();
                doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["eventID"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    wait("every event after the restart", || {
        let got = delivered(&rx);
        expected.iter().all(|e| got.contains(e))
    });
    // Nothing more comes once everything was acknowledged.
    std::thread::sleep(Duration::from_millis(1500));
    let got = delivered(&rx);
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    let duplicates = got.len() - unique.len();
    eprintln!(
        "{} events expected, {} received in {} deliveries ({} before the kill), {duplicates} duplicates",
        expected.len(),
        got.len(),
        rx.count(),
        received_before
    );
    assert_eq!(unique.len(), expected.len(), "only matching events");
    // The held delivery's events were delivered again, and nothing else twice.
    assert!(duplicates >= 1, "the unacknowledged delivery is made again");
    assert!(
        duplicates <= 30,
        "only the unacknowledged delivery again: {duplicates}"
    );
    // In commit order: each event's first delivery comes after the previous one's.
    let mut firsts = Vec::new();
    for e in &got {
        if !firsts.contains(e) {
            firsts.push(e.clone());
        }
    }
    assert_eq!(firsts, expected, "first deliveries in commit order");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn killed_server_loses_no_event_sqlite() {
    killed_server_delivers_the_rest(None);
}

#[test]
fn killed_server_loses_no_event_postgres() {
    let Some((url, _drop)) = equitas_store::testing::postgres_url() else {
        return;
    };
    killed_server_delivers_the_rest(Some(&url));
}
