//! Market indicators on the engine (DataFusion in process, over the
//! exported procurement lines) equal the single node's
//! (`concentration_table`, `prices`, `delivery`), every row and figure to
//! the bit: on the USAID SCMS shipments shipped in `data/` (public domain),
//! imported into a SQLite database and exported, for several scopes,
//! weights, bands and tolerances; and on hand-made lines covering what can
//! go wrong.

use chrono::NaiveDate;
use equitas_engine::export;
use equitas_engine::figures;
use equitas_engine::market::{
    self, AffordabilitySettings, Indicator, MprSettings, Request, single_node, write_procurement,
};
use equitas_market::analysis::{self, ConcentrationBands, Dim, Observation, PooledPrice, Weight};
use equitas_store::import::ImportKind;
use equitas_store::testing::{data_file, import_bytes};
use indicatif::ProgressBar;
use std::path::Path;

async fn engine(root: &Path, r: &Request) -> Vec<serde_json::Value> {
    let ctx = figures::context(None).await.unwrap();
    market::compute(&ctx, root, r).await.unwrap()
}

fn assert_same(want: &[serde_json::Value], got: &[serde_json::Value]) {
    assert_eq!(want.len(), got.len(), "rows");
    for (a, b) in want.iter().zip(got) {
        assert_eq!(a, b);
    }
}

fn requests() -> Vec<Request> {
    let concentration = |by, weight, bands| Indicator::Concentration { by, weight, bands };
    vec![
        Request::per_product(concentration(
            Dim::Supplier,
            Weight::Value,
            ConcentrationBands::default(),
        )),
        Request {
            per: vec![Dim::Product, Dim::BuyerCountry],
            indicator: concentration(
                Dim::SiteCountry,
                Weight::Quantity,
                ConcentrationBands::default(),
            ),
        },
        Request {
            per: vec![Dim::SiteCountry],
            indicator: concentration(
                Dim::Site,
                Weight::Value,
                ConcentrationBands::from_thresholds(vec![1500.0, 2500.0, 5000.0]).unwrap(),
            ),
        },
        Request {
            per: vec![],
            indicator: concentration(Dim::Supplier, Weight::Value, ConcentrationBands::default()),
        },
        Request::per_product(Indicator::Prices),
        Request {
            per: vec![Dim::BuyerCountry, Dim::Mode],
            indicator: Indicator::Prices,
        },
        Request::per_product(Indicator::Delivery { tolerance_days: 0 }),
        Request {
            per: vec![Dim::Supplier],
            indicator: Indicator::Delivery { tolerance_days: 7 },
        },
    ]
}

#[test]
fn scms_market_indicators_equal_single_node() {
    let mut s = equitas_store::testing::sqlite();
    import_bytes(
        &mut s,
        ImportKind::Countries,
        "countries",
        &data_file("country-codes.csv"),
    );
    import_bytes(
        &mut s,
        ImportKind::Scms,
        "scms",
        &data_file("supply_chain_shipment_pricing.csv"),
    );
    let dir = tempfile::tempdir().unwrap();
    let summary = export::export_database(&s.target, dir.path(), &ProgressBar::hidden()).unwrap();
    let obs = equitas_store::market::observations(
        s.store.as_mut(),
        &equitas_store::market::Filter::default(),
    )
    .unwrap();
    assert_eq!(summary.procurement, obs.len());
    assert!(obs.len() > 10_000, "{}", obs.len());
    let runtime = equitas_engine::runtime().unwrap();
    for r in requests() {
        let want = single_node(&obs, &r).unwrap();
        let got = runtime.block_on(engine(dir.path(), &r));
        assert_same(&want, &got);
        assert!(!want.is_empty());
    }
    // Per product across the countries: single and several sources,
    // medians of unit prices, delays.
    mpr_and_affordability(&mut s, &obs, &runtime);
    let rows = runtime.block_on(engine(dir.path(), &requests()[0]));
    assert!(rows.iter().any(|r| r["single_source"] == true));
    assert!(rows.iter().any(|r| r["groups"].as_u64() >= Some(3)));
    let prices = runtime.block_on(engine(dir.path(), &requests()[4]));
    assert!(prices.iter().any(|r| r["unit_price"]["median"].is_f64()));
    let delivery = runtime.block_on(engine(dir.path(), &requests()[6]));
    assert!(
        delivery
            .iter()
            .any(|r| r["delay_days"]["n"].as_u64() > Some(10))
    );
}

