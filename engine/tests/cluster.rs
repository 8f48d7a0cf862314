//! A Ballista scheduler and two executors on loopback (in process, through
//! the ballista crates' library APIs) run the cross-country figures, stock
//! indicators, availability, forecasts and supply concentration: equal to
//! the single node's.

use equitas_engine::cluster::start_loopback;
use equitas_engine::figures::{self, differences};
use equitas_engine::indicators;
use equitas_engine::synthetic::Networks;
use equitas_engine::{forecast, market};
use equitas_ledger::calendar::{MS_PER_DAY, month_end, month_of};
use equitas_market::analysis::{ConcentrationBands, Dim, Observation, ReferencePrice, Weight};
use equitas_model::LocationLevel;

/// First of the ports this test uses (scheduler; executors on the next four).
/// EQUITAS_ENGINE_TEST_PORT moves them.
fn base_port() -> u16 {
    std::env::var("EQUITAS_ENGINE_TEST_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(18261)
}

#[test]
fn two_executors_equal_single_node() {
    // EQUITAS_ENGINE_LOG=info shows what the scheduler and executors do.
    equitas_engine::log_to_stderr(log::LevelFilter::Warn);
    equitas_engine::runtime().unwrap().block_on(two_executors());
}

async fn two_executors() {
    let net = Networks::new(3, 10, 4, 6);
    let dir = tempfile::tempdir().unwrap();
    net.write(dir.path()).unwrap();
    let cluster = start_loopback(base_port(), 2, 1, None).await.unwrap();
    let ctx = figures::context(Some(&cluster.url)).await.unwrap();
    let got = figures::compute(&ctx, dir.path(), Some(net.as_of()))
        .await
        .unwrap();
    let want = net.single_node();
    let d = differences(&want, &got, 10);
    assert!(
        d.is_empty(),
        "{} rows; differences:\n{}",
        want.len(),
        d.join("\n")
    );
    assert!(got.iter().any(|f| f.stockout_days > 0));

    // The stock indicators and availability through the same cluster
    // (the same context: the tables are registered again).
    // In the middle of the month after the last movement's: the as-of
    // month is left out of its own AMC window (a CASE of its own).
    let as_of = month_end(month_of(net.as_of())) + 10;
    let first = net
        .countries
        .iter()
        .flat_map(|c| c.movements.iter())
        .map(|m| month_of(m.at.div_euclid(MS_PER_DAY) as i32))
        .min()
        .unwrap();
    let mut want = Vec::new();
    let mut want_av = Vec::new();
    let mut want_areas = Vec::new();
    net.each_ledger(&mut |l, places, countries| {
        want.extend(indicators::single_node(
            l, places, countries, first, as_of, 3,
        ));
        want_areas.extend(indicators::single_node_areas(
            l,
            places,
            &countries[0],
            LocationLevel::Region,
            first,
            as_of,
            3,
        ));
        want_av.extend(indicators::single_node_availability(
            l,
            places,
            &countries[0],
            LocationLevel::Region,
            first,
            as_of,
        ));
    });
    want.sort_by(|a, b| {
        (&a.country, &a.location, &a.item, a.month).cmp(&(
            &b.country,
            &b.location,
            &b.item,
            b.month,
        ))
    });
    let got = indicators::compute(&ctx, dir.path(), Some(as_of), 3)
        .await
        .unwrap();
    let d = indicators::differences(&want, &got, 10);
    assert!(
        d.is_empty(),
        "{} rows; differences:\n{}",
        want.len(),
        d.join("\n")
    );
    assert!(got.iter().any(|r| r.months_of_stock.is_some()));
    let got = indicators::compute_by(
        &ctx,
        dir.path(),
        Some(as_of),
        3,
        Some(LocationLevel::Region),
    )
    .await
    .unwrap();
    let d = indicators::differences(&want_areas, &got, 10);
    assert!(
        d.is_empty(),
        "{} rows; differences:\n{}",
        want_areas.len(),
        d.join("\n")
    );
    let got = indicators::availability(&ctx, dir.path(), Some(as_of), LocationLevel::Region)
        .await
        .unwrap();
    let d = indicators::availability_differences(&want_av, &got, 10);
    assert!(
        d.is_empty(),
        "{} rows; differences:\n{}",
        want_av.len(),
        d.join("\n")
    );
    assert!(!got.is_empty());
    // The forecasts, their function run by the executors: equal too.
    let r = forecast::Request::default();
    let (got, last) = forecast::compute(&ctx, dir.path(), &r).await.unwrap();
    let last = last.unwrap();
    let mut want = Vec::new();
    net.each_ledger(&mut |l, places, countries| {
        want.extend(forecast::single_node(l, places, &countries[0], last, &r));
    });
    let d = forecast::differences(&want, &got, 5);
    assert!(
        d.is_empty(),
        "{} series; differences:\n{}",
        want.len(),
        d.join("\n")
    );
    assert!(want.len() >= 20, "{} series", want.len());
    // Market indicators (supply concentration), their function run by the
    // executors: equal too.
    let obs: Vec<Observation> = (0..40)
        .map(|i| Observation {
            product: format!("P{}", i % 3),
            supplier: format!("S{}", i % 5),
            buyer_country: ["XSA", "XSB"][i % 2].to_string(),
            site: None,
            site_country: Some(["IND", "CHN", "ZAF"][i % 3].to_string()),
            mode: None,
            originator: Some(i % 4 == 0),
            pack_size: Some(10.0),
            quantity: 1.0 + i as f64,
            value: Some(0.1 * (1 + i * 7 % 11) as f64),
            order_date: None,
            scheduled_date: None,
            delivered_date: None,
        })
        .collect();
    market::write_procurement(&obs, dir.path()).unwrap();
    let r = market::Request::per_product(market::Indicator::Concentration {
        by: Dim::Supplier,
        weight: Weight::Value,
        bands: ConcentrationBands::default(),
    });
    let got = market::compute(&ctx, dir.path(), &r).await.unwrap();
    assert_eq!(market::single_node(&obs, &r).unwrap(), got);
    assert_eq!(got.len(), 3);
    // MPR per product and country: the reference prices travel in the
    // plan (a source with a semicolon and quotes) to the executors.
    let r = market::Request::per_product(market::Indicator::Mpr(market::MprSettings {
        by_country: true,
        min_observations: 1,
        exchange_rate: 1.0,
        references: (0..3)
            .map(|p| ReferencePrice {
                product: format!("P{p}"),
                price_usd: 0.01 * (p + 1) as f64,
                source: "a \"test\"; made up".to_string(),
            })
            .collect(),
    }));
    let got = market::compute(&ctx, dir.path(), &r).await.unwrap();
    assert_eq!(market::single_node(&obs, &r).unwrap(), got);
    // Originators in XSA (3 products), lowest-priced generics in both.
    assert_eq!(
        got.iter().filter(|r| r["mpr"].is_f64()).count(),
        9,
        "{got:?}"
    );
    // The query ran on the executors, not in process: they wrote shuffle
    // files. Which executors get the tasks is the scheduler's choice: on a
    // fresh clone's run one executor took them all (session 14), so both
    // are not required.
    let worked = cluster
        .work_dirs()
        .iter()
        .filter(|d| holds_a_file(d))
        .count();
    assert!(worked >= 1, "no executor wrote a shuffle file");
}

fn holds_a_file(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        if p.is_dir() { holds_a_file(&p) } else { true }
    })
}
