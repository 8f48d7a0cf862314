//! Benchmark: capture and ledger speed on a PostgreSQL database holding
//! years of a synthetic network, partitioned by month (schema version 12)
//! against unpartitioned (version 9, the tables as they were), side by
//! side in one run (docs/benchmarks.md, docs/scale.md); a third database,
//! partitioned, has each history month's partitions made before its
//! capture, to tell the cost of the DEFAULT-partition fallback from that
//! of partitioning itself.
//!
//! Run: `EQUITAS_TEST_POSTGRES_URL=postgresql:///postgres?host=...
//! cargo bench -p equitas-store --bench partitions [-- FACILITIES PRODUCTS
//! MONTHS NEW_MONTHS]` (default 120 facilities, 25 products, 36 months of
//! history, then 4 new months). The network (`equitas-synth`, seed 1, from
//! 2023-01-01) is split into one EPCIS document per month. Both databases
//! get the history month by month (the order of the two alternating); then,
//! for each new month and each database (alternating which goes first),
//! the ledger is loaded (`load_marked`, as a server starts), the month
//! captured, the ledger refreshed with it (`refresh`, as a server does
//! after each capture), and events queried: the new month's (a time
//! range), the first month's, and 200 events of the history by eventID.
//! Medians per database and their ratio are printed, with the load average.
//! The history's months are older than the months a capture makes ahead:
//! their rows go to the DEFAULT partitions and are moved out once each
//! capture commits (the fallback path); the new months' partitions are
//! made before them, untimed (the path of a capture of the current month).

use equitas_epcis::EventReader;
use equitas_store::epcis::{
    ErrorBehaviour, EventQuery, capture, event_by_id, event_count, query_events,
};
use equitas_store::import::{ImportKind, ImportOptions, NoProgress, import};
use equitas_store::stock::{load_marked, refresh};
use equitas_store::testing::{postgres_url, shipped_mappings};
use equitas_store::{Conn, PgStore, Store, migrations};
use std::collections::BTreeMap;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .filter(|a| !a.starts_with('-'))
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64())
}

struct Db {
    name: &'static str,
    store: PgStore,
    _guard: equitas_store::testing::DropDatabase,
    /// Measure name -> seconds, one per round.
    times: BTreeMap<&'static str, Vec<f64>>,
}

fn capture_doc(s: &mut dyn Store, text: &str) -> usize {
    let doc = EventReader::new(text).expect("generated document");
    let r = capture(
        s,
        "month.json",
        &doc,
        vec![],
        ErrorBehaviour::Rollback,
        &NoProgress,
    )
    .expect("capture");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    r.captured
}

