//! Benchmark: EPCIS parse + hash, capture (parse + check + hash + store)
//! into a fresh SQLite file, and validation against the GS1 JSON Schema
//! (when `../shared` or `EQUITAS_EPCIS_SCHEMA` has it), on a generated
//! document.
//!
//! Run: `cargo bench -p equitas-store --bench epcis_capture [-- EVENTS [FILE]]`
//! (default 100,000 events). With `EQUITAS_TEST_POSTGRES_URL` naming a
//! PostgreSQL server, capture into PostgreSQL is measured too. With FILE,
//! the generated document is also written there, so the same input can be
//! given to the Python reference generator side by side
//! (docs/benchmarks.md).
//!
//! Events mimic a national supply chain: receipts with a lot and expiry,
//! dispensing and shipments with serialised packs, business transactions
//! and source/destination parties, all with EPC URNs so that the
//! canonicalisation work is done. They carry no eventID unless
//! `EQUITAS_BENCH_EVENT_IDS` is set: then each has a random-looking
//! `urn:uuid` one, as most captured in the field do.

use equitas_epcis::{EventReader, event_hash_ignoring};
use equitas_store::epcis::{ErrorBehaviour, capture, event_count, schema_rejections};
use equitas_store::import::NoProgress;
use equitas_store::{SqliteStore, Store, migrations};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

// The allocator the `equitas` binary uses, so that the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `n` events; with `ids`, each has a random-looking `urn:uuid` eventID.
fn document(n: usize, ids: bool) -> String {
    let mut s = String::with_capacity(n * 700);
    s.push_str(
        r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"cbvmda": "urn:epcglobal:cbv:mda:"}],
"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-23T00:00:00Z",
"epcisBody": {"eventList": ["#,
    );
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let facility = 10000 + (i % 1500);
        let item = 100000 + (i % 150);
        let day = 1 + (i % 28);
        let hour = i % 24;
        let id = if ids {
            let x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D;
            let y = x.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
            format!(
                r#""eventID": "urn:uuid:{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", "#,
                x >> 32,
                (x >> 16) & 0xffff,
                x & 0xfff,
                y >> 52,
                y & 0xffff_ffff_ffff
            )
        } else {
            String::new()
        };
        let _ = match i % 3 {
            0 => write!(
                s,
                r#"{{"type": "ObjectEvent", {id}"eventTime": "2026-01-{day:02}T{hour:02}:00:00+01:00", "eventTimeZoneOffset": "+01:00",
"action": "ADD", "bizStep": "receiving", "disposition": "in_progress",
"readPoint": {{"id": "urn:epc:id:sgln:0614141.{facility}.0"}}, "bizLocation": {{"id": "urn:epc:id:sgln:0614141.{facility}.0"}},
"quantityList": [{{"epcClass": "urn:epc:class:lgtin:4012345.0{item}.L{i}", "quantity": {q}, "uom": "EA"}}],
"bizTransactionList": [{{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:PO{i}"}}],
"sourceList": [{{"type": "owning_party", "source": "urn:epc:id:pgln:5200001.00000"}}],
"ilmd": {{"cbvmda:lotNumber": "L{i}", "cbvmda:itemExpirationDate": "2028-{m:02}-28"}}}}"#,
                q = 10 + i % 990,
                m = 1 + i % 12
            ),
            1 => write!(
                s,
                r#"{{"type": "ObjectEvent", {id}"eventTime": "2026-02-{day:02}T{hour:02}:30:00+01:00", "eventTimeZoneOffset": "+01:00",
"action": "OBSERVE", "bizStep": "dispensing", "disposition": "dispensed",
"bizLocation": {{"id": "urn:epc:id:sgln:0614141.{facility}.0"}},
"epcList": ["urn:epc:id:sgtin:4012345.0{item}.S{i}", "urn:epc:id:sgtin:4012345.0{item}.T{i}"]}}"#
            ),
            _ => write!(
                s,
                r#"{{"type": "ObjectEvent", {id}"eventTime": "2026-03-{day:02}T{hour:02}:15:00+01:00", "eventTimeZoneOffset": "+01:00",
"action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
"readPoint": {{"id": "urn:epc:id:sgln:0614141.{facility}.0"}},
"quantityList": [{{"epcClass": "urn:epc:class:lgtin:4012345.0{item}.L{i}", "quantity": 5, "uom": "EA"}}],
"destinationList": [{{"type": "location", "destination": "urn:epc:id:sgln:0614141.{d}.0"}}]}}"#,
                d = 10000 + ((i + 7) % 1500)
            ),
        };
    }
    s.push_str("]}}");
    s
}

