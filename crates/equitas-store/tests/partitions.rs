//! Monthly partitions on PostgreSQL (docs/scale.md): a database converted
//! by `partition_by_month` answers as an unpartitioned one (SQLite, and
//! PostgreSQL as the migrations leave it) does, events by eventID, duplicates
//! and conflicts included; the conversion keeps every row and fills the
//! keys' table, whose unique constraints hold; a capture into a month
//! without its partition makes it; concurrent captures of the same events
//! store each once; detaching a month removes exactly its rows, which the
//! archive holds.

use equitas_epcis::EventReader;
use equitas_ledger::view::{self, StockQuery};
use equitas_model::LocationLevel;
use equitas_store::Store;
use equitas_store::epcis::{
    CaptureReport, ErrorBehaviour, EventQuery, FoundEvent, capture, query_events,
};
use equitas_store::import::{ImportKind, ImportOptions, NoProgress, import};
use equitas_store::partitions::{self, Month};
use equitas_store::stock::load;
use equitas_store::testing::TestStore;
use equitas_store::testing::shipped_mappings;
use std::collections::BTreeMap;

/// Eight facilities, four products, seven months from 2025-11-20 (so
/// across a new year).
fn network() -> equitas_synth::Network {
    equitas_synth::Network::new(equitas_synth::Config {
        seed: 25,
        regions: 2,
        districts_per_region: 2,
        facilities: 8,
        products: 4,
        months: 7,
        start: equitas_ledger::calendar::parse_day("2025-11-20").unwrap(),
        ..equitas_synth::Config::default()
    })
}

/// Imports the network's places into `s` and returns its events in the
/// JSON binding.
fn import_network(s: &mut dyn Store, net: &equitas_synth::Network) -> Vec<String> {
    for (kind, name, text) in [
        (ImportKind::Countries, "countries.csv", net.countries_csv()),
        (ImportKind::Locations, "locations.csv", net.locations_csv()),
    ] {
        let r = import(
            s,
            kind,
            name,
            text.as_bytes(),
            &shipped_mappings(),
            ImportOptions::default(),
            &NoProgress,
        )
        .unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    }
    let mut events = Vec::new();
    equitas_synth::simulate(net, &mut |e| {
        events.push(e.to_json(net, events.len() as u64))
    });
    events
}

/// Captures `events` as one document.
fn capture_events(s: &mut dyn Store, events: &[String]) -> CaptureReport {
    let text = equitas_synth::document(events, "2026-01-01T00:00:00Z");
    capture_text(s, &text)
}

fn capture_text(s: &mut dyn Store, text: &str) -> CaptureReport {
    let doc = EventReader::new(text).unwrap();
    let r = capture(
        s,
        "net.json",
        &doc,
        vec![],
        ErrorBehaviour::Rollback,
        &NoProgress,
    )
    .unwrap();
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    r
}

/// A dispensing of two serialised packs in January 2026: the synthetic
/// network's events list no EPCs, this one fills `epcis_event_epcs`.
const PACKS: &str = r#"{"epcisBody": {"eventList": [
    {"type": "ObjectEvent", "eventTime": "2026-01-14T10:00:00Z", "eventTimeZoneOffset": "+00:00",
     "action": "OBSERVE", "bizStep": "dispensing", "disposition": "dispensed",
     "bizLocation": {"id": "urn:epc:id:sgln:0614141.12345.0"},
     "epcList": ["urn:epc:id:sgtin:4012345.012345.S1", "urn:epc:id:sgtin:4012345.012345.S2"]}
]}}"#;

/// The events a query finds, without what depends on the database (the
/// cursor, the record time), by hash.
fn found(s: &mut dyn Store, q: &EventQuery) -> BTreeMap<String, serde_json::Value> {
    let mut q = q.clone();
    q.limit = 100_000;
    query_events(s, &q)
        .unwrap()
        .into_iter()
        .map(|e: FoundEvent| {
            let mut v = serde_json::to_value(&e).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("cursor");
            o.remove("recordTime");
            (e.hash, v)
        })
        .collect()
}

