//! Market indicators over the real SCMS file, on SQLite and PostgreSQL.
//! Expected figures were computed independently from the CSV (a short
//! Python script over `data/supply_chain_shipment_pricing.csv`, not Equitas).

use equitas_market::analysis::{self, ConcentrationBands, Dataset, Dim, Weight};
use equitas_store::import::{ImportKind, ImportReport};
use equitas_store::market::{self as mk, Filter};
use equitas_store::on_both_backends;
use equitas_store::testing::{TestStore, data_dir, import_bytes};
use std::path::PathBuf;

fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(s: &mut TestStore, kind: ImportKind, name: &str, bytes: &[u8]) -> ImportReport {
    import_bytes(s, kind, name, bytes)
}

fn load_scms(s: &mut TestStore) {
    load(
        s,
        ImportKind::Countries,
        "countries",
        &read(data_dir().join("country-codes.csv")),
    );
    load(
        s,
        ImportKind::Scms,
        "scms",
        &read(data_dir().join("supply_chain_shipment_pricing.csv")),
    );
}

const EFV: &str = "efavirenz-600mg-tablet";
const LPV: &str = "lopinavir-ritonavir-200-50mg-tablet";

fn ds(s: &mut TestStore, f: Filter) -> Dataset {
    Dataset::from(mk::observations(s.store.as_mut(), &f).unwrap())
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn prices_concentration_and_delivery(s: &mut TestStore) {
    load_scms(s);
    let all = ds(s, Filter::default());
    assert_eq!(all.len(), 10_324);
    let efv = ds(
        s,
        Filter {
            products: vec![EFV.into()],
            ..Default::default()
        },
    );
    assert_eq!(efv.len(), 758);

    let p = analysis::prices(&efv, &[Dim::Product]);
    let u = p[0].unit_price.unwrap();
    assert_eq!(u.n, 758);
    assert!(close(u.median, 0.1545, 1e-9), "{}", u.median);
    let ng = analysis::prices(
        &ds(
            s,
            Filter {
                products: vec![EFV.into()],
                countries: vec!["NGA".into()],
                ..Default::default()
            },
        ),
        &[Dim::Product],
    );
    assert_eq!(ng[0].unit_price.unwrap().n, 77);
    assert!(close(ng[0].unit_price.unwrap().median, 0.158_333_333, 1e-8));

    // Efavirenz 600 mg by manufacturing site, value-weighted: HHI 2,771.3 over 10 sites.
    let c = analysis::concentration_table(
        &efv,
        &[Dim::Product],
        Dim::Site,
        Weight::Value,
        &ConcentrationBands::default(),
    );
    assert_eq!(c[0].groups, 10);
    assert!(close(c[0].hhi, 2771.306, 0.01), "{}", c[0].hhi);
    // ... and by manufacturing country: India and South Africa, HHI 9,990.8.
    let c = analysis::concentration_table(
        &efv,
        &[Dim::Product],
        Dim::SiteCountry,
        Weight::Value,
        &ConcentrationBands::default(),
    );
    assert_eq!(c[0].groups, 2);
    assert!(close(c[0].hhi, 9990.788, 0.01), "{}", c[0].hhi);
    assert!(!c[0].single_country);

    // Air shipments: 5,526 of 6,113 no later than scheduled; median lead time 99 days over 3,367
    // (two lines delivered before their order date left out, formulas 2.9).
    let d = analysis::delivery(&all, &[Dim::Mode], 0);
    let air = d.iter().find(|r| r.key[0] == "Air").unwrap();
    assert_eq!(air.lines, 6113);
    assert!(close(air.on_time_share.unwrap(), 5526.0 / 6113.0, 1e-12));
    assert_eq!(air.lead_time_days.unwrap().n, 3367);
    assert_eq!(air.delivered_before_order, 2);
    assert_eq!(air.lead_time_days.unwrap().median, 99.0);
}

fn mpr_and_affordability(s: &mut TestStore) {
    load_scms(s);
    // The MSH price guide may not ship with Equitas: read it from ../shared.
    let Some(msh) = equitas_doc_vectors::conformance::shared(
        "data/reference-prices/msh_price_guide_extract.csv",
        "the MSH price guide part",
    ) else {
        return;
    };
    let bytes = std::fs::read(&msh).unwrap();
    let r = load(s, ImportKind::ReferencePrices, "msh.csv", &bytes);
    assert!(
        r.notes[0].contains("58 row(s) matched catalogue products"),
        "{:?}",
        r.notes
    );
    let refs = mk::reference_prices(s.store.as_mut(), None).unwrap();
    assert_eq!(refs[EFV].price_usd, 0.112);
    assert_eq!(refs[LPV].price_usd, 0.164);
    // A price per pack where the product is compared per tablet, and a
    // year to come, are refused naming the field (until 2026-12-07 a
    // pack's price made an MPR of 0.01); a price per tablet, written
    // `Tablets`, is taken.
    let csv = format!(
        "product,price_usd,source,unit,year\n{EFV},3.00,TEST,pack,2015\n{EFV},0.10,TEST2,tablet,2099\n{LPV},0.20,TEST,Tablets,2015\n{LPV},0.20,TEST3,ML,2015\n{EFV},0.10,TEST3,tab-cap,2015\n"
    );
    let r = load(s, ImportKind::ReferencePrices, "ref.csv", csv.as_bytes());
    let bad: Vec<(u64, Option<&str>)> = r
        .rejected
        .iter()
        .map(|e| (e.line, e.field.as_deref()))
        .collect();
    assert_eq!(
        bad,
        // MSH's units count as the form's (TAB-CAP for a tablet), not for
        // any product (ML for tablets).
        [(2, Some("unit")), (3, Some("year")), (5, Some("unit"))],
        "{:?}",
        r.rejected
    );
    assert!(
        r.rejected[0].message.starts_with("\"pack\" is not the unit efavirenz-600mg-tablet is compared in: give the price of one tablet"),
        "{}",
        r.rejected[0]
    );
    assert_eq!(r.total().inserted, 2);

    let obs = ds(
        s,
        Filter {
            products: vec![EFV.into(), LPV.into()],
            ..Default::default()
        },
    );
    let m = analysis::mpr(&obs, &refs, false, 4, 1.0);
    let get = |p: &str, k: &str| {
        m.rows
            .iter()
            .find(|r| r.key[0] == p && r.kind == k)
            .unwrap()
            .clone()
    };
    let e = get(EFV, "lowest-priced generic");
    assert_eq!(e.n, 116);
    assert!(close(e.median_local_price, 0.142, 1e-9));
    assert!(close(e.mpr.unwrap(), 0.142 / 0.112, 1e-9));
    assert_eq!(
        get(EFV, "originator").mpr,
        None,
        "3 observations are fewer than 4"
    );
    let l = get(LPV, "originator");
    assert_eq!(l.n, 250);
    assert!(close(l.mpr.unwrap(), 0.3425 / 0.164, 1e-9));
    let g = get(LPV, "lowest-priced generic");
    assert_eq!(g.n, 49);
    assert!(close(g.mpr.unwrap(), 0.1815 / 0.164, 1e-9));
    let basket = m
        .basket
        .iter()
        .find(|b| b.kind == "lowest-priced generic")
        .unwrap();
    assert!(close(
        basket.median_mpr,
        (0.142 / 0.112 + 0.1815 / 0.164) / 2.0,
        1e-9
    ));

    // Affordability: shipped courses + a wage file made up for the test.
    load(
        s,
        ImportKind::Courses,
        "courses",
        &read(data_dir().join("treatment-courses.csv")),
    );
    let r = load(
        s,
        ImportKind::Wages,
        "wages",
        b"country,daily_wage,currency,exchange_rate,source\nNGA,1000,NGN,160,test value\nXXX,1,X,1,bad\n",
    );
    assert_eq!(r.rejected.len(), 1);
    let rows = analysis::affordability(
        &ds(
            s,
            Filter {
                products: vec![EFV.into()],
                ..Default::default()
            },
        ),
        &mk::courses(s.store.as_mut()).unwrap(),
        &mk::wages(s.store.as_mut()).unwrap(),
        4,
    );
    // Nigeria's 77 lines are all generic: the lowest generic price of each
    // of 9 delivery years (2007-2015), whose median is 2011's 0.140667 US$
    // (worked out apart, from the SCMS file, in Python): 0.140667 x 30
    // tablets x 160 NGN/US$ / 1,000 NGN a day = 0.68 days. Until 2026-12-07
    // the median of all 77 lines, 0.158333 (0.76 days).
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].kind, rows[0].n), ("lowest-priced generic", 9));
    assert!(close(
        rows[0].days_wages.unwrap(),
        0.140_666_667 * 30.0 * 160.0 / 1000.0,
        1e-6
    ));
    assert_eq!(rows[0].price_years, Some((2007, 2015)));
    assert_eq!(rows[0].wage_source, "test value");
}

