//! Benchmark: capture, ledger and lookup speed on a PostgreSQL database
//! filled month by month with years of a synthetic network, partitioned
//! by month (`partitions::partition_by_month`, converted while empty, with
//! the keys' table) against unpartitioned (the tables as the migrations
//! leave them), side by side in one run (docs/benchmarks.md,
//! docs/scale.md), and how each degrades as months accumulate.
//!
//! Run: `EQUITAS_TEST_POSTGRES_URL=postgresql:///postgres?host=...
//! cargo bench -p equitas-store --bench partitions [-- FACILITIES PRODUCTS
//! MONTHS]` (default 120 facilities, 25 products, 36 months). The network
//! (`equitas-synth`, seed 1, from 2023-01-01) is split into one EPCIS
//! document per month. For each month N in order and each database
//! (alternating which goes first), the month's partitions are made first
//! on the partitioned one (untimed: a capture makes the current and the
//! next two months' before it begins), then the month is captured, the
//! ledger refreshed with it (`refresh`, as a server does after each
//! capture; loaded once, empty, before the first month), and 100 events
//! found by eventID, drawn from every month captured so far. Printed: each
//! month's times side by side, the medians of the first and the last
//! third of the months with their ratios (how each degrades), then on the
//! full databases: loading the whole ledger, a time-range query of the
//! first and of the last month, and the conversion of the unpartitioned
//! database (`partition_by_month`, timed), with the load average.

use equitas_epcis::EventReader;
use equitas_store::epcis::{
    ErrorBehaviour, EventQuery, capture, event_by_id, event_count, query_events,
};
use equitas_store::import::{ImportKind, ImportOptions, NoProgress, import};
use equitas_store::partitions::{self, Month};
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

/// The measures taken each month, in the order printed.
const MEASURES: [&str; 3] = ["capture", "ledger refresh", "100 by eventID"];