/// The answers compared: the events of several queries, and the stock and
/// availability views of the ledger loaded afresh, as JSON.
fn answers(s: &mut dyn Store, net: &equitas_synth::Network) -> Vec<(String, serde_json::Value)> {
    let place = &net.places[net.places.len() - 1];
    let gln = format!("https://id.gs1.org/414/{}", place.gln);
    let queries = [
        ("all", EventQuery::default()),
        (
            // Across the new year and the months' boundaries.
            "December to February",
            EventQuery {
                from: Some("2025-12-15T00:00:00.000Z".into()),
                to: Some("2026-02-01T00:00:00.000Z".into()),
                ..Default::default()
            },
        ),
        (
            "one place, from March",
            EventQuery {
                biz_locations: vec![gln],
                from: Some("2026-03-01T00:00:00.000Z".into()),
                ..Default::default()
            },
        ),
        (
            "receiving",
            EventQuery {
                biz_steps: vec!["receiving".into()],
                ..Default::default()
            },
        ),
    ];
    let mut out = Vec::new();
    for (name, q) in queries {
        let f = found(s, &q);
        assert!(!f.is_empty(), "{name}: nothing found");
        out.push((name.to_string(), serde_json::to_value(f).unwrap()));
    }
    // Events by eventID (the keys' table when partitioned): every 50th,
    // and one not held.
    let all = found(s, &EventQuery::default());
    // The query's EQ_eventID (the keys' table when partitioned): every
    // 50th event's ID, as answers show it (an eventID, else a hash), and
    // one not held.
    let mut ids: Vec<String> = all
        .values()
        .step_by(50)
        .map(|e| e["eventID"].as_str().unwrap().to_string())
        .collect();
    let wanted = ids.len();
    ids.push("urn:uuid:not-held".into());
    let f = found(
        s,
        &EventQuery {
            event_ids: ids,
            ..Default::default()
        },
    );
    assert_eq!(f.len(), wanted);
    out.push(("by EQ_eventID".into(), serde_json::to_value(f).unwrap()));
    let mut by_id = Vec::new();
    for (i, e) in all.values().enumerate() {
        if i % 50 == 0 {
            let id = e["eventID"].as_str().unwrap();
            let got = equitas_store::epcis::event_by_id(s, id).unwrap().unwrap();
            assert_eq!(got.event_id, id);
            let mut v = serde_json::to_value(&got).unwrap();
            v.as_object_mut().unwrap().remove("cursor");
            v.as_object_mut().unwrap().remove("recordTime");
            by_id.push(v);
        }
    }
    assert!(by_id.len() > 5);
    assert!(
        equitas_store::epcis::event_by_id(s, "urn:uuid:00000000-0000-4000-8000-00000000dead")
            .unwrap()
            .is_none()
    );
    out.push(("by eventID".into(), serde_json::to_value(by_id).unwrap()));
    let data = load(s).unwrap();
    for level in [
        LocationLevel::Facility,
        LocationLevel::District,
        LocationLevel::Country,
    ] {
        let rows = view::stock(
            &data.ledger,
            &data.places,
            &data.bands,
            &StockQuery {
                level: Some(level),
                ..StockQuery::default()
            },
        );
        assert!(!rows.is_empty());
        out.push((
            format!("stock {level:?}"),
            serde_json::to_value(rows).unwrap(),
        ));
    }
    let through = data.ledger.through().unwrap();
    let dates = view::availability_dates(through, 6);
    let rows = view::availability(
        &data.ledger,
        &data.places,
        LocationLevel::Region,
        &[],
        false,
        &dates,
    );
    assert!(!rows.is_empty());
    out.push(("availability".into(), serde_json::to_value(rows).unwrap()));
    out
}

/// A fresh PostgreSQL database partitioned by month (converted empty).
fn partitioned() -> Option<TestStore> {
    let mut t = equitas_store::testing::postgres()?;
    let done = partitions::partition_by_month(t.store.as_mut()).unwrap();
    assert_eq!((done.events, done.movements), (0, 0));
    assert!(partitions::partitioned(t.store.as_mut()).unwrap());
    Some(t)
}

