//! The engine's monthly figures (DataFusion in process, over the exported
//! Parquet files) equal the single-node ledger's, every figure, on
//! synthetic multi-country networks, on hand-made edge cases, and from
//! databases (SQLite, and PostgreSQL when a test server is configured).

use equitas_engine::export::{self, UNKNOWN_COUNTRY};
use equitas_engine::figures::{self, Figure, differences, single_node};
use equitas_engine::indicators;
use equitas_engine::synthetic::Networks;
use equitas_ledger::calendar::{MS_PER_DAY, month_of, parse_day};
use equitas_ledger::{Kind, Ledger, Movement, Names, Source};
use equitas_model::LocationLevel;
use equitas_store::epcis::{ErrorBehaviour, capture};
use equitas_store::import::{ImportKind, NoProgress};
use equitas_store::testing::{TestStore, import_bytes};
use indicatif::ProgressBar;
use std::path::Path;

async fn engine(root: &Path, as_of: i32) -> Vec<Figure> {
    let ctx = figures::context(None).await.unwrap();
    figures::compute(&ctx, root, Some(as_of)).await.unwrap()
}

fn assert_same(want: &[Figure], got: &[Figure]) {
    let d = differences(want, got, 10);
    assert!(
        d.is_empty(),
        "{} rows; differences:\n{}",
        want.len(),
        d.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthetic_countries_equal_single_node() {
    let net = Networks::new(3, 12, 5, 8);
    let dir = tempfile::tempdir().unwrap();
    net.write(dir.path()).unwrap();
    let want = net.single_node();
    let got = engine(dir.path(), net.as_of()).await;
    assert_same(&want, &got);
    // The comparison covers what can go wrong.
    let countries: std::collections::BTreeSet<_> = got.iter().map(|f| f.country.clone()).collect();
    assert_eq!(countries.len(), 3, "{countries:?}");
    assert!(got.iter().any(|f| f.stockout_days > 0));
    assert!(got.iter().any(|f| f.adjusted != 0.0));
    assert!(got.iter().any(|f| f.issued > 0.0 && f.dispensed == 0.0));
    assert!(got.iter().any(|f| f.dispensed > 0.0));
    // One file per country and month, hive-style.
    let m = dir.path().join("movements/country=XSB");
    let months: Vec<_> = std::fs::read_dir(&m).unwrap().collect();
    assert!(months.len() >= 8, "{}", months.len());
    assert!(m.join("month=2025-01/part-0.parquet").is_file());
}

fn day_ms(d: &str, hour: i64) -> i64 {
    parse_day(d).unwrap() as i64 * MS_PER_DAY + hour * 3_600_000
}

/// Counts opening a lot and differing from it, implausible quantities,
/// movements at the same moment, a negative balance, months without
/// movements, a stockout running to the as-of date, reported stockout days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_cases_equal_single_node() {
    let mut names = Names::default();
    let mut mv = Vec::new();
    let mut push = |names: &mut Names, loc: &str, item: &str, lot: &str, at: i64, kind, q: f64| {
        let (item, recorded, _) = names.item(item);
        mv.push(Movement {
            at,
            location: names.location(loc),
            item,
            lot: names.lots.id(lot),
            kind,
            quantity: q,
            reason: names
                .reasons
                .id(if kind == Kind::Adjust { "expired" } else { "" }),
            source: Source::Event(mv.len() as u64 + 1).pack(),
            recorded,
        });
    };
    use Kind::*;
    // formulas 3.3's worked example.
    push(
        &mut names,
        "F1",
        "P1",
        "A",
        day_ms("2026-01-05", 9),
        Receipt,
        100.0,
    );
    push(
        &mut names,
        "F1",
        "P1",
        "A",
        day_ms("2026-01-20", 9),
        Dispense,
        100.0,
    );
    push(
        &mut names,
        "F1",
        "P1",
        "B",
        day_ms("2026-02-10", 9),
        Receipt,
        60.0,
    );
    push(
        &mut names,
        "F1",
        "P1",
        "B",
        day_ms("2026-02-15", 9),
        Dispense,
        20.0,
    );
    push(
        &mut names,
        "F1",
        "P1",
        "B",
        day_ms("2026-02-28", 9),
        Count,
        35.0,
    );
    // An opening count, ties, an implausible issue, a count mismatch, then
    // months without movements.
    push(
        &mut names,
        "F1",
        "P2",
        "",
        day_ms("2026-01-01", 8),
        Count,
        40.0,
    );
    push(
        &mut names,
        "F1",
        "P2",
        "",
        day_ms("2026-01-01", 8),
        Receipt,
        20.0,
    );
    push(
        &mut names,
        "F1",
        "P2",
        "",
        day_ms("2026-01-01", 8),
        Issue,
        15.0,
    );
    push(
        &mut names,
        "F1",
        "P2",
        "",
        day_ms("2026-01-02", 8),
        Issue,
        f64::NAN,
    );
    push(
        &mut names,
        "F1",
        "P2",
        "",
        day_ms("2026-01-03", 8),
        Issue,
        2e9,
    );
    push(
        &mut names,
        "F1",
        "P2",
        "",
        day_ms("2026-01-04", 8),
        Receipt,
        -5.0,
    );
    push(
        &mut names,
        "F1",
        "P2",
        "",
        day_ms("2026-01-31", 8),
        Count,
        44.0,
    );
    push(
        &mut names,
        "F1",
        "P2",
        "",
        day_ms("2026-01-31", 8),
        Adjust,
        -1.5,
    );
    // Issued before any receipt (negative), then stocked out to the end.
    push(
        &mut names,
        "F2",
        "P1",
        "X",
        day_ms("2026-02-03", 8),
        Issue,
        7.0,
    );
    push(
        &mut names,
        "F2",
        "P1",
        "X",
        day_ms("2026-02-09", 8),
        Receipt,
        7.0,
    );
    push(
        &mut names,
        "F2",
        "P1",
        "Y",
        day_ms("2026-03-09", 8),
        Receipt,
        3.0,
    );
    push(
        &mut names,
        "F2",
        "P1",
        "Y",
        day_ms("2026-03-10", 8),
        Dispense,
        3.0,
    );
    // A second country whose item starts late.
    push(
        &mut names,
        "G1",
        "P1",
        "",
        day_ms("2026-04-30", 23),
        Receipt,
        0.25,
    );
    push(
        &mut names,
        "G1",
        "P1",
        "",
        day_ms("2026-05-02", 1),
        Dispense,
        0.25,
    );
    // Counts of no lot where the item is held by lot count it whole
    // (formulas 3.1): after the lots (F3: 64 counted where lot A held 98;
    // then a count at the very instant a lot received), and before them
    // (F4: a report's opening count, then a lot received, then a count).
    for (loc, lot, at, kind, q) in [
        ("F3", "A", day_ms("2026-01-05", 9), Receipt, 98.0),
        ("F3", "", day_ms("2026-01-31", 17), Count, 64.0),
        ("F3", "", day_ms("2026-02-03", 9), Dispense, 10.0),
        ("F3", "A", day_ms("2026-02-10", 9), Receipt, 20.0),
        ("F3", "", day_ms("2026-02-10", 9), Count, 70.0),
        ("F4", "", day_ms("2026-01-01", 8), Count, 50.0),
        ("F4", "X", day_ms("2026-01-02", 9), Receipt, 10.0),
        ("F4", "", day_ms("2026-01-31", 17), Count, 55.0),
        // F5: several counts of no lot in one month beside two lots, the
        // first at the instant both lots receive (lot B's receipt given
        // after it), lot A going below zero, an implausible count of no
        // lot, a lot counted at the instant of a count of no lot.
        ("F5", "A", day_ms("2026-03-01", 9), Receipt, 50.0),
        ("F5", "", day_ms("2026-03-01", 9), Count, 40.0),
        ("F5", "B", day_ms("2026-03-01", 9), Receipt, 30.0),
        ("F5", "A", day_ms("2026-03-03", 9), Dispense, 60.0),
        ("F5", "", day_ms("2026-03-05", 9), Count, 25.0),
        ("F5", "", day_ms("2026-03-06", 9), Count, 2e9),
        ("F5", "", day_ms("2026-03-07", 9), Dispense, 3.0),
        ("F5", "", day_ms("2026-03-20", 9), Count, 30.0),
        ("F5", "B", day_ms("2026-03-20", 9), Count, 30.0),
        ("F5", "", day_ms("2026-03-31", 9), Count, 0.0),
        ("F5", "A", day_ms("2026-04-02", 9), Receipt, 12.0),
    ] {
        push(&mut names, loc, "P1", lot, at, kind, q);
    }
    let mut ledger = Ledger::build(names, mv);
    let (f1, p1) = (
        ledger.names.locations.get("F1").unwrap(),
        ledger.names.items.get("P1").unwrap(),
    );
    ledger.set_reported_stockout_days(f1, p1, month_of(parse_day("2026-03-01").unwrap()), 4);
    let countries: Vec<String> = (0..ledger.names.locations.len() as u32)
        .map(|l| match ledger.names.locations.name(l) {
            "G1" => "XSG".to_string(),
            "F1" | "F2" | "F3" | "F4" | "F5" => "XSF".to_string(),
            _ => UNKNOWN_COUNTRY.to_string(),
        })
        .collect();
    let as_of = parse_day("2026-06-15").unwrap();
    let dir = tempfile::tempdir().unwrap();
    export::write_ledger(
        &ledger,
        &countries,
        as_of,
        dir.path(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    let want = single_node(&ledger, &countries, as_of);
    let got = engine(dir.path(), as_of).await;
    assert_same(&want, &got);
    let jan = |loc: &str, item: &str, m: &str| {
        got.iter()
            .find(|f| {
                f.location == loc
                    && f.item == item
                    && equitas_ledger::calendar::format_month(f.month) == m
            })
            .unwrap()
            .clone()
    };
    // The worked example's figures, through the engine.
    let f = jan("F1", "P1", "2026-01");
    assert_eq!((f.closing, f.stockout_days), (0.0, 12));
    let f = jan("F1", "P1", "2026-02");
    assert_eq!((f.adjusted, f.closing, f.stockout_days), (-5.0, 35.0, 9));
    let f = jan("F1", "P1", "2026-03");
    assert_eq!(
        (f.stockout_days, f.stockout_reported, f.movements),
        (4, true, 0)
    );
    let f = jan("F1", "P2", "2026-01");
    assert_eq!(
        (f.opening, f.received, f.issued, f.movements),
        (40.0, 20.0, 15.0, 8)
    );
    let f = jan("F2", "P1", "2026-06");
    assert_eq!(f.stockout_days, 15);
    let f = jan("F3", "P1", "2026-01");
    assert_eq!(
        (f.opening, f.received, f.adjusted, f.closing),
        (0.0, 98.0, -34.0, 64.0)
    );
    let f = jan("F3", "P1", "2026-02");
    assert_eq!(
        (f.received, f.dispensed, f.adjusted, f.closing),
        (20.0, 10.0, -4.0, 70.0)
    );
    // Counted 40, 25, 30 and 0 beside lots holding 80, 20, 20 and 20.
    let f = jan("F5", "P1", "2026-03");
    assert_eq!(
        (f.opening, f.received, f.dispensed, f.adjusted, f.closing),
        (0.0, 80.0, 63.0, -17.0, 0.0)
    );
    let f = jan("F5", "P1", "2026-04");
    assert_eq!((f.opening, f.closing), (0.0, 12.0));
    let f = jan("F4", "P1", "2026-01");
    assert_eq!(
        (f.opening, f.received, f.adjusted, f.closing),
        (50.0, 10.0, -5.0, 55.0)
    );
}

fn import_network(s: &mut TestStore, net: &equitas_synth::Network) -> usize {
    import_bytes(
        s,
        ImportKind::Countries,
        "countries.csv",
        net.countries_csv().as_bytes(),
    );
    let r = import_bytes(
        s,
        ImportKind::Locations,
        "locations.csv",
        net.locations_csv().as_bytes(),
    );
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let mut events = Vec::new();
    equitas_synth::simulate(net, &mut |e| {
        events.push(e.to_json(net, events.len() as u64))
    });
    let text = equitas_synth::document(&events, "2026-01-01T00:00:00Z");
    let doc = equitas_epcis::EventReader::new(&text).unwrap();
    capture(
        s.store.as_mut(),
        "net.json",
        &doc,
        vec![],
        ErrorBehaviour::Rollback,
        &NoProgress,
    )
    .unwrap();
    events.len()
}

/// Two countries, each in its own database, exported into one directory:
/// the engine's figures over both equal each database's single-node
/// figures.
///
/// A plain (not `tokio::test`) test: the stores' PostgreSQL client blocks
/// on a runtime of its own, which cannot run inside another; only the
/// engine's part runs on a Tokio runtime.
fn databases_equal_single_node(mut stores: Vec<TestStore>) {
    let dir = tempfile::tempdir().unwrap();
    let mut ledgers = Vec::new();
    let mut events = 0;
    for (i, s) in stores.iter_mut().enumerate() {
        let code = ["XSA", "XSB"][i];
        let net = equitas_synth::Network::new(equitas_synth::Config {
            seed: 7 + i as u64,
            country: code.into(),
            regions: 2,
            districts_per_region: 2,
            facilities: 6,
            products: 3,
            months: 5 + i as u32,
            ..equitas_synth::Config::default()
        });
        events += import_network(s, &net);
        let summary =
            export::export_database(&s.target, dir.path(), &ProgressBar::hidden()).unwrap();
        assert_eq!(summary.countries.iter().collect::<Vec<_>>(), vec![code]);
        let data = equitas_store::stock::load(s.store.as_mut()).unwrap();
        let countries = export::location_countries(&data.places, &data.ledger);
        assert!(countries.iter().all(|c| c == code), "{countries:?}");
        ledgers.push((data.ledger, countries, data.places, code));
    }
    let as_of = ledgers.iter().filter_map(|l| l.0.through()).max().unwrap();
    let mut want = Vec::new();
    for (l, c, _, _) in &ledgers {
        want.extend(single_node(l, c, as_of));
    }
    // Availability by country (the stores must not count) and by
    // district, from the locations the export wrote with each database's
    // hierarchy.
    let first = ledgers
        .iter()
        .flat_map(|(l, ..)| {
            l.item_keys()
                .map(|(loc, i)| l.series(loc, i).unwrap().first_month)
        })
        .min()
        .unwrap();
    let levels = [LocationLevel::Country, LocationLevel::District];
    let mut want_av = Vec::new();
    for level in levels {
        let mut rows = Vec::new();
        for (l, _, places, code) in &ledgers {
            rows.extend(indicators::single_node_availability(
                l, places, code, level, first, as_of,
            ));
        }
        want_av.push(rows);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (got, exported, got_av) = runtime.block_on(async {
        let got = engine(dir.path(), as_of).await;
        let ctx = figures::context(None).await.unwrap();
        let mut got_av = Vec::new();
        for level in levels {
            got_av.push(
                indicators::availability(&ctx, dir.path(), Some(as_of), level)
                    .await
                    .unwrap(),
            );
        }
        // Every event is exported once, under its country.
        let ctx = datafusion::prelude::SessionContext::new();
        ctx.register_parquet(
            "events",
            &format!("{}/events/", dir.path().display()),
            datafusion::prelude::ParquetReadOptions::default(),
        )
        .await
        .unwrap();
        let n = ctx
            .sql("SELECT COUNT(*) FROM events")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let n = datafusion::arrow::array::AsArray::as_primitive::<
            datafusion::arrow::datatypes::Int64Type,
        >(n[0].column(0))
        .value(0);
        (got, n as usize, got_av)
    });
    assert_same(&want, &got);
    for (want, got) in want_av.iter().zip(&got_av) {
        let d = indicators::availability_differences(want, got, 10);
        assert!(
            d.is_empty(),
            "{} rows; differences:\n{}",
            want.len(),
            d.join("\n")
        );
        assert!(got.len() > 4, "{got:?}");
    }
    assert_eq!(exported, events);
}

#[test]
fn sqlite_databases_equal_single_node() {
    databases_equal_single_node(vec![
        equitas_store::testing::sqlite(),
        equitas_store::testing::sqlite(),
    ]);
}

#[test]
fn postgres_databases_equal_single_node() {
    // None (with a "skipping" message) without a test server, unless
    // EQUITAS_REQUIRE_POSTGRES=1, which makes it fail.
    let (Some(a), Some(b)) = (
        equitas_store::testing::postgres(),
        equitas_store::testing::postgres(),
    ) else {
        return;
    };
    databases_equal_single_node(vec![a, b]);
}

#[test]
fn export_names_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let e = export::export_database(
        &missing.display().to_string(),
        dir.path(),
        &ProgressBar::hidden(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("nope.db") && e.contains("no such Equitas database"),
        "{e}"
    );
}

/// An export made before movements had the column `others` is refused,
/// naming the file and the column, not read with nulls.
#[tokio::test]
async fn figures_name_a_column_an_older_export_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let part = dir
        .path()
        .join("movements/country=XSF/month=2026-01/part-0.parquet");
    std::fs::create_dir_all(part.parent().unwrap()).unwrap();
    let full = export::movements_schema();
    let older = std::sync::Arc::new(datafusion::arrow::datatypes::Schema::new(
        full.fields()
            .iter()
            .filter(|f| f.name() != "others")
            .cloned()
            .collect::<Vec<_>>(),
    ));
    let columns = older
        .fields()
        .iter()
        .map(|f| datafusion::arrow::array::new_empty_array(f.data_type()))
        .collect();
    export::write_parquet(&part, older, columns).unwrap();
    std::fs::create_dir_all(dir.path().join("reported")).unwrap();
    let ctx = figures::context(None).await.unwrap();
    let e = figures::register(&ctx, dir.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("part-0.parquet") && e.contains("no column `others`") && e.contains("export"),
        "{e}"
    );
}

#[tokio::test]
async fn figures_name_a_missing_export() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = figures::context(None).await.unwrap();
    let e = figures::compute(&ctx, dir.path(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("movements") && e.contains("equitas-engine export"),
        "{e}"
    );
}