fn main() {
    let (facilities, products, months, new) = (arg(1, 120), arg(2, 25), arg(3, 36), arg(4, 4));
    if std::env::var("EQUITAS_TEST_POSTGRES_URL").is_err() {
        eprintln!("partitions benchmark: EQUITAS_TEST_POSTGRES_URL is not set; nothing measured");
        std::process::exit(2);
    }
    let net = equitas_synth::Network::new(equitas_synth::Config {
        seed: 1,
        facilities,
        products,
        months: (months + new) as u32,
        start: equitas_ledger::calendar::parse_day("2023-01-01").expect("date"),
        ..equitas_synth::Config::default()
    });
    // One document per month (UTC; the events are at +00:00).
    let mut by_month: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut n = 0u64;
    equitas_synth::simulate(&net, &mut |e| {
        let month = chrono::DateTime::from_timestamp_millis(e.at)
            .expect("time")
            .format("%Y-%m")
            .to_string();
        by_month.entry(month).or_default().push(e.to_json(&net, n));
        n += 1;
    });
    let docs: Vec<(String, String)> = by_month
        .into_iter()
        .map(|(m, events)| {
            let text = equitas_synth::document(&events, "2026-12-05T00:00:00Z");
            (m, text)
        })
        .collect();
    let (history, fresh) = docs.split_at(docs.len().saturating_sub(new));
    println!(
        "network: {facilities} facilities, {products} products; {} events in {} months of history, then {} new months; load average {}",
        n,
        history.len(),
        fresh.len(),
        load_average()
    );
    let mut dbs: Vec<Db> = [
        ("partitioned (v12)", migrations::latest()),
        ("unpartitioned (v9)", 9),
        (
            "partitioned, history months made ahead",
            migrations::latest(),
        ),
    ]
    .into_iter()
    .map(|(name, version)| {
        let (url, guard) = postgres_url().expect("PostgreSQL");
        let mut store = PgStore::connect(&url).expect("connect");
        migrations::migrate_to(&mut store, version).expect("migrate");
        for (kind, file, text) in [
            (ImportKind::Countries, "countries.csv", net.countries_csv()),
            (ImportKind::Locations, "locations.csv", net.locations_csv()),
        ] {
            import(
                &mut store,
                kind,
                file,
                text.as_bytes(),
                &shipped_mappings(),
                ImportOptions::default(),
                &NoProgress,
            )
            .expect("import");
        }
        Db {
            name,
            store,
            _guard: guard,
            times: BTreeMap::new(),
        }
    })
    .collect();
    // The history, month by month.
    let mut loaded = [0.0f64; 3];
    for (i, (month, text)) in history.iter().enumerate() {
        for k in 0..3 {
            let d = (i + k) % 3;
            if d == 2 {
                // Untimed: the month's partitions made before its capture.
                let m = equitas_store::partitions::Month::parse(month).expect("month");
                equitas_store::partitions::ensure_months(&mut dbs[d].store, &[m].into())
                    .expect("partitions");
            }
            let (_, t) = timed(|| capture_doc(&mut dbs[d].store, text));
            loaded[d] += t;
            dbs[d]
                .times
                .entry("history month capture")
                .or_default()
                .push(t);
        }
        if i % 6 == 5 {
            eprintln!("history to {month}: load average {}", load_average());
        }
    }
    for (d, db) in dbs.iter_mut().enumerate() {
        let size: i64 = db
            .store
            .query_scalar("SELECT pg_database_size(current_database())", &[])
            .and_then(|v| v.get())
            .expect("size");
        println!(
            "{}: history of {} events captured in {:.1} s; database {} MB",
            db.name,
            event_count(&mut db.store).expect("count"),
            loaded[d],
            size >> 20
        );
    }
    // eventIDs of 200 events spread over the history.
    let ids: Vec<String> = {
        let s = &mut dbs[0].store;
        s.query(
            "SELECT event_id FROM epcis_events WHERE event_id IS NOT NULL AND id % 997 = 0 LIMIT 200",
            &[],
        )
        .expect("ids")
        .into_iter()
        .map(|mut r| r[0].take_text().expect("id"))
        .collect()
    };
    let first = history.first().map(|(m, _)| m.clone()).unwrap_or_default();
    let month_query = |m: &str| {
        let next = {
            let (y, mo): (i32, u32) = (m[..4].parse().unwrap(), m[5..7].parse().unwrap());
            if mo == 12 {
                format!("{:04}-01", y + 1)
            } else {
                format!("{y:04}-{:02}", mo + 1)
            }
        };
        EventQuery {
            from: Some(format!("{m}-01T00:00:00.000Z")),
            to: Some(format!("{next}-01T00:00:00.000Z")),
            limit: 10_000,
            ..Default::default()
        }
    };
    for (i, (month, text)) in fresh.iter().enumerate() {
        for k in 0..3 {
            let db = &mut dbs[(i + k) % 3];
            let s = &mut db.store;
            // A new month's partitions are made ahead of it, as a capture
            // makes the coming months' (nothing on the unpartitioned one).
            let m = equitas_store::partitions::Month::parse(month).expect("month");
            equitas_store::partitions::ensure_months(s, &[m].into()).expect("partitions");
            let ((mut data, mut wm), t_load) = timed(|| load_marked(s).expect("load"));
            let (captured, t_capture) = timed(|| capture_doc(s, text));
            let (_, t_refresh) = timed(|| refresh(s, &mut data, &mut wm).expect("refresh"));
            let (got, t_new) = timed(|| query_events(s, &month_query(month)).expect("query"));
            // A query answers at most 10,000 events.
            assert_eq!(got.len(), captured.min(10_000));
            let (old, t_old) = timed(|| query_events(s, &month_query(&first)).expect("query"));
            assert!(!old.is_empty());
            let (_, t_ids) = timed(|| {
                for id in &ids {
                    assert!(event_by_id(s, id).expect("by id").is_some());
                }
            });
            for (name, t) in [
                ("ledger load (all movements)", t_load),
                ("capture a new month", t_capture),
                ("ledger refresh after it", t_refresh),
                ("query the new month's events", t_new),
                ("query the first month's events", t_old),
                ("200 events by eventID", t_ids),
            ] {
                db.times.entry(name).or_default().push(t);
            }
            eprintln!(
                "{month} {}: {captured} events captured in {t_capture:.2} s; load average {}",
                db.name,
                load_average()
            );
        }
    }
    println!(
        "\nmedians (s), {} rounds; load average at the end {}",
        fresh.len(),
        load_average()
    );
    println!(
        "| measure | {} | {} | ratio | {} | ratio |\n|---|---|---|---|---|---|",
        dbs[0].name, dbs[1].name, dbs[2].name
    );
    for name in dbs[0].times.keys() {
        let (a, b) = (median(&dbs[0].times[name]), median(&dbs[1].times[name]));
        let c = dbs[2].times.get(name).map_or(f64::NAN, |t| median(t));
        println!(
            "| {name} | {a:.3} | {b:.3} | {:.2} | {c:.3} | {:.2} |",
            a / b,
            c / b
        );
    }
}