/// Rows per month of each partitioned table, as the rows themselves say.
fn rows_by_month(s: &mut dyn Store) -> BTreeMap<(String, String), i64> {
    let mut out = BTreeMap::new();
    for (table, month) in [
        ("epcis_events", "substr(event_time, 1, 7)"),
        (
            "stock_movements",
            "to_char(to_timestamp(at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')",
        ),
    ] {
        for r in s
            .query(
                &format!("SELECT {month}, COUNT(*) FROM {table} GROUP BY 1"),
                &[],
            )
            .unwrap()
        {
            out.insert(
                (table.to_string(), r[0].get::<String>().unwrap()),
                r[1].get().unwrap(),
            );
        }
    }
    out
}

/// An event of the network with its eventID kept and its content changed
/// (another read point): a conflict.
fn conflicting(event: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(event).unwrap();
    v["readPoint"] = serde_json::json!({"id": "urn:epc:id:sgln:0614141.99999.0"});
    v.to_string()
}

/// The same network captured into a partitioned PostgreSQL database, an
/// unpartitioned one and SQLite gives the same events to every query and
/// by eventID, the same duplicates and conflicts, and the same stock and
/// availability; the partitioned one holds each month in its own
/// partition, none in the default, and each event's keys once.
#[test]
fn partitioned_and_unpartitioned_answer_the_same() {
    let Some(mut partitioned) = partitioned() else {
        return;
    };
    let Some(mut plain) = equitas_store::testing::postgres() else {
        return;
    };
    assert!(!partitions::partitioned(plain.store.as_mut()).unwrap());
    let mut sqlite = equitas_store::testing::sqlite();
    let net = network();
    let mut all = Vec::new();
    for s in [
        partitioned.store.as_mut(),
        plain.store.as_mut(),
        sqlite.store.as_mut(),
    ] {
        let events = import_network(s, &net);
        // In two captures, the second overlapping the first.
        let half = events.len() / 2;
        assert_eq!(capture_events(s, &events[..half + 10]).captured, half + 10);
        let r = capture_events(s, &events[half..]);
        assert_eq!((r.captured, r.duplicates), (events.len() - half - 10, 10));
        // A held eventID with other content, and a duplicate, in one
        // document stored as far as it goes.
        let doc = equitas_synth::document(
            &[conflicting(&events[3]), events[4].clone()],
            "2026-01-01T00:00:00Z",
        );
        let r = capture(
            s,
            "again.json",
            &EventReader::new(&doc).unwrap(),
            vec![],
            ErrorBehaviour::Proceed,
            &NoProgress,
        )
        .unwrap();
        assert_eq!((r.captured, r.duplicates, r.conflicts), (0, 1, 1), "{r:?}");
        all.push(answers(s, &net));
    }
    assert_eq!(all[0], all[2], "partitioned PostgreSQL against SQLite");
    assert_eq!(all[1], all[2], "unpartitioned PostgreSQL against SQLite");
    let parts = partitions::partitions(partitioned.store.as_mut()).unwrap();
    let held = rows_by_month(partitioned.store.as_mut());
    assert!(held.len() >= 2 * 7, "{held:?}");
    for ((table, month), n) in &held {
        let p = parts
            .iter()
            .find(|p| &p.table == table && p.month.as_deref() == Some(month.as_str()))
            .unwrap_or_else(|| panic!("no partition of {table} for {month}: {parts:?}"));
        assert_eq!(p.rows, *n, "{p:?}");
    }
    assert!(
        parts.iter().all(|p| p.month.is_some() || p.rows == 0),
        "{parts:?}"
    );
    let s = partitioned.store.as_mut();
    let count =
        |s: &mut dyn Store, sql: &str| -> i64 { s.query_scalar(sql, &[]).unwrap().get().unwrap() };
    assert_eq!(
        count(s, "SELECT COUNT(*) FROM epcis_event_keys"),
        count(s, "SELECT COUNT(*) FROM epcis_events")
    );
    assert_eq!(
        count(
            s,
            "SELECT COUNT(*) FROM epcis_events e JOIN epcis_event_keys k ON k.event = e.id
             AND k.hash = e.hash AND k.event_id IS NOT DISTINCT FROM e.event_id
             AND k.capture = e.capture AND k.event_time = e.event_time"
        ),
        count(s, "SELECT COUNT(*) FROM epcis_events")
    );
    // SQLite has none.
    let e = partitions::partitions(sqlite.store.as_mut())
        .unwrap_err()
        .to_string();
    assert!(e.contains("PostgreSQL feature"), "{e}");
}