/// Captures the document into an empty store: the time it takes, checked
/// to have stored all `n` events.
fn timed_capture(store: &mut dyn Store, text: &str, n: usize) -> Duration {
    let t = Instant::now();
    let doc = EventReader::new(text).expect("parse");
    let r = capture(
        store,
        "bench",
        &doc,
        vec![],
        ErrorBehaviour::Rollback,
        &NoProgress,
    )
    .expect("capture");
    let took = t.elapsed();
    assert_eq!(r.captured, n);
    assert_eq!(event_count(store).expect("count") as usize, n);
    took
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let out = args.next();
    let t = Instant::now();
    let ids = std::env::var_os("EQUITAS_BENCH_EVENT_IDS").is_some();
    let text = document(n, ids);
    println!(
        "epcis_capture: {n} events{}, {:.0} MB of JSON generated in {:.2} s",
        if ids { " with eventIDs" } else { "" },
        text.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    if let Some(path) = out {
        std::fs::write(&path, &text).expect("write the document");
        println!("  written to {path}");
    }

    let ps = |d: Duration| n as f64 / d.as_secs_f64();
    let t = Instant::now();
    let doc = EventReader::new(&text).expect("parse");
    let mut hashes = 0;
    for i in 0..doc.len() {
        let e = doc.event(i).expect("event");
        hashes += event_hash_ignoring(&e, doc.hash_ignore()).len();
    }
    let hash = t.elapsed();
    assert!(hashes > 0);
    drop(doc);
    println!(
        "  parse + hash          {:>7.2} s  ({:>9.0} events/s; one event at a time)",
        hash.as_secs_f64(),
        ps(hash)
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = SqliteStore::open(&dir.path().join("bench.db")).expect("open");
    migrations::migrate(&mut store).expect("migrate");
    let cap = timed_capture(&mut store, &text, n);
    println!(
        "  capture into SQLite   {:>7.2} s  ({:>9.0} events/s; parse + check + hash + store, one transaction)",
        cap.as_secs_f64(),
        ps(cap)
    );

    // The same into PostgreSQL, when a server is named (as for the tests:
    // EQUITAS_TEST_POSTGRES_URL; a fresh database is made and dropped).
    if std::env::var("EQUITAS_TEST_POSTGRES_URL").is_ok()
        && let Some(mut pg) = equitas_store::testing::postgres()
    {
        let cap = timed_capture(pg.store.as_mut(), &text, n);
        println!(
            "  capture into PostgreSQL {:>5.2} s  ({:>9.0} events/s; the same, to a local server)",
            cap.as_secs_f64(),
            ps(cap)
        );
    }

    // Validation against the GS1 JSON Schema, as `epcis capture --schema`
    // does before storing, when the schema is at hand (it is not shipped).
    let schema = std::env::var("EQUITAS_EPCIS_SCHEMA").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/conformance/epcis/gs1-schema/EPCIS-JSON-Schema.json"
        )
        .to_string()
    });
    match std::fs::read_to_string(&schema) {
        Ok(schema) => {
            let schemas = equitas_epcis::validate::Schemas {
                json: Some(equitas_epcis::validate::Validator::new(&schema).expect("schema")),
                xsd: None,
            };
            let doc = EventReader::new(&text).expect("parse");
            let t = Instant::now();
            let rejected = schema_rejections(&schemas, &doc, usize::MAX).expect("valid document");
            let val = t.elapsed();
            assert!(rejected.is_empty(), "{:?}", rejected.first());
            println!(
                "  JSON Schema           {:>7.2} s  ({:>9.0} events/s; each event on its own)",
                val.as_secs_f64(),
                ps(val)
            );
            println!(
                "  validate + capture    {:>7.2} s  ({:>9.0} events/s)",
                (val + cap).as_secs_f64(),
                ps(val + cap)
            );
        }
        Err(e) => println!("  JSON Schema: not measured ({schema}: {e}; set EQUITAS_EPCIS_SCHEMA)"),
    }
}
