//! Benchmark: capture, ledger and lookup speed on a PostgreSQL database
//! filled month by month with years of a synthetic network, partitioned
//! by month (`partitions::partition_by_month`, converted while empty, with
//! the keys' table) against unpartitioned (the tables as the migrations
//! leave them), side by side in one run (docs/benchmarks.md,
//! docs/scale.md), and how each degrades as months accumulate.
//!
//! Run: `EQUITAS_TEST_POSTGRES_URL=postgresql:///postgres?host=...
//! cargo bench -p equitas-store --bench partitions [-- FACILITIES PRODUCTS
//! MONTHS [--measured=K]]` (default 120 facilities, 25 products, 36
//! months). The network (`equitas-synth`, seed 1, from 2023-01-01) is
//! simulated in a thread beside the captures and split into one EPCIS
//! document per month, handed over as each month ends (a month or two of
//! documents is held at once, whatever the size). For each month N in
//! order and each database (alternating which goes first), the month's
//! partitions are made first on the partitioned one (untimed: a capture
//! makes the current and the next two months' before it begins), then the
//! month is captured (timed, every month); in a measured month the ledger
//! is then refreshed with it (`refresh`, as a server does after each
//! capture; loaded once, empty, before the first month) and 100 events
//! found by eventID, drawn from every month captured so far. Every month
//! is measured, or with `--measured=K` only the first K and the last K:
//! the months between are captured only (one capture per month and
//! database, through the same path), and the ledger is loaded again
//! (timed, as a server starts) before the last K. Printed, as it goes:
//! each month's times side by side; then the medians of the first and
//! the last K months (a third of them without `--measured`) with their
//! ratios (how each degrades), then on the full databases: loading the
//! whole ledger, a time-range query of the first and of the last month,
//! their sizes, and the conversion of the unpartitioned database
//! (`partition_by_month`, timed), with the load average.

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
use std::sync::mpsc::{SyncSender, sync_channel};
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

/// The value of `--NAME=N`, if given; a value that is not a number stops
/// the run, naming the option.
fn option(name: &str) -> Option<usize> {
    let prefix = format!("--{name}=");
    let value = std::env::args().find_map(|a| a.strip_prefix(&prefix).map(String::from))?;
    match value.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            eprintln!("partitions benchmark: --{name}={value}: not a number of months");
            std::process::exit(2);
        }
    }
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

/// The measures taken each month, in the order printed: the capture in
/// every month, the others in the measured months only.
const MEASURES: [&str; 3] = ["capture", "ledger refresh", "100 by eventID"];

struct Db {
    name: &'static str,
    store: PgStore,
    _guard: equitas_store::testing::DropDatabase,
    /// Measure -> seconds, one per month it was taken in.
    times: BTreeMap<&'static str, Vec<f64>>,
}

/// One month of the network: its EPCIS document and every 97th of its
/// events' eventIDs.
struct MonthDoc {
    month: String,
    text: String,
    ids: Vec<String>,
}