/// The keys' table holds each hash and each eventID once: a second row
/// with either is refused by the database itself.
#[test]
fn keys_are_unique() {
    let Some(mut t) = partitioned() else {
        return;
    };
    let s = t.store.as_mut();
    capture_text(s, PACKS);
    let e = s
        .batch(
            "INSERT INTO epcis_event_keys (event, hash, event_id, capture, event_time)
             SELECT event + 1000, hash, 'other', capture, event_time FROM epcis_event_keys",
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("epcis_event_keys_hash"), "{e}");
    s.batch(
        "UPDATE epcis_event_keys SET event_id = 'urn:uuid:6f2b1e5c-0000-4000-8000-0000000000aa'",
    )
    .unwrap();
    let e = s
        .batch(
            "INSERT INTO epcis_event_keys (event, hash, event_id, capture, event_time)
             SELECT event + 1000, 'other', event_id, capture, event_time FROM epcis_event_keys",
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("epcis_event_keys_event_id"), "{e}");
}

/// Two captures of the same document at once into a partitioned database
/// store each event once: the one that commits second counts them all as
/// duplicates (its keys waited for the first's commit and yielded).
#[test]
fn concurrent_captures_store_each_event_once() {
    let Some(t) = partitioned() else {
        return;
    };
    let net = network();
    let mut first = equitas_store::open(&t.target).unwrap();
    let events = import_network(first.as_mut(), &net);
    let text = equitas_synth::document(&events, "2026-01-01T00:00:00Z");
    let reports: Vec<CaptureReport> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (target, text) = (&t.target, &text);
                sc.spawn(move || {
                    let mut s = equitas_store::open(target).unwrap();
                    capture_text(s.as_mut(), text)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let captured: usize = reports.iter().map(|r| r.captured).sum();
    let duplicates: usize = reports.iter().map(|r| r.duplicates).sum();
    assert_eq!(
        (captured, duplicates),
        (events.len(), events.len()),
        "{reports:?}"
    );
    let s = first.as_mut();
    for t in ["epcis_events", "epcis_event_keys"] {
        let n: i64 = s
            .query_scalar(&format!("SELECT COUNT(*) FROM {t}"), &[])
            .unwrap()
            .get()
            .unwrap();
        assert_eq!(n as usize, events.len(), "{t}");
    }
}

/// Every row of every table the conversion rewrites, as text, in order.
fn dump(s: &mut dyn Store) -> BTreeMap<&'static str, Vec<String>> {
    let mut out = BTreeMap::new();
    for t in [
        "epcis_events",
        "stock_movements",
        "epcis_event_epcs",
        "epcis_event_quantities",
        "epcis_event_parties",
        "epcis_captures",
    ] {
        let rows = s
            .query(
                &format!("SELECT CAST(row_to_json(t) AS TEXT) FROM {t} t ORDER BY 1"),
                &[],
            )
            .unwrap()
            .into_iter()
            .map(|r| r[0].get::<String>().unwrap())
            .collect();
        out.insert(t, rows);
    }
    out
}

/// A PostgreSQL database holding events keeps every row through the
/// conversion, each in its month's partition, and its keys; the ids go on
/// after the last given, and captures find what it held. Converting again,
/// or SQLite, is refused.
#[test]
fn conversion_keeps_every_row() {
    let Some(mut t) = equitas_store::testing::postgres() else {
        return;
    };
    let s = t.store.as_mut();
    let net = network();
    let events = import_network(s, &net);
    let half = events.len() / 2;
    assert_eq!(capture_events(s, &events[..half]).captured, half);
    assert_eq!(capture_text(s, PACKS).captured, 1);
    let before = dump(s);
    assert!(before.values().all(|rows| !rows.is_empty()));
    let last_id: i64 = s
        .query_scalar("SELECT MAX(id) FROM epcis_events", &[])
        .unwrap()
        .get()
        .unwrap();
    let done = partitions::partition_by_month(s).unwrap();
    assert_eq!(done.events as usize, half + 1);
    assert_eq!(done.movements as usize, before["stock_movements"].len());
    assert!(done.months.len() >= 3, "{done:?}");
    assert_eq!(dump(s), before);
    let keys: i64 = s
        .query_scalar(
            "SELECT COUNT(*) FROM epcis_event_keys k JOIN epcis_events e ON e.id = k.event AND e.hash = k.hash",
            &[],
        )
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(keys as usize, half + 1);
    let e = partitions::partition_by_month(s).unwrap_err().to_string();
    assert!(e.contains("already partitioned"), "{e}");
    let mut sqlite = equitas_store::testing::sqlite();
    let e = partitions::partition_by_month(sqlite.store.as_mut())
        .unwrap_err()
        .to_string();
    assert!(e.contains("PostgreSQL feature"), "{e}");
    let parts = partitions::partitions(s).unwrap();
    let held = rows_by_month(s);
    for ((table, month), n) in &held {
        assert!(
            parts.iter().any(|p| &p.table == table
                && p.month.as_deref() == Some(month.as_str())
                && p.rows == *n),
            "{table} {month}: {parts:?}"
        );
    }
    // The whole network again: the first half is held, the rest new, with
    // ids above those held.
    let r = capture_events(s, &events);
    assert_eq!((r.captured, r.duplicates), (events.len() - half, half));
    let first_new: i64 = s
        .query_scalar(
            "SELECT MIN(id) FROM epcis_events WHERE capture = $1",
            &[r.capture_id.unwrap().into()],
        )
        .unwrap()
        .get()
        .unwrap();
    assert!(first_new > last_id);
    let data = load(s).unwrap();
    assert!(data.ledger.movement_count() > 0);
}

/// A capture of events in a month far from now, which has no partition
/// when the capture begins (its rows go to the DEFAULT partitions), leaves
/// that month with its partitions, holding them; the default is empty,
/// and the events are found by time and by id.
#[test]
fn capture_into_a_new_month() {
    let Some(mut s) = partitioned() else {
        return;
    };
    let month = Month::parse("2021-05").unwrap();
    let names = |s: &mut dyn Store| -> Vec<String> {
        partitions::partitions(s)
            .unwrap()
            .into_iter()
            .filter(|p| p.rows > 0)
            .map(|p| p.name)
            .collect()
    };
    assert!(names(s.store.as_mut()).is_empty());
    let text = r#"{"epcisBody": {"eventList": [
        {"type": "ObjectEvent", "eventID": "urn:uuid:6f2b1e5c-0000-4000-8000-000000000001",
         "eventTime": "2021-05-31T23:30:00+02:00", "eventTimeZoneOffset": "+02:00",
         "action": "ADD", "bizStep": "receiving", "bizLocation": {"id": "urn:epc:id:sgln:0614141.12345.0"},
         "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.L1", "quantity": 10}]},
        {"type": "ObjectEvent", "eventTime": "2021-06-01T00:30:00+00:00", "eventTimeZoneOffset": "+00:00",
         "action": "ADD", "bizStep": "receiving", "bizLocation": {"id": "urn:epc:id:sgln:0614141.12345.0"},
         "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.L1", "quantity": 5}]}
    ]}}"#;
    assert_eq!(capture_text(s.store.as_mut(), text).captured, 2);
    // The first: 21:30 UTC on 31 May, its movement 23:30 local on 31 May;
    // the second on 1 June both ways.
    let mut got = names(s.store.as_mut());
    got.sort();
    assert_eq!(
        got,
        [
            "epcis_events_2021_05",
            "epcis_events_2021_06",
            "stock_movements_2021_05",
            "stock_movements_2021_06"
        ]
    );
    assert_eq!(month.partition("epcis_events"), "epcis_events_2021_05");
    let may = found(
        s.store.as_mut(),
        &EventQuery {
            from: Some("2021-05-01T00:00:00.000Z".into()),
            to: Some("2021-06-01T00:00:00.000Z".into()),
            ..Default::default()
        },
    );
    assert_eq!(may.len(), 1);
    let e = equitas_store::epcis::event_by_id(
        s.store.as_mut(),
        "urn:uuid:6f2b1e5c-0000-4000-8000-000000000001",
    )
    .unwrap()
    .unwrap();
    assert_eq!(e.event_time, "2021-05-31T21:30:00.000Z");
    // Captured again: both held, nothing new anywhere.
    let r = capture_text(s.store.as_mut(), text);
    assert_eq!((r.captured, r.duplicates), (0, 2));
}

