//! The engine's stock indicators (DataFusion in process, over the exported
//! Parquet files): stock on hand, AMC and months of stock per location,
//! item and month end equal `equitas_ledger::view::stock` as of each month
//! end, and availability per area, item and month end equals
//! `view::availability`, on synthetic countries and on hand-made edge
//! cases.

use equitas_engine::export::{self, UNKNOWN_COUNTRY};
use equitas_engine::figures;
use equitas_engine::indicators::{
    self, Availability, Indicator, Scope, availability_differences, differences, single_node,
    single_node_areas, single_node_availability,
};
use equitas_engine::synthetic::Networks;
use equitas_ledger::calendar::{Day, MS_PER_DAY, MonthIndex, month_end, month_of, parse_day};
use equitas_ledger::view::{Place, Places};
use equitas_ledger::{Kind, Ledger, Movement, Names, Source};
use equitas_model::LocationLevel;
use indicatif::ProgressBar;
use std::path::Path;

async fn engine(root: &Path, as_of: Day, window: u32) -> Vec<Indicator> {
    let ctx = figures::context(None).await.unwrap();
    indicators::compute(&ctx, root, Some(as_of), window)
        .await
        .unwrap()
}

async fn engine_availability(root: &Path, as_of: Day, level: LocationLevel) -> Vec<Availability> {
    let ctx = figures::context(None).await.unwrap();
    indicators::availability(&ctx, root, Some(as_of), level)
        .await
        .unwrap()
}

fn assert_same(want: &[Indicator], got: &[Indicator]) {
    let d = differences(want, got, 10);
    assert!(
        d.is_empty(),
        "{} rows; differences:\n{}",
        want.len(),
        d.join("\n")
    );
}

fn assert_same_availability(want: &[Availability], got: &[Availability]) {
    let d = availability_differences(want, got, 10);
    assert!(
        d.is_empty(),
        "{} rows; differences:\n{}",
        want.len(),
        d.join("\n")
    );
}

