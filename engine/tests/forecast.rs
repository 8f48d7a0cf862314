//! The engine's forecasts (DataFusion in process, the forecast function
//! over the exported figures) equal the single node's (`demand_series` and
//! the automatic choice on each country's ledger), every series, to the
//! bit: on a synthetic multi-country network, from an earlier as-of month,
//! and on a hand-made series with a month out of stock all month and a
//! month with nothing recorded (both imputed).

use equitas_engine::export::write_ledger;
use equitas_engine::figures;
use equitas_engine::forecast::{self, Request, SeriesForecast, differences, single_node};
use equitas_engine::synthetic::Networks;
use equitas_ledger::calendar::{MS_PER_DAY, MonthIndex, last_complete_month, parse_day};
use equitas_ledger::{Kind, Ledger, Movement, Names, Source};
use equitas_model::LocationLevel;
use indicatif::ProgressBar;
use std::path::Path;

async fn engine(root: &Path, r: &Request) -> (Vec<SeriesForecast>, Option<MonthIndex>) {
    let ctx = figures::context(None).await.unwrap();
    forecast::compute(&ctx, root, r).await.unwrap()
}

fn assert_same(want: &[SeriesForecast], got: &[SeriesForecast]) {
    let d = differences(want, got, 5);
    assert!(
        d.is_empty(),
        "{} series; differences:\n{}",
        want.len(),
        d.join("\n")
    );
}

fn single(net: &Networks, last: MonthIndex, r: &Request) -> Vec<SeriesForecast> {
    let mut out = Vec::new();
    net.each_ledger(&mut |l, places, countries| {
        out.extend(single_node(l, places, &countries[0], last, r));
    });
    out.sort_by(|a, b| (&a.country, &a.location, &a.item).cmp(&(&b.country, &b.location, &b.item)));
    out
}

/// Areas add their facilities' months in another order than the single
/// node (which follows its hash map): equal up to the last bits, the same
/// methods chosen.
fn assert_close(want: &[SeriesForecast], got: &[SeriesForecast]) {
    assert_eq!(want.len(), got.len(), "series");
    let close = |a: &[f64], b: &[f64]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0))
    };
    for (a, b) in want.iter().zip(got) {
        let same = (
            &a.country,
            &a.location,
            &a.item,
            a.first,
            a.last,
            a.imputed,
            &a.method,
            &a.combined,
        ) == (
            &b.country,
            &b.location,
            &b.item,
            b.first,
            b.last,
            b.imputed,
            &b.method,
            &b.combined,
        ) && close(&a.mean, &b.mean)
            && close(&a.lower80, &b.lower80)
            && close(&a.upper80, &b.upper80)
            && close(&a.lower95, &b.lower95)
            && close(&a.upper95, &b.upper95);
        assert!(same, "expected {a:?}\n     got {b:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthetic_countries_forecasts_equal_single_node() {
    let net = Networks::new(2, 6, 3, 20);
    let dir = tempfile::tempdir().unwrap();
    net.write(dir.path()).unwrap();
    let r = Request::default();
    let (got, last) = engine(dir.path(), &r).await;
    let last = last.unwrap();
    assert_eq!(last, last_complete_month(net.as_of()));
    let want = single(&net, last, &r);
    assert_same(&want, &got);
    // Both countries, several methods, 6 months each, intervals around.
    assert!(want.len() >= 20, "{} series", want.len());
    let countries: std::collections::BTreeSet<_> = got.iter().map(|f| &f.country).collect();
    assert_eq!(countries.len(), 2);
    assert!(got.iter().all(|f| f.mean.len() == 6));
    assert!(
        got.iter()
            .all(|f| f.lower95[0] <= f.mean[0] && f.mean[0] <= f.upper95[0])
    );
    assert!(got.iter().any(|f| f.upper80[0] > f.lower80[0]));

    // From an earlier month, with a shorter history and horizon.
    let r = Request {
        level: None,
        last: Some(last - 4),
        history: 12,
        horizon: 3,
    };
    let (got, at) = engine(dir.path(), &r).await;
    assert_eq!(at, Some(last - 4));
    assert_same(&single(&net, last - 4, &r), &got);
    assert!(got.iter().all(|f| f.mean.len() == 3 && f.last == last - 4));

    // Areas: the sum of what their facilities dispensed.
    for level in [
        LocationLevel::Country,
        LocationLevel::Region,
        LocationLevel::District,
    ] {
        let r = Request {
            level: Some(level),
            ..Request::default()
        };
        let (got, _) = engine(dir.path(), &r).await;
        let want = single(&net, last, &r);
        assert_close(&want, &got);
        assert!(!got.is_empty(), "{level:?}");
        if level == LocationLevel::Country {
            // One series per country and item.
            assert_eq!(got.len(), 2 * 3, "{got:?}");
            assert!(got.iter().all(|f| f.location == f.country));
        }
    }
    let ctx = figures::context(None).await.unwrap();
    let facility = Request {
        level: Some(LocationLevel::Facility),
        ..Request::default()
    };
    let e = forecast::compute(&ctx, dir.path(), &facility)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("--level facility"), "{e}");

    // After the last complete month: refused, naming it.
    let after = Request {
        last: Some(last + 1),
        ..Request::default()
    };
    let e = forecast::compute(&ctx, dir.path(), &after)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--as-of") && e.contains("last month complete"),
        "{e}"
    );
}