/// Detaching a month removes exactly the rows of that month (its events
/// by UTC time with their identifiers, quantities and parties; its stock
/// movements by local time) and nothing else; the archive holds each of
/// them once. A month not held, an archive that exists, and SQLite are
/// refused with clear errors.
#[test]
fn detach_removes_exactly_its_month() {
    let Some(mut t) = partitioned() else {
        return;
    };
    let s = t.store.as_mut();
    let net = network();
    let events = import_network(s, &net);
    capture_events(s, &events);
    capture_text(s, PACKS);
    let month = Month::parse("2026-01").unwrap();
    let before = dump(s);
    let count =
        |s: &mut dyn Store, sql: &str| -> i64 { s.query_scalar(sql, &[]).unwrap().get().unwrap() };
    let of_month =
        "SELECT id FROM epcis_events WHERE event_time >= '2026-01' AND event_time < '2026-02'";
    let mut expected = BTreeMap::new();
    expected.insert(
        "epcis_events".to_string(),
        count(s, &format!("SELECT COUNT(*) FROM ({of_month}) x")),
    );
    for t in [
        "epcis_event_epcs",
        "epcis_event_quantities",
        "epcis_event_parties",
        "epcis_event_keys",
    ] {
        expected.insert(
            t.to_string(),
            count(
                s,
                &format!("SELECT COUNT(*) FROM {t} WHERE event IN ({of_month})"),
            ),
        );
    }
    expected.insert(
        "stock_movements".to_string(),
        count(
            s,
            "SELECT COUNT(*) FROM stock_movements WHERE at >= 1767225600000 AND at < 1769904000000",
        ),
    );
    assert!(expected.values().all(|&n| n > 0), "{expected:?}");
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("2026-01.jsonl");
    let d = partitions::detach_month(s, month, Some(&archive)).unwrap();
    let removed: BTreeMap<String, i64> = d.rows.iter().cloned().collect();
    assert_eq!(removed, expected);
    // What is left is what was there but the month's rows; the archive
    // holds those, each once.
    let after = dump(s);
    let text = std::fs::read_to_string(&archive).unwrap();
    let mut archived: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        archived
            .entry(v["table"].as_str().unwrap().to_string())
            .or_default()
            .push(serde_json::to_string(&v["row"]).unwrap());
    }
    for (table, rows) in &before {
        let kept: Vec<serde_json::Value> = after[table]
            .iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect();
        let gone: Vec<serde_json::Value> = archived
            .get(*table)
            .map(|v| v.iter().map(|r| serde_json::from_str(r).unwrap()).collect())
            .unwrap_or_default();
        let mut both: Vec<String> = kept.iter().chain(&gone).map(|v| v.to_string()).collect();
        let mut was: Vec<String> = rows
            .iter()
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(r)
                    .unwrap()
                    .to_string()
            })
            .collect();
        both.sort();
        was.sort();
        assert_eq!(
            both, was,
            "{table}: kept and archived are not what was held"
        );
        assert_eq!(
            gone.len() as i64,
            *expected.get(*table).unwrap_or(&0),
            "{table}"
        );
    }
    assert_eq!(count(s, &format!("SELECT COUNT(*) FROM ({of_month}) x")), 0);
    // Again: refused, naming the months held; the archive is never overwritten.
    let e = partitions::detach_month(s, month, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no partition for the month 2026-01") && e.contains("2026-02"),
        "{e}"
    );
    let feb = Month::parse("2026-02").unwrap();
    let e = partitions::detach_month(s, feb, Some(&archive))
        .unwrap_err()
        .to_string();
    assert!(e.contains("never overwritten"), "{e}");
    assert_eq!(std::fs::read_to_string(&archive).unwrap(), text);
    assert!(rows_by_month(s).contains_key(&("epcis_events".into(), "2026-02".into())));
    // Without an archive, February goes too.
    let d = partitions::detach_month(s, feb, None).unwrap();
    assert!(d.archive.is_none() && d.rows.iter().all(|(_, n)| *n >= 0));
    assert!(!rows_by_month(s).contains_key(&("epcis_events".into(), "2026-02".into())));
    let mut sqlite = equitas_store::testing::sqlite();
    let e = partitions::detach_month(sqlite.store.as_mut(), feb, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("PostgreSQL feature"), "{e}");
}