struct Db {
    name: &'static str,
    store: PgStore,
    _guard: equitas_store::testing::DropDatabase,
    /// Measure -> seconds, one per month.
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
    let (facilities, products, months) = (arg(1, 120), arg(2, 25), arg(3, 36));
    if std::env::var("EQUITAS_TEST_POSTGRES_URL").is_err() {
        eprintln!("partitions benchmark: EQUITAS_TEST_POSTGRES_URL is not set; nothing measured");
        std::process::exit(2);
    }
    let net = equitas_synth::Network::new(equitas_synth::Config {
        seed: 1,
        facilities,
        products,
        months: months as u32,
        start: equitas_ledger::calendar::parse_day("2023-01-01").expect("date"),
        ..equitas_synth::Config::default()
    });
    // One document per month (UTC; the events are at +00:00), and every
    // 97th event's eventID by month.
    let mut by_month: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut n = 0u64;
    equitas_synth::simulate(&net, &mut |e| {
        let month = chrono::DateTime::from_timestamp_millis(e.at)
            .expect("time")
            .format("%Y-%m")
            .to_string();
        let json = e.to_json(&net, n);
        let m = by_month.entry(month).or_default();
        if n.is_multiple_of(97) {
            let v: serde_json::Value = serde_json::from_str(&json).expect("event");
            m.1.extend(v["eventID"].as_str().map(String::from));
        }
        m.0.push(json);
        n += 1;
    });
    let docs: Vec<(String, String, Vec<String>)> = by_month
        .into_iter()
        .map(|(m, (events, ids))| {
            let text = equitas_synth::document(&events, "2026-12-05T00:00:00Z");
            (m, text, ids)
        })
        .collect();
    println!(
        "network: {facilities} facilities, {products} products; {n} events in {} months; load average {}",
        docs.len(),
        load_average()
    );
    let mut dbs: Vec<Db> = ["partitioned", "unpartitioned"]
        .into_iter()
        .map(|name| {
            let (url, guard) = postgres_url().expect("PostgreSQL");
            let mut store = PgStore::connect(&url).expect("connect");
            migrations::migrate(&mut store).expect("migrate");
            if name == "partitioned" {
                partitions::partition_by_month(&mut store).expect("partition");
            }
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
    let mut ledgers: Vec<_> = dbs
        .iter_mut()
        .map(|db| load_marked(&mut db.store).expect("load"))
        .collect();
    let mut ids: Vec<String> = Vec::new();
    println!(
        "\n| month | N | events | capture P | capture U | ratio | refresh P | refresh U | ratio | 100 by eventID P | U | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (i, (month, text, month_ids)) in docs.iter().enumerate() {
        ids.extend(month_ids.iter().cloned());
        // 100 eventIDs spread over every month captured so far.
        let step = (ids.len() / 100).max(1);
        let sample: Vec<&String> = ids.iter().step_by(step).take(100).collect();
        let mut captured = 0;
        for k in 0..2 {
            let d = (i + k) % 2;
            let db = &mut dbs[d];
            let s = &mut db.store;
            let m = Month::parse(month).expect("month");
            // Nothing on the unpartitioned database.
            partitions::ensure_months(s, &[m].into()).expect("partitions");
            let (c, t_capture) = timed(|| capture_doc(s, text));
            captured = c;
            let (data, wm) = &mut ledgers[d];
            let (_, t_refresh) = timed(|| refresh(s, data, wm).expect("refresh"));
            let (_, t_ids) = timed(|| {
                for id in &sample {
                    assert!(event_by_id(s, id).expect("by id").is_some());
                }
            });
            for (name, t) in MEASURES.into_iter().zip([t_capture, t_refresh, t_ids]) {
                db.times.entry(name).or_default().push(t);
            }
        }
        let t = |d: usize, m: &str| dbs[d].times[m][i];
        let mut row = format!("| {month} | {} | {captured} |", i + 1);
        for m in MEASURES {
            row.push_str(&format!(
                " {:.3} | {:.3} | {:.2} |",
                t(0, m),
                t(1, m),
                t(0, m) / t(1, m)
            ));
        }
        println!("{row}");
        if i % 6 == 5 {
            eprintln!("to {month}: load average {}", load_average());
        }
    }
    let third = (docs.len() / 3).max(1);
    println!(
        "\nmedians (s) of the first and the last {third} months; load average {}",
        load_average()
    );
    println!(
        "| measure | P first | P last | P last/first | U first | U last | U last/first | P/U first | P/U last |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for m in MEASURES {
        let (pf, pl, uf, ul) = {
            let p = &dbs[0].times[m];
            let u = &dbs[1].times[m];
            (
                median(&p[..third]),
                median(&p[p.len() - third..]),
                median(&u[..third]),
                median(&u[u.len() - third..]),
            )
        };
        println!(
            "| {m} | {pf:.3} | {pl:.3} | {:.2} | {uf:.3} | {ul:.3} | {:.2} | {:.2} | {:.2} |",
            pl / pf,
            ul / uf,
            pf / uf,
            pl / ul
        );
    }
    let month_query = |m: &str| {
        let from = Month::parse(m).expect("month");
        EventQuery {
            from: Some(format!("{from}-01T00:00:00.000Z")),
            to: Some(format!("{}-01T00:00:00.000Z", from.plus(1))),
            limit: 10_000,
            ..Default::default()
        }
    };
    let (first, last) = (&docs[0].0, &docs[docs.len() - 1].0);
    println!("\nfull databases (s): | measure | partitioned | unpartitioned | ratio |");
    let mut full: Vec<(String, [f64; 2])> = Vec::new();
    for (d, db) in dbs.iter_mut().enumerate() {
        let s = &mut db.store;
        let size: i64 = s
            .query_scalar("SELECT pg_database_size(current_database())", &[])
            .and_then(|v| v.get())
            .expect("size");
        eprintln!(
            "{}: {} events, database {} MB",
            db.name,
            event_count(s).expect("count"),
            size >> 20
        );
        let (_, t_load) = timed(|| load_marked(s).expect("load"));
        let (a, t_first) = timed(|| query_events(s, &month_query(first)).expect("query"));
        let (b, t_last) = timed(|| query_events(s, &month_query(last)).expect("query"));
        assert!(!a.is_empty() && !b.is_empty());
        for (i, (name, t)) in [
            ("ledger load (all movements)", t_load),
            ("query the first month's events", t_first),
            ("query the last month's events", t_last),
        ]
        .into_iter()
        .enumerate()
        {
            if d == 0 {
                full.push((name.to_string(), [t, 0.0]));
            } else {
                full[i].1[1] = t;
            }
        }
    }
    for (name, [p, u]) in &full {
        println!("| {name} | {p:.3} | {u:.3} | {:.2} |", p / u);
    }
    let (done, t_convert) =
        timed(|| partitions::partition_by_month(&mut dbs[1].store).expect("convert"));
    println!(
        "\nconverting the unpartitioned database ({} events, {} movements, {} months): {t_convert:.1} s; load average {}",
        done.events,
        done.movements,
        done.months.len(),
        load_average()
    );
}