fn day_ms(d: &str) -> i64 {
    parse_day(d).unwrap() as i64 * MS_PER_DAY + 9 * 3_600_000
}

/// One facility, one item, 14 months: monthly receipts and dispensing,
/// March 2025 out of stock all month, June 2025 without any movement
/// (both imputed with the mean of the other months), and a second item
/// that starts in the window's last months.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imputed_months_equal_single_node() {
    let mut names = Names::default();
    let mut mv = Vec::new();
    let mut push = |names: &mut Names, item: &str, d: &str, kind: Kind, q: f64| {
        let (item, recorded, _) = names.item(item);
        mv.push(Movement {
            at: day_ms(d),
            location: names.location("F1"),
            item,
            lot: names.lots.id(""),
            kind,
            quantity: q,
            reason: names.reasons.id(""),
            source: Source::Event(mv.len() as u64 + 1).pack(),
            recorded,
        });
    };
    use Kind::*;
    let mut stock = 0.0;
    for (k, month) in [
        "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07",
        "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01",
    ]
    .iter()
    .enumerate()
    {
        match *month {
            // Out of stock from the end of February to April.
            "2025-03" => {}
            // Nothing recorded.
            "2025-06" => {}
            // Everything dispensed on the last day: out of stock in March.
            "2025-02" => {
                push(&mut names, "P1", &format!("{month}-03"), Receipt, 50.0);
                push(
                    &mut names,
                    "P1",
                    &format!("{month}-28"),
                    Dispense,
                    stock + 50.0,
                );
                stock = 0.0;
            }
            _ => {
                let used = 40.0 + (k % 4) as f64 * 7.0;
                push(&mut names, "P1", &format!("{month}-03"), Receipt, 60.0);
                push(&mut names, "P1", &format!("{month}-20"), Dispense, used);
                stock += 60.0 - used;
            }
        }
        if k >= 10 {
            push(&mut names, "P2", &format!("{month}-05"), Receipt, 30.0);
            push(
                &mut names,
                "P2",
                &format!("{month}-15"),
                Dispense,
                10.0 + k as f64,
            );
        }
    }
    // The data run to 31 January: January is complete.
    push(&mut names, "P1", "2026-01-31", Dispense, 1.0);
    let ledger = Ledger::build(names, mv);
    let as_of = parse_day("2026-01-31").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let countries = vec!["XSA".to_string(); ledger.names.locations.len()];
    write_ledger(
        &ledger,
        &countries,
        as_of,
        dir.path(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    // No hierarchy: F1 of no level (not a store).
    let places = equitas_ledger::view::Places::new(Vec::new(), &ledger);
    equitas_engine::export::write_locations(&ledger, &places, &countries, dir.path()).unwrap();
    let r = Request::default();
    let (got, last) = engine(dir.path(), &r).await;
    let last = last.unwrap();
    // 31 January is the month's last day: January is complete.
    assert_eq!(last, last_complete_month(as_of));
    let want = single_node(&ledger, &places, "XSA", last, &r);
    assert_same(&want, &got);
    assert_eq!(got.len(), 2);
    let p1 = got.iter().find(|f| f.item == "P1").unwrap();
    // March (out of stock all month) and June (nothing recorded).
    assert_eq!(p1.imputed, 2, "{p1:?}");
    assert_eq!(p1.first, last - 13);
    let p2 = got.iter().find(|f| f.item == "P2").unwrap();
    assert_eq!(p2.first, last - 3);
    assert_eq!(p2.imputed, 0);
}

/// Formulas 4.1 and 3.5: a month is a reporting gap only when nothing at
/// all was recorded at the location. F1 dispenses P1 every month and P2
/// every other month: P2's silent months are demands of 0 on the single
/// node (F1 reported them, for P1), and must be on the engine too, not
/// imputed. F2 records nothing at all in June 2025: a gap for both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_silent_while_its_place_reports_equals_single_node() {
    let mut names = Names::default();
    let mut mv = Vec::new();
    let mut push = |names: &mut Names, loc: &str, item: &str, d: &str, kind: Kind, q: f64| {
        let (item, recorded, _) = names.item(item);
        mv.push(Movement {
            at: day_ms(d),
            location: names.location(loc),
            item,
            lot: names.lots.id(""),
            kind,
            quantity: q,
            reason: names.reasons.id(""),
            source: Source::Event(mv.len() as u64 + 1).pack(),
            recorded,
        });
    };
    use Kind::*;
    let months = [
        "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08",
        "2025-09", "2025-10", "2025-11", "2025-12",
    ];
    for loc in ["F1", "F2"] {
        push(&mut names, loc, "P1", "2025-01-02", Receipt, 1000.0);
        push(&mut names, loc, "P2", "2025-01-02", Receipt, 1000.0);
    }
    for (k, month) in months.iter().enumerate() {
        push(
            &mut names,
            "F1",
            "P1",
            &format!("{month}-10"),
            Dispense,
            20.0 + k as f64,
        );
        if k % 2 == 0 {
            push(
                &mut names,
                "F1",
                "P2",
                &format!("{month}-12"),
                Dispense,
                30.0,
            );
        }
        if *month != "2025-06" {
            push(
                &mut names,
                "F2",
                "P1",
                &format!("{month}-10"),
                Dispense,
                10.0,
            );
            push(
                &mut names,
                "F2",
                "P2",
                &format!("{month}-12"),
                Dispense,
                5.0,
            );
        }
    }
    push(&mut names, "F1", "P1", "2025-12-31", Dispense, 1.0);
    let ledger = Ledger::build(names, mv);
    let as_of = parse_day("2025-12-31").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let countries = vec!["XSA".to_string(); ledger.names.locations.len()];
    write_ledger(
        &ledger,
        &countries,
        as_of,
        dir.path(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    let places = equitas_ledger::view::Places::new(Vec::new(), &ledger);
    equitas_engine::export::write_locations(&ledger, &places, &countries, dir.path()).unwrap();
    let r = Request::default();
    let (got, last) = engine(dir.path(), &r).await;
    let want = single_node(&ledger, &places, "XSA", last.unwrap(), &r);
    let imputed = |s: &[SeriesForecast], loc: &str, item: &str| {
        s.iter()
            .find(|f| f.location == loc && f.item == item)
            .unwrap()
            .imputed
    };
    // The single node: P2 at F1 has no gap; F2's June is one.
    assert_eq!(imputed(&want, "F1", "P2"), 0);
    assert_eq!(imputed(&want, "F2", "P2"), 1);
    assert_same(&want, &got);
}