/// Simulates `net` and sends one document per month (UTC; the events are
/// at +00:00), in order, as soon as the simulation has passed the month:
/// it emits its events month by month. Stops (a panic) if the receiver is
/// gone, the benchmark having stopped.
fn generate(net: &equitas_synth::Network, send: SyncSender<MonthDoc>) {
    let mut n = 0u64;
    let mut current = MonthDoc {
        month: String::new(),
        text: String::new(),
        ids: Vec::new(),
    };
    let mut events: Vec<String> = Vec::new();
    let flush = |current: &mut MonthDoc, events: &mut Vec<String>| {
        if events.is_empty() {
            return;
        }
        let doc = MonthDoc {
            month: current.month.clone(),
            text: equitas_synth::document(events, "2026-12-05T00:00:00Z"),
            ids: std::mem::take(&mut current.ids),
        };
        events.clear();
        send.send(doc).expect("the benchmark stopped");
    };
    equitas_synth::simulate(net, &mut |e| {
        let month = chrono::DateTime::from_timestamp_millis(e.at)
            .expect("time")
            .format("%Y-%m")
            .to_string();
        if month != current.month {
            assert!(
                month > current.month,
                "the simulation went back from {} to {month}",
                current.month
            );
            flush(&mut current, &mut events);
            current.month = month;
        }
        let json = e.to_json(net, n);
        if n.is_multiple_of(97) {
            let v: serde_json::Value = serde_json::from_str(&json).expect("event");
            current.ids.extend(v["eventID"].as_str().map(String::from));
        }
        events.push(json);
        n += 1;
    });
    flush(&mut current, &mut events);
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
    // Months measured at each end; all of them without the option.
    let ends = option("measured").map_or(months, |k| k.clamp(1, months));
    let measured = |i: usize| i < ends || i + ends >= months;
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
    println!(
        "network: {facilities} facilities, {products} products, {months} months; {}; load average {}",
        if ends * 2 >= months {
            "every month measured".to_string()
        } else {
            format!(
                "the first and the last {ends} months measured, months {} to {} captured only",
                ends + 1,
                months - ends
            )
        },
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
    let mut first = String::new();
    let mut last = String::new();
    let mut events = 0;
    let t_start = Instant::now();
    println!(
        "\n| month | N | events | capture P | capture U | ratio | refresh P | refresh U | ratio | 100 by eventID P | U | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let (send, receive) = sync_channel::<MonthDoc>(1);
    std::thread::scope(|scope| {
        let net = &net;
        scope.spawn(move || generate(net, send));
        for (i, doc) in receive.into_iter().enumerate() {
            let month = &doc.month;
            if i == 0 {
                first.clone_from(month);
            }
            last.clone_from(month);
            ids.extend(doc.ids);
            let measure = measured(i);
            if measure && i > 0 && !measured(i - 1) {
                // After months captured only: the ledger loaded again, as
                // a server starting on the database.
                let mut row = format!("ledger loaded with {i} months held (s):");
                for (d, db) in dbs.iter_mut().enumerate() {
                    let (l, t) = timed(|| load_marked(&mut db.store).expect("load"));
                    ledgers[d] = l;
                    row.push_str(&format!(" {} {t:.3};", db.name));
                }
                println!("{row} load average {}", load_average());
            }
            // 100 eventIDs spread over every month captured so far.
            let step = (ids.len() / 100).max(1);
            let sample: Vec<&String> = ids.iter().step_by(step).take(100).collect();
            let mut captured = 0;
            // Seconds, [database][measure]; None where not measured.
            let mut t = [[None; 3]; 2];
            for k in 0..2 {
                let d = (i + k) % 2;
                let s = &mut dbs[d].store;
                let m = Month::parse(month).expect("month");
                // Nothing on the unpartitioned database.
                partitions::ensure_months(s, &[m].into()).expect("partitions");
                let (c, t_capture) = timed(|| capture_doc(s, &doc.text));
                captured = c;
                t[d][0] = Some(t_capture);
                if measure {
                    let (data, wm) = &mut ledgers[d];
                    t[d][1] = Some(timed(|| refresh(s, data, wm).expect("refresh")).1);
                    t[d][2] = Some(
                        timed(|| {
                            for id in &sample {
                                assert!(event_by_id(s, id).expect("by id").is_some());
                            }
                        })
                        .1,
                    );
                }
            }
            events += captured;
            let mut row = format!("| {month} | {} | {captured} |", i + 1);
            for (j, name) in MEASURES.into_iter().enumerate() {
                match (t[0][j], t[1][j]) {
                    (Some(p), Some(u)) => {
                        row.push_str(&format!(" {p:.3} | {u:.3} | {:.2} |", p / u));
                        dbs[0].times.entry(name).or_default().push(p);
                        dbs[1].times.entry(name).or_default().push(u);
                    }
                    _ => row.push_str(" - | - | - |"),
                }
            }
            println!("{row}");
            if i % 6 == 5 {
                eprintln!(
                    "to {month}: {events} events, {:.0} s, load average {}",
                    t_start.elapsed().as_secs_f64(),
                    load_average()
                );
            }
        }
    });
    let captures: Vec<f64> = dbs
        .iter()
        .map(|db| db.times["capture"].iter().sum())
        .collect();
    println!(
        "\n{events} events in {} months, {:.0} s; sum of the captures: partitioned {:.1} s, unpartitioned {:.1} s",
        dbs[0].times["capture"].len(),
        t_start.elapsed().as_secs_f64(),
        captures[0],
        captures[1]
    );
    println!(
        "\nmedians (s) over the months measured; load average {}",
        load_average()
    );
    println!(
        "| measure | months | partitioned | unpartitioned | ratio | median of the monthly ratios |"
    );
    println!("|---|---|---|---|---|---|");
    for m in MEASURES {
        let (p, u) = (&dbs[0].times[m], &dbs[1].times[m]);
        let ratios: Vec<f64> = p.iter().zip(u).map(|(p, u)| p / u).collect();
        println!(
            "| {m} | {} | {:.3} | {:.3} | {:.2} | {:.2} |",
            p.len(),
            median(p),
            median(u),
            median(p) / median(u),
            median(&ratios)
        );
    }
    let window = if ends * 2 >= months {
        (months / 3).max(1)
    } else {
        ends
    };
    println!(
        "\nmedians (s) of the first and the last {window} months; load average {}",
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
            let w = window.min(p.len());
            (
                median(&p[..w]),
                median(&p[p.len() - w..]),
                median(&u[..w]),
                median(&u[u.len() - w..]),
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
    println!("\nfull databases (s): | measure | partitioned | unpartitioned | ratio |");
    let mut full: Vec<(String, [f64; 2])> = Vec::new();
    let mut sizes = [0i64; 2];
    for (d, db) in dbs.iter_mut().enumerate() {
        let s = &mut db.store;
        let size: i64 = s
            .query_scalar("SELECT pg_database_size(current_database())", &[])
            .and_then(|v| v.get())
            .expect("size");
        sizes[d] = size >> 20;
        eprintln!(
            "{}: {} events, database {} MB",
            db.name,
            event_count(s).expect("count"),
            sizes[d]
        );
        let (_, t_load) = timed(|| load_marked(s).expect("load"));
        let (a, t_first) = timed(|| query_events(s, &month_query(&first)).expect("query"));
        let (b, t_last) = timed(|| query_events(s, &month_query(&last)).expect("query"));
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
    let [p, u] = sizes;
    println!(
        "| database size (MB) | {p} | {u} | {:.2} |",
        p as f64 / u as f64
    );
    println!("load average {}", load_average());
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