/// MPR and affordability on the SCMS lines: reference prices of two
/// sources (every product's pooled median, and the tour's four
/// illustrative prices), the shipped treatment courses and the tour's
/// illustrative wages, loaded before an export.
fn mpr_and_affordability(
    s: &mut equitas_store::testing::TestStore,
    obs: &[Observation],
    runtime: &tokio::runtime::Runtime,
) {
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    let pooled = analysis::pooled_prices(
        &analysis::Dataset::from(obs.to_vec()),
        4,
        "pooled, for the engine test",
        &|_| None,
    );
    assert!(pooled.len() > 50, "{}", pooled.len());
    let mut csv = PooledPrice::COLUMNS.join(",") + "\n";
    for p in &pooled {
        let r: Vec<String> = p.record().iter().map(|f| quote(f)).collect();
        csv += &(r.join(",") + "\n");
    }
    import_bytes(s, ImportKind::ReferencePrices, "pooled.csv", csv.as_bytes());
    import_bytes(
        s,
        ImportKind::ReferencePrices,
        "reference-prices.csv",
        &data_file("examples/reference-prices.csv"),
    );
    import_bytes(
        s,
        ImportKind::Courses,
        "courses",
        &data_file("treatment-courses.csv"),
    );
    import_bytes(
        s,
        ImportKind::Wages,
        "wages",
        &data_file("examples/wages.csv"),
    );
    let dir = tempfile::tempdir().unwrap();
    let summary = export::export_database(&s.target, dir.path(), &ProgressBar::hidden()).unwrap();
    let courses_loaded = equitas_store::market::courses(s.store.as_mut())
        .unwrap()
        .len();
    assert_eq!(
        summary.market_inputs,
        (pooled.len() + 4, courses_loaded, 2),
        "reference prices of both sources, courses, wages"
    );
    let illustrative = "ILLUSTRATIVE: made up for the Equitas tour, not a real reference price";
    let mut checked = 0;
    for source in [None, Some(illustrative)] {
        // The export holds both sources; each side chooses the same way.
        let mut want_refs: Vec<_> =
            equitas_store::market::reference_prices(s.store.as_mut(), source)
                .unwrap()
                .into_values()
                .collect();
        want_refs.sort_by(|a, b| a.product.cmp(&b.product));
        let got_refs = runtime.block_on(async {
            let ctx = figures::context(None).await.unwrap();
            market::reference_prices(&ctx, dir.path(), source)
                .await
                .unwrap()
        });
        assert_eq!(want_refs, got_refs);
        assert_eq!(
            got_refs.len(),
            if source.is_some() { 4 } else { pooled.len() }
        );
        for (by_country, min_observations, exchange_rate) in [(false, 4, 1.0), (true, 2, 160.0)] {
            let r = Request::per_product(Indicator::Mpr(MprSettings {
                by_country,
                min_observations,
                exchange_rate,
                references: got_refs.clone(),
            }));
            let want = single_node(obs, &r).unwrap();
            let got = runtime.block_on(engine(dir.path(), &r));
            assert_same(&want, &got);
            assert!(want.iter().any(|r| r["mpr"].is_f64()), "{source:?}");
            // The basket, as the single node's report gives it.
            let refs = analysis::reference_table(got_refs.clone(), None);
            let report = analysis::mpr(
                &analysis::Dataset::from(obs.to_vec()),
                &refs,
                by_country,
                min_observations,
                exchange_rate,
            );
            assert_eq!(market::basket(&got), report.basket);
            assert!(!report.basket.is_empty());
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
    let (courses, wages) = runtime.block_on(async {
        let ctx = figures::context(None).await.unwrap();
        (
            market::courses(&ctx, dir.path()).await.unwrap(),
            market::wages(&ctx, dir.path()).await.unwrap(),
        )
    });
    let mut want_wages: Vec<_> = equitas_store::market::wages(s.store.as_mut())
        .unwrap()
        .into_values()
        .collect();
    want_wages.sort_by(|a, b| a.country.cmp(&b.country));
    assert_eq!(wages, want_wages);
    assert_eq!(wages.len(), 2);
    assert!(courses.len() > 5, "{}", courses.len());
    let r = Request::per_product(Indicator::Affordability(AffordabilitySettings {
        courses,
        wages,
        min_observations: 4,
    }));
    let want = single_node(obs, &r).unwrap();
    assert!(want.len() > 3, "{}", want.len());
    assert_same(&want, &runtime.block_on(engine(dir.path(), &r)));
    // Its scope is fixed.
    let wrong = Request {
        per: vec![Dim::Product],
        indicator: r.indicator,
    };
    let e = runtime.block_on(async {
        let ctx = figures::context(None).await.unwrap();
        market::compute(&ctx, dir.path(), &wrong)
            .await
            .unwrap_err()
            .to_string()
    });
    assert!(e.contains("per product, country"), "{e}");
}

fn line(
    country: &str,
    product: &str,
    supplier: &str,
    site_country: Option<&str>,
    value: Option<f64>,
    pack: Option<f64>,
    quantity: f64,
) -> Observation {
    Observation {
        product: product.into(),
        supplier: supplier.into(),
        buyer_country: country.into(),
        site: site_country.map(|c| format!("site-{c}")),
        site_country: site_country.map(str::to_string),
        mode: None,
        originator: None,
        pack_size: pack,
        quantity,
        value,
        order_date: NaiveDate::from_ymd_opt(2024, 11, (quantity as u32).clamp(1, 28)),
        scheduled_date: NaiveDate::from_ymd_opt(2025, 2, 20),
        delivered_date: NaiveDate::from_ymd_opt(2025, 3, (quantity as u32).clamp(1, 28)),
    }
}

/// Values that do not add up exactly in floating point, in an order the
/// engine's partitions may change; missing and zero values and pack sizes
/// (left out of the weights); a product whose lines all weigh nothing (no
/// row); sites without a country ("unknown" in a key).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_cases_equal_single_node() {
    let obs = vec![
        line("XSA", "P1", "S1", Some("IND"), Some(0.1), Some(10.0), 3.0),
        line("XSB", "P1", "S2", Some("CHN"), Some(0.2), Some(10.0), 7.0),
        line("XSA", "P1", "S1", Some("IND"), Some(0.3), Some(30.0), 1.0),
        line("XSC", "P1", "S3", None, Some(1e-3), None, 5.0),
        line("XSB", "P1", "S2", Some("CHN"), Some(0.7), Some(10.0), 2.0),
        line("XSA", "P2", "S1", Some("IND"), None, Some(10.0), 4.0),
        line("XSA", "P2", "S1", Some("IND"), Some(0.0), Some(0.0), 4.0),
        line("XSB", "P3", "S4", None, Some(12.5), Some(1.0), 1.0),
        line("XSC", "P3", "S4", Some("ZAF"), Some(7.25), Some(2.0), 1.0),
    ];
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(write_procurement(&obs, dir.path()).unwrap(), (9, 3));
    for r in requests() {
        let want = single_node(&obs, &r).unwrap();
        let got = engine(dir.path(), &r).await;
        assert_same(&want, &got);
    }
    let rows = engine(dir.path(), &requests()[0]).await;
    // P2 weighs nothing by value: no row.
    assert_eq!(
        rows.iter()
            .map(|r| r["key"][0].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["P1", "P3"]
    );
    // Year is not a scope on the engine; shares only of what supplies.
    let ctx = figures::context(None).await.unwrap();
    for (per, by) in [
        (vec![Dim::Year], Dim::Supplier),
        (vec![Dim::Product], Dim::Mode),
    ] {
        let r = Request {
            per,
            indicator: Indicator::Concentration {
                by,
                weight: Weight::Value,
                bands: ConcentrationBands::default(),
            },
        };
        let e = market::compute(&ctx, dir.path(), &r)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("--per year") || e.contains("--by mode"), "{e}");
    }
    // An export without procurement lines says so.
    let empty = tempfile::tempdir().unwrap();
    let e = market::compute(&ctx, empty.path(), &requests()[4])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("procurement") && e.contains("no such directory"),
        "{e}"
    );
}