fn registers(s: &mut TestStore) {
    load_scms(s);
    let csv = "country,number,product_name,product,holder,manufacturer,status,valid_from,valid_to\n\
               KEN,H1,Efavirenz 600mg,efavirenz-600mg-tablet,Cipla,Cipla Goa,Valid,2020-01-01,2030-01-01\n\
               KEN,H2,Efavirenz 600mg,efavirenz-600mg-tablet,Mylan,Mylan Nashik,valid,2020-01-01,2022-01-01\n\
               KEN,H3,Efavirenz 600mg,efavirenz-600mg-tablet,Aurobindo,Aurobindo,suspended,,\n\
               KEN,H4,Mystery,no-such-product,X,,valid,,\n";
    let r = load(s, ImportKind::Authorisations, "ma.csv", csv.as_bytes());
    assert_eq!(r.total().inserted, 3);
    assert!(
        r.rejected[0]
            .to_string()
            .contains("\"no-such-product\" is not a known product code")
    );
    let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let rows = mk::legal_sources(s.store.as_mut(), on, Some("KEN")).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].authorised_holders, 1,
        "expired and suspended ones do not count"
    );
    let on = chrono::NaiveDate::from_ymd_opt(2021, 6, 1).unwrap();
    assert_eq!(
        mk::legal_sources(s.store.as_mut(), on, None).unwrap()[0].authorised_holders,
        2
    );

    let Some(pq) = equitas_doc_vectors::conformance::shared(
        "data/who-pq/prequalified_vaccines.csv",
        "the WHO PQ vaccines part",
    ) else {
        return;
    };
    let bytes = std::fs::read(&pq).unwrap();
    let r = load(s, ImportKind::WhoPqVaccines, "pq.csv", &bytes);
    assert_eq!(r.rows_read, 275);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
    let again = load(s, ImportKind::WhoPqVaccines, "pq.csv", &bytes);
    assert!(again.unchanged());
    let by_type = mk::prequalified_sources(s.store.as_mut(), "vaccines").unwrap();
    assert_eq!(
        by_type.iter().map(|(_, _, n)| n).sum::<i64>(),
        r.total().inserted as i64
    );
}

on_both_backends! {
    prices_concentration_delivery => prices_concentration_and_delivery,
    mpr_affordability => mpr_and_affordability,
    legal_sources => registers,
}