fn first_month(net: &Networks) -> MonthIndex {
    net.countries
        .iter()
        .flat_map(|c| c.movements.iter())
        .map(|m| month_of(m.at.div_euclid(MS_PER_DAY) as Day))
        .min()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthetic_countries_equal_single_node() {
    let net = Networks::new(3, 12, 5, 8);
    let dir = tempfile::tempdir().unwrap();
    net.write(dir.path()).unwrap();
    let first = first_month(&net);
    let last = net.as_of();
    // As of a month's last day (complete: in its own window), and of a
    // day in the middle of the next month (left out of its own window).
    let end = month_end(month_of(last));
    let mid = end + 10;
    for (as_of, window) in [(end, 3), (mid, 3), (mid, 2)] {
        let mut want = Vec::new();
        net.each_ledger(&mut |l, places, countries| {
            want.extend(single_node(l, places, countries, first, as_of, window));
        });
        want.sort_by(|a, b| {
            (&a.country, &a.location, &a.item, a.month).cmp(&(
                &b.country,
                &b.location,
                &b.item,
                b.month,
            ))
        });
        let got = engine(dir.path(), as_of, window).await;
        assert_same(&want, &got);
        // The comparison covers what can go wrong.
        assert!(got.iter().any(|r| r.amc_months == window));
        assert!(
            got.iter()
                .any(|r| r.amc_months > 0 && r.amc_months < window)
        );
        assert!(
            got.iter()
                .any(|r| r.months_of_stock.is_some_and(|m| m > 0.0))
        );
        assert!(got.iter().any(|r| r.date == as_of));
    }
    let as_of = mid;
    for level in [LocationLevel::Country, LocationLevel::Region] {
        // Per area: sums over its locations, AMC on what they dispensed.
        let mut want = Vec::new();
        net.each_ledger(&mut |l, places, countries| {
            want.extend(single_node_areas(
                l,
                places,
                &countries[0],
                level,
                first,
                as_of,
                3,
            ));
        });
        let ctx = figures::context(None).await.unwrap();
        let got = indicators::compute_by(&ctx, dir.path(), Some(as_of), 3, Some(level))
            .await
            .unwrap();
        assert_same(&want, &got);
        assert!(
            got.iter()
                .any(|r| r.months_of_stock.is_some_and(|m| m > 0.0))
        );

        let mut want = Vec::new();
        net.each_ledger(&mut |l, places, countries| {
            want.extend(single_node_availability(
                l,
                places,
                &countries[0],
                level,
                first,
                as_of,
            ));
        });
        let got = engine_availability(dir.path(), as_of, level).await;
        assert_same_availability(&want, &got);
        assert!(got.iter().any(|a| a.in_stock < a.facilities));
        assert!(got.iter().any(|a| a.in_stock > 0));
        if level == LocationLevel::Country {
            let countries: std::collections::BTreeSet<_> =
                got.iter().map(|a| a.area.clone()).collect();
            assert_eq!(countries.len(), 3, "{countries:?}");
        }
        // A basket of two items across the countries.
        let items: std::collections::BTreeSet<String> =
            got.iter().map(|a| a.item.clone()).collect();
        let scope = Scope {
            level,
            items: items.into_iter().take(2).collect(),
            basket: true,
        };
        assert_eq!(scope.items.len(), 2);
        let mut want = Vec::new();
        net.each_ledger(&mut |l, places, countries| {
            want.extend(single_node_availability(
                l,
                places,
                &countries[0],
                scope.clone(),
                first,
                as_of,
            ));
        });
        let got = engine_scope(dir.path(), as_of, scope).await;
        assert_same_availability(&want, &got);
        assert!(got.iter().all(|a| a.item == indicators::BASKET));
        assert!(
            got.iter()
                .any(|a| a.availability.is_some_and(|v| v > 0.0 && v < 1.0))
        );
    }
}

fn day_ms(d: &str, hour: i64) -> i64 {
    parse_day(d).unwrap() as i64 * MS_PER_DAY + hour * 3_600_000
}

fn place(code: &str, level: LocationLevel, parent: Option<&str>) -> Place {
    Place {
        code: code.into(),
        name: code.into(),
        level: Some(level),
        parent: parent.map(str::to_string),
        gln: None,
    }
}

/// A month stocked out all month, an item whose first movement is in the
/// middle of the window, a store (not counted in availability), a
/// facility whose first movement comes late, a location the hierarchy
/// does not hold, fractional quantities.
fn edge_ledger() -> (Ledger, Places, Vec<String>) {
    let mut names = Names::default();
    let mut mv = Vec::new();
    let mut push = |names: &mut Names, loc: &str, item: &str, d: &str, kind, q: f64| {
        let (item, recorded, _) = names.item(item);
        mv.push(Movement {
            at: day_ms(d, 9),
            location: names.location(loc),
            item,
            lot: names.lots.id("L1"),
            kind,
            quantity: q,
            reason: names.reasons.id(""),
            source: Source::Event(mv.len() as u64 + 1).pack(),
            recorded,
        });
    };
    use Kind::*;
    // F1/P1: January 12 stockout days, February out all month (left out of
    // the AMC), March back in stock.
    push(&mut names, "F1", "P1", "2026-01-05", Receipt, 100.0);
    push(&mut names, "F1", "P1", "2026-01-20", Dispense, 100.0);
    push(&mut names, "F1", "P1", "2026-03-01", Receipt, 90.0);
    push(&mut names, "F1", "P1", "2026-03-11", Dispense, 30.5);
    push(&mut names, "F1", "P1", "2026-04-02", Issue, 12.25);
    // F1/P2 and F2/P1: first movement in the middle of the window.
    push(&mut names, "F1", "P2", "2026-03-15", Receipt, 40.0);
    push(&mut names, "F1", "P2", "2026-03-20", Dispense, 10.0);
    push(&mut names, "F2", "P1", "2026-02-14", Receipt, 20.0);
    push(&mut names, "F2", "P1", "2026-04-10", Dispense, 20.0);
    // F3: no movement before April.
    push(&mut names, "F3", "P1", "2026-04-12", Receipt, 5.0);
    // W1, a store: in stock all along, never counted in availability.
    push(&mut names, "W1", "P1", "2026-01-02", Receipt, 1000.0);
    push(&mut names, "W1", "P1", "2026-02-02", Issue, 100.0);
    // W2, a store in region R1 that dispensed in February and recorded
    // nothing in March and April: months of nothing dispensed in the
    // areas' AMC too (3.5), not reporting gaps.
    push(&mut names, "W2", "P1", "2026-02-01", Receipt, 500.0);
    push(&mut names, "W2", "P1", "2026-02-03", Dispense, 30.0);
    // F4: nothing at all recorded there in February (a reporting gap);
    // in March only P2 arrived, so P1's March is recorded, of no use.
    push(&mut names, "F4", "P1", "2026-01-05", Receipt, 100.0);
    push(&mut names, "F4", "P1", "2026-01-20", Dispense, 10.0);
    push(&mut names, "F4", "P2", "2026-03-07", Receipt, 50.0);
    push(&mut names, "F4", "P1", "2026-04-03", Dispense, 10.0);
    // X9: a location the hierarchy does not hold.
    push(&mut names, "X9", "P1", "2026-01-03", Receipt, 7.0);
    let mut ledger = Ledger::build(names, mv);
    // F2/P1: nothing moved in March, but a stock report gave its stockout
    // days: a month recorded, of no use (not a reporting gap).
    let (f2, p1) = (
        ledger.names.locations.id("F2"),
        ledger.names.item_id("P1").unwrap(),
    );
    ledger.set_reported_stockout_days(f2, p1, month_of(parse_day("2026-03-01").unwrap()), 3);
    // Stockout days reported for P2 at F4 in February, before P2 was
    // managed there: no figures, and no report of F4's February.
    let f4 = ledger.names.locations.id("F4");
    let p2 = ledger.names.item_id("P2").unwrap();
    ledger.set_reported_stockout_days(f4, p2, month_of(parse_day("2026-02-01").unwrap()), 28);
    use LocationLevel::*;
    let places = Places::new(
        vec![
            place("XSF", Country, None),
            place("R1", Region, Some("XSF")),
            place("D1", District, Some("R1")),
            place("D2", District, Some("R1")),
            place("F1", Facility, Some("D1")),
            place("F2", Facility, Some("D1")),
            place("F3", Facility, Some("D2")),
            place("F4", Facility, Some("D2")),
            place("W1", Warehouse, Some("XSF")),
            place("W2", Warehouse, Some("R1")),
        ],
        &ledger,
    );
    let countries = vec!["XSF".to_string(); ledger.names.locations.len()];
    (ledger, places, countries)
}

fn write(ledger: &Ledger, places: &Places, countries: &[String], as_of: Day, dir: &Path) {
    export::write_ledger(ledger, countries, as_of, dir, &ProgressBar::hidden()).unwrap();
    export::write_locations(ledger, places, countries, dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_cases_equal_single_node() {
    let (ledger, places, countries) = edge_ledger();
    let first = month_of(parse_day("2026-01-01").unwrap());
    for as_of in ["2026-04-30", "2026-05-17"] {
        let as_of = parse_day(as_of).unwrap();
        let dir = tempfile::tempdir().unwrap();
        write(&ledger, &places, &countries, as_of, dir.path());
        for window in [3, 1, 6] {
            let want = single_node(&ledger, &places, &countries, first, as_of, window);
            let got = engine(dir.path(), as_of, window).await;
            assert_same(&want, &got);
        }
        for level in [LocationLevel::Country, LocationLevel::District] {
            let want = single_node_availability(&ledger, &places, "XSF", level, first, as_of);
            let got = engine_availability(dir.path(), as_of, level).await;
            assert_same_availability(&want, &got);
            // Baskets (all items, P2 alone, an unknown item) and one item.
            for (items, basket) in [
                (vec![], true),
                (vec!["P2".to_string()], true),
                (vec!["P2".to_string(), "P9".to_string()], false),
                (vec!["P9".to_string()], true),
            ] {
                let scope = Scope {
                    level,
                    items,
                    basket,
                };
                let want =
                    single_node_availability(&ledger, &places, "XSF", scope.clone(), first, as_of);
                let got = engine_scope(dir.path(), as_of, scope.clone()).await;
                assert_same_availability(&want, &got);
                assert_eq!(got.is_empty(), scope.items == ["P9"], "{scope:?}");
            }
            let want = single_node_areas(&ledger, &places, "XSF", level, first, as_of, 3);
            let ctx = figures::context(None).await.unwrap();
            let got = indicators::compute_by(&ctx, dir.path(), Some(as_of), 3, Some(level))
                .await
                .unwrap();
            assert_same(&want, &got);
        }
    }
    let as_of = parse_day("2026-04-30").unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(&ledger, &places, &countries, as_of, dir.path());
    let got = engine(dir.path(), as_of, 3).await;
    let at = |loc: &str, item: &str, m: &str| {
        got.iter()
            .find(|r| {
                r.location == loc
                    && r.item == item
                    && equitas_ledger::calendar::format_month(r.month) == m
            })
            .unwrap_or_else(|| panic!("{loc} {item} {m}"))
            .clone()
    };
    // February out all month: left out; January 100 x 31 / 19.
    let r = at("F1", "P1", "2026-02");
    assert_eq!((r.amc_months, r.stock_on_hand), (1, 0.0));
    assert!(
        (r.amc.unwrap() - 100.0 * 31.0 / 19.0).abs() < 1e-12,
        "{r:?}"
    );
    assert_eq!(r.months_of_stock, Some(0.0));
    // As of 30 April: February (out), March (30.5, none out) and April
    // (12.25): (30.5 + 12.25) / 2.
    let r = at("F1", "P1", "2026-04");
    assert_eq!((r.amc_months, r.date), (2, as_of));
    assert!((r.amc.unwrap() - 21.375).abs() < 1e-12, "{r:?}");
    assert!((r.months_of_stock.unwrap() - 47.25 / 21.375).abs() < 1e-12);
    // First movement on 15 March: the window's February is not counted;
    // P2 did not move in April, but F1 recorded P1 then: no use, (10 +
    // 0) / 2 (a place reports for all its items, 3.5).
    let r = at("F1", "P2", "2026-04");
    assert_eq!(r.amc_months, 2);
    assert!((r.amc.unwrap() - 5.0).abs() < 1e-12, "{r:?}");
    // F4/P1: February is a reporting gap (nothing at all recorded at F4,
    // the stockout days of an item not yet managed there aside), March
    // counts 0 (F4 received P2), April 10: (0 + 10) / 2.
    let r = at("F4", "P1", "2026-04");
    assert_eq!(r.amc_months, 2);
    assert!((r.amc.unwrap() - 5.0).abs() < 1e-12, "{r:?}");
    // Nothing consumed in a month with a movement: an AMC of 0, no months
    // of stock.
    let r = at("W1", "P1", "2026-01");
    assert_eq!(
        (r.amc, r.months_of_stock, r.amc_months),
        (Some(0.0), None, 1)
    );
    // The store recorded nothing in March and April: months of no issues
    // (it issues on distribution days, 3.5), not reporting gaps.
    let r = at("W1", "P1", "2026-04");
    assert_eq!((r.amc, r.amc_months), (Some(100.0 / 3.0), 3));
    // F2/P1: February (received, nothing used), March (nothing moved,
    // stockout days reported: recorded, 0) and April (20, out of stock
    // from the 10th: 20 x 30 / 9).
    let r = at("F2", "P1", "2026-04");
    assert_eq!(r.amc_months, 3);
    assert!(
        (r.amc.unwrap() - 20.0 * 30.0 / 9.0 / 3.0).abs() < 1e-12,
        "{r:?}"
    );
    // Region R1 sums what its locations dispensed: W2's 30 over February
    // to April (its silent months are no issues), F1's, F2's and F3's.
    let ctx = figures::context(None).await.unwrap();
    let areas = indicators::compute_by(
        &ctx,
        dir.path(),
        Some(as_of),
        3,
        Some(LocationLevel::Region),
    )
    .await
    .unwrap();
    let want = single_node_areas(
        &ledger,
        &places,
        "XSF",
        LocationLevel::Region,
        first,
        as_of,
        3,
    );
    assert_same(&want, &areas);
    let view = equitas_ledger::view::stock(
        &ledger,
        &places,
        &equitas_ledger::view::MinMaxBands::default(),
        &equitas_ledger::view::StockQuery {
            as_of: Some(as_of),
            level: Some(LocationLevel::Region),
            ..Default::default()
        },
    );
    let r1 = view
        .iter()
        .find(|r| r.location == "R1" && r.item == "P1")
        .unwrap();
    // F1's January is out of the window; W2 and F2 are averaged over all
    // three months; no month of a store counts as unreported: F4's
    // February is the one gap.
    assert_eq!(r1.months_unreported, 1, "{r1:?}");
    // Availability: the store and the unknown location never count; F3
    // counts from April.
    let got = engine_availability(dir.path(), as_of, LocationLevel::Country).await;
    let av = |m: &str| {
        got.iter()
            .find(|a| a.item == "P1" && equitas_ledger::calendar::format_month(a.month) == m)
            .unwrap()
            .clone()
    };
    assert_eq!((av("2026-01").facilities, av("2026-01").in_stock), (2, 1));
    assert_eq!((av("2026-02").facilities, av("2026-02").in_stock), (3, 2));
    assert_eq!((av("2026-03").facilities, av("2026-03").in_stock), (3, 3));
    let a = av("2026-04");
    assert_eq!(
        (a.facilities, a.in_stock, a.availability),
        (4, 3, Some(3.0 / 4.0))
    );
    assert!(got.iter().all(|a| a.area == "XSF"));
    // The basket of P1 and P2 on 30 April: F1 and F4 have both (share 1),
    // F2 none of its one (0), F3 its one (1): the mean of the shares,
    // 3/4, not the 5 pairs in stock of 6 (5/6).
    let scope = Scope {
        level: LocationLevel::Country,
        items: vec![],
        basket: true,
    };
    let got = engine_scope(dir.path(), as_of, scope).await;
    let a = got
        .iter()
        .find(|a| equitas_ledger::calendar::format_month(a.month) == "2026-04")
        .unwrap();
    assert_eq!(a.item, indicators::BASKET);
    assert_eq!((a.facilities, a.in_stock), (6, 5));
    assert!((a.availability.unwrap() - 3.0 / 4.0).abs() < 1e-12, "{a:?}");
    // An item the export does not hold is named, with some it does.
    let ctx = figures::context(None).await.unwrap();
    indicators::availability(&ctx, dir.path(), Some(as_of), LocationLevel::Country)
        .await
        .unwrap();
    let (unknown, some) = indicators::unknown_items(&ctx, &["P2".into(), "P9".into()])
        .await
        .unwrap();
    assert_eq!(
        (unknown, some),
        (vec!["P9".to_string()], vec!["P1".into(), "P2".into()])
    );
}

async fn engine_scope(root: &Path, as_of: Day, scope: Scope) -> Vec<Availability> {
    let ctx = figures::context(None).await.unwrap();
    indicators::availability(&ctx, root, Some(as_of), scope)
        .await
        .unwrap()
}

/// An export made before the locations were exported: the indicators
/// still compute; availability names the missing directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn availability_names_missing_locations() {
    let (ledger, places, countries) = edge_ledger();
    let as_of = parse_day("2026-04-30").unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(&ledger, &places, &countries, as_of, dir.path());
    std::fs::remove_dir_all(dir.path().join("locations")).unwrap();
    // The AMC needs each location's level too (3.4: stores).
    let ctx = figures::context(None).await.unwrap();
    let e = indicators::compute(&ctx, dir.path(), Some(as_of), 3)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("locations") && e.contains("equitas-engine export"),
        "{e}"
    );
    let e = indicators::availability(&ctx, dir.path(), Some(as_of), LocationLevel::Country)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("locations") && e.contains("equitas-engine export"),
        "{e}"
    );
    let e = indicators::compute(&ctx, dir.path(), Some(as_of), 0)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("window"), "{e}");
    let e = indicators::area_level("facility").unwrap_err().to_string();
    assert!(e.contains("country, region or district"), "{e}");
    assert_eq!(UNKNOWN_COUNTRY, "unknown");
}
